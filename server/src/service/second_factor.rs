//! The second factor as stored: setting it up (a secret, confirmed by a first code, with
//! recovery codes shown once) and checking it at sign-in (a TOTP code good once, or an unused
//! recovery code).

use super::Pool;
use crate::db::Stamp;
use crate::totp;
use anyhow::Context;
use app::api::AppError;

/// What a sign-in's code came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The user has no second factor.
    NotSetUp,
    /// None was typed, and one is needed.
    Needed,
    /// A good code (or recovery code), now used up.
    Passed,
    /// A wrong, stale or reused code.
    Failed,
}

impl Check {
    /// What the check means for the request that carried the code: go on, or the error to
    /// answer with.
    pub fn verdict(self) -> Result<(), AppError> {
        match self {
            Check::NotSetUp | Check::Passed => Ok(()),
            Check::Needed => Err(AppError::SecondFactorNeeded),
            Check::Failed => Err(AppError::BadSecondFactor),
        }
    }
}

/// Checks `typed` for `staff_id` at `now` (Unix seconds).
pub async fn check(
    db: &Pool,
    staff_id: &str,
    typed: Option<&str>,
    now: i64,
) -> anyhow::Result<Check> {
    let held: Option<(String, i64)> = sqlx::query_as(
        "SELECT secret, last_step FROM second_factors WHERE staff_id = $1 AND secret IS NOT NULL",
    )
    .bind(staff_id)
    .fetch_optional(db)
    .await
    .context("reading a second factor")?;
    let Some((secret, last_step)) = held else {
        return Ok(Check::NotSetUp);
    };
    let Some(typed) = typed.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Check::Needed);
    };
    let secret = totp::secret_bytes(&secret).context("a stored secret")?;
    if let Some(step) = totp::matching_step(&secret, typed, totp::step_of(now), last_step) {
        // Only the first sign-in with this code moves the step on; a replay finds it moved.
        let moved = super::writes::alone(
            db,
            sqlx::query(
                "UPDATE second_factors SET last_step = $1 WHERE staff_id = $2 AND last_step < $3",
            )
            .bind(step)
            .bind(staff_id)
            .bind(step),
        )
        .await
        .context("using a code")?;
        return Ok(if moved.rows_affected() == 1 {
            Check::Passed
        } else {
            Check::Failed
        });
    }
    let used = super::writes::alone(db, sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE staff_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(Stamp::now())
    .bind(staff_id)
    .bind(totp::recovery_hash(typed))
    )
    .await
    .context("using a recovery code")?;
    Ok(if used.rows_affected() == 1 {
        Check::Passed
    } else {
        Check::Failed
    })
}

/// Starts setting up a second factor: a new secret, waiting beside the one in force (if any)
/// until confirmed. Returns it (base32).
pub async fn start(db: &Pool, staff_id: &str) -> anyhow::Result<String> {
    let secret = totp::new_secret();
    super::writes::alone(
        db,
        sqlx::query(
            "INSERT INTO second_factors (staff_id, pending_secret) VALUES ($1, $2) \
         ON CONFLICT (staff_id) DO UPDATE SET pending_secret = excluded.pending_secret",
        )
        .bind(staff_id)
        .bind(&secret),
    )
    .await
    .context("starting a second factor")?;
    Ok(secret)
}

/// Puts the secret being set up in force once `typed` is a code from it, with new recovery
/// codes (returned, to show once; the old ones stop working). `None` when the code is wrong or
/// nothing is being set up.
pub async fn confirm(
    db: &Pool,
    staff_id: &str,
    typed: &str,
    now: i64,
) -> anyhow::Result<Option<Vec<String>>> {
    let pending: Option<(String,)> = sqlx::query_as(
        "SELECT pending_secret FROM second_factors WHERE staff_id = $1 AND pending_secret IS NOT NULL",
    )
    .bind(staff_id)
    .fetch_optional(db)
    .await
    .context("reading a second factor being set up")?;
    let Some((secret,)) = pending else {
        return Ok(None);
    };
    let bytes = totp::secret_bytes(&secret).context("a stored secret")?;
    let Some(step) = totp::matching_step(&bytes, typed, totp::step_of(now), 0) else {
        return Ok(None);
    };
    let codes = totp::new_recovery_codes();
    let mut tx = super::writes::begin(db)
        .await
        .context("confirming a second factor")?;
    sqlx::query(
        "UPDATE second_factors SET secret = pending_secret, pending_secret = NULL, confirmed_at = $1, \
         last_step = $2 WHERE staff_id = $3",
    )
        .bind(Stamp::now())
        .bind(step)
        .bind(staff_id)
        .execute(&mut *tx)
        .await
        .context("confirming a second factor")?;
    sqlx::query("DELETE FROM recovery_codes WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut *tx)
        .await
        .context("replacing recovery codes")?;
    for code in &codes {
        sqlx::query("INSERT INTO recovery_codes (staff_id, code_hash) VALUES ($1, $2)")
            .bind(staff_id)
            .bind(totp::recovery_hash(code))
            .execute(&mut *tx)
            .await
            .context("storing a recovery code")?;
    }
    tx.commit().await.context("confirming a second factor")?;
    Ok(Some(codes))
}

/// Whether the user has a second factor in force.
pub async fn in_force(db: &Pool, staff_id: &str) -> anyhow::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM second_factors WHERE staff_id = $1 AND secret IS NOT NULL)",
    )
    .bind(staff_id)
    .fetch_one(db)
    .await
    .context("reading a second factor")
}
