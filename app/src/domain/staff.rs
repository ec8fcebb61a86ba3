//! Staff: who they are, where they come from, and whom they act for.

use super::agency::AgencyKind;
use super::code::coded_enum;
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

    #[test]
    fn only_field_roles_write_notes() {
        assert!(Role::Nurse.writes_notes());
        assert!(Role::PsychiatricStaff.writes_notes());
        assert!(!Role::Supervisor.writes_notes());
        assert!(!Role::Admin.writes_notes());
    }
}
