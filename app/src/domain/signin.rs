//! Sign-in rules shared by the server and the device: what makes an acceptable passphrase, and
//! how long a login is paused after repeated failures.

use super::error::{FieldError, Problem};
use std::time::Duration;

/// The shortest passphrase accepted, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// The longest passphrase accepted, in characters (argon2 hashes anything, but a limit keeps a
/// request from making the server hash megabytes).
pub const MAX_PASSPHRASE_CHARS: usize = 256;
/// Failures in a row that a login may have before it is paused.
pub const FREE_FAILURES: u32 = 5;
/// How long the first pause lasts; each further failure doubles it, up to [`LONGEST_PAUSE`].
pub const FIRST_PAUSE: Duration = Duration::from_secs(15 * 60);
/// The longest pause.
pub const LONGEST_PAUSE: Duration = Duration::from_secs(24 * 60 * 60);

/// Checks a new passphrase for `login`: long enough, not too long, not the login itself, and not
/// one character repeated. Reports the problem on the field `field`.
pub fn check_passphrase(field: &str, login: &str, passphrase: &str) -> Result<(), FieldError> {
    let chars = passphrase.chars().count();
    let problem = if chars < MIN_PASSPHRASE_CHARS {
        Some(Problem::TooShort {
            min: MIN_PASSPHRASE_CHARS,
        })
    } else if chars > MAX_PASSPHRASE_CHARS {
        Some(Problem::TooLong {
            max: MAX_PASSPHRASE_CHARS,
        })
    } else if passphrase.trim().eq_ignore_ascii_case(login.trim())
        || passphrase.chars().all(|c| passphrase.starts_with(c))
    {
        Some(Problem::TooWeak)
    } else {
        None
    };
    problem.map_or(Ok(()), |p| Err(FieldError::new(field, p)))
}

/// How long a passphrase issued by an administrator signs in before its owner has changed it.
pub const ISSUED_PASSPHRASE_HOURS: i64 = 72;

/// Whether a passphrase issued at `issued_at` no longer signs in at `now`.
pub fn issued_passphrase_expired(
    issued_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    now - issued_at > chrono::Duration::hours(ISSUED_PASSPHRASE_HOURS)
}

/// Checks a change of `login`'s passphrase as asked: the current one given, the new one
/// acceptable ([`check_passphrase`], on the field `new`) and not the current one. Whether the
/// current one is right only the server can tell.
pub fn check_change(login: &str, current: &str, new: &str) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if current.is_empty() {
        problems.push(FieldError::new("current", Problem::Required));
    }
    match check_passphrase("new", login, new) {
        Err(problem) => problems.push(problem),
        Ok(()) if new == current => problems.push(FieldError::new("new", Problem::Unchanged)),
        Ok(()) => {}
    }
    problems
}

/// Checks a change of passphrase as a form asks for it, the new one typed twice: as
/// [`check_change`] does where the login is unknown (the server compares it), and the two
/// typings the same (on the field `repeat`).
pub fn check_typed_change(current: &str, new: &str, repeat: &str) -> Vec<FieldError> {
    let mut problems = check_change("", current, new);
    if repeat != new {
        problems.push(FieldError::new("repeat", Problem::Mismatch));
    }
    problems
}

/// How long a login is paused after `failures` failed sign-ins in a row: not at all for the
/// first [`FREE_FAILURES`], then [`FIRST_PAUSE`], doubling with each further failure.
pub fn pause_after(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_FAILURES)?;
    let pause = FIRST_PAUSE.saturating_mul(1u32.checked_shl(over).unwrap_or(u32::MAX));
    Some(pause.min(LONGEST_PAUSE))
}

/// Whole minutes, rounded up, for telling someone how long to wait.
pub fn minutes_to_wait(wait: Duration) -> u32 {
    u32::try_from(wait.as_secs().div_ceil(60)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passphrase_needs_twelve_characters_counted_as_characters() {
        assert_eq!(
            check_passphrase("new", "nurse.sato", "short-one")
                .unwrap_err()
                .problem,
            Problem::TooShort { min: 12 }
        );
        // Twelve Japanese characters are twelve, however many bytes they take.
        assert!(check_passphrase("new", "nurse.sato", "あおぞらのしたでさんぽする").is_ok());
        assert!(check_passphrase("new", "nurse.sato", "correct horse battery").is_ok());
    }

    #[test]
    fn the_login_itself_or_one_repeated_character_is_refused() {
        for weak in ["nurse.sato.x", "aaaaaaaaaaaaaaaa"] {
            let login = weak.trim_end_matches(".x").to_owned() + ".x";
            let err = check_passphrase("new", &login, weak).unwrap_err();
            assert_eq!(err.problem, Problem::TooWeak, "{weak}");
            assert_eq!(err.field, "new");
        }
        assert!(matches!(
            check_passphrase("new", "a", &"x".repeat(300))
                .unwrap_err()
                .problem,
            Problem::TooLong { max: 256 }
        ));
    }

    #[test]
    fn a_change_needs_the_current_passphrase_and_a_new_acceptable_different_one() {
        let problems = |current, new| {
            check_change("nurse.sato", current, new)
                .into_iter()
                .map(|e| (e.field, e.problem))
                .collect::<Vec<_>>()
        };
        assert_eq!(problems("old passphrase", "a new passphrase"), vec![]);
        assert_eq!(
            problems("", "a new passphrase"),
            vec![("current".to_owned(), Problem::Required)]
        );
        assert_eq!(
            problems("same passphrase", "same passphrase"),
            vec![("new".to_owned(), Problem::Unchanged)]
        );
        assert_eq!(
            problems("", "nurse.sato"),
            vec![
                ("current".to_owned(), Problem::Required),
                ("new".to_owned(), Problem::TooShort { min: 12 })
            ]
        );
    }

    #[test]
    fn an_issued_passphrase_signs_in_for_three_days() {
        let issued = chrono::Utc::now();
        assert!(!issued_passphrase_expired(
            issued,
            issued + chrono::Duration::hours(72)
        ));
        assert!(issued_passphrase_expired(
            issued,
            issued + chrono::Duration::hours(72) + chrono::Duration::seconds(1)
        ));
    }

    #[test]
    fn pauses_start_after_five_failures_and_double_up_to_a_day() {
        assert_eq!(pause_after(0), None);
        assert_eq!(pause_after(4), None);
        assert_eq!(pause_after(5), Some(Duration::from_secs(15 * 60)));
        assert_eq!(pause_after(6), Some(Duration::from_secs(30 * 60)));
        assert_eq!(pause_after(7), Some(Duration::from_secs(60 * 60)));
        assert_eq!(pause_after(12), Some(LONGEST_PAUSE));
        assert_eq!(pause_after(u32::MAX), Some(LONGEST_PAUSE));
        assert_eq!(minutes_to_wait(Duration::from_secs(61)), 2);
    }
}
