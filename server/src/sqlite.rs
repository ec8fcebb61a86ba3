//! The server over an embedded SQLite file: the default, for `scripts/serve` and small sites.

/// The database these rules run on.
pub type Db = sqlx::Sqlite;
/// Which dialect the shared rules speak here.
pub const KIND: crate::db::Kind = crate::db::Kind::Sqlite;

#[path = "service/mod.rs"]
mod service;
pub use service::*;
