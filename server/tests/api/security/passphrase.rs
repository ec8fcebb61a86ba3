//! Changing one's own passphrase: only with the current one (wrong ones count toward the
//! sign-in pause), only to an acceptable new one, and the person's other sign-ins end.

use crate::helpers::{error_of, new_client, spawn_app, TestApp, PASSWORD};
use app::api::AppError;
use app::domain::{FieldError, Problem};
use reqwest::{Client, StatusCode};

const NEW: &str = "坂の上の団地に朝の光が差す";

async fn change(app: &TestApp, client: &Client, current: &str, new: &str) -> reqwest::Response {
    app.call_as(
        client,
        "change_passphrase",
        &[("current", current), ("new", new)],
    )
    .await
}

fn invalid(field: &str, problem: Problem) -> AppError {
    AppError::Invalid(vec![FieldError::new(field, problem)])
}

#[tokio::test]
async fn a_passphrase_changes_only_with_the_current_one_and_other_sign_ins_end() {
    let app = spawn_app().await;
    let phone = app.signed_in_client("nurse.sato").await;
    let tablet = app.signed_in_client("nurse.sato").await;
    let colleague = app.signed_in_client("nurse.tanaka").await;
    let hash = || async {
        server::on_db!(app.db, |db| sqlx::query_scalar::<_, String>(
            "SELECT password_hash FROM staff WHERE login = 'nurse.sato'",
        )
        .fetch_one(db)
        .await)
        .unwrap()
    };
    let failures = || {
        app.count(
            "SELECT COALESCE(MAX(failures), 0) FROM login_failures WHERE login = 'nurse.sato'",
        )
    };
    let before = hash().await;

    // Refused, and nothing changes: a wrong current passphrase, an unacceptable new one, the
    // same one again, nobody signed in.
    let res = change(&app, &phone, "not my passphrase", NEW).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(res).await, invalid("current", Problem::Wrong));
    for (new, problem) in [
        ("short", Problem::TooShort { min: 12 }),
        ("nurse.sato", Problem::TooShort { min: 12 }),
        ("zzzzzzzzzzzzzzzz", Problem::TooWeak),
        (PASSWORD, Problem::Unchanged),
    ] {
        let res = change(&app, &phone, PASSWORD, new).await;
        assert_eq!(error_of(res).await, invalid("new", problem), "{new}");
    }
    let res = change(&app, &phone, "", NEW).await;
    assert_eq!(error_of(res).await, invalid("current", Problem::Required));
    let res = change(&app, &new_client(), PASSWORD, NEW).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(app.whoami(&tablet).await.is_some());
    assert_eq!(hash().await, before);
    // The wrong current passphrase counted as a failed sign-in.
    assert_eq!(failures().await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'change_passphrase'")
            .await,
        0
    );

    // Changed: the session that asked stays, her other ones end, a colleague's are untouched;
    // only the new passphrase signs in; the failure before it is forgotten.
    let res = change(&app, &phone, PASSWORD, NEW).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(failures().await, 0);
    assert!(app.whoami(&phone).await.is_some());
    assert!(app.whoami(&tablet).await.is_none());
    assert!(app.whoami(&colleague).await.is_some());
    let res = app.login_as(&new_client(), "nurse.sato", PASSWORD).await;
    assert_eq!(error_of(res).await, AppError::BadCredentials);
    assert_eq!(
        app.login_as(&new_client(), "nurse.sato", NEW)
            .await
            .status(),
        StatusCode::OK
    );
    // Changed by the person herself, and audited.
    let sato = app.staff_id("nurse.sato").await;
    let events: Vec<(String,)> = server::on_db!(app.db, |db| sqlx::query_as(
        "SELECT actor_id FROM audit_log WHERE action = 'change_passphrase'"
    )
    .fetch_all(db)
    .await)
    .unwrap();
    assert_eq!(events, [(sato,)]);
}

#[tokio::test]
async fn guessing_the_current_passphrase_pauses_sign_in_like_wrong_passwords() {
    let app = spawn_app().await;
    let stolen = app.signed_in_client("nurse.sato").await;
    let free = app::domain::signin::FREE_FAILURES;
    for guess in 1..free {
        let res = change(&app, &stolen, &format!("guess number {guess}"), NEW).await;
        assert_eq!(error_of(res).await, invalid("current", Problem::Wrong));
    }
    let res = change(&app, &stolen, "one guess too many", NEW).await;
    assert!(matches!(
        error_of(res).await,
        AppError::LoginPaused { minutes: 15 }
    ));
    // Paused for everyone, the right passphrase included, here and at sign-in.
    let res = change(&app, &stolen, PASSWORD, NEW).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = app.login_as(&new_client(), "nurse.sato", PASSWORD).await;
    assert!(matches!(error_of(res).await, AppError::LoginPaused { .. }));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'change_passphrase'")
            .await,
        0
    );
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'")
            .await
            >= i64::from(free)
    );
}

#[tokio::test]
async fn a_sign_in_checked_just_before_a_change_opens_no_session() {
    let app = spawn_app().await;
    let sato = app.staff_id("nurse.sato").await;
    let hash = || async {
        server::on_db!(app.db, |db| sqlx::query_scalar::<_, String>(
            "SELECT password_hash FROM staff WHERE id = $1"
        )
        .bind(&sato)
        .fetch_one(db)
        .await)
        .unwrap()
    };
    let checked = hash().await;
    let phone = app.signed_in_client("nurse.sato").await;
    assert_eq!(
        change(&app, &phone, PASSWORD, NEW).await.status(),
        StatusCode::OK
    );
    // A sign-in whose passphrase was checked against the old hash, finishing after the change.
    let open = |hash: String| {
        let (app, sato) = (&app, sato.clone());
        async move {
            let minute = std::time::Duration::from_secs(60);
            server::on_db!(app.db, |db, rules| rules::auth::open_session(
                db,
                &sato,
                &hash,
                minute,
                minute * 60
            )
            .await
            .unwrap())
        }
    };
    let sessions = || app.count("SELECT COUNT(*) FROM sessions");
    let before = sessions().await;
    assert_eq!(open(checked).await, None);
    assert_eq!(sessions().await, before);
    assert!(open(hash().await).await.is_some());
    assert_eq!(sessions().await, before + 1);
}
