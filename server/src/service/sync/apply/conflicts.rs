//! Settling a conflict: the chosen value is written as a fresh version of the field.

use super::super::super::Conn;
use super::super::log;
use super::fields::{check_case_value, check_visit_value, edit_field, Target};
use super::{may_edit_case, rejected, Failure};
use crate::db::Stamp;
use anyhow::{anyhow, Context};
use app::api::Viewer;
use app::domain::CaseId;
use app::sync::{ConflictField, MutationOutcome, RejectReason};

/// Settles a conflict with the chosen value, written as a fresh version of the field.
pub(super) async fn resolve(
    conflict_id: &uuid::Uuid,
    value: &str,
    conn: &mut Conn,
    viewer: &Viewer,
    recorded_at: Stamp,
    mutation_id: u64,
) -> Result<MutationOutcome, Failure> {
    let found: Option<(String, String, String, String, Option<Stamp>)> = sqlx::query_as(
        "SELECT case_id, entity, entity_id, field, resolved_at FROM conflicts WHERE id = $1",
    )
    .bind(conflict_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((case_id, entity, entity_id, field, resolved_at)) = found else {
        return rejected(RejectReason::NotFound);
    };
    let case_id: CaseId = case_id.parse().context("a stored case id")?;
    may_edit_case(conn, viewer, case_id).await?;
    if resolved_at.is_some() {
        return rejected(RejectReason::AlreadyResolved);
    }
    let (field, value, target) = match ConflictField::parse(&entity, &field) {
        Some(ConflictField::Case(field)) => (
            field.code(),
            check_case_value(field, value)?,
            Target::case(case_id),
        ),
        Some(ConflictField::Visit(field)) => {
            let visit_id = entity_id.parse().context("a stored visit id")?;
            let value = check_visit_value(conn, visit_id, field, value).await?;
            (field.code(), value, Target::visit(visit_id, case_id))
        }
        None => return Err(anyhow!("a stored field").into()),
    };
    // The resolver decides knowing both values: the edit is based on the current version.
    let current: Option<i64> = sqlx::query_scalar(
        "SELECT version FROM field_versions WHERE entity = $1 AND entity_id = $2 AND field = $3",
    )
    .bind(target.entity)
    .bind(&target.id)
    .bind(field)
    .fetch_optional(&mut *conn)
    .await?;
    edit_field(
        conn,
        viewer,
        &target,
        field,
        &value,
        current.unwrap_or(0) as u64,
        recorded_at,
        mutation_id,
    )
    .await?;
    sqlx::query("UPDATE conflicts SET resolved_at = $1, resolved_by = $2 WHERE id = $3")
        .bind(Stamp::now())
        .bind(viewer.id.to_string())
        .bind(conflict_id.to_string())
        .execute(&mut *conn)
        .await?;
    log::conflict(conn, &conflict_id.to_string()).await?;
    Ok(MutationOutcome::Applied { id: mutation_id })
}
