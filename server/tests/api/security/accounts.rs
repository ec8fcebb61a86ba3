//! Staff accounts: only an administrator lists them, opens them or changes them; a new one
//! signs in with the first passphrase made for it; disabling one ends its
//! sessions at once and refuses its sign-in until it is enabled again; a lost authenticator
//! is reset; every change is audited, and a refused request changes nothing.

use crate::directory::after_next_pull;
use crate::helpers::{error_of, new_client, spawn_app, TestApp, PASSWORD};
use app::api::{AppError, IssuedPassphrase, StaffAccount};
use app::domain::{FieldError, Problem};
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
        app.count("SELECT COUNT(*) FROM staff WHERE disabled").await,
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
        database: None,
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
    assert!(app.whoami(&csw).await.is_some());

    assert_eq!(
        set_disabled(&app, &admin, &csw_id, true).await.status(),
        StatusCode::OK
    );
    // Her open session has ended, her sessions are gone, and her password no longer opens one.
    assert_eq!(app.whoami(&csw).await, None);
    let res = app.call_as(&csw, "reference", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let sessions: i64 = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE staff_id = $1"
    )
    .bind(&csw_id)
    .fetch_one(db)
    .await)
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
    assert!(app.whoami(&again).await.is_some());
    let admin_id = app.staff_id("admin.yoshida").await;
    let events: Vec<(String, String, String)> = server::on_db!(app.db, |db| sqlx::query_as(
        "SELECT action, actor_id, record_id FROM audit_log \
         WHERE action IN ('disable_account', 'enable_account') ORDER BY id",
    )
    .fetch_all(db)
    .await)
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
    assert!(app.whoami(&admin).await.is_some());
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
        app.count("SELECT COUNT(*) FROM staff WHERE disabled").await,
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
    server::on_db!(app.db, |db| sqlx::query(
        "INSERT INTO second_factors (staff_id, secret, confirmed_at) VALUES ($1, 'JBSWY3DPEHPK3PXP', '2026-01-01T00:00:00Z')",
    )
    .bind(&nurse_id)
    .execute(db).await.map(|done| done.rows_affected()))
    .unwrap();
    server::on_db!(app.db, |db| sqlx::query(
        "INSERT INTO recovery_codes (staff_id, code_hash) VALUES ($1, 'used-up')"
    )
    .bind(&nurse_id)
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
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
    let left: i64 = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM second_factors WHERE staff_id = $1) + \
                (SELECT COUNT(*) FROM recovery_codes WHERE staff_id = $1)",
    )
    .bind(&nurse_id)
    .fetch_one(db)
    .await)
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
    server::on_db!(app.db, |db| sqlx::query(
        "INSERT INTO staff (id, login, display_name, role, home_agency_id, acts_for_agency_id, \
           password_hash, created_at) \
         SELECT $1, 'admin.second', '第二管理者', role, home_agency_id, acts_for_agency_id, \
           password_hash, created_at FROM staff WHERE login = 'admin.yoshida'",
    )
    .bind(Uuid::new_v4().to_string())
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
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
    let service = app.backend();
    let stale = app::api::Viewer {
        id: second_id.parse().unwrap(),
        display_name: "第二管理者".into(),
        role: app::domain::Role::Admin,
        home_agency: (String::new(), String::new()),
        acts_for: None,
        supervises: None,
        must_set_up_second_factor: false,
        must_change_passphrase: false,
    };
    assert_eq!(
        service.set_account_disabled(&stale, &first_id, true).await,
        Err(AppError::Unauthenticated)
    );
    assert!(app.whoami(&first).await.is_some());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE role = 'admin' AND NOT disabled")
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
        database: None,
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

fn a_pull() -> PullRequest {
    PullRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id: ClientId(Uuid::new_v4()),
        cursor: 0,
        pending_since: None,
        database: None,
    }
}

/// The first agency of a kind (by its code).
pub(super) async fn agency_of_kind(app: &TestApp, kind: &str) -> String {
    server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT id FROM agencies WHERE kind = $1 ORDER BY id LIMIT 1"
    )
    .bind(kind)
    .fetch_one(db)
    .await)
    .unwrap()
}

async fn create(
    app: &TestApp,
    by: &Client,
    login: &str,
    role: &str,
    agency: &str,
    supervises: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("account[login]", login),
        ("account[display_name]", "中村 彩"),
        ("account[role]", role),
        ("account[home_agency]", agency),
    ];
    if let Some(program) = supervises {
        form.push(("account[supervises]", program));
    }
    app.call_as(by, "create_account", &form).await
}

#[tokio::test]
async fn an_administrator_opens_an_account_whose_first_passphrase_signs_in() {
    let app = spawn_app().await;
    let admin = app.signed_in_client("admin.yoshida").await;
    let hospital = agency_of_kind(&app, "psychiatric_hospital").await;
    let health_center = agency_of_kind(&app, "public_health_center").await;
    let staff_before = app.count("SELECT COUNT(*) FROM staff").await;

    // Nobody else may, whatever they send; and signed out, nobody.
    for login in ["nurse.sato", "supervisor.kato"] {
        let client = app.signed_in_client(login).await;
        let res = create(
            &app,
            &client,
            "psw.nakamura",
            "psychiatric_staff",
            &hospital,
            None,
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{login}");
    }
    let res = create(
        &app,
        &new_client(),
        "psw.nakamura",
        "psychiatric_staff",
        &hospital,
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Bad input is refused on its field and writes nothing.
    let business = agency_of_kind(&app, "cooperating_business").await;
    for (login, role, agency, supervises, field, problem) in [
        (
            "Psw Nakamura",
            "nurse",
            hospital.as_str(),
            None,
            "login",
            Problem::LoginFormat,
        ),
        (
            "nurse.sato",
            "nurse",
            health_center.as_str(),
            None,
            "login",
            Problem::Taken,
        ),
        (
            "sv.nakamura",
            "supervisor",
            health_center.as_str(),
            None,
            "supervises",
            Problem::Required,
        ),
        (
            "psw.nakamura",
            "psychiatric_staff",
            business.as_str(),
            None,
            "home_agency",
            Problem::UnknownChoice,
        ),
        (
            "psw.nakamura",
            "psychiatric_staff",
            "deca0000-0000-0000-0000-00000000ffff",
            None,
            "home_agency",
            Problem::UnknownChoice,
        ),
    ] {
        let res = create(&app, &admin, login, role, agency, supervises).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{login}");
        assert_eq!(
            error_of(res).await,
            AppError::Invalid(vec![FieldError::new(field, problem)]),
            "{login}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, staff_before);

    // Opened: a psychiatric worker of a hospital, who acts for the public health center.
    let res = create(
        &app,
        &admin,
        " psw.nakamura ",
        "psychiatric_staff",
        &hospital,
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let made: IssuedPassphrase = res.json().await.unwrap();
    assert_eq!(made.login, "psw.nakamura");
    assert_eq!(made.display_name, "中村 彩");
    let (home, acts_for): (String, String) = server::on_db!(app.db, |db| sqlx::query_as(
        "SELECT home_agency_id, acts_for_agency_id FROM staff WHERE id = $1"
    )
    .bind(made.id.to_string())
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!((home, acts_for), (hospital.clone(), health_center));
    // The same login again is taken.
    let res = create(&app, &admin, "psw.nakamura", "nurse", &hospital, None).await;
    assert_eq!(
        error_of(res).await,
        AppError::Invalid(vec![FieldError::new("login", Problem::Taken)])
    );
    // The administrator sees the account; the first passphrase signs in as its owner, who
    // may do nothing else (no call, no sync) until she has changed it.
    assert!(accounts(&app, &admin)
        .await
        .iter()
        .any(|a| a.id == made.id && a.role == app::domain::Role::PsychiatricStaff));
    let owner = new_client();
    let res = app
        .call_as(
            &owner,
            "login",
            &[("login", "psw.nakamura"), ("password", &made.passphrase)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(app.whoami(&owner).await.unwrap().must_change_passphrase);
    let res = app.call_as(&owner, "reference", &[]).await;
    assert_eq!(error_of(res).await, AppError::PassphraseChangeNeeded);
    assert_eq!(
        app.sync_as(&owner, "pull", &a_pull()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .call_as(
            &owner,
            "change_passphrase",
            &[
                ("current", &made.passphrase),
                ("new", "中村さんの新しい合言葉です"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!app.whoami(&owner).await.unwrap().must_change_passphrase);
    assert_eq!(
        app.call_as(&owner, "reference", &[]).await.status(),
        StatusCode::OK
    );
    let events: Vec<(String, String)> = server::on_db!(app.db, |db| sqlx::query_as(
        "SELECT actor_id, record_id FROM audit_log WHERE action = 'create_account'"
    )
    .fetch_all(db)
    .await)
    .unwrap();
    assert_eq!(
        events,
        [(app.staff_id("admin.yoshida").await, made.id.to_string())]
    );

    // A supervisor keeps the program asked for.
    let res = create(
        &app,
        &admin,
        "sv.nakamura",
        "supervisor",
        &hospital,
        Some("model_program"),
    )
    .await;
    let boss: IssuedPassphrase = res.json().await.unwrap();
    let supervises: Option<String> = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT supervises FROM staff WHERE id = $1"
    )
    .bind(boss.id.to_string())
    .fetch_one(db)
    .await)
    .unwrap();
    assert_eq!(supervises.as_deref(), Some("model_program"));
}

#[tokio::test]
async fn a_new_colleague_is_named_on_every_device_after_its_next_pull() {
    // Arrange: a nurse's device holding the reference data.
    let app = spawn_app().await;
    let admin = app.signed_in_client("admin.yoshida").await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let held = after_next_pull(&app, &nurse, app.reference(&nurse).await).await;
    let health_center = agency_of_kind(&app, "public_health_center").await;

    // Act: the administrator opens an account for a new nurse.
    let res = create(
        &app,
        &admin,
        "nurse.nakamura",
        "nurse",
        &health_center,
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let issued: IssuedPassphrase = res.json().await.unwrap();

    // Assert: the device names her (her notes and visits would show "?" otherwise).
    assert_eq!(held.person(issued.id).display_name, "?");
    let held = after_next_pull(&app, &nurse, held).await;
    assert_eq!(held.person(issued.id).display_name, "中村 彩");
}

#[tokio::test]
async fn a_forgotten_passphrase_is_issued_again_and_an_issued_one_expires_unused() {
    let app = spawn_app().await;
    let admin = app.signed_in_client("admin.yoshida").await;
    let csw = app.signed_in_client("csw.watanabe").await;
    let csw_id = app.staff_id("csw.watanabe").await;
    let reissue = |by: Client, staff: String| {
        let app = &app;
        async move {
            app.call_as(&by, "reissue_passphrase", &[("staff_id", &staff)])
                .await
        }
    };
    // Nobody but an administrator, and never for their own account.
    let nurse = app.signed_in_client("nurse.sato").await;
    let res = reissue(nurse, csw_id.clone()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = reissue(admin.clone(), app.staff_id("admin.yoshida").await).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Her sign-in is paused after guesses; the administrator issues a new passphrase.
    for _ in 0..app::domain::signin::FREE_FAILURES {
        app.login_as(&new_client(), "csw.watanabe", "wrong guess of hers")
            .await;
    }
    let res = reissue(admin.clone(), csw_id.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let issued: IssuedPassphrase = res.json().await.unwrap();
    assert_eq!(issued.login, "csw.watanabe");
    // Her open sign-ins end; the old passphrase no longer signs in; the issued one does, at
    // once (the pause is lifted), and holds everything else back until she changes it.
    assert_eq!(app.whoami(&csw).await, None);
    let res = app.login_as(&new_client(), "csw.watanabe", PASSWORD).await;
    assert_eq!(error_of(res).await, AppError::BadCredentials);
    let again = new_client();
    let res = app
        .login_as(&again, "csw.watanabe", &issued.passphrase)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(app.whoami(&again).await.unwrap().must_change_passphrase);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reissue_passphrase'")
            .await,
        1
    );

    // Left unused for more than three days, an issued passphrase no longer signs in, and says
    // why (only to whoever knows it).
    server::on_db!(app.db, |db| sqlx::query(
        "UPDATE staff SET passphrase_issued_at = $1 WHERE id = $2"
    )
    .bind(server::db::Stamp::from(
        chrono::Utc::now() - chrono::Duration::hours(73),
    ))
    .bind(&csw_id)
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    let res = app
        .login_as(&new_client(), "csw.watanabe", &issued.passphrase)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(res).await, AppError::IssuedPassphraseExpired);
    let res = app
        .login_as(&new_client(), "csw.watanabe", "not the issued one")
        .await;
    assert_eq!(error_of(res).await, AppError::BadCredentials);
}
