//! A lost device is revoked: by its user's supervisor or an administrator, nobody else; it
//! still sends what it holds, then is refused every pull with word to erase itself.

use crate::helpers::{error_of, spawn_app, TestApp};
use crate::sync::note_fields;
use app::api::{AppError, DeviceHealth};
use app::domain::{NoteId, VisitId};
use app::sync::{
    ClientId, Mutation, MutationOutcome, Op, PullRequest, PushRequest, PushResponse, SyncError,
    PROTOCOL_VERSION,
};
use chrono::Utc;
use reqwest::{Client, StatusCode};
use uuid::Uuid;

fn pull(device: ClientId) -> PullRequest {
    PullRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id: device,
        cursor: 0,
        pending_since: None,
        database: None,
    }
}

/// A device of `login`'s, known to the server (it has pulled once).
async fn device_of(app: &TestApp, login: &str) -> (Client, ClientId) {
    let client = app.signed_in_client(login).await;
    let device = ClientId(Uuid::new_v4());
    let res = app.sync_as(&client, "pull", &pull(device)).await;
    assert_eq!(res.status(), StatusCode::OK);
    (client, device)
}

async fn revoke(app: &TestApp, by: &Client, device: ClientId) -> reqwest::Response {
    app.call_as(by, "revoke_device", &[("client_id", &device.0.to_string())])
        .await
}

#[tokio::test]
async fn a_revoked_device_still_sends_its_notes_then_is_told_to_erase_itself() {
    let app = spawn_app().await;
    let (takahashi, phone) = device_of(&app, "csw.takahashi").await;
    let visit: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT v.id FROM visits v JOIN case_team t ON t.case_id = v.case_id \
         JOIN staff s ON s.id = t.staff_id \
         WHERE s.login = 'csw.takahashi' AND t.left_at IS NULL ORDER BY v.starts_at LIMIT 1",
    )
    .fetch_one(db)
    .await)
    .expect("a visit of a case of the social worker's");
    let visit: VisitId = visit.parse().unwrap();

    // Nobody but a supervisor of the program or an administrator may revoke it.
    let nurse = app.signed_in_client("nurse.sato").await;
    assert_eq!(
        error_of(revoke(&app, &nurse, phone).await).await,
        AppError::Forbidden
    );
    let other_program = app.signed_in_client("supervisor.kato").await;
    let res = revoke(&app, &other_program, phone).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let unknown = ClientId(Uuid::new_v4());
    let boss = app.signed_in_client("supervisor.kobayashi").await;
    assert_eq!(
        revoke(&app, &boss, unknown).await.status(),
        StatusCode::NOT_FOUND
    );
    let revoked_rows = "SELECT COUNT(*) FROM sync_clients WHERE revoked_at IS NOT NULL";
    assert_eq!(
        app.count(revoked_rows).await,
        0,
        "the refusals revoked nothing"
    );

    // The program's supervisor revokes it, and sees it revoked; twice changes nothing.
    for _ in 0..2 {
        assert_eq!(revoke(&app, &boss, phone).await.status(), StatusCode::OK);
    }
    let res = app.call_as(&boss, "sync_health", &[]).await;
    let devices: Vec<DeviceHealth> = res.json().await.unwrap();
    let row = devices
        .iter()
        .find(|d| d.client_id == phone.0.to_string())
        .expect("the phone is listed");
    assert!(row.revoked);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'revoke_device'")
            .await,
        1
    );

    // Its next push is taken: what was typed on it is not lost.
    let push = PushRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id: phone,
        mutations: vec![Mutation {
            id: 1,
            recorded_at: Utc::now(),
            op: Op::CreateNote {
                note_id: NoteId(Uuid::new_v4()),
                visit_id: visit,
                fields: note_fields("失くす前に書いた記録"),
            },
        }],
        database: None,
        skip_to: None,
    };
    let res = app.sync_as(&takahashi, "push", &push).await;
    assert_eq!(res.status(), StatusCode::OK);
    let outcomes = res.json::<PushResponse>().await.unwrap().outcomes;
    assert!(
        matches!(outcomes[..], [MutationOutcome::Applied { .. }]),
        "{outcomes:?}"
    );

    // While it says changes still wait, it pulls nothing and is not yet told to erase.
    let waiting = PullRequest {
        pending_since: Some(Utc::now()),
        ..pull(phone)
    };
    let res = app.sync_as(&takahashi, "pull", &waiting).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: app::sync::PullResponse = res.json().await.unwrap();
    assert!(page.changes.is_empty() && !page.more);

    // Once nothing waits, its pull is refused with word to erase everything of the site.
    let res = app.sync_as(&takahashi, "pull", &pull(phone)).await;
    assert_eq!(res.status(), StatusCode::GONE);
    let clear = res.headers()["clear-site-data"]
        .to_str()
        .unwrap()
        .to_owned();
    for what in ["\"cache\"", "\"cookies\"", "\"storage\""] {
        assert!(clear.contains(what), "{clear}");
    }
    assert_eq!(
        res.json::<SyncError>().await.unwrap(),
        SyncError::DeviceRevoked
    );

    // The user's other devices go on.
    let (_, tablet) = device_of(&app, "csw.takahashi").await;
    let res = app.sync_as(&takahashi, "pull", &pull(tablet)).await;
    assert_eq!(res.status(), StatusCode::OK);

    // An administrator may revoke any device.
    let admin = app.signed_in_client("admin.yoshida").await;
    assert_eq!(revoke(&app, &admin, tablet).await.status(), StatusCode::OK);
    let res = app.sync_as(&takahashi, "pull", &pull(tablet)).await;
    assert_eq!(res.status(), StatusCode::GONE);
}
