//! Pull: every change since the device's cursor that the user may see, in one round trip.

use super::super::backend::Service;
use super::push::last_mutation_id;
use super::{decode, internal, Refusal, SignedIn};
use anyhow::Context;
use app::domain::Role;
use app::sync::{Change, PullRequest, PullResponse, Record, SyncError, MAX_PULL_PAGE};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// The cases a user may see: their active teams, and for a supervisor the program's cases.
const VISIBLE_CASES: &str =
    "SELECT case_id FROM case_team WHERE staff_id = $1 AND left_at IS NULL \
     UNION SELECT id FROM cases WHERE $2 = 'supervisor' AND program = $3";

pub async fn handle(
    State(service): State<Service>,
    signed_in: Result<SignedIn, Refusal>,
    body: Bytes,
) -> Response {
    match signed_in {
        Ok(SignedIn(viewer)) => match answer(&service, viewer, &body).await {
            Err(Refusal(SyncError::DeviceRevoked)) => erase(true),
            other => other.into_response(),
        },
        Err(refusal)
            if refusal.0 == SyncError::Unauthenticated
                && revoked_with_nothing_waiting(&service, &body).await =>
        {
            erase(false)
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// Tells a revoked device to erase itself. With the user's session, the browser is told to
/// clear the origin's storage, caches and cookies on the spot too (the app erases what it holds
/// as well, for browsers that do not); without one, not: such a request can come from anywhere,
/// another site's page too.
fn erase(signed_in: bool) -> Response {
    let mut response = Refusal(SyncError::DeviceRevoked).into_response();
    if signed_in {
        response.headers_mut().insert(
            HeaderName::from_static("clear-site-data"),
            HeaderValue::from_static("\"cache\", \"cookies\", \"storage\""),
        );
    }
    response
}

/// A pull by a signed-in user.
async fn answer(
    service: &Service,
    viewer: app::api::Viewer,
    body: &[u8],
) -> Result<Json<PullResponse>, Refusal> {
    let request: PullRequest = decode(body)?;
    app::sync::protocol::check_version(request.protocol_version)?;
    let client = request.client_id.0.to_string();
    let (last, database) = last_mutation_id(service, &client, &viewer).await?;
    super::push::same_database(request.database, database, last)?;
    // A revoked device pulls nothing more. Its pushes are still taken: while it reports changes
    // waiting it gets an empty page, and only once nothing waits is it told to erase itself.
    let revoked = super::push::report_contact(service, &client, request.pending_since).await?;
    if revoked && !request.may_erase() {
        return Ok(Json(PullResponse::nothing(request.cursor, last, database)));
    }
    if revoked {
        return Err(Refusal(SyncError::DeviceRevoked));
    }
    let me = viewer.id.to_string();
    let role = viewer.role.code();
    let program = viewer.supervises.map(|p| p.code()).unwrap_or("");
    if viewer.role == Role::Admin {
        return Ok(Json(PullResponse::nothing(request.cursor, last, database)));
    }
    // One read transaction, so the changes and the cursor describe the same moment.
    let mut tx = super::super::writes::begin_read(service.db())
        .await
        .map_err(internal("pull"))?;
    let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(&format!(
        "SELECT seq, case_id, entity, entity_id, data FROM change_log \
         WHERE seq > $4 AND case_id IN ({VISIBLE_CASES}) ORDER BY seq LIMIT $5"
    ))
    .bind(&me)
    .bind(role)
    .bind(program)
    .bind(request.cursor as i64)
    .bind(MAX_PULL_PAGE as i64 + 1)
    .fetch_all(&mut *tx)
    .await
    .context("reading changes")
    .map_err(internal("pull"))?;
    let more = rows.len() > MAX_PULL_PAGE;
    let mut changes = Vec::with_capacity(rows.len().min(MAX_PULL_PAGE));
    for (seq, case_id, entity, entity_id, data) in rows.into_iter().take(MAX_PULL_PAGE) {
        changes.push(Change {
            seq: seq as u64,
            case_id: case_id
                .parse()
                .context("a logged case id")
                .map_err(internal("pull"))?,
            entity_id,
            record: Record::from_log(&entity, &data)
                .context("a logged record")
                .map_err(internal("pull"))?,
        });
    }
    let cursor = if more {
        changes.last().map(|c| c.seq).unwrap_or(request.cursor)
    } else {
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM change_log")
            .fetch_one(&mut *tx)
            .await
            .context("reading the cursor")
            .map_err(internal("pull"))?;
        (max.unwrap_or(0) as u64).max(request.cursor)
    };
    let removed: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT case_id FROM case_team WHERE staff_id = $1 AND left_seq > $4 AND left_seq <= $5 \
         AND case_id NOT IN ({VISIBLE_CASES})"
    ))
    .bind(&me)
    .bind(role)
    .bind(program)
    .bind(request.cursor as i64)
    .bind(cursor as i64)
    .fetch_all(&mut *tx)
    .await
    .context("reading removals")
    .map_err(internal("pull"))?;
    let reference_version = super::super::backend::reference::version(&mut *tx)
        .await
        .context("reading the reference data's version")
        .map_err(internal("pull"))?;
    tx.commit()
        .await
        .context("ending a pull")
        .map_err(internal("pull"))?;
    let removed_cases = removed
        .iter()
        .map(|c| c.parse())
        .collect::<Result<Vec<_>, _>>()
        .context("a removed case id")
        .map_err(internal("pull"))?;
    Ok(Json(PullResponse {
        changes,
        removed_cases,
        cursor,
        more,
        last_mutation_id: last,
        database: Some(database),
        keep_sent_days: service.config().keep_sent_days,
        reference_version: Some(reference_version),
    }))
}

/// Whether a pull without a session (one ended, or an account disabled) comes from a device
/// that was revoked and holds nothing unsent: it is told to erase itself now, since no sign-in
/// may ever come. A device with unsent work is only told to sign in, and keeps it (encrypted).
async fn revoked_with_nothing_waiting(service: &Service, body: &[u8]) -> bool {
    let Ok(request) = serde_json::from_slice::<PullRequest>(body) else {
        return false;
    };
    if !request.may_erase() {
        return false;
    }
    let revoked: Option<(bool,)> =
        sqlx::query_as("SELECT revoked_at IS NOT NULL FROM sync_clients WHERE client_id = $1")
            .bind(request.client_id.0.to_string())
            .fetch_optional(service.db())
            .await
            .unwrap_or(None);
    revoked.is_some_and(|(revoked,)| revoked)
}
