//! Validation errors that a user can read: each names the field and what is wrong with it.
//! The interface turns them into sentences in the user's language.

use serde::{Deserialize, Serialize};

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    /// The field must be filled in.
    Required,
    /// The text is longer than allowed.
    TooLong {
        /// The limit, in characters.
        max: usize,
    },
    /// The text is shorter than allowed.
    TooShort {
        /// The minimum, in characters.
        min: usize,
    },
    /// The passphrase is too easy to guess.
    TooWeak,
    /// The value is not one of the allowed choices.
    UnknownChoice,
    /// A time window ends before it starts.
    EndsBeforeStart,
    /// The value is not the right one (a current passphrase that is not the account's).
    Wrong,
    /// A new value is the same as the one it replaces.
    Unchanged,
    /// A value typed twice to confirm it differs between the two.
    Mismatch,
    /// A login name with other characters than lower-case letters, digits, `.`, `-` and `_`,
    /// or not starting with a letter.
    LoginFormat,
    /// Someone else has it already (a login name).
    Taken,
    /// The text holds control characters (other than line breaks and tabs), which no database
    /// keeps faithfully and nobody types.
    ControlCharacter,
    /// Not a telephone number that can be dialled (digits, with hyphens, spaces or parentheses).
    PhoneFormat,
}

/// A problem with a named field of a form or a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// A stable field name (the form's `name`), so the interface can show the message beside it.
    pub field: String,
    /// What is wrong.
    pub problem: Problem,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self {
            field: field.into(),
            problem,
        }
    }
}

/// Checks a required free-text field: trims it, refuses it empty or longer than `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    optional_text(field, value, max)
}

/// Checks an optional free-text field: trims it, refuses it longer than `max` characters or
/// holding control characters.
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(FieldError::new(field, Problem::TooLong { max }));
    }
    if has_control_characters(value) {
        return Err(FieldError::new(field, Problem::ControlCharacter));
    }
    Ok(value.to_owned())
}

/// Whether text holds a control character other than a line break or a tab (a NUL, an escape).
pub fn has_control_characters(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_required_text_is_refused() {
        assert_eq!(
            required_text("mental_state", "  \n ", 10),
            Err(FieldError::new("mental_state", Problem::Required))
        );
    }

    #[test]
    fn control_characters_are_refused_but_line_breaks_kept() {
        assert_eq!(
            optional_text("free_text", "ok\u{0}", 100),
            Err(FieldError::new("free_text", Problem::ControlCharacter))
        );
        assert_eq!(
            required_text("f", "一行目\n\t二行目", 100).as_deref(),
            Ok("一行目\n\t二行目")
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // Ten Japanese characters are thirty bytes in UTF-8 but fit a ten-character limit.
        assert_eq!(
            required_text("f", "あいうえおかきくけこ", 10).as_deref(),
            Ok("あいうえおかきくけこ")
        );
        assert_eq!(
            optional_text("f", "あいうえおかきくけこさ", 10),
            Err(FieldError::new("f", Problem::TooLong { max: 10 }))
        );
    }
}
