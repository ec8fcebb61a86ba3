//! The server over PostgreSQL: several processes may share one database.

/// The database these rules run on.
pub type Db = sqlx::Postgres;
/// Which dialect the shared rules speak here.
pub const KIND: crate::db::Kind = crate::db::Kind::Postgres;

#[path = "service/mod.rs"]
#[expect(
    clippy::duplicate_mod,
    reason = "the same rules are compiled once per database kind"
)]
mod service;
pub use service::*;
