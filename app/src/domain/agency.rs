//! Agencies (機関) that take part in the outreach work.

use super::code::coded_enum;
use super::ids::AgencyId;
use serde::{Deserialize, Serialize};

coded_enum!(
    /// The kinds of agency named in the case study.
    AgencyKind {
        /// 保健所 — the public health center (保健対策課).
        PublicHealthCenter = "public_health_center",
        /// 福祉政策課 — the welfare policy division, which runs the consultation desks.
        WelfarePolicyDivision = "welfare_policy_division",
        /// はちまるサポート — one of the 13 welfare consultation desks.
        WelfareDesk = "welfare_desk",
        /// 障害者福祉課 — the disability welfare division.
        DisabilityWelfareDivision = "disability_welfare_division",
        /// 精神科病院 — a psychiatric hospital that dispatches staff to the model program.
        PsychiatricHospital = "psychiatric_hospital",
        /// 地域生活支援拠点 — one of the 5 community life support hubs.
        LifeSupportHub = "life_support_hub",
        /// 協力事業所 — a cooperating business registered with a hub.
        CooperatingBusiness = "cooperating_business",
        /// 訪問看護ステーション — a visiting nursing station.
        VisitingNursingStation = "visiting_nursing_station",
        /// 地域包括支援センター — a community general support center.
        CommunityGeneralSupportCenter = "community_general_support_center",
        /// その他 — any other agency.
        Other = "other",
    }
);

impl AgencyKind {
    /// Whether people of this agency get accounts of their own (a cooperating business is in
    /// the hubs' directory, not on visit teams).
    pub fn has_staff_accounts(self) -> bool {
        self != AgencyKind::CooperatingBusiness
    }
}

/// An agency, with its name in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    /// Identifier.
    pub id: AgencyId,
    /// What kind of agency it is.
    pub kind: AgencyKind,
    /// Name in Japanese, as people know it.
    pub name_ja: String,
    /// Name in English.
    pub name_en: String,
}

impl Agency {
    /// The name in the given language.
    pub fn name(&self, lang: super::Lang) -> &str {
        match lang {
            super::Lang::Ja => &self.name_ja,
            super::Lang::En => &self.name_en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_refused() {
        for kind in AgencyKind::ALL {
            assert_eq!(AgencyKind::parse(kind.code()), Ok(*kind));
        }
        assert!(AgencyKind::parse("hospital").is_err());
        let json = serde_json::to_string(&AgencyKind::WelfareDesk).unwrap();
        assert_eq!(json, "\"welfare_desk\"");
        assert!(serde_json::from_str::<AgencyKind>("\"bank\"").is_err());
    }
}
