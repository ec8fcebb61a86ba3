//! Mutations that create records: a consultation registered as a case, a visit scheduled, a
//! supervisor's review of a note. Each checks the author's rights and the input, writes, logs
//! the change for devices and audits, on the push's transaction.

use super::super::audit::{self, Action, Event};
use super::super::Conn;
use super::apply::{join_team, rejected, Failure};
use super::log;
use crate::db::Stamp;
use app::api::{AppError, Viewer};
use app::domain::case::PSEUDONYM_MAX;
use app::domain::error::required_text;
use app::domain::review::ReviewDecision;
use app::domain::visit::local_day;
use app::domain::visit::PLACE_MAX;
use app::domain::{
    AgencyId, AgencyKind, CaseId, CaseStatus, FieldError, IntakeChannel, NoteId, Problem, Program,
    RiskLevel, Role, StaffId, TimeWindow, VisitId,
};
use app::sync::RejectReason;
use chrono::Utc;

/// The most agencies one intake or one visit may name.
const LIST_MAX: usize = 50;

fn invalid(field: &str, problem: Problem) -> Failure {
    AppError::Invalid(vec![FieldError::new(field, problem)]).into()
}

/// Audits one change to a case's record, by whoever made it.
pub(super) async fn audit(
    conn: &mut Conn,
    viewer: &Viewer,
    action: Action,
    case_id: CaseId,
    record_id: String,
) -> Result<(), Failure> {
    audit::record(
        conn,
        Event {
            actor: Some(viewer),
            action,
            case_id: Some(case_id.to_string()),
            record_id: Some(record_id),
        },
    )
    .await?;
    Ok(())
}

async fn agencies_exist(conn: &mut Conn, ids: &[AgencyId]) -> Result<(), Failure> {
    if ids.len() > LIST_MAX {
        return Err(invalid("agencies", Problem::TooLong { max: LIST_MAX }));
    }
    for id in ids {
        let found: Option<String> = sqlx::query_scalar("SELECT id FROM agencies WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return rejected(RejectReason::UnknownAgency);
        }
    }
    Ok(())
}

/// Registers a consultation. The intake channel follows from the agency the author acts for,
/// and the responsible program from the channel (the case study's routing rule).
pub async fn open_case(
    conn: &mut Conn,
    viewer: &Viewer,
    case_id: CaseId,
    pseudonym: &str,
    risk: RiskLevel,
    agencies: &[AgencyId],
) -> Result<(), Failure> {
    let pseudonym = required_text("pseudonym", pseudonym, PSEUDONYM_MAX)
        .map_err(|e| Failure::from(AppError::Invalid(vec![e])))?;
    if !viewer.role.writes_notes() {
        return rejected(RejectReason::NotFieldStaff);
    }
    let (acting, kind): (String, String) = sqlx::query_as(
        "SELECT a.id, a.kind FROM staff s JOIN agencies a ON a.id = s.acts_for_agency_id WHERE s.id = $1",
    )
    .bind(viewer.id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let channel = AgencyKind::parse(&kind)
        .ok()
        .and_then(IntakeChannel::registered_at);
    let Some(channel) = channel else {
        return rejected(RejectReason::NotAnIntakeDesk);
    };
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM cases WHERE id = $1")
        .bind(case_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return rejected(RejectReason::IdTaken);
    }
    agencies_exist(conn, agencies).await?;
    let case = case_id.to_string();
    let now = Stamp::now();
    sqlx::query(
        "INSERT INTO cases (id, pseudonym, intake_channel, program, intake_agency_id, risk, status, opened_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&case)
    .bind(&pseudonym)
    .bind(channel.code())
    .bind(channel.responsible_program().code())
    .bind(&acting)
    .bind(risk.code())
    .bind(CaseStatus::Intake.code())
    .bind(local_day(Utc::now()).to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    join_team(conn, case_id, viewer.id).await?;
    for agency in agencies {
        sqlx::query(
            "INSERT INTO case_agencies (case_id, phase, agency_id) VALUES ($1, 'intake', $2) ON CONFLICT DO NOTHING",
        )
        .bind(&case)
        .bind(agency.to_string())
        .execute(&mut *conn)
        .await?;
    }
    log::case(conn, &case).await?;
    log::team(conn, &case).await?;
    log::agencies(conn, &case).await?;
    audit(conn, viewer, Action::OpenCase, case_id, case.clone()).await
}

/// Schedules a visit; members not yet on the team join it (joining never removes anyone).
pub async fn plan_visit(
    conn: &mut Conn,
    viewer: &Viewer,
    visit_id: VisitId,
    case_id: CaseId,
    window: TimeWindow,
    place: &str,
    members: &[StaffId],
) -> Result<(), Failure> {
    let place = required_text("place", place, PLACE_MAX)
        .map_err(|e| Failure::from(AppError::Invalid(vec![e])))?;
    if members.is_empty() {
        return Err(invalid("members", Problem::Required));
    }
    if members.len() > LIST_MAX {
        return Err(invalid("members", Problem::TooLong { max: LIST_MAX }));
    }
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM visits WHERE id = $1")
        .bind(visit_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return rejected(RejectReason::IdTaken);
    }
    for member in members {
        let found: Option<(String, bool)> =
            sqlx::query_as("SELECT role, disabled FROM staff WHERE id = $1")
                .bind(member.to_string())
                .fetch_optional(&mut *conn)
                .await?;
        let goes_on_visits = found.is_some_and(|(role, disabled)| {
            !disabled && Role::parse(&role).is_ok_and(Role::writes_notes)
        });
        if !goes_on_visits {
            return rejected(RejectReason::CannotVisit);
        }
    }
    let (visit, case) = (visit_id.to_string(), case_id.to_string());
    sqlx::query(
        "INSERT INTO visits (id, case_id, starts_at, ends_at, place, status) VALUES ($1, $2, $3, $4, $5, 'planned')",
    )
    .bind(&visit)
    .bind(&case)
    .bind(Stamp::from(window.starts_at))
    .bind(Stamp::from(window.ends_at))
    .bind(&place)
    .execute(&mut *conn)
    .await?;
    let mut joined = false;
    for member in members {
        sqlx::query(
            "INSERT INTO visit_members (visit_id, staff_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&visit)
        .bind(member.to_string())
        .execute(&mut *conn)
        .await?;
        joined |= join_team(conn, case_id, *member).await? > 0;
    }
    if joined {
        // Newcomers' devices hold nothing of the case yet: everything of it is logged again,
        // the new visit included.
        log::whole_case(conn, &case).await?;
    } else {
        log::visit(conn, &visit).await?;
    }
    audit(conn, viewer, Action::PlanVisit, case_id, visit).await
}

/// A supervisor of the case's program approves a revision of a note or returns it.
pub async fn review(
    conn: &mut Conn,
    viewer: &Viewer,
    review_id: uuid::Uuid,
    note_id: NoteId,
    revision: u32,
    decision: &ReviewDecision,
) -> Result<(), Failure> {
    // The same rule as the device's form: a return needs a comment.
    let decision = ReviewDecision::parse(decision.code(), decision.comment())
        .map_err(|e| Failure::from(AppError::Invalid(vec![e])))?;
    let found: Option<(String, String)> = sqlx::query_as(
        "SELECT n.case_id, c.program FROM notes n JOIN cases c ON c.id = n.case_id \
         JOIN note_revisions r ON r.note_id = n.id AND r.revision = $1 WHERE n.id = $2",
    )
    .bind(i64::from(revision))
    .bind(note_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((case_id, program)) = found else {
        return rejected(RejectReason::NotFound);
    };
    if Program::parse(&program).ok() != viewer.supervised_program() {
        return rejected(RejectReason::NotReviewer);
    }
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM reviews WHERE id = $1")
        .bind(review_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return rejected(RejectReason::IdTaken);
    }
    sqlx::query(
        "INSERT INTO reviews (id, note_id, revision, reviewer_id, decision, comment, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(review_id.to_string())
    .bind(note_id.to_string())
    .bind(i64::from(revision))
    .bind(viewer.id.to_string())
    .bind(decision.code())
    .bind(decision.comment())
    .bind(Stamp::now())
    .execute(&mut *conn)
    .await?;
    log::review(conn, &review_id.to_string()).await?;
    let case_id: CaseId = case_id
        .parse()
        .map_err(|_| Failure::Internal(anyhow::anyhow!("a stored case id")))?;
    audit(
        conn,
        viewer,
        Action::ReviewNote,
        case_id,
        note_id.to_string(),
    )
    .await
}
