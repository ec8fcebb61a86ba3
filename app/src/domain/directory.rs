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
    /// What it offers under this function, in a sentence.
    #[serde(default)]
    pub offers: String,
    /// When it can be reached.
    #[serde(default)]
    pub hours: String,
}

/// One business as the directory screen lists it: every function it is registered under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The business.
    pub business: AgencyId,
    /// Its name.
    pub name: String,
    /// Its hub.
    pub hub: AgencyId,
    /// The functions it is registered under, emergency first.
    pub functions: Vec<HubFunction>,
    /// Telephone number to call.
    pub phone: String,
    /// What it offers, one sentence a function.
    pub offers: Vec<String>,
    /// When it can be reached.
    pub hours: String,
}

/// What the directory screen is asked for: a function, a hub, words to find.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryFilter {
    /// Only businesses registered under this function.
    pub function: Option<HubFunction>,
    /// Only businesses of this hub.
    pub hub: Option<AgencyId>,
    /// Words found in the name, what it offers or its hub's name (any case, any order).
    pub words: String,
}

/// The businesses `filter` asks for, those with an emergency function first, then by name:
/// one listing a business and hub (a business registered with two hubs is listed under each).
/// Where a business has an emergency function, its listing gives the emergency number and
/// hours. `hub_name` names a hub, so that words can find a business by where it is.
pub fn listings(
    entries: &[DirectoryEntry],
    filter: &DirectoryFilter,
    hub_name: impl Fn(AgencyId) -> String,
) -> Vec<Listing> {
    let mut by_business: Vec<Listing> = Vec::new();
    for entry in entries {
        let listing = match by_business
            .iter_mut()
            .find(|l| l.business == entry.business && l.hub == entry.hub)
        {
            Some(listing) => listing,
            None => {
                by_business.push(Listing {
                    business: entry.business,
                    name: entry.name.clone(),
                    hub: entry.hub,
                    functions: Vec::new(),
                    phone: entry.phone.clone(),
                    offers: Vec::new(),
                    hours: entry.hours.clone(),
                });
                by_business.last_mut().expect("just pushed")
            }
        };
        if entry.function.is_crisis() && !listing.functions.iter().any(|f| f.is_crisis()) {
            listing.phone = entry.phone.clone();
            listing.hours = entry.hours.clone();
        }
        listing.functions.push(entry.function);
        if !entry.offers.is_empty() && !listing.offers.contains(&entry.offers) {
            listing.offers.push(entry.offers.clone());
        }
    }
    let words: Vec<String> = filter
        .words
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let mut shown: Vec<Listing> = by_business
        .into_iter()
        .filter(|l| filter.function.is_none_or(|f| l.functions.contains(&f)))
        .filter(|l| filter.hub.is_none_or(|h| l.hub == h))
        .filter(|l| {
            let text =
                format!("{} {} {}", l.name, l.offers.join(" "), hub_name(l.hub)).to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .map(|mut l| {
            l.functions.sort_by_key(|f| (!f.is_crisis(), *f));
            l
        })
        .collect();
    shown.sort_by(|a, b| {
        let crisis = |l: &Listing| !l.functions.iter().any(|f| f.is_crisis());
        (crisis(a), &a.name).cmp(&(crisis(b), &b.name))
    });
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn entry(
        business: u128,
        name: &str,
        hub: u128,
        function: HubFunction,
        offers: &str,
    ) -> DirectoryEntry {
        DirectoryEntry {
            business: AgencyId(Uuid::from_u128(business)),
            name: name.into(),
            hub: AgencyId(Uuid::from_u128(hub)),
            function,
            phone: "042-600-0000".into(),
            offers: offers.into(),
            hours: "平日 9:00–17:00".into(),
        }
    }

    fn directory() -> Vec<DirectoryEntry> {
        vec![
            entry(
                1,
                "相談支援事業所 ひだまり",
                10,
                HubFunction::Consultation,
                "電話・来所の相談",
            ),
            entry(
                2,
                "短期入所 あおば",
                11,
                HubFunction::Emergency,
                "緊急の短期入所（空床一床）",
            ),
            entry(
                3,
                "グループホーム けやき",
                10,
                HubFunction::Experience,
                "一人暮らしの体験室",
            ),
            entry(
                3,
                "グループホーム けやき",
                10,
                HubFunction::Emergency,
                "夜間の緊急受入れ",
            ),
        ]
    }

    fn names(list: &[Listing]) -> Vec<&str> {
        list.iter().map(|l| l.name.as_str()).collect()
    }

    fn hub_name(hub: AgencyId) -> String {
        if hub == AgencyId(Uuid::from_u128(10)) {
            "北部拠点".into()
        } else {
            "南部拠点".into()
        }
    }

    #[test]
    fn one_line_a_business_with_every_function_and_the_emergency_ones_first() {
        let list = listings(&directory(), &DirectoryFilter::default(), hub_name);
        assert_eq!(
            names(&list),
            [
                "グループホーム けやき",
                "短期入所 あおば",
                "相談支援事業所 ひだまり"
            ]
        );
        assert_eq!(
            list[0].functions,
            [HubFunction::Emergency, HubFunction::Experience]
        );
        assert_eq!(list[0].offers.len(), 2);
    }

    #[test]
    fn an_emergency_number_is_the_one_given_and_each_hub_lists_its_own() {
        let mut weekday = entry(4, "相談室 きずな", 10, HubFunction::Consultation, "相談");
        weekday.phone = "042-600-1111".into();
        let mut night = entry(
            4,
            "相談室 きずな",
            10,
            HubFunction::Emergency,
            "夜間の受入れ",
        );
        (night.phone, night.hours) = ("042-600-9999".into(), "24時間".into());
        let other_hub = entry(4, "相談室 きずな", 11, HubFunction::Consultation, "相談");
        let all = [weekday, night, other_hub];
        let list = listings(&all, &DirectoryFilter::default(), hub_name);
        assert_eq!(list.len(), 2, "one listing a hub");
        let north = &list[0];
        assert_eq!(
            north.hub,
            AgencyId(Uuid::from_u128(10)),
            "the emergency one first"
        );
        assert_eq!(
            (north.phone.as_str(), north.hours.as_str()),
            ("042-600-9999", "24時間")
        );
        let south = DirectoryFilter {
            hub: Some(AgencyId(Uuid::from_u128(11))),
            ..Default::default()
        };
        assert_eq!(
            listings(&all, &south, hub_name).len(),
            1,
            "found under its other hub"
        );
    }

    #[test]
    fn a_function_a_hub_and_words_narrow_the_list() {
        let experience = DirectoryFilter {
            function: Some(HubFunction::Experience),
            ..Default::default()
        };
        assert_eq!(
            names(&listings(&directory(), &experience, hub_name)),
            ["グループホーム けやき"]
        );
        let north = DirectoryFilter {
            hub: Some(AgencyId(Uuid::from_u128(10))),
            ..Default::default()
        };
        assert_eq!(listings(&directory(), &north, hub_name).len(), 2);
        let words = DirectoryFilter {
            words: "短期入所  空床".into(),
            ..Default::default()
        };
        assert_eq!(
            names(&listings(&directory(), &words, hub_name)),
            ["短期入所 あおば"]
        );
        let by_hub = DirectoryFilter {
            words: "南部".into(),
            ..Default::default()
        };
        assert_eq!(
            names(&listings(&directory(), &by_hub, hub_name)),
            ["短期入所 あおば"]
        );
        let nothing = DirectoryFilter {
            words: "歯科".into(),
            ..Default::default()
        };
        assert!(listings(&directory(), &nothing, hub_name).is_empty());
    }
}
