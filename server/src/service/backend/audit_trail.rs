//! The audit log as a supervisor reads it: the events about the cases of the supervised
//! program over a period (Japan days), newest first. Reading it is itself audited.

use super::super::audit::Action;
use super::super::Pool;
use super::OrInternal;
use crate::db::Stamp;
use app::api::{AppError, AuditEntry, Viewer};
use app::domain::indicators::Period;
use app::domain::visit::day_starts;

type Row = (
    Stamp,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<Stamp>,
    Option<String>,
);

/// The events of the viewer's program's cases in `period`, newest first, at most `limit`.
/// Supervisors only.
pub async fn entries(
    db: &Pool,
    viewer: &Viewer,
    period: Period,
    limit: Option<u32>,
) -> Result<Vec<AuditEntry>, AppError> {
    let program = viewer.supervised_program().ok_or(AppError::Forbidden)?;
    let mut tx = super::audited_read(db, viewer, Action::ReadAudit).await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT l.at, s.display_name, l.actor_role, l.action, c.pseudonym, l.record_id, l.outcome, \
           l.client_id, l.device_time, g.reason \
         FROM audit_log l JOIN cases c ON c.id = l.case_id LEFT JOIN staff s ON s.id = l.actor_id \
         LEFT JOIN break_glass g ON l.action = 'break_glass' AND g.id = l.record_id \
         WHERE c.program = $1 AND l.at >= $2 AND l.at < $3 ORDER BY l.id DESC LIMIT $4",
    )
    .bind(program.code())
    .bind(Stamp::from(day_starts(period.from)))
    .bind(Stamp::from(day_starts(period.to.succ_opt().unwrap_or(period.to))))
    .bind(limit.map_or(i64::MAX, i64::from))
    .fetch_all(&mut *tx)
    .await
    .or_internal("reading the audit log")?;
    tx.commit().await.or_internal("ending an audited read")?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            at: r.0.time(),
            actor: r.1,
            role: r.2,
            action: r.3,
            pseudonym: r.4,
            record_id: r.5,
            outcome: r.6,
            client_id: r.7,
            device_time: r.8.map(Stamp::time),
            reason: r.9,
        })
        .collect())
}
