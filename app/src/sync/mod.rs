//! The sync protocol and its merge rules, shared by the server and every client.
//!
//! Plain Rust: no I/O, no Leptos. The server applies pushed mutations with [`merge`]; clients
//! replay their pending mutations on top of pulled state with the same rules, so both sides
//! always agree on what an edit does.

pub mod casebook;
#[cfg(test)]
mod fixtures;
pub mod merge;
pub mod pending;
pub mod protocol;
pub mod records;
pub mod replica;
pub mod view;

pub use casebook::{CaseConflict, LocalCase, QueueItem, ReviewView};
pub use merge::{merge_field, FieldDecision, Register, SetOp};
pub use protocol::{
    AgencyPhase, CaseField, Change, ClientId, DatabaseId, FieldEdit, Mutation, MutationOutcome, Op,
    PullRequest, PullResponse, PushRequest, PushResponse, RejectReason, SyncError, VisitField,
    KEEP_SENT_DAYS, MAX_PULL_PAGE, MAX_PUSH_BATCH, PROTOCOL_VERSION,
};
pub use records::{ConflictField, Kind, Record, Reference};
pub use replica::{Replica, Sent};
pub use view::{ConflictView, LocalVisit};
