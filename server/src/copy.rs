//! `server copy-database --from URL --to URL`: moves a whole site from one database to another
//! (SQLite to PostgreSQL, or back). Every table is copied row for row, the change log with its
//! sequence numbers, so devices go on syncing from their cursors. The target must be empty; the
//! copy is one transaction there, so a refusal or a failure leaves it as it was.

use crate::db::{self, Pool};
use anyhow::{bail, Context};
use std::time::Duration;

/// How a column is typed on both kinds of database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Type {
    Text,
    Int,
    Bool,
    /// A moment: text on SQLite, `TIMESTAMPTZ` on PostgreSQL ([`db::Stamp`]).
    Time,
}

use Type::{Bool, Int, Text, Time};

/// Every table, parents before the tables that refer to them, with every column. A test holds
/// this list to the schema, so a column added later cannot be left behind.
const TABLES: &[(&str, &[(&str, Type)])] = &[
    (
        "agencies",
        &[
            ("id", Text),
            ("kind", Text),
            ("name_ja", Text),
            ("name_en", Text),
            ("parent_id", Text),
        ],
    ),
    (
        "staff",
        &[
            ("id", Text),
            ("login", Text),
            ("display_name", Text),
            ("role", Text),
            ("home_agency_id", Text),
            ("acts_for_agency_id", Text),
            ("supervises", Text),
            ("password_hash", Text),
            ("disabled", Bool),
            ("created_at", Time),
            ("passphrase_issued_at", Time),
        ],
    ),
    (
        "sessions",
        &[
            ("token_hash", Text),
            ("staff_id", Text),
            ("created_at", Time),
            ("last_seen_at", Time),
            ("idle_expires_at", Time),
            ("expires_at", Time),
        ],
    ),
    (
        "cases",
        &[
            ("id", Text),
            ("pseudonym", Text),
            ("intake_channel", Text),
            ("program", Text),
            ("intake_agency_id", Text),
            ("risk", Text),
            ("status", Text),
            ("life_goal", Text),
            ("medical_view", Text),
            ("welfare_view", Text),
            ("opened_on", Text),
            ("closed_on", Text),
            ("created_at", Time),
        ],
    ),
    (
        "case_team",
        &[
            ("case_id", Text),
            ("staff_id", Text),
            ("joined_at", Time),
            ("left_at", Time),
            ("left_seq", Int),
        ],
    ),
    (
        "case_agencies",
        &[("case_id", Text), ("phase", Text), ("agency_id", Text)],
    ),
    (
        "visits",
        &[
            ("id", Text),
            ("case_id", Text),
            ("starts_at", Time),
            ("ends_at", Time),
            ("place", Text),
            ("status", Text),
            ("outcome", Text),
            ("next_visit_on", Text),
        ],
    ),
    ("visit_members", &[("visit_id", Text), ("staff_id", Text)]),
    (
        "notes",
        &[
            ("id", Text),
            ("visit_id", Text),
            ("case_id", Text),
            ("author_id", Text),
            ("acting_agency_id", Text),
            ("created_at", Time),
        ],
    ),
    (
        "note_revisions",
        &[
            ("note_id", Text),
            ("revision", Int),
            ("amends", Int),
            ("author_id", Text),
            ("met", Bool),
            ("met_with", Text),
            ("mental_state", Text),
            ("medication", Text),
            ("daily_living", Text),
            ("risks", Text),
            ("agreed", Text),
            ("next_steps", Text),
            ("free_text", Text),
            ("recorded_at", Time),
            ("received_at", Time),
        ],
    ),
    (
        "reviews",
        &[
            ("id", Text),
            ("note_id", Text),
            ("revision", Int),
            ("reviewer_id", Text),
            ("decision", Text),
            ("comment", Text),
            ("decided_at", Time),
        ],
    ),
    (
        "directory_entries",
        &[
            ("business_id", Text),
            ("hub_id", Text),
            ("function", Text),
            ("phone", Text),
            ("offers", Text),
            ("hours", Text),
            ("retired_at", Time),
        ],
    ),
    (
        "case_suggestions",
        &[
            ("id", Text),
            ("case_id", Text),
            ("business_id", Text),
            ("hub_id", Text),
            ("suggested_by", Text),
            ("suggested_at", Time),
            ("withdrawn_at", Time),
            ("withdrawn_by", Text),
        ],
    ),
    (
        "audit_log",
        &[
            ("id", Int),
            ("at", Time),
            ("actor_id", Text),
            ("actor_role", Text),
            ("action", Text),
            ("case_id", Text),
            ("record_id", Text),
            ("outcome", Text),
            ("client_id", Text),
            ("device_time", Time),
        ],
    ),
    (
        "sync_clients",
        &[
            ("client_id", Text),
            ("staff_id", Text),
            ("last_mutation_id", Int),
            ("last_contact_at", Time),
            ("pending_since", Time),
            ("revoked_at", Time),
            ("revoked_by", Text),
        ],
    ),
    (
        "change_log",
        &[
            ("seq", Int),
            ("case_id", Text),
            ("entity", Text),
            ("entity_id", Text),
            ("data", Text),
        ],
    ),
    (
        "field_versions",
        &[
            ("entity", Text),
            ("entity_id", Text),
            ("field", Text),
            ("version", Int),
            ("author_id", Text),
            ("recorded_at", Time),
        ],
    ),
    (
        "conflicts",
        &[
            ("id", Text),
            ("case_id", Text),
            ("entity", Text),
            ("entity_id", Text),
            ("field", Text),
            ("winner_value", Text),
            ("winner_author_id", Text),
            ("winner_recorded_at", Time),
            ("replaced_value", Text),
            ("replaced_author_id", Text),
            ("replaced_recorded_at", Time),
            ("created_seq", Int),
            ("resolved_at", Time),
            ("resolved_by", Text),
        ],
    ),
    (
        "rejected_mutations",
        &[
            ("client_id", Text),
            ("mutation_id", Int),
            ("staff_id", Text),
            ("reason", Text),
            ("body", Text),
            ("at", Time),
        ],
    ),
    (
        "login_failures",
        &[("login", Text), ("failures", Int), ("paused_until", Time)],
    ),
    (
        "second_factors",
        &[
            ("staff_id", Text),
            ("secret", Text),
            ("pending_secret", Text),
            ("confirmed_at", Time),
            ("last_step", Int),
        ],
    ),
    (
        "recovery_codes",
        &[("staff_id", Text), ("code_hash", Text), ("used_at", Time)],
    ),
    (
        "break_glass",
        &[
            ("id", Text),
            ("staff_id", Text),
            ("case_id", Text),
            ("reason", Text),
            ("opened_at", Time),
            ("expires_at", Time),
        ],
    ),
    (
        "reference_revision",
        &[("singleton", Int), ("revision", Int)],
    ),
    // The copy keeps the identity: it holds the same log, so devices go on where they were.
    ("database_identity", &[("singleton", Int), ("id", Text)]),
];

/// One value as both kinds hold it.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Time(Option<db::Stamp>),
}

/// Rows written by one statement: few enough parameters for either kind.
const ROWS_PER_INSERT: usize = 400;

/// What a copy did: rows per table, in order.
#[derive(Debug, Default)]
pub struct Copied(pub Vec<(&'static str, usize)>);

/// Copies every row of the database at `from` into the empty one at `to` (created and migrated
/// when missing), telling `progress` about each table as it goes. Refuses a target that holds
/// anything, before writing to it.
pub async fn copy_database(
    from: &str,
    to: &str,
    progress: impl Fn(&str, usize),
) -> anyhow::Result<Copied> {
    let wait = Duration::from_secs(10);
    if same_place(from, to) {
        bail!("--from and --to name the same database");
    }
    if let Some(path) = db::sqlite_file(from) {
        if !path.exists() {
            bail!("there is no database at {} (--from)", path.display());
        }
    }
    let source = db::open(from, wait).await.context("the source (--from)")?;
    if !tables(&source).await?.iter().any(|t| t == "staff") {
        bail!("the source (--from) holds no Dekapan database");
    }
    // Brought up to this build's schema first, as starting the server on it would.
    db::migrate(&source).await.context("the source (--from)")?;
    let target = db::open(to, wait).await.context("the target (--to)")?;
    if let Some(why) = holds_data(&target)
        .await
        .context("looking into the target")?
    {
        bail!("{}", not_empty(&why));
    }
    db::migrate(&target).await.context("preparing the target")?;
    let mut copied = Copied::default();
    let rows_by_table = read(&source).await?;
    write(&target, rows_by_table, &progress, &mut copied).await?;
    source.close().await;
    target.close().await;
    Ok(copied)
}

fn not_empty(why: &str) -> String {
    format!(
        "the target database is not empty ({why}): copy only into a new, empty database; \
         nothing was written"
    )
}

fn same_place(from: &str, to: &str) -> bool {
    let plain = |url: &str| url.split('?').next().unwrap_or_default().to_owned();
    plain(from) == plain(to)
}

/// Why the target cannot take a copy, if it cannot: a table of any name that holds rows, or
/// tables that are not this schema.
async fn holds_data(target: &Pool) -> anyhow::Result<Option<String>> {
    let tables = tables(target).await?;
    for table in &tables {
        if table != "_sqlx_migrations" && !TABLES.iter().any(|(t, _)| t == table) {
            return Ok(Some(format!(
                "it has a table {table} that is not Dekapan's"
            )));
        }
    }
    for (table, _) in TABLES {
        if !tables.iter().any(|t| t == table) {
            continue;
        }
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let rows: i64 = crate::on_db!(target, |db| sqlx::query_scalar(&sql).fetch_one(db).await)?;
        if rows > 0 {
            return Ok(Some(format!("{rows} rows in {table}")));
        }
    }
    Ok(None)
}

/// The tables a database has.
async fn tables(pool: &Pool) -> anyhow::Result<Vec<String>> {
    let tables: Vec<String> = crate::on_db!(pool, |db| match pool.kind() {
        db::Kind::Sqlite =>
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(db)
            .await,
        db::Kind::Postgres =>
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            )
            .fetch_all(db)
            .await,
    })?;
    Ok(tables)
}

/// Every row of every table, read in the writers' turn on the source: one moment of it, and
/// a server still running there waits until the copy has read everything.
async fn read(source: &Pool) -> anyhow::Result<Vec<TableRows>> {
    use sqlx::Row;
    crate::on_db!(source, |db, rules| {
        let mut tx = rules::writes::begin(db)
            .await
            .context("the source (--from)")?;
        let mut all = Vec::with_capacity(TABLES.len());
        for (table, columns) in TABLES {
            let rows = sqlx::query(&select(table, columns))
                .fetch_all(&mut *tx)
                .await
                .with_context(|| format!("reading {table}"))?;
            let rows = rows
                .iter()
                .map(|row| {
                    columns
                        .iter()
                        .enumerate()
                        .map(|(i, (name, kind))| {
                            let value = match kind {
                                Text => row.try_get(i).map(Value::Text),
                                Int => row.try_get(i).map(Value::Int),
                                Bool => row.try_get(i).map(Value::Bool),
                                Time => row.try_get(i).map(Value::Time),
                            };
                            value.with_context(|| format!("reading {table}.{name}"))
                        })
                        .collect::<anyhow::Result<Vec<Value>>>()
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            all.push((*table, *columns, rows));
        }
        tx.rollback().await.context("ending the read")?;
        anyhow::Ok(all)
    })
}

/// The statement that reads a whole table in a stable order.
fn select(table: &str, columns: &[(&str, Type)]) -> String {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    // Agencies refer to their parents: those without one first ([`parents_first`] orders the
    // rest).
    let order = if table == "agencies" {
        "parent_id IS NOT NULL, id".to_owned()
    } else {
        (1..=names.len())
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("SELECT {} FROM {table} ORDER BY {order}", names.join(", "))
}

type TableRows = (
    &'static str,
    &'static [(&'static str, Type)],
    Vec<Vec<Value>>,
);

async fn write(
    target: &Pool,
    tables: Vec<TableRows>,
    progress: &impl Fn(&str, usize),
    copied: &mut Copied,
) -> anyhow::Result<()> {
    crate::on_db!(target, |db, rules| {
        // In the writers' turn: a server started on the target meanwhile waits, and finds the
        // copy done.
        let mut tx = rules::writes::begin(db)
            .await
            .context("starting the copy")?;
        for (table, columns, rows) in tables {
            let held: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&mut *tx)
                .await
                .with_context(|| format!("looking into {table}"))?;
            if held > 0 {
                bail!("{}", not_empty(&format!("{held} rows in {table}")));
            }
            let rows = parents_first(table, rows);
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
                let width = names.len();
                let tuples: Vec<String> = (0..chunk.len())
                    .map(|r| {
                        let params: Vec<String> =
                            (1..=width).map(|c| format!("${}", r * width + c)).collect();
                        format!("({})", params.join(", "))
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO {table} ({}) VALUES {}",
                    names.join(", "),
                    tuples.join(", ")
                );
                let mut query = sqlx::query(&sql);
                for value in chunk.iter().flatten() {
                    query = match value {
                        Value::Text(v) => query.bind(v.clone()),
                        Value::Int(v) => query.bind(*v),
                        Value::Bool(v) => query.bind(*v),
                        Value::Time(v) => query.bind(*v),
                    };
                }
                query
                    .execute(&mut *tx)
                    .await
                    .with_context(|| format!("writing {table}"))?;
            }
            progress(table, rows.len());
            copied.0.push((table, rows.len()));
        }
        if target.kind() == db::Kind::Postgres {
            // New audit events number on from the copied ones.
            sqlx::query(
                "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), \
                 COALESCE((SELECT MAX(id) FROM audit_log), 0) + 1, false)",
            )
            .execute(&mut *tx)
            .await
            .context("numbering the audit log on")?;
        }
        tx.commit().await.context("committing the copy")?;
        anyhow::Ok(())
    })
}

/// Agencies in an order where each comes after its parent.
fn parents_first(table: &str, rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    if table != "agencies" {
        return rows;
    }
    let id = |row: &Vec<Value>| match &row[0] {
        Value::Text(Some(id)) => id.clone(),
        _ => String::new(),
    };
    let parent = |row: &Vec<Value>| match &row[4] {
        Value::Text(parent) => parent.clone(),
        _ => None,
    };
    let mut placed = std::collections::HashSet::new();
    let mut ordered = Vec::with_capacity(rows.len());
    let mut waiting = rows;
    while !waiting.is_empty() {
        let before = waiting.len();
        let (ready, later): (Vec<_>, Vec<_>) = waiting
            .into_iter()
            .partition(|row| parent(row).is_none_or(|p| placed.contains(&p)));
        for row in ready {
            placed.insert(id(&row));
            ordered.push(row);
        }
        waiting = later;
        if waiting.len() == before {
            // A parent outside the table: the database's own check will say so.
            ordered.append(&mut waiting);
        }
    }
    ordered
}

/// The columns that hold moments (`TIMESTAMPTZ` on PostgreSQL), for the test that holds them to
/// the schema.
pub fn known_moments() -> Vec<(&'static str, &'static str)> {
    TABLES
        .iter()
        .flat_map(|(table, columns)| {
            columns
                .iter()
                .filter(|(_, kind)| *kind == Time)
                .map(|(name, _)| (*table, *name))
        })
        .collect()
}

/// The tables and columns the copy knows, for the test that holds them to the schema.
pub fn known_columns() -> Vec<(&'static str, Vec<&'static str>)> {
    TABLES
        .iter()
        .map(|(table, columns)| (*table, columns.iter().map(|(name, _)| *name).collect()))
        .collect()
}
