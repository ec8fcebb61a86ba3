//! A case's team and the agencies involved at intake and at close.

use super::super::super::Conn;
use super::super::log;
use super::{audit_edit, may_edit_case, rejected, Failure};
use crate::db::Stamp;
use app::api::Viewer;
use app::domain::{AgencyId, CaseId, Role, StaffId};
use app::sync::{AgencyPhase, Mutation, MutationOutcome, Op, RejectReason};

/// Puts someone on a case team or takes them off it, for whoever may edit the case.
pub(super) async fn join_or_leave(
    conn: &mut Conn,
    viewer: &Viewer,
    mutation: &Mutation,
    case_id: CaseId,
    staff_id: StaffId,
) -> Result<MutationOutcome, Failure> {
    let id = mutation.id;
    may_edit_case(conn, viewer, case_id).await?;
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
        join_team(conn, case_id, staff_id).await?
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
    audit_edit(conn, viewer, case_id).await?;
    Ok(MutationOutcome::Applied { id })
}

/// Puts someone on a case team, or back on it after they left; joining never removes anyone.
/// Returns whether the team changed.
pub(in super::super) async fn join_team(
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

/// Adds an agency involved at intake or at close, or removes it, for whoever may edit the case.
pub(super) async fn add_or_remove_agency(
    conn: &mut Conn,
    viewer: &Viewer,
    mutation: &Mutation,
    case_id: CaseId,
    phase: AgencyPhase,
    agency_id: AgencyId,
) -> Result<MutationOutcome, Failure> {
    let id = mutation.id;
    may_edit_case(conn, viewer, case_id).await?;
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
        .bind(phase_code(phase))
        .bind(agency_id.to_string())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if changed > 0 {
        log::agencies(conn, &case_id.to_string()).await?;
    }
    audit_edit(conn, viewer, case_id).await?;
    Ok(MutationOutcome::Applied { id })
}

fn phase_code(phase: AgencyPhase) -> &'static str {
    phase.code()
}
