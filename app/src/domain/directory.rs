//! The directory of the community life support hubs' cooperating businesses, by function.
//! It travels to the device because it is needed in the field, crisis contacts above all.

use super::code::coded_enum;
use super::ids::AgencyId;
use serde::{Deserialize, Serialize};

coded_enum!(
    /// The five functions of a community life support hub (地域生活支援拠点).
    HubFunction {
        /// 相談 — consultation.
        Consultation = "consultation",
        /// 緊急時の受入れ・対応 — emergency acceptance and response.
        Emergency = "emergency",
        /// 専門的人材の確保・養成 — securing and training specialists.
        Specialists = "specialists",
        /// 体験の機会・場 — opportunities and places to try living independently.
        Experience = "experience",
        /// 地域の体制づくり — building the local support system.
        CommunityBuilding = "community_building",
    }
);

impl HubFunction {
    /// Whether the function holds crisis contacts, shown first when a case is at high risk.
    pub fn is_crisis(self) -> bool {
        self == HubFunction::Emergency
    }
}

/// A cooperating business registered under one hub function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    /// The business.
    pub business: AgencyId,
    /// Its name.
    pub name: String,
    /// The hub it is registered with.
    pub hub: AgencyId,
    /// The function it is registered under.
    pub function: HubFunction,
    /// Telephone number to call.
    pub phone: String,
}
