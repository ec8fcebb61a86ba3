//! A seeded, replayable simulation of many devices editing one case while offline, over a
//! network that drops, duplicates and reorders pushes, through three servers over one database
//! (as behind a load balancer: each request goes to any of them), which are killed and started
//! again in between.
//!
//! After everyone syncs: every device holds what the server holds; every note any device wrote
//! is there with every revision, once; every edit was applied exactly once; and every edit that
//! was replaced by a concurrent edit (one whose author had not seen it) is kept in a conflict
//! record, with no conflict recorded otherwise. Then the team leaves the case and every device
//! purges it, so each case costs the same however many came before.
//!
//! `DEKAPAN_SIM_CASES` (default 1000) sets how many cases run; a failure prints the seed, and
//! `DEKAPAN_SIM_SEED=<seed> DEKAPAN_SIM_CASES=1 cargo test -p server --test api simulation`
//! replays it. The README gives the command for 100,000 cases.

use crate::helpers::{spawn_app, TestApp};
use app::domain::{CaseId, NoteFields, NoteId, VisitId};
use app::sync::records::{Record, RevisionRecord};
use app::sync::{
    CaseField, ClientId, FieldEdit, Op, PullResponse, PushRequest, PushResponse, Replica,
    VisitField,
};
use chrono::Utc;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::{Client, StatusCode};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Field staff who carry devices in the simulation.
const FIELD_STAFF: [&str; 7] = [
    "nurse.sato",
    "nurse.tanaka",
    "psw.suzuki",
    "doctor.ito",
    "csw.takahashi",
    "csw.watanabe",
    "csw.yamamoto",
];

struct Device {
    staff: usize,
    replica: Replica,
    /// A push request captured earlier, to be delivered late (reordering).
    delayed: Option<PushRequest>,
}

/// An edit the simulation made, to check its fate at the end.
struct Edit {
    entity: &'static str,
    field: &'static str,
    value: String,
    base_version: u64,
}

#[tokio::test]
async fn devices_converge_and_nothing_is_lost_under_faults() {
    let cases: u64 = std::env::var("DEKAPAN_SIM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let first_seed: u64 = std::env::var("DEKAPAN_SIM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed);
    let mut app = spawn_app().await;
    app.add_instance().await;
    app.add_instance().await;
    let mut clients = Vec::new();
    for login in FIELD_STAFF {
        clients.push(app.signed_in_client(login).await);
    }
    let staff_ids = {
        let mut ids = Vec::new();
        for login in FIELD_STAFF {
            ids.push(app.staff_id(login).await);
        }
        ids
    };
    // Eight long-lived devices; each case uses some of them, as phones live on across cases.
    let mut devices: Vec<Device> = (0..8)
        .map(|i| Device {
            staff: i % FIELD_STAFF.len(),
            replica: Replica::new(ClientId(Uuid::new_v4())),
            delayed: None,
        })
        .collect();
    for seed in first_seed..first_seed + cases {
        let result = run_case(&mut app, &clients, &staff_ids, &mut devices, seed).await;
        if let Err(failure) = result {
            panic!(
                "simulation case failed: {failure}\nreplay with: DEKAPAN_SIM_SEED={seed} DEKAPAN_SIM_CASES=1 \
                 cargo test -p server --test api simulation"
            );
        }
    }
}

/// Creates a case with a team of all field staff and one visit, logged for devices to pull.
async fn new_case(app: &TestApp, staff_ids: &[String], seed: u64) -> (String, String) {
    let case_id = Uuid::new_v4().to_string();
    let visit_id = Uuid::new_v4().to_string();
    server::on_db!(app.db, |db, rules| {
        let mut tx = rules::writes::begin(db).await.unwrap();
        let phc: String =
            sqlx::query_scalar("SELECT id FROM agencies WHERE kind = 'public_health_center'")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        sqlx::query(
            "INSERT INTO cases (id, pseudonym, intake_channel, program, intake_agency_id, risk, status, opened_on, created_at) \
             VALUES ($1, $2, 'public_health_center', 'public_health_center', $3, 'low', 'active', '2026-11-01', '2026-11-01T00:00:00Z')",
        )
        .bind(&case_id)
        .bind(format!("Sim{seed}さん"))
        .bind(&phc)
        .execute(&mut *tx)
        .await
        .unwrap();
        for id in staff_ids {
            sqlx::query("INSERT INTO case_team (case_id, staff_id, joined_at) VALUES ($1, $2, '2026-11-01T00:00:00Z')")
                .bind(&case_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        sqlx::query("INSERT INTO visits (id, case_id, starts_at, ends_at, place, status) VALUES ($1, $2, '2026-11-30T01:00:00Z', '2026-11-30T02:00:00Z', '自宅', 'planned')")
            .bind(&visit_id)
            .bind(&case_id)
            .execute(&mut *tx)
            .await
            .unwrap();
        rules::sync::log::case(&mut tx, &case_id).await.unwrap();
        rules::sync::log::team(&mut tx, &case_id).await.unwrap();
        rules::sync::log::visit(&mut tx, &visit_id).await.unwrap();
        tx.commit().await.unwrap();
    });
    (case_id, visit_id)
}

/// Which server each request goes to, drawn apart from the simulation's own choices.
struct Balancer(StdRng);

impl Balancer {
    fn pick(&mut self, app: &TestApp) -> usize {
        self.0.gen_range(0..app.instances())
    }
}

async fn send_push(
    app: &TestApp,
    lb: &mut Balancer,
    client: &Client,
    request: &PushRequest,
) -> Option<PushResponse> {
    let res = app.sync_on(lb.pick(app), client, "push", request).await;
    match res.status() {
        StatusCode::OK => Some(res.json().await.expect("a push answer")),
        // A stale or out-of-order batch: the device keeps its outbox and resends later.
        StatusCode::CONFLICT => None,
        other => panic!(
            "unexpected push status {other}: {}",
            res.text().await.unwrap_or_default()
        ),
    }
}

/// Pushes until the outbox is empty; the server must take every batch.
async fn push_all(
    app: &TestApp,
    lb: &mut Balancer,
    client: &Client,
    replica: &mut Replica,
) -> Result<(), String> {
    while let Some(request) = replica.push_request() {
        let response = send_push(app, lb, client, &request)
            .await
            .ok_or("a full outbox was refused")?;
        replica.on_push(&response);
    }
    Ok(())
}

async fn pull_all(
    app: &TestApp,
    lb: &mut Balancer,
    client: &Client,
    replica: &mut Replica,
) -> Result<(), String> {
    loop {
        let res = app
            .sync_on(lb.pick(app), client, "pull", &replica.pull_request())
            .await;
        if res.status() != StatusCode::OK {
            return Err(format!("pull answered {}", res.status()));
        }
        let response: PullResponse = res.json().await.map_err(|e| e.to_string())?;
        let (before, more) = (replica.cursor, response.more);
        replica.on_pull(response);
        if replica.cursor < before {
            return Err("the cursor went backwards".into());
        }
        if !more {
            return Ok(());
        }
    }
}

async fn run_case(
    app: &mut TestApp,
    clients: &[Client],
    staff_ids: &[String],
    devices: &mut [Device],
    seed: u64,
) -> Result<(), String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut lb = Balancer(StdRng::seed_from_u64(!seed));
    let (case_id, visit_id) = new_case(app, staff_ids, seed).await;
    let n = rng.gen_range(2..=8usize);
    let mut chosen: Vec<usize> = (0..devices.len()).collect();
    chosen.shuffle(&mut rng);
    chosen.truncate(n);
    for &d in &chosen {
        let dev = &mut devices[d];
        pull_all(app, &mut lb, &clients[dev.staff], &mut dev.replica).await?;
    }
    let mut notes: BTreeMap<String, u32> = BTreeMap::new(); // note id -> revisions written
    let mut edits: Vec<Edit> = Vec::new();
    let mut counter = 0u64;
    let steps = rng.gen_range(5..=25);
    for _ in 0..steps {
        let d = chosen[rng.gen_range(0..chosen.len())];
        let dev = &mut devices[d];
        let client = &clients[dev.staff];
        counter += 1;
        match rng.gen_range(0..100) {
            // Offline edits.
            0..=19 => {
                let note_id = NoteId(Uuid::new_v4());
                notes.insert(note_id.to_string(), 1);
                dev.replica.record(
                    Op::CreateNote {
                        note_id,
                        visit_id: visit_id.parse::<VisitId>().unwrap(),
                        fields: fields(seed, counter),
                    },
                    Utc::now(),
                );
            }
            20..=29 if !notes.is_empty() => {
                // Amend a note this device has pulled, naming the revision it saw.
                let known: Vec<(String, u32)> = dev
                    .replica
                    .records
                    .values()
                    .filter(|c| c.case_id.to_string() == case_id)
                    .filter_map(|c| c.get::<RevisionRecord>())
                    .map(|r| (r.note_id.to_string(), r.revision))
                    .collect();
                if let Some((note_id, revision)) = known.choose(&mut rng).cloned() {
                    *notes.entry(note_id.clone()).or_insert(1) += 1;
                    dev.replica.record(
                        Op::AmendNote {
                            note_id: note_id.parse().unwrap(),
                            amends: revision,
                            fields: fields(seed, counter),
                        },
                        Utc::now(),
                    );
                }
            }
            30..=54 => {
                let field = *[
                    CaseField::LifeGoal,
                    CaseField::MedicalView,
                    CaseField::WelfareView,
                ]
                .choose(&mut rng)
                .unwrap();
                let value = format!("{}-{seed}-{counter}", field.code());
                let base_version = dev.replica.field_version("case", &case_id, field.code());
                edits.push(Edit {
                    entity: "case",
                    field: field.code(),
                    value: value.clone(),
                    base_version,
                });
                dev.replica.record(
                    Op::EditCase {
                        case_id: case_id.parse::<CaseId>().unwrap(),
                        edit: FieldEdit {
                            field,
                            value,
                            base_version,
                        },
                    },
                    Utc::now(),
                );
            }
            55..=64 => {
                let value = format!("outcome-{seed}-{counter}");
                let base_version = dev.replica.field_version("visit", &visit_id, "outcome");
                edits.push(Edit {
                    entity: "visit",
                    field: "outcome",
                    value: value.clone(),
                    base_version,
                });
                dev.replica.record(
                    Op::EditVisit {
                        visit_id: visit_id.parse::<VisitId>().unwrap(),
                        edit: FieldEdit {
                            field: VisitField::Outcome,
                            value,
                            base_version,
                        },
                    },
                    Utc::now(),
                );
            }
            // The network.
            65..=74 => {
                // A push whose answer is lost: applied on the server, the device does not know.
                if let Some(request) = dev.replica.push_request() {
                    send_push(app, &mut lb, client, &request).await;
                }
            }
            75..=79 => {
                // A push captured now and delivered later, after newer ones.
                dev.delayed = dev.replica.push_request();
            }
            80..=84 => {
                if let Some(request) = dev.delayed.take() {
                    if let Some(response) = send_push(app, &mut lb, client, &request).await {
                        dev.replica.on_push(&response);
                    }
                }
            }
            85..=94 => {
                // A normal sync, sometimes with the push sent twice.
                if let Some(request) = dev.replica.push_request() {
                    let twice = rng.gen_bool(0.3);
                    if let Some(response) = send_push(app, &mut lb, client, &request).await {
                        dev.replica.on_push(&response);
                    }
                    if twice {
                        if let Some(response) = send_push(app, &mut lb, client, &request).await {
                            dev.replica.on_push(&response);
                        }
                    }
                }
                pull_all(app, &mut lb, client, &mut dev.replica).await?;
            }
            95..=97 => {
                let n = lb.pick(app);
                app.restart_instance(n).await
            }
            _ => {}
        }
    }
    // Everyone comes back online and syncs until nothing is pending, then pulls once more.
    for _round in 0..3 {
        for &d in &chosen {
            let dev = &mut devices[d];
            let client = &clients[dev.staff];
            push_all(app, &mut lb, client, &mut dev.replica).await?;
            pull_all(app, &mut lb, client, &mut dev.replica).await?;
        }
    }
    check(app, devices, &chosen, &case_id, &visit_id, &notes, &edits).await?;
    close_case(app, &mut lb, clients, staff_ids, devices, &chosen, &case_id).await
}

/// The team moves on once a case is checked: one member takes everyone off its team (herself
/// last), and the devices purge it at their next pull, as phones in the field do. So each case
/// costs the same however many came before (no device or pull carries every past case).
async fn close_case(
    app: &TestApp,
    lb: &mut Balancer,
    clients: &[Client],
    staff_ids: &[String],
    devices: &mut [Device],
    chosen: &[usize],
    case_id: &str,
) -> Result<(), String> {
    let case: CaseId = case_id.parse().map_err(|_| "a case id")?;
    let closer = chosen[0];
    let own = devices[closer].staff;
    let mut leaving: Vec<usize> = (0..staff_ids.len()).filter(|&s| s != own).collect();
    leaving.push(own);
    let dev = &mut devices[closer];
    for s in leaving {
        dev.replica.record(
            Op::LeaveTeam {
                case_id: case,
                staff_id: staff_ids[s].parse().map_err(|_| "a staff id")?,
            },
            Utc::now(),
        );
    }
    push_all(app, lb, &clients[dev.staff], &mut dev.replica).await?;
    if !dev.replica.rejected.is_empty() {
        return Err(format!("leaving the team: {:?}", dev.replica.rejected));
    }
    for &d in chosen {
        let dev = &mut devices[d];
        pull_all(app, lb, &clients[dev.staff], &mut dev.replica).await?;
        if dev.replica.records.values().any(|c| c.case_id == case) {
            return Err(format!("device {d} still holds the case after leaving it"));
        }
    }
    Ok(())
}

fn fields(seed: u64, counter: u64) -> NoteFields {
    NoteFields {
        met: true,
        met_with: "本人".into(),
        mental_state: format!("状態 {seed}-{counter}"),
        next_steps: format!("次回 {seed}-{counter}"),
        ..Default::default()
    }
}

async fn check(
    app: &TestApp,
    devices: &[Device],
    chosen: &[usize],
    case_id: &str,
    visit_id: &str,
    notes: &BTreeMap<String, u32>,
    edits: &[Edit],
) -> Result<(), String> {
    // 1. Every device holds the same records of the case, and nothing was refused.
    let of_case = |r: &Replica| -> BTreeMap<(String, String), Record> {
        r.records
            .iter()
            .filter(|(_, c)| c.case_id.to_string() == case_id)
            .map(|(k, c)| (k.clone(), c.record.clone()))
            .collect()
    };
    let first = of_case(&devices[chosen[0]].replica);
    for &d in chosen {
        if of_case(&devices[d].replica) != first {
            return Err(format!("device {d} differs from device {}", chosen[0]));
        }
        if !devices[d].replica.outbox.is_empty() || !devices[d].replica.rejected.is_empty() {
            return Err(format!("device {d} has pending or refused mutations"));
        }
    }
    // 2. The devices hold what the server holds.
    let row: (String, String, String) = server::on_db!(app.db, |db| sqlx::query_as(
        "SELECT life_goal, medical_view, welfare_view FROM cases WHERE id = $1"
    )
    .bind(case_id)
    .fetch_one(db)
    .await)
    .map_err(|e| e.to_string())?;
    let Some(Record::Case(case)) = first.get(&("case".to_owned(), case_id.to_owned())) else {
        return Err("the devices hold no case".into());
    };
    if (&case.life_goal, &case.medical_view, &case.welfare_view) != (&row.0, &row.1, &row.2) {
        return Err("the devices' case differs from the server's".into());
    }
    let outcome: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT outcome FROM visits WHERE id = $1"
    )
    .bind(visit_id)
    .fetch_one(db)
    .await)
    .map_err(|e| e.to_string())?;
    let Some(Record::Visit(visit)) = first.get(&("visit".to_owned(), visit_id.to_owned())) else {
        return Err("the devices hold no visit".into());
    };
    if visit.outcome != outcome {
        return Err("the devices' visit differs from the server's".into());
    }
    // 3. Every note with every revision, exactly once, on the server and on the devices.
    for (note_id, revisions) in notes {
        let stored: i64 = server::on_db!(app.db, |db| sqlx::query_scalar(
            "SELECT COUNT(*) FROM note_revisions WHERE note_id = $1"
        )
        .bind(note_id)
        .fetch_one(db)
        .await)
        .map_err(|e| e.to_string())?;
        if stored != i64::from(*revisions) {
            return Err(format!(
                "note {note_id}: {stored} revisions stored, {revisions} written"
            ));
        }
        let held = first
            .keys()
            .filter(|(e, id)| e == "note_revision" && id.starts_with(note_id.as_str()))
            .count();
        if held != *revisions as usize {
            return Err(format!(
                "note {note_id}: devices hold {held} revisions of {revisions}"
            ));
        }
    }
    // 4. Every edit applied exactly once, in the server's order; an edit replaced by one whose
    //    author had not seen it is kept in a conflict record, and no other conflict exists.
    let mut expected_conflicts: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (entity, entity_id) in [("case", case_id), ("visit", visit_id)] {
        let snapshots: Vec<String> = server::on_db!(app.db, |db| sqlx::query_scalar(
            "SELECT data FROM change_log WHERE entity = $1 AND entity_id = $2 ORDER BY seq",
        )
        .bind(entity)
        .bind(entity_id)
        .fetch_all(db)
        .await)
        .map_err(|e| e.to_string())?;
        let fields: BTreeSet<&str> = edits
            .iter()
            .filter(|e| e.entity == entity)
            .map(|e| e.field)
            .collect();
        for field in fields {
            // The writes of this field in server order: (version, value) whenever the version moved.
            let mut writes: Vec<(u64, String)> = Vec::new();
            for snapshot in &snapshots {
                let data: serde_json::Value =
                    serde_json::from_str(snapshot).map_err(|e| e.to_string())?;
                let version = data["versions"][field].as_u64().unwrap_or(0);
                if version > 0 && writes.last().is_none_or(|(v, _)| *v != version) {
                    writes.push((version, data[field].as_str().unwrap_or_default().to_owned()));
                }
            }
            let ours: Vec<&Edit> = edits
                .iter()
                .filter(|e| e.entity == entity && e.field == field)
                .collect();
            let written: BTreeSet<&str> = writes.iter().map(|(_, v)| v.as_str()).collect();
            if writes.len() != ours.len()
                || ours.iter().any(|e| !written.contains(e.value.as_str()))
            {
                return Err(format!(
                    "{entity}.{field}: {} edits made, {} applied",
                    ours.len(),
                    writes.len()
                ));
            }
            for pair in writes.windows(2) {
                let (replaced_at, replaced) = &pair[0];
                let (_, winner) = &pair[1];
                let edit = ours
                    .iter()
                    .find(|e| &e.value == winner)
                    .ok_or("an unknown write")?;
                if edit.base_version < *replaced_at {
                    expected_conflicts.insert((field.to_owned(), replaced.clone(), winner.clone()));
                }
            }
        }
    }
    let recorded: BTreeSet<(String, String, String)> = server::on_db!(app.db, |db| sqlx::query_as(
        "SELECT field, replaced_value, winner_value FROM conflicts WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_all(db)
    .await)
    .map_err(|e| e.to_string())?
    .into_iter()
    .collect();
    if recorded != expected_conflicts {
        return Err(format!(
            "conflicts recorded {recorded:?}, expected {expected_conflicts:?}"
        ));
    }
    let held_conflicts = first.keys().filter(|(e, _)| e == "conflict").count();
    if held_conflicts != recorded.len() {
        return Err(format!(
            "devices hold {held_conflicts} conflicts of {}",
            recorded.len()
        ));
    }
    Ok(())
}
