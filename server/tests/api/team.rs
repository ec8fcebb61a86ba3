//! The multi-agency team through sync: intake and its routing rule, joint visits that bring
//! people into the team, the review cycle (return, amend, approve) between a supervisor's
//! device and an author's, and closing a case.

use crate::helpers::{spawn_app, TestApp};
use crate::sync::{device, note_fields, pull_all, push};
use app::domain::review::{ReviewDecision, ReviewState};
use app::domain::{AgencyId, CaseId, NoteId, Program, RiskLevel, StaffId, VisitId};
use app::sync::{AgencyPhase, CaseField, FieldEdit, MutationOutcome, Op, Replica};
use chrono::{Duration, Utc};
use reqwest::Client;
use uuid::Uuid;

/// Registers a consultation from a device and syncs it; returns the case id.
async fn open_case(
    app: &TestApp,
    client: &Client,
    replica: &mut Replica,
    pseudonym: &str,
    agencies: Vec<AgencyId>,
) -> CaseId {
    let case_id = CaseId(Uuid::new_v4());
    replica.record(
        Op::OpenCase {
            case_id,
            pseudonym: pseudonym.into(),
            risk: RiskLevel::Moderate,
            agencies,
        },
        Utc::now(),
    );
    let response = push(app, client, replica).await;
    assert!(
        matches!(response.outcomes[..], [MutationOutcome::Applied { .. }]),
        "{response:?}"
    );
    case_id
}

fn plan(case_id: CaseId, members: Vec<StaffId>) -> (VisitId, Op) {
    let visit_id = VisitId(Uuid::new_v4());
    let starts_at = Utc::now() + Duration::days(1);
    let op = Op::PlanVisit {
        visit_id,
        case_id,
        starts_at,
        ends_at: starts_at + Duration::hours(1),
        place: "北区の自宅".into(),
        members,
    };
    (visit_id, op)
}

async fn program_of(app: &TestApp, case_id: CaseId) -> (String, String) {
    server::on_db!(app.db, |db| sqlx::query_as(
        "SELECT program, intake_channel FROM cases WHERE id = $1"
    )
    .bind(case_id.to_string())
    .fetch_one(db)
    .await)
    .unwrap()
}

#[tokio::test]
async fn a_consultation_goes_to_the_program_the_routing_rule_names() {
    let app = spawn_app().await;
    // At a welfare desk: the model program.
    let csw = app.signed_in_client("csw.takahashi").await;
    let mut desk = device();
    let from_desk = open_case(&app, &csw, &mut desk, "Aさん", vec![]).await;
    assert_eq!(
        program_of(&app, from_desk).await,
        ("model_program".into(), "welfare_desk".into())
    );
    // At the public health center, and by a hospital PSW acting for it: the center.
    for login in ["nurse.sato", "psw.suzuki"] {
        let client = app.signed_in_client(login).await;
        let mut replica = device();
        let case_id = open_case(&app, &client, &mut replica, "Bさん", vec![]).await;
        assert_eq!(
            program_of(&app, case_id).await,
            ("public_health_center".into(), "public_health_center".into()),
            "{login}"
        );
    }
    // The model program's supervisor sees the desk's case; the center's supervisor does not.
    let kobayashi = app.signed_in_client("supervisor.kobayashi").await;
    let mut theirs = device();
    pull_all(&app, &kobayashi, &mut theirs).await;
    let refs = app.reference(&kobayashi).await;
    let me = app.staff("supervisor.kobayashi").await;
    let held = theirs
        .local_case(from_desk, me, &refs)
        .expect("the program's case");
    assert_eq!(held.case.program, Program::ModelProgram);
    assert_eq!(
        held.intake_agency.map(|a| a.kind.code()),
        Some("welfare_desk")
    );
    let kato = app.signed_in_client("supervisor.kato").await;
    let mut other = device();
    pull_all(&app, &kato, &mut other).await;
    assert!(other
        .local_case(from_desk, app.staff("supervisor.kato").await, &refs)
        .is_none());
}

#[tokio::test]
async fn only_intake_staff_register_and_bad_intakes_change_nothing() {
    let app = spawn_app().await;
    let cases_before = app.count("SELECT COUNT(*) FROM cases").await;
    let supervisor = app.signed_in_client("supervisor.kobayashi").await;
    let mut replica = device();
    replica.record(
        Op::OpenCase {
            case_id: CaseId(Uuid::new_v4()),
            pseudonym: "Cさん".into(),
            risk: RiskLevel::Low,
            agencies: vec![],
        },
        Utc::now(),
    );
    let refused = push(&app, &supervisor, &mut replica).await;
    assert!(matches!(
        refused.outcomes[..],
        [MutationOutcome::Rejected { .. }]
    ));

    let csw = app.signed_in_client("csw.takahashi").await;
    let mut desk = device();
    for op in [
        Op::OpenCase {
            case_id: CaseId(Uuid::new_v4()),
            pseudonym: "   ".into(),
            risk: RiskLevel::Low,
            agencies: vec![],
        },
        Op::OpenCase {
            case_id: CaseId(Uuid::new_v4()),
            pseudonym: "Dさん".into(),
            risk: RiskLevel::Low,
            agencies: vec![AgencyId(Uuid::new_v4())],
        },
    ] {
        desk.record(op, Utc::now());
    }
    let response = push(&app, &csw, &mut desk).await;
    assert!(response
        .outcomes
        .iter()
        .all(|o| matches!(o, MutationOutcome::Rejected { .. })));
    assert_eq!(app.count("SELECT COUNT(*) FROM cases").await, cases_before);
    assert_eq!(
        desk.rejected.len(),
        2,
        "kept with their reasons for the author"
    );
}

#[tokio::test]
async fn a_joint_visit_brings_its_members_in_and_their_devices_receive_the_whole_case() {
    let app = spawn_app().await;
    // The nurse and the PSW have synced before: their cursors are past everything so far.
    let sato = app.signed_in_client("nurse.sato").await;
    let suzuki = app.signed_in_client("psw.suzuki").await;
    let (mut sato_device, mut suzuki_device) = (device(), device());
    pull_all(&app, &sato, &mut sato_device).await;
    pull_all(&app, &suzuki, &mut suzuki_device).await;

    let csw = app.signed_in_client("csw.takahashi").await;
    let refs = app.reference(&csw).await;
    let desk_agency = refs
        .person(app.staff("csw.takahashi").await)
        .acting_agency
        .unwrap();
    let mut desk = device();
    let case_id = open_case(&app, &csw, &mut desk, "Eさん", vec![desk_agency]).await;
    desk.record(
        Op::EditCase {
            case_id,
            edit: FieldEdit {
                field: CaseField::LifeGoal,
                value: "また畑に出たい".into(),
                base_version: 0,
            },
        },
        Utc::now(),
    );
    let (nurse, psw) = (app.staff("nurse.sato").await, app.staff("psw.suzuki").await);
    let (visit_id, op) = plan(case_id, vec![nurse, psw]);
    desk.record(op, Utc::now());
    let response = push(&app, &csw, &mut desk).await;
    assert!(response
        .outcomes
        .iter()
        .all(|o| matches!(o, MutationOutcome::Applied { .. })));

    pull_all(&app, &sato, &mut sato_device).await;
    let today = app::domain::visit::local_day(Utc::now());
    let visits = sato_device.my_visits(nurse, today, &refs);
    assert!(
        visits.iter().any(|v| v.id == visit_id),
        "the new visit is listed"
    );
    let case = sato_device
        .local_case(case_id, nurse, &refs)
        .expect("the whole case");
    assert_eq!(
        case.case.life_goal.goal, "また畑に出たい",
        "edits made before joining too"
    );
    let team: Vec<StaffId> = case.case.team.iter().map(|m| m.id).collect();
    assert!(team.contains(&nurse) && team.contains(&psw) && team.len() == 3);
    assert_eq!(case.agencies_intake.len(), 1);
    pull_all(&app, &suzuki, &mut suzuki_device).await;
    assert!(suzuki_device.local_case(case_id, psw, &refs).is_some());
}

#[tokio::test]
async fn a_returned_note_reaches_its_author_who_amends_it_and_the_supervisor_approves() {
    let app = spawn_app().await;
    let csw = app.signed_in_client("csw.takahashi").await;
    let mut desk = device();
    let case_id = open_case(&app, &csw, &mut desk, "Fさん", vec![]).await;
    let nurse = app.staff("nurse.sato").await;
    let (visit_id, op) = plan(case_id, vec![nurse]);
    desk.record(op, Utc::now());
    push(&app, &csw, &mut desk).await;

    let sato = app.signed_in_client("nurse.sato").await;
    let refs = app.reference(&sato).await;
    let mut author = device();
    pull_all(&app, &sato, &mut author).await;
    let note_id = NoteId(Uuid::new_v4());
    author.record(
        Op::CreateNote {
            note_id,
            visit_id,
            fields: note_fields("来週再訪"),
        },
        Utc::now(),
    );
    push(&app, &sato, &mut author).await;

    // The supervisor's queue has it; returning needs a comment.
    let kobayashi = app.signed_in_client("supervisor.kobayashi").await;
    let boss = app.staff("supervisor.kobayashi").await;
    let mut desk_of_boss = device();
    pull_all(&app, &kobayashi, &mut desk_of_boss).await;
    let queue = desk_of_boss.review_queue(boss, &refs);
    let item = queue.iter().find(|i| i.note.id == note_id).expect("queued");
    assert_eq!(item.note.current().unwrap().revision, 1);
    for decision in [
        ReviewDecision::Returned {
            comment: " ".into(),
        },
        ReviewDecision::Returned {
            comment: "服薬状況を追記してください".into(),
        },
    ] {
        desk_of_boss.record(
            Op::ReviewNote {
                review_id: Uuid::new_v4(),
                note_id,
                revision: 1,
                decision,
            },
            Utc::now(),
        );
    }
    let decided_offline = desk_of_boss.review_queue(boss, &refs);
    assert!(
        decided_offline.iter().all(|i| i.note.id != note_id),
        "decided at once, offline"
    );
    let decided = push(&app, &kobayashi, &mut desk_of_boss).await;
    assert!(matches!(
        decided.outcomes[..],
        [
            MutationOutcome::Rejected { .. },
            MutationOutcome::Applied { .. }
        ]
    ));
    pull_all(&app, &kobayashi, &mut desk_of_boss).await;
    assert!(desk_of_boss
        .review_queue(boss, &refs)
        .iter()
        .all(|i| i.note.id != note_id));

    // The comment reaches the author's device; she amends.
    pull_all(&app, &sato, &mut author).await;
    let shown = author.local_visit(visit_id, nurse, &refs).unwrap();
    let reviews = &shown.reviews[&note_id];
    assert_eq!(
        ReviewState::of(1, reviews.iter().map(|r| (r.revision, &r.decision))),
        ReviewState::Returned("服薬状況を追記してください".into())
    );
    let mut amended = note_fields("来週再訪");
    amended.medication = "服薬は継続".into();
    author.record(
        Op::AmendNote {
            note_id,
            amends: 1,
            fields: amended,
        },
        Utc::now(),
    );
    push(&app, &sato, &mut author).await;

    // Back in the queue as revision 2, with the history; approved, it leaves it.
    pull_all(&app, &kobayashi, &mut desk_of_boss).await;
    let queue = desk_of_boss.review_queue(boss, &refs);
    let item = queue
        .iter()
        .find(|i| i.note.id == note_id)
        .expect("queued again");
    assert_eq!(item.note.current().unwrap().revision, 2);
    assert_eq!(item.history.len(), 1);
    desk_of_boss.record(
        Op::ReviewNote {
            review_id: Uuid::new_v4(),
            note_id,
            revision: 2,
            decision: ReviewDecision::Approved,
        },
        Utc::now(),
    );
    push(&app, &kobayashi, &mut desk_of_boss).await;
    pull_all(&app, &sato, &mut author).await;
    let shown = author.local_visit(visit_id, nurse, &refs).unwrap();
    let reviews = &shown.reviews[&note_id];
    assert_eq!(reviews.len(), 2, "the whole history stays");
    assert_eq!(
        ReviewState::of(2, reviews.iter().map(|r| (r.revision, &r.decision))),
        ReviewState::Approved
    );
    assert_eq!(shown.notes[0].revisions.len(), 2);
}

#[tokio::test]
async fn only_a_supervisor_of_the_case_program_reviews_its_notes() {
    let app = spawn_app().await;
    let sato = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let mut author = device();
    let note_id = NoteId(Uuid::new_v4());
    author.record(
        Op::CreateNote {
            note_id,
            visit_id: visit.parse().unwrap(),
            fields: note_fields("確認"),
        },
        Utc::now(),
    );
    push(&app, &sato, &mut author).await;
    let program: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT program FROM cases WHERE id = $1"
    )
    .bind(app.case_of_visit(&visit).await)
    .fetch_one(db)
    .await)
    .unwrap();
    let other_supervisor = if program == "model_program" {
        "supervisor.kato"
    } else {
        "supervisor.kobayashi"
    };
    for login in ["nurse.sato", other_supervisor] {
        let client = app.signed_in_client(login).await;
        let mut replica = device();
        replica.record(
            Op::ReviewNote {
                review_id: Uuid::new_v4(),
                note_id,
                revision: 1,
                decision: ReviewDecision::Approved,
            },
            Utc::now(),
        );
        let response = push(&app, &client, &mut replica).await;
        assert!(
            matches!(response.outcomes[..], [MutationOutcome::Rejected { .. }]),
            "{login}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM reviews").await, 0);
}

#[tokio::test]
async fn closing_a_case_keeps_the_day_and_the_agencies_at_close() {
    let app = spawn_app().await;
    let csw = app.signed_in_client("csw.takahashi").await;
    let refs = app.reference(&csw).await;
    let mut desk = device();
    let first = refs.agencies[0].id;
    let case_id = open_case(&app, &csw, &mut desk, "Gさん", vec![first]).await;
    for agency_id in refs.agencies.iter().take(3).map(|a| a.id) {
        desk.record(
            Op::AddAgency {
                case_id,
                phase: AgencyPhase::Close,
                agency_id,
            },
            Utc::now(),
        );
    }
    desk.record(
        Op::EditCase {
            case_id,
            edit: FieldEdit {
                field: CaseField::Status,
                value: "closed".into(),
                base_version: 0,
            },
        },
        Utc::now(),
    );
    push(&app, &csw, &mut desk).await;
    let closed_on: Option<String> = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT closed_on FROM cases WHERE id = $1"
    )
    .bind(case_id.to_string())
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!(
        closed_on,
        Some(app::domain::visit::local_day(Utc::now()).to_string())
    );
    pull_all(&app, &csw, &mut desk).await;
    let me = app.staff("csw.takahashi").await;
    let case = desk.local_case(case_id, me, &refs).unwrap();
    assert_eq!(case.agencies_intake.len(), 1);
    assert_eq!(case.agencies_close.len(), 3);
    assert_eq!(case.case.agencies_at_close.map(|l| l.len()), Some(3));
}

async fn indicators(app: &TestApp, client: &Client, day: &str) -> reqwest::Response {
    app.call_as(client, "indicators", &[("from", day), ("to", day)])
        .await
}

#[tokio::test]
async fn indicators_count_a_joint_visit_and_agencies_that_grew_from_intake_to_close() {
    let app = spawn_app().await;
    let today = app::domain::visit::local_day(Utc::now()).to_string();
    let kobayashi = app.signed_in_client("supervisor.kobayashi").await;
    let read = |res: reqwest::Response| async move {
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        res.json::<app::domain::indicators::Indicators>()
            .await
            .unwrap()
    };
    let before = read(indicators(&app, &kobayashi, &today).await).await;

    // A desk case, visited today by the social worker and a nurse together, then closed with
    // three agencies where there was one.
    let csw = app.signed_in_client("csw.takahashi").await;
    let refs = app.reference(&csw).await;
    let mut desk = device();
    let first = refs.agencies[0].id;
    let case_id = open_case(&app, &csw, &mut desk, "Iさん", vec![first]).await;
    let (me, nurse) = (
        app.staff("csw.takahashi").await,
        app.staff("nurse.sato").await,
    );
    let visit_id = VisitId(Uuid::new_v4());
    // Begun a while ago, but today in Japan (shortly after midnight there, only since midnight):
    // the indicators count it on the day the case came in, whatever the hour the test runs.
    let now = Utc::now();
    let starts_at = (now - Duration::minutes(90)).max(app::domain::visit::day_starts(
        app::domain::visit::local_day(now),
    ));
    desk.record(
        Op::PlanVisit {
            visit_id,
            case_id,
            starts_at,
            ends_at: starts_at + Duration::hours(1),
            place: "自宅".into(),
            members: vec![me, nurse],
        },
        Utc::now(),
    );
    desk.record(
        Op::CreateNote {
            note_id: NoteId(Uuid::new_v4()),
            visit_id,
            fields: note_fields("一緒に訪問した"),
        },
        Utc::now(),
    );
    for agency_id in refs.agencies.iter().take(3).map(|a| a.id) {
        desk.record(
            Op::AddAgency {
                case_id,
                phase: AgencyPhase::Close,
                agency_id,
            },
            Utc::now(),
        );
    }
    desk.record(
        Op::EditCase {
            case_id,
            edit: FieldEdit {
                field: CaseField::Status,
                value: "closed".into(),
                base_version: 0,
            },
        },
        Utc::now(),
    );
    let response = push(&app, &csw, &mut desk).await;
    assert!(response
        .outcomes
        .iter()
        .all(|o| matches!(o, MutationOutcome::Applied { .. })));

    let after = read(indicators(&app, &kobayashi, &today).await).await;
    let desk_cases = |i: &app::domain::indicators::Indicators| {
        i.cases_by_channel
            .iter()
            .filter(|(c, p, _)| c.code() == "welfare_desk" && *p == Program::ModelProgram)
            .map(|(_, _, n)| *n)
            .sum::<usize>()
    };
    assert_eq!(desk_cases(&after), desk_cases(&before) + 1);
    assert_eq!(after.visits, before.visits + 1);
    assert_eq!(
        after.joint_visits,
        before.joint_visits + 1,
        "two agencies went"
    );
    assert_eq!(
        after.days_to_first_visit.len(),
        before.days_to_first_visit.len() + 1
    );
    assert!(
        after.days_to_first_visit.contains(&0),
        "visited the day it came in"
    );
    let (grew_before, closed_before) = before.agencies_grew();
    assert_eq!(after.agencies_grew(), (grew_before + 1, closed_before + 1));
    let ours = after
        .closed
        .iter()
        .find(|c| c.pseudonym == "Iさん")
        .unwrap();
    assert_eq!((ours.at_intake, ours.at_close), (1, 3));

    // Not for field staff, nor for a period that ends before it starts.
    assert_eq!(
        indicators(&app, &csw, &today).await.status(),
        reqwest::StatusCode::FORBIDDEN
    );
    let backwards = app
        .call_as(
            &kobayashi,
            "indicators",
            &[("from", "2026-11-20"), ("to", "2026-11-01")],
        )
        .await;
    assert_eq!(
        backwards.status(),
        reqwest::StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn a_supervisor_sees_which_device_has_held_unsent_work_the_longest() {
    let app = spawn_app().await;
    let sato = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    // A phone with a note written three days ago and never pushed, only pulling.
    let mut silent = device();
    let written = Utc::now() - Duration::days(3);
    silent.record(
        Op::CreateNote {
            note_id: NoteId(Uuid::new_v4()),
            visit_id: visit.parse().unwrap(),
            fields: note_fields("圏外で書いた"),
        },
        written,
    );
    pull_all(&app, &sato, &mut silent).await;
    // A tablet with nothing waiting.
    let mut tidy = device();
    pull_all(&app, &sato, &mut tidy).await;

    let program: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT program FROM cases WHERE id = $1"
    )
    .bind(app.case_of_visit(&visit).await)
    .fetch_one(db)
    .await)
    .unwrap();
    let supervisor = if program == "model_program" {
        "supervisor.kobayashi"
    } else {
        "supervisor.kato"
    };
    let boss = app.signed_in_client(supervisor).await;
    let res = app.call_as(&boss, "sync_health", &[]).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let devices: Vec<app::api::DeviceHealth> = res.json().await.unwrap();
    let first = &devices[0];
    assert_eq!(
        first.client_id,
        silent.client_id.0.to_string(),
        "oldest waiting first"
    );
    assert_eq!(
        first.pending_since.map(|t| t.timestamp()),
        Some(written.timestamp())
    );
    let other = devices
        .iter()
        .find(|d| d.client_id == tidy.client_id.0.to_string())
        .expect("listed");
    assert_eq!(other.pending_since, None);

    // Once it pushes, nothing waits any more.
    push(&app, &sato, &mut silent).await;
    pull_all(&app, &sato, &mut silent).await;
    let devices: Vec<app::api::DeviceHealth> = app
        .call_as(&boss, "sync_health", &[])
        .await
        .json()
        .await
        .unwrap();
    let phone = devices
        .iter()
        .find(|d| d.client_id == silent.client_id.0.to_string())
        .unwrap();
    assert_eq!(phone.pending_since, None);
    assert_eq!(
        app.call_as(&sato, "sync_health", &[]).await.status(),
        reqwest::StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn exports_are_csv_with_a_bom_crlf_and_quoted_free_text_for_supervisors_only() {
    let app = spawn_app().await;
    let sato = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let mut replica = device();
    let mut fields = note_fields("来週, 再訪");
    fields.free_text = "本人は「\"大丈夫\"」と話した\n家族も同席".into();
    replica.record(
        Op::CreateNote {
            note_id: NoteId(Uuid::new_v4()),
            visit_id: visit.parse().unwrap(),
            fields,
        },
        Utc::now(),
    );
    push(&app, &sato, &mut replica).await;
    let program: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT program FROM cases WHERE id = $1"
    )
    .bind(app.case_of_visit(&visit).await)
    .fetch_one(db)
    .await)
    .unwrap();
    let supervisor = if program == "model_program" {
        "supervisor.kobayashi"
    } else {
        "supervisor.kato"
    };
    let boss = app.signed_in_client(supervisor).await;
    let url = |path: &str| format!("{}/export/{path}", app.base);

    let res = boss.get(url("notes.csv")).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "a BOM for Excel");
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.contains("\r\n"));
    assert!(text.contains("\"来週, 再訪\""));
    assert!(text.contains("\"本人は「\"\"大丈夫\"\"」と話した\n家族も同席\""));

    for path in ["visits.csv", "indicators.csv"] {
        let res = boss.get(url(path)).send().await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK, "{path}");
        assert!(res.bytes().await.unwrap().starts_with(&[0xEF, 0xBB, 0xBF]));
    }
    let backwards = boss
        .get(url("visits.csv?from=2026-11-20&to=2026-11-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        backwards.status(),
        reqwest::StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        sato.get(url("notes.csv")).send().await.unwrap().status(),
        reqwest::StatusCode::FORBIDDEN
    );
    assert_eq!(
        crate::helpers::new_client()
            .get(url("notes.csv"))
            .send()
            .await
            .unwrap()
            .status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
}
