//! The device store in a real browser (headless Chromium): what is committed survives closing
//! and reopening the database, the outbox keeps its order, and a schema upgrade keeps the data.
#![cfg(all(target_arch = "wasm32", feature = "hydrate"))]

use app::client::store::{Store, SCHEMA};
use app::domain::{CaseId, NoteFields, NoteId, VisitId};
use app::sync::{Change, ClientId, MutationOutcome, Op, PullResponse, PushResponse, Replica};
use chrono::Utc;
use uuid::Uuid;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn name() -> String {
    format!("test-{}", Uuid::new_v4())
}

fn latest() -> u32 {
    SCHEMA.len() as u32
}

fn note(text: &str) -> Op {
    Op::CreateNote {
        note_id: NoteId(Uuid::new_v4()),
        visit_id: VisitId(Uuid::from_u128(2)),
        fields: NoteFields {
            met: true,
            next_steps: text.into(),
            ..Default::default()
        },
    }
}

/// Records mutations the way the app does: one committed write per mutation.
async fn record(store: &Store, replica: &mut Replica, texts: &[&str]) {
    for text in texts {
        let mutation = replica.record(note(text), Utc::now()).clone();
        store.record(&replica.header(), &mutation).await.unwrap();
    }
}

fn next_steps(replica: &Replica) -> Vec<String> {
    replica
        .outbox
        .iter()
        .map(|m| match &m.op {
            Op::CreateNote { fields, .. } => fields.next_steps.clone(),
            _ => String::new(),
        })
        .collect()
}

#[wasm_bindgen_test]
async fn the_outbox_survives_closing_and_reopening_in_order() {
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    assert_eq!(
        store.load().await.unwrap(),
        None,
        "a new device holds nothing"
    );
    let mut replica = Replica::new(ClientId(Uuid::new_v4()));
    store.create(&replica).await.unwrap();
    let texts: Vec<String> = (0..12).map(|n| format!("記録{n}")).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    record(&store, &mut replica, &texts).await;
    store.close();

    let store = Store::open_named(&name, latest()).await.unwrap();
    let mut loaded = store.load().await.unwrap().expect("the device's data");
    assert_eq!(
        next_steps(&loaded),
        texts,
        "every note, in the order written"
    );
    assert_eq!(
        loaded.outbox.iter().map(|m| m.id).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    assert_eq!(loaded.client_id, replica.client_id);
    assert_eq!(
        loaded.record(note("次"), Utc::now()).id,
        13,
        "numbering goes on"
    );
    store.close();
}

#[wasm_bindgen_test]
async fn acknowledged_mutations_leave_and_refused_ones_stay() {
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    let mut replica = Replica::new(ClientId(Uuid::new_v4()));
    store.create(&replica).await.unwrap();
    record(&store, &mut replica, &["一", "二", "三"]).await;
    replica.on_push(&PushResponse {
        last_mutation_id: 2,
        outcomes: vec![
            MutationOutcome::Applied { id: 1 },
            MutationOutcome::Rejected {
                id: 2,
                reason: "チーム外".into(),
            },
        ],
    });
    store
        .pushed(&replica.header(), &replica.rejected)
        .await
        .unwrap();
    store.close();

    let store = Store::open_named(&name, latest()).await.unwrap();
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&loaded), ["三"]);
    assert_eq!(loaded.rejected.len(), 1);
    assert_eq!(loaded.rejected[0].1, "チーム外");
    assert_eq!(loaded.last_mutation_id, 2);
    store.close();
}

#[wasm_bindgen_test]
async fn pulled_records_are_kept_and_purged_ones_go() {
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    let mut replica = Replica::new(ClientId(Uuid::new_v4()));
    store.create(&replica).await.unwrap();
    let case = |n: u128, seq: u64| Change {
        seq,
        case_id: CaseId(Uuid::from_u128(n)),
        entity: "case".into(),
        entity_id: Uuid::from_u128(n).to_string(),
        data: serde_json::json!({ "pseudonym": format!("case {n}") }),
    };
    let pull = |changes: Vec<Change>, removed: Vec<u128>, cursor: u64| PullResponse {
        changes,
        removed_cases: removed
            .into_iter()
            .map(|n| CaseId(Uuid::from_u128(n)))
            .collect(),
        cursor,
        more: false,
        last_mutation_id: 0,
    };
    for response in [
        pull(vec![case(1, 1), case(2, 2)], vec![], 2),
        pull(vec![], vec![1], 3),
    ] {
        let purged = replica.purged_by(&response);
        let changed = response.changes.clone();
        replica.on_pull(response);
        store
            .pulled(&replica.header(), &purged, &changed)
            .await
            .unwrap();
    }
    store.close();

    let store = Store::open_named(&name, latest()).await.unwrap();
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(loaded.cursor, 3);
    assert_eq!(loaded.records, replica.records);
    assert_eq!(
        loaded.records.len(),
        1,
        "the case no longer visible is gone"
    );
    store.close();
}

#[wasm_bindgen_test]
async fn an_upgrade_keeps_the_data_and_adds_the_drafts() {
    let name = name();
    let old = Store::open_named(&name, 1).await.unwrap();
    assert!(!old.store_names().contains(&"drafts".to_string()));
    let mut replica = Replica::new(ClientId(Uuid::new_v4()));
    old.create(&replica).await.unwrap();
    record(&old, &mut replica, &["更新前の記録"]).await;
    old.close();

    let store = Store::open_named(&name, latest()).await.unwrap();
    assert!(store.store_names().contains(&"drafts".to_string()));
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&loaded), ["更新前の記録"]);
    let visit = VisitId(Uuid::from_u128(2));
    let draft = NoteFields {
        mental_state: "書きかけ".into(),
        ..Default::default()
    };
    store.put_draft(visit, &draft).await.unwrap();
    assert_eq!(store.draft::<NoteFields>(visit).await.unwrap(), Some(draft));
    store.drop_draft(visit).await.unwrap();
    assert_eq!(store.draft::<NoteFields>(visit).await.unwrap(), None);
    store.close();
}
