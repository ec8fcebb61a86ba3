//! What a device shows of its visits, derived from its replica alone: the pulled records with
//! the outbox's pending changes applied ([`super::pending`]), so the screens never wait on the
//! network and a change made offline is visible at once.

use super::casebook::ReviewView;
use super::protocol::{Change, Mutation, Op, RejectReason};
use super::records::{
    CaseRecord, ConflictRecord, Kind, Reference, ReviewRecord, RevisionRecord, TeamRecord,
    VisitRecord,
};
use super::replica::Replica;
use crate::domain::visit::local_day;
use crate::domain::{
    CaseId, CaseStatus, CaseSummary, NoteId, NoteRevision, OutreachNote, StaffId, TimeWindow,
    Visit, VisitId,
};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// A same-field conflict as a device shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictView {
    /// The conflict record.
    pub id: String,
    /// The record it is about (a case or a visit).
    pub entity_id: String,
    /// The field.
    pub field: String,
    /// The value that is shown.
    pub winner: String,
    /// Who wrote it.
    pub winner_author: crate::domain::StaffRef,
    /// The value that was replaced and is kept here.
    pub replaced: String,
    /// Who wrote it.
    pub replaced_author: crate::domain::StaffRef,
    /// When the shown value was written, by its author's device.
    pub winner_at: Option<DateTime<Utc>>,
    /// When the kept value was written, by its author's device.
    pub replaced_at: Option<DateTime<Utc>>,
}

/// A visit page as the device shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalVisit {
    /// The visit.
    pub visit: Visit,
    /// Its case.
    pub case: CaseSummary,
    /// The case's notes, newest first, pending ones included.
    pub notes: Vec<OutreachNote>,
    /// Notes with a revision still in the outbox.
    pub unsynced: BTreeSet<NoteId>,
    /// Open conflicts of the case.
    pub conflicts: Vec<ConflictView>,
    /// This visit's mutations the server refused, with its reason.
    pub rejected: Vec<(Mutation, RejectReason)>,
    /// Supervisors' decisions on the case's notes, oldest first.
    pub reviews: BTreeMap<NoteId, Vec<ReviewView>>,
}

impl Replica {
    /// The held record of kind `T` with this id.
    pub fn held<T: Kind>(&self, id: &str) -> Option<&T> {
        self.held_change::<T>(id).and_then(Change::get)
    }

    /// The same, as logged (with its sequence and case).
    pub(super) fn held_change<T: Kind>(&self, id: &str) -> Option<&Change> {
        self.records.get(&(T::ENTITY.to_owned(), id.to_owned()))
    }

    /// Every held record of kind `T`, in id order.
    pub(super) fn all<T: Kind>(&self) -> impl Iterator<Item = (&Change, &T)> + '_ {
        self.held_after::<T>(String::new())
    }

    /// Every held record of kind `T` of one case.
    pub(super) fn all_of<T: Kind>(&self, case: CaseId) -> impl Iterator<Item = (&Change, &T)> + '_ {
        self.all::<T>().filter(move |(c, _)| c.case_id == case)
    }

    fn held_after<T: Kind>(&self, from: String) -> impl Iterator<Item = (&Change, &T)> + '_ {
        self.records
            .range((T::ENTITY.to_owned(), from)..)
            .take_while(|((e, _), _)| e == T::ENTITY)
            .filter_map(|(_, c)| Some((c, c.get::<T>()?)))
    }

    /// The held revisions of one note, in id order.
    pub fn revisions_of(
        &self,
        note: NoteId,
    ) -> impl Iterator<Item = (&Change, &RevisionRecord)> + '_ {
        let prefix = format!("{note}/");
        self.held_after::<RevisionRecord>(prefix.clone())
            .take_while(move |(c, _)| c.entity_id.starts_with(&prefix))
    }

    /// The case a change is about, as far as the device knows: the case it names, or the case
    /// of the visit, note or conflict it touches.
    pub(super) fn case_of(&self, op: &Op) -> Option<CaseId> {
        if let Some(case) = op.case_id() {
            return Some(case);
        }
        match op {
            Op::CreateNote { visit_id, .. } | Op::EditVisit { visit_id, .. } => self
                .held::<VisitRecord>(&visit_id.to_string())
                .map(|v| v.case_id),
            Op::AmendNote { note_id, .. } | Op::ReviewNote { note_id, .. } => {
                self.revisions_of(*note_id).next().map(|(c, _)| c.case_id)
            }
            Op::ResolveConflict { conflict_id, .. } => self
                .held_change::<ConflictRecord>(&conflict_id.to_string())
                .map(|c| c.case_id),
            _ => None,
        }
    }

    /// The refused changes a case's page shows (or, given a visit, that visit's page: the
    /// case's changes, and the notes and edits of that visit only), each with its reason.
    pub(super) fn refused_in(
        &self,
        case: CaseId,
        visit: Option<VisitId>,
    ) -> Vec<(Mutation, RejectReason)> {
        self.rejected
            .iter()
            .filter(|(m, _)| match (&m.op, visit) {
                (Op::CreateNote { visit_id, .. } | Op::EditVisit { visit_id, .. }, Some(v)) => {
                    *visit_id == v
                }
                (op, _) => self.case_of(op) == Some(case),
            })
            .cloned()
            .collect()
    }

    /// A visit as shown.
    pub(super) fn visit(&self, id: VisitId, reference: &Reference) -> Option<Visit> {
        let record = self.held::<VisitRecord>(&id.to_string())?;
        let case = self.held::<CaseRecord>(&record.case_id.to_string())?;
        Some(Visit {
            id,
            case_id: record.case_id,
            pseudonym: case.pseudonym.clone(),
            risk: case.risk,
            case_status: case.status,
            window: TimeWindow {
                starts_at: record.starts_at,
                ends_at: record.ends_at,
            },
            place: record.place.clone(),
            status: record.status,
            members: record
                .members
                .iter()
                .map(|s| reference.person(*s))
                .collect(),
        })
    }

    /// The visits `me` is assigned to, from `today` on, earliest first, visits planned on
    /// this device included.
    pub fn my_visits(&self, me: StaffId, today: NaiveDate, reference: &Reference) -> Vec<Visit> {
        self.overlaid(me, reference)
            .held_visits_of(me, today, reference)
    }

    fn held_visits_of(&self, me: StaffId, today: NaiveDate, reference: &Reference) -> Vec<Visit> {
        let mut visits: Vec<Visit> = self
            .all::<VisitRecord>()
            .filter(|(_, v)| v.members.contains(&me))
            .filter_map(|(c, _)| self.visit(c.entity_id.parse().ok()?, reference))
            .filter(|v| local_day(v.window.starts_at) >= today)
            .collect();
        visits.sort_by_key(|v| (v.window.starts_at, v.id.to_string()));
        visits
    }

    /// A case's summary.
    pub(super) fn case(&self, id: CaseId, reference: &Reference) -> Option<CaseSummary> {
        let key = id.to_string();
        let record = self.held::<CaseRecord>(&key)?;
        let team = self
            .held::<TeamRecord>(&key)
            .map(|t| t.members.as_slice())
            .unwrap_or_default();
        let agencies = self
            .held::<super::records::AgenciesRecord>(&key)
            .cloned()
            .unwrap_or_default();
        Some(CaseSummary {
            id,
            pseudonym: record.pseudonym.clone(),
            intake_channel: record.intake_channel,
            program: record.program,
            risk: record.risk,
            status: record.status,
            opened_on: record.opened_on,
            life_goal: record.goal(),
            team: team.iter().map(|s| reference.person(*s)).collect(),
            agencies_at_intake: reference.agency_names(&agencies.intake),
            agencies_at_close: (record.status == CaseStatus::Closed)
                .then(|| reference.agency_names(&agencies.close)),
        })
    }

    /// A case's notes, newest first, and those with a revision not yet on the server (held
    /// with sequence 0; they come first).
    pub(super) fn notes(
        &self,
        case_id: CaseId,
        pseudonym: &str,
        reference: &Reference,
    ) -> (Vec<OutreachNote>, BTreeSet<NoteId>) {
        let mut notes: BTreeMap<NoteId, OutreachNote> = BTreeMap::new();
        let mut first_seen: BTreeMap<NoteId, DateTime<Utc>> = BTreeMap::new();
        let mut unsynced = BTreeSet::new();
        for (change, r) in self.all_of::<RevisionRecord>(case_id) {
            let note = notes.entry(r.note_id).or_insert_with(|| OutreachNote {
                id: r.note_id,
                visit_id: r.visit_id,
                case_id,
                pseudonym: pseudonym.to_owned(),
                revisions: Vec::new(),
            });
            note.revisions.push(NoteRevision {
                revision: r.revision,
                amends: r.amends,
                fields: r.fields.clone(),
                author: reference.person(r.author_id),
                recorded_at: r.recorded_at,
                received_at: r.received_at,
            });
            let seen = first_seen.entry(r.note_id).or_insert(r.received_at);
            *seen = (*seen).min(r.received_at);
            if change.seq == 0 {
                unsynced.insert(r.note_id);
            }
        }
        let mut list: Vec<OutreachNote> = notes
            .into_values()
            .map(|mut n| {
                n.revisions.sort_by_key(|r| r.revision);
                n
            })
            .collect();
        // Newest first: synced notes by when the server first had them, pending ones on top.
        list.sort_by_key(|n| {
            (
                std::cmp::Reverse(unsynced.contains(&n.id)),
                std::cmp::Reverse(first_seen.get(&n.id).copied()),
            )
        });
        (list, unsynced)
    }

    /// Everything the visit page shows, or `None` if the device does not hold the visit.
    pub fn local_visit(
        &self,
        id: VisitId,
        me: StaffId,
        reference: &Reference,
    ) -> Option<LocalVisit> {
        self.overlaid(me, reference).held_visit(id, reference)
    }

    /// A case's open conflicts (none once settled, here or on the server).
    pub(super) fn open_conflicts_of(
        &self,
        case: CaseId,
        reference: &Reference,
    ) -> Vec<ConflictView> {
        self.all_of::<ConflictRecord>(case)
            .filter_map(|(c, r)| open_conflict(c, r, reference))
            .collect()
    }

    fn held_visit(&self, id: VisitId, reference: &Reference) -> Option<LocalVisit> {
        let visit = self.visit(id, reference)?;
        let case = self.case(visit.case_id, reference)?;
        let (notes, unsynced) = self.notes(case.id, &case.pseudonym, reference);
        Some(LocalVisit {
            conflicts: self.open_conflicts_of(case.id, reference),
            reviews: self.reviews_of(case.id, reference),
            rejected: self.refused_in(case.id, Some(id)),
            visit,
            case,
            notes,
            unsynced,
        })
    }

    /// Supervisors' decisions on a case's notes, oldest first; decisions still pending on this
    /// device come last, without a time.
    pub(super) fn reviews_of(
        &self,
        case_id: CaseId,
        reference: &Reference,
    ) -> BTreeMap<NoteId, Vec<ReviewView>> {
        let mut held: Vec<(bool, DateTime<Utc>, NoteId, ReviewView)> = self
            .all_of::<ReviewRecord>(case_id)
            .filter_map(|(c, r)| {
                let pending = c.seq == 0;
                let view = ReviewView {
                    revision: r.revision,
                    reviewer: reference.person(r.reviewer_id),
                    decision: r.decision()?,
                    decided_at: (!pending).then_some(r.decided_at),
                };
                Some((pending, r.decided_at, r.note_id, view))
            })
            .collect();
        held.sort_by_key(|(pending, at, _, _)| (*pending, *at));
        let mut by_note: BTreeMap<NoteId, Vec<ReviewView>> = BTreeMap::new();
        for (_, _, note_id, view) in held {
            by_note.entry(note_id).or_default().push(view);
        }
        by_note
    }
}

/// A conflict record as shown, or `None` once settled.
pub(super) fn open_conflict(
    change: &Change,
    c: &ConflictRecord,
    reference: &Reference,
) -> Option<ConflictView> {
    c.resolved_at.is_none().then(|| ConflictView {
        id: change.entity_id.clone(),
        entity_id: c.entity_id.clone(),
        field: c.field.clone(),
        winner: c.winner_value.clone(),
        winner_author: reference.person(c.winner_author_id),
        replaced: c.replaced_value.clone(),
        replaced_author: reference
            .person(c.replaced_author_id.unwrap_or(StaffId(uuid::Uuid::nil()))),
        winner_at: c.winner_recorded_at,
        replaced_at: c.replaced_recorded_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NoteFields, VisitStatus};
    use crate::sync::{PullResponse, PushResponse, VisitField};
    use serde_json::json;
    use uuid::Uuid;

    use crate::sync::fixtures::*;

    fn note(text: &str) -> NoteFields {
        NoteFields {
            met: true,
            met_with: "本人".into(),
            next_steps: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_list_holds_only_my_visits_from_today_on() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let mine = device_with(case_and_visit("2026-11-24T01:00:00Z", &[ME, OTHER]));
        assert_eq!(mine.my_visits(me(), today, &Reference::default()).len(), 1);
        let theirs = device_with(case_and_visit("2026-11-24T01:00:00Z", &[OTHER]));
        assert!(theirs
            .my_visits(me(), today, &Reference::default())
            .is_empty());
        let past = device_with(case_and_visit("2026-11-22T01:00:00Z", &[ME]));
        assert!(past
            .my_visits(me(), today, &Reference::default())
            .is_empty());
    }

    #[test]
    fn a_note_written_offline_shows_at_once_and_once_only_after_sync() {
        let mut device = device_with(case_and_visit("2026-11-24T01:00:00Z", &[ME]));
        let note_id = NoteId(Uuid::from_u128(50));
        device.record(
            Op::CreateNote {
                note_id,
                visit_id: visit_id(),
                fields: note("来週再訪"),
            },
            Utc::now(),
        );
        let shown = device
            .local_visit(visit_id(), me(), &Reference::default())
            .unwrap();
        assert_eq!(shown.notes.len(), 1);
        assert!(shown.unsynced.contains(&note_id));
        assert_eq!(
            shown.visit.status,
            VisitStatus::Done,
            "a note marks the visit done"
        );

        // The server applies it and the next pull brings back its record.
        device.on_push(&PushResponse {
            last_mutation_id: 1,
            outcomes: vec![],
            database: None,
        });
        device.on_pull(PullResponse {
            changes: vec![change(
                3,
                "note_revision",
                format!("{note_id}/1"),
                json!({"note_id": note_id.to_string(), "revision": 1, "amends": null,
                       "visit_id": visit_id().to_string(), "author_id": me().to_string(),
                       "met": true, "met_with": "本人", "next_steps": "来週再訪",
                       "recorded_at": "2026-11-24T01:30:00Z", "received_at": "2026-11-24T02:00:00Z"}),
            )],
            removed_cases: vec![],
            cursor: 3,
            more: false,
            last_mutation_id: 1,
            database: None,
            keep_sent_days: crate::sync::KEEP_SENT_DAYS,
            reference_version: None,
        });
        let shown = device
            .local_visit(visit_id(), me(), &Reference::default())
            .unwrap();
        assert_eq!(shown.notes.len(), 1);
        assert_eq!(shown.notes[0].revisions.len(), 1);
        assert!(shown.unsynced.is_empty());
    }

    #[test]
    fn a_pending_amendment_becomes_the_next_revision() {
        let mut device = device_with(case_and_visit("2026-11-24T01:00:00Z", &[ME]));
        let note_id = NoteId(Uuid::from_u128(50));
        device.record(
            Op::CreateNote {
                note_id,
                visit_id: visit_id(),
                fields: note("初回"),
            },
            Utc::now(),
        );
        device.record(
            Op::AmendNote {
                note_id,
                amends: 1,
                fields: note("訂正"),
            },
            Utc::now(),
        );
        let shown = device
            .local_visit(visit_id(), me(), &Reference::default())
            .unwrap();
        let current = shown.notes[0].current().unwrap();
        assert_eq!((current.revision, current.amends), (2, Some(1)));
        assert_eq!(current.fields.next_steps, "訂正");
    }

    #[test]
    fn an_applied_edit_stays_shown_between_its_push_and_the_pull_that_brings_it_back() {
        let mut device = device_with(case_and_visit("2026-11-24T01:00:00Z", &[ME]));
        device.record(
            Op::EditVisit {
                visit_id: visit_id(),
                edit: crate::sync::FieldEdit {
                    field: VisitField::Status,
                    value: "cancelled".into(),
                    base_version: 0,
                },
            },
            Utc::now(),
        );
        let status = |d: &Replica| {
            d.local_visit(visit_id(), me(), &Reference::default())
                .unwrap()
                .visit
                .status
        };
        assert_eq!(status(&device), VisitStatus::Cancelled);
        device.on_push(&PushResponse {
            last_mutation_id: 1,
            outcomes: vec![crate::sync::MutationOutcome::Applied { id: 1 }],
            database: None,
        });
        assert!(device.outbox.is_empty());
        assert_eq!(status(&device), VisitStatus::Cancelled, "no flicker back");
        // The pull brings the server's record; the settled edit is no longer needed.
        let mut record = case_and_visit("2026-11-24T01:00:00Z", &[ME]).remove(1);
        record.seq = 5;
        if let crate::sync::records::Record::Visit(visit) = &mut record.record {
            visit.status = VisitStatus::Cancelled;
        }
        device.on_pull(PullResponse {
            changes: vec![record],
            removed_cases: vec![],
            cursor: 5,
            more: false,
            last_mutation_id: 1,
            database: None,
            keep_sent_days: crate::sync::KEEP_SENT_DAYS,
            reference_version: None,
        });
        assert!(device.settling.is_empty());
        assert_eq!(status(&device), VisitStatus::Cancelled);
    }

    #[test]
    fn a_refused_note_stays_visible_to_its_author_with_the_reason() {
        let mut device = device_with(case_and_visit("2026-11-24T01:00:00Z", &[ME]));
        device.record(
            Op::CreateNote {
                note_id: NoteId(Uuid::from_u128(50)),
                visit_id: visit_id(),
                fields: note("記録"),
            },
            Utc::now(),
        );
        device.on_push(&PushResponse {
            last_mutation_id: 1,
            outcomes: vec![crate::sync::MutationOutcome::Rejected {
                id: 1,
                reason: RejectReason::Forbidden,
            }],
            database: None,
        });
        let shown = device
            .local_visit(visit_id(), me(), &Reference::default())
            .unwrap();
        assert_eq!(shown.rejected.len(), 1);
        assert_eq!(shown.rejected[0].1, RejectReason::Forbidden);
    }

    #[test]
    fn a_refused_conflict_settlement_shows_on_its_case_and_visit() {
        let conflict = Uuid::from_u128(70);
        let mut changes = case_and_visit("2026-11-24T01:00:00Z", &[ME]);
        changes.push(change(
            3,
            "conflict",
            conflict.to_string(),
            json!({"entity": "visit", "entity_id": Uuid::from_u128(VISIT).to_string(),
                   "field": "status", "winner_value": "not_met", "replaced_value": "cancelled",
                   "winner_author_id": Uuid::from_u128(OTHER).to_string(), "resolved_at": null}),
        ));
        let mut device = device_with(changes);
        device.record(
            Op::ResolveConflict {
                conflict_id: conflict,
                value: "cancelled".into(),
            },
            Utc::now(),
        );
        device.on_push(&PushResponse {
            last_mutation_id: 1,
            outcomes: vec![crate::sync::MutationOutcome::Rejected {
                id: 1,
                reason: RejectReason::AlreadyResolved,
            }],
            database: None,
        });
        let reference = Reference::default();
        let visit = device.local_visit(visit_id(), me(), &reference).unwrap();
        assert_eq!(visit.rejected.len(), 1, "on the visit page");
        assert_eq!(visit.rejected[0].1, RejectReason::AlreadyResolved);
        let case = device
            .local_case(CaseId(Uuid::from_u128(CASE)), me(), &reference)
            .unwrap();
        assert_eq!(case.rejected.len(), 1, "on the case page");
    }
}
