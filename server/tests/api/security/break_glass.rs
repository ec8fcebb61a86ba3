//! Break-glass: a supervisor reads a case outside the program only with a stated reason,
//! read-only and through the server alone, audited where the case's own supervisor reads the
//! audit log.

use crate::helpers::{error_of, spawn_app, TestApp};
use crate::sync::{device, new_note, pulled_device, push};
use app::api::{AppError, AuditEntry, VisitDetail};
use app::domain::error::Problem;
use app::domain::review::{ReviewDecision, ReviewState};
use app::sync::{FieldEdit, MutationOutcome, Op, VisitField};
use reqwest::{Client, Response, StatusCode};

/// A reason that is one.
const WHY: &str = "夜間に本人から自殺をほのめかす電話があり、主治医への連絡先を確認する";

/// A visit of a model-program case, and its case.
async fn model_visit(app: &TestApp) -> (String, String) {
    server::on_db!(app.db, |db| sqlx::query_as(
        "SELECT v.id, v.case_id FROM visits v JOIN cases c ON c.id = v.case_id \
         WHERE c.program = 'model_program' ORDER BY v.starts_at LIMIT 1",
    )
    .fetch_one(db)
    .await)
    .expect("the demo has model-program visits")
}

/// Asks, as `client`, to open the case of `visit` for `reason`.
async fn open(app: &TestApp, client: &Client, visit: &str, reason: &str) -> Response {
    app.call_as(
        client,
        "break_glass",
        &[("visit_id", visit), ("reason", reason)],
    )
    .await
}

/// Whether a device of the health center's supervisor, pulling everything, holds `case`.
async fn on_katos_device(app: &TestApp, case: &str) -> bool {
    let (desk, me, refs) = pulled_device(app, "supervisor.kato").await;
    desk.local_case(case.parse().unwrap(), me, &refs).is_some()
}

#[tokio::test]
async fn a_supervisor_opens_a_case_outside_the_program_only_with_a_reason_and_it_is_audited() {
    let app = spawn_app().await;
    let (visit, case) = model_visit(&app).await;
    let kato = app.signed_in_client("supervisor.kato").await;
    assert!(!on_katos_device(&app, &case).await);
    let opened = "SELECT COUNT(*) FROM break_glass";

    // Only supervisors, only with a real reason, only for a visit that exists.
    let nurse = app.signed_in_client("nurse.tanaka").await;
    let res = open(&app, &nurse, &visit, WHY).await;
    assert_eq!(error_of(res).await, AppError::Forbidden);
    let res = open(&app, &kato, &visit, "急ぎ").await;
    match error_of(res).await {
        AppError::Invalid(errors) => {
            assert_eq!(errors[0].field, "reason");
            assert!(matches!(errors[0].problem, Problem::TooShort { .. }));
        }
        other => panic!("{other:?}"),
    }
    let missing = uuid::Uuid::new_v4().to_string();
    let res = open(&app, &kato, &missing, WHY).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count(opened).await, 0, "refusals open nothing");

    // With the reason: the case, at once.
    let res = open(&app, &kato, &visit, WHY).await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail: VisitDetail = res.json().await.unwrap();
    assert_eq!(detail.case.id.to_string(), case);
    // Through the server only: nothing of it reaches his device.
    assert!(!on_katos_device(&app, &case).await);
    // Read-only: no notes, no visit changes from outside the program.
    let status = format!("SELECT status FROM visits WHERE id = '{visit}'");
    let notes = format!("SELECT COUNT(*) FROM notes WHERE visit_id = '{visit}'");
    let notes_before = app.count(&notes).await;
    let before: String =
        server::on_db!(app.db, |db| sqlx::query_scalar(&status).fetch_one(db).await).unwrap();
    let edit = Op::EditVisit {
        visit_id: visit.parse().unwrap(),
        edit: FieldEdit {
            field: VisitField::Status,
            value: "cancelled".into(),
            base_version: 0,
        },
    };
    let mut desk = device();
    desk.record(new_note(&visit, "担当外からの記録"), chrono::Utc::now());
    desk.record(edit, chrono::Utc::now());
    let outcomes = push(&app, &kato, &mut desk).await.outcomes;
    assert!(
        matches!(
            outcomes[..],
            [
                MutationOutcome::Rejected { .. },
                MutationOutcome::Rejected { .. }
            ]
        ),
        "{outcomes:?}"
    );
    let after: String =
        server::on_db!(app.db, |db| sqlx::query_scalar(&status).fetch_one(db).await).unwrap();
    assert_eq!(after, before);
    assert_eq!(app.count(&notes).await, notes_before);

    // The case's own supervisor sees who opened it and why.
    let today = app::domain::visit::local_day(chrono::Utc::now()).to_string();
    let kobayashi = app.signed_in_client("supervisor.kobayashi").await;
    let res = app
        .call_as(
            &kobayashi,
            "audit_trail",
            &[("from", &today), ("to", &today)],
        )
        .await;
    let trail: Vec<AuditEntry> = res.json().await.unwrap();
    let entry = trail
        .iter()
        .find(|e| e.action == "break_glass")
        .expect("the opening is in the case's program's audit");
    assert_eq!(entry.reason.as_deref(), Some(WHY));
    assert_eq!(entry.role.as_deref(), Some("supervisor"));
    assert!(entry.actor.is_some());
    assert!(trail
        .iter()
        .any(|e| e.action == "read_visit" && e.role.as_deref() == Some("supervisor")));

    // Openings are kept as they were.
    for sql in [
        "UPDATE break_glass SET expires_at = '2100-01-01T00:00:00Z'",
        "DELETE FROM break_glass",
    ] {
        assert!(
            server::on_db!(app.db, |db| sqlx::query(sql)
                .execute(db)
                .await
                .map(|done| done.rows_affected()))
            .is_err(),
            "{sql}"
        );
    }
}

#[tokio::test]
async fn unknown_and_malformed_visit_ids_get_the_same_not_found_and_open_nothing() {
    let app = spawn_app().await;
    let kato = app.signed_in_client("supervisor.kato").await;

    for id in [
        "00000000-0000-0000-0000-000000000000",
        "not-an-id",
        "'; DROP TABLE visits; --",
    ] {
        let res = open(&app, &kato, id, WHY).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
        assert_eq!(error_of(res).await, AppError::NotFound);
    }
    assert!(app.count("SELECT COUNT(*) FROM visits").await > 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM break_glass").await, 0);
}

#[tokio::test]
async fn the_opened_case_brings_the_decisions_on_its_notes() {
    // Arrange: a note on a model-program visit of the nurse's, approved by its supervisor.
    let app = spawn_app().await;
    let sato = app.staff("nurse.sato").await;
    let visit: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT v.id FROM visits v JOIN cases c ON c.id = v.case_id \
         JOIN case_team t ON t.case_id = c.id \
         WHERE c.program = 'model_program' AND t.staff_id = $1 AND t.left_at IS NULL \
         ORDER BY v.starts_at LIMIT 1",
    )
    .bind(sato.to_string())
    .fetch_one(db)
    .await)
    .expect("the nurse has a model-program visit");
    let note = new_note(&visit, "来週再訪して服薬を確認");
    let Op::CreateNote { note_id, .. } = note else {
        unreachable!("new_note creates a note")
    };
    let mut phone = device();
    phone.record(note, chrono::Utc::now());
    let nurse = app.signed_in_client("nurse.sato").await;
    push(&app, &nurse, &mut phone).await;
    let mut desk = device();
    desk.record(
        Op::ReviewNote {
            review_id: uuid::Uuid::new_v4(),
            note_id,
            revision: 1,
            decision: ReviewDecision::Approved,
        },
        chrono::Utc::now(),
    );
    let kobayashi = app.signed_in_client("supervisor.kobayashi").await;
    let outcomes = push(&app, &kobayashi, &mut desk).await.outcomes;
    assert!(
        matches!(outcomes[..], [MutationOutcome::Applied { .. }]),
        "{outcomes:?}"
    );

    // Act: the health center's supervisor breaks the glass.
    let kato = app.signed_in_client("supervisor.kato").await;
    let res = open(&app, &kato, &visit, WHY).await;

    // Assert: the note comes with its decision, so it reads as approved rather than waiting.
    assert_eq!(res.status(), StatusCode::OK);
    let detail: VisitDetail = res.json().await.unwrap();
    assert!(detail.notes.iter().any(|n| n.id == note_id));
    let decisions = detail
        .reviews
        .iter()
        .filter(|r| r.note_id == note_id)
        .map(|r| (r.revision, &r.decision));
    assert_eq!(ReviewState::of(1, decisions), ReviewState::Approved);
}
