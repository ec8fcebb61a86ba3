//! A server process killed with SIGKILL in the middle of a large push loses nothing and applies
//! nothing twice: each mutation commits together with the device's counter. Asked to stop with
//! SIGTERM, it finishes the push first and exits cleanly.

use crate::helpers::{first_visit_on, sign_in_at, start_process, TestDatabase};
use app::domain::{NoteFields, NoteId, VisitId};
use app::sync::{ClientId, Op, PushResponse, Replica, MAX_PUSH_BATCH};
use chrono::Utc;
use reqwest::{Client, StatusCode};
use std::process::{Child, Command};
use std::time::Duration;
use uuid::Uuid;

/// The device's counter as the server committed it.
async fn counter(db: &server::db::Pool, client: &str) -> i64 {
    server::on_db!(db, |db| sqlx::query_scalar::<_, i64>(
        "SELECT last_mutation_id FROM sync_clients WHERE client_id = $1"
    )
    .bind(client)
    .fetch_optional(db)
    .await)
    .unwrap()
    .unwrap_or(0)
}

/// A server over a fresh database, a signed-in nurse, and a device holding a full batch of
/// new notes (each marked, so they can be counted) that it has not sent yet.
struct BigPush {
    url: String,
    db: server::db::Pool,
    request: app::sync::PushRequest,
    client_id: String,
    marker: String,
    _database: TestDatabase,
}

impl BigPush {
    async fn prepare() -> (BigPush, Child, String, Client) {
        let database = TestDatabase::new().await;
        let url = database.url.clone();
        let (server, base) = start_process(&url, &[]);
        let db = server::db::connect(&url, Duration::from_secs(5))
            .await
            .unwrap();
        let nurse = sign_in_at(&base, "nurse.sato").await;
        let visit = first_visit_on(&db, "nurse.sato").await;
        let mut replica = Replica::new(ClientId(Uuid::new_v4()));
        let marker = format!("batch-{}", Uuid::new_v4());
        for n in 0..MAX_PUSH_BATCH {
            replica.record(
                Op::CreateNote {
                    note_id: NoteId(Uuid::new_v4()),
                    visit_id: visit.parse::<VisitId>().unwrap(),
                    fields: NoteFields {
                        met: true,
                        met_with: "本人".into(),
                        mental_state: "安定".into(),
                        next_steps: format!("{marker}-{n}"),
                        ..Default::default()
                    },
                },
                Utc::now(),
            );
        }
        let push = BigPush {
            url,
            db,
            request: replica.push_request().unwrap(),
            client_id: replica.client_id.0.to_string(),
            marker,
            _database: database,
        };
        (push, server, base, nurse)
    }

    /// Sends the batch in the background.
    fn send(
        &self,
        nurse: &Client,
        base: &str,
    ) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
        let (nurse, url, request) = (
            nurse.clone(),
            format!("{base}/sync/push"),
            self.request.clone(),
        );
        tokio::spawn(async move { nurse.post(url).json(&request).send().await })
    }

    /// The batch's notes the server has committed.
    async fn committed(&self) -> i64 {
        server::on_db!(self.db, |db| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM note_revisions WHERE next_steps LIKE $1"
        )
        .bind(format!("{}-%", self.marker))
        .fetch_one(db)
        .await)
        .unwrap()
    }

    /// Waits until some of the batch has committed; how many.
    async fn some_committed(&self) -> i64 {
        for _ in 0..2_000 {
            let committed = self.committed().await;
            if committed > 0 {
                return committed;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("nothing of the batch committed");
    }

    /// Every note of the batch is on the server exactly once.
    async fn assert_all_exactly_once(&self) {
        assert_eq!(
            self.committed().await,
            MAX_PUSH_BATCH as i64,
            "every note exactly once"
        );
        let distinct: i64 = server::on_db!(self.db, |db| sqlx::query_scalar(
            "SELECT COUNT(DISTINCT next_steps) FROM note_revisions WHERE next_steps LIKE $1",
        )
        .bind(format!("{}-%", self.marker))
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(distinct, MAX_PUSH_BATCH as i64);
    }
}

#[tokio::test]
async fn a_push_cut_off_by_sigkill_is_applied_exactly_once_after_a_retry() {
    let (batch, mut server, base, nurse) = BigPush::prepare().await;

    // Push, and kill the server once some but not all of the batch has committed.
    let push = batch.send(&nurse, &base);
    let partial = batch.some_committed().await;
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    assert!(
        push.await.unwrap().is_err() || partial == MAX_PUSH_BATCH as i64,
        "the push was cut off"
    );

    // What committed, committed with the counter: as many notes as the counter says.
    let last = counter(&batch.db, &batch.client_id).await;
    let committed = batch.committed().await;
    eprintln!("committed before the kill: {committed} of {MAX_PUSH_BATCH}");
    assert_eq!(
        committed, last,
        "notes and the device's counter committed together"
    );

    // After a restart, the device retries the very same batch.
    let (mut server, base) = start_process(&batch.url, &[]);
    let nurse = sign_in_at(&base, "nurse.sato").await;
    let res = nurse
        .post(format!("{base}/sync/push"))
        .json(&batch.request)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let response: PushResponse = res.json().await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();

    assert_eq!(response.last_mutation_id, MAX_PUSH_BATCH as u64);
    batch.assert_all_exactly_once().await;
}

#[tokio::test]
async fn sigterm_during_a_push_lets_it_finish_then_exits_0() {
    let (batch, mut server, base, nurse) = BigPush::prepare().await;

    // Push, and ask the server to stop (as systemd or a container runtime does) once some of
    // the batch has committed.
    let push = batch.send(&nurse, &base);
    batch.some_committed().await;
    let asked = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(asked.success());

    // The push in flight finishes and the device hears that all of it was applied.
    let res = push.await.unwrap().expect("the push in flight is answered");
    assert_eq!(res.status(), StatusCode::OK);
    let response: PushResponse = res.json().await.unwrap();
    assert_eq!(response.last_mutation_id, MAX_PUSH_BATCH as u64);
    assert_eq!(response.outcomes.len(), MAX_PUSH_BATCH);

    // Then the server stops by itself, as a clean exit, and takes no more requests.
    let status = server.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a clean exit");
    assert!(nurse.get(format!("{base}/health")).send().await.is_err());
    batch.assert_all_exactly_once().await;
}
