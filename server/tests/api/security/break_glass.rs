//! Break-glass: a supervisor reads a case outside the program only with a stated reason, for
//! an hour, read-only, audited where the case's own supervisor reads the audit log.

use crate::helpers::{complete_note, error_of, fields, spawn_app, TestApp};
use app::api::{AppError, AuditEntry, VisitDetail};
use app::domain::error::Problem;
use app::sync::{
    ClientId, FieldEdit, Mutation, MutationOutcome, Op, PushRequest, PushResponse, VisitField,
    PROTOCOL_VERSION,
};
use reqwest::StatusCode;

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

#[tokio::test]
async fn a_supervisor_opens_a_case_outside_the_program_only_with_a_reason_and_it_is_audited() {
    let app = spawn_app().await;
    let (visit, case) = model_visit(&app).await;
    let kato = app.signed_in_client("supervisor.kato").await;
    let load = |client: reqwest::Client, visit: String| {
        let app = &app;
        async move {
            app.call_as(&client, "load_visit", &[("visit_id", &visit)])
                .await
        }
    };
    assert_eq!(
        load(kato.clone(), visit.clone()).await.status(),
        StatusCode::NOT_FOUND
    );
    let opened = "SELECT COUNT(*) FROM break_glass";

    // Only supervisors, only with a real reason, only for a visit that exists.
    let nurse = app.signed_in_client("nurse.tanaka").await;
    let why = "夜間に本人から自殺をほのめかす電話があり、主治医への連絡先を確認する";
    let res = app
        .call_as(
            &nurse,
            "break_glass",
            &[("visit_id", &visit), ("reason", why)],
        )
        .await;
    assert_eq!(error_of(res).await, AppError::Forbidden);
    let res = app
        .call_as(
            &kato,
            "break_glass",
            &[("visit_id", &visit), ("reason", "急ぎ")],
        )
        .await;
    match error_of(res).await {
        AppError::Invalid(errors) => {
            assert_eq!(errors[0].field, "reason");
            assert!(matches!(errors[0].problem, Problem::TooShort { .. }));
        }
        other => panic!("{other:?}"),
    }
    let missing = uuid::Uuid::new_v4().to_string();
    let res = app
        .call_as(
            &kato,
            "break_glass",
            &[("visit_id", &missing), ("reason", why)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count(opened).await, 0, "refusals open nothing");

    // With the reason: the case, at once and for the hour.
    let res = app
        .call_as(
            &kato,
            "break_glass",
            &[("visit_id", &visit), ("reason", why)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail: VisitDetail = res.json().await.unwrap();
    assert_eq!(detail.case.id.to_string(), case);
    assert_eq!(
        load(kato.clone(), visit.clone()).await.status(),
        StatusCode::OK
    );
    // Read-only: no notes, no visit changes from outside the program.
    let form = complete_note(&visit);
    let res = app.call_as(&kato, "submit_note", &fields(&form)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let status = format!("SELECT status FROM visits WHERE id = '{visit}'");
    let before: String =
        server::on_db!(app.db, |db| sqlx::query_scalar(&status).fetch_one(db).await).unwrap();
    let push = PushRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id: ClientId(uuid::Uuid::new_v4()),
        mutations: vec![Mutation {
            id: 1,
            recorded_at: chrono::Utc::now(),
            op: Op::EditVisit {
                visit_id: visit.parse().unwrap(),
                edit: FieldEdit {
                    field: VisitField::Status,
                    value: "cancelled".into(),
                    base_version: 0,
                },
            },
        }],
        database: None,
        skip_to: None,
    };
    let res = app.sync_as(&kato, "push", &push).await;
    let outcomes = res.json::<PushResponse>().await.unwrap().outcomes;
    assert!(
        matches!(outcomes[..], [MutationOutcome::Rejected { .. }]),
        "{outcomes:?}"
    );
    let after: String =
        server::on_db!(app.db, |db| sqlx::query_scalar(&status).fetch_one(db).await).unwrap();
    assert_eq!(after, before);

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
    assert_eq!(entry.reason.as_deref(), Some(why));
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

    // An opening that has expired opens nothing.
    let other_visit: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT v.id FROM visits v JOIN cases c ON c.id = v.case_id \
         WHERE c.program = 'model_program' AND v.case_id != $1 LIMIT 1",
    )
    .bind(&case)
    .fetch_one(db)
    .await)
    .unwrap();
    server::on_db!(app.db, |db| sqlx::query(
        "INSERT INTO break_glass (id, staff_id, case_id, reason, opened_at, expires_at) \
         SELECT $1, s.id, v.case_id, $2, '2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z' \
         FROM staff s, visits v WHERE s.login = 'supervisor.kato' AND v.id = $3",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(why)
    .bind(&other_visit)
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    assert_eq!(
        load(kato.clone(), other_visit).await.status(),
        StatusCode::NOT_FOUND
    );
}
