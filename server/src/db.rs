//! The database: which kind the URL names, one pool for the whole server, migrated at start.

use anyhow::{anyhow, bail, Context};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::{Duration, Instant};

pub use crate::stamp::Stamp;

/// The kinds of database the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An embedded SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server, which several server processes may share.
    Postgres,
}

impl Kind {
    /// The kind a database URL names, if any.
    pub fn of_url(url: &str) -> Option<Kind> {
        if url.starts_with("sqlite:") {
            Some(Kind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Kind::Postgres)
        } else {
            None
        }
    }

    /// Its name, as `/health` reports it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgres",
        }
    }
}

/// A pool of connections to the database, of either kind.
#[derive(Clone, Debug)]
pub enum Pool {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

impl Pool {
    /// Which kind of database this is.
    pub fn kind(&self) -> Kind {
        match self {
            Pool::Sqlite(_) => Kind::Sqlite,
            Pool::Postgres(_) => Kind::Postgres,
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            Pool::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await.map(drop),
            Pool::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(drop),
        }
    }

    /// The connections the pool holds, and how many of them are idle.
    pub fn connections(&self) -> (u32, u32) {
        match self {
            Pool::Sqlite(p) => (p.size(), p.num_idle() as u32),
            Pool::Postgres(p) => (p.size(), p.num_idle() as u32),
        }
    }

    /// Closes every connection (the pool cannot be used afterwards).
    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// Runs code on a [`Pool`] of either kind: the body is written once and compiled for each, with
/// `$pool` bound to the concrete pool (`on_db!(app.db, |db| … .fetch_one(db).await)`) and, in
/// the second form, `$rules` to the server's rules over that kind (`server::sqlite` or
/// `server::postgres`).
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match &$db {
            $crate::db::Pool::Sqlite($pool) => $body,
            $crate::db::Pool::Postgres($pool) => $body,
        }
    };
    ($db:expr, |$pool:ident, $rules:ident| $body:expr) => {
        match &$db {
            $crate::db::Pool::Sqlite($pool) => {
                use $crate::sqlite as $rules;
                $body
            }
            $crate::db::Pool::Postgres($pool) => {
                use $crate::postgres as $rules;
                $body
            }
        }
    };
}

/// Opens the database named by `url` and brings its schema up to date. A PostgreSQL server
/// that does not answer yet (still starting, or restarting) is tried again until `wait` has
/// passed; a refusal that waiting cannot cure (a wrong password, a missing database) fails at
/// once. Each error is one line that names the cause.
pub async fn connect(url: &str, wait: Duration) -> anyhow::Result<Pool> {
    connect_with(url, wait, 4).await
}

/// [`connect`], keeping at most `connections` connections to PostgreSQL.
pub async fn connect_with(url: &str, wait: Duration, connections: u32) -> anyhow::Result<Pool> {
    let pool = open_with(url, wait, connections).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Opens the database named by `url` as [`connect`] does, without touching its schema.
pub async fn open(url: &str, wait: Duration) -> anyhow::Result<Pool> {
    open_with(url, wait, 4).await
}

async fn open_with(url: &str, wait: Duration, connections: u32) -> anyhow::Result<Pool> {
    Ok(match Kind::of_url(url) {
        Some(Kind::Sqlite) => Pool::Sqlite(open_sqlite(url).await?),
        Some(Kind::Postgres) => Pool::Postgres(open_postgres(url, wait, connections).await?),
        None => bail!("the database URL must start with sqlite: or postgres://"),
    })
}

async fn open_sqlite(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .context("reading the database URL")?
        .create_if_missing(true)
        // WAL lets readers go on while a writer commits; NORMAL sync is durable in WAL mode
        // across application crashes, which is the failure that matters on a server.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    if let Some(dir) = options.get_filename().parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the database folder {}", dir.display()))?;
        }
    }
    SqlitePoolOptions::new()
        .max_connections(8)
        // One stays open while the server runs: `server restore` sees it and refuses to replace
        // the file under a running server.
        .min_connections(1)
        .connect_with(options)
        .await
        .context("opening the database")
}

async fn open_postgres(url: &str, wait: Duration, connections: u32) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url).context("reading the database URL")?;
    let place = format!(
        "PostgreSQL at {}:{}",
        options.get_host(),
        options.get_port()
    );
    let started = Instant::now();
    let mut logged = false;
    loop {
        // One connection first: its failure says why (a pool's says only that it timed out).
        let tried = match <sqlx::PgConnection as sqlx::Connection>::connect_with(&options).await {
            Ok(conn) => {
                let _ = sqlx::Connection::close(conn).await;
                PgPoolOptions::new()
                    .max_connections(connections)
                    // One stays open while the server runs: `server restore` sees it.
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options.clone())
                    .await
            }
            Err(e) => Err(e),
        };
        match tried {
            Ok(pool) => return Ok(pool),
            Err(e) if passing(&e) && started.elapsed() < wait => {
                if !logged {
                    tracing::warn!(%place, error = %e, "the database does not answer yet; trying again");
                    logged = true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                return Err(anyhow!(
                    "{place}: {}{}",
                    one_line(&e),
                    if passing(&e) {
                        format!(" (waited {} s)", wait.as_secs())
                    } else {
                        String::new()
                    }
                ))
            }
        }
    }
}

/// Whether a failure to connect may pass by waiting: the server not answering yet, rather than
/// refusing us.
fn passing(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        // 57P03: the server is starting up or shutting down.
        sqlx::Error::Database(d) => d.code().is_some_and(|c| c == "57P03"),
        _ => false,
    }
}

/// A driver error as one line, with what a person can do about the common ones.
fn one_line(e: &sqlx::Error) -> String {
    let code = e
        .as_database_error()
        .and_then(|d| d.code().map(|c| c.into_owned()));
    let hint = match code.as_deref() {
        Some("28P01") => " (wrong password)",
        Some("28000") => " (this role may not sign in from here)",
        Some("3D000") => " (create the database first)",
        _ => "",
    };
    format!("{e}{hint}").replace('\n', " ")
}

/// Applies the migrations this build has, each in its own transaction. A database migrated
/// by a newer build is refused untouched.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let result = match pool {
        Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await,
        // Several processes starting together: the migrator holds an advisory lock meanwhile.
        Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await,
    };
    result.map_err(|e| match e {
        sqlx::migrate::MigrateError::VersionMissing(v) => anyhow!(
            "the database was migrated by a newer build of Dekapan (migration {v} is unknown to \
             this one): run that build, or restore a backup taken before it"
        ),
        other => anyhow!(
            "migrating the database: {}",
            other.to_string().replace('\n', " ")
        ),
    })
}

/// The file a SQLite URL names, if it names one.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    if Kind::of_url(url) != Some(Kind::Sqlite) {
        return None;
    }
    SqliteConnectOptions::from_str(url)
        .ok()
        .map(|o| o.get_filename().to_path_buf())
}

/// Renumbers a statement's `$n` parameters by `by`; returns it with how many it has (the
/// highest number). `$` appears in no statement of ours but as a parameter.
pub fn shift_params(statement: &str, by: usize) -> (String, usize) {
    let mut out = String::with_capacity(statement.len() + 8);
    let mut highest = 0;
    let mut chars = statement.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => {
                highest = highest.max(n);
                out.push_str(&format!("${}", n + by));
            }
            Err(_) => out.push('$'),
        }
    }
    (out, highest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_on() {
        let (text, count) = shift_params("INSERT INTO t (a, b) VALUES ($1, $2)", 3);
        assert_eq!(text, "INSERT INTO t (a, b) VALUES ($4, $5)");
        assert_eq!(count, 2);
        assert_eq!(shift_params("SELECT $10, $2", 1).0, "SELECT $11, $3");
    }

    #[test]
    fn the_url_names_the_kind() {
        assert_eq!(
            Kind::of_url("sqlite://data/x.sqlite?mode=rwc"),
            Some(Kind::Sqlite)
        );
        assert_eq!(Kind::of_url("postgres://u@h/db"), Some(Kind::Postgres));
        assert_eq!(Kind::of_url("postgresql://u@h/db"), Some(Kind::Postgres));
        assert_eq!(Kind::of_url("mysql://u@h/db"), None);
    }
}
