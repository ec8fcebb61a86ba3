//! The visit list and the visit page as a device shows them from what it pulled, and who may
//! see them.

use crate::helpers::spawn_app;
use crate::sync::{device, pulled_device};
use app::domain::visit::local_day;
use app::domain::VisitStatus;
use reqwest::StatusCode;

#[tokio::test]
async fn a_nurse_sees_her_visits_from_today_with_co_visitors_from_other_agencies() {
    let app = spawn_app().await;
    let (phone, me, refs) = pulled_device(&app, "nurse.sato").await;

    let today = local_day(chrono::Utc::now());
    let visits = phone.my_visits(me, today, &refs);

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
    let visit_id = app.first_visit_of("nurse.sato").await;
    let (phone, me, refs) = pulled_device(&app, "nurse.sato").await;

    let page = phone
        .local_visit(visit_id.parse().unwrap(), me, &refs)
        .expect("her visit");

    assert_eq!(page.visit.id.to_string(), visit_id);
    assert_eq!(page.visit.status, VisitStatus::Planned);
    assert!(page.case.team.iter().any(|m| m.display_name == "佐藤 美咲"));
    assert!(page.case.team.len() >= 2);
    assert_eq!(
        page.case.program,
        page.case.intake_channel.responsible_program()
    );
    let notes = app
        .count(&format!(
            "SELECT COUNT(*) FROM notes WHERE case_id = '{}'",
            page.case.id
        ))
        .await;
    assert_eq!(page.notes.len() as i64, notes, "the case's earlier notes");
}

#[tokio::test]
async fn a_nurse_cannot_read_a_case_outside_her_team() {
    let app = spawn_app().await;
    let foreign = app.visit_outside_team_of("nurse.sato").await;
    let (phone, me, refs) = pulled_device(&app, "nurse.sato").await;

    assert!(phone
        .local_visit(foreign.parse().unwrap(), me, &refs)
        .is_none());
    let case = app.case_of_visit(&foreign).await.parse().unwrap();
    assert!(phone.local_case(case, me, &refs).is_none());
}

#[tokio::test]
async fn the_programs_supervisor_may_read_a_case_without_being_on_its_team() {
    let app = spawn_app().await;
    let visit = app.visit_outside_team_of("supervisor.kobayashi").await;
    let (desk, me, refs) = pulled_device(&app, "supervisor.kobayashi").await;

    let page = desk.local_visit(visit.parse().unwrap(), me, &refs);

    assert!(page.is_some());
}

#[tokio::test]
async fn nothing_is_readable_without_signing_in() {
    let app = spawn_app().await;
    let visit_id = app.first_visit_of("nurse.sato").await;
    let reason = "夜間の緊急連絡で、担当外のケースを確認する必要がある";

    for (endpoint, form) in [
        ("reference", vec![]),
        ("device_policy", vec![]),
        ("sync_health", vec![]),
        (
            "break_glass",
            vec![("visit_id", visit_id.as_str()), ("reason", reason)],
        ),
    ] {
        let res = app.call(endpoint, &form).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{endpoint}");
    }
    let res = app
        .sync_as(&app.client, "pull", &device().pull_request())
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "pull");
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
