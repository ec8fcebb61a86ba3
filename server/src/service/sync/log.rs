//! The change log: every write that devices must learn about appends the written record's
//! whole current state, under the next sequence number.

use super::super::{Conn, Pool, Query};
use crate::db::Stamp;
use anyhow::Context;
use app::domain::NoteFields;
use serde_json::{json, Map, Value};
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

/// The statement that appends one entry under the next sequence number (the caller holds the
/// write lock); [`bind_entry`] fills in its parameters. Writers that batch several statements
/// into one round trip append it to theirs.
pub const APPEND: &str = "INSERT INTO change_log (seq, case_id, entity, entity_id, data) \
     SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3, $4 FROM change_log";

/// Binds an entry to the parameters of [`APPEND`], after those already bound.
pub fn bind_entry<'q>(
    query: Query<'q>,
    case_id: &str,
    entity: &'static str,
    entity_id: &str,
    data: String,
) -> Query<'q> {
    query
        .bind(case_id.to_owned())
        .bind(entity)
        .bind(entity_id.to_owned())
        .bind(data)
}

async fn append(
    conn: &mut Conn,
    case_id: &str,
    entity: &'static str,
    entity_id: &str,
    data: Value,
) -> anyhow::Result<u64> {
    static APPEND_RETURNING: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{APPEND} RETURNING seq"));
    let seq: i64 = sqlx::query_scalar(APPEND_RETURNING.as_str())
        .bind(case_id.to_owned())
        .bind(entity)
        .bind(entity_id.to_owned())
        .bind(data.to_string())
        .fetch_one(conn)
        .await
        .context("appending to the change log")?;
    Ok(seq as u64)
}

async fn versions(conn: &mut Conn, entity: &str, id: &str) -> anyhow::Result<Value> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT field, version FROM field_versions WHERE entity = $1 AND entity_id = $2",
    )
    .bind(entity)
    .bind(id)
    .fetch_all(conn)
    .await
    .context("reading field versions")?;
    Ok(Value::Object(
        rows.into_iter()
            .map(|(f, v)| (f, json!(v)))
            .collect::<Map<_, _>>(),
    ))
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
    let mut data = Map::new();
    for col in [
        "pseudonym",
        "intake_channel",
        "program",
        "intake_agency_id",
        "risk",
        "status",
        "life_goal",
        "medical_view",
        "welfare_view",
        "opened_on",
    ] {
        data.insert(col.into(), json!(row.try_get::<String, _>(col)?));
    }
    data.insert(
        "closed_on".into(),
        json!(row.try_get::<Option<String>, _>("closed_on")?),
    );
    data.insert("versions".into(), versions(conn, "case", case_id).await?);
    append(conn, case_id, "case", case_id, Value::Object(data)).await
}

/// Logs a visit with its members.
pub async fn visit(conn: &mut Conn, visit_id: &str) -> anyhow::Result<u64> {
    let row = sqlx::query("SELECT case_id, starts_at, ends_at, place, status, outcome, next_visit_on FROM visits WHERE id = $1")
        .bind(visit_id)
        .fetch_one(&mut *conn)
        .await
        .context("loading a visit to log")?;
    let case_id: String = row.try_get("case_id")?;
    let mut data = Map::new();
    for col in ["case_id", "place", "status", "outcome", "next_visit_on"] {
        data.insert(col.into(), json!(row.try_get::<String, _>(col)?));
    }
    for col in ["starts_at", "ends_at"] {
        data.insert(col.into(), json!(row.try_get::<Stamp, _>(col)?));
    }
    let members: Vec<String> = sqlx::query_scalar(
        "SELECT staff_id FROM visit_members WHERE visit_id = $1 ORDER BY staff_id",
    )
    .bind(visit_id)
    .fetch_all(&mut *conn)
    .await
    .context("loading visit members to log")?;
    data.insert("members".into(), json!(members));
    data.insert("versions".into(), versions(conn, "visit", visit_id).await?);
    append(conn, &case_id, "visit", visit_id, Value::Object(data)).await
}

/// One revision of a note as devices receive it.
#[derive(serde::Serialize)]
pub struct RevisionEntry<'a> {
    pub note_id: &'a str,
    pub revision: u32,
    pub amends: Option<u32>,
    pub visit_id: &'a str,
    pub author_id: &'a str,
    #[serde(flatten)]
    pub fields: &'a NoteFields,
    pub recorded_at: Stamp,
    pub received_at: Stamp,
}

impl RevisionEntry<'_> {
    /// The entry's id in the log.
    pub fn entity_id(&self) -> String {
        format!("{}/{}", self.note_id, self.revision)
    }
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
    let text = |col: &str| row.try_get::<String, _>(col);
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
    let (case_id, visit_id, author_id) = (text("case_id")?, text("visit_id")?, text("author_id")?);
    let (recorded_at, received_at) = (row.try_get("recorded_at")?, row.try_get("received_at")?);
    let amends: Option<i64> = row.try_get("amends")?;
    let entry = RevisionEntry {
        note_id,
        revision,
        amends: amends.map(|a| a as u32),
        visit_id: &visit_id,
        author_id: &author_id,
        fields: &fields,
        recorded_at,
        received_at,
    };
    let data = serde_json::to_value(&entry).context("encoding a note revision")?;
    append(conn, &case_id, "note_revision", &entry.entity_id(), data).await
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
    append(
        conn,
        case_id,
        "team",
        case_id,
        json!({ "members": members }),
    )
    .await
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
    let of = |phase: &str| {
        rows.iter()
            .filter(|(p, _)| p == phase)
            .map(|(_, a)| a.clone())
            .collect::<Vec<_>>()
    };
    append(
        conn,
        case_id,
        "agencies",
        case_id,
        json!({ "intake": of("intake"), "close": of("close") }),
    )
    .await
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
    let case_id: String = row.try_get("case_id")?;
    let mut data = Map::new();
    for col in [
        "entity",
        "entity_id",
        "field",
        "winner_value",
        "winner_author_id",
        "replaced_value",
    ] {
        data.insert(col.into(), json!(row.try_get::<String, _>(col)?));
    }
    data.insert(
        "replaced_author_id".into(),
        json!(row.try_get::<Option<String>, _>("replaced_author_id")?),
    );
    for col in ["winner_recorded_at", "replaced_recorded_at", "resolved_at"] {
        data.insert(col.into(), json!(row.try_get::<Option<Stamp>, _>(col)?));
    }
    append(conn, &case_id, "conflict", conflict_id, Value::Object(data)).await
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
    let case_id: String = row.try_get("case_id")?;
    let data = json!({
        "note_id": row.try_get::<String, _>("note_id")?,
        "revision": row.try_get::<i64, _>("revision")?,
        "reviewer_id": row.try_get::<String, _>("reviewer_id")?,
        "decision": row.try_get::<String, _>("decision")?,
        "comment": row.try_get::<String, _>("comment")?,
        "decided_at": row.try_get::<Stamp, _>("decided_at")?,
    });
    append(conn, &case_id, "review", review_id, data).await
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
    Ok(())
}

/// Seeds an empty change log with the current state of every case, so that a device's first
/// pull receives everything that existed before sync did.
pub async fn backfill(pool: &Pool) -> anyhow::Result<()> {
    let mut tx = super::super::writes::begin(pool)
        .await
        .context("starting the backfill")?;
    let logged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM change_log")
        .fetch_one(&mut *tx)
        .await?;
    if logged > 0 {
        return Ok(());
    }
    let cases: Vec<String> = sqlx::query_scalar("SELECT id FROM cases ORDER BY id")
        .fetch_all(&mut *tx)
        .await?;
    for case_id in &cases {
        case(&mut tx, case_id).await?;
        team(&mut tx, case_id).await?;
        agencies(&mut tx, case_id).await?;
    }
    let visits: Vec<String> = sqlx::query_scalar("SELECT id FROM visits ORDER BY starts_at, id")
        .fetch_all(&mut *tx)
        .await?;
    for visit_id in &visits {
        visit(&mut tx, visit_id).await?;
    }
    let revisions: Vec<(String, i64)> = sqlx::query_as(
        "SELECT note_id, revision FROM note_revisions ORDER BY received_at, note_id, revision",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (note_id, revision) in &revisions {
        stored_revision(&mut tx, note_id, *revision as u32).await?;
    }
    let reviews: Vec<String> = sqlx::query_scalar("SELECT id FROM reviews ORDER BY decided_at, id")
        .fetch_all(&mut *tx)
        .await?;
    for review_id in &reviews {
        review(&mut tx, review_id).await?;
    }
    tx.commit().await.context("committing the backfill")
}
