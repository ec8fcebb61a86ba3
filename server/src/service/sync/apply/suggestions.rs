//! Directory listings suggested to a case team, and taken back.

use super::super::super::audit::Action;
use super::super::super::Conn;
use super::super::intake::audit;
use super::super::log;
use super::{may_edit_case, rejected, Failure};
use crate::db::Stamp;
use app::api::Viewer;
use app::domain::{AgencyId, CaseId};
use app::sync::{MutationOutcome, RejectReason};
use uuid::Uuid;

/// A listing of the directory, as a case team member names it.
pub(super) struct Suggested {
    pub id: Uuid,
    pub case_id: CaseId,
    pub business: AgencyId,
    pub hub: AgencyId,
}

/// Attaches a listing to a case, for whoever may edit the case. A retried suggestion changes
/// nothing; an id another case holds is refused.
pub(super) async fn suggest(
    conn: &mut Conn,
    viewer: &Viewer,
    mutation_id: u64,
    suggested: Suggested,
    recorded_at: Stamp,
) -> Result<MutationOutcome, Failure> {
    let Suggested {
        id,
        case_id,
        business,
        hub,
    } = suggested;
    may_edit_case(conn, viewer, case_id).await?;
    let listed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM directory_entries \
         WHERE business_id = $1 AND hub_id = $2 AND retired_at IS NULL",
    )
    .bind(business.to_string())
    .bind(hub.to_string())
    .fetch_one(&mut *conn)
    .await?;
    if listed == 0 {
        return rejected(RejectReason::UnknownAgency);
    }
    let held: Option<String> =
        sqlx::query_scalar("SELECT case_id FROM case_suggestions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    match held {
        Some(other) if other != case_id.to_string() => return rejected(RejectReason::IdTaken),
        Some(_) => return Ok(MutationOutcome::Applied { id: mutation_id }),
        None => {}
    }
    sqlx::query(
        "INSERT INTO case_suggestions (id, case_id, business_id, hub_id, suggested_by, suggested_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(case_id.to_string())
    .bind(business.to_string())
    .bind(hub.to_string())
    .bind(viewer.id.to_string())
    .bind(recorded_at)
    .execute(&mut *conn)
    .await?;
    log::suggestion(conn, &id.to_string()).await?;
    audit(
        conn,
        viewer,
        Action::SuggestListing,
        case_id,
        id.to_string(),
    )
    .await?;
    Ok(MutationOutcome::Applied { id: mutation_id })
}

/// Takes a suggestion back, for whoever may edit its case; it stays recorded.
pub(super) async fn withdraw(
    conn: &mut Conn,
    viewer: &Viewer,
    mutation_id: u64,
    id: Uuid,
    case_id: CaseId,
    recorded_at: Stamp,
) -> Result<MutationOutcome, Failure> {
    may_edit_case(conn, viewer, case_id).await?;
    let changed = sqlx::query(
        "UPDATE case_suggestions SET withdrawn_at = $1, withdrawn_by = $2 \
         WHERE id = $3 AND case_id = $4 AND withdrawn_at IS NULL",
    )
    .bind(recorded_at)
    .bind(viewer.id.to_string())
    .bind(id.to_string())
    .bind(case_id.to_string())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_suggestions WHERE id = $1 AND case_id = $2",
        )
        .bind(id.to_string())
        .bind(case_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
        return if held == 0 {
            rejected(RejectReason::NotFound)
        } else {
            Ok(MutationOutcome::Applied { id: mutation_id })
        };
    }
    log::suggestion(conn, &id.to_string()).await?;
    audit(
        conn,
        viewer,
        Action::WithdrawSuggestion,
        case_id,
        id.to_string(),
    )
    .await?;
    Ok(MutationOutcome::Applied { id: mutation_id })
}
