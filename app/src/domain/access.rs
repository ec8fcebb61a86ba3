//! Need-to-know: who may see a case. The server applies this to every read and write.

use super::case::Program;
use super::error::{FieldError, Problem};
use super::ids::StaffId;
use super::staff::Role;

/// How long a break-glass opening of a case lasts, in minutes.
pub const BREAK_GLASS_MINUTES: i64 = 60;
/// The shortest reason a break-glass opening takes, in characters.
pub const BREAK_GLASS_REASON_MIN: usize = 10;
/// The longest, in characters.
pub const BREAK_GLASS_REASON_MAX: usize = 500;

/// Whether someone may see a case: through its team, or as a supervisor of the case's program.
/// Administrators manage accounts and never read case data through this path.
pub fn may_see_case(
    role: Role,
    supervises: Option<Program>,
    on_team: bool,
    case_program: Program,
) -> bool {
    match role {
        Role::Admin => false,
        Role::Supervisor => on_team || supervises == Some(case_program),
        Role::Nurse | Role::PsychiatricStaff | Role::SocialWorker => on_team,
    }
}

/// Whether someone may read a case: as [`may_see_case`], or as a supervisor holding a
/// break-glass opening of it that has not expired (an emergency outside their program, with a
/// stated reason, audited).
pub fn may_read_case(
    role: Role,
    supervises: Option<Program>,
    on_team: bool,
    case_program: Program,
    glass_open: bool,
) -> bool {
    may_see_case(role, supervises, on_team, case_program) || (glass_open && may_break_glass(role))
}

/// Who may break the glass: supervisors.
pub fn may_break_glass(role: Role) -> bool {
    role == Role::Supervisor
}

/// Checks the reason given for a break-glass opening: stated in a sentence, not a click.
pub fn check_break_glass_reason(reason: &str) -> Result<(), FieldError> {
    let chars = reason.trim().chars().count();
    let problem = if chars < BREAK_GLASS_REASON_MIN {
        Problem::TooShort {
            min: BREAK_GLASS_REASON_MIN,
        }
    } else if chars > BREAK_GLASS_REASON_MAX {
        Problem::TooLong {
            max: BREAK_GLASS_REASON_MAX,
        }
    } else if super::error::has_control_characters(reason) {
        Problem::ControlCharacter
    } else {
        return Ok(());
    };
    Err(FieldError::new("reason", problem))
}

/// The program whose notes, figures, devices and exports someone oversees: a supervisor's own
/// program, and none for anyone else.
pub fn supervised_program(role: Role, supervises: Option<Program>) -> Option<Program> {
    supervises.filter(|_| role.is_supervisor())
}

/// Who manages staff accounts and revokes any device: administrators.
pub fn manages_accounts(role: Role) -> bool {
    role == Role::Admin
}

/// Whether `me` may disable, enable or reset `account`: an administrator, and never their own
/// account (they cannot lock themselves out, nor drop their own second factor).
pub fn may_change_account(role: Role, me: StaffId, account: StaffId) -> bool {
    manages_accounts(role) && me != account
}

/// Whether someone may record notes on a case they can see.
pub fn may_write_notes(role: Role, on_team: bool) -> bool {
    role.writes_notes() && on_team
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_staff_see_only_their_team_cases() {
        for role in [Role::Nurse, Role::PsychiatricStaff, Role::SocialWorker] {
            assert!(may_see_case(role, None, true, Program::ModelProgram));
            assert!(!may_see_case(role, None, false, Program::ModelProgram));
        }
    }

    #[test]
    fn supervisors_see_their_program_only() {
        let s = Some(Program::ModelProgram);
        assert!(may_see_case(
            Role::Supervisor,
            s,
            false,
            Program::ModelProgram
        ));
        assert!(!may_see_case(
            Role::Supervisor,
            s,
            false,
            Program::PublicHealthCenter
        ));
    }

    #[test]
    fn only_a_supervisors_open_glass_reaches_outside_the_program() {
        let s = Some(Program::ModelProgram);
        let center = Program::PublicHealthCenter;
        assert!(!may_read_case(Role::Supervisor, s, false, center, false));
        assert!(may_read_case(Role::Supervisor, s, false, center, true));
        for role in [Role::Nurse, Role::SocialWorker, Role::Admin] {
            assert!(!may_read_case(role, None, false, center, true), "{role:?}");
        }
        assert!(may_break_glass(Role::Supervisor));
        assert!(!may_break_glass(Role::Nurse));
    }

    #[test]
    fn a_break_glass_reason_is_a_sentence() {
        assert!(check_break_glass_reason("  急いで  ").is_err());
        assert!(check_break_glass_reason("夜間に本人から自殺をほのめかす電話があった").is_ok());
        assert!(check_break_glass_reason(&"あ".repeat(501)).is_err());
        assert!(check_break_glass_reason("夜間に本人から電話があった\u{0}").is_err());
    }

    #[test]
    fn administrators_do_not_read_cases() {
        assert!(!may_see_case(
            Role::Admin,
            None,
            true,
            Program::ModelProgram
        ));
    }

    #[test]
    fn only_field_team_members_write_notes() {
        assert!(may_write_notes(Role::Nurse, true));
        assert!(!may_write_notes(Role::Nurse, false));
        assert!(!may_write_notes(Role::Supervisor, true));
    }
}
