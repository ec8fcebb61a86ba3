//! Starting the server: which database `/health` reports, the demo logged for devices once,
//! and the one-line refusals an operator reads when the database cannot be used (exit code 1,
//! nothing half migrated).

use crate::helpers::{on_postgres, spawn_app, TestDatabase};
use reqwest::StatusCode;
use server::db::Kind;
use std::process::Command;

/// Runs the real server binary over `url` until it gives up; its exit code and what it said.
fn start_and_fail(url: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DEKAPAN_DATABASE_URL", url)
        .env("DEKAPAN_ADDR", "127.0.0.1:0")
        .env("DEKAPAN_DATABASE_WAIT_SECONDS", "1")
        .env("LEPTOS_OUTPUT_NAME", "dekapan")
        .env("RUST_LOG", "off")
        .output()
        .expect("the server binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn health_names_the_database_it_answers_for() {
    let app = spawn_app().await;
    let (status, body) = app.health().await;
    assert_eq!(status, StatusCode::OK);
    let kind = if on_postgres() { "postgres" } else { "sqlite" };
    assert_eq!(
        body,
        serde_json::json!({ "status": "ok", "database": kind })
    );
}

#[tokio::test]
async fn the_demo_is_logged_once_as_it_is_written_and_a_restart_logs_nothing() {
    let mut app = spawn_app().await;
    let logged = |kind: &'static str| {
        format!("SELECT COUNT(DISTINCT entity_id) FROM change_log WHERE entity = '{kind}'")
    };
    let cases = app.count("SELECT COUNT(*) FROM cases").await;
    assert!(cases > 0, "the demo has cases");
    assert_eq!(app.count(&logged("case")).await, cases, "every case");
    assert_eq!(app.count(&logged("team")).await, cases, "every team");
    assert_eq!(
        app.count(&logged("visit")).await,
        app.count("SELECT COUNT(*) FROM visits").await,
        "every visit"
    );
    assert_eq!(
        app.count(&logged("note_revision")).await,
        app.count("SELECT COUNT(*) FROM note_revisions").await,
        "every note revision"
    );
    let entries = app.count("SELECT COUNT(*) FROM change_log").await;
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT entity || entity_id) FROM change_log")
            .await,
        entries,
        "each record once"
    );
    app.restart().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM change_log").await,
        entries,
        "a restart finds the demo there and logs nothing"
    );
}

#[tokio::test]
async fn health_answers_503_while_postgres_does_not_answer() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let admin = std::env::var("DEKAPAN_TEST_POSTGRES_URL").unwrap();
    let name = app.database_url().rsplit('/').next().unwrap().to_owned();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    // The database refuses every connection, and those open are cut.
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&mut conn)
        .await
        .unwrap();
    app.cut_connections().await;
    let (status, body) = app.health().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["database"], "postgres");
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        app.health().await.0,
        StatusCode::OK,
        "it recovers on its own"
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_used_stops_the_start_with_one_line() {
    // Nobody listens: the server waits (one second here), then names the place.
    let (code, said) = start_and_fail("postgres://dekapan:dekapan@127.0.0.1:1/dekapan");
    assert_eq!(code, Some(1));
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(
        said.contains("PostgreSQL at 127.0.0.1:1") && said.contains("waited 1 s"),
        "{said}"
    );

    if !on_postgres() {
        return;
    }
    let database = TestDatabase::of(Kind::Postgres).await;
    // A wrong password is refused at once.
    let wrong = database
        .url
        .replacen("dekapan:dekapan@", "dekapan:not-the-password@", 1);
    let (code, said) = start_and_fail(&wrong);
    assert_eq!(code, Some(1));
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(said.contains("wrong password"), "{said}");

    // A database a newer build migrated is left as it is.
    let pool = server::db::connect(&database.url, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    server::on_db!(pool, |db| sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from a newer build', TRUE, '\\x00', 0)"
    )
    .execute(db)
    .await
    .map(drop))
    .unwrap();
    let (code, said) = start_and_fail(&database.url);
    assert_eq!(code, Some(1));
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(said.contains("migrated by a newer build"), "{said}");
}

#[tokio::test]
async fn moments_kept_as_text_by_the_first_postgres_schema_survive_the_upgrade() {
    // A database made by the first PostgreSQL schema, which kept moments as text.
    let database = TestDatabase::of(Kind::Postgres).await;
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let mut first = sqlx::migrate::Migrator::new(std::path::Path::new("migrations/postgres"))
        .await
        .unwrap();
    first.migrations = first.migrations[..1].to_vec().into();
    first.run(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO agencies (id, kind, name_ja, name_en) VALUES ('a', 'hospital', '病院', 'Hospital')",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO staff (id, login, display_name, role, home_agency_id, acts_for_agency_id, \
           password_hash, created_at) VALUES ('s', 'nurse', '看護師', 'nurse', 'a', 'a', 'x', \
           '2026-11-30T01:02:03Z')",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    // This build migrates it on start, and the moment is the same moment.
    let upgraded = server::db::connect(&database.url, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    let created: server::db::Stamp = server::on_db!(upgraded, |db| sqlx::query_scalar(
        "SELECT created_at FROM staff WHERE id = 's'"
    )
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!(created.to_string(), "2026-11-30T01:02:03Z");
}
