//! Directory listings suggested to a case team: a mutation like any other, so it reaches the
//! team's devices and the program's supervisor at their next pull, is refused to anyone off the
//! team as if the case did not exist, and is audited.

use crate::helpers::{spawn_app, TestApp};
use crate::sync::{device, pull_all, push};
use app::domain::{AgencyId, CaseId, RiskLevel};
use app::sync::{MutationOutcome, Op, RejectReason, Replica};
use chrono::Utc;
use reqwest::Client;
use uuid::Uuid;

/// A case registered at a welfare desk (the model program) with a nurse invited to its team.
async fn case_with_team(app: &TestApp, csw: &Client, desk: &mut Replica) -> CaseId {
    let case_id = CaseId(Uuid::new_v4());
    desk.record(
        Op::OpenCase {
            case_id,
            pseudonym: "Dさん".into(),
            risk: RiskLevel::Moderate,
            agencies: vec![],
        },
        Utc::now(),
    );
    desk.record(
        Op::JoinTeam {
            case_id,
            staff_id: app.staff("nurse.sato").await,
        },
        Utc::now(),
    );
    let response = push(app, csw, desk).await;
    assert!(
        response
            .outcomes
            .iter()
            .all(|o| matches!(o, MutationOutcome::Applied { .. })),
        "{response:?}"
    );
    case_id
}

fn suggest(case_id: CaseId, business: AgencyId, hub: AgencyId) -> (Uuid, Op) {
    let suggestion_id = Uuid::new_v4();
    let op = Op::SuggestListing {
        suggestion_id,
        case_id,
        business,
        hub,
    };
    (suggestion_id, op)
}

#[tokio::test]
async fn a_suggestion_reaches_the_team_and_the_supervisor_and_can_be_taken_back() {
    // Arrange
    let app = spawn_app().await;
    let csw = app.signed_in_client("csw.takahashi").await;
    let mut desk = device();
    let case_id = case_with_team(&app, &csw, &mut desk).await;
    let reference = app.reference(&csw).await;
    let entry = reference.directory.first().expect("a directory").clone();

    // Act: the social worker suggests a business to the team.
    let (suggestion_id, op) = suggest(case_id, entry.business, entry.hub);
    desk.record(op, Utc::now());
    let response = push(&app, &csw, &mut desk).await;
    assert!(
        matches!(response.outcomes[..], [MutationOutcome::Applied { .. }]),
        "{response:?}"
    );

    // Assert: the nurse's device and the supervisor's show it, named from the directory.
    for login in ["nurse.sato", "supervisor.kobayashi"] {
        let client = app.signed_in_client(login).await;
        let mut replica = device();
        pull_all(&app, &client, &mut replica).await;
        let page = replica
            .local_case(case_id, app.staff(login).await, &reference)
            .expect("the case");
        let names: Vec<&str> = page.suggestions.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, [entry.name.as_str()], "{login}");
        assert_eq!(
            page.suggestions[0].suggested_by.id,
            app.staff("csw.takahashi").await
        );
    }
    let audited = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'suggest_listing' \
             AND case_id = '{case_id}' AND record_id = '{suggestion_id}'"
        ))
        .await;
    assert_eq!(audited, 1);

    // The nurse takes it back; the desk's device no longer shows it after its pull.
    let nurse = app.signed_in_client("nurse.sato").await;
    let mut field = device();
    pull_all(&app, &nurse, &mut field).await;
    field.record(
        Op::WithdrawSuggestion {
            suggestion_id,
            case_id,
        },
        Utc::now(),
    );
    let response = push(&app, &nurse, &mut field).await;
    assert!(
        matches!(response.outcomes[..], [MutationOutcome::Applied { .. }]),
        "{response:?}"
    );
    pull_all(&app, &csw, &mut desk).await;
    let page = desk
        .local_case(case_id, app.staff("csw.takahashi").await, &reference)
        .unwrap();
    assert!(page.suggestions.is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM case_suggestions WHERE withdrawn_at IS NOT NULL")
            .await,
        1,
        "kept, as taken back"
    );
}

#[tokio::test]
async fn a_suggestion_from_off_the_team_or_of_no_listing_is_refused_and_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let csw = app.signed_in_client("csw.takahashi").await;
    let mut desk = device();
    let case_id = case_with_team(&app, &csw, &mut desk).await;
    let entry = app.reference(&csw).await.directory[0].clone();
    let logged = format!("SELECT COUNT(*) FROM change_log WHERE case_id = '{case_id}'");
    let logged_before = app.count(&logged).await;

    // Act: a social worker of another desk, not on the team.
    let outsider = app.signed_in_client("csw.watanabe").await;
    let mut theirs = device();
    theirs.record(suggest(case_id, entry.business, entry.hub).1, Utc::now());
    let refused = push(&app, &outsider, &mut theirs).await;
    // A team member naming a business under a hub it is not listed with.
    desk.record(
        suggest(case_id, entry.business, entry.business).1,
        Utc::now(),
    );
    let unlisted = push(&app, &csw, &mut desk).await;

    // Assert
    assert!(
        matches!(
            refused.outcomes[..],
            [MutationOutcome::Rejected {
                reason: RejectReason::NotFound,
                ..
            }]
        ),
        "{refused:?}"
    );
    assert!(
        matches!(
            unlisted.outcomes[..],
            [MutationOutcome::Rejected {
                reason: RejectReason::UnknownAgency,
                ..
            }]
        ),
        "{unlisted:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM case_suggestions").await, 0);
    assert_eq!(app.count(&logged).await, logged_before, "nothing logged");
}
