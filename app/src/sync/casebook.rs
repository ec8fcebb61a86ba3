//! Cases, the review queue and open conflicts as a device shows them, from its replica alone.
//! Changes still in the outbox — a consultation registered offline, a visit planned, someone
//! invited, an agency recorded, a review decided — show at once, as they will after sync
//! ([`super::pending`]).

use super::protocol::{AgencyPhase, Mutation, RejectReason};
use super::records::{AgenciesRecord, CaseRecord, ConflictRecord, Reference};
use super::replica::Replica;
use super::view::{open_conflict, ConflictView};
use crate::domain::review::{ReviewDecision, ReviewState};
use crate::domain::{
    Agency, CaseId, CaseStatus, CaseSummary, NoteId, OutreachNote, RiskLevel, StaffId, StaffRef,
    Visit,
};
use chrono::{DateTime, Utc};
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

impl Replica {
    fn agencies_of(
        &self,
        case_id: CaseId,
        phase: AgencyPhase,
        reference: &Reference,
    ) -> Vec<Agency> {
        self.held::<AgenciesRecord>(&case_id.to_string())
            .map(|a| a.of(phase))
            .unwrap_or_default()
            .iter()
            .filter_map(|id| reference.agency(*id).cloned())
            .collect()
    }

    /// Everything a case page shows, or `None` if the device does not hold the case.
    pub fn local_case(&self, id: CaseId, me: StaffId, reference: &Reference) -> Option<LocalCase> {
        self.overlaid(me, reference).held_case(id, reference)
    }

    fn held_case(&self, id: CaseId, reference: &Reference) -> Option<LocalCase> {
        let case = self.case(id, reference)?;
        let change = self.held_change::<CaseRecord>(&id.to_string())?;
        let intake_agency = change
            .get::<CaseRecord>()?
            .intake_agency_id
            .and_then(|a| reference.agency(a).cloned());
        let mut visits: Vec<Visit> = self
            .all_of::<super::records::VisitRecord>(id)
            .filter_map(|(c, _)| self.visit(c.entity_id.parse().ok()?, reference))
            .collect();
        visits.sort_by_key(|v| (v.window.starts_at, v.id.to_string()));
        let (notes, unsynced) = self.notes(id, &case.pseudonym, reference);
        Some(LocalCase {
            intake_agency,
            agencies_intake: self.agencies_of(id, AgencyPhase::Intake, reference),
            agencies_close: self.agencies_of(id, AgencyPhase::Close, reference),
            visits,
            reviews: self.reviews_of(id, reference),
            unsent: change.seq == 0,
            notes,
            unsynced,
            conflicts: self.open_conflicts_of(id, reference),
            rejected: self.refused_in(id, None),
            case,
        })
    }

    /// The cases `me` is on the team of: open ones first, the riskiest first, then by name.
    pub fn my_cases(&self, me: StaffId, reference: &Reference) -> Vec<CaseSummary> {
        let this = self.overlaid(me, reference);
        let mut cases: Vec<CaseSummary> = this
            .all::<CaseRecord>()
            .filter_map(|(c, _)| this.case(c.case_id, reference))
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
        self.overlaid(me, reference).held_queue(reference)
    }

    fn held_queue(&self, reference: &Reference) -> Vec<QueueItem> {
        let mut queue = Vec::new();
        for (record, _) in self.all::<CaseRecord>() {
            let Some(case) = self.case(record.case_id, reference) else {
                continue;
            };
            let (notes, unsynced) = self.notes(case.id, &case.pseudonym, reference);
            let mut reviews = self.reviews_of(case.id, reference);
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
        self.overlaid(me, reference).held_conflicts(reference)
    }

    fn held_conflicts(&self, reference: &Reference) -> Vec<CaseConflict> {
        let mut list: Vec<CaseConflict> = self
            .all::<ConflictRecord>()
            .filter_map(|(c, r)| {
                let conflict = open_conflict(c, r, reference)?;
                let case = self.held::<CaseRecord>(&c.case_id.to_string())?;
                Some(CaseConflict {
                    case_id: c.case_id,
                    pseudonym: case.pseudonym.clone(),
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
