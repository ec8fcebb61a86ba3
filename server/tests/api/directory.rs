//! The hubs' directory as its administrator keeps it: a listing added, edited or retired
//! reaches a field device at its next pull (the pull names a new version of the reference
//! data, and the device fetches it again); bad input is refused on its field with nothing
//! written; only the administrator may; every change is audited.

use crate::helpers::{error_of, spawn_app, TestApp};
use crate::sync::{device, pull_once};
use app::api::AppError;
use app::domain::{AgencyKind, FieldError, Problem};
use app::sync::Reference;
use reqwest::{Client, StatusCode};

/// A listing as the administrator's form sends it.
struct Form<'a> {
    business: Option<String>,
    listed_under: Option<String>,
    name: &'a str,
    hub: Option<String>,
    functions: &'a [&'a str],
    phone: &'a str,
}

async fn save(app: &TestApp, by: &Client, form: &Form<'_>) -> reqwest::Response {
    let mut fields: Vec<(String, String)> = vec![
        ("listing[name]".into(), form.name.into()),
        ("listing[phone]".into(), form.phone.into()),
        ("listing[offers]".into(), "夜間の緊急受入れ".into()),
        ("listing[hours]".into(), "24時間".into()),
    ];
    for (key, value) in [
        ("business", &form.business),
        ("listed_under", &form.listed_under),
        ("hub", &form.hub),
    ] {
        if let Some(value) = value {
            fields.push((format!("listing[{key}]"), value.clone()));
        }
    }
    for (i, f) in form.functions.iter().enumerate() {
        fields.push((format!("listing[functions][{i}]"), (*f).into()));
    }
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.call_as(by, "save_listing", &form).await
}

/// What a field device holds after its next sync: it pulls, and fetches the reference data
/// again when the pull names another version than the one it holds.
pub(crate) async fn after_next_pull(app: &TestApp, client: &Client, held: Reference) -> Reference {
    let page = pull_once(app, client, &device()).await;
    if held.is_stale(page.reference_version) {
        app.reference(client).await
    } else {
        held
    }
}

fn names(reference: &Reference) -> Vec<String> {
    reference.directory.iter().map(|e| e.name.clone()).collect()
}

async fn a_hub(app: &TestApp, client: &Client) -> String {
    app.reference(client)
        .await
        .agencies
        .iter()
        .find(|a| a.kind == AgencyKind::LifeSupportHub)
        .expect("a hub")
        .id
        .to_string()
}

#[tokio::test]
async fn a_listing_the_administrator_adds_edits_and_retires_reaches_a_device_at_its_next_pull() {
    // Arrange: a nurse's device holding the directory.
    let app = spawn_app().await;
    let admin = app.signed_in_client("admin.yoshida").await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let held = app.reference(&nurse).await;
    let hub = a_hub(&app, &nurse).await;
    let held = after_next_pull(&app, &nurse, held).await;
    assert!(!names(&held).contains(&"夜間支援 ほしぞら".to_owned()));

    // Act: the administrator adds a business.
    let added = Form {
        business: None,
        listed_under: None,
        name: " 夜間支援 ほしぞら ",
        hub: Some(hub.clone()),
        functions: &["emergency", "consultation"],
        phone: "042-600-7777",
    };
    let res = save(&app, &admin, &added).await;
    assert_eq!(res.status(), StatusCode::OK);
    let business: String = res.json().await.unwrap();

    // Assert: the device holds it after its next pull, under both functions.
    let held = after_next_pull(&app, &nurse, held).await;
    let entries: Vec<_> = held
        .directory
        .iter()
        .filter(|e| e.business.to_string() == business)
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries
        .iter()
        .all(|e| e.name == "夜間支援 ほしぞら" && e.phone == "042-600-7777"));

    // An edit: a new number, and one function fewer.
    let edited = Form {
        business: Some(business.clone()),
        listed_under: Some(hub.clone()),
        phone: "042-600-8888",
        functions: &["emergency"],
        ..added
    };
    assert_eq!(save(&app, &admin, &edited).await.status(), StatusCode::OK);
    let held = after_next_pull(&app, &nurse, held).await;
    let entries: Vec<_> = held
        .directory
        .iter()
        .filter(|e| e.business.to_string() == business)
        .map(|e| (e.function.code(), e.phone.as_str()))
        .collect();
    assert_eq!(entries, [("emergency", "042-600-8888")]);

    // Retired: gone from the device at its next pull.
    let res = app
        .call_as(
            &admin,
            "retire_listing",
            &[("business", &business), ("hub", &hub)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let held = after_next_pull(&app, &nurse, held).await;
    assert!(held
        .directory
        .iter()
        .all(|e| e.business.to_string() != business));

    // Each change audited, naming the business.
    let audited = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE record_id = '{business}' \
             AND action IN ('edit_listing', 'retire_listing')"
        ))
        .await;
    assert_eq!(audited, 3);
}

#[tokio::test]
async fn bad_input_is_refused_on_its_field_and_only_the_administrator_may() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.signed_in_client("admin.yoshida").await;
    let hub = a_hub(&app, &admin).await;
    let written =
        "SELECT (SELECT COUNT(*) FROM directory_entries) + (SELECT COUNT(*) FROM agencies) \
                   + (SELECT COUNT(*) FROM audit_log WHERE action = 'edit_listing')";
    let before = app.count(written).await;

    // Act: no name, no function, a number nobody can dial.
    let bad = Form {
        business: None,
        listed_under: None,
        name: "  ",
        hub: Some(hub.clone()),
        functions: &[],
        phone: "電話して",
    };
    let res = save(&app, &admin, &bad).await;

    // Assert
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(res).await,
        AppError::Invalid(vec![
            FieldError::new("name", Problem::Required),
            FieldError::new("phone", Problem::PhoneFormat),
            FieldError::new("functions", Problem::Required),
        ])
    );
    // A hub that is no hub is refused on its field too.
    let not_a_hub = Form {
        name: "事業所",
        functions: &["experience"],
        phone: "042-600-0000",
        hub: Some(app.staff_id("nurse.sato").await),
        ..bad
    };
    let res = save(&app, &admin, &not_a_hub).await;
    assert_eq!(
        error_of(res).await,
        AppError::Invalid(vec![FieldError::new("hub", Problem::UnknownChoice)])
    );
    // Nobody but the administrator.
    let good = Form {
        hub: Some(hub),
        ..not_a_hub
    };
    for login in ["nurse.sato", "supervisor.kobayashi"] {
        let client = app.signed_in_client(login).await;
        let res = save(&app, &client, &good).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{login}");
    }
    assert_eq!(app.count(written).await, before, "nothing written");
}

#[tokio::test]
async fn a_listing_edited_after_a_restore_reaches_a_device_that_held_a_later_directory() {
    // Arrange: last night's backup, then an edit in the morning that the device takes in.
    let mut app = spawn_app().await;
    let admin = app.signed_in_client("admin.yoshida").await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let hub = a_hub(&app, &nurse).await;
    let held = after_next_pull(&app, &nurse, app.reference(&nurse).await).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nightly.backup");
    server::backup::backup(app.database_url(), &file)
        .await
        .unwrap();
    let morning = Form {
        business: None,
        listed_under: None,
        name: "朝の相談室",
        hub: Some(hub.clone()),
        functions: &["consultation"],
        phone: "042-600-1111",
    };
    assert_eq!(save(&app, &admin, &morning).await.status(), StatusCode::OK);
    let held = after_next_pull(&app, &nurse, held).await;
    assert!(names(&held).contains(&"朝の相談室".to_owned()));

    // Act: the database goes back to the backup, and the administrator adds a listing anew.
    app.stop().await;
    server::restore::restore(app.database_url(), &file, true)
        .await
        .unwrap();
    app.start().await;
    let again = Form {
        name: "昼の相談室",
        phone: "042-600-2222",
        ..morning
    };
    assert_eq!(save(&app, &admin, &again).await.status(), StatusCode::OK);

    // Assert: the device, which held the morning's version, holds the restored directory with
    // the new listing, not the morning's.
    let held = after_next_pull(&app, &nurse, held).await;
    assert!(
        names(&held).contains(&"昼の相談室".to_owned()),
        "{:?}",
        names(&held)
    );
    assert!(!names(&held).contains(&"朝の相談室".to_owned()));
}
