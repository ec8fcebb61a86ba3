//! What travels between a device and the server: numbered mutations up (push), logged changes
//! down (pull).

use super::records::{Kind, Record};
use crate::domain::code::coded_enum;
use crate::domain::review::ReviewDecision;
use crate::domain::{
    AgencyId, CaseId, FieldError, LifeGoal, NoteFields, NoteId, RiskLevel, StaffId, VisitId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The protocol this build speaks. A client sending an older one is told to update.
/// Version 2: a refused mutation's reason is a [`RejectReason`], no longer English words.
pub const PROTOCOL_VERSION: u32 = 2;
/// The most mutations one push may carry; a longer outbox is pushed in several batches.
pub const MAX_PUSH_BATCH: usize = 500;
/// The most changes one pull answers with; `more` tells the client to pull again.
pub const MAX_PULL_PAGE: usize = 2_000;

/// A device: each has its own id and numbers its mutations 1, 2, 3 …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(pub uuid::Uuid);

/// A server database's identity. It changes when the database is restored from a backup, so a
/// device can tell that the server may have lost what it acknowledged since that backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseId(pub uuid::Uuid);

/// How long a device keeps changes the server has acknowledged, unless the server says
/// otherwise: long enough to send them again after the server is restored from a backup.
pub const KEEP_SENT_DAYS: u32 = 14;

coded_enum!(
    /// The fields of a case a team member edits.
    CaseField {
        /// 暮らしのゴール.
        LifeGoal = "life_goal",
        /// The medical view.
        MedicalView = "medical_view",
        /// The welfare view.
        WelfareView = "welfare_view",
        /// The risk level (a [`crate::domain::RiskLevel`] code).
        Risk = "risk",
        /// Intake, active or closed (a [`crate::domain::CaseStatus`] code).
        Status = "status",
    }
);

impl CaseField {
    /// The team's text fields of a case, in the order a case page shows them.
    pub const GOAL_TEXTS: [CaseField; 3] = [
        CaseField::LifeGoal,
        CaseField::MedicalView,
        CaseField::WelfareView,
    ];

    /// The text of `goal` this field names (`None` for risk and status).
    pub fn goal_text(self, goal: &LifeGoal) -> Option<&str> {
        match self {
            CaseField::LifeGoal => Some(&goal.goal),
            CaseField::MedicalView => Some(&goal.medical_view),
            CaseField::WelfareView => Some(&goal.welfare_view),
            CaseField::Risk | CaseField::Status => None,
        }
    }

    /// The same text, to change.
    pub fn goal_text_mut(self, goal: &mut LifeGoal) -> Option<&mut String> {
        match self {
            CaseField::LifeGoal => Some(&mut goal.goal),
            CaseField::MedicalView => Some(&mut goal.medical_view),
            CaseField::WelfareView => Some(&mut goal.welfare_view),
            CaseField::Risk | CaseField::Status => None,
        }
    }
}

coded_enum!(
    /// The fields of a visit a team member edits.
    VisitField {
        /// A [`crate::domain::VisitStatus`] code.
        Status = "status",
        /// What came of the visit, in a sentence.
        Outcome = "outcome",
        /// Start, RFC 3339.
        StartsAt = "starts_at",
        /// End, RFC 3339.
        EndsAt = "ends_at",
        /// When the next visit should be, a `YYYY-MM-DD` day or empty.
        NextVisitOn = "next_visit_on",
    }
);

coded_enum!(
    /// When the agencies involved were recorded.
    AgencyPhase {
        /// At intake.
        Intake = "intake",
        /// At close.
        Close = "close",
    }
);

/// A new value for one field, with the version of the field the author last saw. The server
/// compares that version with the field's current one to tell a plain edit from a concurrent one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldEdit<F> {
    /// The field.
    pub field: F,
    /// The new value, as text (codes and times in their stored forms).
    pub value: String,
    /// The field's version when the author started editing (0: never synced).
    pub base_version: u64,
}

/// What a field user can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Op {
    /// Records a new note about a visit (its revision 1).
    CreateNote {
        /// Chosen on the device, so a retried push cannot create it twice.
        note_id: NoteId,
        /// The visit.
        visit_id: VisitId,
        /// The content.
        fields: NoteFields,
    },
    /// Amends a note: a new revision naming the one it amends. Nothing is overwritten.
    AmendNote {
        /// The note.
        note_id: NoteId,
        /// The revision the author was looking at.
        amends: u32,
        /// The new content.
        fields: NoteFields,
    },
    /// Changes one field of a visit.
    EditVisit {
        /// The visit.
        visit_id: VisitId,
        /// The edit.
        edit: FieldEdit<VisitField>,
    },
    /// Changes one field of a case.
    EditCase {
        /// The case.
        case_id: CaseId,
        /// The edit.
        edit: FieldEdit<CaseField>,
    },
    /// Someone joins the case team (an invitation, or oneself).
    JoinTeam {
        /// The case.
        case_id: CaseId,
        /// Who joins.
        staff_id: StaffId,
    },
    /// Someone leaves the case team; recorded, never deleted.
    LeaveTeam {
        /// The case.
        case_id: CaseId,
        /// Who leaves.
        staff_id: StaffId,
    },
    /// Records an agency as involved at intake or close.
    AddAgency {
        /// The case.
        case_id: CaseId,
        /// Intake or close.
        phase: AgencyPhase,
        /// The agency.
        agency_id: AgencyId,
    },
    /// Settles a conflict: writes the chosen value (either side's, or a new one) as a fresh
    /// version of the field and closes the conflict.
    ResolveConflict {
        /// The conflict record.
        conflict_id: uuid::Uuid,
        /// The value the field should have.
        value: String,
    },
    /// Takes back an agency recorded by mistake.
    RemoveAgency {
        /// The case.
        case_id: CaseId,
        /// Intake or close.
        phase: AgencyPhase,
        /// The agency.
        agency_id: AgencyId,
    },
    /// Registers a consultation as a new case (intake). The intake channel, and so the
    /// responsible program, follow from the agency the author acts for; the author joins the
    /// team.
    OpenCase {
        /// Chosen on the device.
        case_id: CaseId,
        /// What the team calls the person; real names stay in the case file.
        pseudonym: String,
        /// How worried the author is.
        risk: RiskLevel,
        /// Agencies already involved with the person at intake.
        agencies: Vec<AgencyId>,
    },
    /// Schedules a visit. People assigned to it who are not on the case team join it.
    PlanVisit {
        /// Chosen on the device.
        visit_id: VisitId,
        /// The case.
        case_id: CaseId,
        /// Start.
        starts_at: DateTime<Utc>,
        /// End, after the start.
        ends_at: DateTime<Utc>,
        /// Where.
        place: String,
        /// Who goes: often two agencies together.
        members: Vec<StaffId>,
    },
    /// A supervisor approves one revision of a note or returns it with a comment.
    ReviewNote {
        /// Chosen on the device.
        review_id: uuid::Uuid,
        /// The note.
        note_id: NoteId,
        /// The revision the supervisor read.
        revision: u32,
        /// The decision.
        decision: ReviewDecision,
    },
    /// Suggests a business of the hubs' directory to the case team: attaches its listing (the
    /// business under one hub) to the case.
    SuggestListing {
        /// Chosen on the device, so a retried push cannot suggest it twice.
        suggestion_id: uuid::Uuid,
        /// The case.
        case_id: CaseId,
        /// The business.
        business: AgencyId,
        /// The hub it is listed under.
        hub: AgencyId,
    },
    /// Takes a suggestion back; recorded, never deleted.
    WithdrawSuggestion {
        /// The suggestion.
        suggestion_id: uuid::Uuid,
        /// Its case.
        case_id: CaseId,
    },
}

impl Op {
    /// The case the mutation touches, when the op names it directly.
    pub fn case_id(&self) -> Option<CaseId> {
        match self {
            Op::EditCase { case_id, .. }
            | Op::JoinTeam { case_id, .. }
            | Op::LeaveTeam { case_id, .. }
            | Op::AddAgency { case_id, .. }
            | Op::RemoveAgency { case_id, .. }
            | Op::OpenCase { case_id, .. }
            | Op::PlanVisit { case_id, .. }
            | Op::SuggestListing { case_id, .. }
            | Op::WithdrawSuggestion { case_id, .. } => Some(*case_id),
            Op::CreateNote { .. }
            | Op::AmendNote { .. }
            | Op::EditVisit { .. }
            | Op::ResolveConflict { .. }
            | Op::ReviewNote { .. } => None,
        }
    }

    /// Whether any of the op's text, in whatever field, holds a control character that no
    /// database keeps faithfully (a NUL, say). The server refuses such an op as a whole, so it
    /// can never become a failure the device would retry for ever.
    pub fn holds_control_characters(&self) -> bool {
        fn any_text(value: &serde_json::Value) -> bool {
            use crate::domain::error::has_control_characters;
            match value {
                serde_json::Value::String(text) => has_control_characters(text),
                serde_json::Value::Array(items) => items.iter().any(any_text),
                serde_json::Value::Object(fields) => fields
                    .iter()
                    .any(|(key, value)| has_control_characters(key) || any_text(value)),
                _ => false,
            }
        }
        serde_json::to_value(self).is_ok_and(|op| any_text(&op))
    }
}

/// One numbered mutation from one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mutation {
    /// 1, 2, 3 … per device, without gaps.
    pub id: u64,
    /// When the author made it, by the device's clock: kept for the record, never for order.
    pub recorded_at: DateTime<Utc>,
    /// What it does.
    pub op: Op,
}

/// A batch of mutations from one device, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    /// The protocol the device speaks.
    pub protocol_version: u32,
    /// The device.
    pub client_id: ClientId,
    /// Mutations in id order, at most [`MAX_PUSH_BATCH`].
    pub mutations: Vec<Mutation>,
    /// The database the device last synced with (none before its first sync): a push to
    /// another one is refused with [`SyncError::Restored`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseId>,
    /// After a restore: the server is to take this device's mutations up to here as processed,
    /// because the device no longer holds those it lacks (see [`crate::sync::Replica::on_restored`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_to: Option<u64>,
}

/// What happened to one mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MutationOutcome {
    /// Applied now.
    Applied {
        /// The mutation.
        id: u64,
    },
    /// Applied, but it met a concurrent edit of the same field: both values are kept in a
    /// conflict record until someone resolves it.
    Conflicted {
        /// The mutation.
        id: u64,
        /// The conflict record.
        conflict_id: uuid::Uuid,
    },
    /// Seen before (a retry): nothing done again.
    Duplicate {
        /// The mutation.
        id: u64,
    },
    /// Can never apply (invalid or not allowed). Recorded with its content; the queue goes on.
    Rejected {
        /// The mutation.
        id: u64,
        /// Why; the device says it in its user's language.
        reason: RejectReason,
    },
}

/// Why the server refused a mutation for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RejectReason {
    /// The record does not exist, or its author is not on its team (the two are not told
    /// apart, so a refusal does not reveal that a case exists).
    NotFound,
    /// The author may read the record but not make this change.
    Forbidden,
    /// A field's value breaks a rule.
    Invalid {
        /// What is wrong, field by field.
        errors: Vec<FieldError>,
    },
    /// The person is disabled, unknown or an administrator, so cannot join a case team.
    CannotJoinTeam,
    /// Only active field staff are assigned to a visit.
    CannotVisit,
    /// An agency named is not in the directory.
    UnknownAgency,
    /// The conflict was resolved by someone else first.
    AlreadyResolved,
    /// Only field staff register consultations.
    NotFieldStaff,
    /// Consultations are registered at a welfare desk or the public health center, and the
    /// author acts for neither.
    NotAnIntakeDesk,
    /// Only a supervisor of the case's program reviews its notes.
    NotReviewer,
    /// The id the device chose for a new record is someone else's already.
    IdTaken,
    /// Words of a build before protocol version 2, still kept on a device.
    #[serde(untagged)]
    Said(String),
}

/// The answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// The highest mutation id of this device the server has processed.
    pub last_mutation_id: u64,
    /// One outcome per mutation processed now, in order.
    pub outcomes: Vec<MutationOutcome>,
    /// The database that answered.
    #[serde(default)]
    pub database: Option<DatabaseId>,
}

/// A request for what changed since a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The protocol the device speaks.
    pub protocol_version: u32,
    /// The device.
    pub client_id: ClientId,
    /// The last change sequence the device holds (0: nothing yet).
    pub cursor: u64,
    /// When the oldest change still waiting in the device's outbox was made (none: all sent),
    /// so a supervisor can see a phone that has not synced for days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_since: Option<DateTime<Utc>>,
    /// The database the device last synced with (none before its first sync): a pull from
    /// another one is refused with [`SyncError::Restored`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseId>,
}

impl PullRequest {
    /// Whether the device may be told to erase itself, if it was revoked: only once nothing
    /// waits on it to be sent (until then its pushes are still taken).
    pub fn may_erase(&self) -> bool {
        self.pending_since.is_none()
    }
}

/// One logged change: a record's whole current state, so applying it is idempotent.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The server's sequence number: the only order that counts (0 on a device for a record
    /// its pending changes made, which the server has not logged yet).
    pub seq: u64,
    /// The case it belongs to.
    pub case_id: CaseId,
    /// The record's id.
    pub entity_id: String,
    /// The record, with its kind (`entity` and `data` on the wire).
    pub record: Record,
}

/// A change as it travels and is stored: the record's kind beside its fields.
#[derive(Serialize, Deserialize)]
struct WireChange {
    seq: u64,
    case_id: CaseId,
    entity: String,
    entity_id: String,
    data: serde_json::Value,
}

impl Serialize for Change {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireChange {
            seq: self.seq,
            case_id: self.case_id,
            entity: self.entity().to_owned(),
            entity_id: self.entity_id.clone(),
            data: self.record.to_value().map_err(serde::ser::Error::custom)?,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = WireChange::deserialize(d)?;
        Ok(Change {
            seq: wire.seq,
            case_id: wire.case_id,
            record: Record::from_value(&wire.entity, wire.data)
                .map_err(serde::de::Error::custom)?,
            entity_id: wire.entity_id,
        })
    }
}

impl Change {
    /// What kind of record it is.
    pub fn entity(&self) -> &'static str {
        self.record.entity()
    }

    /// Where a device keeps it: its kind and id.
    pub fn key(&self) -> (String, String) {
        (self.entity().to_owned(), self.entity_id.clone())
    }

    /// The record, if it is of kind `T`.
    pub fn get<T: Kind>(&self) -> Option<&T> {
        T::of(&self.record)
    }
}

/// The answer to a pull.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Changes after the request's cursor that the user may see, in sequence order.
    pub changes: Vec<Change>,
    /// Cases the user may no longer see: purge them from the device.
    pub removed_cases: Vec<CaseId>,
    /// The cursor to send next time.
    pub cursor: u64,
    /// Whether more changes wait (a first sync pages through).
    pub more: bool,
    /// The highest mutation id of this device the server has processed.
    pub last_mutation_id: u64,
    /// The database that answered.
    #[serde(default)]
    pub database: Option<DatabaseId>,
    /// How many days the device keeps acknowledged changes, to send them again should the
    /// server be restored from a backup that lacks them.
    #[serde(default = "keep_sent_days")]
    pub keep_sent_days: u32,
    /// The version of the reference data (staff, agencies, the hubs' directory) on the server,
    /// when the answer says it: a device holding another version fetches it again, so that an
    /// administrator's change to the directory reaches it at its next pull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_version: Option<u64>,
}

fn keep_sent_days() -> u32 {
    KEEP_SENT_DAYS
}

impl PullResponse {
    /// A page with nothing in it: the device stays where it is.
    pub fn nothing(cursor: u64, last_mutation_id: u64, database: DatabaseId) -> Self {
        PullResponse {
            changes: vec![],
            removed_cases: vec![],
            cursor,
            more: false,
            last_mutation_id,
            database: Some(database),
            keep_sent_days: KEEP_SENT_DAYS,
            reference_version: None,
        }
    }
}

/// Why a whole push or pull was refused (each mutation's own fate is a [`MutationOutcome`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum SyncError {
    /// The app on the device is too old: it must update before it can sync.
    #[error(
        "this app is too old to sync (protocol {sent}, server needs {required}); please update it"
    )]
    UpdateRequired {
        /// What the device sent.
        sent: u32,
        /// What the server speaks.
        required: u32,
    },
    /// The batch skips ids: resend starting from `resend_from`.
    #[error("mutations are missing; resend from {resend_from}")]
    Gap {
        /// The first id the server has not seen.
        resend_from: u64,
    },
    /// More mutations than [`MAX_PUSH_BATCH`].
    #[error("a push may carry at most {max} mutations")]
    BatchTooLarge {
        /// The limit.
        max: usize,
    },
    /// The mutations are not in increasing id order.
    #[error("mutations must be in increasing id order")]
    OutOfOrder,
    /// The request could not be read.
    #[error("the request could not be read: {detail}")]
    Malformed {
        /// What could not be read.
        detail: String,
    },
    /// Not signed in.
    #[error("please sign in")]
    Unauthenticated,
    /// A failure on the server; the device keeps its outbox and retries.
    #[error("the server had a problem; nothing was lost, please retry")]
    Internal,
    /// The device was revoked (reported lost): it may still push what it holds, but it pulls
    /// nothing more and must erase its data.
    #[error("this device has been revoked; its data is to be erased")]
    DeviceRevoked,
    /// The server's database is not the one the device last synced with: it was restored from
    /// a backup. The device pulls afresh and sends again, numbered after `last_mutation_id`,
    /// what it authored that the server may have lost.
    #[error("the server was restored from a backup; this device sends its changes again")]
    Restored {
        /// The database now.
        database: DatabaseId,
        /// The highest mutation id of this device the restored database holds.
        last_mutation_id: u64,
    },
}

impl PushRequest {
    /// Checks the batch's shape before anything is applied: protocol, size, order, and that it
    /// continues from `last_seen` without a gap. Ids at or below `last_seen` are retries.
    pub fn check(&self, last_seen: u64) -> Result<(), SyncError> {
        check_version(self.protocol_version)?;
        if self.mutations.len() > MAX_PUSH_BATCH {
            return Err(SyncError::BatchTooLarge {
                max: MAX_PUSH_BATCH,
            });
        }
        if self.mutations.windows(2).any(|w| w[1].id <= w[0].id) {
            return Err(SyncError::OutOfOrder);
        }
        // The first new mutation must follow the last one processed.
        if let Some(first_new) = self.mutations.iter().find(|m| m.id > last_seen) {
            let expected = last_seen + 1;
            let contiguous = self
                .mutations
                .iter()
                .filter(|m| m.id > last_seen)
                .enumerate()
                .all(|(i, m)| m.id == first_new.id + i as u64);
            if first_new.id != expected || !contiguous {
                return Err(SyncError::Gap {
                    resend_from: expected,
                });
            }
        }
        Ok(())
    }
}

/// Refuses a protocol other than this build's.
pub fn check_version(sent: u32) -> Result<(), SyncError> {
    if sent != PROTOCOL_VERSION {
        return Err(SyncError::UpdateRequired {
            sent,
            required: PROTOCOL_VERSION,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(ids: &[u64]) -> PushRequest {
        PushRequest {
            protocol_version: PROTOCOL_VERSION,
            client_id: ClientId(uuid::Uuid::from_u128(1)),
            mutations: ids
                .iter()
                .map(|&id| Mutation {
                    id,
                    recorded_at: Utc::now(),
                    op: Op::JoinTeam {
                        case_id: CaseId(uuid::Uuid::from_u128(2)),
                        staff_id: StaffId(uuid::Uuid::from_u128(3)),
                    },
                })
                .collect(),
            database: None,
            skip_to: None,
        }
    }

    #[test]
    fn a_refusal_travels_as_its_kind_and_an_older_devices_words_still_read() {
        let reasons = [
            RejectReason::NotFound,
            RejectReason::Invalid {
                errors: vec![FieldError::new("place", crate::domain::Problem::Required)],
            },
            RejectReason::IdTaken,
        ];
        for reason in reasons {
            let json = serde_json::to_value(&reason).unwrap();
            assert!(json["kind"].is_string(), "{json}");
            assert_eq!(
                serde_json::from_value::<RejectReason>(json).unwrap(),
                reason
            );
        }
        // A refusal a device stored before version 2 was English words.
        let kept: RejectReason = serde_json::from_str("\"You may not make this change.\"").unwrap();
        assert_eq!(
            kept,
            RejectReason::Said("You may not make this change.".into())
        );
    }

    #[test]
    fn a_batch_continuing_from_the_last_seen_id_is_accepted() {
        assert_eq!(batch(&[1, 2, 3]).check(0), Ok(()));
        assert_eq!(batch(&[4, 5]).check(3), Ok(()));
    }

    #[test]
    fn a_retry_overlapping_what_was_seen_is_accepted() {
        assert_eq!(batch(&[2, 3, 4, 5]).check(3), Ok(()));
        assert_eq!(batch(&[1, 2]).check(5), Ok(()), "all duplicates");
    }

    #[test]
    fn a_gap_names_the_id_to_resend_from() {
        assert_eq!(
            batch(&[5, 6]).check(3),
            Err(SyncError::Gap { resend_from: 4 })
        );
        assert_eq!(
            batch(&[4, 6]).check(3),
            Err(SyncError::Gap { resend_from: 4 })
        );
    }

    #[test]
    fn disorder_size_and_old_protocols_are_refused() {
        assert_eq!(batch(&[2, 1]).check(0), Err(SyncError::OutOfOrder));
        let ids: Vec<u64> = (1..=MAX_PUSH_BATCH as u64 + 1).collect();
        assert!(matches!(
            batch(&ids).check(0),
            Err(SyncError::BatchTooLarge { .. })
        ));
        let mut old = batch(&[1]);
        old.protocol_version = 0;
        assert!(matches!(
            old.check(0),
            Err(SyncError::UpdateRequired { .. })
        ));
    }

    #[test]
    fn every_refusal_travels_as_json_and_back() {
        let all = [
            SyncError::UpdateRequired {
                sent: 0,
                required: 1,
            },
            SyncError::Gap { resend_from: 4 },
            SyncError::BatchTooLarge {
                max: MAX_PUSH_BATCH,
            },
            SyncError::OutOfOrder,
            SyncError::Malformed { detail: "x".into() },
            SyncError::Unauthenticated,
            SyncError::Internal,
        ];
        for error in all {
            let json = serde_json::to_string(&error).expect("serializes");
            assert_eq!(serde_json::from_str::<SyncError>(&json).unwrap(), error);
        }
    }

    #[test]
    fn ops_travel_as_tagged_json_and_unknown_kinds_are_refused() {
        let json = serde_json::to_value(&batch(&[1]).mutations[0].op).unwrap();
        assert_eq!(json["kind"], "join_team");
        let unknown = serde_json::json!({"kind": "delete_case", "case_id": uuid::Uuid::nil()});
        assert!(serde_json::from_value::<Op>(unknown).is_err());
    }

    #[test]
    fn a_control_character_in_any_text_of_an_op_is_found() {
        let note = |free_text: &str| Op::CreateNote {
            note_id: NoteId(uuid::Uuid::from_u128(4)),
            visit_id: VisitId(uuid::Uuid::from_u128(5)),
            fields: NoteFields {
                met_with: "本人".into(),
                free_text: free_text.into(),
                ..Default::default()
            },
        };
        assert!(!note("眠れている。\n食事は一日二回。\t").holds_control_characters());
        assert!(note("途中で\u{0}切れる").holds_control_characters());
        assert!(note("\u{1b}[31m").holds_control_characters());
        let place = Op::PlanVisit {
            case_id: CaseId(uuid::Uuid::from_u128(2)),
            visit_id: VisitId(uuid::Uuid::from_u128(5)),
            starts_at: Utc::now(),
            ends_at: Utc::now(),
            place: "自宅\u{7}".into(),
            members: Vec::new(),
        };
        assert!(place.holds_control_characters());
    }
}
