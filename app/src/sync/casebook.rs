//! Cases, the review queue and open conflicts as a device shows them, from its replica alone.
//! Changes still in the outbox — a consultation registered offline, a visit planned, someone
//! invited, an agency recorded, a review decided — show at once, as they will after sync
//! ([`super::pending`]).

use super::protocol::{AgencyPhase, Mutation, RejectReason};
use super::records::{AgenciesRecord, CaseRecord, ConflictRecord, Reference, SuggestionRecord};
use super::replica::Replica;
use super::view::{open_conflict, ConflictView};
use crate::domain::directory::{listings, DirectoryFilter, Listing};
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
    /// Directory listings suggested to the team and not taken back, oldest first.
    pub suggestions: Vec<SuggestionView>,
    /// The case's mutations the server refused, with its reason.
    pub rejected: Vec<(Mutation, RejectReason)>,
    /// Registered on this device and not yet on the server.
    pub unsent: bool,
}

/// A directory listing suggested to a case team, as a device shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestionView {
    /// The suggestion.
    pub id: uuid::Uuid,
    /// The business's name (as registered, or as an agency once its listing is retired).
    pub name: String,
    /// The listing as the directory has it now; none once it was retired.
    pub listing: Option<Listing>,
    /// Who suggested it.
    pub suggested_by: StaffRef,
    /// When.
    pub suggested_at: DateTime<Utc>,
    /// Still in this device's outbox.
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

    /// The listings suggested to a case's team and not taken back, oldest first: one line a
    /// listing, however many suggested it.
    fn suggestions_of(&self, case_id: CaseId, reference: &Reference) -> Vec<SuggestionView> {
        let mut held: Vec<_> = self
            .all_of::<SuggestionRecord>(case_id)
            .filter(|(_, s)| s.withdrawn_at.is_none())
            .collect();
        held.sort_by_key(|(c, s)| (c.seq == 0, c.seq, s.suggested_at));
        let directory = listings(&reference.directory, &DirectoryFilter::default(), |_| {
            String::new()
        });
        let mut shown: Vec<SuggestionView> = Vec::new();
        let mut seen = BTreeSet::new();
        for (change, s) in held {
            if !seen.insert((s.business, s.hub)) {
                continue;
            }
            let listing = directory
                .iter()
                .find(|l| l.business == s.business && l.hub == s.hub)
                .cloned();
            let name = listing
                .as_ref()
                .map(|l| l.name.clone())
                .or_else(|| reference.agency(s.business).map(|a| a.name_ja.clone()))
                .unwrap_or_else(|| "?".into());
            shown.push(SuggestionView {
                id: change.entity_id.parse().unwrap_or_default(),
                name,
                listing,
                suggested_by: reference.person(s.suggested_by),
                suggested_at: s.suggested_at,
                unsent: change.seq == 0,
            });
        }
        shown
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
            suggestions: self.suggestions_of(id, reference),
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

#[cfg(test)]
mod tests {
    use crate::domain::{Agency, AgencyId, AgencyKind, DirectoryEntry, HubFunction};
    use crate::sync::fixtures::*;
    use crate::sync::{Mutation, Op, Reference};
    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    fn agency(id: u128, name: &str, kind: AgencyKind) -> Agency {
        Agency {
            id: AgencyId(Uuid::from_u128(id)),
            kind,
            name_ja: name.into(),
            name_en: name.into(),
        }
    }

    #[test]
    fn a_case_page_lists_each_suggested_listing_once_and_names_a_retired_one() {
        let (hub, listed, retired) = (10, 11, 12);
        let reference = Reference {
            agencies: vec![
                agency(hub, "北部拠点", AgencyKind::LifeSupportHub),
                agency(listed, "短期入所 あおば", AgencyKind::CooperatingBusiness),
                agency(retired, "閉所した事業所", AgencyKind::CooperatingBusiness),
            ],
            directory: vec![DirectoryEntry {
                business: AgencyId(Uuid::from_u128(listed)),
                name: "短期入所 あおば".into(),
                hub: AgencyId(Uuid::from_u128(hub)),
                function: HubFunction::Emergency,
                phone: "042-600-0000".into(),
                offers: "緊急の短期入所".into(),
                hours: "24時間".into(),
            }],
            ..Default::default()
        };
        let suggestion = |seq: u64, id: u128, business: u128| {
            change(
                seq,
                "suggestion",
                Uuid::from_u128(id).to_string(),
                json!({"business": Uuid::from_u128(business).to_string(),
                       "hub": Uuid::from_u128(hub).to_string(),
                       "suggested_by": Uuid::from_u128(OTHER).to_string(),
                       "suggested_at": "2026-11-20T01:00:00Z"}),
            )
        };
        let mut changes = case_and_visit("2026-11-24T01:00:00Z", &[ME]);
        changes.push(suggestion(3, 20, listed));
        changes.push(suggestion(4, 21, retired));
        let mut device = device_with(changes);
        device.queued(Mutation {
            id: 1,
            recorded_at: Utc::now(),
            op: Op::SuggestListing {
                suggestion_id: Uuid::from_u128(22),
                case_id: case_id(),
                business: AgencyId(Uuid::from_u128(listed)),
                hub: AgencyId(Uuid::from_u128(hub)),
            },
        });
        let page = device.local_case(case_id(), me(), &reference).unwrap();
        let names: Vec<(&str, bool, bool)> = page
            .suggestions
            .iter()
            .map(|s| (s.name.as_str(), s.listing.is_some(), s.unsent))
            .collect();
        assert_eq!(
            names,
            [
                ("短期入所 あおば", true, false),
                ("閉所した事業所", false, false)
            ],
            "the same listing again is one line; a retired one keeps its name"
        );
        assert_eq!(
            page.suggestions[0].suggested_by.id.0,
            Uuid::from_u128(OTHER)
        );
    }
}
