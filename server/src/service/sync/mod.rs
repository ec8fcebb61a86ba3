//! The sync endpoints: `POST /sync/push` applies a device's numbered mutations, `POST /sync/pull`
//! answers with what changed since a cursor. The rules they follow live in `app::sync`.

mod apply;
mod intake;
pub mod log;
mod pull;
mod push;

use super::backend::Service;
use app::api::{Backend, Viewer};
use app::sync::SyncError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use tower_http::decompression::RequestDecompressionLayer;

/// The sync routes, over the shared service.
pub fn router<S: Clone + Send + Sync + 'static>(service: Service) -> Router<S> {
    Router::new()
        .route("/sync/push", post(push::handle))
        .route("/sync/pull", post(pull::handle))
        // Devices may gzip what they send: a week of notes from a hillside flat is mostly text.
        .layer(RequestDecompressionLayer::new())
        .with_state(service)
}

/// A refused request, answered as JSON with a status a client can act on.
pub struct Refusal(pub SyncError);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            SyncError::UpdateRequired { .. } => StatusCode::UPGRADE_REQUIRED,
            SyncError::Gap { .. } | SyncError::Restored { .. } => StatusCode::CONFLICT,
            SyncError::BatchTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            SyncError::OutOfOrder | SyncError::Malformed { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            SyncError::Unauthenticated => StatusCode::UNAUTHORIZED,
            SyncError::Internal => StatusCode::SERVICE_UNAVAILABLE,
            SyncError::DeviceRevoked => StatusCode::GONE,
        };
        (status, [(header::CACHE_CONTROL, "no-store")], Json(&self.0)).into_response()
    }
}

impl From<SyncError> for Refusal {
    fn from(e: SyncError) -> Self {
        Refusal(e)
    }
}

/// Logs an internal failure and answers with a retryable refusal.
pub(crate) fn internal(doing: &'static str) -> impl FnOnce(anyhow::Error) -> Refusal {
    move |e| {
        tracing::error!(error = format!("{e:#}"), doing, "sync failure");
        Refusal(SyncError::Internal)
    }
}

/// The signed-in user of a request, from the session cookie. Push, pull and the exports take
/// it as an extractor: a request without a live session is refused before the handler runs.
pub(crate) struct SignedIn(pub Viewer);

impl FromRequestParts<Service> for SignedIn {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, service: &Service) -> Result<Self, Refusal> {
        let token = app::api::ssr::session_token_in(&parts.headers)
            .ok_or(Refusal(SyncError::Unauthenticated))?;
        match service.viewer(&token).await {
            // Until a required second factor is set up, or an issued passphrase changed,
            // nothing syncs.
            Ok(Some(viewer)) if viewer.settles_sign_in_first() => {
                Err(Refusal(SyncError::Unauthenticated))
            }
            Ok(Some(viewer)) => Ok(SignedIn(viewer)),
            Ok(None) => Err(Refusal(SyncError::Unauthenticated)),
            Err(_) => Err(Refusal(SyncError::Internal)),
        }
    }
}

/// Reads a JSON body, turning any decoding problem into a clear refusal.
fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| {
        Refusal(SyncError::Malformed {
            detail: e.to_string(),
        })
    })
}
