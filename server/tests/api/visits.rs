//! The visit list and the visit page, and who may see them.

use crate::helpers::{error_of, spawn_app};
use app::api::{AppError, VisitDetail};
use app::domain::visit::local_day;
use app::domain::{Visit, VisitStatus};
use reqwest::StatusCode;

#[tokio::test]
async fn a_nurse_sees_her_visits_from_today_with_co_visitors_from_other_agencies() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;

    let visits: Vec<Visit> = app.call("my_visits", &[]).await.json().await.unwrap();

    let today = local_day(chrono::Utc::now());
    assert!(!visits.is_empty());
    assert!(
        visits.iter().all(|v| v.day() >= today),
        "nothing from before today"
    );
    assert!(
        visits
            .windows(2)
            .all(|w| w[0].window.starts_at <= w[1].window.starts_at),
        "in time order"
    );
    assert!(
        visits.iter().any(|v| v.day() == today),
        "the demo plans visits for today"
    );
    let joint = visits
        .iter()
        .find(|v| v.members.len() >= 2)
        .expect("a joint visit");
    assert!(joint.members.iter().any(|m| m.display_name == "佐藤 美咲"));
    let agencies: std::collections::BTreeSet<_> = joint
        .members
        .iter()
        .map(|m| m.acts_for.clone().unwrap_or(m.home_agency.clone()))
        .collect();
    assert!(agencies.len() >= 2 || joint.members.iter().any(|m| m.acts_for.is_some()));
}

#[tokio::test]
async fn a_visit_page_shows_the_case_summary_team_and_earlier_notes() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    let visit_id = app.first_visit_of("nurse.sato").await;

    let res = app.call("load_visit", &[("visit_id", &visit_id)]).await;

    assert_eq!(res.status(), StatusCode::OK);
    let detail: VisitDetail = res.json().await.unwrap();
    assert_eq!(detail.visit.id.to_string(), visit_id);
    assert_eq!(detail.visit.status, VisitStatus::Planned);
    assert!(detail
        .case
        .team
        .iter()
        .any(|m| m.display_name == "佐藤 美咲"));
    assert!(detail.case.team.len() >= 2);
    assert_eq!(
        detail.case.program,
        detail.case.intake_channel.responsible_program()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'read_visit'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_nurse_cannot_read_a_case_outside_her_team() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    let foreign = app.visit_outside_team_of("nurse.sato").await;

    let res = app.call("load_visit", &[("visit_id", &foreign)]).await;

    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_of(res).await, AppError::NotFound);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'denied_visit'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'read_visit'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_programs_supervisor_may_read_a_case_without_being_on_its_team() {
    let app = spawn_app().await;
    app.login("supervisor.kobayashi").await;
    let visit = app.visit_outside_team_of("supervisor.kobayashi").await;

    let res = app.call("load_visit", &[("visit_id", &visit)]).await;

    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_and_malformed_visit_ids_get_the_same_not_found() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;

    for id in [
        "00000000-0000-0000-0000-000000000000",
        "not-an-id",
        "'; DROP TABLE visits; --",
    ] {
        let res = app.call("load_visit", &[("visit_id", id)]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
        assert_eq!(error_of(res).await, AppError::NotFound);
    }
    assert!(app.count("SELECT COUNT(*) FROM visits").await > 0);
}

#[tokio::test]
async fn nothing_is_readable_without_signing_in() {
    let app = spawn_app().await;
    let visit_id = app.first_visit_of("nurse.sato").await;

    for (endpoint, form) in [
        ("my_visits", vec![]),
        ("load_visit", vec![("visit_id", visit_id.as_str())]),
        ("program_notes", vec![]),
        ("reference", vec![]),
    ] {
        let res = app.call(endpoint, &form).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{endpoint}");
    }
}

#[tokio::test]
async fn a_device_gets_the_people_agencies_and_crisis_contacts_it_needs_offline() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    let reference: app::sync::Reference = app.call("reference", &[]).await.json().await.unwrap();
    let names: Vec<&str> = reference
        .staff
        .iter()
        .map(|s| s.display_name.as_str())
        .collect();
    assert!(names.contains(&"佐藤 美咲"));
    // A dispatched hospital PSW shows the public health center they act for.
    assert!(reference
        .staff
        .iter()
        .any(|s| s.acts_for.is_some() && s.home_agency != *s.acts_for.as_ref().unwrap()));
    assert!(reference.agencies.len() >= 3);
    assert!(
        reference
            .directory
            .iter()
            .any(|d| d.function.is_crisis() && !d.phone.is_empty()),
        "the hubs' emergency contacts travel to the device"
    );
}
