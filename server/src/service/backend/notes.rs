//! Outreach notes: recording them and their revisions from synced mutations, reading a case's
//! notes.

use super::super::audit::{self, Action, Event};
use super::super::sync::log;
use super::super::writes::one_round_trip;
use super::super::{Conn, DbRow};
use super::rows::{id, number, staff_ref, text, time, STAFF_COLS, STAFF_JOIN};
use super::visits::{visible, visible_among, KnownVisits, Purpose};
use super::OrInternal;
use crate::db::Stamp;
use app::api::{AppError, Viewer};
use app::domain::access::may_write_notes;
use app::domain::review::{Review, ReviewDecision};
use app::domain::{
    CaseId, FieldError, NoteFields, NoteId, NoteRevision, OutreachNote, Problem, VisitId,
    VisitStatus,
};
use app::sync::records::RevisionRecord;
use sqlx::Row;
use std::sync::LazyLock;

/// Writes a new note (revision 1) on the caller's transaction: checks the viewer may write on
/// the visit's case, marks a planned visit done or not met, logs the changes for devices and
/// audits. `fields` must be validated. Returns the visit's status afterwards. The rights check
/// reads the visit from `known` when it is there.
pub async fn create(
    conn: &mut Conn,
    viewer: &Viewer,
    note_id: NoteId,
    visit_id: VisitId,
    fields: &NoteFields,
    recorded_at: Stamp,
    known: &mut KnownVisits,
) -> Result<VisitStatus, AppError> {
    let visit = visible_among(conn, viewer, visit_id, Purpose::Write, known).await?;
    if !may_write_notes(viewer.role, visit.on_team) {
        return Err(AppError::Forbidden);
    }
    let revision = Revision {
        note_id,
        number: 1,
        amends: None,
        visit_id,
        case_id: visit.case_id,
    };
    write_revision(conn, &revision, viewer, fields, recorded_at).await?;
    let visit_status = visit.status.after_note(fields.met);
    if visit_status != visit.status {
        sqlx::query("UPDATE visits SET status = $1 WHERE id = $2")
            .bind(visit_status.code())
            .bind(visit_id.to_string())
            .execute(&mut *conn)
            .await
            .or_internal("updating a visit")?;
        known.forget(visit_id);
        log::visit(conn, &visit_id.to_string())
            .await
            .or_internal("logging a visit")?;
    }
    Ok(visit_status)
}

/// Adds a revision to a note on the caller's transaction. The revision gets the next free
/// number and names the revision it amends, so two amendments of the same revision both stay,
/// side by side. Returns the new revision number.
pub async fn amend(
    conn: &mut Conn,
    viewer: &Viewer,
    note_id: NoteId,
    amends: u32,
    fields: &NoteFields,
    recorded_at: Stamp,
) -> Result<u32, AppError> {
    let found: Option<(String, i64)> = sqlx::query_as(
        "SELECT n.visit_id, (SELECT MAX(revision) FROM note_revisions WHERE note_id = n.id) FROM notes n WHERE n.id = $1",
    )
    .bind(note_id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .or_internal("loading a note")?;
    let Some((visit_id, latest)) = found else {
        return Err(AppError::NotFound);
    };
    let visit_id: VisitId = visit_id.parse().map_err(|_| AppError::Internal)?;
    let visit = visible(conn, viewer, visit_id, Purpose::Write).await?;
    if !may_write_notes(viewer.role, visit.on_team) {
        return Err(AppError::Forbidden);
    }
    if amends == 0 || i64::from(amends) > latest {
        return Err(AppError::Invalid(vec![FieldError::new(
            "amends",
            Problem::UnknownChoice,
        )]));
    }
    let revision = latest as u32 + 1;
    let written = Revision {
        note_id,
        number: revision,
        amends: Some(amends),
        visit_id,
        case_id: visit.case_id,
    };
    write_revision(conn, &written, viewer, fields, recorded_at).await?;
    Ok(revision)
}

/// Which revision of which note is being written, and where it belongs.
struct Revision {
    note_id: NoteId,
    number: u32,
    amends: Option<u32>,
    visit_id: VisitId,
    case_id: CaseId,
}

/// A new note, under the agency its author acts for (a dispatched hospital PSW's notes are the
/// public health center's).
const NOTE_INSERT: &str =
    "INSERT INTO notes (id, visit_id, case_id, author_id, acting_agency_id, created_at) \
     SELECT $1, $2, $3, id, acts_for_agency_id, $4 FROM staff WHERE id = $5";

const REVISION_INSERT: &str = "INSERT INTO note_revisions (note_id, revision, amends, author_id, met, met_with, \
       mental_state, medication, daily_living, risks, agreed, next_steps, free_text, recorded_at, received_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

/// A revision, its change-log entry and its audit event: one round trip to the database.
static AMEND_WRITES: LazyLock<String> =
    LazyLock::new(|| one_round_trip(&[REVISION_INSERT, log::APPEND, audit::INSERT]));

/// The same, for a new note: the note first.
static CREATE_WRITES: LazyLock<String> =
    LazyLock::new(|| one_round_trip(&[NOTE_INSERT, REVISION_INSERT, log::APPEND, audit::INSERT]));

/// Stores a revision (and for revision 1 its note), logs it for the team's devices and audits
/// it, all from the values in hand and in one round trip. A note id already taken is refused.
async fn write_revision(
    conn: &mut Conn,
    revision: &Revision,
    author: &Viewer,
    fields: &NoteFields,
    recorded_at: Stamp,
) -> Result<(), AppError> {
    let received_at = Stamp::now();
    let note_id = revision.note_id.to_string();
    let visit_id = revision.visit_id.to_string();
    let case_id = revision.case_id.to_string();
    let author_id = author.id.to_string();
    let entry = RevisionRecord {
        note_id: revision.note_id,
        revision: revision.number,
        amends: revision.amends,
        visit_id: revision.visit_id,
        author_id: author.id,
        fields: fields.clone(),
        recorded_at: recorded_at.time(),
        received_at: received_at.time(),
    };
    let is_new = revision.number == 1;
    let mut query = if is_new {
        sqlx::query(CREATE_WRITES.as_str())
            .bind(&note_id)
            .bind(&visit_id)
            .bind(&case_id)
            .bind(received_at)
            .bind(&author_id)
    } else {
        sqlx::query(AMEND_WRITES.as_str())
    };
    query = query
        .bind(&note_id)
        .bind(i64::from(revision.number))
        .bind(revision.amends.map(i64::from))
        .bind(&author_id)
        .bind(fields.met)
        .bind(&fields.met_with)
        .bind(&fields.mental_state)
        .bind(&fields.medication)
        .bind(&fields.daily_living)
        .bind(&fields.risks)
        .bind(&fields.agreed)
        .bind(&fields.next_steps)
        .bind(&fields.free_text)
        .bind(recorded_at)
        .bind(received_at);
    let entity_id = entry.entity_id();
    query = log::bind_entry(query, &case_id, &entity_id, &entry.into())
        .or_internal("encoding a note revision")?;
    query = audit::bind(
        query,
        Event {
            actor: Some(author),
            action: if is_new {
                Action::CreateNote
            } else {
                Action::AmendNote
            },
            case_id: Some(case_id.clone()),
            record_id: Some(note_id.clone()),
        },
    );
    match query.execute(&mut *conn).await {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if is_new && e.is_unique_violation() => Err(
            AppError::Invalid(vec![FieldError::new("note_id", Problem::UnknownChoice)]),
        ),
        Err(e) => Err(anyhow::Error::from(e)).or_internal("writing a note"),
    }
}

/// Every note of a case with all its revisions, newest note first.
pub async fn of_case(conn: &mut Conn, case_id: CaseId) -> Result<Vec<OutreachNote>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT n.id AS note_id, n.visit_id, c.pseudonym, r.revision, r.amends, r.met, r.met_with, r.mental_state, \
           r.medication, r.daily_living, r.risks, r.agreed, r.next_steps, r.free_text, r.recorded_at, r.received_at, \
           {STAFF_COLS} \
         FROM notes n JOIN cases c ON c.id = n.case_id \
         JOIN note_revisions r ON r.note_id = n.id \
         JOIN staff st ON st.id = r.author_id {STAFF_JOIN} \
         WHERE n.case_id = $1 ORDER BY n.created_at DESC, n.id, r.revision"
    ))
    .bind(case_id.to_string())
    .fetch_all(conn)
    .await
    .or_internal("loading notes")?;
    let mut notes: Vec<OutreachNote> = Vec::new();
    for row in &rows {
        let note_id: NoteId = id(row, "note_id").or_internal("reading notes")?;
        let revision = revision_from_row(row).or_internal("reading notes")?;
        match notes.last_mut() {
            Some(note) if note.id == note_id => note.revisions.push(revision),
            _ => notes.push(OutreachNote {
                id: note_id,
                visit_id: id(row, "visit_id").or_internal("reading notes")?,
                case_id,
                pseudonym: text(row, "pseudonym").or_internal("reading notes")?,
                revisions: vec![revision],
            }),
        }
    }
    Ok(notes)
}

/// Every supervisor's decision on the case's notes, oldest first.
pub async fn reviews_of_case(conn: &mut Conn, case_id: CaseId) -> Result<Vec<Review>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT w.note_id, w.revision, w.decision, w.comment, w.decided_at, {STAFF_COLS} \
         FROM reviews w JOIN notes n ON n.id = w.note_id \
         JOIN staff st ON st.id = w.reviewer_id {STAFF_JOIN} \
         WHERE n.case_id = $1 ORDER BY w.decided_at, w.id"
    ))
    .bind(case_id.to_string())
    .fetch_all(conn)
    .await
    .or_internal("loading reviews")?;
    rows.iter()
        .map(|row| -> anyhow::Result<Review> {
            let decision: String = text(row, "decision")?;
            let comment: String = text(row, "comment")?;
            Ok(Review {
                note_id: id(row, "note_id")?,
                revision: number(row, "revision")?,
                reviewer: staff_ref(row)?,
                decision: ReviewDecision::parse(&decision, &comment)
                    .map_err(|e| anyhow::anyhow!("a stored decision: {:?}", e.problem))?,
                decided_at: time(row, "decided_at")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .or_internal("reading reviews")
}

fn revision_from_row(row: &DbRow) -> anyhow::Result<NoteRevision> {
    Ok(NoteRevision {
        revision: number(row, "revision")?,
        amends: row
            .try_get::<Option<i64>, _>("amends")?
            .map(u32::try_from)
            .transpose()?,
        fields: NoteFields {
            met: row.try_get::<bool, _>("met")?,
            met_with: text(row, "met_with")?,
            mental_state: text(row, "mental_state")?,
            medication: text(row, "medication")?,
            daily_living: text(row, "daily_living")?,
            risks: text(row, "risks")?,
            agreed: text(row, "agreed")?,
            next_steps: text(row, "next_steps")?,
            free_text: text(row, "free_text")?,
        },
        author: staff_ref(row)?,
        recorded_at: time(row, "recorded_at")?,
        received_at: time(row, "received_at")?,
    })
}
