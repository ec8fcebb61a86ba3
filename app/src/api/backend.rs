//! The seam between the server functions and the server crate, which owns the database,
//! sessions and audit log. The server provides one [`SharedBackend`] as Leptos context.

use super::{AppError, StaffAccount, Viewer, VisitDetail};
use crate::domain::VisitId;
use std::sync::Arc;

/// What the server functions need from the server. Every method that takes a [`Viewer`]
/// checks that viewer's rights on the records it touches.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Checks a password, and the one-time code when the user has a second factor; on success
    /// opens a session and returns its secret token.
    async fn login(
        &self,
        login: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<(Viewer, String), AppError>;
    /// Whether the viewer has a second factor in force.
    async fn second_factor_on(&self, viewer: &Viewer) -> Result<bool, AppError>;
    /// Starts setting up a second factor (a new secret, returned with its `otpauth://`
    /// address); replacing one in force needs a code from it.
    async fn start_second_factor(
        &self,
        viewer: &Viewer,
        code: Option<&str>,
    ) -> Result<super::SecondFactorSetup, AppError>;
    /// Puts the secret being set up in force with a first code from it; returns the recovery
    /// codes, shown once.
    async fn confirm_second_factor(
        &self,
        viewer: &Viewer,
        code: &str,
    ) -> Result<Vec<String>, AppError>;
    /// Changes the viewer's passphrase when `current` is theirs (a wrong one counts as a failed
    /// sign-in); ends their sessions but the one of `token` (audited).
    async fn change_passphrase(
        &self,
        viewer: &Viewer,
        token: &str,
        current: &str,
        new: &str,
    ) -> Result<(), AppError>;
    /// Ends a session.
    async fn logout(&self, token: &str) -> Result<(), AppError>;
    /// The user of a live session; `None` if the session is unknown or has expired.
    async fn viewer(&self, token: &str) -> Result<Option<Viewer>, AppError>;
    /// How devices are to guard the data they hold.
    fn device_policy(&self) -> crate::domain::device::DevicePolicy;
    /// The `Set-Cookie` value that stores `token`, or clears the cookie when `None`.
    fn session_cookie(&self, token: Option<&str>) -> String;
    /// People, agencies and the hubs' directory: for any signed-in user.
    async fn reference(&self) -> Result<crate::sync::Reference, AppError>;
    /// The devices of the people on the viewer's program's teams, the longest silent first:
    /// supervisors only.
    async fn sync_health(&self, viewer: &Viewer) -> Result<Vec<super::DeviceHealth>, AppError>;
    /// The audit log of the viewer's program's cases over a period, newest first, at most
    /// `limit` events: supervisors only.
    async fn audit_trail(
        &self,
        viewer: &Viewer,
        period: crate::domain::indicators::Period,
        limit: Option<u32>,
    ) -> Result<Vec<super::AuditEntry>, AppError>;
    /// Opens a case outside the supervisor's program for [`crate::domain::access::BREAK_GLASS_MINUTES`]
    /// with a stated reason (audited), and answers with the visit, its case and the case's notes
    /// (that read audited too).
    async fn break_glass(
        &self,
        viewer: &Viewer,
        visit: VisitId,
        reason: &str,
    ) -> Result<VisitDetail, AppError>;
    /// Revokes a lost device: administrators any, supervisors those of their program's teams.
    async fn revoke_device(&self, viewer: &Viewer, client_id: &str) -> Result<(), AppError>;
    /// Every staff account with its devices: administrators only.
    async fn staff_accounts(&self, viewer: &Viewer) -> Result<Vec<StaffAccount>, AppError>;
    /// Opens an account with a first passphrase made for it (audited): administrators only;
    /// a login already taken, or an agency that does not exist, is refused on its field.
    async fn create_account(
        &self,
        viewer: &Viewer,
        account: crate::domain::NewAccount,
    ) -> Result<super::IssuedPassphrase, AppError>;
    /// Adds or changes a listing of the hubs' directory (audited): administrators only; bad
    /// input is refused on its field and nothing is written. Answers the business.
    async fn save_listing(
        &self,
        viewer: &Viewer,
        listing: crate::domain::ListingEdit,
    ) -> Result<crate::domain::AgencyId, AppError>;
    /// Retires a business's listing under a hub (audited): administrators only.
    async fn retire_listing(
        &self,
        viewer: &Viewer,
        business: crate::domain::AgencyId,
        hub: crate::domain::AgencyId,
    ) -> Result<(), AppError>;
    /// Issues a new passphrase for `staff` (audited): their sessions end, sign-in failures are
    /// forgotten, and they must change it first. Administrators only, not their own.
    async fn reissue_passphrase(
        &self,
        viewer: &Viewer,
        staff: &str,
    ) -> Result<super::IssuedPassphrase, AppError>;
    /// Disables or enables an account (audited); a disabled user's sessions end at once.
    /// Administrators only, and not their own account; an id that names nobody is not found.
    async fn set_account_disabled(
        &self,
        viewer: &Viewer,
        staff: &str,
        disabled: bool,
    ) -> Result<(), AppError>;
    /// Removes a user's second factor and recovery codes (audited): administrators only, and
    /// not their own.
    async fn reset_second_factor(&self, viewer: &Viewer, staff: &str) -> Result<(), AppError>;
    /// The indicators of the viewer's program over a period: supervisors only.
    async fn indicators(
        &self,
        viewer: &Viewer,
        period: crate::domain::indicators::Period,
    ) -> Result<crate::domain::indicators::Indicators, AppError>;
}

/// The backend as held in Leptos context.
pub type SharedBackend = Arc<dyn Backend>;
