//! A business's listing in the hubs' directory as the administrator keeps it: its name, the hub
//! it is registered with, the functions it is registered under, what it offers, when it can be
//! reached and the number to call. Checked the same way in the browser and on the server.

use super::directory::HubFunction;
use super::error::{optional_text, required_text, FieldError, Problem};
use super::ids::AgencyId;
use serde::{Deserialize, Serialize};

/// The longest business name.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest description of what a business offers.
pub const MAX_OFFERS_CHARS: usize = 500;
/// The longest description of when it can be reached.
pub const MAX_HOURS_CHARS: usize = 100;

/// A listing as the administrator writes it: a new business (no `business` yet) or the listing
/// of a business under the hub it had (`listed_under`), which the edit may move to another hub.
/// Every function chosen gets the same number, hours and offer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingEdit {
    /// The business; none for a new one.
    #[serde(default)]
    pub business: Option<AgencyId>,
    /// The hub it was listed under when the edit began; none for a new listing.
    #[serde(default)]
    pub listed_under: Option<AgencyId>,
    /// Its name, as registered.
    pub name: String,
    /// The hub it is registered with.
    #[serde(default)]
    pub hub: Option<AgencyId>,
    /// The functions it is registered under, at least one.
    #[serde(default)]
    pub functions: Vec<HubFunction>,
    /// What it offers, in a sentence.
    #[serde(default)]
    pub offers: String,
    /// When it can be reached.
    #[serde(default)]
    pub hours: String,
    /// The number to call.
    pub phone: String,
}

impl ListingEdit {
    /// The listing as it is to be kept (texts trimmed, functions in order and once each), or
    /// every problem with it, field by field: a name, a hub, a function, a telephone number.
    pub fn checked(self) -> Result<ListingEdit, Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut keep = |result: Result<String, FieldError>| {
            result.unwrap_or_else(|e| {
                problems.push(e);
                String::new()
            })
        };
        let name = keep(required_text("name", &self.name, MAX_NAME_CHARS));
        let offers = keep(optional_text("offers", &self.offers, MAX_OFFERS_CHARS));
        let hours = keep(optional_text("hours", &self.hours, MAX_HOURS_CHARS));
        let phone = keep(phone_number("phone", &self.phone));
        if self.hub.is_none() {
            problems.push(FieldError::new("hub", Problem::Required));
        }
        let mut functions = self.functions;
        functions.sort();
        functions.dedup();
        if functions.is_empty() {
            problems.push(FieldError::new("functions", Problem::Required));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ListingEdit {
            name,
            offers,
            hours,
            phone,
            functions,
            ..self
        })
    }
}

/// A telephone number someone can dial from a phone: digits, with hyphens, spaces or
/// parentheses between them and an optional leading `+`; 3 digits (a short number such as 119)
/// to 15 (the longest international number).
pub fn phone_number(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    let body = value.strip_prefix('+').unwrap_or(value);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    let well_formed = body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '(' | ')'))
        && body.starts_with(|c: char| c.is_ascii_digit() || c == '(')
        && body.ends_with(|c: char| c.is_ascii_digit())
        && (3..=15).contains(&digits);
    if well_formed {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(field, Problem::PhoneFormat))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn listing() -> ListingEdit {
        ListingEdit {
            name: " 短期入所 あおば ".into(),
            hub: Some(AgencyId(Uuid::from_u128(1))),
            functions: vec![
                HubFunction::Experience,
                HubFunction::Emergency,
                HubFunction::Experience,
            ],
            offers: "緊急の短期入所".into(),
            hours: "24時間".into(),
            phone: "042-600-0000".into(),
            ..Default::default()
        }
    }

    fn fields(problems: Vec<FieldError>) -> Vec<(String, Problem)> {
        problems.into_iter().map(|e| (e.field, e.problem)).collect()
    }

    #[test]
    fn a_listing_is_kept_trimmed_with_each_function_once() {
        let kept = listing().checked().unwrap();
        assert_eq!(kept.name, "短期入所 あおば");
        assert_eq!(
            kept.functions,
            [HubFunction::Emergency, HubFunction::Experience]
        );
    }

    #[test]
    fn no_name_no_hub_no_function_and_a_bad_number_are_each_said_on_their_field() {
        let bad = ListingEdit {
            name: "  ".into(),
            hub: None,
            functions: vec![],
            phone: "電話して".into(),
            ..listing()
        };
        assert_eq!(
            fields(bad.checked().unwrap_err()),
            [
                ("name".into(), Problem::Required),
                ("phone".into(), Problem::PhoneFormat),
                ("hub".into(), Problem::Required),
                ("functions".into(), Problem::Required),
            ]
        );
        let long = ListingEdit {
            offers: "あ".repeat(MAX_OFFERS_CHARS + 1),
            ..listing()
        };
        assert_eq!(
            fields(long.checked().unwrap_err()),
            [(
                "offers".into(),
                Problem::TooLong {
                    max: MAX_OFFERS_CHARS
                }
            )]
        );
    }

    #[test]
    fn a_number_is_digits_with_separators_between_three_and_fifteen_of_them() {
        for good in [
            "042-600-0000",
            "119",
            "(042) 600 0000",
            "+81-42-600-0000",
            "0426000000",
        ] {
            assert_eq!(phone_number("phone", good).as_deref(), Ok(good), "{good}");
        }
        for bad in [
            "12",
            "042-600-000a",
            "042--",
            "-042-600-0000",
            "1234567890123456",
            "+",
            "tel:119",
        ] {
            assert_eq!(
                phone_number("phone", bad),
                Err(FieldError::new("phone", Problem::PhoneFormat)),
                "{bad}"
            );
        }
        assert_eq!(
            phone_number("phone", " "),
            Err(FieldError::new("phone", Problem::Required))
        );
    }
}
