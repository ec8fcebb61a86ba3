//! Applying one mutation on its transaction. Every op checks the user's rights on the record
//! it touches, validates with the domain's rules, writes, logs the change and audits.

use super::super::audit::{self, Action, Event};
use super::super::backend::notes;
use super::super::backend::visits::{visible, KnownVisits, Purpose};
use super::super::Conn;
use super::{intake, log};
use crate::db::Stamp;
use anyhow::{anyhow, Context};
use app::api::{AppError, Viewer};
use app::domain::access::may_see_case;
use app::domain::case::LIFE_GOAL_MAX;
use app::domain::error::optional_text;
use app::domain::{
    CaseId, CaseStatus, FieldError, Program, RiskLevel, Role, TimeWindow, VisitStatus,
};
use app::sync::{
    merge_field, AgencyPhase, CaseField, FieldDecision, Mutation, MutationOutcome, Op, Register,
    RejectReason, VisitField,
};
use chrono::{DateTime, NaiveDate, Utc};

/// Why a mutation did not apply.
pub enum Failure {
    /// It never can: recorded as rejected, with this reason, and the queue goes on.
    Rejected(RejectReason),
    /// Something failed on the server: roll back and let the device retry.
    Internal(anyhow::Error),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => Failure::Rejected(RejectReason::NotFound),
            AppError::Forbidden => Failure::Rejected(RejectReason::Forbidden),
            AppError::Invalid(errors) => Failure::Rejected(RejectReason::Invalid { errors }),
            other => Failure::Internal(anyhow!("{other}")),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Internal(e)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Internal(e.into())
    }
}

pub(super) fn rejected<T>(reason: RejectReason) -> Result<T, Failure> {
    Err(Failure::Rejected(reason))
}

/// Applies one mutation.
pub async fn apply(
    conn: &mut Conn,
    viewer: &Viewer,
    mutation: &Mutation,
    known: &mut KnownVisits,
) -> Result<MutationOutcome, Failure> {
    let id = mutation.id;
    if !matches!(mutation.op, Op::CreateNote { .. }) {
        // Any other change may touch what the rights check read ahead (a team, a visit).
        known.forget_all();
    }
    if mutation.op.holds_control_characters() {
        return Err(AppError::Invalid(vec![FieldError::new(
            "text",
            app::domain::Problem::ControlCharacter,
        )])
        .into());
    }
    let recorded_at = Stamp::from(mutation.recorded_at);
    match &mutation.op {
        Op::CreateNote {
            note_id,
            visit_id,
            fields,
        } => {
            let fields = fields.clone().validate().map_err(AppError::Invalid)?;
            notes::create(
                conn,
                viewer,
                *note_id,
                *visit_id,
                &fields,
                recorded_at,
                known,
            )
            .await?;
            Ok(MutationOutcome::Applied { id })
        }
        Op::AmendNote {
            note_id,
            amends,
            fields,
        } => {
            let fields = fields.clone().validate().map_err(AppError::Invalid)?;
            notes::amend(conn, viewer, *note_id, *amends, &fields, recorded_at).await?;
            Ok(MutationOutcome::Applied { id })
        }
        Op::EditCase { case_id, edit } => {
            may_edit_case(conn, viewer, *case_id).await?;
            let value = check_case_value(edit.field, &edit.value)?;
            let target = Target {
                entity: "case",
                table: "cases",
                id: case_id.to_string(),
                case_id: *case_id,
            };
            edit_field(
                conn,
                viewer,
                &target,
                edit.field.code(),
                &value,
                edit.base_version,
                recorded_at,
                id,
            )
            .await
        }
        Op::EditVisit { visit_id, edit } => {
            let visit = visible(conn, viewer, *visit_id, Purpose::Write).await?;
            if !(visit.on_team && viewer.role.writes_notes() || viewer.role == Role::Supervisor) {
                return rejected(RejectReason::Forbidden);
            }
            let value = check_visit_value(conn, *visit_id, edit.field, &edit.value).await?;
            let target = Target {
                entity: "visit",
                table: "visits",
                id: visit_id.to_string(),
                case_id: visit.case_id,
            };
            edit_field(
                conn,
                viewer,
                &target,
                edit.field.code(),
                &value,
                edit.base_version,
                recorded_at,
                id,
            )
            .await
        }
        Op::JoinTeam { case_id, staff_id } | Op::LeaveTeam { case_id, staff_id } => {
            may_edit_case(conn, viewer, *case_id).await?;
            let role: Option<(String, bool)> =
                sqlx::query_as("SELECT role, disabled FROM staff WHERE id = $1")
                    .bind(staff_id.to_string())
                    .fetch_optional(&mut *conn)
                    .await?;
            match role {
                Some((role, false)) if role != Role::Admin.code() => {}
                _ => return rejected(RejectReason::CannotJoinTeam),
            }
            let changed = if matches!(mutation.op, Op::JoinTeam { .. }) {
                join_team(conn, *case_id, *staff_id).await?
            } else {
                let seq = log::next_seq(conn).await?;
                sqlx::query("UPDATE case_team SET left_at = $1, left_seq = $2 WHERE case_id = $3 AND staff_id = $4 AND left_at IS NULL")
                    .bind(Stamp::now())
                    .bind(seq as i64)
                    .bind(case_id.to_string())
                    .bind(staff_id.to_string())
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
            };
            if changed > 0 && matches!(mutation.op, Op::JoinTeam { .. }) {
                // The newcomer's devices hold nothing of the case yet: log all of it again.
                log::whole_case(conn, &case_id.to_string()).await?;
            } else if changed > 0 {
                log::team(conn, &case_id.to_string()).await?;
            }
            audit_edit(conn, viewer, *case_id).await?;
            Ok(MutationOutcome::Applied { id })
        }
        Op::ResolveConflict { conflict_id, value } => {
            resolve(conflict_id, value, conn, viewer, recorded_at, id).await
        }
        Op::OpenCase {
            case_id,
            pseudonym,
            risk,
            agencies,
        } => {
            intake::open_case(conn, viewer, *case_id, pseudonym, *risk, agencies).await?;
            Ok(MutationOutcome::Applied { id })
        }
        Op::PlanVisit {
            visit_id,
            case_id,
            starts_at,
            ends_at,
            place,
            members,
        } => {
            may_edit_case(conn, viewer, *case_id).await?;
            let window =
                TimeWindow::new(*starts_at, *ends_at).map_err(|e| AppError::Invalid(vec![e]))?;
            intake::plan_visit(conn, viewer, *visit_id, *case_id, window, place, members).await?;
            Ok(MutationOutcome::Applied { id })
        }
        Op::ReviewNote {
            review_id,
            note_id,
            revision,
            decision,
        } => {
            intake::review(conn, viewer, *review_id, *note_id, *revision, decision).await?;
            Ok(MutationOutcome::Applied { id })
        }
        Op::AddAgency {
            case_id,
            phase,
            agency_id,
        }
        | Op::RemoveAgency {
            case_id,
            phase,
            agency_id,
        } => {
            may_edit_case(conn, viewer, *case_id).await?;
            let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM agencies WHERE id = $1")
                .bind(agency_id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            if exists.is_none() {
                return rejected(RejectReason::UnknownAgency);
            }
            let sql = if matches!(mutation.op, Op::AddAgency { .. }) {
                "INSERT INTO case_agencies (case_id, phase, agency_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM case_agencies WHERE case_id = $1 AND phase = $2 AND agency_id = $3"
            };
            let changed = sqlx::query(sql)
                .bind(case_id.to_string())
                .bind(phase_code(*phase))
                .bind(agency_id.to_string())
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if changed > 0 {
                log::agencies(conn, &case_id.to_string()).await?;
            }
            audit_edit(conn, viewer, *case_id).await?;
            Ok(MutationOutcome::Applied { id })
        }
    }
}

fn phase_code(phase: AgencyPhase) -> &'static str {
    phase.code()
}

/// Puts someone on a case team, or back on it after they left; joining never removes anyone.
/// Returns whether the team changed.
pub(super) async fn join_team(
    conn: &mut Conn,
    case_id: CaseId,
    staff_id: app::domain::StaffId,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO case_team (case_id, staff_id, joined_at) VALUES ($1, $2, $3) \
         ON CONFLICT (case_id, staff_id) DO UPDATE SET left_at = NULL, left_seq = NULL WHERE case_team.left_at IS NOT NULL",
    )
    .bind(case_id.to_string())
    .bind(staff_id.to_string())
    .bind(Stamp::now())
    .execute(conn)
    .await?
    .rows_affected())
}

/// Team members who write notes, and supervisors of the case's program, edit a case.
pub(super) async fn may_edit_case(
    conn: &mut Conn,
    viewer: &Viewer,
    case_id: CaseId,
) -> Result<(), Failure> {
    let found: Option<(String, bool)> = sqlx::query_as(
        "SELECT c.program, EXISTS (SELECT 1 FROM case_team t WHERE t.case_id = c.id AND t.staff_id = $1 AND t.left_at IS NULL) \
         FROM cases c WHERE c.id = $2",
    )
    .bind(viewer.id.to_string())
    .bind(case_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let allowed = found.is_some_and(|(program, on_team)| {
        Program::parse(&program)
            .is_ok_and(|p| may_see_case(viewer.role, viewer.supervises, on_team, p))
            && (on_team && viewer.role.writes_notes() || viewer.role == Role::Supervisor)
    });
    if allowed {
        Ok(())
    } else {
        rejected(RejectReason::NotFound)
    }
}

fn check_case_value(field: CaseField, value: &str) -> Result<String, Failure> {
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

async fn check_visit_value(
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
struct Target {
    entity: &'static str,
    table: &'static str,
    id: String,
    case_id: CaseId,
}

/// Writes one field through the merge rule: the edit applies; a concurrent edit with another
/// value leaves a conflict record holding the value it replaced.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per record kind; a struct would only rename them"
)]
async fn edit_field(
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

async fn audit_edit(conn: &mut Conn, viewer: &Viewer, case_id: CaseId) -> Result<(), Failure> {
    audit::record(
        conn,
        Event {
            actor: Some(viewer),
            action: Action::EditCase,
            case_id: Some(case_id.to_string()),
            record_id: None,
        },
    )
    .await?;
    Ok(())
}

/// Settles a conflict with the chosen value, written as a fresh version of the field.
async fn resolve(
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
    let (field, value, target) = match entity.as_str() {
        "case" => {
            let field = CaseField::parse(&field).map_err(|_| anyhow!("a stored field"))?;
            let target = Target {
                entity: "case",
                table: "cases",
                id: entity_id.clone(),
                case_id,
            };
            (field.code(), check_case_value(field, value)?, target)
        }
        _ => {
            let field = VisitField::parse(&field).map_err(|_| anyhow!("a stored field"))?;
            let visit_id = entity_id.parse().context("a stored visit id")?;
            let value = check_visit_value(conn, visit_id, field, value).await?;
            let target = Target {
                entity: "visit",
                table: "visits",
                id: entity_id.clone(),
                case_id,
            };
            (field.code(), value, target)
        }
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
