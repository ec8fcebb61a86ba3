//! The change log: every write that devices must learn about appends the written record's
//! whole current state, under the next sequence number.

use super::super::backend::rows;
use super::super::{Conn, Query};
use crate::db::Stamp;
use anyhow::{anyhow, Context};
use app::domain::{CaseStatus, IntakeChannel, NoteFields, Program, RiskLevel, VisitStatus};
use app::sync::records::{
    AgenciesRecord, CaseRecord, ConflictRecord, Kind, Record, ReviewRecord, RevisionRecord,
    SuggestionRecord, TeamRecord, Versions, VisitRecord,
};
use app::sync::AgencyPhase;
use chrono::NaiveDate;
use sqlx::Row;

/// The sequence the next change will get. Callers hold the write lock (their transaction has
/// already written), so nobody else can take it in between.
pub async fn next_seq(conn: &mut Conn) -> anyhow::Result<u64> {
    let max: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM change_log")
        .fetch_one(&mut *conn)
        .await
        .context("reading the change sequence")?;
    Ok(max.unwrap_or(0) as u64 + 1)
}

/// The statement that appends one record under the next sequence number (the caller holds the
/// write lock); [`bind_entry`] fills in its parameters. Writers that batch several statements
/// into one round trip append it to theirs.
pub const APPEND: &str = "INSERT INTO change_log (seq, case_id, entity, entity_id, data) \
     SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3, $4 FROM change_log";

/// Binds an entry to the parameters of [`APPEND`], after those already bound.
pub fn bind_entry<'q>(
    query: Query<'q>,
    case_id: &str,
    entity_id: &str,
    record: &Record,
) -> anyhow::Result<Query<'q>> {
    let data = record.data_json().context("encoding a record to log")?;
    Ok(query
        .bind(case_id.to_owned())
        .bind(record.entity())
        .bind(entity_id.to_owned())
        .bind(data))
}

async fn append(
    conn: &mut Conn,
    case_id: &str,
    entity_id: &str,
    record: impl Into<Record>,
) -> anyhow::Result<u64> {
    static APPEND_RETURNING: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{APPEND} RETURNING seq"));
    let query = sqlx::query(APPEND_RETURNING.as_str());
    let row = bind_entry(query, case_id, entity_id, &record.into())?
        .fetch_one(conn)
        .await
        .context("appending to the change log")?;
    Ok(row.try_get::<i64, _>(0)? as u64)
}

async fn versions(conn: &mut Conn, entity: &str, id: &str) -> anyhow::Result<Versions> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT field, version FROM field_versions WHERE entity = $1 AND entity_id = $2",
    )
    .bind(entity)
    .bind(id)
    .fetch_all(conn)
    .await
    .context("reading field versions")?;
    Ok(rows.into_iter().map(|(f, v)| (f, v as u64)).collect())
}

/// A list of ids from rows of one text column.
fn id_list<T: std::str::FromStr>(ids: Vec<String>) -> anyhow::Result<Vec<T>> {
    ids.iter()
        .map(|id| id.parse().map_err(|_| anyhow!("a malformed id {id:?}")))
        .collect()
}

/// Logs a case's own fields.
pub async fn case(conn: &mut Conn, case_id: &str) -> anyhow::Result<u64> {
    let row = sqlx::query(
        "SELECT pseudonym, intake_channel, program, intake_agency_id, risk, status, life_goal, medical_view, welfare_view, \
           opened_on, closed_on FROM cases WHERE id = $1",
    )
    .bind(case_id)
    .fetch_one(&mut *conn)
    .await
    .context("loading a case to log")?;
    let day = |col: &str| -> anyhow::Result<Option<NaiveDate>> {
        row.try_get::<Option<String>, _>(col)?
            .map(|d| {
                d.parse()
                    .with_context(|| format!("column {col} holds {d:?}"))
            })
            .transpose()
    };
    let record = CaseRecord {
        pseudonym: rows::text(&row, "pseudonym")?,
        intake_channel: rows::code(&row, "intake_channel", IntakeChannel::parse)?,
        program: rows::code(&row, "program", Program::parse)?,
        intake_agency_id: Some(rows::id(&row, "intake_agency_id")?),
        risk: rows::code(&row, "risk", RiskLevel::parse)?,
        status: rows::code(&row, "status", CaseStatus::parse)?,
        life_goal: rows::text(&row, "life_goal")?,
        medical_view: rows::text(&row, "medical_view")?,
        welfare_view: rows::text(&row, "welfare_view")?,
        opened_on: day("opened_on")?.context("a case without its day of opening")?,
        closed_on: day("closed_on")?,
        versions: versions(conn, CaseRecord::ENTITY, case_id).await?,
    };
    append(conn, case_id, case_id, record).await
}

/// Logs a visit with its members.
pub async fn visit(conn: &mut Conn, visit_id: &str) -> anyhow::Result<u64> {
    let row = sqlx::query("SELECT case_id, starts_at, ends_at, place, status, outcome, next_visit_on FROM visits WHERE id = $1")
        .bind(visit_id)
        .fetch_one(&mut *conn)
        .await
        .context("loading a visit to log")?;
    let case_id: String = rows::text(&row, "case_id")?;
    let members: Vec<String> = sqlx::query_scalar(
        "SELECT staff_id FROM visit_members WHERE visit_id = $1 ORDER BY staff_id",
    )
    .bind(visit_id)
    .fetch_all(&mut *conn)
    .await
    .context("loading visit members to log")?;
    let record = VisitRecord {
        case_id: rows::id(&row, "case_id")?,
        starts_at: rows::time(&row, "starts_at")?,
        ends_at: rows::time(&row, "ends_at")?,
        place: rows::text(&row, "place")?,
        status: rows::code(&row, "status", VisitStatus::parse)?,
        outcome: rows::text(&row, "outcome")?,
        next_visit_on: rows::text(&row, "next_visit_on")?,
        members: id_list(members)?,
        versions: versions(conn, VisitRecord::ENTITY, visit_id).await?,
    };
    append(conn, &case_id, visit_id, record).await
}

/// Logs a stored revision of a note, reading it back.
async fn stored_revision(conn: &mut Conn, note_id: &str, revision: u32) -> anyhow::Result<u64> {
    let row = sqlx::query(
        "SELECT n.case_id, n.visit_id, r.amends, r.author_id, r.met, r.met_with, r.mental_state, r.medication, r.daily_living, \
           r.risks, r.agreed, r.next_steps, r.free_text, r.recorded_at, r.received_at \
         FROM notes n JOIN note_revisions r ON r.note_id = n.id WHERE n.id = $1 AND r.revision = $2",
    )
    .bind(note_id)
    .bind(i64::from(revision))
    .fetch_one(&mut *conn)
    .await
    .context("loading a note revision to log")?;
    let text = |col: &str| rows::text(&row, col);
    let fields = NoteFields {
        met: row.try_get("met")?,
        met_with: text("met_with")?,
        mental_state: text("mental_state")?,
        medication: text("medication")?,
        daily_living: text("daily_living")?,
        risks: text("risks")?,
        agreed: text("agreed")?,
        next_steps: text("next_steps")?,
        free_text: text("free_text")?,
    };
    let amends: Option<i64> = row.try_get("amends")?;
    let record = RevisionRecord {
        note_id: note_id.parse().context("a logged note id")?,
        revision,
        amends: amends.map(|a| a as u32),
        visit_id: rows::id(&row, "visit_id")?,
        author_id: rows::id(&row, "author_id")?,
        fields,
        recorded_at: rows::time(&row, "recorded_at")?,
        received_at: rows::time(&row, "received_at")?,
    };
    let case_id = text("case_id")?;
    append(conn, &case_id, &record.entity_id(), record).await
}

/// Logs a case's current team.
pub async fn team(conn: &mut Conn, case_id: &str) -> anyhow::Result<u64> {
    let members: Vec<String> = sqlx::query_scalar(
        "SELECT staff_id FROM case_team WHERE case_id = $1 AND left_at IS NULL ORDER BY staff_id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("loading a team to log")?;
    let record = TeamRecord {
        members: id_list(members)?,
    };
    append(conn, case_id, case_id, record).await
}

/// Logs a case's agencies involved at intake and at close.
pub async fn agencies(conn: &mut Conn, case_id: &str) -> anyhow::Result<u64> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT phase, agency_id FROM case_agencies WHERE case_id = $1 ORDER BY phase, agency_id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("loading agencies to log")?;
    let mut record = AgenciesRecord::default();
    for (phase, agency) in rows {
        let phase = AgencyPhase::parse(&phase).map_err(|_| anyhow!("a stored phase {phase:?}"))?;
        let agency = agency
            .parse()
            .map_err(|_| anyhow!("a malformed agency id"))?;
        record.of_mut(phase).push(agency);
    }
    append(conn, case_id, case_id, record).await
}

/// Logs a conflict record.
pub async fn conflict(conn: &mut Conn, conflict_id: &str) -> anyhow::Result<u64> {
    let row = sqlx::query(
        "SELECT case_id, entity, entity_id, field, winner_value, winner_author_id, winner_recorded_at, replaced_value, \
           replaced_author_id, replaced_recorded_at, resolved_at FROM conflicts WHERE id = $1",
    )
    .bind(conflict_id)
    .fetch_one(&mut *conn)
    .await
    .context("loading a conflict to log")?;
    let case_id: String = rows::text(&row, "case_id")?;
    let time = |col: &str| -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
        Ok(row.try_get::<Option<Stamp>, _>(col)?.map(Stamp::time))
    };
    let replaced_author: Option<String> = row.try_get("replaced_author_id")?;
    let record = ConflictRecord {
        entity: rows::text(&row, "entity")?,
        entity_id: rows::text(&row, "entity_id")?,
        field: rows::text(&row, "field")?,
        winner_value: rows::text(&row, "winner_value")?,
        winner_author_id: rows::id(&row, "winner_author_id")?,
        winner_recorded_at: time("winner_recorded_at")?,
        replaced_value: rows::text(&row, "replaced_value")?,
        replaced_author_id: replaced_author.and_then(|a| a.parse().ok()),
        replaced_recorded_at: time("replaced_recorded_at")?,
        resolved_at: time("resolved_at")?,
    };
    append(conn, &case_id, conflict_id, record).await
}

/// Logs a supervisor's review of a note revision.
pub async fn review(conn: &mut Conn, review_id: &str) -> anyhow::Result<u64> {
    let row = sqlx::query(
        "SELECT n.case_id, r.note_id, r.revision, r.reviewer_id, r.decision, r.comment, r.decided_at \
         FROM reviews r JOIN notes n ON n.id = r.note_id WHERE r.id = $1",
    )
    .bind(review_id)
    .fetch_one(&mut *conn)
    .await
    .context("loading a review to log")?;
    let case_id: String = rows::text(&row, "case_id")?;
    let record = ReviewRecord {
        note_id: rows::id(&row, "note_id")?,
        revision: rows::number(&row, "revision")?,
        reviewer_id: rows::id(&row, "reviewer_id")?,
        decision: rows::text(&row, "decision")?,
        comment: rows::text(&row, "comment")?,
        decided_at: rows::time(&row, "decided_at")?,
    };
    append(conn, &case_id, review_id, record).await
}

/// Logs a directory listing suggested to a case team.
pub async fn suggestion(conn: &mut Conn, suggestion_id: &str) -> anyhow::Result<u64> {
    let row = sqlx::query(
        "SELECT case_id, business_id, hub_id, suggested_by, suggested_at, withdrawn_at \
         FROM case_suggestions WHERE id = $1",
    )
    .bind(suggestion_id)
    .fetch_one(&mut *conn)
    .await
    .context("loading a suggestion to log")?;
    let case_id: String = rows::text(&row, "case_id")?;
    let record = SuggestionRecord {
        business: rows::id(&row, "business_id")?,
        hub: rows::id(&row, "hub_id")?,
        suggested_by: rows::id(&row, "suggested_by")?,
        suggested_at: rows::time(&row, "suggested_at")?,
        withdrawn_at: row
            .try_get::<Option<Stamp>, _>("withdrawn_at")?
            .map(Stamp::time),
    };
    append(conn, &case_id, suggestion_id, record).await
}

/// Logs everything of one case again, under new sequence numbers: what a newcomer to its team
/// needs, since their devices' cursors are past the case's earlier changes. Each entry is a
/// whole record, so the team's devices take the repeats in without effect.
pub async fn whole_case(conn: &mut Conn, case_id: &str) -> anyhow::Result<()> {
    case(conn, case_id).await?;
    team(conn, case_id).await?;
    agencies(conn, case_id).await?;
    let visits: Vec<String> =
        sqlx::query_scalar("SELECT id FROM visits WHERE case_id = $1 ORDER BY starts_at, id")
            .bind(case_id)
            .fetch_all(&mut *conn)
            .await?;
    for visit_id in &visits {
        visit(conn, visit_id).await?;
    }
    let revisions: Vec<(String, i64)> = sqlx::query_as(
        "SELECT r.note_id, r.revision FROM note_revisions r JOIN notes n ON n.id = r.note_id \
         WHERE n.case_id = $1 ORDER BY r.received_at, r.note_id, r.revision",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    for (note_id, revision) in &revisions {
        stored_revision(conn, note_id, *revision as u32).await?;
    }
    let reviews: Vec<String> = sqlx::query_scalar(
        "SELECT r.id FROM reviews r JOIN notes n ON n.id = r.note_id WHERE n.case_id = $1 ORDER BY r.decided_at, r.id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    for review_id in &reviews {
        review(conn, review_id).await?;
    }
    let conflicts: Vec<String> =
        sqlx::query_scalar("SELECT id FROM conflicts WHERE case_id = $1 ORDER BY created_seq, id")
            .bind(case_id)
            .fetch_all(&mut *conn)
            .await?;
    for conflict_id in &conflicts {
        conflict(conn, conflict_id).await?;
    }
    let suggestions: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM case_suggestions WHERE case_id = $1 ORDER BY suggested_at, id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    for suggestion_id in &suggestions {
        suggestion(conn, suggestion_id).await?;
    }
    Ok(())
}
