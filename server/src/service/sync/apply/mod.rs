//! Applying one mutation on its transaction. Every op checks the user's rights on the record
//! it touches, validates with the domain's rules, writes, logs the change and audits.
//!
//! Here: the dispatch, and the rights check and audit the families share. Field edits of
//! cases and visits are in `fields`, the team and the agencies in `team`, settling conflicts
//! in `conflicts`, directory listings suggested to the team in `suggestions`; notes, reviews, new cases and planned visits go to `backend::notes` and
//! `intake`.

mod conflicts;
mod fields;
mod suggestions;
mod team;

pub(super) use team::join_team;

use super::super::audit::{self, Action, Event};
use super::super::backend::notes;
use super::super::backend::visits::KnownVisits;
use super::super::Conn;
use super::intake;
use crate::db::Stamp;
use anyhow::anyhow;
use app::api::{AppError, Viewer};
use app::domain::access::may_see_case;
use app::domain::{CaseId, FieldError, Program, Role, TimeWindow};
use app::sync::{Mutation, MutationOutcome, Op, RejectReason};

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
            fields::edit_case(conn, viewer, *case_id, edit, recorded_at, id).await
        }
        Op::EditVisit { visit_id, edit } => {
            fields::edit_visit(conn, viewer, *visit_id, edit, recorded_at, id).await
        }
        Op::JoinTeam { case_id, staff_id } | Op::LeaveTeam { case_id, staff_id } => {
            team::join_or_leave(conn, viewer, mutation, *case_id, *staff_id).await
        }
        Op::ResolveConflict { conflict_id, value } => {
            conflicts::resolve(conflict_id, value, conn, viewer, recorded_at, id).await
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
        } => team::add_or_remove_agency(conn, viewer, mutation, *case_id, *phase, *agency_id).await,
        Op::SuggestListing {
            suggestion_id,
            case_id,
            business,
            hub,
        } => {
            let suggested = suggestions::Suggested {
                id: *suggestion_id,
                case_id: *case_id,
                business: *business,
                hub: *hub,
            };
            suggestions::suggest(conn, viewer, id, suggested, recorded_at).await
        }
        Op::WithdrawSuggestion {
            suggestion_id,
            case_id,
        } => suggestions::withdraw(conn, viewer, id, *suggestion_id, *case_id, recorded_at).await,
    }
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
