//! Load test: a city's field team at once, sped up. Prints figures, asserts only that nothing
//! was lost or doubled. Run it in release mode:
//!
//! ```sh
//! cargo run --release -p server --example load_test
//! DEKAPAN_BENCH_POSTGRES_URL=postgres://dekapan:dekapan@127.0.0.1/postgres \
//!   cargo run --release -p server --example load_test    # and PostgreSQL with 3 processes
//! ```
//!
//! 200 devices (the native replica, over real HTTP on loopback to real server processes) each
//! sign in as one of the demo's field staff and take their first sync; then, for 60 s, each writes
//! a note on one of its visits or amends its last one every 1–3 s (a day's work in minutes) and
//! syncs after each (a push and the pulls that bring the team's changes). At the end every note
//! and amendment a device wrote must be on the server exactly once.

mod common;

use app::domain::{NoteFields, NoteId, VisitId};
use app::sync::{ClientId, MutationOutcome, Op, PullResponse, PushResponse, Replica};
use chrono::Utc;
use common::{a_visit_of, cores, login, note_fields, serve_if_asked, server, Bench};
use rand::Rng;
use reqwest::Client;
use std::time::{Duration, Instant};
use uuid::Uuid;

const DEVICES: usize = 200;
const RUN: Duration = Duration::from_secs(60);

/// What one device saw.
#[derive(Default)]
struct Tally {
    /// Each page of the first sync, taken by all devices at once at the start.
    first: Vec<Duration>,
    push: Vec<Duration>,
    /// Pulls while at work.
    pull: Vec<Duration>,
    errors: usize,
    refused: usize,
    notes: usize,
    amendments: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.first.extend(other.first);
        self.push.extend(other.push);
        self.pull.extend(other.pull);
        self.errors += other.errors;
        self.refused += other.refused;
        self.notes += other.notes;
        self.amendments += other.amendments;
    }
}

/// Posts a sync request; the answer and how long it took, or none when it failed.
async fn sync<T: serde::de::DeserializeOwned>(
    client: &Client,
    url: String,
    body: &impl serde::Serialize,
) -> Option<(T, Duration)> {
    let started = Instant::now();
    let answer = client.post(url).json(body).send().await.ok()?;
    let answer = answer.error_for_status().ok()?.json().await.ok()?;
    Some((answer, started.elapsed()))
}

/// One device's push of everything it holds, timed; false when it failed.
async fn push(base: &str, client: &Client, replica: &mut Replica, tally: &mut Tally) -> bool {
    while let Some(request) = replica.push_request() {
        let url = format!("{base}/sync/push");
        let Some((response, took)) = sync::<PushResponse>(client, url, &request).await else {
            return false;
        };
        tally.push.push(took);
        tally.refused += response
            .outcomes
            .iter()
            .filter(|o| matches!(o, MutationOutcome::Rejected { .. }))
            .count();
        replica.on_push(&response);
    }
    true
}

/// One device's pulls until it is up to date, each timed; false when one failed.
async fn pull(base: &str, client: &Client, replica: &mut Replica, tally: &mut Tally) -> bool {
    loop {
        let url = format!("{base}/sync/pull");
        let asked = replica.pull_request();
        let Some((response, took)) = sync::<PullResponse>(client, url, &asked).await else {
            return false;
        };
        tally.pull.push(took);
        let more = response.more;
        replica.on_pull(response);
        if !more {
            return true;
        }
    }
}

/// A device at work until `until`: a note or an amendment every 1–3 s, each synced at once.
async fn field_device(
    base: String,
    client: Client,
    visit: VisitId,
    marker: String,
    until: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut replica = Replica::new(ClientId(Uuid::new_v4()));
    if !pull(&base, &client, &mut replica, &mut tally).await {
        tally.errors += 1;
    }
    tally.first = std::mem::take(&mut tally.pull);
    let mut last_note: Option<NoteId> = None;
    let mut n = 0;
    while Instant::now() < until {
        let pause = rand::thread_rng().gen_range(1_000..3_000);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        n += 1;
        let op = match last_note {
            Some(note_id) if n % 3 == 0 => {
                tally.amendments += 1;
                Op::AmendNote {
                    note_id,
                    amends: 1,
                    fields: NoteFields {
                        next_steps: format!("{marker}-amended-{n}"),
                        ..note_fields(n)
                    },
                }
            }
            _ => {
                let note_id = NoteId(Uuid::new_v4());
                last_note = Some(note_id);
                tally.notes += 1;
                Op::CreateNote {
                    note_id,
                    visit_id: visit,
                    fields: NoteFields {
                        next_steps: format!("{marker}-{n}"),
                        ..note_fields(n)
                    },
                }
            }
        };
        replica.record(op, Utc::now());
        // A failed sync is retried at the next note, as the app does.
        if !push(&base, &client, &mut replica, &mut tally).await
            || !pull(&base, &client, &mut replica, &mut tally).await
        {
            tally.errors += 1;
        }
    }
    // What is still unsent goes before the device stops.
    for _ in 0..5 {
        if replica.push_request().is_none() {
            break;
        }
        if !push(&base, &client, &mut replica, &mut tally).await {
            tally.errors += 1;
        }
    }
    tally
}

fn percentile(sorted: &[Duration], p: f64) -> String {
    if sorted.is_empty() {
        return "–".to_owned();
    }
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    format!("{:.1} ms", sorted[at].as_secs_f64() * 1000.0)
}

async fn run(title: &str, bench: Bench) {
    println!("\n{title}");
    let marker = format!("load-{}", Uuid::new_v4().simple());
    let writers: Vec<&str> = server::sqlite::demo::logins()
        .iter()
        .filter(|l| l.role.writes_notes())
        .map(|l| l.login)
        .collect();
    let signing_in = Instant::now();
    let mut devices = Vec::with_capacity(DEVICES);
    for n in 0..DEVICES {
        let who = writers[n % writers.len()];
        devices.push((
            bench.base(n).to_owned(),
            login(&bench, who).await,
            a_visit_of(&bench, who).await,
        ));
    }
    println!(
        "  {DEVICES} devices signed in as {} field staff in {:.1} s",
        writers.len(),
        signing_in.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let until = started + RUN;
    let mut running = tokio::task::JoinSet::new();
    for (base, client, visit) in devices {
        running.spawn(field_device(base, client, visit, marker.clone(), until));
    }
    let mut tally = Tally::default();
    while let Some(done) = running.join_next().await {
        tally.add(done.expect("a device"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    tally.first.sort();
    tally.push.sort();
    tally.pull.sort();
    let requests = tally.first.len() + tally.push.len() + tally.pull.len();
    println!(
        "  {requests} sync requests in {elapsed:.0} s ({:.0}/s), {} errors, {} refused",
        requests as f64 / elapsed,
        tally.errors,
        tally.refused
    );
    for (call, times) in [
        ("first sync (a page)", &tally.first),
        ("push", &tally.push),
        ("pull", &tally.pull),
    ] {
        println!(
            "  {call}: p50 {}, p95 {}, p99 {} ({} requests)",
            percentile(times, 0.50),
            percentile(times, 0.95),
            percentile(times, 0.99),
            times.len()
        );
    }
    let (notes, distinct, amendments): (i64, i64, i64) = server::on_db!(bench.db, |db| sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM note_revisions WHERE revision = 1 AND next_steps LIKE $1), \
           (SELECT COUNT(DISTINCT note_id) FROM note_revisions WHERE revision = 1 AND next_steps LIKE $1), \
           (SELECT COUNT(*) FROM note_revisions WHERE revision > 1 AND next_steps LIKE $2)",
    )
    .bind(format!("{marker}-%"))
    .bind(format!("{marker}-amended-%"))
    .fetch_one(db)
    .await)
    .expect("counting what arrived");
    let notes_ok = notes == tally.notes as i64 && distinct == notes;
    let amendments_ok = amendments == tally.amendments as i64;
    println!(
        "  written: {} notes and {} amendments; on the server: {notes} notes ({distinct} distinct) and {amendments} amendments — {}",
        tally.notes,
        tally.amendments,
        if notes_ok && amendments_ok {
            "each exactly once"
        } else {
            "NOT each exactly once"
        }
    );
    bench.stop().await;
    assert!(notes_ok && amendments_ok, "a note was lost or doubled");
}

#[tokio::main]
async fn main() {
    if serve_if_asked().await {
        return;
    }
    println!(
        "Dekapan load test ({} cores; {DEVICES} devices for {} s; server processes apart from this client)",
        cores(),
        RUN.as_secs()
    );
    run("SQLite, 1 process", server(None, 1).await).await;
    match std::env::var("DEKAPAN_BENCH_POSTGRES_URL") {
        Ok(admin) => run("PostgreSQL, 3 processes", server(Some(&admin), 3).await).await,
        Err(_) => println!("\n(set DEKAPAN_BENCH_POSTGRES_URL to load PostgreSQL too)"),
    }
}
