//! Need-to-know: who may see a case. The server applies this to every read and write.

use super::case::Program;
use super::staff::Role;

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

/// The program whose notes, figures, devices and exports someone oversees: a supervisor's own
/// program, and none for anyone else.
pub fn supervised_program(role: Role, supervises: Option<Program>) -> Option<Program> {
    supervises.filter(|_| role.is_supervisor())
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
