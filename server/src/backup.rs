//! `server backup --to FILE`: a consistent copy of the whole database while the server runs.
//!
//! SQLite: `VACUUM INTO` copies one snapshot of the database (a read transaction: writers go on,
//! in WAL mode they are never blocked). PostgreSQL: `pg_dump` in its custom format, itself one
//! snapshot; restore it with `pg_restore` (docs/operations.md). Either way the copy is written
//! beside the target into a new file of its own (a unique temporary name), checked, flushed to
//! disk, and only then given the target's name, which fails if anything holds that name by then:
//! a failed or interrupted backup never leaves a file that looks like a backup, and nothing
//! existing is overwritten or removed.

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
    if to.file_name().is_none() {
        bail!("{} names no file", to.display());
    }
    let folder = match to.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    // Removed when dropped, unless it became the backup.
    let partial = tempfile::Builder::new()
        .prefix(".dekapan-backup-")
        .suffix(".partial")
        .tempfile_in(folder)
        .map_err(|e| anyhow::anyhow!("cannot write the backup to {}: {e}", to.display()))?;
    match Kind::of_url(url) {
        Some(Kind::Sqlite) => sqlite(url, partial.path()).await?,
        Some(Kind::Postgres) => postgres(url, partial.path()).await?,
        None => bail!("DEKAPAN_DATABASE_URL is neither sqlite: nor postgres://"),
    }
    std::fs::File::open(partial.path())
        .and_then(|f| f.sync_all())
        .with_context(|| format!("flushing the backup to disk in {}", folder.display()))?;
    partial.persist_noclobber(to).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists: a backup never overwrites a file, choose a new name",
                to.display()
            )
        } else {
            anyhow::anyhow!("naming the backup {}: {}", to.display(), e.error)
        }
    })?;
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
    // The password goes by the environment, not the command line, where anyone on the machine
    // could read it.
    let (url, password) = without_password(url);
    let mut dump = tokio::process::Command::new("pg_dump");
    dump.args(["--format=custom", "--no-owner", "--file"])
        .arg(to)
        .arg(&url);
    if let Some(password) = password {
        dump.env("PGPASSWORD", password);
    }
    run("pg_dump", &mut dump).await?;
    // The dump must read back as one before it counts as a backup.
    let mut list = tokio::process::Command::new("pg_restore");
    list.arg("--list").arg(to);
    run("pg_restore", &mut list).await
}

/// Runs one of PostgreSQL's client programs; its first line of complaint when it fails.
pub(crate) async fn run(name: &str, command: &mut tokio::process::Command) -> anyhow::Result<()> {
    let out = command.output().await.map_err(|e| {
        anyhow::anyhow!("cannot run {name} ({e}): install PostgreSQL's client programs")
    })?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        let first = said.lines().next().unwrap_or("no reason given").trim();
        bail!("{name} failed: {first}");
    }
    Ok(())
}

/// A `postgres://user:password@host/db` URL without its password, and the password (decoded).
pub(crate) fn without_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_owned(), None);
    };
    (
        format!("{scheme}://{user}@{host}{path}"),
        Some(percent_decoded(password)),
    )
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn measure(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)
        .with_context(|| format!("reading the backup {}", path.display()))?;
    let mut hash = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hash)
        .with_context(|| format!("reading the backup {}", path.display()))?;
    Ok((bytes, hex::encode(hash.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_decoded() {
        assert_eq!(
            without_password("postgres://dekapan:p%40ss:w@db.example:5432/dekapan?sslmode=require"),
            (
                "postgres://dekapan@db.example:5432/dekapan?sslmode=require".to_owned(),
                Some("p@ss:w".to_owned())
            )
        );
        assert_eq!(
            without_password("postgres://db.example/dekapan"),
            ("postgres://db.example/dekapan".to_owned(), None)
        );
        assert_eq!(
            without_password("postgres://dekapan@db.example/dekapan"),
            ("postgres://dekapan@db.example/dekapan".to_owned(), None)
        );
    }
}
