//! A device holding one case with one visit, as the server logs them, for the sync module's
//! unit tests.

use super::protocol::{Change, ClientId, PullResponse};
use super::records::Record;
use super::replica::Replica;
use crate::domain::{CaseId, StaffId, VisitId};
use serde_json::{json, Value};
use uuid::Uuid;

pub const CASE: u128 = 1;
pub const VISIT: u128 = 2;
pub const ME: u128 = 3;
pub const OTHER: u128 = 4;

/// A change as the server logs it: its kind and its fields as stored.
pub fn change(seq: u64, entity: &str, id: String, data: Value) -> Change {
    Change {
        seq,
        case_id: case_id(),
        entity_id: id,
        record: Record::from_log(entity, &data.to_string()).unwrap(),
    }
}

/// An active case and a planned visit of it starting at `starts_at`, with these members.
pub fn case_and_visit(starts_at: &str, members: &[u128]) -> Vec<Change> {
    let members: Vec<String> = members
        .iter()
        .map(|m| Uuid::from_u128(*m).to_string())
        .collect();
    vec![
        change(
            1,
            "case",
            case_id().to_string(),
            json!({"pseudonym": "Aさん", "intake_channel": "welfare_desk", "program": "model_program",
                   "risk": "moderate", "status": "active", "life_goal": "畑仕事に戻る",
                   "medical_view": "", "welfare_view": "", "opened_on": "2026-11-01", "closed_on": null}),
        ),
        change(
            2,
            "visit",
            visit_id().to_string(),
            json!({"case_id": case_id().to_string(), "starts_at": starts_at,
                   "ends_at": "2026-11-24T03:00:00Z", "place": "北区", "status": "planned",
                   "outcome": "", "next_visit_on": "", "members": members}),
        ),
    ]
}

/// A device that has pulled these changes.
pub fn device_with(changes: Vec<Change>) -> Replica {
    let mut replica = Replica::new(ClientId(Uuid::from_u128(99)));
    let cursor = changes.iter().map(|c| c.seq).max().unwrap_or(0);
    replica.on_pull(PullResponse {
        changes,
        removed_cases: vec![],
        cursor,
        more: false,
        last_mutation_id: 0,
        database: None,
        keep_sent_days: super::KEEP_SENT_DAYS,
        reference_version: None,
    });
    replica
}

pub fn me() -> StaffId {
    StaffId(Uuid::from_u128(ME))
}

pub fn case_id() -> CaseId {
    CaseId(Uuid::from_u128(CASE))
}

pub fn visit_id() -> VisitId {
    VisitId(Uuid::from_u128(VISIT))
}
