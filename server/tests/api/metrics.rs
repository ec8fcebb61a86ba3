//! `/metrics` for operators: in the Prometheus text format, only on its own address, counting
//! what the devices did.

use crate::helpers::{first_visit_on, sign_in_at, start_process_saying, TestDatabase};
use crate::sync::new_note;
use app::domain::VisitId;
use app::sync::{ClientId, PushResponse, Replica};
use chrono::Utc;
use reqwest::StatusCode;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test]
async fn metrics_count_what_devices_did_only_on_their_own_address() {
    let database = TestDatabase::new().await;
    let mut metrics = None;
    let (mut server, base) = start_process_saying(
        &database.url,
        &[("DEKAPAN_METRICS_ADDR", "127.0.0.1:0")],
        |line| {
            if let Some((_, url)) = line.split_once("monitoring on ") {
                metrics = Some(url.trim().to_owned());
            }
        },
    );
    let metrics = metrics.expect("the server says where its metrics are");
    let db = server::db::connect(&database.url, Duration::from_secs(5))
        .await
        .unwrap();
    let visit = first_visit_on(&db, "nurse.sato").await;

    // A nurse signs in and pushes two notes: one on her visit, one on a visit that does not
    // exist (refused).
    let nurse = sign_in_at(&base, "nurse.sato").await;
    let mut phone = Replica::new(ClientId(Uuid::new_v4()));
    phone.record(new_note(&visit, "計測"), Utc::now());
    phone.record(
        new_note(&VisitId(Uuid::new_v4()).to_string(), "存在しない訪問"),
        Utc::now(),
    );
    let res = nurse
        .post(format!("{base}/sync/push"))
        .json(&phone.push_request().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let _: PushResponse = res.json().await.unwrap();

    let scraped = reqwest::get(&metrics).await.unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(scraped.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = scraped.text().await.unwrap();
    for expected in [
        r#"dekapan_mutations_total{outcome="applied"} 1"#,
        r#"dekapan_mutations_total{outcome="rejected"} 1"#,
        r#"dekapan_http_requests_total{route="/sync/push",status="200"} 1"#,
        r#"dekapan_sync_duration_seconds_count{call="push"} 1"#,
        "dekapan_sessions 1",
        "dekapan_devices_waiting_over_a_day 0",
        r#"dekapan_database_connections{state="idle"}"#,
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }

    // The public address has no metrics.
    let public = nurse.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    assert!(!public
        .text()
        .await
        .unwrap()
        .contains("dekapan_mutations_total"));
    server.kill().unwrap();
    server.wait().unwrap();
}
