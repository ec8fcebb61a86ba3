//! Passwords (argon2id) and server-side sessions.
//!
//! The browser holds a random session token in an HttpOnly cookie; the database holds only its
//! SHA-256, with an idle expiry that slides on use and an absolute expiry that does not.

use super::{Conn, Pool};
use crate::db::Stamp;
use anyhow::Context;
use app::domain::signin::pause_after;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use std::time::Duration;

/// Hashes `login`'s new passphrase with argon2id and a random salt, after checking it against
/// the passphrase rule (at least 12 characters, not the login, not one character repeated).
/// Off the async threads, like [`verify_password`]: argon2 is slow on purpose.
pub async fn hash_passphrase(login: String, passphrase: String) -> anyhow::Result<String> {
    app::domain::signin::check_passphrase("password", &login, &passphrase)
        .map_err(|e| anyhow::anyhow!("a passphrase for {login} is refused: {:?}", e.problem))?;
    tokio::task::spawn_blocking(move || hash_password(&passphrase))
        .await
        .context("joining the hashing")?
}

/// A passphrase an administrator issues (a new account's first one, or one for a forgotten
/// one): 80 random bits as four groups of four base32
/// characters, lower case (`abcd-efgh-ijkl-mnop`), to be read out or copied once.
pub fn new_issued_passphrase() -> String {
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let text = data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase();
    text.as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Hashes a password with argon2id and a random salt.
fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Checks a password against a stored hash. Off the async threads: argon2 is slow on purpose.
pub async fn verify_password(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        // An unknown login is checked against a fixed hash so that it takes as long as a known
        // one: timing must not tell which logins exist.
        let hash = match hash {
            Some(h) => h,
            None => dummy_hash().to_owned(),
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .context("joining the password check")?
}

fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

/// The stored form of a session token.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a session for a staff member and returns its secret token (256 random bits), if the
/// account still has the passphrase hash `checked` and is enabled: a sign-in checked just
/// before a change of passphrase (or a disabling) commits opens nothing after it.
pub async fn open_session(
    db: &Pool,
    staff_id: &str,
    checked: &str,
    idle: Duration,
    max: Duration,
) -> anyhow::Result<Option<String>> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = Utc::now();
    let opened = super::writes::alone(db, sqlx::query(
        "INSERT INTO sessions (token_hash, staff_id, created_at, last_seen_at, idle_expires_at, expires_at)
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (
           SELECT 1 FROM staff WHERE id = $7 AND password_hash = $8 AND NOT disabled)",
    )
    .bind(token_hash(&token))
    .bind(staff_id)
    .bind(Stamp::from(now))
    .bind(Stamp::from(now))
    .bind(Stamp::from(now + idle))
    .bind(Stamp::from(now + max))
    .bind(staff_id)
    .bind(checked)
    )
    .await
    .context("opening a session")?;
    Ok((opened.rows_affected() == 1).then_some(token))
}

/// How often a session's idle expiry is moved on.
const SLIDE_EVERY: Duration = Duration::from_secs(60);

/// Whether a stored time lies within `span` before now.
fn seen_within(at: Stamp, span: Duration) -> bool {
    (Utc::now() - at.time())
        .to_std()
        .is_ok_and(|age| age < span)
}

/// The staff id of a live session, sliding its idle expiry. Expired sessions of this token are
/// deleted on the way.
pub async fn session_staff(
    db: &Pool,
    token: &str,
    idle: Duration,
) -> anyhow::Result<Option<String>> {
    let hash = token_hash(token);
    let now = Stamp::now();
    let staff: Option<(String, Stamp)> = sqlx::query_as(
        "SELECT s.staff_id, s.last_seen_at FROM sessions s JOIN staff ON staff.id = s.staff_id
         WHERE s.token_hash = $1 AND s.idle_expires_at > $2 AND s.expires_at > $3 AND NOT staff.disabled",
    )
    .bind(&hash)
    .bind(now)
    .bind(now)
    .fetch_optional(db)
    .await
    .context("reading a session")?;
    match staff {
        // The idle expiry slides at most once a minute, so a device syncing in a burst does not
        // write on every request.
        Some((staff_id, last_seen)) if !seen_within(last_seen, SLIDE_EVERY) => {
            super::writes::alone(db, sqlx::query(
                "UPDATE sessions SET last_seen_at = $1, idle_expires_at = $2 WHERE token_hash = $3",
            )
            .bind(now)
            .bind(Stamp::from(Utc::now() + idle))
            .bind(&hash)
            )
            .await
            .context("extending a session")?;
            Ok(Some(staff_id))
        }
        Some((staff_id, _)) => Ok(Some(staff_id)),
        None => {
            close_session(db, token).await?;
            Ok(None)
        }
    }
}

/// How long sign-in for `login` stays paused, if it is paused now.
pub async fn paused_for(db: &Pool, login: &str) -> anyhow::Result<Option<Duration>> {
    let until: Option<Option<Stamp>> =
        sqlx::query_scalar("SELECT paused_until FROM login_failures WHERE login = $1")
            .bind(login)
            .fetch_optional(db)
            .await
            .context("reading sign-in failures")?;
    Ok(until
        .flatten()
        .and_then(|t| (t.time() - Utc::now()).to_std().ok()))
}

/// Counts one more failed sign-in for `login` and returns the pause it starts, if any
/// ([`app::domain::signin::pause_after`]).
pub async fn count_failure(db: &Pool, login: &str) -> anyhow::Result<Option<Duration>> {
    let mut tx = super::writes::begin(db).await?;
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO login_failures (login, failures) VALUES ($1, 1)
         ON CONFLICT(login) DO UPDATE SET failures = login_failures.failures + 1
         RETURNING failures",
    )
    .bind(login)
    .fetch_one(&mut *tx)
    .await
    .context("counting a failed sign-in")?;
    let pause = pause_after(u32::try_from(failures).unwrap_or(u32::MAX));
    if let Some(pause) = pause {
        sqlx::query("UPDATE login_failures SET paused_until = $1 WHERE login = $2")
            .bind(Stamp::from(Utc::now() + pause))
            .bind(login)
            .execute(&mut *tx)
            .await
            .context("pausing a login")?;
    }
    tx.commit().await.context("counting a failed sign-in")?;
    Ok(pause)
}

/// Forgets the failures of `login` after a successful sign-in.
pub async fn clear_failures(db: &Pool, login: &str) -> anyhow::Result<()> {
    super::writes::alone(
        db,
        sqlx::query("DELETE FROM login_failures WHERE login = $1").bind(login),
    )
    .await
    .context("clearing sign-in failures")?;
    Ok(())
}

/// Ends a session.
pub async fn close_session(db: &Pool, token: &str) -> anyhow::Result<()> {
    super::writes::alone(
        db,
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash(token)),
    )
    .await
    .context("closing a session")?;
    Ok(())
}

/// Ends every session of `staff_id` but the one of `keep` (the token of the request that
/// asks, if any), on the caller's transaction.
pub async fn end_sessions(
    conn: &mut Conn,
    staff_id: &str,
    keep: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE staff_id = $1 AND token_hash IS DISTINCT FROM $2")
        .bind(staff_id)
        .bind(keep.map(token_hash))
        .execute(conn)
        .await
        .context("ending sessions")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong horse battery".into(), Some(hash))
            .await
            .unwrap());
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_weak_passphrase_is_never_stored() {
        let hash = |passphrase: &str| hash_passphrase("nurse.sato".into(), passphrase.into());
        for weak in ["short pass", "nurse.sato", "aaaaaaaaaaaaaaaa"] {
            assert!(hash(weak).await.is_err(), "{weak}");
        }
        assert!(hash("坂の上の団地へ自転車で行く")
            .await
            .unwrap()
            .starts_with("$argon2id$"));
    }

    #[test]
    fn issued_passphrases_are_random_and_acceptable() {
        let made: std::collections::HashSet<String> =
            (0..50).map(|_| new_issued_passphrase()).collect();
        assert_eq!(made.len(), 50);
        for passphrase in &made {
            assert_eq!(passphrase.len(), 19, "{passphrase}");
            assert_eq!(passphrase.matches('-').count(), 3, "{passphrase}");
            app::domain::signin::check_passphrase("new", "nurse.nakamura", passphrase).unwrap();
        }
    }

    #[test]
    fn tokens_are_stored_hashed() {
        let hash = token_hash("abc");
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, "abc");
    }
}
