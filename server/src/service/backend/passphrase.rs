//! Changing one's own passphrase: the current one proves it is the person (a wrong one counts
//! as a failed sign-in, so this is no way around the pause), the new one follows the sign-in
//! rule, and the person's other sessions end with the old passphrase.

use super::super::audit::{self, Action, Event};
use super::super::auth;
use super::{OrInternal, Service, Tried};
use app::api::{AppError, Viewer};
use app::domain::{signin, FieldError, Problem};

/// Changes `viewer`'s passphrase from `current` to `new`; their sessions but `token` end.
pub async fn change(
    service: &Service,
    viewer: &Viewer,
    token: &str,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let db = service.db();
    let staff = viewer.id.to_string();
    let found: Option<(String, String)> =
        sqlx::query_as("SELECT login, password_hash FROM staff WHERE id = $1 AND NOT disabled")
            .bind(&staff)
            .fetch_optional(db)
            .await
            .or_internal("reading an account")?;
    let (login, hash) = found.ok_or(AppError::Unauthenticated)?;
    let problems = signin::check_change(&login, current, new);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let refused = match service.try_passphrase(&login, Some(hash), current).await? {
        Tried::Right(hash) => Ok(hash),
        Tried::Wrong => Err(AppError::Invalid(vec![FieldError::new(
            "current",
            Problem::Wrong,
        )])),
        Tried::Paused(wait) => Err(super::paused(wait)),
    };
    let hash = match refused {
        Ok(hash) => hash,
        Err(refusal) => {
            service
                .audit_alone(Some(viewer), Action::LoginFailed)
                .await?;
            return Err(refusal);
        }
    };
    let new_hash = auth::hash_passphrase(login.clone(), new.to_owned())
        .await
        .or_internal("hashing a passphrase")?;
    // The slow hashing above is done before taking the writers' turn.
    let _turn = service.write_turn().await;
    let mut tx = super::super::writes::begin(db)
        .await
        .or_internal("starting a passphrase change")?;
    // Only over the hash just checked: two changes at once cannot both win from the same
    // current passphrase.
    let changed = sqlx::query(
        "UPDATE staff SET password_hash = $1, passphrase_issued_at = NULL \
         WHERE id = $2 AND password_hash = $3 AND NOT disabled",
    )
    .bind(&new_hash)
    .bind(&staff)
    .bind(&hash)
    .execute(&mut *tx)
    .await
    .or_internal("storing a passphrase")?;
    if changed.rows_affected() != 1 {
        return Err(AppError::Invalid(vec![FieldError::new(
            "current",
            Problem::Wrong,
        )]));
    }
    auth::end_sessions(&mut tx, &staff, Some(token))
        .await
        .or_internal("ending other sessions")?;
    audit::record(
        &mut tx,
        Event {
            actor: Some(viewer),
            action: Action::ChangePassphrase,
            case_id: None,
            record_id: None,
        },
    )
    .await
    .or_internal("auditing a passphrase change")?;
    tx.commit()
        .await
        .or_internal("committing a passphrase change")?;
    auth::clear_failures(db, &login)
        .await
        .or_internal("clearing sign-in failures")
}
