//! `server restore`: last night's backup put back in place of the database loses nothing that a
//! device still holds. Devices learn of the restore at their next sync, send again what they
//! keep of what they sent since, and pull afresh; every note ends on the server exactly once,
//! and the restored audit log records the restore. A bad backup, a database in use, or one
//! holding data without `--replace` is refused in one line, and the database stays as it was.

use crate::helpers::{on_postgres, spawn_app, TestApp, TestDatabase};
use crate::sync::{device, new_note};
use app::sync::{Op, PullResponse, PushResponse, Replica, SyncError};
use chrono::Utc;
use reqwest::Client;
use std::path::Path;

/// Syncs as the app does: pushes everything, then pulls everything. Told of a restore, the
/// device takes it in ([`Replica::on_restored`]) and syncs again.
async fn sync(app: &TestApp, client: &Client, replica: &mut Replica) {
    for _ in 0..3 {
        match sync_once(app, client, replica).await {
            Ok(()) => return,
            Err(SyncError::Restored {
                database,
                last_mutation_id,
            }) => replica.on_restored(database, last_mutation_id),
            Err(other) => panic!("the sync was refused: {other}"),
        }
    }
    panic!("told of a restore again and again");
}

async fn sync_once(app: &TestApp, client: &Client, replica: &mut Replica) -> Result<(), SyncError> {
    while let Some(request) = replica.push_request() {
        let res = app.sync_as(client, "push", &request).await;
        if !res.status().is_success() {
            return Err(res.json().await.expect("a refusal"));
        }
        replica.on_push(&res.json::<PushResponse>().await.expect("an answer"));
    }
    loop {
        let res = app.sync_as(client, "pull", &replica.pull_request()).await;
        if !res.status().is_success() {
            return Err(res.json().await.expect("a refusal"));
        }
        let page: PullResponse = res.json().await.expect("a page");
        let more = page.more;
        replica.on_pull(page);
        if !more {
            return Ok(());
        }
    }
}

/// Writes a note on the device; its id.
fn write(replica: &mut Replica, visit: &str, text: &str) -> String {
    let op = new_note(visit, text);
    let Op::CreateNote { note_id, .. } = &op else {
        unreachable!("a new note");
    };
    let id = note_id.0.to_string();
    replica.record(op, Utc::now());
    id
}

/// How many times the server holds a note, and its revisions.
async fn held(app: &TestApp, note: &str) -> (i64, i64) {
    (
        app.count(&format!("SELECT COUNT(*) FROM notes WHERE id = '{note}'"))
            .await,
        app.count(&format!(
            "SELECT COUNT(*) FROM note_revisions WHERE note_id = '{note}'"
        ))
        .await,
    )
}

/// Whether the device holds a note's first revision as pulled.
fn pulled(replica: &Replica, note: &str) -> bool {
    replica
        .records
        .contains_key(&("note_revision".to_owned(), format!("{note}/1")))
}

#[tokio::test]
async fn a_restore_to_last_nights_backup_loses_nothing_a_device_holds() {
    let mut app = spawn_app().await;
    let sato = app.signed_in_client("nurse.sato").await;
    let suzuki = app.signed_in_client("psw.suzuki").await;
    let takahashi = app.signed_in_client("csw.takahashi").await;
    let (sato_visit, suzuki_visit, takahashi_visit) = (
        app.first_visit_of("nurse.sato").await,
        app.first_visit_of("psw.suzuki").await,
        app.first_visit_of("csw.takahashi").await,
    );
    let (mut phone, mut tablet, mut old_phone) = (device(), device(), device());

    // Evening: each device syncs a note.
    let mut on_phone = vec![write(&mut phone, &sato_visit, "前日の記録")];
    let mut on_tablet = vec![write(&mut tablet, &suzuki_visit, "前日の記録")];
    let on_old_phone = write(&mut old_phone, &takahashi_visit, "前日の記録");
    sync(&app, &sato, &mut phone).await;
    sync(&app, &suzuki, &mut tablet).await;
    sync(&app, &takahashi, &mut old_phone).await;

    // Last night's backup.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nightly.backup");
    server::backup::backup(app.database_url(), &file)
        .await
        .unwrap();

    // Morning: more notes, sent and acknowledged; one more on the phone, not sent yet.
    on_phone.push(write(&mut phone, &sato_visit, "朝の記録"));
    on_phone.push(write(&mut phone, &sato_visit, "昼の記録"));
    on_tablet.push(write(&mut tablet, &suzuki_visit, "朝の記録"));
    // And a business of the directory suggested to the phone's case team.
    let listing = app.reference(&sato).await.directory[0].clone();
    let sato_case: app::domain::CaseId = app.case_of_visit(&sato_visit).await.parse().unwrap();
    phone.record(
        Op::SuggestListing {
            suggestion_id: uuid::Uuid::new_v4(),
            case_id: sato_case,
            business: listing.business,
            hub: listing.hub,
        },
        Utc::now(),
    );
    let lost = write(&mut old_phone, &takahashi_visit, "朝の記録");
    sync(&app, &sato, &mut phone).await;
    sync(&app, &suzuki, &mut tablet).await;
    sync(&app, &takahashi, &mut old_phone).await;
    on_phone.push(write(&mut phone, &sato_visit, "電波のない所で"));
    // This device no longer keeps what it sent (its time was up) but has a new note waiting.
    old_phone.sent.clear();
    let waiting_on_old_phone = write(&mut old_phone, &takahashi_visit, "夕方の記録");
    for note in on_phone[..3].iter().chain(&on_tablet) {
        assert_eq!(held(&app, note).await, (1, 1), "synced before the loss");
    }

    // The database is lost; last night's backup goes back in its place.
    app.stop().await;
    let restored = server::restore::restore(app.database_url(), &file, true)
        .await
        .unwrap();
    assert_eq!(restored.bytes, std::fs::metadata(&file).unwrap().len());
    app.start().await;
    assert_eq!(
        held(&app, &on_phone[1]).await,
        (0, 0),
        "the backup lacks the morning"
    );

    sync(&app, &sato, &mut phone).await;
    sync(&app, &suzuki, &mut tablet).await;
    sync(&app, &takahashi, &mut old_phone).await;
    for note in on_phone.iter().chain(&on_tablet) {
        assert_eq!(held(&app, note).await, (1, 1), "every note once, {note}");
    }
    assert_eq!(held(&app, &on_old_phone).await, (1, 1));
    assert_eq!(
        held(&app, &waiting_on_old_phone).await,
        (1, 1),
        "a device that kept nothing still sends what waits"
    );
    assert_eq!(
        held(&app, &lost).await,
        (0, 0),
        "what no device keeps is not there"
    );
    assert!(
        on_phone.iter().all(|n| pulled(&phone, n)),
        "the phone holds every note again"
    );
    assert!(on_tablet.iter().all(|n| pulled(&tablet, n)));
    let suggested = "SELECT COUNT(*) FROM case_suggestions";
    assert_eq!(app.count(suggested).await, 1, "the suggestion, sent again");
    let page = phone
        .local_case(
            sato_case,
            app.staff("nurse.sato").await,
            &app.reference(&sato).await,
        )
        .unwrap();
    assert_eq!(page.suggestions.len(), 1);
    assert!(!page.suggestions[0].unsent);
    assert!(phone.outbox.is_empty() && tablet.outbox.is_empty() && old_phone.outbox.is_empty());

    // Synced again: nothing more is sent or written.
    let revisions = app.count("SELECT COUNT(*) FROM note_revisions").await;
    sync(&app, &sato, &mut phone).await;
    sync(&app, &suzuki, &mut tablet).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM note_revisions").await,
        revisions
    );

    // The restored audit log records the restore, naming the backup and its checksum.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'restore_database' \
             AND record_id = 'nightly.backup sha256:{}'",
            restored.sha256
        ))
        .await,
        1
    );
}

/// Runs `server restore` as an operator would; its exit code and what it said on stderr.
fn restore_command(url: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("restore")
        .args(args)
        .env("DEKAPAN_DATABASE_URL", url)
        .env("RUST_LOG", "off")
        .output()
        .expect("the server binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts a refusal in one line that names `cause`.
fn refused(outcome: (Option<i32>, String), cause: &str) {
    let (code, said) = outcome;
    assert_eq!(code, Some(1), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.starts_with("dekapan: "), "{said}");
    assert!(said.contains(cause), "{cause:?} in {said}");
}

/// A backup whose schema names a migration this build does not know.
async fn from_a_newer_build(backup: &Path, to: &Path) {
    if !on_postgres() {
        std::fs::copy(backup, to).unwrap();
        let url = format!("sqlite://{}", to.display());
        let pool = server::db::open(&url, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        server::on_db!(pool, |db| sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
             VALUES (99999, 'from the future', '2030-01-01', 1, x'00', 0)"
        )
        .execute(db)
        .await
        .map(|_| ()))
        .unwrap();
        pool.close().await;
        return;
    }
    let scratch = TestDatabase::of(server::db::Kind::Postgres).await;
    let status = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname", &scratch.url])
        .arg(backup)
        .status()
        .unwrap();
    assert!(status.success());
    let status = std::process::Command::new("psql")
        .args(["-q", "-c"])
        .arg(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99999, 'from the future', true, '\\x00', 0)",
        )
        .arg(&scratch.url)
        .status()
        .unwrap();
    assert!(status.success());
    let status = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(to)
        .arg(&scratch.url)
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn a_bad_backup_or_a_database_in_use_is_refused_in_one_line_and_nothing_changes() {
    let mut app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.backup");
    server::backup::backup(app.database_url(), &good)
        .await
        .unwrap();
    let url = app.database_url().to_owned();
    let notes = app.count("SELECT COUNT(*) FROM note_revisions").await;
    let identity = identity_of(&app).await;

    // A server uses the database.
    refused(
        restore_command(&url, &["--from", good.to_str().unwrap(), "--replace"]),
        "stop every server first",
    );
    app.stop().await;

    // Not told to replace a database that holds data.
    refused(
        restore_command(&url, &["--from", good.to_str().unwrap()]),
        "--replace",
    );

    // Files that are no backup, or not whole, or of a newer build.
    let missing = dir.path().join("no such file.backup");
    refused(
        restore_command(&url, &["--from", missing.to_str().unwrap(), "--replace"]),
        "no such file.backup",
    );
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a backup at all").unwrap();
    refused(
        restore_command(&url, &["--from", text.to_str().unwrap(), "--replace"]),
        "is not a backup",
    );
    let cut = dir.path().join("cut.backup");
    let whole = std::fs::read(&good).unwrap();
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let (code, said) = restore_command(&url, &["--from", cut.to_str().unwrap(), "--replace"]);
    refused((code, said.clone()), "cut.backup");
    let newer = dir.path().join("newer.backup");
    from_a_newer_build(&good, &newer).await;
    refused(
        restore_command(&url, &["--from", newer.to_str().unwrap(), "--replace"]),
        "newer build",
    );
    let (code, said) = restore_command(&url, &["--form", good.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(said.contains("usage: server restore"), "{said}");

    // The database is as it was: the same notes, and its identity.
    app.start().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM note_revisions").await,
        notes
    );
    assert_eq!(identity_of(&app).await, identity);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'restore_database'")
            .await,
        0
    );
    if let Some(file) = server::db::sqlite_file(&url) {
        let beside = std::fs::read_dir(file.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with("dekapan.sqlite"))
            .collect::<Vec<_>>();
        assert!(
            beside.is_empty(),
            "nothing left beside the database: {beside:?}"
        );
    }
}

async fn identity_of(app: &TestApp) -> String {
    server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT id FROM database_identity"
    )
    .fetch_one(db)
    .await)
    .unwrap()
}
