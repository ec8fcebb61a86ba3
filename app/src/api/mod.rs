//! The calls the interface makes to the server, as Leptos server functions, and the types they
//! exchange. On the server each call reaches the [`Backend`] the server crate provides.

mod error;
mod views;

#[cfg(feature = "ssr")]
mod backend;
#[cfg(feature = "ssr")]
pub use backend::{Backend, SharedBackend};

pub use error::AppError;
pub use views::{
    AuditEntry, DeviceHealth, Home, IssuedPassphrase, SecondFactorSetup, StaffAccount, Viewer,
    VisitDetail,
};

use leptos::prelude::*;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "dekapan_session";
/// The name of the cookie that remembers the interface language.
pub const LANG_COOKIE: &str = "dekapan_lang";

/// Signs in with a login name and password. Sets the session cookie and sends the browser to
/// its start page.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(
    login: String,
    password: String,
    #[server(default)] code: Option<String>,
) -> Result<Viewer, AppError> {
    let backend = ssr::backend()?;
    let (viewer, token) = backend
        .login(&login, &password, code.as_deref())
        .await
        .map_err(ssr::status)?;
    // A new session id at every sign-in: whatever session the browser held before is ended.
    if let Some(old) = ssr::session_token() {
        backend.logout(&old).await.map_err(ssr::status)?;
    }
    ssr::set_cookie(&backend.session_cookie(Some(&token)));
    Ok(viewer)
}

/// Whether the signed-in user has a second factor in force.
#[server(prefix = "/api", endpoint = "second_factor_on")]
pub async fn second_factor_on() -> Result<bool, AppError> {
    let (backend, viewer) = ssr::signed_in_to_set_up().await?;
    backend.second_factor_on(&viewer).await.map_err(ssr::status)
}

/// Starts setting up a second factor; replacing one in force needs a code from it.
#[server(prefix = "/api", endpoint = "start_second_factor")]
pub async fn start_second_factor(
    #[server(default)] code: Option<String>,
) -> Result<SecondFactorSetup, AppError> {
    let (backend, viewer) = ssr::signed_in_to_set_up().await?;
    backend
        .start_second_factor(&viewer, code.as_deref())
        .await
        .map_err(ssr::status)
}

/// Puts the second factor being set up in force with a first code from the authenticator app;
/// answers with the recovery codes, shown once.
#[server(prefix = "/api", endpoint = "confirm_second_factor")]
pub async fn confirm_second_factor(code: String) -> Result<Vec<String>, AppError> {
    let (backend, viewer) = ssr::signed_in_to_set_up().await?;
    backend
        .confirm_second_factor(&viewer, &code)
        .await
        .map_err(ssr::status)
}

/// Changes the signed-in user's passphrase, given the current one; their other sessions end.
/// The device then wraps its key under the new one ([`crate::client::Device::change_passphrase`]).
#[server(prefix = "/api", endpoint = "change_passphrase")]
pub async fn change_passphrase(current: String, new: String) -> Result<(), AppError> {
    // Also before an issued passphrase is changed, or a required second factor set up.
    let (backend, viewer) = ssr::signed_in_to_set_up().await?;
    let token = ssr::session_token().ok_or_else(|| ssr::status(AppError::Unauthenticated))?;
    backend
        .change_passphrase(&viewer, &token, &current, &new)
        .await
        .map_err(ssr::status)
}

/// Ends the session and clears its cookie.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let backend = ssr::backend()?;
    if let Some(token) = ssr::session_token() {
        backend.logout(&token).await.map_err(ssr::status)?;
    }
    ssr::set_cookie(&backend.session_cookie(None));
    Ok(())
}

/// How this server wants devices to guard the data they hold (idle lock, offline grant).
#[server(prefix = "/api", endpoint = "device_policy")]
pub async fn device_policy() -> Result<crate::domain::device::DevicePolicy, AppError> {
    let (backend, _viewer) = ssr::signed_in().await?;
    Ok(backend.device_policy())
}

/// Who is signed in, if anyone.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Viewer>, AppError> {
    let backend = ssr::backend()?;
    match ssr::session_token() {
        Some(token) => backend.viewer(&token).await.map_err(ssr::status),
        None => Ok(None),
    }
}

/// People, agencies and the hubs' directory, for a device to hold and name what records
/// refer to (nothing here is about a case).
#[server(prefix = "/api", endpoint = "reference")]
pub async fn reference() -> Result<crate::sync::Reference, AppError> {
    let (backend, _viewer) = ssr::signed_in().await?;
    backend.reference().await.map_err(ssr::status)
}

/// The sync health of the devices on the signed-in supervisor's program.
#[server(prefix = "/api", endpoint = "sync_health")]
pub async fn sync_health() -> Result<Vec<DeviceHealth>, AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    backend.sync_health(&viewer).await.map_err(ssr::status)
}

/// The audit log of the signed-in supervisor's program's cases from `from` to `to` (days,
/// included), newest first, at most [`AUDIT_ON_SCREEN`] events (the CSV export has them all).
#[server(prefix = "/api", endpoint = "audit_trail")]
pub async fn audit_trail(from: String, to: String) -> Result<Vec<AuditEntry>, AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    let period = crate::domain::indicators::Period::parse(&from, &to)
        .map_err(|e| ssr::status(AppError::Invalid(e)))?;
    backend
        .audit_trail(&viewer, period, Some(AUDIT_ON_SCREEN))
        .await
        .map_err(ssr::status)
}

/// How many audit events the screen shows.
pub const AUDIT_ON_SCREEN: u32 = 200;

/// Opens, in an emergency, a visit's case outside the supervisor's program: with a stated
/// reason, for an hour, audited where the case's own supervisor reads the audit log.
#[server(prefix = "/api", endpoint = "break_glass")]
pub async fn break_glass(visit_id: String, reason: String) -> Result<VisitDetail, AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    let visit = ssr::visit_id(&visit_id)?;
    backend
        .break_glass(&viewer, visit, &reason)
        .await
        .map_err(ssr::status)
}

/// Revokes a lost device: it still sends what it holds, then erases itself at its next sync.
#[server(prefix = "/api", endpoint = "revoke_device")]
pub async fn revoke_device(client_id: String) -> Result<(), AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    backend
        .revoke_device(&viewer, &client_id)
        .await
        .map_err(ssr::status)
}

/// Every staff account with its devices: administrators only.
#[server(prefix = "/api", endpoint = "staff_accounts")]
pub async fn staff_accounts() -> Result<Vec<StaffAccount>, AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    backend.staff_accounts(&viewer).await.map_err(ssr::status)
}

/// Opens a new staff account with a first passphrase made for it, answered once:
/// administrators only.
#[server(prefix = "/api", endpoint = "create_account")]
pub async fn create_account(
    account: crate::domain::NewAccount,
) -> Result<IssuedPassphrase, AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    backend
        .create_account(&viewer, account)
        .await
        .map_err(ssr::status)
}

/// Adds or changes a listing of the hubs' directory (audited): administrators only. Bad input
/// is refused on its field. Answers the business.
#[server(prefix = "/api", endpoint = "save_listing")]
pub async fn save_listing(
    listing: crate::domain::ListingEdit,
) -> Result<crate::domain::AgencyId, AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    backend
        .save_listing(&viewer, listing)
        .await
        .map_err(ssr::status)
}

/// Retires a business's listing under a hub (audited): administrators only.
#[server(prefix = "/api", endpoint = "retire_listing")]
pub async fn retire_listing(
    business: crate::domain::AgencyId,
    hub: crate::domain::AgencyId,
) -> Result<(), AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    backend
        .retire_listing(&viewer, business, hub)
        .await
        .map_err(ssr::status)
}

/// Issues a new passphrase for someone who forgot theirs (shown once; their sessions end, and
/// they must change it before anything else): administrators only, never their own.
#[server(prefix = "/api", endpoint = "reissue_passphrase")]
pub async fn reissue_passphrase(staff_id: String) -> Result<IssuedPassphrase, AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    backend
        .reissue_passphrase(&viewer, &staff_id)
        .await
        .map_err(ssr::status)
}

/// Disables an account (its sessions end at once, it cannot sign in) or enables it again:
/// administrators only, never their own.
#[server(prefix = "/api", endpoint = "set_account_disabled")]
pub async fn set_account_disabled(staff_id: String, disabled: bool) -> Result<(), AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    backend
        .set_account_disabled(&viewer, &staff_id, disabled)
        .await
        .map_err(ssr::status)
}

/// Removes a user's second factor (a lost authenticator with no recovery code left): they
/// sign in with their password and set it up again. Administrators only, not their own.
#[server(prefix = "/api", endpoint = "reset_second_factor")]
pub async fn reset_second_factor(staff_id: String) -> Result<(), AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    backend
        .reset_second_factor(&viewer, &staff_id)
        .await
        .map_err(ssr::status)
}

/// The indicators of the signed-in supervisor's program from `from` to `to` (days, included).
#[server(prefix = "/api", endpoint = "indicators")]
pub async fn indicators(
    from: String,
    to: String,
) -> Result<crate::domain::indicators::Indicators, AppError> {
    let (backend, viewer) = ssr::signed_in().await?;
    let period = crate::domain::indicators::Period::parse(&from, &to)
        .map_err(|e| ssr::status(AppError::Invalid(e)))?;
    backend
        .indicators(&viewer, period)
        .await
        .map_err(ssr::status)
}

/// Server-side helpers shared by the server functions above.
#[cfg(feature = "ssr")]
pub mod ssr {
    use super::{AppError, SharedBackend, Viewer, SESSION_COOKIE};
    use http::header::{COOKIE, SET_COOKIE};
    use http::HeaderValue;
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    /// The backend the server provided for this request.
    pub fn backend() -> Result<SharedBackend, AppError> {
        use_context::<SharedBackend>().ok_or_else(|| status(AppError::Internal))
    }

    /// A visit id from a request; one that is not an id is a visit not found, like any
    /// other the viewer cannot see.
    pub fn visit_id(text: &str) -> Result<crate::domain::VisitId, AppError> {
        text.parse().map_err(|_| status(AppError::NotFound))
    }

    /// Sets the response status that goes with an error, and passes the error on.
    pub fn status(error: AppError) -> AppError {
        if let Some(options) = use_context::<ResponseOptions>() {
            options.set_status(error.status());
        }
        error
    }

    /// Reads a cookie from request headers: the one parser of the server functions, the sync
    /// endpoints and the exports.
    pub fn cookie_in(headers: &http::HeaderMap, name: &str) -> Option<String> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// The session token in request headers, if any.
    pub fn session_token_in(headers: &http::HeaderMap) -> Option<String> {
        cookie_in(headers, SESSION_COOKIE).filter(|t| !t.is_empty())
    }

    /// Reads a cookie from the request being served.
    pub fn cookie(name: &str) -> Option<String> {
        cookie_in(&use_context::<http::request::Parts>()?.headers, name)
    }

    /// The session token the browser sent, if any.
    pub fn session_token() -> Option<String> {
        session_token_in(&use_context::<http::request::Parts>()?.headers)
    }

    /// Adds a `Set-Cookie` header to the response.
    pub fn set_cookie(value: &str) {
        if let (Some(options), Ok(value)) = (
            use_context::<ResponseOptions>(),
            HeaderValue::from_str(value),
        ) {
            options.append_header(SET_COOKIE, value);
        }
    }

    /// The backend and the signed-in user, or `Unauthenticated`.
    pub async fn signed_in() -> Result<(SharedBackend, Viewer), AppError> {
        let (backend, viewer) = signed_in_to_set_up().await?;
        if viewer.must_change_passphrase {
            return Err(status(AppError::PassphraseChangeNeeded));
        }
        if viewer.must_set_up_second_factor {
            return Err(status(AppError::SecondFactorSetupNeeded));
        }
        Ok((backend, viewer))
    }

    /// The signed-in user and the backend, also when two-step sign-in is still to be set up or
    /// an issued passphrase changed (for doing that, and nothing else).
    pub async fn signed_in_to_set_up() -> Result<(SharedBackend, Viewer), AppError> {
        let backend = backend()?;
        let token = session_token().ok_or_else(|| status(AppError::Unauthenticated))?;
        match backend.viewer(&token).await.map_err(status)? {
            Some(viewer) => Ok((backend, viewer)),
            None => Err(status(AppError::Unauthenticated)),
        }
    }
}
