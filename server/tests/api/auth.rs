//! Signing in and out, sessions.

use crate::helpers::{error_of, new_client, spawn_app, PASSWORD};
use app::api::{AppError, Viewer};
use app::domain::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn the_right_password_opens_a_session_with_a_strict_http_only_cookie() {
    let app = spawn_app().await;

    let res = app
        .call("login", &[("login", "nurse.sato"), ("password", PASSWORD)])
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("dekapan_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"));
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP on loopback: not Secure"
    );
    let viewer: Viewer = res.json().await.unwrap();
    assert_eq!(viewer.role, Role::Nurse);
    let whoami: Option<Viewer> = app.call("whoami", &[]).await.json().await.unwrap();
    assert_eq!(whoami.map(|v| v.id), Some(viewer.id));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_wrong_password_or_unknown_login_is_refused_alike_and_opens_nothing() {
    let app = spawn_app().await;

    let wrong = app
        .call(
            "login",
            &[("login", "nurse.sato"), ("password", "not-the-password")],
        )
        .await;
    let unknown = app
        .call("login", &[("login", "nobody"), ("password", PASSWORD)])
        .await;

    for res in [wrong, unknown] {
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().get("set-cookie").is_none());
        assert_eq!(error_of(res).await, AppError::BadCredentials);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'")
            .await,
        2
    );
}

#[tokio::test]
async fn an_empty_login_form_names_the_missing_fields() {
    let app = spawn_app().await;

    let res = app.call("login", &[("login", " "), ("password", "")]).await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = error_of(res).await;
    assert!(
        error.field("login").is_some() && error.field("password").is_some(),
        "{error:?}"
    );
}

#[tokio::test]
async fn logging_out_ends_the_session_even_for_a_copied_cookie() {
    let app = spawn_app().await;
    let res = app
        .call("login", &[("login", "nurse.sato"), ("password", PASSWORD)])
        .await;
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let out = app.call("logout", &[]).await;

    assert_eq!(out.status(), StatusCode::OK);
    assert_eq!(
        app.call("reference", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let replay = new_client()
        .post(format!("{}/api/reference", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    assert_eq!(app.call("reference", &[]).await.status(), StatusCode::OK);

    server::on_db!(app.db, |db| sqlx::query(
        "UPDATE sessions SET idle_expires_at = '2000-01-01T00:00:00Z'"
    )
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();

    let res = app.call("reference", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(res).await, AppError::Unauthenticated);
}

#[tokio::test]
async fn a_session_past_its_absolute_expiry_ends_even_while_in_use() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;

    server::on_db!(app.db, |db| sqlx::query(
        "UPDATE sessions SET expires_at = '2000-01-01T00:00:00Z'"
    )
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();

    assert_eq!(
        app.call("reference", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions_at_once() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;

    server::on_db!(app.db, |db| sqlx::query(
        "UPDATE staff SET disabled = TRUE WHERE login = 'nurse.sato'"
    )
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();

    assert_eq!(
        app.call("reference", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn five_failed_sign_ins_pause_the_login_even_for_the_right_password() {
    let app = spawn_app().await;
    for _ in 0..4 {
        let res = app
            .call(
                "login",
                &[("login", "nurse.sato"), ("password", "wrong wrong wrong")],
            )
            .await;
        assert_eq!(error_of(res).await, AppError::BadCredentials);
    }
    // The fifth failure starts a pause of a quarter of an hour.
    let fifth = app
        .call(
            "login",
            &[("login", "nurse.sato"), ("password", "wrong wrong wrong")],
        )
        .await;
    assert_eq!(fifth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_of(fifth).await, AppError::LoginPaused { minutes: 15 });
    let right = app
        .call("login", &[("login", "nurse.sato"), ("password", PASSWORD)])
        .await;
    assert_eq!(
        error_of(right).await,
        AppError::LoginPaused { minutes: 15 },
        "the right password does not get through a pause"
    );
    // An unknown login is paused alike, so a pause tells nothing about which logins exist.
    for _ in 0..5 {
        app.call(
            "login",
            &[("login", "nobody.here"), ("password", "wrong wrong wrong")],
        )
        .await;
    }
    let unknown = app
        .call(
            "login",
            &[("login", "nobody.here"), ("password", "wrong wrong wrong")],
        )
        .await;
    assert!(matches!(
        error_of(unknown).await,
        AppError::LoginPaused { .. }
    ));
    // Others sign in as usual.
    app.login("nurse.tanaka").await;

    // When the pause has run out the right password works and the count starts again.
    server::on_db!(app.db, |db| sqlx::query("UPDATE login_failures SET paused_until = '2000-01-01T00:00:00Z' WHERE login = 'nurse.sato'")
        .execute(db).await.map(|done| done.rows_affected()))
        .unwrap();
    app.login("nurse.sato").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM login_failures WHERE login = 'nurse.sato'")
            .await,
        0
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND outcome = 'denied'"
        )
        .await,
        12
    );
}

#[tokio::test]
async fn an_overlong_login_or_passphrase_is_refused_without_work() {
    let app = spawn_app().await;
    let long_login = "x".repeat(101);
    let res = app
        .call("login", &[("login", &long_login), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(res).await.field("login").is_some());
    let long_password = "y".repeat(100_000);
    let res = app
        .call(
            "login",
            &[("login", "nurse.sato"), ("password", &long_password)],
        )
        .await;
    assert_eq!(error_of(res).await, AppError::BadCredentials);
}

#[tokio::test]
async fn signing_in_again_ends_the_session_held_before() {
    let app = spawn_app().await;
    let first = app
        .call("login", &[("login", "nurse.sato"), ("password", PASSWORD)])
        .await;
    let old_cookie = first
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    app.login("nurse.sato").await;
    // The browser's new session works; the old token, replayed from elsewhere, does not.
    let whoami: Option<Viewer> = app.call("whoami", &[]).await.json().await.unwrap();
    assert!(whoami.is_some());
    let replay = new_client()
        .post(format!("{}/api/reference", app.base))
        .header("Cookie", old_cookie)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions").await,
        1,
        "one live session"
    );
}
