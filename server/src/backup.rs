//! `server backup --to FILE`: a consistent copy of the whole database while the server runs.
//!
//! SQLite: `VACUUM INTO` copies one snapshot of the database (a read transaction: writers go on,
//! in WAL mode they are never blocked). PostgreSQL: `pg_dump` in its custom format, itself one
//! snapshot; restore it with `pg_restore` (docs/operations.md). Either way the copy is written
//! beside the target under a temporary name and takes the target's name only when complete and
//! checked, so a failed or interrupted backup never leaves a file that looks like a backup. An
//! existing file is never overwritten.

use crate::db::{self, Kind};
use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A finished backup.
#[derive(Debug)]
pub struct Backup {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, in hex: keep it with the copy kept elsewhere, and compare before a restore.
    pub sha256: String,
}

/// Backs up the database at `url` to the new file `to`.
pub async fn backup(url: &str, to: &Path) -> anyhow::Result<Backup> {
    if to.exists() {
        bail!(
            "{} already exists: a backup never overwrites a file, choose a new name",
            to.display()
        );
    }
    let file_name = to
        .file_name()
        .with_context(|| format!("{} names no file", to.display()))?;
    let mut partial = file_name.to_owned();
    partial.push(".partial");
    let partial = to.with_file_name(partial);
    let written = match Kind::of_url(url) {
        Some(Kind::Sqlite) => sqlite(url, &partial).await,
        Some(Kind::Postgres) => postgres(url, &partial).await,
        None => bail!("DEKAPAN_DATABASE_URL is neither sqlite: nor postgres://"),
    };
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, to).with_context(|| format!("naming the backup {}", to.display()))?;
    let (bytes, sha256) = measure(to)?;
    Ok(Backup {
        path: to.to_owned(),
        bytes,
        sha256,
    })
}

async fn sqlite(url: &str, to: &Path) -> anyhow::Result<()> {
    if let Some(file) = db::sqlite_file(url) {
        if !file.exists() {
            bail!("there is no database at {}", file.display());
        }
    }
    let pool = db::open(url, Duration::from_secs(10)).await?;
    let db::Pool::Sqlite(sqlite) = &pool else {
        unreachable!("a sqlite: URL opens SQLite");
    };
    let target = to
        .to_str()
        .with_context(|| format!("{} is not a path SQLite can take", to.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(sqlite)
        .await
        .map_err(|e| anyhow::anyhow!("cannot write the backup to {}: {e}", to.display()))?;
    pool.close().await;
    // The copy must open and pass SQLite's own check before it counts as a backup.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(to)
        .read_only(true);
    let mut copy = sqlx::SqliteConnection::connect_with(&options)
        .await
        .context("opening the backup to check it")?;
    let verdict: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut copy)
        .await
        .context("checking the backup")?;
    copy.close().await.context("closing the backup")?;
    if verdict != "ok" {
        bail!("the backup failed SQLite's check: {verdict}");
    }
    Ok(())
}

async fn postgres(url: &str, to: &Path) -> anyhow::Result<()> {
    let out = tokio::process::Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(to)
        .arg(url)
        .output()
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot run pg_dump ({e}): install PostgreSQL's client programs")
        })?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        let first = said.lines().next().unwrap_or("no reason given").trim();
        bail!("pg_dump failed: {first}");
    }
    Ok(())
}

fn measure(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)
        .with_context(|| format!("reading the backup {}", path.display()))?;
    let mut hash = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hash)
        .with_context(|| format!("reading the backup {}", path.display()))?;
    Ok((bytes, hex::encode(hash.finalize())))
}
