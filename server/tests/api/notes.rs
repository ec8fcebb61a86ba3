//! Recording outreach notes through sync, and the supervisor's devices receiving them.

use crate::helpers::{spawn_app, TestApp};
use crate::sync::{device, note_fields, pull_all, pulled_device, push};
use app::domain::{NoteFields, NoteId, Problem, VisitStatus};
use app::sync::{MutationOutcome, Op, RejectReason};
use chrono::Utc;
use reqwest::Client;
use uuid::Uuid;

/// Writes a note about `visit` on a new device of `client`'s user and sends it: the note's id
/// and how the server took it.
async fn send_note(
    app: &TestApp,
    client: &Client,
    visit: &str,
    fields: NoteFields,
) -> (NoteId, MutationOutcome) {
    let note_id = NoteId(Uuid::new_v4());
    let mut phone = device();
    phone.record(
        Op::CreateNote {
            note_id,
            visit_id: visit.parse().expect("a visit id"),
            fields,
        },
        Utc::now(),
    );
    let response = push(app, client, &mut phone).await;
    (note_id, response.outcomes[0].clone())
}

async fn visit_status(app: &TestApp, visit_id: &str) -> String {
    server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT status FROM visits WHERE id = $1"
    )
    .bind(visit_id)
    .fetch_one(db)
    .await)
    .unwrap()
}

#[tokio::test]
async fn a_complete_note_is_stored_marks_the_visit_done_and_reaches_the_supervisor() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let visit_id = app.first_visit_of("nurse.sato").await;
    let note = note_fields("受診予約の確認");

    let (note_id, outcome) = send_note(&app, &nurse, &visit_id, note.clone()).await;

    assert!(
        matches!(outcome, MutationOutcome::Applied { .. }),
        "{outcome:?}"
    );
    assert_eq!(visit_status(&app, &visit_id).await, "done");
    let stored: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT mental_state FROM note_revisions WHERE note_id = $1 AND revision = 1",
    )
    .bind(note_id.to_string())
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!(stored, note.mental_state);

    // The supervisor of the case's program receives it: newest on the visit, and waiting in
    // the review queue.
    let program: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT c.program FROM visits v JOIN cases c ON c.id = v.case_id WHERE v.id = $1",
    )
    .bind(&visit_id)
    .fetch_one(db)
    .await)
    .unwrap();
    let supervisor = if program == "model_program" {
        "supervisor.kobayashi"
    } else {
        "supervisor.kato"
    };
    let (desk, me, refs) = pulled_device(&app, supervisor).await;
    let page = desk
        .local_visit(visit_id.parse().unwrap(), me, &refs)
        .expect("the program's visit");
    assert_eq!(page.visit.status, VisitStatus::Done);
    assert_eq!(page.notes.first().map(|n| n.id), Some(note_id));
    let current = page.notes[0].current().unwrap();
    assert_eq!(current.fields.next_steps, "受診予約の確認");
    assert!(desk
        .review_queue(me, &refs)
        .iter()
        .any(|item| item.note.id == note_id));
}

#[tokio::test]
async fn a_note_missing_required_fields_names_them_and_writes_nothing() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let visit_id = app.first_visit_of("nurse.sato").await;
    let notes_before = app.count("SELECT COUNT(*) FROM note_revisions").await;
    let note = NoteFields {
        mental_state: String::new(),
        ..note_fields("   ")
    };

    let (_, outcome) = send_note(&app, &nurse, &visit_id, note).await;

    let MutationOutcome::Rejected {
        reason: RejectReason::Invalid { errors },
        ..
    } = outcome
    else {
        panic!("refused as invalid, got {outcome:?}");
    };
    let problem = |field: &str| errors.iter().find(|e| e.field == field).map(|e| &e.problem);
    assert_eq!(problem("mental_state"), Some(&Problem::Required));
    assert_eq!(problem("next_steps"), Some(&Problem::Required));
    assert_eq!(problem("met_with"), None);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM note_revisions").await,
        notes_before
    );
    assert_eq!(visit_status(&app, &visit_id).await, "planned");
}

#[tokio::test]
async fn a_visit_where_nobody_was_met_needs_only_next_steps_and_is_marked_not_met() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let visit_id = app.first_visit_of("nurse.sato").await;
    let note = NoteFields {
        met: false,
        next_steps: "不在票を投函。明後日再訪".into(),
        ..NoteFields::default()
    };

    let (_, outcome) = send_note(&app, &nurse, &visit_id, note).await;

    assert!(
        matches!(outcome, MutationOutcome::Applied { .. }),
        "{outcome:?}"
    );
    assert_eq!(visit_status(&app, &visit_id).await, "not_met");
}

#[tokio::test]
async fn a_note_on_another_teams_visit_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let foreign = app.visit_outside_team_of("nurse.sato").await;
    let before = app.count("SELECT COUNT(*) FROM notes").await;

    let (_, outcome) = send_note(&app, &nurse, &foreign, note_fields("他チームの記録")).await;

    assert!(
        matches!(
            outcome,
            MutationOutcome::Rejected {
                reason: RejectReason::NotFound,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM notes").await, before);
}

#[tokio::test]
async fn supervisors_and_administrators_do_not_write_field_notes() {
    let app = spawn_app().await;
    let visit_id = app.first_visit_of("nurse.sato").await;
    for login in ["supervisor.kobayashi", "supervisor.kato", "admin.yoshida"] {
        let client = app.signed_in_client(login).await;
        let (_, outcome) = send_note(&app, &client, &visit_id, note_fields("確認")).await;
        assert!(
            matches!(outcome, MutationOutcome::Rejected { .. }),
            "{login}: {outcome:?}"
        );
    }
    let written: i64 = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT COUNT(*) FROM notes WHERE visit_id = $1"
    )
    .bind(&visit_id)
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!(written, 0);
}

#[tokio::test]
async fn a_malformed_note_is_refused_without_a_panic_or_a_write() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let before = app.count("SELECT COUNT(*) FROM notes").await;
    let note = serde_json::json!({
        "protocol_version": app::sync::PROTOCOL_VERSION,
        "client_id": Uuid::new_v4(),
        "mutations": [{"id": 1, "recorded_at": Utc::now(), "op": {
            "kind": "create_note", "note_id": Uuid::new_v4(), "visit_id": "%ZZ",
            "fields": {"met": "perhaps"}}}],
    });

    let res = app.sync_as(&nurse, "push", &note).await;

    assert!(res.status().is_client_error(), "got {}", res.status());
    assert_eq!(app.count("SELECT COUNT(*) FROM notes").await, before);
    // The server is still serving.
    pull_all(&app, &nurse, &mut device()).await;
}

#[tokio::test]
async fn a_nurse_device_holds_no_notes_of_program_cases_outside_her_team() {
    let app = spawn_app().await;
    let foreign = app.visit_outside_team_of("nurse.sato").await;
    let foreign_case = app.case_of_visit(&foreign).await;
    let team_mate: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT s.login FROM case_team t JOIN staff s ON s.id = t.staff_id \
         WHERE t.case_id = $1 AND t.left_at IS NULL \
           AND s.role IN ('nurse', 'psychiatric_staff', 'social_worker') LIMIT 1",
    )
    .bind(&foreign_case)
    .fetch_one(db)
    .await)
    .expect("the case has a team");
    let writer = app.signed_in_client(&team_mate).await;
    let (_, written) = send_note(&app, &writer, &foreign, note_fields("チームの記録")).await;
    assert!(matches!(written, MutationOutcome::Applied { .. }));

    let (phone, me, refs) = pulled_device(&app, "nurse.sato").await;

    let case_id = foreign_case.parse().unwrap();
    assert!(phone.local_case(case_id, me, &refs).is_none());
    assert!(phone
        .review_queue(me, &refs)
        .iter()
        .all(|i| i.note.case_id != case_id));
    // The program's supervisor holds them.
    let (desk, boss, refs) = pulled_device(&app, "supervisor.kobayashi").await;
    let held = desk
        .local_case(case_id, boss, &refs)
        .expect("the program's case");
    assert!(!held.notes.is_empty());
}

#[tokio::test]
async fn note_revisions_cannot_be_changed_or_deleted_in_the_database() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    assert!(app.count("SELECT COUNT(*) FROM audit_log").await > 0);

    let update = server::on_db!(app.db, |db| sqlx::query(
        "UPDATE note_revisions SET free_text = 'rewritten'"
    )
    .execute(db)
    .await
    .map(|done| done.rows_affected()));
    let delete = server::on_db!(app.db, |db| sqlx::query("DELETE FROM note_revisions")
        .execute(db)
        .await
        .map(|done| done.rows_affected()));
    let audit = server::on_db!(app.db, |db| sqlx::query("DELETE FROM audit_log")
        .execute(db)
        .await
        .map(|done| done.rows_affected()));

    assert!(
        app.count("SELECT COUNT(*) FROM note_revisions").await > 0,
        "the demo has notes"
    );
    assert!(update.is_err() && delete.is_err() && audit.is_err());
}
