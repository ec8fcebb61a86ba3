//! `server restore --from FILE [--replace]`: puts a backup made by `server backup` in place of
//! the database `DEKAPAN_DATABASE_URL` names, with every server stopped.
//!
//! The file is checked whole before anything is touched: it must be a backup of the configured
//! kind of database, read back without a fault, and come from this build's schema or an older
//! one (the server migrates an older one at its next start). A database that a server is using
//! is never replaced, and one that holds data only when `--replace` says so. The restored
//! database records the restore in its audit log and loses its identity, so that the next start
//! gives it a new one and every device learns that the server may lack what it sent since the
//! backup, and sends it again ([`app::sync::Replica::on_restored`]).
//!
//! SQLite: the backup is copied beside the database, checked and prepared there, and renamed
//! into place; the database it replaces is kept beside it, renamed `….before-restore-<time>`.
//! PostgreSQL: `pg_restore` turns the dump into SQL, and `psql` runs it in one transaction
//! after emptying the schema, so a failure at any point leaves the database as it was.

use crate::backup::{measure, run, without_password};
use crate::db::{self, Kind, Stamp};
use crate::sqlite::audit::Action;
use anyhow::{bail, Context};
use sqlx::{Connection, Row};
use std::path::{Path, PathBuf};

/// A finished restore.
#[derive(Debug)]
pub struct Restored {
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, to compare with the one `server backup` printed.
    pub sha256: String,
    /// Where the database it replaced was kept (SQLite).
    pub kept: Option<PathBuf>,
}

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";
/// The first bytes of a `pg_dump` custom-format file.
const PG_DUMP_HEADER: &[u8] = b"PGDMP";

/// Restores the backup `from` over the database at `url`.
pub async fn restore(url: &str, from: &Path, replace: bool) -> anyhow::Result<Restored> {
    let kind =
        Kind::of_url(url).context("DEKAPAN_DATABASE_URL is neither sqlite: nor postgres://")?;
    let mut head = [0u8; 16];
    let read = {
        use std::io::Read;
        let mut file = std::fs::File::open(from)
            .map_err(|e| anyhow::anyhow!("cannot read the backup {}: {e}", from.display()))?;
        file.read(&mut head)
            .map_err(|e| anyhow::anyhow!("cannot read the backup {}: {e}", from.display()))?
    };
    let found = if head[..read].starts_with(SQLITE_HEADER) {
        Kind::Sqlite
    } else if head[..read].starts_with(PG_DUMP_HEADER) {
        Kind::Postgres
    } else {
        bail!(
            "{} is not a backup made by `server backup` (neither a SQLite file nor a pg_dump file)",
            from.display()
        );
    };
    if found != kind {
        bail!(
            "{} is a {} backup, but DEKAPAN_DATABASE_URL names a {} database: use \
             `server copy-database` to move data between the two",
            from.display(),
            label(found),
            label(kind)
        );
    }
    let (bytes, sha256) = measure(from)?;
    let record = format!(
        "{} sha256:{sha256}",
        from.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let kept = match kind {
        Kind::Sqlite => sqlite(url, from, replace, &record).await?,
        Kind::Postgres => {
            postgres(url, from, replace, &record).await?;
            None
        }
    };
    Ok(Restored {
        bytes,
        sha256,
        kept,
    })
}

fn label(kind: Kind) -> &'static str {
    match kind {
        Kind::Sqlite => "SQLite",
        Kind::Postgres => "PostgreSQL",
    }
}

/// The newest migration this build knows, per database.
fn known_schema(kind: Kind) -> i64 {
    let migrator = match kind {
        Kind::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Kind::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Refuses a backup whose schema this build does not know.
fn check_schema(kind: Kind, versions: &[i64], from: &Path) -> anyhow::Result<()> {
    let Some(newest) = versions.iter().copied().max() else {
        bail!(
            "{} holds no Dekapan schema: it is not a backup made by `server backup`",
            from.display()
        );
    };
    let known = known_schema(kind);
    if newest > known {
        bail!(
            "{} comes from a newer build of Dekapan (schema {newest}; this build knows up to \
             {known}): restore it with that build",
            from.display()
        );
    }
    Ok(())
}

async fn sqlite(
    url: &str,
    from: &Path,
    replace: bool,
    record: &str,
) -> anyhow::Result<Option<PathBuf>> {
    let target = db::sqlite_file(url).context("DEKAPAN_DATABASE_URL names no SQLite file")?;
    let folder = match target.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("creating the database folder {}", folder.display()))?;
    // The copy to put in place, beside the database (a rename within one file system is
    // atomic); removed when dropped unless it became the database.
    let copy = tempfile::Builder::new()
        .prefix(".dekapan-restore-")
        .suffix(".partial")
        .tempfile_in(&folder)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot write beside the database in {}: {e}",
                folder.display()
            )
        })?;
    std::fs::copy(from, copy.path())
        .map_err(|e| anyhow::anyhow!("cannot copy the backup {}: {e}", from.display()))?;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(copy.path())
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Delete);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| anyhow::anyhow!("{} does not open as a database: {e}", from.display()))?;
    let verdict: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{} is damaged: {e}", from.display()))?;
    if verdict != "ok" {
        bail!("{} is damaged: {verdict}", from.display());
    }
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(&mut conn)
        .await
        .unwrap_or_default();
    check_schema(Kind::Sqlite, &versions, from)?;

    // The database now in place: not in use, and replaced only when asked.
    if target.exists() {
        in_use_or_holding(&target, replace).await?;
    }

    // The restored database records the restore and forgets its identity, in one transaction.
    let mut tx = conn
        .begin()
        .await
        .context("preparing the restored database")?;
    let has_identity: bool = sqlx::query_scalar(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'database_identity'",
    )
    .fetch_one(&mut *tx)
    .await
    .context("preparing the restored database")?;
    if has_identity {
        sqlx::query("DELETE FROM database_identity")
            .execute(&mut *tx)
            .await
            .context("preparing the restored database")?;
    }
    sqlx::query("INSERT INTO audit_log (at, action, record_id, outcome) VALUES ($1, $2, $3, 'ok')")
        .bind(Stamp::now())
        .bind(Action::RestoreDatabase.code())
        .bind(record)
        .execute(&mut *tx)
        .await
        .context("recording the restore in the audit log")?;
    tx.commit()
        .await
        .context("preparing the restored database")?;
    conn.close()
        .await
        .context("closing the restored database")?;
    std::fs::File::open(copy.path())
        .and_then(|f| f.sync_all())
        .context("flushing the restored database to disk")?;

    // The database it replaces is kept beside it, then the copy takes its name.
    let kept = if target.exists() {
        let aside = PathBuf::from(format!(
            "{}.before-restore-{}",
            target.display(),
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::rename(&target, &aside)
            .with_context(|| format!("moving the database {} aside", target.display()))?;
        Some(aside)
    } else {
        None
    };
    copy.persist(&target).map_err(|e| {
        anyhow::anyhow!(
            "putting the backup in place at {}: {}",
            target.display(),
            e.error
        )
    })?;
    if let Ok(dir) = std::fs::File::open(&folder) {
        let _ = dir.sync_all();
    }
    Ok(kept)
}

/// Refuses a SQLite database a server has open, and one holding data unless `replace`. A
/// database open elsewhere (in WAL mode, as a server keeps it) cannot leave WAL mode; one no
/// longer open does, which also folds its log into the file, so that it moves aside whole.
async fn in_use_or_holding(target: &Path, replace: bool) -> anyhow::Result<()> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(target)
        .busy_timeout(std::time::Duration::ZERO);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", target.display()))?;
    // A server just stopped may take a moment to let go: try for up to ten seconds.
    let mut left_wal = Ok(());
    for _ in 0..50 {
        left_wal = sqlx::query("PRAGMA journal_mode = DELETE")
            .fetch_one(&mut conn)
            .await
            .map(|_| ());
        if left_wal.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    if let Err(e) = left_wal {
        let busy = e
            .as_database_error()
            .is_some_and(|d| d.message().contains("locked") || d.message().contains("busy"));
        if busy {
            bail!(
                "a server is using the database {}: stop every server first",
                target.display()
            );
        }
        bail!("cannot use the database {}: {e}", target.display());
    }
    let held = sqlite_holds(&mut conn).await?;
    conn.close().await.ok();
    if let Some(held) = held.filter(|_| !replace) {
        bail!(
            "the database {} holds data ({held}): add --replace to put the backup in its \
             place (the database now there is kept beside it)",
            target.display()
        );
    }
    Ok(())
}

/// What a database holds, in words, if it holds anything: its accounts and cases.
fn holding(accounts: i64, cases: i64) -> Option<String> {
    (accounts + cases > 0).then(|| format!("{accounts} accounts, {cases} cases"))
}

/// What a SQLite database holds, if anything.
async fn sqlite_holds(conn: &mut sqlx::SqliteConnection) -> anyhow::Result<Option<String>> {
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('staff', 'cases')",
    )
    .fetch_one(&mut *conn)
    .await
    .context("reading the database")?;
    if tables < 2 {
        return Ok(None);
    }
    let (accounts, cases): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM staff), (SELECT COUNT(*) FROM cases)")
            .fetch_one(&mut *conn)
            .await
            .context("reading the database")?;
    Ok(holding(accounts, cases))
}

async fn postgres(url: &str, from: &Path, replace: bool, record: &str) -> anyhow::Result<()> {
    // The dump as SQL: reading it whole is the check (a truncated or damaged dump fails here),
    // and `--clean --if-exists` makes it drop what it creates first.
    let work = tempfile::tempdir().context("a temporary folder")?;
    let script = work.path().join("restore.sql");
    let mut to_sql = tokio::process::Command::new("pg_restore");
    to_sql
        .args([
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--file",
        ])
        .arg(&script)
        .arg(from);
    run("pg_restore", &mut to_sql)
        .await
        .map_err(|e| anyhow::anyhow!("{} does not read back whole: {e:#}", from.display()))?;
    let versions = dumped_migrations(&script)?;
    check_schema(Kind::Postgres, &versions, from)?;

    // The database now in place: not in use, and replaced only when asked.
    let mut conn = sqlx::PgConnection::connect(url).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot reach the database: {}",
            e.to_string().replace('\n', " ")
        )
    })?;
    // A server just stopped may take a moment to leave: wait up to ten seconds. Only clients
    // count: PostgreSQL's own autovacuum workers visit the database too, and give way to the
    // restore's locks.
    let mut others: i64 = 0;
    for _ in 0..50 {
        others = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND backend_type = 'client backend'",
        )
        .fetch_one(&mut conn)
        .await
        .context("reading who uses the database")?;
        if others == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    if others > 0 {
        bail!("{others} other connections use the database: stop every server first");
    }
    let present: bool = sqlx::query_scalar(
        "SELECT to_regclass('staff') IS NOT NULL AND to_regclass('cases') IS NOT NULL",
    )
    .fetch_one(&mut conn)
    .await
    .context("reading the database")?;
    if present {
        let row = sqlx::query("SELECT (SELECT COUNT(*) FROM staff), (SELECT COUNT(*) FROM cases)")
            .fetch_one(&mut conn)
            .await
            .context("reading the database")?;
        if let Some(held) = holding(row.get(0), row.get(1)).filter(|_| !replace) {
            bail!(
                "the database holds data ({held}): add --replace to put the backup in its place \
                 (take a backup of it first if it may be needed)"
            );
        }
    }
    conn.close().await.ok();

    // Before the dump: every table, view, sequence and function of the schema goes, those of a
    // newer schema than the backup's too. After it: the restore is recorded, and the identity
    // goes. All of it one transaction.
    let before = work.path().join("before.sql");
    std::fs::write(&before, EMPTY_SCHEMA).context("writing the restore's first step")?;
    let after = work.path().join("after.sql");
    std::fs::write(&after, recorded(record)).context("writing the restore's last step")?;
    let (url, password) = without_password(url);
    let mut psql = tokio::process::Command::new("psql");
    psql.args([
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "--set",
        "ON_ERROR_STOP=1",
    ])
    .arg("--file")
    .arg(&before)
    .arg("--file")
    .arg(&script)
    .arg("--file")
    .arg(&after)
    .arg("--dbname")
    .arg(&url);
    if let Some(password) = password {
        psql.env("PGPASSWORD", password);
    }
    run("psql", &mut psql).await
}

/// Empties the current schema, whatever it holds.
const EMPTY_SCHEMA: &str = "DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE', schemaname, tablename) AS sql
              FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE item.sql;
  END LOOP;
  FOR item IN SELECT format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', sequence_schema, sequence_name) AS sql
              FROM information_schema.sequences WHERE sequence_schema = current_schema() LOOP
    EXECUTE item.sql;
  END LOOP;
  FOR item IN SELECT format('DROP FUNCTION IF EXISTS %s CASCADE', p.oid::regprocedure) AS sql
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = current_schema() LOOP
    EXECUTE item.sql;
  END LOOP;
END $$;
";

/// The restore's last step: it is recorded in the restored audit log, and the identity goes.
fn recorded(record: &str) -> String {
    let quoted = |text: &str| format!("'{}'", text.replace('\'', "''"));
    format!(
        "DO $$ BEGIN
  IF to_regclass('public.database_identity') IS NOT NULL THEN
    DELETE FROM public.database_identity;
  END IF;
END $$;
INSERT INTO public.audit_log (at, action, record_id, outcome) VALUES ({}, {}, {}, 'ok');
",
        quoted(&Stamp::now().to_string()),
        quoted(Action::RestoreDatabase.code()),
        quoted(record)
    )
}

/// The migration versions in a dump turned into SQL: the first column of the rows it copies
/// into `_sqlx_migrations`.
fn dumped_migrations(script: &Path) -> anyhow::Result<Vec<i64>> {
    let text = std::fs::read_to_string(script).context("reading the dump as SQL")?;
    let mut lines = text.lines();
    let mut versions = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with("COPY ") && line.contains("_sqlx_migrations") {
            for row in lines.by_ref() {
                if row == "\\." {
                    break;
                }
                if let Some(version) = row.split('\t').next().and_then(|v| v.parse().ok()) {
                    versions.push(version);
                }
            }
        }
    }
    Ok(versions)
}
