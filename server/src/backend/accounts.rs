//! Staff accounts as their administrator manages them: who has which role and devices, whether
//! the account is in use, and a second factor reset when an authenticator is lost. Only
//! administrators, who never read case data through this path; every change is audited in
//! its own transaction.

use super::indicators::devices;
use super::OrInternal;
use crate::audit::{self, Action, Event};
use crate::auth;
use app::api::{AppError, StaffAccount, Viewer};
use app::domain::access::{manages_accounts, may_change_account};
use app::domain::{Role, StaffId};
use sqlx::SqlitePool;
use std::collections::HashMap;

fn admin_only(viewer: &Viewer) -> Result<(), AppError> {
    if manages_accounts(viewer.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The account an administrator acts on ([`may_change_account`]); an id that is no staff id
/// names nobody.
fn other_account(viewer: &Viewer, staff: &str) -> Result<String, AppError> {
    admin_only(viewer)?;
    let staff: StaffId = staff.parse().map_err(|_| AppError::NotFound)?;
    if !may_change_account(viewer.role, viewer.id, staff) {
        return Err(AppError::Forbidden);
    }
    Ok(staff.to_string())
}

/// Inside the change's transaction: the administrator's own account is still enabled (two
/// administrators disabling each other at once: the second finds itself disabled), and the
/// account acted on exists, with whether it is disabled.
async fn accounts_now(
    tx: &mut sqlx::SqliteConnection,
    viewer: &Viewer,
    staff: &str,
) -> Result<bool, AppError> {
    let still_admin: Option<(bool,)> =
        sqlx::query_as("SELECT disabled = 0 AND role = ? FROM staff WHERE id = ?")
            .bind(Role::Admin.code())
            .bind(viewer.id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .or_internal("checking the administrator")?;
    if !still_admin.is_some_and(|(yes,)| yes) {
        return Err(AppError::Unauthenticated);
    }
    let found: Option<(bool,)> = sqlx::query_as("SELECT disabled != 0 FROM staff WHERE id = ?")
        .bind(staff)
        .fetch_optional(&mut *tx)
        .await
        .or_internal("finding an account")?;
    found.map(|(disabled,)| disabled).ok_or(AppError::NotFound)
}

/// Every account, by agency then name, each with its devices.
pub async fn list(db: &SqlitePool, viewer: &Viewer) -> Result<Vec<StaffAccount>, AppError> {
    admin_only(viewer)?;
    type AccountRow = (String, String, String, String, String, String, bool, bool);
    let rows: Vec<AccountRow> = sqlx::query_as(
        "SELECT s.id, s.login, s.display_name, s.role, a.name_ja, a.name_en, s.disabled != 0, \
           EXISTS (SELECT 1 FROM second_factors f WHERE f.staff_id = s.id AND f.secret IS NOT NULL) \
         FROM staff s JOIN agencies a ON a.id = s.acts_for_agency_id \
         ORDER BY a.name_ja, s.display_name, s.login",
    )
    .fetch_all(db)
    .await
    .or_internal("listing accounts")?;
    let mut by_staff: HashMap<String, Vec<app::api::DeviceHealth>> = HashMap::new();
    for (staff_id, device) in devices(db, None).await? {
        by_staff.entry(staff_id).or_default().push(device);
    }
    rows.into_iter()
        .map(
            |(id, login, display_name, role, ja, en, disabled, second_factor)| {
                Ok(StaffAccount {
                    devices: by_staff.remove(&id).unwrap_or_default(),
                    id: id.parse()?,
                    login,
                    display_name,
                    role: Role::parse(&role).map_err(|_| anyhow::anyhow!("unknown role"))?,
                    agency: (ja, en),
                    disabled,
                    second_factor,
                })
            },
        )
        .collect::<anyhow::Result<Vec<_>>>()
        .or_internal("reading accounts")
}

/// Disables or enables `staff`. Disabling ends their sessions at once (every request checks
/// the account too); their devices keep what they hold until the account is enabled again.
/// Setting what is already set changes nothing and writes no audit event.
pub async fn set_disabled(
    db: &SqlitePool,
    viewer: &Viewer,
    staff: &str,
    disabled: bool,
) -> Result<(), AppError> {
    let staff = other_account(viewer, staff)?;
    let mut tx = db.begin().await.or_internal("starting an account change")?;
    if accounts_now(&mut tx, viewer, &staff).await? == disabled {
        return Ok(());
    }
    sqlx::query("UPDATE staff SET disabled = ? WHERE id = ?")
        .bind(disabled)
        .bind(&staff)
        .execute(&mut *tx)
        .await
        .or_internal("changing an account")?;
    if disabled {
        auth::end_sessions(&mut tx, &staff)
            .await
            .or_internal("ending sessions")?;
    }
    let action = if disabled {
        Action::DisableAccount
    } else {
        Action::EnableAccount
    };
    audited(&mut tx, viewer, action, staff).await?;
    tx.commit()
        .await
        .or_internal("committing an account change")
}

/// Removes `staff`'s second factor (set up or being set up) and recovery codes, and ends their
/// sessions; they sign in with their password and, where two-step sign-in is required, set it
/// up again before anything else. Nothing to remove writes no audit event.
pub async fn reset_second_factor(
    db: &SqlitePool,
    viewer: &Viewer,
    staff: &str,
) -> Result<(), AppError> {
    let staff = other_account(viewer, staff)?;
    let mut tx = db.begin().await.or_internal("starting a reset")?;
    accounts_now(&mut tx, viewer, &staff).await?;
    // Every open session ends too: one left open (a borrowed office PC, a thief's) could
    // otherwise enrol its own authenticator now that none is in force.
    auth::end_sessions(&mut tx, &staff)
        .await
        .or_internal("ending sessions")?;
    let mut removed = 0;
    for table in ["second_factors", "recovery_codes"] {
        removed += sqlx::query(&format!("DELETE FROM {table} WHERE staff_id = ?"))
            .bind(&staff)
            .execute(&mut *tx)
            .await
            .or_internal("removing a second factor")?
            .rows_affected();
    }
    if removed > 0 {
        audited(&mut tx, viewer, Action::ResetSecondFactor, staff).await?;
    }
    tx.commit().await.or_internal("committing a reset")
}

async fn audited(
    tx: &mut sqlx::SqliteConnection,
    viewer: &Viewer,
    action: Action,
    staff: String,
) -> Result<(), AppError> {
    audit::record(
        tx,
        Event {
            actor: Some(viewer),
            action,
            case_id: None,
            record_id: Some(staff),
        },
    )
    .await
    .or_internal("auditing an account change")
}
