//! Cases, the review queue and open conflicts as a device shows them, from its replica alone.
//! Changes still in the outbox — a consultation registered offline, a visit planned, someone
//! invited, an agency recorded, a review decided — show at once, as they will after sync.

use super::protocol::{AgencyPhase, Change, Mutation, Op, RejectReason};
use super::replica::Replica;
use super::view::{ids, text, time, ConflictView, Reference};
use crate::domain::review::{ReviewDecision, ReviewState};
use crate::domain::visit::local_day;
use crate::domain::{
    Agency, AgencyId, CaseId, CaseStatus, CaseSummary, IntakeChannel, NoteId, OutreachNote,
    RiskLevel, StaffId, StaffRef, Visit,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// A supervisor's decision on one revision of a note, as a device shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewView {
    /// The revision decided on.
    pub revision: u32,
    /// The supervisor.
    pub reviewer: StaffRef,
    /// Approved, or returned with a comment.
    pub decision: ReviewDecision,
    /// When the server took the decision in (none while it waits in this device's outbox).
    pub decided_at: Option<DateTime<Utc>>,
}

/// A case page as the device shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalCase {
    /// The summary: pseudonym, program, risk, status, life goal, team.
    pub case: CaseSummary,
    /// The agency that took the consultation in: why the program is responsible.
    pub intake_agency: Option<Agency>,
    /// Agencies involved at intake.
    pub agencies_intake: Vec<Agency>,
    /// Agencies involved at close.
    pub agencies_close: Vec<Agency>,
    /// The case's visits, earliest first.
    pub visits: Vec<Visit>,
    /// Notes, newest first, pending ones included.
    pub notes: Vec<OutreachNote>,
    /// Notes with a revision still in the outbox.
    pub unsynced: BTreeSet<NoteId>,
    /// Supervisors' decisions on the notes, oldest first.
    pub reviews: BTreeMap<NoteId, Vec<ReviewView>>,
    /// Open same-field conflicts.
    pub conflicts: Vec<ConflictView>,
    /// The case's mutations the server refused, with its reason.
    pub rejected: Vec<(Mutation, RejectReason)>,
    /// Registered on this device and not yet on the server.
    pub unsent: bool,
}

/// A note waiting for a supervisor.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    /// The note, all revisions.
    pub note: OutreachNote,
    /// Its case's risk: the queue puts the riskiest first.
    pub risk: RiskLevel,
    /// Earlier decisions on the note (a return, then an amendment, comes back here).
    pub history: Vec<ReviewView>,
}

/// An open conflict with the case it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseConflict {
    /// The case.
    pub case_id: CaseId,
    /// Its pseudonym.
    pub pseudonym: String,
    /// Both values, their authors and times.
    pub conflict: ConflictView,
}

fn risk_rank(risk: RiskLevel) -> u8 {
    match risk {
        RiskLevel::High => 0,
        RiskLevel::Moderate => 1,
        RiskLevel::Low => 2,
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Replica {
    /// The replica with the outbox's new records and set changes applied to a copy, so that
    /// the views built on it show them; the replica itself is only borrowed when there are
    /// none.
    pub(super) fn overlaid(&self, me: StaffId, reference: &Reference) -> Cow<'_, Replica> {
        let structural = self.outbox.iter().chain(&self.settling).any(|m| {
            matches!(
                m.op,
                Op::OpenCase { .. }
                    | Op::PlanVisit { .. }
                    | Op::JoinTeam { .. }
                    | Op::LeaveTeam { .. }
                    | Op::AddAgency { .. }
                    | Op::RemoveAgency { .. }
            )
        });
        if !structural && self.settling.is_empty() {
            return Cow::Borrowed(self);
        }
        let mut copy = self.clone();
        copy.outbox = self.settling.iter().chain(&self.outbox).cloned().collect();
        copy.settling.clear();
        for m in &copy.outbox.clone() {
            copy.show_pending(m, me, reference);
        }
        Cow::Owned(copy)
    }

    fn put(&mut self, case_id: CaseId, entity: &str, id: String, data: Value) {
        let change = Change {
            seq: 0,
            case_id,
            entity: entity.to_owned(),
            entity_id: id.clone(),
            data,
        };
        self.records.insert((entity.to_owned(), id), change);
    }

    /// Changes one list of a record (a team's members, agencies of a phase), creating the
    /// record if the device holds none yet.
    fn edit_list(
        &mut self,
        case_id: CaseId,
        entity: &str,
        key: &str,
        edit: impl FnOnce(&mut Vec<String>),
    ) {
        let id = case_id.to_string();
        let mut data = self
            .held(entity, &id)
            .map(|c| c.data.clone())
            .unwrap_or_else(|| json!({}));
        let mut list: Vec<String> = ids(
            Some(&Change {
                seq: 0,
                case_id,
                entity: entity.to_owned(),
                entity_id: id.clone(),
                data: data.clone(),
            }),
            key,
        );
        edit(&mut list);
        list.sort();
        list.dedup();
        data[key] = json!(list);
        self.put(case_id, entity, id, data);
    }

    fn show_pending(&mut self, m: &Mutation, me: StaffId, reference: &Reference) {
        match &m.op {
            Op::OpenCase {
                case_id,
                pseudonym,
                risk,
                agencies,
            } => {
                let acting = reference.person(me).acting_agency;
                let channel = acting
                    .and_then(|a| reference.agencies.iter().find(|x| x.id == a))
                    .and_then(|a| IntakeChannel::registered_at(a.kind))
                    .unwrap_or(IntakeChannel::PublicHealthCenter);
                let data = json!({
                    "pseudonym": pseudonym, "intake_channel": channel.code(),
                    "program": channel.responsible_program().code(),
                    "intake_agency_id": acting.map(|a| a.to_string()),
                    "risk": risk.code(), "status": CaseStatus::Intake.code(),
                    "life_goal": "", "medical_view": "", "welfare_view": "",
                    "opened_on": local_day(m.recorded_at).to_string(), "closed_on": null,
                    "unsent": true,
                });
                self.put(*case_id, "case", case_id.to_string(), data);
                self.edit_list(*case_id, "team", "members", |l| l.push(me.to_string()));
                let agencies: Vec<String> = agencies.iter().map(|a| a.to_string()).collect();
                self.edit_list(*case_id, "agencies", "intake", |l| l.extend(agencies));
                self.edit_list(*case_id, "agencies", "close", |_| {});
            }
            Op::PlanVisit {
                visit_id,
                case_id,
                starts_at,
                ends_at,
                place,
                members,
            } => {
                let members: Vec<String> = members.iter().map(|s| s.to_string()).collect();
                let data = json!({
                    "case_id": case_id.to_string(), "starts_at": stamp(*starts_at),
                    "ends_at": stamp(*ends_at), "place": place, "status": "planned",
                    "outcome": "", "next_visit_on": "", "members": members,
                });
                self.put(*case_id, "visit", visit_id.to_string(), data);
                self.edit_list(*case_id, "team", "members", |l| l.extend(members));
            }
            Op::JoinTeam { case_id, staff_id } => {
                self.edit_list(*case_id, "team", "members", |l| {
                    l.push(staff_id.to_string())
                });
            }
            Op::LeaveTeam { case_id, staff_id } => {
                let gone = staff_id.to_string();
                self.edit_list(*case_id, "team", "members", |l| l.retain(|s| *s != gone));
            }
            Op::AddAgency {
                case_id,
                phase,
                agency_id,
            } => {
                let id = agency_id.to_string();
                self.edit_list(*case_id, "agencies", phase.code(), |l| l.push(id));
            }
            Op::RemoveAgency {
                case_id,
                phase,
                agency_id,
            } => {
                let id = agency_id.to_string();
                self.edit_list(*case_id, "agencies", phase.code(), |l| {
                    l.retain(|a| *a != id)
                });
            }
            _ => {}
        }
    }

    /// Supervisors' decisions on a case's notes, oldest first; decisions still in the outbox
    /// come last.
    pub(super) fn reviews_of(
        &self,
        case_id: CaseId,
        me: StaffId,
        reference: &Reference,
    ) -> BTreeMap<NoteId, Vec<ReviewView>> {
        let mut held: Vec<(Option<DateTime<Utc>>, NoteId, ReviewView)> = self
            .held_of("review")
            .filter(|r| r.case_id == case_id)
            .filter_map(|r| {
                let decision =
                    ReviewDecision::parse(text(r, "decision"), text(r, "comment")).ok()?;
                let view = ReviewView {
                    revision: r.data.get("revision").and_then(Value::as_u64)? as u32,
                    reviewer: reference.person(text(r, "reviewer_id").parse().ok()?),
                    decision,
                    decided_at: time(r, "decided_at"),
                };
                Some((view.decided_at, text(r, "note_id").parse().ok()?, view))
            })
            .collect();
        held.sort_by_key(|(at, _, _)| *at);
        let mut by_note: BTreeMap<NoteId, Vec<ReviewView>> = BTreeMap::new();
        for (_, note_id, view) in held {
            by_note.entry(note_id).or_default().push(view);
        }
        let case_notes: BTreeSet<NoteId> = self
            .held_of("note_revision")
            .filter(|r| r.case_id == case_id)
            .filter_map(|r| text(r, "note_id").parse().ok())
            .collect();
        for m in &self.outbox {
            if let Op::ReviewNote {
                note_id,
                revision,
                decision,
                ..
            } = &m.op
            {
                if case_notes.contains(note_id) {
                    by_note.entry(*note_id).or_default().push(ReviewView {
                        revision: *revision,
                        reviewer: reference.person(me),
                        decision: decision.clone(),
                        decided_at: None,
                    });
                }
            }
        }
        by_note
    }

    fn agencies_of(
        &self,
        case_id: CaseId,
        phase: AgencyPhase,
        reference: &Reference,
    ) -> Vec<Agency> {
        ids::<AgencyId>(self.held("agencies", &case_id.to_string()), phase.code())
            .into_iter()
            .filter_map(|id| reference.agencies.iter().find(|a| a.id == id).cloned())
            .collect()
    }

    /// Everything a case page shows, or `None` if the device does not hold the case.
    pub fn local_case(&self, id: CaseId, me: StaffId, reference: &Reference) -> Option<LocalCase> {
        let this = self.overlaid(me, reference);
        this.held_case(id, me, reference)
    }

    fn held_case(&self, id: CaseId, me: StaffId, reference: &Reference) -> Option<LocalCase> {
        let case = self.case(id, reference)?;
        let record = self.held("case", &id.to_string())?;
        let intake_agency = text(record, "intake_agency_id")
            .parse::<AgencyId>()
            .ok()
            .and_then(|a| reference.agencies.iter().find(|x| x.id == a).cloned());
        let mut visits: Vec<Visit> = self
            .held_of("visit")
            .filter(|v| v.case_id == id)
            .filter_map(|v| self.visit(v.entity_id.parse().ok()?, reference))
            .collect();
        visits.sort_by_key(|v| (v.window.starts_at, v.id.to_string()));
        let (notes, unsynced) = self.notes(id, &case.pseudonym, me, reference);
        let conflicts = self
            .held_of("conflict")
            .filter(|c| c.case_id == id)
            .filter_map(|c| self.open_conflict(c, me, reference))
            .collect();
        let rejected = self.refused_in(id, None);
        Some(LocalCase {
            intake_agency,
            agencies_intake: self.agencies_of(id, AgencyPhase::Intake, reference),
            agencies_close: self.agencies_of(id, AgencyPhase::Close, reference),
            visits,
            reviews: self.reviews_of(id, me, reference),
            unsent: record.data.get("unsent").is_some_and(|u| u == &json!(true)),
            notes,
            unsynced,
            conflicts,
            rejected,
            case,
        })
    }

    /// The cases `me` is on the team of: open ones first, the riskiest first, then by name.
    pub fn my_cases(&self, me: StaffId, reference: &Reference) -> Vec<CaseSummary> {
        let this = self.overlaid(me, reference);
        let mut cases: Vec<CaseSummary> = this
            .held_of("case")
            .filter_map(|c| this.case(c.case_id, reference))
            .filter(|c| c.team.iter().any(|m| m.id == me))
            .collect();
        cases.sort_by_key(|c| {
            (
                c.status == CaseStatus::Closed,
                risk_rank(c.risk),
                c.pseudonym.clone(),
            )
        });
        cases
    }

    /// Open high-risk cases of `me`'s teams: shown above everything else, with the crisis
    /// contacts.
    pub fn flagged_cases(&self, me: StaffId, reference: &Reference) -> Vec<CaseSummary> {
        self.my_cases(me, reference)
            .into_iter()
            .filter(|c| c.risk == RiskLevel::High && c.status != CaseStatus::Closed)
            .collect()
    }

    /// Synced notes whose current revision no supervisor has decided on, the riskiest case
    /// first, then the newest.
    pub fn review_queue(&self, me: StaffId, reference: &Reference) -> Vec<QueueItem> {
        self.overlaid(me, reference).held_queue(me, reference)
    }

    fn held_queue(&self, me: StaffId, reference: &Reference) -> Vec<QueueItem> {
        let mut queue = Vec::new();
        for record in self.held_of("case") {
            let Some(case) = self.case(record.case_id, reference) else {
                continue;
            };
            let (notes, unsynced) = self.notes(case.id, &case.pseudonym, me, reference);
            let mut reviews = self.reviews_of(case.id, me, reference);
            for note in notes {
                let Some(current) = note.current() else {
                    continue;
                };
                if unsynced.contains(&note.id) {
                    continue;
                }
                let history = reviews.remove(&note.id).unwrap_or_default();
                let state = ReviewState::of(
                    current.revision,
                    history.iter().map(|r| (r.revision, &r.decision)),
                );
                if state == ReviewState::Waiting {
                    queue.push(QueueItem {
                        risk: case.risk,
                        history,
                        note,
                    });
                }
            }
        }
        queue.sort_by_key(|item| {
            let received = item.note.current().map(|r| r.received_at);
            (risk_rank(item.risk), std::cmp::Reverse(received))
        });
        queue
    }

    /// Every open conflict the device holds, by case.
    pub fn open_conflicts(&self, me: StaffId, reference: &Reference) -> Vec<CaseConflict> {
        self.overlaid(me, reference).held_conflicts(me, reference)
    }

    fn held_conflicts(&self, me: StaffId, reference: &Reference) -> Vec<CaseConflict> {
        let mut list: Vec<CaseConflict> = self
            .held_of("conflict")
            .filter_map(|c| {
                let conflict = self.open_conflict(c, me, reference)?;
                let case = self.held("case", &c.case_id.to_string())?;
                Some(CaseConflict {
                    case_id: c.case_id,
                    pseudonym: text(case, "pseudonym").to_owned(),
                    conflict,
                })
            })
            .collect();
        list.sort_by(|a, b| {
            (&a.pseudonym, a.conflict.winner_at).cmp(&(&b.pseudonym, b.conflict.winner_at))
        });
        list
    }
}
