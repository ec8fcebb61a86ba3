//! Recording outreach notes and the supervisor's list.

use crate::helpers::{complete_note, error_of, fields, spawn_app};
use app::api::{AppError, NoteListItem, NoteSubmitted};
use app::domain::{Problem, VisitStatus};
use reqwest::StatusCode;

#[tokio::test]
async fn a_complete_note_is_stored_marks_the_visit_done_and_reaches_the_supervisor() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    let visit_id = app.first_visit_of("nurse.sato").await;
    let note = complete_note(&visit_id);

    let res = app.call("submit_note", &fields(&note)).await;

    assert_eq!(res.status(), StatusCode::OK);
    let submitted: NoteSubmitted = res.json().await.unwrap();
    assert_eq!(submitted.visit_status, VisitStatus::Done);
    let note_id = submitted.note_id;
    let status: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT status FROM visits WHERE id = $1"
    )
    .bind(&visit_id)
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!(status, "done");
    let stored: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT mental_state FROM note_revisions WHERE note_id = $1 AND revision = 1",
    )
    .bind(note_id.to_string())
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!(stored, "表情は穏やか。睡眠は取れている");

    // The supervisor of the case's program sees it at the top of the recent notes.
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
    app.call("logout", &[]).await;
    app.login(supervisor).await;
    let list: Vec<NoteListItem> = app.call("program_notes", &[]).await.json().await.unwrap();
    assert_eq!(list.first().map(|n| n.note_id), Some(note_id));
    assert_eq!(list[0].next_steps, "受診予約の確認");
}

#[tokio::test]
async fn a_note_missing_required_fields_names_them_and_writes_nothing() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    let visit_id = app.first_visit_of("nurse.sato").await;
    let notes_before = app.count("SELECT COUNT(*) FROM note_revisions").await;
    let mut note = complete_note(&visit_id);
    note.retain(|(k, _)| *k != "note[mental_state]");
    for (k, v) in note.iter_mut() {
        if *k == "note[next_steps]" {
            *v = "   ".into();
        }
    }

    let res = app.call("submit_note", &fields(&note)).await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = error_of(res).await;
    assert_eq!(
        error.field("mental_state").map(|e| &e.problem),
        Some(&Problem::Required)
    );
    assert_eq!(
        error.field("next_steps").map(|e| &e.problem),
        Some(&Problem::Required)
    );
    assert!(error.field("met_with").is_none());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM note_revisions").await,
        notes_before
    );
    let status: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT status FROM visits WHERE id = $1"
    )
    .bind(&visit_id)
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!(status, "planned");
}

#[tokio::test]
async fn a_visit_where_nobody_was_met_needs_only_next_steps_and_is_marked_not_met() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    let visit_id = app.first_visit_of("nurse.sato").await;

    let res = app
        .call(
            "submit_note",
            &[
                ("visit_id", &visit_id),
                ("note[met]", "false"),
                ("note[next_steps]", "不在票を投函。明後日再訪"),
            ],
        )
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    let status: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT status FROM visits WHERE id = $1"
    )
    .bind(&visit_id)
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!(status, "not_met");
}

#[tokio::test]
async fn a_note_on_another_teams_visit_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    let foreign = app.visit_outside_team_of("nurse.sato").await;
    let before = app.count("SELECT COUNT(*) FROM notes").await;

    let res = app
        .call("submit_note", &fields(&complete_note(&foreign)))
        .await;

    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM notes").await, before);
}

#[tokio::test]
async fn supervisors_and_administrators_do_not_write_field_notes() {
    let app = spawn_app().await;
    let visit_id = app.first_visit_of("nurse.sato").await;
    for login in ["supervisor.kobayashi", "admin.yoshida"] {
        app.login(login).await;
        let res = app
            .call("submit_note", &fields(&complete_note(&visit_id)))
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{login}");
        app.call("logout", &[]).await;
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
async fn a_malformed_form_is_refused_without_a_panic_or_a_write() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    let before = app.count("SELECT COUNT(*) FROM notes").await;

    let res = app
        .client
        .post(format!("{}/api/submit_note", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("visit_id=%ZZ&note[met]=perhaps&&&=")
        .send()
        .await
        .unwrap();

    assert!(res.status().is_client_error(), "got {}", res.status());
    assert_eq!(app.count("SELECT COUNT(*) FROM notes").await, before);
    // The server is still serving.
    assert_eq!(app.call("my_visits", &[]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_nurse_may_not_list_the_programs_notes() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;

    let res = app.call("program_notes", &[]).await;

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(res).await, AppError::Forbidden);
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
