//! What a device shows, derived from its replica alone: the pulled records with the pending
//! mutations of the outbox replayed on top, so the screens never wait on the network and a
//! change made offline is visible at once.

use super::casebook::ReviewView;
use super::protocol::{Change, Mutation, Op, RejectReason, VisitField};
use super::replica::Replica;
use crate::domain::visit::local_day;
use crate::domain::{
    Agency, AgencyId, CaseId, CaseStatus, CaseSummary, DirectoryEntry, IntakeChannel, LifeGoal,
    NoteFields, NoteId, NoteRevision, OutreachNote, Program, RiskLevel, StaffId, StaffRef,
    TimeWindow, Visit, VisitId, VisitStatus,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

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
}

impl Reference {
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

    fn agency_names(&self, ids: &[AgencyId]) -> Vec<(String, String)> {
        ids.iter()
            .filter_map(|id| self.agencies.iter().find(|a| a.id == *id))
            .map(|a| (a.name_ja.clone(), a.name_en.clone()))
            .collect()
    }
}

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
    pub winner_author: StaffRef,
    /// The value that was replaced and is kept here.
    pub replaced: String,
    /// Who wrote it.
    pub replaced_author: StaffRef,
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

pub(super) fn text<'a>(change: &'a Change, key: &str) -> &'a str {
    change.data.get(key).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn time(change: &Change, key: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text(change, key))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(super) fn ids<T: std::str::FromStr>(change: Option<&Change>, key: &str) -> Vec<T> {
    change
        .and_then(|c| c.data.get(key))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

impl Replica {
    pub(super) fn held(&self, entity: &str, id: &str) -> Option<&Change> {
        self.records.get(&(entity.to_owned(), id.to_owned()))
    }

    /// The case a change is about, as far as the device knows: the case it names, or the case
    /// of the visit, note or conflict it touches.
    pub(super) fn case_of(&self, op: &Op) -> Option<CaseId> {
        if let Some(case) = op.case_id() {
            return Some(case);
        }
        match op {
            Op::CreateNote { visit_id, .. } | Op::EditVisit { visit_id, .. } => {
                self.held("visit", &visit_id.to_string()).map(|c| c.case_id)
            }
            Op::AmendNote { note_id, .. } | Op::ReviewNote { note_id, .. } => {
                let note = note_id.to_string();
                self.held_of("note_revision")
                    .find(|c| text(c, "note_id") == note)
                    .map(|c| c.case_id)
            }
            Op::ResolveConflict { conflict_id, .. } => self
                .held("conflict", &conflict_id.to_string())
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

    pub(super) fn held_of<'a>(&'a self, entity: &'a str) -> impl Iterator<Item = &'a Change> + 'a {
        self.records
            .range((entity.to_owned(), String::new())..)
            .take_while(move |((e, _), _)| e == entity)
            .map(|(_, c)| c)
    }

    /// A visit with pending edits and notes applied: a note on an open visit marks it done or
    /// not met, as the server will.
    pub(super) fn visit(&self, id: VisitId, reference: &Reference) -> Option<Visit> {
        let record = self.held("visit", &id.to_string())?;
        let case = self.held("case", text(record, "case_id"))?;
        let mut status = VisitStatus::parse(text(record, "status")).ok()?;
        let mut window = TimeWindow {
            starts_at: time(record, "starts_at")?,
            ends_at: time(record, "ends_at")?,
        };
        for m in &self.outbox {
            match &m.op {
                Op::CreateNote {
                    visit_id, fields, ..
                } if *visit_id == id => status = status.after_note(fields.met),
                Op::EditVisit { visit_id, edit } if *visit_id == id => match edit.field {
                    VisitField::Status => {
                        status = VisitStatus::parse(&edit.value).unwrap_or(status)
                    }
                    VisitField::StartsAt | VisitField::EndsAt => {
                        if let Ok(t) = DateTime::parse_from_rfc3339(&edit.value) {
                            let t = t.with_timezone(&Utc);
                            if edit.field == VisitField::StartsAt {
                                window.starts_at = t;
                            } else {
                                window.ends_at = t;
                            }
                        }
                    }
                    VisitField::Outcome | VisitField::NextVisitOn => {}
                },
                _ => {}
            }
        }
        Some(Visit {
            id,
            case_id: text(record, "case_id").parse().ok()?,
            pseudonym: text(case, "pseudonym").to_owned(),
            risk: RiskLevel::parse(text(case, "risk")).ok()?,
            case_status: CaseStatus::parse(text(case, "status")).ok()?,
            window,
            place: text(record, "place").to_owned(),
            status,
            members: ids::<StaffId>(Some(record), "members")
                .into_iter()
                .map(|s| reference.person(s))
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
        let me = me.to_string();
        let mut visits: Vec<Visit> = self
            .held_of("visit")
            .filter(|v| ids::<String>(Some(v), "members").contains(&me))
            .filter_map(|v| self.visit(v.entity_id.parse().ok()?, reference))
            .filter(|v| local_day(v.window.starts_at) >= today)
            .collect();
        visits.sort_by_key(|v| (v.window.starts_at, v.id.to_string()));
        visits
    }

    /// A case's summary, with pending edits of its fields applied.
    pub(super) fn case(&self, id: CaseId, reference: &Reference) -> Option<CaseSummary> {
        let key = id.to_string();
        let record = self.held("case", &key)?;
        let mut life_goal = LifeGoal {
            goal: text(record, "life_goal").to_owned(),
            medical_view: text(record, "medical_view").to_owned(),
            welfare_view: text(record, "welfare_view").to_owned(),
        };
        let mut risk = RiskLevel::parse(text(record, "risk")).ok()?;
        let mut status = CaseStatus::parse(text(record, "status")).ok()?;
        for m in &self.outbox {
            if let Op::EditCase { case_id, edit } = &m.op {
                if *case_id == id {
                    use super::protocol::CaseField;
                    match edit.field {
                        CaseField::Risk => risk = RiskLevel::parse(&edit.value).unwrap_or(risk),
                        CaseField::Status => {
                            status = CaseStatus::parse(&edit.value).unwrap_or(status)
                        }
                        text_field => {
                            if let Some(text) = text_field.goal_text_mut(&mut life_goal) {
                                *text = edit.value.clone();
                            }
                        }
                    }
                }
            }
        }
        let agencies = self.held("agencies", &key);
        let team = ids::<StaffId>(self.held("team", &key), "members");
        let at_close = ids::<AgencyId>(agencies, "close");
        Some(CaseSummary {
            id,
            pseudonym: text(record, "pseudonym").to_owned(),
            intake_channel: IntakeChannel::parse(text(record, "intake_channel")).ok()?,
            program: Program::parse(text(record, "program")).ok()?,
            risk,
            status,
            opened_on: text(record, "opened_on").parse().ok()?,
            life_goal,
            team: team.into_iter().map(|s| reference.person(s)).collect(),
            agencies_at_intake: reference.agency_names(&ids(agencies, "intake")),
            agencies_at_close: (status == CaseStatus::Closed)
                .then(|| reference.agency_names(&at_close)),
        })
    }

    /// A case's notes, newest first, with revisions still in the outbox (numbered as the next
    /// free ones; the server numbers them for good).
    pub(super) fn notes(
        &self,
        case_id: CaseId,
        pseudonym: &str,
        me: StaffId,
        reference: &Reference,
    ) -> (Vec<OutreachNote>, BTreeSet<NoteId>) {
        let mut notes: BTreeMap<NoteId, OutreachNote> = BTreeMap::new();
        let mut first_seen: BTreeMap<NoteId, DateTime<Utc>> = BTreeMap::new();
        for r in self
            .held_of("note_revision")
            .filter(|c| c.case_id == case_id)
        {
            let Some(note_id) = text(r, "note_id").parse::<NoteId>().ok() else {
                continue;
            };
            let Ok(fields) = serde_json::from_value::<NoteFields>(r.data.clone()) else {
                continue;
            };
            let revision = NoteRevision {
                revision: r.data.get("revision").and_then(Value::as_u64).unwrap_or(1) as u32,
                amends: r
                    .data
                    .get("amends")
                    .and_then(Value::as_u64)
                    .map(|a| a as u32),
                fields,
                author: reference.person(text(r, "author_id").parse().unwrap_or(me)),
                recorded_at: time(r, "recorded_at").unwrap_or_default(),
                received_at: time(r, "received_at").unwrap_or_default(),
            };
            let received = revision.received_at;
            let Ok(visit_id) = text(r, "visit_id").parse() else {
                continue;
            };
            let note = notes.entry(note_id).or_insert_with(|| OutreachNote {
                id: note_id,
                visit_id,
                case_id,
                pseudonym: pseudonym.to_owned(),
                revisions: Vec::new(),
            });
            note.revisions.push(revision);
            let seen = first_seen.entry(note_id).or_insert(received);
            *seen = (*seen).min(received);
        }
        let mut unsynced = BTreeSet::new();
        for m in &self.outbox {
            let (note_id, visit_id, amends, fields) = match &m.op {
                Op::CreateNote {
                    note_id,
                    visit_id,
                    fields,
                } => (*note_id, Some(*visit_id), None, fields),
                Op::AmendNote {
                    note_id,
                    amends,
                    fields,
                } => (*note_id, None, Some(*amends), fields),
                _ => continue,
            };
            let visit_id = match visit_id.or_else(|| notes.get(&note_id).map(|n| n.visit_id)) {
                Some(v) => v,
                None => continue,
            };
            let belongs = self
                .held("visit", &visit_id.to_string())
                .is_some_and(|v| text(v, "case_id") == case_id.to_string());
            if !belongs {
                continue;
            }
            let note = notes.entry(note_id).or_insert_with(|| OutreachNote {
                id: note_id,
                visit_id,
                case_id,
                pseudonym: pseudonym.to_owned(),
                revisions: Vec::new(),
            });
            let revision = note.next_revision();
            note.revisions.push(NoteRevision {
                revision,
                amends,
                fields: fields.clone(),
                author: reference.person(me),
                recorded_at: m.recorded_at,
                received_at: m.recorded_at,
            });
            first_seen.entry(note_id).or_insert(m.recorded_at);
            unsynced.insert(note_id);
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
        self.overlaid(me, reference).held_visit(id, me, reference)
    }

    /// A conflict record as shown, or `None` once resolved (here or on this device).
    pub(super) fn open_conflict(
        &self,
        c: &Change,
        me: StaffId,
        reference: &Reference,
    ) -> Option<ConflictView> {
        if !c.data.get("resolved_at").is_none_or(Value::is_null) {
            return None;
        }
        let settled_here = self.outbox.iter().any(|m| {
            matches!(&m.op, Op::ResolveConflict { conflict_id, .. } if conflict_id.to_string() == c.entity_id)
        });
        (!settled_here).then(|| ConflictView {
            id: c.entity_id.clone(),
            entity_id: text(c, "entity_id").to_owned(),
            field: text(c, "field").to_owned(),
            winner: text(c, "winner_value").to_owned(),
            winner_author: reference.person(text(c, "winner_author_id").parse().unwrap_or(me)),
            replaced: text(c, "replaced_value").to_owned(),
            replaced_author: reference.person(text(c, "replaced_author_id").parse().unwrap_or(me)),
            winner_at: time(c, "winner_recorded_at"),
            replaced_at: time(c, "replaced_recorded_at"),
        })
    }

    fn held_visit(&self, id: VisitId, me: StaffId, reference: &Reference) -> Option<LocalVisit> {
        let visit = self.visit(id, reference)?;
        let case = self.case(visit.case_id, reference)?;
        let (notes, unsynced) = self.notes(case.id, &case.pseudonym, me, reference);
        let conflicts = self
            .held_of("conflict")
            .filter(|c| c.case_id == case.id)
            .filter_map(|c| self.open_conflict(c, me, reference))
            .collect();
        let reviews = self.reviews_of(case.id, me, reference);
        let rejected = self.refused_in(case.id, Some(id));
        Some(LocalVisit {
            visit,
            case,
            notes,
            unsynced,
            conflicts,
            rejected,
            reviews,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::{ClientId, PullResponse, PushResponse};
    use serde_json::json;
    use uuid::Uuid;

    const CASE: u128 = 1;
    const VISIT: u128 = 2;
    const ME: u128 = 3;
    const OTHER: u128 = 4;

    fn change(seq: u64, entity: &str, id: String, data: Value) -> Change {
        Change {
            seq,
            case_id: CaseId(Uuid::from_u128(CASE)),
            entity: entity.into(),
            entity_id: id,
            data,
        }
    }

    fn case_and_visit(starts_at: &str, members: &[u128]) -> Vec<Change> {
        let members: Vec<String> = members
            .iter()
            .map(|m| Uuid::from_u128(*m).to_string())
            .collect();
        vec![
            change(
                1,
                "case",
                Uuid::from_u128(CASE).to_string(),
                json!({"pseudonym": "Aさん", "intake_channel": "welfare_desk", "program": "model_program",
                       "risk": "moderate", "status": "active", "life_goal": "畑仕事に戻る",
                       "medical_view": "", "welfare_view": "", "opened_on": "2026-11-01", "closed_on": null}),
            ),
            change(
                2,
                "visit",
                Uuid::from_u128(VISIT).to_string(),
                json!({"case_id": Uuid::from_u128(CASE).to_string(), "starts_at": starts_at,
                       "ends_at": "2026-11-24T03:00:00Z", "place": "北区", "status": "planned",
                       "outcome": "", "next_visit_on": "", "members": members}),
            ),
        ]
    }

    fn device_with(changes: Vec<Change>) -> Replica {
        let mut replica = Replica::new(ClientId(Uuid::from_u128(99)));
        let cursor = changes.iter().map(|c| c.seq).max().unwrap_or(0);
        replica.on_pull(PullResponse {
            changes,
            removed_cases: vec![],
            cursor,
            more: false,
            last_mutation_id: 0,
            database: None,
            keep_sent_days: crate::sync::KEEP_SENT_DAYS,
        });
        replica
    }

    fn me() -> StaffId {
        StaffId(Uuid::from_u128(ME))
    }

    fn visit_id() -> VisitId {
        VisitId(Uuid::from_u128(VISIT))
    }

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
        record.data["status"] = json!("cancelled");
        device.on_pull(PullResponse {
            changes: vec![record],
            removed_cases: vec![],
            cursor: 5,
            more: false,
            last_mutation_id: 1,
            database: None,
            keep_sent_days: crate::sync::KEEP_SENT_DAYS,
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
                   "resolved_at": null}),
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
