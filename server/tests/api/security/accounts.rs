//! Staff accounts: only an administrator lists them or changes them; disabling one ends its
//! sessions at once and refuses its sign-in until it is enabled again; a lost authenticator
//! is reset; every change is audited, and a refused request changes nothing.

use crate::helpers::{error_of, new_client, spawn_app, TestApp, PASSWORD};
use app::api::{AppError, StaffAccount};
use app::sync::{ClientId, PullRequest, PROTOCOL_VERSION};
use reqwest::{Client, StatusCode};
use uuid::Uuid;

async fn accounts(app: &TestApp, admin: &Client) -> Vec<StaffAccount> {
    let res = app.call_as(admin, "staff_accounts", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn set_disabled(
    app: &TestApp,
    by: &Client,
    staff: &str,
    disabled: bool,
) -> reqwest::Response {
    let disabled = disabled.to_string();
    app.call_as(
        by,
        "set_account_disabled",
        &[("staff_id", staff), ("disabled", &disabled)],
    )
    .await
}

async fn whoami_status(app: &TestApp, client: &Client) -> Option<String> {
    let res = app.call_as(client, "whoami", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Option<app::api::Viewer>>()
        .await
        .unwrap()
        .map(|v| v.display_name)
}

async fn account_changes(app: &TestApp) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM audit_log WHERE action IN \
         ('disable_account', 'enable_account', 'reset_second_factor')",
    )
    .await
}

#[tokio::test]
async fn only_an_administrator_lists_and_changes_accounts() {
    let app = spawn_app().await;
    let nurse_id = app.staff_id("nurse.sato").await;
    for login in [
        "nurse.sato",
        "psw.suzuki",
        "csw.takahashi",
        "supervisor.kobayashi",
        "supervisor.kato",
    ] {
        let client = app.signed_in_client(login).await;
        let res = app.call_as(&client, "staff_accounts", &[]).await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{login} lists accounts"
        );
        let res = set_disabled(&app, &client, &nurse_id, true).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{login} disables one");
        let res = app
            .call_as(&client, "reset_second_factor", &[("staff_id", &nurse_id)])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{login} resets one");
        // Whatever the id: a non-administrator learns nothing about which ids exist.
        let res = set_disabled(&app, &client, "not-an-id", true).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{login} with a bad id");
    }
    for endpoint in [
        "staff_accounts",
        "set_account_disabled",
        "reset_second_factor",
    ] {
        let res = app
            .call_as(
                &new_client(),
                endpoint,
                &[("staff_id", &nurse_id), ("disabled", "true")],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{endpoint} signed out"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE disabled != 0")
            .await,
        0
    );
    assert_eq!(account_changes(&app).await, 0);

    // The administrator sees every account, with its role, agency and devices.
    let admin = app.signed_in_client("admin.yoshida").await;
    let device = ClientId(Uuid::new_v4());
    let nurse = app.signed_in_client("nurse.sato").await;
    let pull = PullRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id: device,
        cursor: 0,
        pending_since: None,
    };
    assert_eq!(
        app.sync_as(&nurse, "pull", &pull).await.status(),
        StatusCode::OK
    );
    let list = accounts(&app, &admin).await;
    assert_eq!(
        list.len() as i64,
        app.count("SELECT COUNT(*) FROM staff").await
    );
    let sato = list.iter().find(|a| a.login == "nurse.sato").unwrap();
    assert_eq!(sato.role, app::domain::Role::Nurse);
    assert!(!sato.disabled && !sato.second_factor);
    assert_eq!(sato.devices.len(), 1);
    assert_eq!(sato.devices[0].client_id, device.0.to_string());
    assert!(list.iter().filter(|a| a.login != "nurse.sato").all(|a| a
        .devices
        .iter()
        .all(|d| d.client_id != device.0.to_string())));
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_at_once_and_signs_in_again_once_enabled() {
    let app = spawn_app().await;
    let admin = app.signed_in_client("admin.yoshida").await;
    let csw = app.signed_in_client("csw.watanabe").await;
    let csw_id = app.staff_id("csw.watanabe").await;
    assert!(whoami_status(&app, &csw).await.is_some());

    assert_eq!(
        set_disabled(&app, &admin, &csw_id, true).await.status(),
        StatusCode::OK
    );
    // Her open session has ended, her sessions are gone, and her password no longer opens one.
    assert_eq!(whoami_status(&app, &csw).await, None);
    let res = app.call_as(&csw, "my_visits", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE staff_id = ?")
        .bind(&csw_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    let res = app
        .call_as(
            &new_client(),
            "login",
            &[("login", "csw.watanabe"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(error_of(res).await, AppError::BadCredentials);
    let shown = accounts(&app, &admin).await;
    assert!(
        shown
            .iter()
            .find(|a| a.login == "csw.watanabe")
            .unwrap()
            .disabled
    );
    // Disabling twice is one change.
    assert_eq!(
        set_disabled(&app, &admin, &csw_id, true).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'disable_account'")
            .await,
        1
    );

    assert_eq!(
        set_disabled(&app, &admin, &csw_id, false).await.status(),
        StatusCode::OK
    );
    let again = app.signed_in_client("csw.watanabe").await;
    assert!(whoami_status(&app, &again).await.is_some());
    let admin_id = app.staff_id("admin.yoshida").await;
    let events: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT action, actor_id, record_id FROM audit_log \
         WHERE action IN ('disable_account', 'enable_account') ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        events,
        [
            ("disable_account".into(), admin_id.clone(), csw_id.clone()),
            ("enable_account".into(), admin_id, csw_id),
        ]
    );
}

#[tokio::test]
async fn an_administrator_cannot_disable_themselves_and_bad_ids_change_nothing() {
    let app = spawn_app().await;
    let admin = app.signed_in_client("admin.yoshida").await;
    let admin_id = app.staff_id("admin.yoshida").await;
    let res = set_disabled(&app, &admin, &admin_id, true).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .call_as(&admin, "reset_second_factor", &[("staff_id", &admin_id)])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(whoami_status(&app, &admin).await.is_some());
    for bad in ["not-an-id", &Uuid::new_v4().to_string()] {
        let res = set_disabled(&app, &admin, bad, true).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bad}");
        let res = app
            .call_as(&admin, "reset_second_factor", &[("staff_id", bad)])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    let nurse_id = app.staff_id("nurse.sato").await;
    let res = set_disabled(&app, &admin, &nurse_id, false).await;
    assert_eq!(res.status(), StatusCode::OK, "enabling an enabled account");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE disabled != 0")
            .await,
        0
    );
    assert_eq!(account_changes(&app).await, 0);
}

#[tokio::test]
async fn a_lost_authenticator_is_reset_and_the_password_signs_in_again() {
    let app = spawn_app().await;
    let nurse_id = app.staff_id("nurse.sato").await;
    // A session she left open (a borrowed PC), from before her second factor.
    let left_open = app.signed_in_client("nurse.sato").await;
    // Her second factor is on: the password alone is not enough.
    sqlx::query(
        "INSERT INTO second_factors (staff_id, secret, confirmed_at) VALUES (?, 'JBSWY3DPEHPK3PXP', '2026-01-01T00:00:00Z')",
    )
    .bind(&nurse_id)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("INSERT INTO recovery_codes (staff_id, code_hash) VALUES (?, 'used-up')")
        .bind(&nurse_id)
        .execute(&app.db)
        .await
        .unwrap();
    let password_only = [("login", "nurse.sato"), ("password", PASSWORD)];
    let res = app.call_as(&new_client(), "login", &password_only).await;
    assert_eq!(error_of(res).await, AppError::SecondFactorNeeded);

    let admin = app.signed_in_client("admin.yoshida").await;
    let shown = accounts(&app, &admin).await;
    assert!(
        shown
            .iter()
            .find(|a| a.login == "nurse.sato")
            .unwrap()
            .second_factor
    );
    let res = app
        .call_as(&admin, "reset_second_factor", &[("staff_id", &nurse_id)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The session left open ended with the reset: it cannot enrol an authenticator of its own.
    let res = app.call_as(&left_open, "start_second_factor", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app.call_as(&new_client(), "login", &password_only).await;
    assert_eq!(res.status(), StatusCode::OK);
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM second_factors WHERE staff_id = ?1) + \
                (SELECT COUNT(*) FROM recovery_codes WHERE staff_id = ?1)",
    )
    .bind(&nurse_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reset_second_factor'")
            .await,
        1
    );
    let shown = accounts(&app, &admin).await;
    assert!(
        !shown
            .iter()
            .find(|a| a.login == "nurse.sato")
            .unwrap()
            .second_factor
    );
}

#[tokio::test]
async fn two_administrators_cannot_lock_each_other_out() {
    let app = spawn_app().await;
    // A second administrator, with the demo password.
    sqlx::query(
        "INSERT INTO staff (id, login, display_name, role, home_agency_id, acts_for_agency_id, \
           password_hash, created_at) \
         SELECT ?, 'admin.second', '第二管理者', role, home_agency_id, acts_for_agency_id, \
           password_hash, created_at FROM staff WHERE login = 'admin.yoshida'",
    )
    .bind(Uuid::new_v4().to_string())
    .execute(&app.db)
    .await
    .unwrap();
    let first = app.signed_in_client("admin.yoshida").await;
    let second = app.signed_in_client("admin.second").await;
    let first_id = app.staff_id("admin.yoshida").await;
    let second_id = app.staff_id("admin.second").await;
    assert_eq!(
        set_disabled(&app, &first, &second_id, true).await.status(),
        StatusCode::OK
    );
    // The second one's session ended with the account: it cannot disable the first.
    let res = set_disabled(&app, &second, &first_id, true).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Nor can a request of theirs already past the session check (both at once): the change
    // looks at its author again inside its transaction.
    let config = server::config::Config::from_lookup(|_| None).unwrap();
    let service = server::backend::Service::new(app.db.clone(), std::sync::Arc::new(config));
    let stale = app::api::Viewer {
        id: second_id.parse().unwrap(),
        display_name: "第二管理者".into(),
        role: app::domain::Role::Admin,
        home_agency: (String::new(), String::new()),
        acts_for: None,
        supervises: None,
        must_set_up_second_factor: false,
    };
    use app::api::Backend;
    assert_eq!(
        service.set_account_disabled(&stale, &first_id, true).await,
        Err(AppError::Unauthenticated)
    );
    assert!(whoami_status(&app, &first).await.is_some());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE role = 'admin' AND disabled = 0")
            .await,
        1
    );
}

#[tokio::test]
async fn a_revoked_device_of_a_disabled_account_erases_itself_once_nothing_waits_on_it() {
    let app = spawn_app().await;
    let admin = app.signed_in_client("admin.yoshida").await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let nurse_id = app.staff_id("nurse.sato").await;
    let device = ClientId(Uuid::new_v4());
    let other = ClientId(Uuid::new_v4());
    let pull = |client_id: ClientId, waiting: bool| PullRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id,
        cursor: 0,
        pending_since: waiting.then(chrono::Utc::now),
    };
    for phone in [device, other] {
        let res = app.sync_as(&nurse, "pull", &pull(phone, false)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(
        set_disabled(&app, &admin, &nurse_id, true).await.status(),
        StatusCode::OK
    );
    let res = app
        .call_as(
            &admin,
            "revoke_device",
            &[("client_id", &device.0.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Her session has ended: a device with unsent work is only told to sign in, and keeps it.
    let res = app.sync_as(&nurse, "pull", &pull(device, true)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // With nothing waiting, the revoked one is told to erase itself, sign-in or not.
    let res = app.sync_as(&nurse, "pull", &pull(device, false)).await;
    assert_eq!(res.status(), StatusCode::GONE);
    // Said without a session, so it clears nothing in the browser by itself (another site's
    // page could send it): the app erases what it holds.
    assert!(res.headers().get("clear-site-data").is_none());
    assert_eq!(
        res.json::<app::sync::SyncError>().await.unwrap(),
        app::sync::SyncError::DeviceRevoked
    );
    let res = app
        .sync_as(&new_client(), "pull", &pull(device, false))
        .await;
    assert_eq!(res.status(), StatusCode::GONE);
    // Her other device, not revoked, and a device nobody knows: sign in first.
    for phone in [other, ClientId(Uuid::new_v4())] {
        let res = app.sync_as(&nurse, "pull", &pull(phone, false)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
}
