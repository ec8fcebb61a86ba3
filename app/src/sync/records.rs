//! The records the change log carries, one type per kind: the server writes them
//! (`server/src/service/sync/log.rs`), devices store and read them (`replica.rs`, `view.rs`),
//! and the outbox's pending changes are applied to them (`pending.rs`). A field renamed here
//! is renamed on both sides, or neither compiles.
//!
//! On the wire a record is the `entity` and `data` of a [`super::Change`]:
//! `{"entity": "visit", "data": {"case_id": …, "members": […], …}}`.

use super::protocol::{AgencyPhase, CaseField, VisitField};
use crate::domain::review::ReviewDecision;
use crate::domain::{
    Agency, AgencyId, CaseId, CaseStatus, DirectoryEntry, IntakeChannel, LifeGoal, NoteFields,
    NoteId, Program, RiskLevel, StaffId, StaffRef, VisitId, VisitStatus,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of each field of a record that merges field by field, as the server last
/// counted them: the base a device sends with its edit of the field.
pub type Versions = BTreeMap<String, u64>;

/// One logged record's whole current state.
///
/// Read and written through `serde_json::Value` only ([`Record::from_value`],
/// [`Record::to_value`]): each kind's serde code is built once, for the one deserializer and
/// serializer every path shares, which keeps the device's download small.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A case's own fields.
    Case(CaseRecord),
    /// A visit with its members.
    Visit(VisitRecord),
    /// One revision of a note.
    NoteRevision(RevisionRecord),
    /// A case's team.
    Team(TeamRecord),
    /// A case's agencies involved at intake and at close.
    Agencies(AgenciesRecord),
    /// A same-field conflict kept for the team to settle.
    Conflict(ConflictRecord),
    /// A supervisor's decision on a note revision.
    Review(ReviewRecord),
    /// A directory listing suggested to a case team.
    Suggestion(SuggestionRecord),
}

impl Record {
    /// The kind's name in the log and on the wire.
    pub fn entity(&self) -> &'static str {
        match self {
            Record::Case(_) => CaseRecord::ENTITY,
            Record::Visit(_) => VisitRecord::ENTITY,
            Record::NoteRevision(_) => RevisionRecord::ENTITY,
            Record::Team(_) => TeamRecord::ENTITY,
            Record::Agencies(_) => AgenciesRecord::ENTITY,
            Record::Conflict(_) => ConflictRecord::ENTITY,
            Record::Review(_) => ReviewRecord::ENTITY,
            Record::Suggestion(_) => SuggestionRecord::ENTITY,
        }
    }

    /// The record's fields alone.
    pub fn to_value(&self) -> serde_json::Result<serde_json::Value> {
        match self {
            Record::Case(r) => serde_json::to_value(r),
            Record::Visit(r) => serde_json::to_value(r),
            Record::NoteRevision(r) => serde_json::to_value(r),
            Record::Team(r) => serde_json::to_value(r),
            Record::Agencies(r) => serde_json::to_value(r),
            Record::Conflict(r) => serde_json::to_value(r),
            Record::Review(r) => serde_json::to_value(r),
            Record::Suggestion(r) => serde_json::to_value(r),
        }
    }

    /// A record from its kind and fields.
    pub fn from_value(entity: &str, data: serde_json::Value) -> serde_json::Result<Record> {
        use serde_json::from_value as read;
        Ok(match entity {
            CaseRecord::ENTITY => Record::Case(read(data)?),
            VisitRecord::ENTITY => Record::Visit(read(data)?),
            RevisionRecord::ENTITY => Record::NoteRevision(read(data)?),
            TeamRecord::ENTITY => Record::Team(read(data)?),
            AgenciesRecord::ENTITY => Record::Agencies(read(data)?),
            ConflictRecord::ENTITY => Record::Conflict(read(data)?),
            ReviewRecord::ENTITY => Record::Review(read(data)?),
            SuggestionRecord::ENTITY => Record::Suggestion(read(data)?),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "unknown kind of record `{other}`"
                )))
            }
        })
    }

    /// The record's fields alone, as the log stores them.
    pub fn data_json(&self) -> serde_json::Result<String> {
        self.to_value().map(|v| v.to_string())
    }

    /// A record from the kind and the fields the log stores.
    pub fn from_log(entity: &str, data: &str) -> serde_json::Result<Record> {
        Record::from_value(entity, serde_json::from_str(data)?)
    }
}

/// A kind of record: its name in the log, and how to find it in a [`Record`].
pub trait Kind: Sized + 'static {
    /// The name in the log and on the wire.
    const ENTITY: &'static str;
    /// This kind's record, if `record` is one.
    fn of(record: &Record) -> Option<&Self>;
    /// The same, to change.
    fn of_mut(record: &mut Record) -> Option<&mut Self>;
}

macro_rules! kind {
    ($ty:ident, $variant:ident, $entity:literal) => {
        impl Kind for $ty {
            const ENTITY: &'static str = $entity;
            fn of(record: &Record) -> Option<&Self> {
                match record {
                    Record::$variant(r) => Some(r),
                    _ => None,
                }
            }
            fn of_mut(record: &mut Record) -> Option<&mut Self> {
                match record {
                    Record::$variant(r) => Some(r),
                    _ => None,
                }
            }
        }

        impl From<$ty> for Record {
            fn from(record: $ty) -> Record {
                Record::$variant(record)
            }
        }
    };
}

kind!(CaseRecord, Case, "case");
kind!(VisitRecord, Visit, "visit");
kind!(RevisionRecord, NoteRevision, "note_revision");
kind!(TeamRecord, Team, "team");
kind!(AgenciesRecord, Agencies, "agencies");
kind!(ConflictRecord, Conflict, "conflict");
kind!(ReviewRecord, Review, "review");
kind!(SuggestionRecord, Suggestion, "suggestion");

/// A case's own fields (its team, agencies, visits and notes are records of their own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// What the team calls the person; never a real name.
    pub pseudonym: String,
    /// Where the consultation came in.
    pub intake_channel: IntakeChannel,
    /// The program responsible.
    pub program: Program,
    /// The agency that took the consultation in (unknown for cases from before it was kept).
    #[serde(default)]
    pub intake_agency_id: Option<AgencyId>,
    /// How worried the team is.
    pub risk: RiskLevel,
    /// Intake, active or closed.
    pub status: CaseStatus,
    /// 暮らしのゴール.
    pub life_goal: String,
    /// The medical view.
    pub medical_view: String,
    /// The welfare view.
    pub welfare_view: String,
    /// The day the case was registered.
    pub opened_on: NaiveDate,
    /// The day it was closed.
    #[serde(default)]
    pub closed_on: Option<NaiveDate>,
    /// Field versions.
    #[serde(default)]
    pub versions: Versions,
}

impl CaseRecord {
    /// The life goal and both views.
    pub fn goal(&self) -> LifeGoal {
        LifeGoal {
            goal: self.life_goal.clone(),
            medical_view: self.medical_view.clone(),
            welfare_view: self.welfare_view.clone(),
        }
    }

    /// Sets a field from an edit's value; a value that does not parse changes nothing.
    pub fn set(&mut self, field: CaseField, value: &str) {
        match field {
            CaseField::LifeGoal => self.life_goal = value.to_owned(),
            CaseField::MedicalView => self.medical_view = value.to_owned(),
            CaseField::WelfareView => self.welfare_view = value.to_owned(),
            CaseField::Risk => self.risk = RiskLevel::parse(value).unwrap_or(self.risk),
            CaseField::Status => self.status = CaseStatus::parse(value).unwrap_or(self.status),
        }
    }
}

/// A visit, with who is assigned to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitRecord {
    /// Its case.
    pub case_id: CaseId,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// Planned, done, not met or cancelled.
    pub status: VisitStatus,
    /// What came of it, in a sentence.
    #[serde(default)]
    pub outcome: String,
    /// When the next visit should be (`YYYY-MM-DD`), or empty.
    #[serde(default)]
    pub next_visit_on: String,
    /// The staff assigned, by id.
    pub members: Vec<StaffId>,
    /// Field versions.
    #[serde(default)]
    pub versions: Versions,
}

impl VisitRecord {
    /// Sets a field from an edit's value; a value that does not parse changes nothing.
    pub fn set(&mut self, field: VisitField, value: &str) {
        let time = || {
            DateTime::parse_from_rfc3339(value)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        match field {
            VisitField::Status => self.status = VisitStatus::parse(value).unwrap_or(self.status),
            VisitField::Outcome => self.outcome = value.to_owned(),
            VisitField::NextVisitOn => self.next_visit_on = value.to_owned(),
            VisitField::StartsAt => self.starts_at = time().unwrap_or(self.starts_at),
            VisitField::EndsAt => self.ends_at = time().unwrap_or(self.ends_at),
        }
    }
}

/// One revision of a note. Revisions are never changed: an amendment is a new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionRecord {
    /// The note.
    pub note_id: NoteId,
    /// Its number, from 1.
    pub revision: u32,
    /// The revision its author was looking at when amending.
    #[serde(default)]
    pub amends: Option<u32>,
    /// The visit the note is about.
    pub visit_id: VisitId,
    /// Who wrote this revision.
    pub author_id: StaffId,
    /// What was written.
    #[serde(flatten)]
    pub fields: NoteFields,
    /// When its author's device recorded it.
    pub recorded_at: DateTime<Utc>,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
}

impl RevisionRecord {
    /// The record's id in the log: the note and the revision's number.
    pub fn entity_id(&self) -> String {
        format!("{}/{}", self.note_id, self.revision)
    }
}

/// The staff on a case's team now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamRecord {
    /// By id, sorted.
    pub members: Vec<StaffId>,
}

/// The agencies involved in a case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgenciesRecord {
    /// At intake, sorted.
    pub intake: Vec<AgencyId>,
    /// At close, sorted.
    pub close: Vec<AgencyId>,
}

impl AgenciesRecord {
    /// The agencies of one phase.
    pub fn of(&self, phase: AgencyPhase) -> &[AgencyId] {
        match phase {
            AgencyPhase::Intake => &self.intake,
            AgencyPhase::Close => &self.close,
        }
    }

    /// The same, to change.
    pub fn of_mut(&mut self, phase: AgencyPhase) -> &mut Vec<AgencyId> {
        match phase {
            AgencyPhase::Intake => &mut self.intake,
            AgencyPhase::Close => &mut self.close,
        }
    }
}

/// Two edits of the same field made without seeing each other: the later one is shown, the
/// earlier one kept here until someone on the team settles which is right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictRecord {
    /// The kind of record the field belongs to (`case` or `visit`).
    pub entity: String,
    /// That record's id.
    pub entity_id: String,
    /// The field's code.
    pub field: String,
    /// The value shown.
    pub winner_value: String,
    /// Who wrote it.
    pub winner_author_id: StaffId,
    /// When its author's device wrote it.
    #[serde(default)]
    pub winner_recorded_at: Option<DateTime<Utc>>,
    /// The value replaced, kept here.
    pub replaced_value: String,
    /// Who wrote it (unknown for a value from before authors were kept).
    #[serde(default)]
    pub replaced_author_id: Option<StaffId>,
    /// When its author's device wrote it.
    #[serde(default)]
    pub replaced_recorded_at: Option<DateTime<Utc>>,
    /// When the team settled it.
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The field a conflict is about, read from its `entity` and `field` codes: the one reading
/// of them for the device's overlay and the server's merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictField {
    /// A field of a case.
    Case(CaseField),
    /// A field of a visit.
    Visit(VisitField),
}

impl ConflictField {
    /// The field `entity` and `field` name; `None` for a kind or field this version does not
    /// know.
    pub fn parse(entity: &str, field: &str) -> Option<Self> {
        match entity {
            CaseRecord::ENTITY => CaseField::parse(field).ok().map(Self::Case),
            VisitRecord::ENTITY => VisitField::parse(field).ok().map(Self::Visit),
            _ => None,
        }
    }

    /// The field's code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Case(field) => field.code(),
            Self::Visit(field) => field.code(),
        }
    }
}

impl ConflictRecord {
    /// The field this conflict is about.
    pub fn about(&self) -> Option<ConflictField> {
        ConflictField::parse(&self.entity, &self.field)
    }
}

/// A supervisor's decision on one revision of a note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRecord {
    /// The note.
    pub note_id: NoteId,
    /// The revision decided on.
    pub revision: u32,
    /// The supervisor.
    pub reviewer_id: StaffId,
    /// `approve` or `return`.
    pub decision: String,
    /// What to change, when returned.
    #[serde(default)]
    pub comment: String,
    /// When the server took the decision in.
    pub decided_at: DateTime<Utc>,
}

impl ReviewRecord {
    /// A decision as a record holds it.
    pub fn new(
        note_id: NoteId,
        revision: u32,
        reviewer_id: StaffId,
        decision: &ReviewDecision,
        decided_at: DateTime<Utc>,
    ) -> Self {
        ReviewRecord {
            note_id,
            revision,
            reviewer_id,
            decision: decision.code().to_owned(),
            comment: decision.comment().to_owned(),
            decided_at,
        }
    }

    /// The decision, if its code is known.
    pub fn decision(&self) -> Option<ReviewDecision> {
        ReviewDecision::parse(&self.decision, &self.comment).ok()
    }
}

/// A business of the hubs' directory that a team member suggested to the case team: its
/// listing (the business under one hub) attached to the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionRecord {
    /// The business.
    pub business: AgencyId,
    /// The hub it is listed under.
    pub hub: AgencyId,
    /// Who suggested it.
    pub suggested_by: StaffId,
    /// When its author's device recorded it.
    pub suggested_at: DateTime<Utc>,
    /// When it was taken back, if it was.
    #[serde(default)]
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// People, agencies and the hubs' directory: what a device needs to name what records refer to.
/// Not about any case, so every signed-in user may hold it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Every staff member.
    pub staff: Vec<StaffRef>,
    /// Every agency.
    pub agencies: Vec<Agency>,
    /// The hubs' cooperating businesses, crisis contacts included.
    pub directory: Vec<DirectoryEntry>,
    /// Which version of the reference data this is: a pull names the server's, and a device
    /// holding another fetches it again (0: the directory as first loaded).
    #[serde(default)]
    pub version: u64,
}

impl Reference {
    /// Whether the device is to fetch the reference data again after a pull that named the
    /// server's version `pulled`: when it holds none, or another version than the server's
    /// (an administrator edited the directory since).
    pub fn is_stale(&self, pulled: Option<u64>) -> bool {
        self.staff.is_empty() || pulled.is_some_and(|v| v != self.version)
    }

    /// A staff member by id; an unknown one is shown as such rather than dropped.
    pub fn person(&self, id: StaffId) -> StaffRef {
        self.staff
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .unwrap_or_else(|| StaffRef {
                id,
                display_name: "?".into(),
                role: crate::domain::Role::Nurse,
                home_agency: ("?".into(), "?".into()),
                acts_for: None,
                acting_agency: None,
            })
    }

    /// An agency by id.
    pub fn agency(&self, id: AgencyId) -> Option<&Agency> {
        self.agencies.iter().find(|a| a.id == id)
    }

    /// The names of the agencies known among `ids`, in Japanese and English.
    pub fn agency_names(&self, ids: &[AgencyId]) -> Vec<(String, String)> {
        ids.iter()
            .filter_map(|id| self.agency(*id))
            .map(|a| (a.name_ja.clone(), a.name_en.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::Change;
    use uuid::Uuid;

    #[test]
    fn a_conflicts_field_is_read_by_its_kind_and_unknown_codes_are_none() {
        assert_eq!(
            ConflictField::parse("case", "medical_view"),
            Some(ConflictField::Case(CaseField::MedicalView))
        );
        assert_eq!(
            ConflictField::parse("visit", "status"),
            Some(ConflictField::Visit(VisitField::Status))
        );
        // "outcome" is a visit's field, not a case's; and no other kind has conflicts.
        assert_eq!(ConflictField::parse("case", "outcome"), None);
        assert_eq!(ConflictField::parse("note_revision", "status"), None);
        assert_eq!(
            ConflictField::parse("visit", "next_visit_on").map(ConflictField::code),
            Some("next_visit_on")
        );
    }

    #[test]
    fn a_change_travels_as_its_kind_and_fields_and_reads_back_the_same() {
        let change = Change {
            seq: 7,
            case_id: CaseId(Uuid::from_u128(1)),
            entity_id: Uuid::from_u128(1).to_string(),
            record: TeamRecord {
                members: vec![StaffId(Uuid::from_u128(2))],
            }
            .into(),
        };
        let wire = serde_json::to_value(&change).unwrap();
        assert_eq!(wire["entity"], "team");
        assert_eq!(wire["data"]["members"][0], Uuid::from_u128(2).to_string());
        assert_eq!(serde_json::from_value::<Change>(wire).unwrap(), change);
    }

    #[test]
    fn the_log_and_the_wire_hold_the_same_fields() {
        let record = Record::Agencies(AgenciesRecord {
            intake: vec![AgencyId(Uuid::from_u128(3))],
            close: vec![],
        });
        let stored = record.data_json().unwrap();
        assert_eq!(Record::from_log("agencies", &stored).unwrap(), record);
        assert!(
            Record::from_log("agencies", "{}").is_err(),
            "a missing list"
        );
        assert!(
            Record::from_log("gossip", &stored).is_err(),
            "an unknown kind"
        );
    }

    #[test]
    fn a_bad_code_in_an_edit_changes_nothing() {
        let mut visit = VisitRecord {
            case_id: CaseId(Uuid::from_u128(1)),
            starts_at: DateTime::UNIX_EPOCH,
            ends_at: DateTime::UNIX_EPOCH,
            place: "北区".into(),
            status: VisitStatus::Planned,
            outcome: String::new(),
            next_visit_on: String::new(),
            members: vec![],
            versions: Versions::new(),
        };
        visit.set(VisitField::Status, "gone fishing");
        visit.set(VisitField::StartsAt, "tomorrow");
        assert_eq!(visit.status, VisitStatus::Planned);
        assert_eq!(visit.starts_at, DateTime::UNIX_EPOCH);
        visit.set(VisitField::Status, "cancelled");
        assert_eq!(visit.status, VisitStatus::Cancelled);
    }

    #[test]
    fn reference_data_is_fetched_again_when_missing_or_another_version() {
        let held = Reference {
            staff: vec![Reference::default().person(StaffId(Uuid::from_u128(1)))],
            version: 3,
            ..Default::default()
        };
        assert!(Reference::default().is_stale(None), "none held");
        assert!(!held.is_stale(None), "the pull did not say");
        assert!(!held.is_stale(Some(3)));
        assert!(held.is_stale(Some(4)), "edited since");
        assert!(held.is_stale(Some(2)), "a restored server's is another too");
    }
}
