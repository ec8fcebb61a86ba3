//! A device's side of sync, without I/O: the outbox of numbered mutations, the cursor, and the
//! records pulled so far. The browser stores it in IndexedDB; tests drive it natively.

use super::protocol::{
    Change, ClientId, Mutation, MutationOutcome, Op, PullRequest, PullResponse, PushRequest,
    PushResponse, MAX_PUSH_BATCH, PROTOCOL_VERSION,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a device holds. Serializable, so it survives reloads and crashes wherever it is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replica {
    /// This device.
    pub client_id: ClientId,
    /// The id the next mutation gets.
    next_mutation_id: u64,
    /// Mutations not yet acknowledged by the server, oldest first. Never dropped unacknowledged.
    pub outbox: Vec<Mutation>,
    /// Mutations the server refused for good, with its reason, kept for their author.
    pub rejected: Vec<(Mutation, String)>,
    /// The last change sequence pulled.
    pub cursor: u64,
    /// The highest mutation id the server has processed.
    pub last_mutation_id: u64,
    /// Pulled records by (entity, id).
    pub records: BTreeMap<(String, String), Change>,
    /// Mutations the server has applied whose records the device has not pulled yet: the
    /// screens keep showing them until the next complete pull, so nothing seems to revert
    /// between a push and its pull.
    #[serde(skip)]
    pub settling: Vec<Mutation>,
}

impl Replica {
    /// A new, empty device.
    pub fn new(client_id: ClientId) -> Self {
        Self {
            client_id,
            next_mutation_id: 1,
            outbox: Vec::new(),
            rejected: Vec::new(),
            cursor: 0,
            last_mutation_id: 0,
            records: BTreeMap::new(),
            settling: Vec::new(),
        }
    }

    /// Queues a change made on the device; it is pushed on the next sync.
    pub fn record(&mut self, op: Op, recorded_at: DateTime<Utc>) -> &Mutation {
        let (mutation, _) = self.prepare(op, recorded_at);
        self.queued(mutation);
        self.outbox.last().expect("just pushed")
    }

    /// The mutation [`Self::record`] would queue, and the counters after it, without queuing
    /// it: a device commits it to storage first, then takes it in with [`Self::queued`], so
    /// that nothing uncommitted is ever pushed.
    pub fn prepare(&self, op: Op, recorded_at: DateTime<Utc>) -> (Mutation, Replica) {
        let mutation = Mutation {
            id: self.next_mutation_id,
            recorded_at,
            op,
        };
        let mut header = self.header();
        header.next_mutation_id = mutation.id + 1;
        (mutation, header)
    }

    /// Takes in a mutation prepared by [`Self::prepare`] and committed (once, even if the
    /// replica was loaded again from storage after the commit).
    pub fn queued(&mut self, mutation: Mutation) {
        self.next_mutation_id = self.next_mutation_id.max(mutation.id + 1);
        if self.outbox.iter().all(|m| m.id != mutation.id) {
            self.outbox.push(mutation);
        }
    }

    /// The next push: the oldest unacknowledged mutations, at most a full batch.
    pub fn push_request(&self) -> Option<PushRequest> {
        (!self.outbox.is_empty()).then(|| PushRequest {
            protocol_version: PROTOCOL_VERSION,
            client_id: self.client_id,
            mutations: self.outbox.iter().take(MAX_PUSH_BATCH).cloned().collect(),
        })
    }

    /// Takes in a push's answer: acknowledged mutations leave the outbox, refused ones are kept
    /// aside with their reason.
    pub fn on_push(&mut self, response: &PushResponse) {
        let mut refused = Vec::new();
        for outcome in &response.outcomes {
            if let MutationOutcome::Rejected { id, reason } = outcome {
                if let Some(m) = self.outbox.iter().find(|m| m.id == *id) {
                    self.rejected.push((m.clone(), reason.clone()));
                    refused.push(*id);
                }
            }
        }
        let last = self.last_mutation_id.max(response.last_mutation_id);
        self.settling.extend(
            self.outbox
                .iter()
                .filter(|m| m.id <= last && !refused.contains(&m.id))
                .cloned(),
        );
        self.acknowledge(response.last_mutation_id);
    }

    fn acknowledge(&mut self, last_mutation_id: u64) {
        // The server's counter never goes backwards; a stale answer must not move ours back.
        self.last_mutation_id = self.last_mutation_id.max(last_mutation_id);
        let last = self.last_mutation_id;
        self.outbox.retain(|m| m.id > last);
    }

    /// The next pull.
    pub fn pull_request(&self) -> PullRequest {
        PullRequest {
            protocol_version: PROTOCOL_VERSION,
            client_id: self.client_id,
            cursor: self.cursor,
            pending_since: self.outbox.first().map(|m| m.recorded_at),
        }
    }

    /// Takes in a pull's answer: newer records replace older ones, cases no longer visible are
    /// purged, and mutations the server has processed leave the outbox.
    pub fn on_pull(&mut self, response: PullResponse) {
        for case in &response.removed_cases {
            self.records.retain(|_, c| c.case_id != *case);
        }
        for change in response.changes {
            let key = (change.entity.clone(), change.entity_id.clone());
            match self.records.get(&key) {
                Some(held) if held.seq >= change.seq => {}
                _ => {
                    self.records.insert(key, change);
                }
            }
        }
        self.cursor = self.cursor.max(response.cursor);
        if !response.more {
            self.settling.clear();
        }
        self.acknowledge(response.last_mutation_id);
    }

    /// The device's counters without its collections: what a store keeps beside the outbox,
    /// the refused mutations and the records, which it keeps one by one.
    pub fn header(&self) -> Replica {
        Replica {
            client_id: self.client_id,
            next_mutation_id: self.next_mutation_id,
            outbox: Vec::new(),
            rejected: Vec::new(),
            cursor: self.cursor,
            last_mutation_id: self.last_mutation_id,
            records: BTreeMap::new(),
            settling: Vec::new(),
        }
    }

    /// Makes counters consistent with the collections after loading them from separate
    /// stores: the next id follows every id ever used, so a stale header can never make two
    /// mutations share a number.
    pub fn restored(&mut self) {
        let used = self
            .outbox
            .iter()
            .chain(self.rejected.iter().map(|(m, _)| m))
            .map(|m| m.id)
            .chain([self.last_mutation_id])
            .max()
            .unwrap_or(0);
        self.next_mutation_id = self.next_mutation_id.max(used + 1);
    }

    /// Takes the device's shared counter as the next id (a header written by another window
    /// may be stale, behind or ahead of it), never below an id already used or acknowledged.
    pub fn numbered_from(&mut self, counter: u64) {
        self.next_mutation_id = counter;
        self.restored();
    }

    /// The keys of records that a pull's removals will purge, for a store to delete.
    pub fn purged_by(&self, response: &PullResponse) -> Vec<(String, String)> {
        self.records
            .iter()
            .filter(|(_, c)| response.removed_cases.contains(&c.case_id))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The version of a record's field as last pulled (0 if never), for the base of an edit.
    pub fn field_version(&self, entity: &str, id: &str, field: &str) -> u64 {
        self.records
            .get(&(entity.to_owned(), id.to_owned()))
            .and_then(|c| c.data.get("versions")?.get(field)?.as_u64())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CaseId, StaffId};
    use uuid::Uuid;

    fn join(n: u128) -> Op {
        Op::JoinTeam {
            case_id: CaseId(Uuid::from_u128(n)),
            staff_id: StaffId(Uuid::from_u128(1)),
        }
    }

    #[test]
    fn mutations_are_numbered_without_gaps_and_survive_serialization() {
        let mut replica = Replica::new(ClientId(Uuid::from_u128(7)));
        for n in 0..3 {
            replica.record(join(n), Utc::now());
        }
        let ids: Vec<u64> = replica.outbox.iter().map(|m| m.id).collect();
        assert_eq!(ids, [1, 2, 3]);
        let stored = serde_json::to_string(&replica).unwrap();
        let mut restored: Replica = serde_json::from_str(&stored).unwrap();
        assert_eq!(restored, replica);
        assert_eq!(restored.record(join(9), Utc::now()).id, 4);
    }

    #[test]
    fn a_stale_header_never_reuses_a_mutation_id() {
        let mut replica = Replica::new(ClientId(Uuid::from_u128(7)));
        let stale = replica.header();
        for n in 0..3 {
            replica.record(join(n), Utc::now());
        }
        // Loaded from a store whose header was written before the last mutations.
        let mut loaded = stale;
        loaded.outbox = replica.outbox.clone();
        loaded.restored();
        assert_eq!(loaded.record(join(9), Utc::now()).id, 4);
    }

    #[test]
    fn a_prepared_mutation_is_not_queued_until_taken_in() {
        let mut replica = Replica::new(ClientId(Uuid::from_u128(7)));
        let (mutation, header) = replica.prepare(join(1), Utc::now());
        assert_eq!(mutation.id, 1);
        assert!(
            replica.outbox.is_empty(),
            "nothing to push before it is committed"
        );
        assert_eq!(replica.prepare(join(2), Utc::now()).0.id, 1);
        assert_eq!(header.clone().record(join(3), Utc::now()).id, 2);
        replica.queued(mutation.clone());
        replica.queued(mutation);
        assert_eq!(replica.push_request().unwrap().mutations.len(), 1);
        assert_eq!(replica.record(join(4), Utc::now()).id, 2);
    }

    #[test]
    fn the_shared_counter_numbers_the_next_change_but_never_reuses_an_id() {
        let mut replica = Replica::new(ClientId(Uuid::from_u128(7)));
        for n in 0..3 {
            replica.record(join(n), Utc::now());
        }
        let mut ahead = replica.clone();
        ahead.numbered_from(9);
        ahead.numbered_from(4);
        assert_eq!(
            ahead.record(join(9), Utc::now()).id,
            4,
            "a header ahead leaves no hole"
        );
        let mut behind = replica.clone();
        behind.numbered_from(2);
        assert_eq!(
            behind.record(join(9), Utc::now()).id,
            4,
            "ids in the outbox are used"
        );
        behind.outbox.clear();
        behind.last_mutation_id = 6;
        behind.numbered_from(2);
        assert_eq!(
            behind.record(join(9), Utc::now()).id,
            7,
            "acknowledged ids are used"
        );
    }

    #[test]
    fn ids_given_by_another_window_are_not_given_again() {
        let mut replica = Replica::new(ClientId(Uuid::from_u128(7)));
        replica.record(join(1), Utc::now());
        replica.numbered_from(6);
        assert_eq!(replica.record(join(2), Utc::now()).id, 6);
        replica.numbered_from(3);
        assert_eq!(replica.record(join(3), Utc::now()).id, 7, "never backwards");
    }

    #[test]
    fn only_acknowledged_mutations_leave_the_outbox_and_rejections_are_kept() {
        let mut replica = Replica::new(ClientId(Uuid::from_u128(7)));
        for n in 0..3 {
            replica.record(join(n), Utc::now());
        }
        replica.on_push(&PushResponse {
            last_mutation_id: 2,
            outcomes: vec![
                MutationOutcome::Applied { id: 1 },
                MutationOutcome::Rejected {
                    id: 2,
                    reason: "no".into(),
                },
            ],
        });
        assert_eq!(replica.outbox.iter().map(|m| m.id).collect::<Vec<_>>(), [3]);
        assert_eq!(replica.rejected.len(), 1);
        assert_eq!(replica.rejected[0].0.id, 2);
        // A stale answer does not bring acknowledged mutations back or lose pending ones.
        replica.on_push(&PushResponse {
            last_mutation_id: 1,
            outcomes: vec![],
        });
        assert_eq!(replica.last_mutation_id, 2);
        assert_eq!(replica.outbox.len(), 1);
    }
}
