//! `server backup --to FILE` while the server runs: a checked copy that holds what was committed,
//! on either database, taken without holding up a push; a backup never overwrites a file, and
//! one that cannot be written says why in one line and leaves nothing behind.

use crate::helpers::{on_postgres, spawn_app, TestDatabase};
use crate::sync::{device, new_note, push};
use app::sync::MutationOutcome;
use chrono::Utc;
use server::db::{self, Kind};
use std::path::Path;
use std::time::Duration;

/// Opens a backup as a database: the SQLite file itself, or a PostgreSQL dump restored into a
/// fresh database (kept alive by the returned guard).
async fn open_backup(file: &Path) -> (db::Pool, Option<TestDatabase>) {
    if !on_postgres() {
        let url = format!("sqlite://{}", file.display());
        return (db::open(&url, Duration::from_secs(5)).await.unwrap(), None);
    }
    let target = TestDatabase::of(Kind::Postgres).await;
    let restored = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname", &target.url])
        .arg(file)
        .status()
        .expect("pg_restore runs");
    assert!(restored.success());
    let pool = db::open(&target.url, Duration::from_secs(5)).await.unwrap();
    (pool, Some(target))
}

#[tokio::test]
async fn a_backup_taken_while_a_device_pushes_holds_what_was_committed() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let mut phone = device();
    phone.record(new_note(&visit, "バックアップ前"), Utc::now());
    push(&app, &nurse, &mut phone).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dekapan.backup");

    // A push goes on while the backup is taken.
    phone.record(new_note(&visit, "バックアップ中"), Utc::now());
    let (taken, pushed) = tokio::join!(
        server::backup::backup(app.database_url(), &file),
        push(&app, &nurse, &mut phone)
    );
    let taken = taken.unwrap();
    assert!(matches!(
        pushed.outcomes.as_slice(),
        [MutationOutcome::Applied { .. }]
    ));
    assert_eq!(taken.bytes, std::fs::metadata(&file).unwrap().len());
    assert_eq!(taken.sha256.len(), 64);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the backup, no partial file"
    );

    // Again to the same file: refused, and the first backup is as it was.
    let again = server::backup::backup(app.database_url(), &file)
        .await
        .unwrap_err();
    assert!(format!("{again:#}").contains("already exists"), "{again:#}");
    assert_eq!(taken.bytes, std::fs::metadata(&file).unwrap().len());

    // The copy opens as a database holding the note written before it.
    let (copy, _restored) = open_backup(&file).await;
    let before: i64 = server::on_db!(copy, |db| sqlx::query_scalar(
        "SELECT COUNT(*) FROM note_revisions WHERE next_steps = 'バックアップ前'"
    )
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!(before, 1);
}

#[tokio::test]
async fn a_backup_that_cannot_be_written_says_why_in_one_line() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("no such folder").join("dekapan.backup");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["backup", "--to"])
        .arg(&nowhere)
        .env("DEKAPAN_DATABASE_URL", app.database_url())
        .env("RUST_LOG", "off")
        .output()
        .expect("the server binary runs");
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.starts_with("dekapan: "), "{said}");
    assert!(said.contains("no such folder"), "{said}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
