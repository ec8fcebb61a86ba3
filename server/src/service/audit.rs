//! The audit log: who did what to which case, written in the same transaction as the change.
//! The table refuses updates and deletes (triggers in the schema); nothing here offers either.

use super::{Conn, Query};
use crate::db::Stamp;
use anyhow::Context;
use app::api::Viewer;

/// What happened.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// Signed in.
    Login,
    /// A sign-in was refused.
    LoginFailed,
    /// Read a visit and its case.
    ReadVisit,
    /// Was refused a visit or case.
    DeniedVisit,
    /// Recorded a note.
    CreateNote,
    /// Amended a note (a new revision).
    AmendNote,
    /// Changed a case or visit field, the team or the agencies involved, through sync.
    EditCase,
    /// A synced mutation was refused.
    RejectedMutation,
    /// Registered a consultation as a new case.
    OpenCase,
    /// Scheduled a visit.
    PlanVisit,
    /// Approved or returned a note.
    ReviewNote,
    /// Read a program's indicators.
    ReadIndicators,
    /// Downloaded a CSV export.
    Export,
    /// Revoked a device (the record is the device's id).
    RevokeDevice,
    /// Read the audit log.
    ReadAudit,
    /// Turned a second factor on.
    SecondFactorOn,
    /// Opened a case outside the supervised program in an emergency (the record is the
    /// opening, with its reason).
    BreakGlass,
    /// Disabled a staff account (the record is the account's staff id).
    DisableAccount,
    /// Enabled a staff account again.
    EnableAccount,
    /// Removed a user's second factor and recovery codes.
    ResetSecondFactor,
    /// Changed one's own passphrase.
    ChangePassphrase,
    /// Opened a staff account (the record is the new account's staff id).
    CreateAccount,
    /// Issued a new passphrase for someone who forgot theirs (the record is their staff id).
    ReissuePassphrase,
    /// Put a backup in place of the database (the record names the backup file and its
    /// SHA-256); written into the restored database by `server restore`.
    RestoreDatabase,
    /// Suggested a directory listing to a case team (the record is the suggestion).
    SuggestListing,
    /// Took a suggestion back.
    WithdrawSuggestion,
    /// Added or changed a listing of the hubs' directory (the record is the business's id).
    EditListing,
    /// Retired a listing of the hubs' directory (the record is the business's id).
    RetireListing,
}

impl Action {
    /// How the log stores it. The audit trail reads stored codes back as text and never parses
    /// them into an `Action`, so rows of actions no longer recorded (`list_program_notes`) stay
    /// readable as they were.
    pub fn code(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::ReadVisit => "read_visit",
            Action::DeniedVisit => "denied_visit",
            Action::CreateNote => "create_note",
            Action::AmendNote => "amend_note",
            Action::EditCase => "edit_case",
            Action::RejectedMutation => "rejected_mutation",
            Action::OpenCase => "open_case",
            Action::PlanVisit => "plan_visit",
            Action::ReviewNote => "review_note",
            Action::ReadIndicators => "read_indicators",
            Action::Export => "export",
            Action::RevokeDevice => "revoke_device",
            Action::ReadAudit => "read_audit",
            Action::SecondFactorOn => "second_factor_on",
            Action::BreakGlass => "break_glass",
            Action::DisableAccount => "disable_account",
            Action::EnableAccount => "enable_account",
            Action::ResetSecondFactor => "reset_second_factor",
            Action::ChangePassphrase => "change_passphrase",
            Action::CreateAccount => "create_account",
            Action::ReissuePassphrase => "reissue_passphrase",
            Action::RestoreDatabase => "restore_database",
            Action::SuggestListing => "suggest_listing",
            Action::WithdrawSuggestion => "withdraw_suggestion",
            Action::EditListing => "edit_listing",
            Action::RetireListing => "retire_listing",
        }
    }
}

/// One audit event.
pub struct Event<'a> {
    /// Who, if known.
    pub actor: Option<&'a Viewer>,
    /// What.
    pub action: Action,
    /// Which case.
    pub case_id: Option<String>,
    /// Which record (visit, note).
    pub record_id: Option<String>,
}

/// Where a synced change was made: the device and the device's own clock when it was made
/// (offline, perhaps days before it reached the server).
#[derive(Debug, Clone)]
pub struct Origin {
    /// The device's client id.
    pub client_id: String,
    /// The device's clock when the change was made.
    pub device_time: Stamp,
}

tokio::task_local! {
    static ORIGIN: Origin;
}

/// Runs `work` with every event it records marked as coming from `origin`.
pub async fn from_device<F: std::future::Future>(origin: Origin, work: F) -> F::Output {
    ORIGIN.scope(origin, work).await
}

/// The statement that appends one event; [`bind`] fills in its parameters. Writers that batch
/// several statements into one round trip append it to theirs.
pub const INSERT: &str =
    "INSERT INTO audit_log (at, actor_id, actor_role, action, case_id, record_id, outcome, client_id, device_time) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Binds an event to the parameters of [`INSERT`], after those already bound.
pub fn bind<'q>(query: Query<'q>, event: Event<'_>) -> Query<'q> {
    query
        .bind(Stamp::now())
        .bind(event.actor.map(|v| v.id.to_string()))
        .bind(event.actor.map(|v| v.role.code()))
        .bind(event.action.code())
        .bind(event.case_id)
        .bind(event.record_id)
        .bind(match event.action {
            Action::LoginFailed | Action::DeniedVisit | Action::RejectedMutation => "denied",
            _ => "ok",
        })
        .bind(ORIGIN.try_with(|o| o.client_id.clone()).ok())
        .bind(ORIGIN.try_with(|o| o.device_time).ok())
}

/// Appends an event on its own, in its writer's turn.
pub async fn alone(pool: &super::Pool, event: Event<'_>) -> anyhow::Result<()> {
    super::writes::alone(pool, bind(sqlx::query(INSERT), event))
        .await
        .context("writing the audit log")?;
    Ok(())
}

/// Appends an event on the given connection (inside the caller's transaction).
pub async fn record(conn: &mut Conn, event: Event<'_>) -> anyhow::Result<()> {
    bind(sqlx::query(INSERT), event)
        .execute(conn)
        .await
        .context("writing the audit log")?;
    Ok(())
}
