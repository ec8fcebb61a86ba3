//! The server's side of the app's calls: every method authenticates, loads, checks the
//! viewer's rights on that record, acts, and writes the audit event in the same transaction.

use super::{Db, Pool};
mod accounts;
pub(crate) mod audit_trail;
mod devices;
mod directory;
pub(crate) mod indicators;
pub(crate) mod notes;
mod passphrase;
pub(super) mod reference;
pub(super) mod rows;
pub(crate) mod visits;

use super::audit::{self, Action, Event};
use super::auth;
use super::second_factor;
use crate::config::Config;
use app::api::{AppError, Backend, Viewer, VisitDetail, SESSION_COOKIE};
use app::domain::signin;
use app::domain::staff::MAX_LOGIN_CHARS;
use app::domain::{FieldError, Problem, Program, VisitId};
use rows::{staff_ref, STAFF_COLS, STAFF_JOIN};
use std::sync::Arc;

/// Starts a read of case data that is audited: the audit row is written first, so the
/// transaction writes before it reads and a writer committing in between can never leave it on
/// a stale snapshot it cannot write from (SQLite's SQLITE_BUSY_SNAPSHOT).
pub(crate) async fn audited_read<'a>(
    db: &'a Pool,
    viewer: &Viewer,
    action: Action,
) -> Result<sqlx::Transaction<'a, Db>, AppError> {
    let mut tx = super::writes::begin(db)
        .await
        .or_internal("starting a read")?;
    audit::record(
        &mut tx,
        Event {
            actor: Some(viewer),
            action,
            case_id: None,
            record_id: None,
        },
    )
    .await
    .or_internal("auditing a read")?;
    Ok(tx)
}

/// The database and settings behind the app's calls.
#[derive(Clone)]
pub struct Service {
    db: Pool,
    config: Arc<Config>,
    /// SQLite has one writer at a time; queueing this process's writers here is far cheaper
    /// than letting them spin on the database's busy lock. Only a saving: the database itself
    /// makes writers take turns ([`super::writes`]), across processes too.
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl Service {
    /// A service over one pool.
    pub fn new(db: Pool, config: Arc<Config>) -> Self {
        Self {
            db,
            config,
            writer: Arc::default(),
        }
    }

    /// Waits for this process's turn to write, on SQLite (PostgreSQL queues writers itself,
    /// without spinning).
    pub async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match super::KIND {
            crate::db::Kind::Sqlite => Some(self.writer.lock().await),
            crate::db::Kind::Postgres => None,
        }
    }

    /// The database pool.
    pub fn db(&self) -> &Pool {
        &self.db
    }

    /// The server's settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    async fn load_viewer(&self, staff_id: &str) -> Result<Option<Viewer>, AppError> {
        let row = sqlx::query(&format!(
            "SELECT {STAFF_COLS}, st.supervises, st.passphrase_issued_at IS NOT NULL AS issued \
             FROM staff st {STAFF_JOIN} WHERE st.id = $1"
        ))
        .bind(staff_id)
        .fetch_optional(&self.db)
        .await
        .or_internal("loading a viewer")?;
        let Some(row) = row else { return Ok(None) };
        let staff = staff_ref(&row).or_internal("reading a viewer")?;
        let supervises = sqlx::Row::try_get::<Option<String>, _>(&row, "supervises")
            .or_internal("reading a viewer")?
            .map(|p| Program::parse(&p))
            .transpose()
            .map_err(|_| anyhow::anyhow!("unknown program"))
            .or_internal("reading a viewer")?;
        let must_set_up_second_factor = self.config.second_factor_required
            && !second_factor::in_force(&self.db, staff_id)
                .await
                .or_internal("reading a second factor")?;
        let must_change_passphrase =
            sqlx::Row::try_get::<bool, _>(&row, "issued").or_internal("reading a viewer")?;
        Ok(Some(Viewer {
            must_set_up_second_factor,
            must_change_passphrase,
            id: staff.id,
            display_name: staff.display_name,
            role: staff.role,
            home_agency: staff.home_agency,
            acts_for: staff.acts_for,
            supervises,
        }))
    }
}

/// How a passphrase typed for a login fared.
pub(crate) enum Tried {
    /// Right: the stored hash it matched, which the change it allows is made over.
    Right(String),
    /// Wrong (or the login is unknown); counted toward the pause, which has not started.
    Wrong,
    /// The login is paused for this long (perhaps from this very failure).
    Paused(std::time::Duration),
}

impl Service {
    /// Checks a passphrase typed for `login` against its stored `hash` (none for an unknown
    /// login, which costs the same time), as every check of a passphrase must: not while the
    /// login is paused; one longer than any that can be set is wrong without hashing it; a
    /// wrong one counts toward the pause ([`signin::pause_after`]). Callers audit refusals.
    pub(crate) async fn try_passphrase(
        &self,
        login: &str,
        hash: Option<String>,
        typed: &str,
    ) -> Result<Tried, AppError> {
        if let Some(wait) = auth::paused_for(&self.db, login)
            .await
            .or_internal("reading sign-in failures")?
        {
            return Ok(Tried::Paused(wait));
        }
        let right = typed.chars().count() <= signin::MAX_PASSPHRASE_CHARS
            && auth::verify_password(typed.to_owned(), hash.clone())
                .await
                .or_internal("checking a password")?;
        if let (true, Some(hash)) = (right, hash) {
            return Ok(Tried::Right(hash));
        }
        Ok(
            match auth::count_failure(&self.db, login)
                .await
                .or_internal("counting a failed sign-in")?
            {
                Some(wait) => Tried::Paused(wait),
                None => Tried::Wrong,
            },
        )
    }

    /// Appends an event about no case (a sign-in, a setting) on its own.
    async fn audit_alone(&self, actor: Option<&Viewer>, action: Action) -> Result<(), AppError> {
        let event = Event {
            actor,
            action,
            case_id: None,
            record_id: None,
        };
        audit::alone(&self.db, event)
            .await
            .or_internal("writing the audit log")
    }

    /// Audits a refused sign-in and answers it: wrong credentials, or a pause of `pause`.
    async fn refuse_sign_in(
        &self,
        pause: Option<std::time::Duration>,
    ) -> Result<(Viewer, String), AppError> {
        self.audit_alone(None, Action::LoginFailed).await?;
        tracing::info!(paused = pause.is_some(), "login refused");
        Err(pause.map_or(AppError::BadCredentials, paused))
    }
}

/// The answer while a login is paused for `wait`.
pub(crate) fn paused(wait: std::time::Duration) -> AppError {
    AppError::LoginPaused {
        minutes: signin::minutes_to_wait(wait),
    }
}

/// Turns an internal failure into [`AppError::Internal`], logging the cause (never any
/// personal data: sqlx errors carry no bound values).
pub(crate) trait OrInternal<T> {
    fn or_internal(self, doing: &'static str) -> Result<T, AppError>;
}

impl<T, E: Into<anyhow::Error>> OrInternal<T> for Result<T, E> {
    fn or_internal(self, doing: &'static str) -> Result<T, AppError> {
        self.map_err(|e| {
            let e: anyhow::Error = e.into();
            tracing::error!(error = format!("{e:#}"), doing, "internal error");
            AppError::Internal
        })
    }
}

#[async_trait::async_trait]
impl Backend for Service {
    #[tracing::instrument(skip(self, password, code))]
    async fn login(
        &self,
        login: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<(Viewer, String), AppError> {
        let login = login.trim();
        let mut missing = Vec::new();
        if login.is_empty() {
            missing.push(FieldError::new("login", Problem::Required));
        }
        if password.is_empty() {
            missing.push(FieldError::new("password", Problem::Required));
        }
        if app::domain::error::has_control_characters(login) {
            missing.push(FieldError::new("login", Problem::ControlCharacter));
        }
        if login.chars().count() > MAX_LOGIN_CHARS {
            missing.push(FieldError::new(
                "login",
                Problem::TooLong {
                    max: MAX_LOGIN_CHARS,
                },
            ));
        }
        if !missing.is_empty() {
            return Err(AppError::Invalid(missing));
        }
        let found: Option<(String, String, Option<crate::db::Stamp>)> = sqlx::query_as(
            "SELECT id, password_hash, passphrase_issued_at FROM staff WHERE login = $1 AND NOT disabled",
        )
        .bind(login)
        .fetch_optional(&self.db)
        .await
        .or_internal("looking up a login")?;
        let (staff_id, hash, issued_at) = match found {
            Some((id, hash, issued_at)) => (id, Some(hash), issued_at),
            None => (String::new(), None, None),
        };
        let hash = match self.try_passphrase(login, hash, password).await? {
            Tried::Right(hash) => hash,
            Tried::Wrong => return self.refuse_sign_in(None).await,
            Tried::Paused(wait) => return self.refuse_sign_in(Some(wait)).await,
        };
        // A passphrase an administrator issued signs in only for a while, unchanged.
        let expired = issued_at
            .is_some_and(|at| signin::issued_passphrase_expired(at.time(), chrono::Utc::now()));
        if expired {
            self.audit_alone(None, Action::LoginFailed).await?;
            return Err(AppError::IssuedPassphraseExpired);
        }
        // The password is right; a user with a second factor also needs its code. A wrong code
        // counts as a failed sign-in, so codes cannot be guessed either.
        let verdict =
            second_factor::check(&self.db, &staff_id, code, chrono::Utc::now().timestamp())
                .await
                .or_internal("checking a second factor")?
                .verdict();
        match verdict {
            Err(AppError::BadSecondFactor) => {
                let pause = auth::count_failure(&self.db, login)
                    .await
                    .or_internal("counting a failed sign-in")?;
                return match self.refuse_sign_in(pause).await {
                    Err(AppError::BadCredentials) => Err(AppError::BadSecondFactor),
                    other => other,
                };
            }
            other => other?,
        }
        let viewer = self
            .load_viewer(&staff_id)
            .await?
            .ok_or(AppError::BadCredentials)?;
        let Some(token) = auth::open_session(
            &self.db,
            &staff_id,
            &hash,
            self.config.session_idle,
            self.config.session_max,
        )
        .await
        .or_internal("opening a session")?
        else {
            // The passphrase was changed, or the account disabled, since it was checked.
            return self.refuse_sign_in(None).await;
        };
        auth::clear_failures(&self.db, login)
            .await
            .or_internal("clearing sign-in failures")?;
        self.audit_alone(Some(&viewer), Action::Login).await?;
        tracing::info!(staff = %viewer.id, role = viewer.role.code(), "signed in");
        Ok((viewer, token))
    }

    async fn change_passphrase(
        &self,
        viewer: &Viewer,
        token: &str,
        current: &str,
        new: &str,
    ) -> Result<(), AppError> {
        passphrase::change(self, viewer, token, current, new).await
    }

    async fn logout(&self, token: &str) -> Result<(), AppError> {
        auth::close_session(&self.db, token)
            .await
            .or_internal("closing a session")
    }

    async fn viewer(&self, token: &str) -> Result<Option<Viewer>, AppError> {
        match auth::session_staff(&self.db, token, self.config.session_idle)
            .await
            .or_internal("reading a session")?
        {
            Some(staff_id) => self.load_viewer(&staff_id).await,
            None => Ok(None),
        }
    }

    fn device_policy(&self) -> app::domain::device::DevicePolicy {
        self.config.device_policy
    }

    fn session_cookie(&self, token: Option<&str>) -> String {
        let secure = if self.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        match token {
            Some(token) => format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                self.config.session_max.as_secs()
            ),
            None => {
                format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
            }
        }
    }

    async fn reference(&self) -> Result<app::sync::Reference, AppError> {
        reference::load(&self.db).await
    }

    async fn sync_health(&self, viewer: &Viewer) -> Result<Vec<app::api::DeviceHealth>, AppError> {
        indicators::sync_health(&self.db, viewer).await
    }

    async fn staff_accounts(
        &self,
        viewer: &Viewer,
    ) -> Result<Vec<app::api::StaffAccount>, AppError> {
        accounts::list(&self.db, viewer).await
    }

    async fn create_account(
        &self,
        viewer: &Viewer,
        account: app::domain::NewAccount,
    ) -> Result<app::api::IssuedPassphrase, AppError> {
        accounts::create(self, viewer, account).await
    }

    async fn save_listing(
        &self,
        viewer: &Viewer,
        listing: app::domain::ListingEdit,
    ) -> Result<app::domain::AgencyId, AppError> {
        directory::save(self, viewer, listing).await
    }

    async fn retire_listing(
        &self,
        viewer: &Viewer,
        business: app::domain::AgencyId,
        hub: app::domain::AgencyId,
    ) -> Result<(), AppError> {
        directory::retire(self, viewer, business, hub).await
    }

    async fn reissue_passphrase(
        &self,
        viewer: &Viewer,
        staff: &str,
    ) -> Result<app::api::IssuedPassphrase, AppError> {
        accounts::reissue_passphrase(self, viewer, staff).await
    }

    async fn set_account_disabled(
        &self,
        viewer: &Viewer,
        staff: &str,
        disabled: bool,
    ) -> Result<(), AppError> {
        let _turn = self.write_turn().await;
        accounts::set_disabled(&self.db, viewer, staff, disabled).await
    }

    async fn reset_second_factor(&self, viewer: &Viewer, staff: &str) -> Result<(), AppError> {
        let _turn = self.write_turn().await;
        accounts::reset_second_factor(&self.db, viewer, staff).await
    }

    async fn audit_trail(
        &self,
        viewer: &Viewer,
        period: app::domain::indicators::Period,
        limit: Option<u32>,
    ) -> Result<Vec<app::api::AuditEntry>, AppError> {
        audit_trail::entries(&self.db, viewer, period, limit).await
    }

    async fn second_factor_on(&self, viewer: &Viewer) -> Result<bool, AppError> {
        second_factor::in_force(&self.db, &viewer.id.to_string())
            .await
            .or_internal("reading a second factor")
    }

    async fn start_second_factor(
        &self,
        viewer: &Viewer,
        code: Option<&str>,
    ) -> Result<app::api::SecondFactorSetup, AppError> {
        let staff = viewer.id.to_string();
        // Replacing a factor in force takes a code from it: a borrowed session cannot swap it.
        let now = chrono::Utc::now().timestamp();
        second_factor::check(&self.db, &staff, code, now)
            .await
            .or_internal("checking a second factor")?
            .verdict()?;
        let secret = second_factor::start(&self.db, &staff)
            .await
            .or_internal("starting a second factor")?;
        let login: String = sqlx::query_scalar("SELECT login FROM staff WHERE id = $1")
            .bind(&staff)
            .fetch_one(&self.db)
            .await
            .or_internal("reading a login")?;
        Ok(app::api::SecondFactorSetup {
            uri: crate::totp::uri("Dekapan", &login, &secret),
            secret,
        })
    }

    async fn confirm_second_factor(
        &self,
        viewer: &Viewer,
        code: &str,
    ) -> Result<Vec<String>, AppError> {
        let codes = second_factor::confirm(
            &self.db,
            &viewer.id.to_string(),
            code,
            chrono::Utc::now().timestamp(),
        )
        .await
        .or_internal("confirming a second factor")?;
        let codes = codes.ok_or(AppError::BadSecondFactor)?;
        self.audit_alone(Some(viewer), Action::SecondFactorOn)
            .await?;
        Ok(codes)
    }

    async fn break_glass(
        &self,
        viewer: &Viewer,
        visit: VisitId,
        reason: &str,
    ) -> Result<VisitDetail, AppError> {
        let _turn = self.write_turn().await;
        visits::break_glass(&self.db, viewer, visit, reason).await
    }

    async fn revoke_device(&self, viewer: &Viewer, client_id: &str) -> Result<(), AppError> {
        let _turn = self.write_turn().await;
        devices::revoke(&self.db, viewer, client_id).await
    }

    async fn indicators(
        &self,
        viewer: &Viewer,
        period: app::domain::indicators::Period,
    ) -> Result<app::domain::indicators::Indicators, AppError> {
        indicators::load(&self.db, viewer, period).await
    }
}
