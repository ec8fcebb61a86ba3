//! Staff accounts as their administrator manages them: who has which role and devices, whether
//! the account is in use, and a second factor reset when an authenticator is lost. Only
//! administrators, who never read case data through this path; every change is audited in
//! its own transaction.

use super::super::audit::{self, Action, Event};
use super::super::auth;
use super::super::{Conn, Pool};
use super::indicators::devices;
use super::OrInternal;
use app::api::{AppError, IssuedPassphrase, StaffAccount, Viewer};
use app::domain::access::{manages_accounts, may_change_account};
use app::domain::staff::acting_agency;
use app::domain::{AgencyId, AgencyKind, FieldError, NewAccount, Problem, Role, StaffId};
use std::collections::HashMap;

pub(super) fn admin_only(viewer: &Viewer) -> Result<(), AppError> {
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
async fn accounts_now(tx: &mut Conn, viewer: &Viewer, staff: &str) -> Result<bool, AppError> {
    still_admin(tx, viewer).await?;
    let found: Option<(bool,)> = sqlx::query_as("SELECT disabled FROM staff WHERE id = $1")
        .bind(staff)
        .fetch_optional(&mut *tx)
        .await
        .or_internal("finding an account")?;
    found.map(|(disabled,)| disabled).ok_or(AppError::NotFound)
}

/// Inside a change's transaction: the administrator's own account is still an enabled
/// administrator's.
pub(super) async fn still_admin(tx: &mut Conn, viewer: &Viewer) -> Result<(), AppError> {
    let still_admin: Option<(bool,)> =
        sqlx::query_as("SELECT NOT disabled AND role = $1 FROM staff WHERE id = $2")
            .bind(Role::Admin.code())
            .bind(viewer.id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .or_internal("checking the administrator")?;
    if still_admin.is_some_and(|(yes,)| yes) {
        Ok(())
    } else {
        Err(AppError::Unauthenticated)
    }
}

/// Every account, by agency then name, each with its devices.
pub async fn list(db: &Pool, viewer: &Viewer) -> Result<Vec<StaffAccount>, AppError> {
    admin_only(viewer)?;
    type AccountRow = (String, String, String, String, String, String, bool, bool);
    let rows: Vec<AccountRow> = sqlx::query_as(
        "SELECT s.id, s.login, s.display_name, s.role, a.name_ja, a.name_en, s.disabled, \
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

/// Opens an account for `asked`, with a first passphrase made for it and answered once; it
/// acts for the agency the rule gives ([`acting_agency`]). A login already taken or an agency
/// that has no staff accounts is refused on its field, and nothing is written.
pub async fn create(
    service: &super::Service,
    viewer: &Viewer,
    asked: NewAccount,
) -> Result<IssuedPassphrase, AppError> {
    admin_only(viewer)?;
    let account = asked.checked().map_err(AppError::Invalid)?;
    let (first_passphrase, hash) = issued_passphrase(&account.login).await?;
    let id = StaffId(uuid::Uuid::new_v4());
    let _turn = service.write_turn().await;
    let mut tx = super::super::writes::begin(service.db())
        .await
        .or_internal("starting an account")?;
    still_admin(&mut tx, viewer).await?;
    let home = account.home_agency.to_string();
    let kind: Option<(String,)> = sqlx::query_as("SELECT kind FROM agencies WHERE id = $1")
        .bind(&home)
        .fetch_optional(&mut *tx)
        .await
        .or_internal("finding an agency")?;
    let kind = kind
        .and_then(|(kind,)| AgencyKind::parse(&kind).ok())
        .filter(|kind| kind.has_staff_accounts())
        .ok_or_else(|| {
            AppError::Invalid(vec![FieldError::new("home_agency", Problem::UnknownChoice)])
        })?;
    let health_center: Option<(String,)> =
        sqlx::query_as("SELECT id FROM agencies WHERE kind = $1 ORDER BY id LIMIT 1")
            .bind(AgencyKind::PublicHealthCenter.code())
            .fetch_optional(&mut *tx)
            .await
            .or_internal("finding the public health center")?;
    let health_center = health_center
        .and_then(|(id,)| id.parse().ok())
        .unwrap_or(account.home_agency);
    let acts_for: AgencyId = acting_agency(account.role, account.home_agency, kind, health_center);
    let inserted = sqlx::query(
        "INSERT INTO staff (id, login, display_name, role, home_agency_id, acts_for_agency_id, \
           supervises, password_hash, passphrase_issued_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (login) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(&account.login)
    .bind(&account.display_name)
    .bind(account.role.code())
    .bind(&home)
    .bind(acts_for.to_string())
    .bind(account.supervises.map(|p| p.code()))
    .bind(&hash)
    .bind(crate::db::Stamp::now())
    .bind(crate::db::Stamp::now())
    .execute(&mut *tx)
    .await
    .or_internal("opening an account")?;
    if inserted.rows_affected() != 1 {
        return Err(AppError::Invalid(vec![FieldError::new(
            "login",
            Problem::Taken,
        )]));
    }
    // Devices learn the new colleague's name at their next pull.
    super::reference::touched(&mut tx).await?;
    audited(&mut tx, viewer, Action::CreateAccount, id.to_string()).await?;
    tx.commit().await.or_internal("committing an account")?;
    Ok(IssuedPassphrase {
        id,
        login: account.login,
        display_name: account.display_name,
        passphrase: first_passphrase,
    })
}

/// A passphrase to issue for `login`, with its hash (made off the async threads).
async fn issued_passphrase(login: &str) -> Result<(String, String), AppError> {
    let passphrase = auth::new_issued_passphrase();
    let hash = auth::hash_passphrase(login.to_owned(), passphrase.clone())
        .await
        .or_internal("hashing an issued passphrase")?;
    Ok((passphrase, hash))
}

/// Issues a new passphrase for `staff`, who forgot theirs: answered once; their sessions end
/// and the failures that paused their login are forgotten; they must change it first.
pub async fn reissue_passphrase(
    service: &super::Service,
    viewer: &Viewer,
    staff: &str,
) -> Result<IssuedPassphrase, AppError> {
    let staff = other_account(viewer, staff)?;
    let found: Option<(String, String)> =
        sqlx::query_as("SELECT login, display_name FROM staff WHERE id = $1")
            .bind(&staff)
            .fetch_optional(service.db())
            .await
            .or_internal("finding an account")?;
    let (login, display_name) = found.ok_or(AppError::NotFound)?;
    let (passphrase, hash) = issued_passphrase(&login).await?;
    let _turn = service.write_turn().await;
    let mut tx = super::super::writes::begin(service.db())
        .await
        .or_internal("starting a reissue")?;
    accounts_now(&mut tx, viewer, &staff).await?;
    sqlx::query("UPDATE staff SET password_hash = $1, passphrase_issued_at = $2 WHERE id = $3")
        .bind(&hash)
        .bind(crate::db::Stamp::now())
        .bind(&staff)
        .execute(&mut *tx)
        .await
        .or_internal("issuing a passphrase")?;
    auth::end_sessions(&mut tx, &staff, None)
        .await
        .or_internal("ending sessions")?;
    sqlx::query("DELETE FROM login_failures WHERE login = $1")
        .bind(&login)
        .execute(&mut *tx)
        .await
        .or_internal("forgetting sign-in failures")?;
    audited(&mut tx, viewer, Action::ReissuePassphrase, staff.clone()).await?;
    tx.commit().await.or_internal("committing a reissue")?;
    Ok(IssuedPassphrase {
        id: staff.parse().or_internal("reading a staff id")?,
        login,
        display_name,
        passphrase,
    })
}

/// Disables or enables `staff`. Disabling ends their sessions at once (every request checks
/// the account too); their devices keep what they hold until the account is enabled again.
/// Setting what is already set changes nothing and writes no audit event.
pub async fn set_disabled(
    db: &Pool,
    viewer: &Viewer,
    staff: &str,
    disabled: bool,
) -> Result<(), AppError> {
    let staff = other_account(viewer, staff)?;
    let mut tx = super::super::writes::begin(db)
        .await
        .or_internal("starting an account change")?;
    if accounts_now(&mut tx, viewer, &staff).await? == disabled {
        return Ok(());
    }
    sqlx::query("UPDATE staff SET disabled = $1 WHERE id = $2")
        .bind(disabled)
        .bind(&staff)
        .execute(&mut *tx)
        .await
        .or_internal("changing an account")?;
    if disabled {
        auth::end_sessions(&mut tx, &staff, None)
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
pub async fn reset_second_factor(db: &Pool, viewer: &Viewer, staff: &str) -> Result<(), AppError> {
    let staff = other_account(viewer, staff)?;
    let mut tx = super::super::writes::begin(db)
        .await
        .or_internal("starting a reset")?;
    accounts_now(&mut tx, viewer, &staff).await?;
    // Every open session ends too: one left open (a borrowed office PC, a thief's) could
    // otherwise enrol its own authenticator now that none is in force.
    auth::end_sessions(&mut tx, &staff, None)
        .await
        .or_internal("ending sessions")?;
    let mut removed = 0;
    for table in ["second_factors", "recovery_codes"] {
        removed += sqlx::query(&format!("DELETE FROM {table} WHERE staff_id = $1"))
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

pub(super) async fn audited(
    tx: &mut Conn,
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
