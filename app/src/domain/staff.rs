//! Staff: who they are, where they come from, and whom they act for.

use super::agency::AgencyKind;
use super::case::Program;
use super::code::coded_enum;
use super::error::{required_text, FieldError, Problem};
use super::ids::{AgencyId, StaffId};
use serde::{Deserialize, Serialize};

coded_enum!(
    /// What a staff member does in the outreach work.
    Role {
        /// 保健師 — public health nurse of the public health center.
        Nurse = "nurse",
        /// 精神科医・PSW dispatched by a partner hospital.
        PsychiatricStaff = "psychiatric_staff",
        /// CSW at a welfare desk.
        SocialWorker = "social_worker",
        /// 係長・コーディネーター — reviews notes, assigns visits.
        Supervisor = "supervisor",
        /// Manages agencies, accounts and devices; does not read notes.
        Admin = "admin",
    }
);

impl Role {
    /// Whether this role reviews the notes of a whole program.
    pub fn is_supervisor(self) -> bool {
        matches!(self, Role::Supervisor)
    }

    /// Whether an administrator opens accounts of this role from the app. Not another
    /// administrator's: one administrator alone cannot make a second one under their control.
    pub fn opened_by_administrator(self) -> bool {
        self != Role::Admin
    }

    /// Whether this role goes on home visits and writes outreach notes.
    pub fn writes_notes(self) -> bool {
        matches!(
            self,
            Role::Nurse | Role::PsychiatricStaff | Role::SocialWorker
        )
    }
}

/// The agency a staff member acts for while doing outreach work.
///
/// The case study's rule: psychiatric staff dispatched by a hospital act as counsellors of the
/// public health center, not of their hospital. Everyone else acts for their home agency.
pub fn acting_agency(
    role: Role,
    home: AgencyId,
    home_kind: AgencyKind,
    public_health_center: AgencyId,
) -> AgencyId {
    if role == Role::PsychiatricStaff && home_kind == AgencyKind::PsychiatricHospital {
        public_health_center
    } else {
        home
    }
}

/// A staff account as the rest of the app sees it (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// Identifier.
    pub id: StaffId,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The agency that employs them.
    pub home_agency: AgencyId,
    /// The agency they act for (see [`acting_agency`]).
    pub acts_for: AgencyId,
}

/// The longest login name.
pub const MAX_LOGIN_CHARS: usize = 100;
/// The shortest login name a new account may have.
pub const MIN_LOGIN_CHARS: usize = 3;
/// The longest name shown to colleagues.
pub const MAX_NAME_CHARS: usize = 100;

/// A staff account as an administrator asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    /// The login name.
    pub login: String,
    /// The name shown to colleagues.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The agency that employs them.
    pub home_agency: AgencyId,
    /// The program a supervisor oversees; none for anyone else.
    #[serde(default)]
    pub supervises: Option<Program>,
}

impl NewAccount {
    /// The account as it is to be kept, or every problem with it: a login of lower-case
    /// letters, digits, `.`, `-` and `_` that starts with a letter (3 to 100 of them); a name;
    /// a role an administrator opens ([`Role::opened_by_administrator`]); a program for a
    /// supervisor. Anyone else's program is dropped.
    pub fn checked(self) -> Result<NewAccount, Vec<FieldError>> {
        let home_agency = Some(self.home_agency);
        Self::from_form(
            self.login,
            self.display_name,
            self.role,
            home_agency,
            self.supervises,
        )
    }

    /// The account as an administrator's form asks for it, where no agency may be chosen yet
    /// (a problem of its own, said with the others), checked as [`NewAccount::checked`] does.
    pub fn from_form(
        login: String,
        display_name: String,
        role: Role,
        home_agency: Option<AgencyId>,
        supervises: Option<Program>,
    ) -> Result<NewAccount, Vec<FieldError>> {
        let mut problems = Vec::new();
        let login = login.trim().to_owned();
        let chars = login.chars().count();
        if login.is_empty() {
            problems.push(FieldError::new("login", Problem::Required));
        } else if chars > MAX_LOGIN_CHARS {
            problems.push(FieldError::new(
                "login",
                Problem::TooLong {
                    max: MAX_LOGIN_CHARS,
                },
            ));
        } else if chars < MIN_LOGIN_CHARS {
            problems.push(FieldError::new(
                "login",
                Problem::TooShort {
                    min: MIN_LOGIN_CHARS,
                },
            ));
        } else if !login.starts_with(|c: char| c.is_ascii_lowercase())
            || !login
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c))
        {
            problems.push(FieldError::new("login", Problem::LoginFormat));
        }
        if !role.opened_by_administrator() {
            problems.push(FieldError::new("role", Problem::UnknownChoice));
        }
        let display_name = required_text("display_name", &display_name, MAX_NAME_CHARS)
            .map_err(|e| problems.push(e))
            .unwrap_or_default();
        if home_agency.is_none() {
            problems.push(FieldError::new("home_agency", Problem::Required));
        }
        let supervises = match (role, supervises) {
            (Role::Supervisor, None) => {
                problems.push(FieldError::new("supervises", Problem::Required));
                None
            }
            (Role::Supervisor, program) => program,
            _ => None,
        };
        match home_agency {
            Some(home_agency) if problems.is_empty() => Ok(NewAccount {
                login,
                display_name,
                role,
                home_agency,
                supervises,
            }),
            _ => Err(problems),
        }
    }
}

/// A staff member as shown on a visit or a team: name, role and both agencies' names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRef {
    /// Identifier.
    pub id: StaffId,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Home agency's name in Japanese and English.
    pub home_agency: (String, String),
    /// Acting agency's name, when it differs from the home agency.
    pub acts_for: Option<(String, String)>,
    /// The agency they act for: what their notes and visits count as.
    #[serde(default)]
    pub acting_agency: Option<AgencyId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn id(n: u128) -> AgencyId {
        AgencyId(Uuid::from_u128(n))
    }

    #[test]
    fn dispatched_hospital_staff_act_for_the_public_health_center() {
        let phc = id(1);
        let hospital = id(2);
        assert_eq!(
            acting_agency(
                Role::PsychiatricStaff,
                hospital,
                AgencyKind::PsychiatricHospital,
                phc
            ),
            phc
        );
    }

    #[test]
    fn everyone_else_acts_for_their_home_agency() {
        let phc = id(1);
        let desk = id(3);
        assert_eq!(
            acting_agency(Role::SocialWorker, desk, AgencyKind::WelfareDesk, phc),
            desk
        );
        assert_eq!(
            acting_agency(Role::Nurse, phc, AgencyKind::PublicHealthCenter, phc),
            phc
        );
    }

    fn account(login: &str, role: Role, supervises: Option<Program>) -> NewAccount {
        NewAccount {
            login: login.into(),
            display_name: " 中村 彩 ".into(),
            role,
            home_agency: id(1),
            supervises,
        }
    }

    fn problems(account: NewAccount) -> Vec<(String, Problem)> {
        account
            .checked()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn a_new_account_is_kept_trimmed_with_a_program_only_for_a_supervisor() {
        let kept = account(
            " nurse.nakamura_2 ",
            Role::Nurse,
            Some(Program::ModelProgram),
        )
        .checked()
        .unwrap();
        assert_eq!(kept.login, "nurse.nakamura_2");
        assert_eq!(kept.display_name, "中村 彩");
        assert_eq!(kept.supervises, None);
        let boss = account("sv-mori", Role::Supervisor, Some(Program::ModelProgram));
        assert_eq!(
            boss.checked().unwrap().supervises,
            Some(Program::ModelProgram)
        );
        assert_eq!(
            problems(account("sv.mori", Role::Supervisor, None)),
            [("supervises".to_owned(), Problem::Required)]
        );
        assert_eq!(
            problems(account("admin.two", Role::Admin, None)),
            [("role".to_owned(), Problem::UnknownChoice)]
        );
    }

    #[test]
    fn a_login_is_lower_case_letters_digits_and_dots_starting_with_a_letter() {
        for bad in [
            "Nurse.Nakamura",
            "2nurse",
            ".nurse",
            "nurse nakamura",
            "看護師",
            "n@x",
        ] {
            assert_eq!(
                problems(account(bad, Role::Nurse, None)),
                [("login".to_owned(), Problem::LoginFormat)],
                "{bad}"
            );
        }
        assert_eq!(
            problems(account("ab", Role::Nurse, None)),
            [("login".to_owned(), Problem::TooShort { min: 3 })]
        );
        assert_eq!(
            problems(account(&"a".repeat(101), Role::Nurse, None)),
            [("login".to_owned(), Problem::TooLong { max: 100 })]
        );
        let mut nameless = account("  ", Role::Nurse, None);
        nameless.display_name = " ".into();
        assert_eq!(
            problems(nameless),
            [
                ("login".to_owned(), Problem::Required),
                ("display_name".to_owned(), Problem::Required)
            ]
        );
    }

    #[test]
    fn only_field_roles_write_notes() {
        assert!(Role::Nurse.writes_notes());
        assert!(Role::PsychiatricStaff.writes_notes());
        assert!(!Role::Supervisor.writes_notes());
        assert!(!Role::Admin.writes_notes());
    }
}
