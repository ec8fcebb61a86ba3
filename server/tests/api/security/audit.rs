//! The audit log of synced changes: who, in which role, on which device, at what server time
//! and at what time on the device (changes made offline reach the server later).

use crate::helpers::spawn_app;
use crate::sync::note_fields;
use app::api::AuditEntry;
use app::domain::{NoteId, VisitId};
use app::sync::{
    ClientId, Mutation, MutationOutcome, Op, PushRequest, PushResponse, PROTOCOL_VERSION,
};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use server::db::Stamp;
use uuid::Uuid;

/// action, actor_role, outcome, client_id, device_time, at
type AuditRow = (String, String, String, Option<String>, Option<Stamp>, Stamp);

#[tokio::test]
async fn a_note_made_offline_is_audited_with_its_device_and_the_time_on_the_device() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let visit: VisitId = app.first_visit_of("nurse.sato").await.parse().unwrap();
    let (device, note) = (ClientId(Uuid::new_v4()), NoteId(Uuid::new_v4()));
    let written_offline = Utc::now() - Duration::hours(50);
    let request = PushRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id: device,
        mutations: vec![
            Mutation {
                id: 1,
                recorded_at: written_offline,
                op: Op::CreateNote {
                    note_id: note,
                    visit_id: visit,
                    fields: note_fields("二日前に書いた記録"),
                },
            },
            // Refused (a visit that does not exist), and audited as refused, from the same device.
            Mutation {
                id: 2,
                recorded_at: written_offline,
                op: Op::CreateNote {
                    note_id: NoteId(Uuid::new_v4()),
                    visit_id: VisitId(Uuid::new_v4()),
                    fields: note_fields("ない訪問への記録"),
                },
            },
        ],
        database: None,
        skip_to: None,
    };
    let res = app.sync_as(&nurse, "push", &request).await;
    assert_eq!(res.status(), StatusCode::OK);
    let outcomes = res.json::<PushResponse>().await.unwrap().outcomes;
    assert!(
        matches!(outcomes[0], MutationOutcome::Applied { .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1], MutationOutcome::Rejected { .. }),
        "{outcomes:?}"
    );

    let rows: Vec<AuditRow> = server::on_db!(app.db, |db| sqlx::query_as(
        "SELECT action, actor_role, outcome, client_id, device_time, at FROM audit_log \
         WHERE client_id = $1 ORDER BY id",
    )
    .bind(device.0.to_string())
    .fetch_all(db)
    .await)
    .unwrap();
    let actions: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("create_note", "nurse", "ok"),
            ("rejected_mutation", "nurse", "denied")
        ]
    );
    for (.., device_time, at) in &rows {
        assert_eq!(
            *device_time,
            Some(Stamp::from(written_offline)),
            "the time on the device, to the second"
        );
        assert!(
            Utc::now() - at.time() < Duration::minutes(5),
            "server time, in UTC"
        );
    }
    // What the server itself saw (a sign-in) has no device time.
    let signed_in = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND device_time IS NULL")
        .await;
    assert_eq!(signed_in, 1);
}

#[tokio::test]
async fn a_supervisor_reads_and_exports_the_audit_of_the_programs_cases_only() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let program: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT c.program FROM visits v JOIN cases c ON c.id = v.case_id WHERE v.id = $1",
    )
    .bind(&visit)
    .fetch_one(db)
    .await)
    .unwrap();
    let (own, other) = if program == "model_program" {
        ("supervisor.kobayashi", "supervisor.kato")
    } else {
        ("supervisor.kato", "supervisor.kobayashi")
    };
    let device = ClientId(Uuid::new_v4());
    let request = PushRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id: device,
        mutations: vec![Mutation {
            id: 1,
            recorded_at: Utc::now() - Duration::hours(3),
            op: Op::CreateNote {
                note_id: NoteId(Uuid::new_v4()),
                visit_id: visit.parse().unwrap(),
                fields: note_fields("監査に残る記録"),
            },
        }],
        database: None,
        skip_to: None,
    };
    assert_eq!(
        app.sync_as(&nurse, "push", &request).await.status(),
        StatusCode::OK
    );

    let today = app::domain::visit::local_day(Utc::now()).to_string();
    let period = [("from", today.as_str()), ("to", today.as_str())];
    let trail = |login: &'static str| {
        let app = &app;
        let period = &period;
        async move {
            let client = app.signed_in_client(login).await;
            let res = app.call_as(&client, "audit_trail", period).await;
            (res.status(), res.text().await.unwrap())
        }
    };
    let (status, body) = trail(own).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries: Vec<AuditEntry> = serde_json::from_str(&body).unwrap();
    let device_id = device.0.to_string();
    let entry = entries
        .iter()
        .find(|e| e.client_id.as_deref() == Some(device_id.as_str()))
        .expect("the synced note is in the program's audit");
    assert_eq!(entry.action, "create_note");
    assert_eq!(entry.role.as_deref(), Some("nurse"));
    assert_eq!(entry.outcome, "ok");
    assert!(entry.device_time.unwrap() < entry.at - Duration::hours(2));
    assert!(
        entries.windows(2).all(|w| w[0].at >= w[1].at),
        "newest first"
    );

    let (status, body) = trail(other).await;
    assert_eq!(status, StatusCode::OK);
    let entries: Vec<AuditEntry> = serde_json::from_str(&body).unwrap();
    assert!(entries
        .iter()
        .all(|e| e.client_id.as_deref() != Some(device_id.as_str())));
    let (status, _) = trail("nurse.tanaka").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'read_audit'")
            .await,
        2,
        "each read of the audit log is itself audited"
    );

    // The export: UTF-8 with a BOM, every event with its device and device time.
    let boss = app.signed_in_client(own).await;
    let res = boss
        .get(format!(
            "{}/export/audit.csv?from={today}&to={today}",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let line = csv
        .lines()
        .find(|l| l.contains(&device_id))
        .expect("the note's event is exported");
    assert!(
        line.contains("create_note") && line.contains("nurse"),
        "{line}"
    );
}
