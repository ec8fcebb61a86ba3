//! `server copy-database`: a site moves from SQLite to PostgreSQL (and back) with everything in
//! it, devices sync on from their cursors, and a target that holds anything is refused untouched.

use crate::helpers::{spawn_app_on, spawn_app_over, TestDatabase};
use crate::sync::{new_note, pull_all, pull_once, push};
use app::sync::records::RevisionRecord;
use app::sync::{ClientId, MutationOutcome, Op, PushResponse, Replica};
use chrono::Utc;
use reqwest::StatusCode;
use server::copy::{copy_database, known_columns, known_moments};
use server::db::{self, Kind, Pool};
use std::collections::BTreeSet;
use std::time::Duration;
use uuid::Uuid;

async fn open(url: &str) -> Pool {
    db::open(url, Duration::from_secs(5)).await.unwrap()
}

/// Rows in every table, by table.
async fn counts(pool: &Pool) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for (table, _) in known_columns() {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 =
            server::on_db!(pool, |db| sqlx::query_scalar(&sql).fetch_one(db).await).unwrap();
        counts.push((table, n));
    }
    counts
}

#[tokio::test]
async fn a_site_moves_to_postgres_and_back_and_devices_sync_on() {
    // A site on SQLite with a device that has sent a note, suggested a business of the
    // directory to the team, and is up to date.
    let site = spawn_app_on(Kind::Sqlite).await;
    let nurse = site.signed_in_client("nurse.sato").await;
    let visit = site.first_visit_of("nurse.sato").await;
    let listing = site.reference(&nurse).await.directory[0].clone();
    let mut phone = Replica::new(ClientId(Uuid::new_v4()));
    phone.record(new_note(&visit, "移行の前"), Utc::now());
    phone.record(
        Op::SuggestListing {
            suggestion_id: Uuid::new_v4(),
            case_id: site.case_of_visit(&visit).await.parse().unwrap(),
            business: listing.business,
            hub: listing.hub,
        },
        Utc::now(),
    );
    let sent = phone.push_request().unwrap();
    push(&site, &nurse, &mut phone).await;
    pull_all(&site, &nurse, &mut phone).await;
    let cursor = phone.cursor;
    let before = counts(&site.db).await;
    assert!(before.contains(&("case_suggestions", 1)), "{before:?}");

    // Copied into an empty PostgreSQL database: every table, row for row.
    let postgres = TestDatabase::of(Kind::Postgres).await;
    let copied = copy_database(site.database_url(), &postgres.url, |_, _| {})
        .await
        .unwrap();
    assert_eq!(copied.0.len(), before.len());
    let target = open(&postgres.url).await;
    assert_eq!(counts(&target).await, before);
    let written = "SELECT recorded_at FROM note_revisions ORDER BY recorded_at DESC LIMIT 1";
    assert_eq!(
        moment(&target, written).await,
        moment(&site.db, written).await,
        "a moment arrives as the same moment"
    );

    // Copying again, or into any database holding data, is refused and writes nothing.
    let again = copy_database(site.database_url(), &postgres.url, |_, _| {})
        .await
        .unwrap_err();
    assert!(format!("{again:#}").contains("not empty"), "{again:#}");
    assert_eq!(counts(&target).await, before);
    let back_onto_itself = copy_database(&postgres.url, site.database_url(), |_, _| {})
        .await
        .unwrap_err();
    assert!(format!("{back_onto_itself:#}").contains("not empty"));

    // The site runs on PostgreSQL now. The nurse's session came along; her phone's retry is
    // known as sent, and a pull from its cursor brings only what is new, not the whole case.
    let moved = spawn_app_over(postgres, &[]).await;
    let retry = moved.sync_as(&nurse, "push", &sent).await;
    assert_eq!(retry.status(), StatusCode::OK);
    let retry: PushResponse = retry.json().await.unwrap();
    assert!(matches!(
        retry.outcomes.as_slice(),
        [
            MutationOutcome::Duplicate { .. },
            MutationOutcome::Duplicate { .. }
        ]
    ));
    phone.record(new_note(&visit, "移行の後"), Utc::now());
    push(&moved, &nurse, &mut phone).await;
    let page = pull_once(&moved, &nurse, &phone).await;
    assert!(page.changes.iter().all(|c| c.seq > cursor));
    let new_notes: Vec<_> = page
        .changes
        .iter()
        .filter_map(|c| c.get::<RevisionRecord>())
        .collect();
    assert_eq!(new_notes.len(), 1, "only the note written after the move");
    assert_eq!(new_notes[0].fields.next_steps, "移行の後");

    // And back to a new SQLite file, everything again.
    let sqlite = TestDatabase::of(Kind::Sqlite).await;
    let after = counts(&moved.db).await;
    copy_database(moved.database_url(), &sqlite.url, |_, _| {})
        .await
        .unwrap();
    assert_eq!(counts(&open(&sqlite.url).await).await, after);
}

/// A moment read from either kind of database.
async fn moment(pool: &Pool, sql: &str) -> db::Stamp {
    server::on_db!(pool, |db| sqlx::query_scalar(sql).fetch_one(db).await).unwrap()
}

/// Every table and column of a migrated database, of either kind.
async fn schema(pool: &Pool) -> BTreeSet<(String, String)> {
    let rows: Vec<(String, String)> = server::on_db!(pool, |db| match pool.kind() {
        Kind::Sqlite => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '_sqlx_migrations'",
        )
        .fetch_all(db)
        .await,
        Kind::Postgres => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name != '_sqlx_migrations'",
        )
        .fetch_all(db)
        .await,
    })
    .unwrap();
    rows.into_iter().collect()
}

#[tokio::test]
async fn the_copy_knows_every_column_of_both_schemas() {
    let known: BTreeSet<(String, String)> = known_columns()
        .into_iter()
        .flat_map(|(table, columns)| {
            columns
                .into_iter()
                .map(move |column| (table.to_owned(), column.to_owned()))
        })
        .collect();
    for kind in [Kind::Sqlite, Kind::Postgres] {
        let database = TestDatabase::of(kind).await;
        let pool = db::connect(&database.url, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(schema(&pool).await, known, "{kind:?}");
    }
}

#[tokio::test]
async fn every_moment_is_a_timestamp_on_postgres() {
    let database = TestDatabase::of(Kind::Postgres).await;
    let pool = db::connect(&database.url, Duration::from_secs(5))
        .await
        .unwrap();
    let timestamps: BTreeSet<(String, String)> = server::on_db!(pool, |db| sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND data_type = 'timestamp with time zone' \
           AND table_name != '_sqlx_migrations'",
    )
    .fetch_all(db)
    .await)
    .unwrap()
    .into_iter()
    .collect();
    let moments: BTreeSet<(String, String)> = known_moments()
        .into_iter()
        .map(|(table, column)| (table.to_owned(), column.to_owned()))
        .collect();
    assert_eq!(timestamps, moments);
    assert!(moments.contains(&("note_revisions".to_owned(), "recorded_at".to_owned())));
}
