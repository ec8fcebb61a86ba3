//! How writers share the database, on one process or many.
//!
//! Every transaction that writes starts with [`begin`], which makes writers take turns at the
//! database itself: SQLite has one writer at a time (`BEGIN IMMEDIATE` takes its write lock at
//! once), and on PostgreSQL each writing transaction first takes one transaction-scoped advisory
//! lock, [`WRITERS`], held until it commits or rolls back. So writes commit in the order they
//! took their turn, on any number of server processes, and every rule that reads before it
//! writes (a passphrase checked before a session opens, a device's counter before its
//! mutations) holds as it does on one process.
//!
//! The change log leans on this: an entry takes `MAX(seq) + 1` inside its writer's turn, so a
//! sequence number is taken only by the one transaction that can commit next, and no later
//! number can become visible before it. A pull that moved its cursor past a number can never
//! meet that number afterwards (`server/tests/api/log_order.rs` holds a transaction open with
//! its number taken and shows a second writer waiting behind it). Reads never take the turn.

use super::{Pool, Tx, KIND};
use crate::db::Kind;
use anyhow::Context;

/// The advisory lock key PostgreSQL writers take turns on ("dkpn" in ASCII).
pub const WRITERS: i64 = 0x646b_706e;

/// Starts a transaction that may write, once it is this writer's turn.
pub async fn begin(pool: &Pool) -> anyhow::Result<Tx> {
    match KIND {
        Kind::Sqlite => pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .context("starting a write"),
        Kind::Postgres => {
            let mut tx = pool.begin().await.context("starting a write")?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITERS)
                .execute(&mut *tx)
                .await
                .context("waiting for the writers' turn")?;
            Ok(tx)
        }
    }
}

/// Joins statements numbered `$1…` each into one that runs them all in one round trip, their
/// parameters numbered on in turn (bind them in the same order): statements separated by `;`
/// on SQLite, data-modifying `WITH` parts on PostgreSQL (which prepares one statement only).
/// The parts may not depend on each other's rows.
pub fn one_round_trip(statements: &[&str]) -> String {
    let mut shifted = Vec::with_capacity(statements.len());
    let mut taken = 0;
    for statement in statements {
        let (text, count) = crate::db::shift_params(statement, taken);
        shifted.push(text);
        taken += count;
    }
    match KIND {
        Kind::Sqlite => shifted.join("; "),
        Kind::Postgres => {
            let (last, parts) = shifted.split_last().expect("at least one statement");
            let parts: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(n, part)| format!("w{n} AS ({part})"))
                .collect();
            if parts.is_empty() {
                last.clone()
            } else {
                format!("WITH {} {last}", parts.join(", "))
            }
        }
    }
}

/// Starts a transaction that only reads, all of it from one snapshot of the database: SQLite's
/// deferred transaction keeps the snapshot of its first read; PostgreSQL's default would take a
/// new one for every statement, so a pull could read the changes, then a cursor past a change
/// committed in between, and never send that change.
pub async fn begin_read(pool: &Pool) -> anyhow::Result<Tx> {
    match KIND {
        Kind::Sqlite => pool.begin().await.context("starting a read"),
        Kind::Postgres => pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .context("starting a read"),
    }
}

/// Runs one statement that writes on its own, in its turn like any write.
pub async fn alone(
    pool: &Pool,
    statement: super::Query<'_>,
) -> anyhow::Result<<super::Db as sqlx::Database>::QueryResult> {
    let mut tx = begin(pool).await?;
    let done = statement.execute(&mut *tx).await?;
    tx.commit().await.context("committing a write")?;
    Ok(done)
}
