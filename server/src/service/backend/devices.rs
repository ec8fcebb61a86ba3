//! Devices: revoking one that was lost. Its next pushes are still taken, so nothing typed on it
//! is lost; its pulls are refused and it erases itself (`app::sync::SyncError::DeviceRevoked`).

use super::super::audit::{self, Action, Event};
use super::super::Pool;
use super::OrInternal;
use crate::db::Stamp;
use app::api::{AppError, Viewer};
use app::domain::access::manages_accounts;

/// Revokes a device: an administrator any, a supervisor one whose user is on a team of a case
/// of the supervised program. A device the viewer may not see answers as one that does not
/// exist. Revoking twice changes nothing.
pub async fn revoke(db: &Pool, viewer: &Viewer, client_id: &str) -> Result<(), AppError> {
    let program = match viewer.supervised_program() {
        _ if manages_accounts(viewer.role) => None,
        Some(program) => Some(program.code()),
        None => return Err(AppError::Forbidden),
    };
    let mut tx = super::super::writes::begin(db)
        .await
        .or_internal("starting a revocation")?;
    let reachable: Option<(String,)> = sqlx::query_as(
        "SELECT d.client_id FROM sync_clients d WHERE d.client_id = $1 AND ($2 IS NULL OR \
         d.staff_id IN (SELECT t.staff_id FROM case_team t JOIN cases c ON c.id = t.case_id \
           WHERE c.program = $2 AND t.left_at IS NULL))",
    )
    .bind(client_id)
    .bind(program)
    .fetch_optional(&mut *tx)
    .await
    .or_internal("finding a device")?;
    if reachable.is_none() {
        return Err(AppError::NotFound);
    }
    let changed = sqlx::query(
        "UPDATE sync_clients SET revoked_at = $1, revoked_by = $2 \
         WHERE client_id = $3 AND revoked_at IS NULL",
    )
    .bind(Stamp::now())
    .bind(viewer.id.to_string())
    .bind(client_id)
    .execute(&mut *tx)
    .await
    .or_internal("revoking a device")?;
    if changed.rows_affected() == 1 {
        audit::record(
            &mut tx,
            Event {
                actor: Some(viewer),
                action: Action::RevokeDevice,
                case_id: None,
                record_id: Some(client_id.to_owned()),
            },
        )
        .await
        .or_internal("auditing a revocation")?;
    }
    tx.commit().await.or_internal("committing a revocation")?;
    Ok(())
}
