//! The two languages of the interface.

use serde::{Deserialize, Serialize};

/// The language the interface speaks: Japanese unless the user asks for English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    /// 日本語, the default.
    #[default]
    Ja,
    /// English, on request.
    En,
}

impl Lang {
    /// The BCP 47 tag, as used in `<html lang>` and in the remembered choice.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// Reads a remembered choice; anything unknown falls back to Japanese.
    pub fn from_tag(tag: &str) -> Self {
        match tag.trim() {
            "en" => Lang::En,
            _ => Lang::Ja,
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Self {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_or_missing_choice_means_japanese() {
        assert_eq!(Lang::from_tag("fr"), Lang::Ja);
        assert_eq!(Lang::from_tag(""), Lang::Ja);
        assert_eq!(Lang::from_tag("en"), Lang::En);
        assert_eq!(Lang::from_tag(Lang::En.tag()), Lang::En);
    }
}
