//! Sync benchmark: prints figures, asserts nothing. Run it in release mode:
//!
//! ```sh
//! cargo run --release -p server --example sync_bench
//! DEKAPAN_BENCH_POSTGRES_URL=postgres://dekapan:dekapan@127.0.0.1/postgres \
//!   cargo run --release -p server --example sync_bench   # SQLite and PostgreSQL side by side
//! ```
//!
//! Each figure runs against real server processes (this program started again with `--serve`)
//! on free ports, through HTTP: one over a fresh SQLite file, then, given a PostgreSQL server
//! whose role may create databases, one and three over a fresh PostgreSQL database (commits
//! wait for the disk, as in production). With three, each device talks to one of them, as
//! behind a load balancer.

mod common;

use app::domain::{NoteId, VisitId};
use app::sync::{ClientId, Op, PullResponse, PushRequest, PushResponse, Replica};
use chrono::Utc;
use common::{a_visit_of, cores, login, note_fields, serve_if_asked, server, Bench};
use flate2::{write::GzEncoder, Compression};
use reqwest::Client;
use std::io::Write;
use std::time::Instant;
use uuid::Uuid;

/// A realistic new note on `visit_id`, numbered `n`.
fn note(visit_id: VisitId, n: usize) -> Op {
    Op::CreateNote {
        note_id: NoteId(Uuid::new_v4()),
        visit_id,
        fields: note_fields(n),
    }
}

async fn push_all(bench: &Bench, device: usize, client: &Client, replica: &mut Replica) -> usize {
    let mut pushed = 0;
    while let Some(request) = replica.push_request() {
        let response: PushResponse = client
            .post(format!("{}/sync/push", bench.base(device)))
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
            .post(format!("{}/sync/pull", bench.base(0)))
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
    server::on_db!(bench.db, |db, rules| {
        let mut tx = rules::writes::begin(db).await.expect("a transaction");
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
    if serve_if_asked().await {
        return;
    }
    println!(
        "Dekapan sync benchmark ({} cores; server processes apart from this client)",
        cores()
    );
    bytes_per_note();
    run("SQLite, 1 process", server(None, 1).await).await;
    match std::env::var("DEKAPAN_BENCH_POSTGRES_URL") {
        Ok(admin) => {
            run("PostgreSQL, 1 process", server(Some(&admin), 1).await).await;
            run("PostgreSQL, 3 processes", server(Some(&admin), 3).await).await;
        }
        Err(_) => println!("\n(set DEKAPAN_BENCH_POSTGRES_URL to measure PostgreSQL too)"),
    }
}

/// Bytes per note on the wire (the same on every database).
fn bytes_per_note() {
    let visit = VisitId(Uuid::new_v4());
    let request = PushRequest {
        protocol_version: app::sync::PROTOCOL_VERSION,
        client_id: ClientId(Uuid::new_v4()),
        mutations: (0..100)
            .map(|n| app::sync::Mutation {
                id: n + 1,
                recorded_at: Utc::now(),
                op: note(visit, n as usize),
            })
            .collect(),
        database: None,
        skip_to: None,
    };
    let json = serde_json::to_vec(&request).expect("json");
    println!(
        "bytes per note on the wire: {} raw JSON, {} gzip (batch of 100)",
        json.len() / 100,
        gzip(&json) / 100
    );
}

async fn run(title: &str, bench: Bench) {
    println!("\n{title}");

    // 1. One device pushes 1,000 new notes.
    let nurse = login(&bench, "nurse.sato").await;
    let visit = a_visit_of(&bench, "nurse.sato").await;
    let mut device = Replica::new(ClientId(Uuid::new_v4()));
    for n in 0..1_000 {
        device.record(note(visit, n), Utc::now());
    }
    let started = Instant::now();
    let pushed = push_all(&bench, 0, &nurse, &mut device).await;
    let took = started.elapsed();
    println!(
        "  push of {pushed} new notes from one device: {:.0} ms ({:.0} mutations/s)",
        took.as_secs_f64() * 1e3,
        pushed as f64 / took.as_secs_f64()
    );

    // 2. 50 devices pushing at once, spread over the processes.
    let staff = [
        "nurse.sato",
        "nurse.tanaka",
        "psw.suzuki",
        "doctor.ito",
        "csw.takahashi",
        "csw.watanabe",
        "csw.yamamoto",
    ];
    let mut prepared = Vec::new();
    for i in 0..50 {
        let login_name = staff[i % staff.len()];
        let client = login(&bench, login_name).await;
        let visit = a_visit_of(&bench, login_name).await;
        let mut device = Replica::new(ClientId(Uuid::new_v4()));
        for n in 0..200 {
            device.record(note(visit, n), Utc::now());
        }
        prepared.push((i, client, device));
    }
    let bench = std::sync::Arc::new(bench);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, client, mut device) in prepared {
        let bench = bench.clone();
        tasks.push(tokio::spawn(async move {
            push_all(&bench, i, &client, &mut device).await
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("a device");
    }
    let took = started.elapsed();
    println!(
        "  50 devices pushing 200 notes each at once: {total} mutations in {:.0} ms ({:.0} mutations/s)",
        took.as_secs_f64() * 1e3,
        total as f64 / took.as_secs_f64()
    );
    let bench = std::sync::Arc::into_inner(bench).expect("the devices are done");

    // 3. First sync of a new device: the demo's records and 10,000 more.
    seed_changes(&bench, visit, 10_000, true).await;
    let mut fresh = Replica::new(ClientId(Uuid::new_v4()));
    let started = Instant::now();
    let received = pull_all(&bench, &nurse, &mut fresh).await;
    println!(
        "  first sync of a new device: {received} records in {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );

    // 4. A pull with no changes on a log of 100,000 records and more.
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
    println!(
        "  empty pull on {total} logged records: median {:.2} ms, p95 {:.2} ms (round trip over loopback)",
        times[25], times[47]
    );
    bench.stop().await;
}
