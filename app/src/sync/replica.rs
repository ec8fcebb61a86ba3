//! A device's side of sync, without I/O: the outbox of numbered mutations, the cursor, and the
//! records pulled so far. The browser stores it in IndexedDB; tests drive it natively.

use super::protocol::{
    Change, ClientId, DatabaseId, Mutation, MutationOutcome, Op, PullRequest, PullResponse,
    PushRequest, PushResponse, RejectReason, MAX_PUSH_BATCH, PROTOCOL_VERSION,
};
use super::records::Record;
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
    pub rejected: Vec<(Mutation, RejectReason)>,
    /// The last change sequence pulled.
    pub cursor: u64,
    /// The highest mutation id the server has processed.
    pub last_mutation_id: u64,
    /// Pulled records by (entity, id).
    pub records: BTreeMap<(String, String), Change>,
    /// The server database the device last synced with (none before its first sync).
    #[serde(default)]
    pub database: Option<DatabaseId>,
    /// Mutations the server acknowledged, kept for a while (the server says how long) so that
    /// they can be sent again should the server be restored from a backup that lacks them.
    #[serde(default)]
    pub sent: Vec<Sent>,
    /// After a restore that lost more of this device's mutations than it still keeps: the
    /// last id the server is to take as processed, since nobody holds the ones before it.
    #[serde(default)]
    pub skip_to: Option<u64>,
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
            database: None,
            sent: Vec::new(),
            skip_to: None,
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
            database: self.database,
            skip_to: self.skip_to,
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
        self.acknowledge(response.last_mutation_id, response.database);
    }

    fn acknowledge(&mut self, last_mutation_id: u64, database: Option<DatabaseId>) {
        self.database = database.or(self.database);
        // The server's counter never goes backwards; a stale answer must not move ours back.
        self.last_mutation_id = self.last_mutation_id.max(last_mutation_id);
        let last = self.last_mutation_id;
        if self.skip_to.is_some_and(|skip| skip <= last) {
            self.skip_to = None;
        }
        let now = Utc::now();
        let (acknowledged, waiting) = std::mem::take(&mut self.outbox)
            .into_iter()
            .partition(|m| m.id <= last);
        self.outbox = waiting;
        let refused = |m: &Mutation| self.rejected.iter().any(|(r, _)| r.id == m.id);
        let kept: Vec<Sent> = acknowledged
            .into_iter()
            .filter(|m| !refused(m))
            .map(|mutation| Sent {
                mutation,
                acknowledged_at: now,
            })
            .collect();
        self.sent.extend(kept);
    }

    /// The ids of acknowledged mutations kept longer than `days`, for a store to delete.
    pub fn expired_sent(&self, days: u32, now: DateTime<Utc>) -> Vec<u64> {
        let since = now - chrono::Duration::days(i64::from(days));
        self.sent
            .iter()
            .filter(|s| s.acknowledged_at < since)
            .map(|s| s.mutation.id)
            .collect()
    }

    /// Takes in that the server's database is not the one this device last synced with: it was
    /// restored from a backup, which holds this device's mutations up to `last_mutation_id`
    /// and may lack what the device sent since. Every acknowledged mutation after that number
    /// that the device still keeps goes back into the outbox, before those waiting, under its
    /// own number (the server answers `Duplicate` for any it has after all); should the oldest
    /// it holds not follow that number, the server is told to skip the ones nobody holds. The
    /// pulled records go, and the next pull starts from the beginning: the restored log numbers
    /// its changes anew.
    pub fn on_restored(&mut self, database: DatabaseId, last_mutation_id: u64) {
        let (again, kept): (Vec<Sent>, Vec<Sent>) = std::mem::take(&mut self.sent)
            .into_iter()
            .partition(|s| s.mutation.id > last_mutation_id);
        self.sent = kept;
        let mut outbox: Vec<Mutation> = again.into_iter().map(|s| s.mutation).collect();
        outbox.append(&mut self.outbox);
        outbox.sort_by_key(|m| m.id);
        outbox.dedup_by_key(|m| m.id);
        self.outbox = outbox;
        let first = self.outbox.first().map_or(self.next_mutation_id, |m| m.id);
        self.skip_to = (first > last_mutation_id + 1).then(|| first - 1);
        self.last_mutation_id = last_mutation_id;
        self.database = Some(database);
        self.cursor = 0;
        self.records.clear();
        self.settling.clear();
    }

    /// The next pull.
    pub fn pull_request(&self) -> PullRequest {
        PullRequest {
            protocol_version: PROTOCOL_VERSION,
            client_id: self.client_id,
            cursor: self.cursor,
            pending_since: self.outbox.first().map(|m| m.recorded_at),
            database: self.database,
        }
    }

    /// Takes in a pull's answer: newer records replace older ones, cases no longer visible are
    /// purged, and mutations the server has processed leave the outbox.
    pub fn on_pull(&mut self, response: PullResponse) {
        for case in &response.removed_cases {
            self.records.retain(|_, c| c.case_id != *case);
        }
        for change in response.changes {
            let key = change.key();
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
        let expired = self.expired_sent(response.keep_sent_days, Utc::now());
        self.sent.retain(|s| !expired.contains(&s.mutation.id));
        self.acknowledge(response.last_mutation_id, response.database);
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
            database: self.database,
            sent: Vec::new(),
            skip_to: self.skip_to,
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
            .chain(self.sent.iter().map(|s| &s.mutation))
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
            .and_then(|c| match &c.record {
                Record::Case(r) => r.versions.get(field),
                Record::Visit(r) => r.versions.get(field),
                _ => None,
            })
            .copied()
            .unwrap_or(0)
    }
}

/// A mutation the server acknowledged, kept a while on the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sent {
    /// The mutation, as sent.
    pub mutation: Mutation,
    /// When the device learnt the server had it.
    pub acknowledged_at: DateTime<Utc>,
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
                    reason: RejectReason::Forbidden,
                },
            ],
            database: None,
        });
        assert_eq!(replica.outbox.iter().map(|m| m.id).collect::<Vec<_>>(), [3]);
        assert_eq!(replica.rejected.len(), 1);
        assert_eq!(replica.rejected[0].0.id, 2);
        // A stale answer does not bring acknowledged mutations back or lose pending ones.
        replica.on_push(&PushResponse {
            last_mutation_id: 1,
            outcomes: vec![],
            database: None,
        });
        assert_eq!(replica.last_mutation_id, 2);
        assert_eq!(replica.outbox.len(), 1);
    }

    fn pushed_up_to(replica: &mut Replica, last: u64) {
        replica.on_push(&PushResponse {
            last_mutation_id: last,
            outcomes: vec![],
            database: Some(DatabaseId(Uuid::from_u128(1))),
        });
    }

    fn ids(mutations: &[Mutation]) -> Vec<u64> {
        mutations.iter().map(|m| m.id).collect()
    }

    #[test]
    fn acknowledged_mutations_are_kept_until_their_time_is_up() {
        let mut replica = Replica::new(ClientId(Uuid::from_u128(7)));
        for n in 0..3 {
            replica.record(join(n), Utc::now());
        }
        replica.on_push(&PushResponse {
            last_mutation_id: 2,
            outcomes: vec![MutationOutcome::Rejected {
                id: 2,
                reason: RejectReason::Forbidden,
            }],
            database: Some(DatabaseId(Uuid::from_u128(1))),
        });
        let kept: Vec<u64> = replica.sent.iter().map(|s| s.mutation.id).collect();
        assert_eq!(
            kept,
            [1],
            "a refused mutation is kept as refused, not as sent"
        );
        assert_eq!(ids(&replica.outbox), [3]);
        assert_eq!(replica.database, Some(DatabaseId(Uuid::from_u128(1))));

        let now = Utc::now();
        assert!(replica.expired_sent(14, now).is_empty());
        assert_eq!(
            replica.expired_sent(14, now + chrono::Duration::days(15)),
            [1]
        );
        replica.sent[0].acknowledged_at = now - chrono::Duration::days(15);
        let mut page = PullResponse::nothing(0, 2, DatabaseId(Uuid::from_u128(1)));
        page.keep_sent_days = 30;
        replica.on_pull(page.clone());
        assert_eq!(replica.sent.len(), 1, "kept for as long as the server says");
        page.keep_sent_days = 14;
        replica.on_pull(page);
        assert!(replica.sent.is_empty(), "gone once its time is up");
    }

    #[test]
    fn a_restored_server_is_sent_again_what_it_lacks_before_what_waits() {
        let mut replica = Replica::new(ClientId(Uuid::from_u128(7)));
        for n in 0..5 {
            replica.record(join(n), Utc::now());
        }
        pushed_up_to(&mut replica, 5);
        replica.record(join(6), Utc::now());
        replica.on_pull(PullResponse {
            changes: vec![Change {
                seq: 40,
                case_id: CaseId(Uuid::from_u128(1)),
                entity_id: "1".into(),
                record: crate::sync::records::TeamRecord::default().into(),
            }],
            ..PullResponse::nothing(40, 5, DatabaseId(Uuid::from_u128(1)))
        });

        // The backup holds this device's first two mutations.
        let restored = DatabaseId(Uuid::from_u128(2));
        replica.on_restored(restored, 2);
        assert_eq!(
            ids(&replica.outbox),
            [3, 4, 5, 6],
            "in order, under their own ids"
        );
        assert_eq!(replica.skip_to, None, "nothing is missing");
        assert_eq!(
            replica
                .sent
                .iter()
                .map(|s| s.mutation.id)
                .collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(replica.cursor, 0, "the next pull starts from the beginning");
        assert!(replica.records.is_empty());
        let push = replica.push_request().unwrap();
        assert_eq!(push.database, Some(restored));
        assert_eq!(replica.pull_request().database, Some(restored));
        assert_eq!(
            replica.record(join(7), Utc::now()).id,
            7,
            "numbering goes on"
        );
    }

    #[test]
    fn mutations_nobody_holds_any_more_are_skipped_not_waited_for() {
        let mut replica = Replica::new(ClientId(Uuid::from_u128(7)));
        for n in 0..5 {
            replica.record(join(n), Utc::now());
        }
        pushed_up_to(&mut replica, 5);
        // The first three were acknowledged long ago and are no longer kept.
        replica.sent.retain(|s| s.mutation.id > 3);
        replica.on_restored(DatabaseId(Uuid::from_u128(2)), 1);
        assert_eq!(ids(&replica.outbox), [4, 5]);
        assert_eq!(replica.skip_to, Some(3));
        assert_eq!(replica.push_request().unwrap().skip_to, Some(3));
        pushed_up_to(&mut replica, 5);
        assert_eq!(
            replica.skip_to, None,
            "done once the server has moved past it"
        );

        // Nothing kept and nothing waiting: the next change is the first the server sees.
        let mut idle = Replica::new(ClientId(Uuid::from_u128(8)));
        for n in 0..3 {
            idle.record(join(n), Utc::now());
        }
        pushed_up_to(&mut idle, 3);
        idle.sent.clear();
        idle.on_restored(DatabaseId(Uuid::from_u128(2)), 0);
        assert!(idle.push_request().is_none());
        assert_eq!(idle.skip_to, Some(3));
        idle.record(join(9), Utc::now());
        let push = idle.push_request().unwrap();
        assert_eq!((ids(&push.mutations), push.skip_to), (vec![4], Some(3)));
    }
}
