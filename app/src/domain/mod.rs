//! Plain types and rules of the outreach domain, shared by the server and the browser.
//!
//! Nothing here does I/O or knows about Leptos: the rules are tested directly with `cargo test`.

pub mod access;
pub mod agency;
pub mod case;
pub(crate) mod code;
pub mod csv;
pub mod device;
pub mod directory;
pub mod error;
pub mod ids;
pub mod indicators;
pub mod lang;
pub mod listing;
pub mod note;
pub mod review;
pub mod signin;
pub mod staff;
pub mod visit;

pub use agency::{Agency, AgencyKind};
pub use case::{
    AgenciesInvolved, CaseStatus, CaseSummary, IntakeChannel, LifeGoal, Program, RiskLevel,
};
pub use directory::{DirectoryEntry, DirectoryFilter, HubFunction, Listing};
pub use error::{FieldError, Problem};
pub use ids::{AgencyId, CaseId, NoteId, StaffId, VisitId};
pub use lang::Lang;
pub use listing::ListingEdit;
pub use note::{NoteField, NoteFields, NoteRevision, OutreachNote};
pub use review::{Review, ReviewDecision};
pub use staff::{NewAccount, Role, Staff, StaffRef};
pub use visit::{TimeWindow, Visit, VisitStatus};
