//! Two-step sign-in: a TOTP secret set up with a first code, then every sign-in needs a code
//! good once, or a recovery code good once; a wrong code counts as a failed sign-in.

use crate::helpers::{error_of, new_client, spawn_app, spawn_app_with, TestApp, PASSWORD};
use app::api::{AppError, SecondFactorSetup, Viewer};
use reqwest::{Client, StatusCode};
use server::totp;

/// The code the authenticator shows `steps` steps from now.
fn code(secret: &str, steps: i64) -> String {
    let bytes = totp::secret_bytes(secret).expect("a base32 secret");
    let step = totp::step_of(chrono::Utc::now().timestamp()) + steps;
    format!("{:06}", totp::code_at(&bytes, step as u64, totp::DIGITS))
}

async fn sign_in(app: &TestApp, code: Option<&str>) -> (Client, reqwest::Response) {
    let client = new_client();
    let mut form = vec![("login", "nurse.sato"), ("password", PASSWORD)];
    if let Some(code) = code {
        form.push(("code", code));
    }
    let res = app.call_as(&client, "login", &form).await;
    (client, res)
}

#[tokio::test]
async fn with_a_second_factor_each_sign_in_needs_a_fresh_code_or_a_recovery_code() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let on = |client: Client| {
        let app = &app;
        async move {
            let res = app.call_as(&client, "second_factor_on", &[]).await;
            res.json::<bool>().await.unwrap()
        }
    };
    assert!(!on(nurse.clone()).await);

    // Set up: a secret; a wrong first code turns nothing on; the right one does.
    let res = app.call_as(&nurse, "start_second_factor", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let setup: SecondFactorSetup = res.json().await.unwrap();
    assert!(setup
        .uri
        .starts_with("otpauth://totp/Dekapan:nurse.sato?secret="));
    let res = app
        .call_as(&nurse, "confirm_second_factor", &[("code", "000000")])
        .await;
    assert_eq!(error_of(res).await, AppError::BadSecondFactor);
    assert!(!on(nurse.clone()).await);
    let first = code(&setup.secret, 0);
    let res = app
        .call_as(&nurse, "confirm_second_factor", &[("code", &first)])
        .await;
    let recovery: Vec<String> = res.json().await.unwrap();
    assert_eq!(recovery.len(), 10);
    assert!(on(nurse.clone()).await);
    let stored: i64 = app
        .count("SELECT COUNT(*) FROM recovery_codes WHERE code_hash LIKE '%-%'")
        .await;
    assert_eq!(stored, 0, "recovery codes are kept hashed");

    // The password alone opens nothing; a wrong code or the spent first code neither.
    let (_, res) = sign_in(&app, None).await;
    assert!(res.headers().get("set-cookie").is_none());
    assert_eq!(error_of(res).await, AppError::SecondFactorNeeded);
    for wrong in ["000000", first.as_str(), "12345", "abcdef"] {
        let (_, res) = sign_in(&app, Some(wrong)).await;
        assert!(res.headers().get("set-cookie").is_none(), "{wrong}");
        assert_eq!(error_of(res).await, AppError::BadSecondFactor, "{wrong}");
    }
    // The next code signs in, once.
    let next = code(&setup.secret, 1);
    let (client, res) = sign_in(&app, Some(&next)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.call_as(&client, "whoami", &[]).await.status(),
        StatusCode::OK
    );
    let (_, res) = sign_in(&app, Some(&next)).await;
    assert_eq!(
        error_of(res).await,
        AppError::BadSecondFactor,
        "a code is good once"
    );

    // A recovery code, typed loosely, works once.
    let loose = recovery[3].to_uppercase().replace('-', " ");
    let (_, res) = sign_in(&app, Some(&loose)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, res) = sign_in(&app, Some(&recovery[3])).await;
    assert_eq!(error_of(res).await, AppError::BadSecondFactor);

    // Replacing the factor needs a code from it; the old one stays in force until the new one
    // is confirmed.
    let res = app.call_as(&nurse, "start_second_factor", &[]).await;
    assert_eq!(error_of(res).await, AppError::SecondFactorNeeded);
    let res = app
        .call_as(&nurse, "start_second_factor", &[("code", &recovery[5])])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, res) = sign_in(&app, None).await;
    assert_eq!(error_of(res).await, AppError::SecondFactorNeeded);

    // Guessing codes pauses the login like guessing passwords.
    for _ in 0..5 {
        let _ = sign_in(&app, Some("999999")).await;
    }
    let (_, res) = sign_in(&app, Some(&code(&setup.secret, 0))).await;
    assert!(matches!(error_of(res).await, AppError::LoginPaused { .. }));
}

#[tokio::test]
async fn where_two_step_sign_in_is_required_nothing_works_until_it_is_set_up() {
    let app = spawn_app_with(&[("DEKAPAN_REQUIRE_SECOND_FACTOR", "true")]).await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let res = app.call_as(&nurse, "whoami", &[]).await;
    let viewer: Option<Viewer> = res.json().await.unwrap();
    let viewer = viewer.expect("signed in");
    assert!(viewer.must_set_up_second_factor);
    assert_eq!(viewer.start_page(), "/security");

    // Nothing else: server functions, sync, exports.
    let res = app.call_as(&nurse, "reference", &[]).await;
    assert_eq!(error_of(res).await, AppError::SecondFactorSetupNeeded);
    let pull = serde_json::json!({
        "protocol_version": app::sync::PROTOCOL_VERSION,
        "client_id": uuid::Uuid::new_v4(),
        "cursor": 0,
    });
    let res = app.sync_as(&nurse, "pull", &pull).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Setting it up is allowed, and then everything is.
    let res = app.call_as(&nurse, "start_second_factor", &[]).await;
    let setup: SecondFactorSetup = res.json().await.unwrap();
    let res = app
        .call_as(
            &nurse,
            "confirm_second_factor",
            &[("code", &code(&setup.secret, 0))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.call_as(&nurse, "reference", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.sync_as(&nurse, "pull", &pull).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, res) = sign_in(&app, None).await;
    assert_eq!(error_of(res).await, AppError::SecondFactorNeeded);
}
