//! Cases (対象者): who is responsible, the team's shared life goal, risk and status.

use super::code::coded_enum;
use super::error::{optional_text, FieldError};
use super::ids::{AgencyId, CaseId};
use super::staff::StaffRef;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

coded_enum!(
    /// Where the consultation came in.
    IntakeChannel {
        /// Through a welfare consultation desk (はちまるサポート).
        WelfareDesk = "welfare_desk",
        /// Straight to the public health center.
        PublicHealthCenter = "public_health_center",
    }
);

coded_enum!(
    /// The program responsible for a case.
    Program {
        /// 医療福祉連携型早期訪問支援モデル事業 — the early outreach model program.
        ModelProgram = "model_program",
        /// 保健所 — the public health center's own work.
        PublicHealthCenter = "public_health_center",
    }
);

impl IntakeChannel {
    /// The channel of a consultation registered by someone acting for an agency of `kind`: a
    /// welfare desk (or its division) takes it in through the desk; the public health center
    /// (and the hospital staff dispatched to act for it) directly. Other agencies do not take
    /// consultations in.
    pub fn registered_at(kind: super::AgencyKind) -> Option<Self> {
        use super::AgencyKind as K;
        match kind {
            K::WelfareDesk | K::WelfarePolicyDivision => Some(IntakeChannel::WelfareDesk),
            K::PublicHealthCenter => Some(IntakeChannel::PublicHealthCenter),
            _ => None,
        }
    }

    /// The intake rule of the case study: a consultation that came through a welfare desk is
    /// handled by the model program; one that came straight to the public health center stays
    /// with the public health center.
    pub fn responsible_program(self) -> Program {
        match self {
            IntakeChannel::WelfareDesk => Program::ModelProgram,
            IntakeChannel::PublicHealthCenter => Program::PublicHealthCenter,
        }
    }
}

coded_enum!(
    /// How worried the team is.
    RiskLevel {
        /// No immediate concern.
        Low = "low",
        /// Needs watching.
        Moderate = "moderate",
        /// Needs action soon; crisis contacts at hand.
        High = "high",
    }
);

coded_enum!(
    /// Where a case is in its life.
    CaseStatus {
        /// Registered, not yet visited.
        Intake = "intake",
        /// Being supported.
        Active = "active",
        /// Support has ended.
        Closed = "closed",
    }
);

/// The maximum length of each part of the life goal, in characters.
pub const LIFE_GOAL_MAX: usize = 2_000;

/// The longest pseudonym a case is registered under, in characters.
pub const PSEUDONYM_MAX: usize = 100;

/// 暮らしのゴール: the goal the person and the team write together, with the medical view and
/// the welfare view beside it (the case study, point ④).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifeGoal {
    /// The person's own goal for their life.
    pub goal: String,
    /// What the medical side sees.
    pub medical_view: String,
    /// What the welfare side sees.
    pub welfare_view: String,
}

impl LifeGoal {
    /// Validates the three texts (each optional, each at most [`LIFE_GOAL_MAX`] characters).
    pub fn parse(goal: &str, medical: &str, welfare: &str) -> Result<Self, Vec<FieldError>> {
        let results = [
            optional_text("life_goal", goal, LIFE_GOAL_MAX),
            optional_text("medical_view", medical, LIFE_GOAL_MAX),
            optional_text("welfare_view", welfare, LIFE_GOAL_MAX),
        ];
        let errors: Vec<FieldError> = results
            .iter()
            .filter_map(|r| r.as_ref().err().cloned())
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let [goal, medical_view, welfare_view] = results.map(|r| r.unwrap_or_default());
        Ok(Self {
            goal,
            medical_view,
            welfare_view,
        })
    }
}

/// The agencies involved with the person, at intake and (once closed) at close.
/// The city judges the program by whether this number grew.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgenciesInvolved {
    /// Agencies involved when the case was registered.
    pub at_intake: BTreeSet<AgencyId>,
    /// Agencies involved when the case was closed; `None` while it is open.
    pub at_close: Option<BTreeSet<AgencyId>>,
}

impl AgenciesInvolved {
    /// How many more agencies were involved at close than at intake; `None` while open.
    pub fn growth(&self) -> Option<i64> {
        self.at_close
            .as_ref()
            .map(|close| close.len() as i64 - self.at_intake.len() as i64)
    }

    /// Whether the number of agencies grew from intake to close (the city's measure).
    pub fn grew(&self) -> Option<bool> {
        self.growth().map(|g| g > 0)
    }
}

/// Everything a team member needs to see about a case before a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    /// Identifier.
    pub id: CaseId,
    /// A pseudonym; real names never leave the case file.
    pub pseudonym: String,
    /// Where the consultation came in.
    pub intake_channel: IntakeChannel,
    /// Who is responsible (derived from the intake channel).
    pub program: Program,
    /// Risk level.
    pub risk: RiskLevel,
    /// Status.
    pub status: CaseStatus,
    /// The day the case was registered.
    pub opened_on: NaiveDate,
    /// The shared life goal and the two views.
    pub life_goal: LifeGoal,
    /// The people on the team, with their agencies.
    pub team: Vec<StaffRef>,
    /// Names (ja, en) of agencies involved at intake.
    pub agencies_at_intake: Vec<(String, String)>,
    /// Names (ja, en) of agencies involved at close, once closed.
    pub agencies_at_close: Option<Vec<(String, String)>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn the_registering_agency_decides_the_channel() {
        use crate::domain::AgencyKind as K;
        assert_eq!(
            IntakeChannel::registered_at(K::WelfareDesk),
            Some(IntakeChannel::WelfareDesk)
        );
        assert_eq!(
            IntakeChannel::registered_at(K::PublicHealthCenter),
            Some(IntakeChannel::PublicHealthCenter)
        );
        assert_eq!(IntakeChannel::registered_at(K::PsychiatricHospital), None);
        assert_eq!(IntakeChannel::registered_at(K::CooperatingBusiness), None);
    }

    #[test]
    fn welfare_desk_intake_goes_to_the_model_program() {
        assert_eq!(
            IntakeChannel::WelfareDesk.responsible_program(),
            Program::ModelProgram
        );
    }

    #[test]
    fn direct_intake_stays_with_the_public_health_center() {
        assert_eq!(
            IntakeChannel::PublicHealthCenter.responsible_program(),
            Program::PublicHealthCenter
        );
    }

    #[test]
    fn growth_is_unknown_until_close_and_counts_agencies() {
        let a = |n| AgencyId(Uuid::from_u128(n));
        let mut involved = AgenciesInvolved {
            at_intake: [a(1), a(2)].into(),
            at_close: None,
        };
        assert_eq!(involved.grew(), None);
        involved.at_close = Some([a(1), a(2), a(3), a(4)].into());
        assert_eq!(involved.growth(), Some(2));
        assert_eq!(involved.grew(), Some(true));
        involved.at_close = Some([a(1), a(2)].into());
        assert_eq!(involved.grew(), Some(false));
    }

    #[test]
    fn life_goal_reports_every_overlong_part() {
        let long = "あ".repeat(LIFE_GOAL_MAX + 1);
        let errors = LifeGoal::parse(&long, "ok", &long).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["life_goal", "welfare_view"]);
        let goal = LifeGoal::parse(" 仕事に戻る ", "", "").unwrap();
        assert_eq!(goal.goal, "仕事に戻る");
    }
}
