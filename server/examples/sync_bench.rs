//! Sync benchmark: prints figures, asserts nothing. Run it in release mode:
//!
//! ```sh
//! cargo run --release -p server --example sync_bench
//! ```
//!
//! Each figure runs against a real server on a free port over a fresh SQLite file, through HTTP.

use app::domain::{NoteFields, NoteId, VisitId};
use app::sync::{ClientId, Op, PullResponse, PushRequest, PushResponse, Replica};
use chrono::Utc;
use flate2::{write::GzEncoder, Compression};
use leptos::prelude::LeptosOptions;
use reqwest::Client;
use server::{config::Config, Application};
use std::io::Write;
use std::time::Instant;
use uuid::Uuid;

struct Bench {
    base: String,
    db: server::db::Pool,
    _dir: tempfile::TempDir,
}

async fn server() -> Bench {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}/bench.sqlite?mode=rwc", dir.path().display());
    let config = Config::from_lookup(|name| match name {
        "DEKAPAN_DATABASE_URL" => Some(url.clone()),
        "DEKAPAN_ADDR" => Some("127.0.0.1:0".to_owned()),
        _ => None,
    })
    .expect("configuration");
    let leptos = LeptosOptions::builder()
        .output_name("dekapan")
        .site_root("target/site")
        .build();
    let app = Application::build(config, leptos)
        .await
        .expect("the server starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    Bench {
        base,
        db,
        _dir: dir,
    }
}

async fn login(bench: &Bench, login: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .build()
        .expect("a client");
    let res = client
        .post(format!("{}/api/login", bench.base))
        .form(&[
            ("login", login),
            ("password", server::sqlite::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    assert!(res.status().is_success());
    client
}

async fn a_visit_of(bench: &Bench, login: &str) -> VisitId {
    let id: String = server::on_db!(bench.db, |db| sqlx::query_scalar(
        "SELECT v.id FROM visits v JOIN visit_members vm ON vm.visit_id = v.id JOIN staff s ON s.id = vm.staff_id \
         WHERE s.login = $1 ORDER BY v.starts_at LIMIT 1",
    )
    .bind(login)
    .fetch_one(db).await)
    .expect("a visit");
    id.parse().expect("an id")
}

fn note(visit_id: VisitId, n: usize) -> Op {
    Op::CreateNote {
        note_id: NoteId(Uuid::new_v4()),
        visit_id,
        fields: NoteFields {
            met: true,
            met_with: "本人と母".into(),
            mental_state: "表情は穏やかで、睡眠も取れていると話す".into(),
            medication: "内服は継続できている".into(),
            daily_living: "食事は一日二回、買い物は母が同行".into(),
            risks: "特になし".into(),
            agreed: "来週の受診に同行する".into(),
            next_steps: format!("受診予約の確認（{n}）"),
            free_text: "玄関先で20分ほど話した。次回は散歩に誘う。".into(),
        },
    }
}

async fn push_all(bench: &Bench, client: &Client, replica: &mut Replica) -> usize {
    let mut pushed = 0;
    while let Some(request) = replica.push_request() {
        let response: PushResponse = client
            .post(format!("{}/sync/push", bench.base))
            .json(&request)
            .send()
            .await
            .expect("push")
            .json()
            .await
            .expect("a push answer");
        pushed += response.outcomes.len();
        replica.on_push(&response);
    }
    pushed
}

async fn pull_all(bench: &Bench, client: &Client, replica: &mut Replica) -> usize {
    let mut received = 0;
    loop {
        let response: PullResponse = client
            .post(format!("{}/sync/pull", bench.base))
            .json(&replica.pull_request())
            .send()
            .await
            .expect("pull")
            .json()
            .await
            .expect("a pull answer");
        received += response.changes.len();
        let more = response.more;
        replica.on_pull(response);
        if !more {
            return received;
        }
    }
}

/// Adds `n` logged note revisions to a case the nurse is on, straight into the database.
async fn seed_changes(bench: &Bench, case_of: VisitId, n: usize, visible: bool) {
    let case_id: String = if visible {
        server::on_db!(bench.db, |db| sqlx::query_scalar(
            "SELECT case_id FROM visits WHERE id = $1"
        )
        .bind(case_of.to_string())
        .fetch_one(db)
        .await)
        .expect("a case")
    } else {
        Uuid::new_v4().to_string()
    };
    server::on_db!(bench.db, |db| {
        let mut tx = db.begin().await.expect("a transaction");
        let start: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM change_log")
            .fetch_one(&mut *tx)
            .await
            .expect("max seq");
        let data = serde_json::to_string(&note(case_of, 0)).expect("json");
        for i in 0..n {
            sqlx::query("INSERT INTO change_log (seq, case_id, entity, entity_id, data) VALUES ($1, $2, 'note_revision', $3, $4)")
                .bind(start + 1 + i as i64)
                .bind(&case_id)
                .bind(format!("{}/1", Uuid::new_v4()))
                .bind(&data)
                .execute(&mut *tx)
                .await
                .expect("a change");
        }
        tx.commit().await.expect("commit");
    });
}

fn gzip(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip").len()
}

#[tokio::main]
async fn main() {
    println!(
        "Dekapan sync benchmark (SQLite, {} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // 1. One device pushes 1,000 new notes.
    let bench = server().await;
    let nurse = login(&bench, "nurse.sato").await;
    let visit = a_visit_of(&bench, "nurse.sato").await;
    let mut device = Replica::new(ClientId(Uuid::new_v4()));
    for n in 0..1_000 {
        device.record(note(visit, n), Utc::now());
    }
    let started = Instant::now();
    let pushed = push_all(&bench, &nurse, &mut device).await;
    let took = started.elapsed();
    println!(
        "push of {pushed} new notes from one device: {:.0} ms ({:.0} mutations/s)",
        took.as_secs_f64() * 1e3,
        pushed as f64 / took.as_secs_f64()
    );

    // 2. Bytes per note on the wire.
    let request = PushRequest {
        protocol_version: app::sync::PROTOCOL_VERSION,
        client_id: device.client_id,
        mutations: (0..100)
            .map(|n| app::sync::Mutation {
                id: n + 1,
                recorded_at: Utc::now(),
                op: note(visit, n as usize),
            })
            .collect(),
    };
    let json = serde_json::to_vec(&request).expect("json");
    println!(
        "bytes per note on the wire: {} raw JSON, {} gzip (batch of 100)",
        json.len() / 100,
        gzip(&json) / 100
    );

    // 3. First sync of 10,000 records for a new device.
    seed_changes(&bench, visit, 10_000, true).await;
    let mut fresh = Replica::new(ClientId(Uuid::new_v4()));
    let started = Instant::now();
    let received = pull_all(&bench, &nurse, &mut fresh).await;
    println!(
        "first sync of a new device: {received} records in {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );

    // 4. A pull with no changes on a database of 100,000 records.
    seed_changes(&bench, visit, 90_000, false).await;
    pull_all(&bench, &nurse, &mut fresh).await;
    let total: i64 = server::on_db!(bench.db, |db| sqlx::query_scalar(
        "SELECT COUNT(*) FROM change_log"
    )
    .fetch_one(db)
    .await)
    .expect("count");
    let mut times = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let received = pull_all(&bench, &nurse, &mut fresh).await;
        times.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(received, 0);
    }
    times.sort_by(f64::total_cmp);
    println!("empty pull on {total} logged records: median {:.2} ms, p95 {:.2} ms (round trip over loopback)", times[25], times[47]);

    // 5. 50 devices pushing at once.
    let staff = [
        "nurse.sato",
        "nurse.tanaka",
        "psw.suzuki",
        "doctor.ito",
        "csw.takahashi",
        "csw.watanabe",
        "csw.yamamoto",
    ];
    let mut tasks = Vec::new();
    let mut prepared = Vec::new();
    for i in 0..50 {
        let login_name = staff[i % staff.len()];
        let client = login(&bench, login_name).await;
        let visit = a_visit_of(&bench, login_name).await;
        let mut device = Replica::new(ClientId(Uuid::new_v4()));
        for n in 0..200 {
            device.record(note(visit, n), Utc::now());
        }
        prepared.push((client, device));
    }
    let bench = std::sync::Arc::new(bench);
    let started = Instant::now();
    for (client, mut device) in prepared {
        let bench = bench.clone();
        tasks.push(tokio::spawn(async move {
            push_all(&bench, &client, &mut device).await
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("a device");
    }
    let took = started.elapsed();
    println!(
        "50 devices pushing concurrently: {total} mutations in {:.0} ms ({:.0} mutations/s)",
        took.as_secs_f64() * 1e3,
        total as f64 / took.as_secs_f64()
    );
}
