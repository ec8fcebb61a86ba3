//! The sync protocol against a real server: idempotent retries, gaps, rejections that do not
//! block, visibility on pull, merges and conflicts, and two devices converging.

use crate::helpers::{spawn_app, TestApp};
use app::domain::{CaseId, NoteFields, NoteId, Problem, RiskLevel, StaffId, VisitId, VisitStatus};
use app::sync::records::{CaseRecord, ConflictRecord, RevisionRecord, TeamRecord, VisitRecord};
use app::sync::{
    CaseField, ClientId, FieldEdit, MutationOutcome, Op, PullResponse, PushResponse, Reference,
    RejectReason, Replica, SyncError,
};
use chrono::Utc;
use reqwest::{Client, StatusCode};
use uuid::Uuid;

pub(crate) fn note_fields(next_steps: &str) -> NoteFields {
    NoteFields {
        met: true,
        met_with: "本人".into(),
        mental_state: "落ち着いている".into(),
        next_steps: next_steps.into(),
        ..Default::default()
    }
}

pub(crate) fn new_note(visit_id: &str, next_steps: &str) -> Op {
    Op::CreateNote {
        note_id: NoteId(Uuid::new_v4()),
        visit_id: visit_id.parse::<VisitId>().unwrap(),
        fields: note_fields(next_steps),
    }
}

fn edit_case(case_id: &str, field: CaseField, value: &str, base_version: u64) -> Op {
    Op::EditCase {
        case_id: case_id.parse::<CaseId>().unwrap(),
        edit: FieldEdit {
            field,
            value: value.into(),
            base_version,
        },
    }
}

/// Pushes the replica's outbox and takes in the answer.
pub(crate) async fn push(app: &TestApp, client: &Client, replica: &mut Replica) -> PushResponse {
    let request = replica.push_request().expect("something to push");
    let res = app.sync_as(client, "push", &request).await;
    assert_eq!(res.status(), StatusCode::OK);
    let response: PushResponse = res.json().await.unwrap();
    replica.on_push(&response);
    response
}

/// One pull from the replica's cursor, as answered (not taken in).
pub(crate) async fn pull_once(app: &TestApp, client: &Client, replica: &Replica) -> PullResponse {
    let res = app.sync_as(client, "pull", &replica.pull_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// Pulls until the server has nothing more.
pub(crate) async fn pull_all(app: &TestApp, client: &Client, replica: &mut Replica) {
    loop {
        let res = app.sync_as(client, "pull", &replica.pull_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        let response: PullResponse = res.json().await.unwrap();
        let before = replica.cursor;
        let more = response.more;
        replica.on_pull(response);
        assert!(replica.cursor >= before, "the cursor never goes backwards");
        if !more {
            break;
        }
    }
}

/// A new device of `login`'s that has pulled all it may see, with its user's id and the
/// reference data it names people with.
pub(crate) async fn pulled_device(app: &TestApp, login: &str) -> (Replica, StaffId, Reference) {
    let client = app.signed_in_client(login).await;
    let mut replica = device();
    pull_all(app, &client, &mut replica).await;
    let refs = app.reference(&client).await;
    (replica, app.staff(login).await, refs)
}

pub(crate) fn device() -> Replica {
    Replica::new(ClientId(Uuid::new_v4()))
}

#[tokio::test]
async fn replaying_the_same_push_changes_nothing() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let mut replica = device();
    replica.record(new_note(&visit, "来週再訪"), Utc::now());
    replica.record(new_note(&visit, "電話で確認"), Utc::now());
    let request = replica.push_request().unwrap();

    let first: PushResponse = app
        .sync_as(&nurse, "push", &request)
        .await
        .json()
        .await
        .unwrap();
    let notes_after_first = app.count("SELECT COUNT(*) FROM notes").await;
    for _ in 0..3 {
        let again: PushResponse = app
            .sync_as(&nurse, "push", &request)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(again.last_mutation_id, 2);
        assert!(again
            .outcomes
            .iter()
            .all(|o| matches!(o, MutationOutcome::Duplicate { .. })));
    }

    assert_eq!(first.last_mutation_id, 2);
    assert!(first
        .outcomes
        .iter()
        .all(|o| matches!(o, MutationOutcome::Applied { .. })));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notes").await,
        notes_after_first
    );
}

#[tokio::test]
async fn a_gap_is_refused_with_the_id_to_resend_from() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let mut replica = device();
    for n in 0..3 {
        replica.record(new_note(&visit, &format!("記録{n}")), Utc::now());
    }
    let mut request = replica.push_request().unwrap();
    request.mutations.remove(0);
    let notes_before = app.count("SELECT COUNT(*) FROM notes").await;

    let res = app.sync_as(&nurse, "push", &request).await;

    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        res.json::<SyncError>().await.unwrap(),
        SyncError::Gap { resend_from: 1 }
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notes").await,
        notes_before,
        "nothing of a refused batch applies"
    );
    // The whole outbox, resent, applies.
    let response = push(&app, &nurse, &mut replica).await;
    assert_eq!(response.last_mutation_id, 3);
    assert!(replica.outbox.is_empty());
}

#[tokio::test]
async fn a_rejected_mutation_is_kept_and_does_not_block_the_next() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let foreign = app.visit_outside_team_of("nurse.sato").await;
    let mut replica = device();
    replica.record(new_note(&foreign, "他チームの記録"), Utc::now());
    replica.record(
        Op::CreateNote {
            note_id: NoteId(Uuid::new_v4()),
            visit_id: visit.parse().unwrap(),
            fields: NoteFields {
                met: true,
                ..Default::default()
            },
        },
        Utc::now(),
    );
    replica.record(new_note(&visit, "正しい記録"), Utc::now());
    let count_on_foreign = || async {
        server::on_db!(app.db, |db| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM notes WHERE visit_id = $1"
        )
        .bind(&foreign)
        .fetch_one(db)
        .await)
        .unwrap()
    };
    let foreign_before = count_on_foreign().await;

    let response = push(&app, &nurse, &mut replica).await;

    // Told apart, so the nurse's device can say why in her language: a case not hers reads as
    // one that does not exist; an empty note names the fields to fill in.
    assert!(matches!(
        response.outcomes[0],
        MutationOutcome::Rejected {
            id: 1,
            reason: RejectReason::NotFound
        }
    ));
    assert!(matches!(
        &response.outcomes[1],
        MutationOutcome::Rejected {
            id: 2,
            reason: RejectReason::Invalid { errors }
        } if errors.iter().all(|e| e.problem == Problem::Required) && !errors.is_empty()
    ));
    assert!(matches!(
        response.outcomes[2],
        MutationOutcome::Applied { id: 3 }
    ));
    assert_eq!(
        replica.rejected.len(),
        2,
        "the device keeps what was refused"
    );
    let kept: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT body FROM rejected_mutations WHERE mutation_id = 1"
    )
    .fetch_one(db)
    .await)
    .unwrap();
    assert!(
        kept.contains("他チームの記録"),
        "the server keeps the refused content too"
    );
    assert_eq!(count_on_foreign().await, foreign_before);
}

#[tokio::test]
async fn a_note_id_already_taken_is_refused_and_the_first_note_stays_whole() {
    let app = spawn_app().await;
    let visit = app.first_visit_of("nurse.sato").await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let mut first = device();
    let op = new_note(&visit, "最初の記録");
    let Op::CreateNote { note_id, .. } = &op else {
        unreachable!()
    };
    let note_id = note_id.to_string();
    first.record(op.clone(), Utc::now());
    push(&app, &nurse, &mut first).await;
    let revisions = || async {
        server::on_db!(app.db, |db| sqlx::query_as::<_, (i64, String)>(
            "SELECT revision, next_steps FROM note_revisions WHERE note_id = $1",
        )
        .bind(&note_id)
        .fetch_all(db)
        .await)
        .unwrap()
    };
    let logged = "SELECT COUNT(*) FROM change_log WHERE entity = 'note_revision'";
    let logged_before = app.count(logged).await;

    // Another device sends a note under the same id, then an ordinary note.
    let mut second = device();
    let Op::CreateNote { visit_id, .. } = op else {
        unreachable!()
    };
    second.record(
        Op::CreateNote {
            note_id: note_id.parse().unwrap(),
            visit_id,
            fields: note_fields("上書きの試み"),
        },
        Utc::now(),
    );
    second.record(new_note(&visit, "次の記録"), Utc::now());
    let response = push(&app, &nurse, &mut second).await;

    assert!(matches!(
        response.outcomes[0],
        MutationOutcome::Rejected { id: 1, .. }
    ));
    assert!(matches!(
        response.outcomes[1],
        MutationOutcome::Applied { id: 2 }
    ));
    assert_eq!(revisions().await, vec![(1, "最初の記録".to_owned())]);
    assert_eq!(
        app.count(logged).await,
        logged_before + 1,
        "only the second device's ordinary note reaches the change log"
    );
}

#[tokio::test]
async fn a_new_device_pulls_only_the_cases_its_user_may_see() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let foreign_case = app
        .case_of_visit(&app.visit_outside_team_of("nurse.sato").await)
        .await;
    let mut replica = device();

    pull_all(&app, &nurse, &mut replica).await;

    let me = app.staff_id("nurse.sato").await;
    let teams: Vec<&TeamRecord> = replica.records.values().filter_map(|c| c.get()).collect();
    assert!(!teams.is_empty());
    assert!(teams
        .iter()
        .all(|t| t.members.iter().any(|m| m.to_string() == me)));
    assert!(replica
        .records
        .values()
        .all(|c| c.case_id.to_string() != foreign_case));
    assert!(replica.records.values().any(|c| c.entity() == "visit"));
    assert!(replica
        .records
        .values()
        .any(|c| c.entity() == "note_revision"));
}

#[tokio::test]
async fn a_device_of_another_team_can_neither_pull_nor_push_into_a_case() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let foreign_case = app
        .case_of_visit(&app.visit_outside_team_of("nurse.sato").await)
        .await;
    let mut replica = device();
    replica.record(
        edit_case(&foreign_case, CaseField::Risk, "high", 0),
        Utc::now(),
    );
    replica.record(
        Op::JoinTeam {
            case_id: foreign_case.parse().unwrap(),
            staff_id: app.staff_id("nurse.sato").await.parse().unwrap(),
        },
        Utc::now(),
    );

    let response = push(&app, &nurse, &mut replica).await;

    assert!(response
        .outcomes
        .iter()
        .all(|o| matches!(o, MutationOutcome::Rejected { .. })));
    let on_team = app.count(&format!("SELECT COUNT(*) FROM case_team WHERE case_id = '{foreign_case}' AND staff_id = (SELECT id FROM staff WHERE login = 'nurse.sato')")).await;
    assert_eq!(on_team, 0);
    pull_all(&app, &nurse, &mut replica).await;
    assert!(replica
        .records
        .values()
        .all(|c| c.case_id.to_string() != foreign_case));
}

#[tokio::test]
async fn edits_to_different_fields_merge_and_the_same_field_keeps_both_values() {
    let app = spawn_app().await;
    let sato = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let case_id = app.case_of_visit(&visit).await;
    let team_mate: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT s.login FROM case_team t JOIN staff s ON s.id = t.staff_id WHERE t.case_id = $1 AND s.login != 'nurse.sato' AND s.role != 'supervisor' LIMIT 1",
    )
    .bind(&case_id)
    .fetch_one(db).await)
    .unwrap();
    let other = app.signed_in_client(&team_mate).await;
    let (mut a, mut b) = (device(), device());
    pull_all(&app, &sato, &mut a).await;
    pull_all(&app, &other, &mut b).await;

    // Both offline: A changes the goal and the risk, B changes the medical view and the risk.
    let base = |r: &Replica, f: &str| r.field_version("case", &case_id, f);
    a.record(
        edit_case(
            &case_id,
            CaseField::LifeGoal,
            "一人で買い物に行く",
            base(&a, "life_goal"),
        ),
        Utc::now(),
    );
    a.record(
        edit_case(&case_id, CaseField::Risk, "high", base(&a, "risk")),
        Utc::now(),
    );
    b.record(
        edit_case(
            &case_id,
            CaseField::MedicalView,
            "服薬は安定",
            base(&b, "medical_view"),
        ),
        Utc::now(),
    );
    b.record(
        edit_case(&case_id, CaseField::Risk, "moderate", base(&b, "risk")),
        Utc::now(),
    );
    push(&app, &sato, &mut a).await;
    let late = push(&app, &other, &mut b).await;
    pull_all(&app, &sato, &mut a).await;
    pull_all(&app, &other, &mut b).await;

    let case_of = |r: &Replica| r.held::<CaseRecord>(&case_id).cloned().unwrap();
    assert_eq!(case_of(&a), case_of(&b), "both devices hold the same case");
    let case = case_of(&a);
    assert_eq!(case.life_goal, "一人で買い物に行く");
    assert_eq!(case.medical_view, "服薬は安定");
    assert_eq!(case.risk, RiskLevel::Moderate, "the later arrival wins");
    assert!(matches!(
        late.outcomes[1],
        MutationOutcome::Conflicted { .. }
    ));
    let (replaced, winner): (String, String) = server::on_db!(app.db, |db| {
        sqlx::query_as(
        "SELECT replaced_value, winner_value FROM conflicts WHERE case_id = $1 AND field = 'risk'",
    )
    .bind(&case_id)
    .fetch_one(db).await
    })
    .unwrap();
    assert_eq!(
        (replaced.as_str(), winner.as_str()),
        ("high", "moderate"),
        "the losing value is kept"
    );
    assert!(
        a.records.values().any(|c| c.entity() == "conflict"),
        "the conflict reaches the devices"
    );

    // A team member settles it with the value that lost; settling twice is refused.
    let conflict_id = match late.outcomes[1] {
        MutationOutcome::Conflicted { conflict_id, .. } => conflict_id,
        _ => unreachable!("checked above"),
    };
    a.record(
        Op::ResolveConflict {
            conflict_id,
            value: "high".into(),
        },
        Utc::now(),
    );
    a.record(
        Op::ResolveConflict {
            conflict_id,
            value: "low".into(),
        },
        Utc::now(),
    );
    let settled = push(&app, &sato, &mut a).await;
    pull_all(&app, &other, &mut b).await;

    assert!(matches!(
        settled.outcomes[0],
        MutationOutcome::Applied { .. }
    ));
    assert!(matches!(
        settled.outcomes[1],
        MutationOutcome::Rejected { .. }
    ));
    assert_eq!(case_of(&b).risk, RiskLevel::High);
    let conflict = b.held::<ConflictRecord>(&conflict_id.to_string()).unwrap();
    assert!(conflict.resolved_at.is_some(), "the device sees it settled");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM conflicts WHERE resolved_at IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn leaving_a_team_purges_the_case_from_that_device() {
    let app = spawn_app().await;
    let sato = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let case_id = app.case_of_visit(&visit).await;
    let mut replica = device();
    pull_all(&app, &sato, &mut replica).await;
    assert!(replica
        .records
        .values()
        .any(|c| c.case_id.to_string() == case_id));

    replica.record(
        Op::LeaveTeam {
            case_id: case_id.parse().unwrap(),
            staff_id: app.staff_id("nurse.sato").await.parse().unwrap(),
        },
        Utc::now(),
    );
    push(&app, &sato, &mut replica).await;
    pull_all(&app, &sato, &mut replica).await;

    assert!(replica
        .records
        .values()
        .all(|c| c.case_id.to_string() != case_id));
    let left: i64 = app
        .count(&format!(
            "SELECT COUNT(*) FROM case_team WHERE case_id = '{case_id}' AND left_at IS NOT NULL"
        ))
        .await;
    assert_eq!(left, 1, "leaving is recorded, not deleted");
}

#[tokio::test]
async fn each_note_of_one_push_is_checked_against_what_the_push_changed_before_it() {
    let app = spawn_app().await;
    let sato = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let case_id = app.case_of_visit(&visit).await;
    let mut replica = device();
    let outcomes = |response: &PushResponse| -> Vec<bool> {
        response
            .outcomes
            .iter()
            .map(|o| matches!(o, MutationOutcome::Applied { .. }))
            .collect()
    };

    // The first note closes the planned visit as done; a second one, not met, in the same push
    // finds it closed and leaves it done.
    replica.record(new_note(&visit, "会えた"), Utc::now());
    replica.record(
        Op::CreateNote {
            note_id: NoteId(Uuid::new_v4()),
            visit_id: visit.parse().unwrap(),
            fields: NoteFields {
                met: false,
                ..note_fields("二度目は不在")
            },
        },
        Utc::now(),
    );
    let response = push(&app, &sato, &mut replica).await;
    assert_eq!(outcomes(&response), [true, true]);
    let done = format!("SELECT COUNT(*) FROM visits WHERE id = '{visit}' AND status = 'done'");
    assert_eq!(
        app.count(&done).await,
        1,
        "the first note decided the visit"
    );

    // She leaves the team, then writes another note on the visit, in one push: the note is
    // refused and nothing of it is kept.
    replica.record(
        Op::LeaveTeam {
            case_id: case_id.parse().unwrap(),
            staff_id: app.staff_id("nurse.sato").await.parse().unwrap(),
        },
        Utc::now(),
    );
    replica.record(new_note(&visit, "離れた後"), Utc::now());
    let response = push(&app, &sato, &mut replica).await;
    assert_eq!(
        outcomes(&response),
        [true, false],
        "{:?}",
        response.outcomes
    );
    let after = "SELECT COUNT(*) FROM note_revisions WHERE next_steps = '離れた後'";
    assert_eq!(
        app.count(after).await,
        0,
        "nothing of the refused note is kept"
    );
}

#[tokio::test]
async fn bad_requests_get_a_clear_refusal_and_write_nothing() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let before = app.count("SELECT COUNT(*) FROM change_log").await;
    let client_id = Uuid::new_v4();

    let cases = [
        (
            serde_json::json!({"protocol_version": 0, "client_id": client_id, "mutations": []}),
            StatusCode::UPGRADE_REQUIRED,
        ),
        (
            serde_json::json!({"protocol_version": app::sync::PROTOCOL_VERSION, "client_id": client_id, "mutations": [{"id": 1, "recorded_at": Utc::now(), "op": {"kind": "drop_table"}}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            serde_json::json!({"protocol_version": "one"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            serde_json::json!([1, 2, 3]),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (body, status) in cases {
        let res = app.sync_as(&nurse, "push", &body).await;
        assert_eq!(res.status(), status, "{body}");
        let text = res.text().await.unwrap();
        assert!(
            serde_json::from_str::<SyncError>(&text).is_ok(),
            "a readable reason: {text}"
        );
    }
    let raw = nurse
        .post(format!("{}/sync/push", app.base))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let anonymous = crate::helpers::new_client();
    let res = app
        .sync_as(&anonymous, "pull", &device().pull_request())
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("SELECT COUNT(*) FROM change_log").await, before);
}

#[tokio::test]
async fn a_note_written_on_one_device_reaches_a_teammates_device() {
    let app = spawn_app().await;
    let sato = app.signed_in_client("nurse.sato").await;
    let visit = app.first_visit_of("nurse.sato").await;
    let case_id = app.case_of_visit(&visit).await;
    let team_mate: String = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT s.login FROM case_team t JOIN staff s ON s.id = t.staff_id WHERE t.case_id = $1 AND s.login != 'nurse.sato' LIMIT 1",
    )
    .bind(&case_id)
    .fetch_one(db).await)
    .unwrap();
    let other = app.signed_in_client(&team_mate).await;
    let (mut a, mut b) = (device(), device());
    pull_all(&app, &other, &mut b).await;

    a.record(new_note(&visit, "同行訪問の調整"), Utc::now());
    push(&app, &sato, &mut a).await;
    pull_all(&app, &other, &mut b).await;

    let note = b
        .records
        .values()
        .filter_map(|c| c.get::<RevisionRecord>())
        .find(|r| r.fields.next_steps == "同行訪問の調整");
    assert!(note.is_some(), "the teammate's device has the note");
    let visit_state = b.held::<VisitRecord>(&visit).unwrap();
    assert_eq!(visit_state.status, VisitStatus::Done);
}
