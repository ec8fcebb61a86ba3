//! Field edits of cases and visits: each value checked by the domain's rules, then written
//! through the merge rule, which keeps a conflict when a concurrent edit is overwritten.

use super::super::super::backend::visits::{visible, Purpose};
use super::super::super::Conn;
use super::super::log;
use super::{audit_edit, may_edit_case, rejected, Failure};
use crate::db::Stamp;
use anyhow::Context;
use app::api::{AppError, Viewer};
use app::domain::case::LIFE_GOAL_MAX;
use app::domain::error::optional_text;
use app::domain::{
    CaseId, CaseStatus, FieldError, RiskLevel, Role, TimeWindow, VisitId, VisitStatus,
};
use app::sync::{
    merge_field, CaseField, FieldDecision, FieldEdit, MutationOutcome, Register, RejectReason,
    VisitField,
};
use chrono::{DateTime, NaiveDate, Utc};

/// Edits a field of a case, for whoever may edit the case.
pub(super) async fn edit_case(
    conn: &mut Conn,
    viewer: &Viewer,
    case_id: CaseId,
    edit: &FieldEdit<CaseField>,
    recorded_at: Stamp,
    id: u64,
) -> Result<MutationOutcome, Failure> {
    may_edit_case(conn, viewer, case_id).await?;
    let value = check_case_value(edit.field, &edit.value)?;
    edit_field(
        conn,
        viewer,
        &Target::case(case_id),
        edit.field.code(),
        &value,
        edit.base_version,
        recorded_at,
        id,
    )
    .await
}

/// Edits a field of a visit, for its team's note writers and for supervisors.
pub(super) async fn edit_visit(
    conn: &mut Conn,
    viewer: &Viewer,
    visit_id: VisitId,
    edit: &FieldEdit<VisitField>,
    recorded_at: Stamp,
    id: u64,
) -> Result<MutationOutcome, Failure> {
    let visit = visible(conn, viewer, visit_id, Purpose::Write).await?;
    if !(visit.on_team && viewer.role.writes_notes() || viewer.role == Role::Supervisor) {
        return rejected(RejectReason::Forbidden);
    }
    let value = check_visit_value(conn, visit_id, edit.field, &edit.value).await?;
    edit_field(
        conn,
        viewer,
        &Target::visit(visit_id, visit.case_id),
        edit.field.code(),
        &value,
        edit.base_version,
        recorded_at,
        id,
    )
    .await
}

pub(super) fn check_case_value(field: CaseField, value: &str) -> Result<String, Failure> {
    match field {
        CaseField::LifeGoal | CaseField::MedicalView | CaseField::WelfareView => {
            optional_text(field.code(), value, LIFE_GOAL_MAX)
                .map_err(|e| AppError::Invalid(vec![e]).into())
        }
        CaseField::Risk => RiskLevel::parse(value)
            .map(|r| r.code().to_owned())
            .map_err(|p| AppError::Invalid(vec![FieldError::new("risk", p)]).into()),
        CaseField::Status => CaseStatus::parse(value)
            .map(|s| s.code().to_owned())
            .map_err(|p| AppError::Invalid(vec![FieldError::new("status", p)]).into()),
    }
}

pub(super) async fn check_visit_value(
    conn: &mut Conn,
    visit_id: app::domain::VisitId,
    field: VisitField,
    value: &str,
) -> Result<String, Failure> {
    let invalid = |p| Failure::from(AppError::Invalid(vec![FieldError::new(field.code(), p)]));
    match field {
        VisitField::Status => VisitStatus::parse(value)
            .map(|s| s.code().to_owned())
            .map_err(invalid),
        VisitField::Outcome => optional_text("outcome", value, LIFE_GOAL_MAX)
            .map_err(|e| AppError::Invalid(vec![e]).into()),
        VisitField::NextVisitOn if value.is_empty() => Ok(String::new()),
        VisitField::NextVisitOn => value
            .parse::<NaiveDate>()
            .map(|d| d.to_string())
            .map_err(|_| invalid(app::domain::Problem::UnknownChoice)),
        VisitField::StartsAt | VisitField::EndsAt => {
            let at = DateTime::parse_from_rfc3339(value)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| invalid(app::domain::Problem::UnknownChoice))?;
            let (starts, ends): (Stamp, Stamp) =
                sqlx::query_as("SELECT starts_at, ends_at FROM visits WHERE id = $1")
                    .bind(visit_id.to_string())
                    .fetch_one(&mut *conn)
                    .await?;
            let (starts, ends) = if field == VisitField::StartsAt {
                (at, ends.time())
            } else {
                (starts.time(), at)
            };
            TimeWindow::new(starts, ends).map_err(|e| AppError::Invalid(vec![e]))?;
            Ok(Stamp::from(at).to_string())
        }
    }
}

/// The record a field edit targets.
pub(super) struct Target {
    pub(super) entity: &'static str,
    pub(super) table: &'static str,
    pub(super) id: String,
    pub(super) case_id: CaseId,
}

impl Target {
    /// A field of a case.
    pub(super) fn case(case_id: CaseId) -> Self {
        Self {
            entity: "case",
            table: "cases",
            id: case_id.to_string(),
            case_id,
        }
    }

    /// A field of a visit, of the case it belongs to.
    pub(super) fn visit(visit_id: VisitId, case_id: CaseId) -> Self {
        Self {
            entity: "visit",
            table: "visits",
            id: visit_id.to_string(),
            case_id,
        }
    }
}

/// Writes one field through the merge rule: the edit applies; a concurrent edit with another
/// value leaves a conflict record holding the value it replaced.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per record kind; a struct would only rename them"
)]
pub(super) async fn edit_field(
    conn: &mut Conn,
    viewer: &Viewer,
    target: &Target,
    field: &'static str,
    value: &str,
    base_version: u64,
    recorded_at: Stamp,
    mutation_id: u64,
) -> Result<MutationOutcome, Failure> {
    // `field` and `table` come from fixed codes, never from the request's text.
    let read = format!("SELECT {field} FROM {} WHERE id = $1", target.table);
    // A visit's start and end are moments; every other field is text. Values travel and merge as
    // text either way (the moment's stored text form).
    let moment = target.table == "visits"
        && [VisitField::StartsAt.code(), VisitField::EndsAt.code()].contains(&field);
    let current = if moment {
        let stored: Stamp = sqlx::query_scalar(&read)
            .bind(&target.id)
            .fetch_one(&mut *conn)
            .await?;
        stored.to_string()
    } else {
        sqlx::query_scalar(&read)
            .bind(&target.id)
            .fetch_one(&mut *conn)
            .await?
    };
    let previous: Option<(i64, Option<String>, Option<Stamp>)> =
        sqlx::query_as("SELECT version, author_id, recorded_at FROM field_versions WHERE entity = $1 AND entity_id = $2 AND field = $3")
            .bind(target.entity)
            .bind(&target.id)
            .bind(field)
            .fetch_optional(&mut *conn)
            .await?;
    let (version, replaced_author, replaced_at) = previous
        .map(|(v, a, r)| (v as u64, a, r))
        .unwrap_or((0, None, None));
    let decision = merge_field(
        &Register {
            value: current,
            version,
        },
        base_version,
        value,
    );
    let seq = log::next_seq(conn).await?;
    let write = format!("UPDATE {} SET {field} = $1 WHERE id = $2", target.table);
    let write = sqlx::query(&write);
    let write = if moment {
        write.bind(Stamp::parse(value).context("a checked moment")?)
    } else {
        write.bind(value)
    };
    write.bind(&target.id).execute(&mut *conn).await?;
    if target.table == "cases" && field == CaseField::Status.code() {
        // A closed case keeps the day it closed; reopening it clears that day.
        sqlx::query(
            "UPDATE cases SET closed_on = CASE WHEN status = 'closed' THEN COALESCE(closed_on, $1) ELSE NULL END WHERE id = $2",
        )
        .bind(app::domain::visit::local_day(Utc::now()).to_string())
        .bind(&target.id)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO field_versions (entity, entity_id, field, version, author_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (entity, entity_id, field) DO UPDATE SET version = excluded.version, author_id = excluded.author_id, \
           recorded_at = excluded.recorded_at",
    )
    .bind(target.entity)
    .bind(&target.id)
    .bind(field)
    .bind(seq as i64)
    .bind(viewer.id.to_string())
    .bind(recorded_at)
    .execute(&mut *conn)
    .await?;
    if target.entity == "case" {
        log::case(conn, &target.id).await?;
    } else {
        log::visit(conn, &target.id).await?;
    }
    let outcome = match decision {
        FieldDecision::Apply | FieldDecision::ApplySame => {
            MutationOutcome::Applied { id: mutation_id }
        }
        FieldDecision::ApplyWithConflict { replaced } => {
            let conflict_id = uuid::Uuid::new_v4();
            sqlx::query(
                "INSERT INTO conflicts (id, case_id, entity, entity_id, field, winner_value, winner_author_id, winner_recorded_at, \
                   replaced_value, replaced_author_id, replaced_recorded_at, created_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(conflict_id.to_string())
            .bind(target.case_id.to_string())
            .bind(target.entity)
            .bind(&target.id)
            .bind(field)
            .bind(value)
            .bind(viewer.id.to_string())
            .bind(recorded_at)
            .bind(replaced)
            .bind(replaced_author)
            .bind(replaced_at)
            .bind(seq as i64)
            .execute(&mut *conn)
            .await?;
            log::conflict(conn, &conflict_id.to_string()).await?;
            MutationOutcome::Conflicted {
                id: mutation_id,
                conflict_id,
            }
        }
    };
    audit_edit(conn, viewer, target.case_id).await?;
    Ok(outcome)
}
