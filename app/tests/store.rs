//! The device store in a real browser (headless Chromium): what is committed survives closing
//! and reopening the database, the outbox keeps its order, and a schema upgrade keeps the data.
//! And its encryption: a wrong passphrase opens nothing, changed ciphertext or a changed grant
//! fails to open, a record moved, copied or planted in storage does not open, a device from
//! before records were bound to their places is migrated, and a locked device neither reads
//! nor writes.
#![cfg(all(target_arch = "wasm32", feature = "hydrate"))]

use app::client::codec::{self, Place};
use app::client::crypto::{self, CryptoError};
use app::client::keys::{Keyring, KEYRING_FORMAT};
use app::client::store::{Store, StoreError, SCHEMA};
use app::client::DraftOf;
use app::domain::{CaseId, NoteFields, NoteId, StaffId, VisitId};
use app::sync::records::TeamRecord;
use app::sync::{
    Change, ClientId, DatabaseId, MutationOutcome, Op, PullResponse, PushResponse, RejectReason,
    Replica,
};
use chrono::Utc;
use rexie::{ObjectStore, Rexie, TransactionMode};
use uuid::Uuid;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn name() -> String {
    format!("test-{}", Uuid::new_v4())
}

fn latest() -> u32 {
    SCHEMA.len() as u32
}

const PASSPHRASE: &str = "団地の坂の上で 2026";

/// A new keyring for a made-up owner, its key in use, as after a sign-in.
async fn unlock() -> Keyring {
    let grant_ends = Utc::now() + chrono::Duration::hours(72);
    let (ring, key) = Keyring::create("staff-1", PASSPHRASE, grant_ends)
        .await
        .unwrap();
    codec::use_key(Some(key));
    ring
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

/// A new device's counters, committed.
async fn new_device(store: &Store) -> Replica {
    let replica = Replica::new(ClientId(Uuid::new_v4()));
    store.create(&replica).await.unwrap();
    replica
}

/// Records mutations the way the app does: one committed write per mutation, taken into
/// memory once committed.
async fn record(store: &Store, replica: &mut Replica, texts: &[&str]) {
    for text in texts {
        let (mutation, header) = replica.prepare(note(text), Utc::now());
        store.record(&header, &mutation, None).await.unwrap();
        replica.queued(mutation);
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
    unlock().await;
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    assert_eq!(
        store.load().await.unwrap(),
        None,
        "a new device holds nothing"
    );
    let mut replica = new_device(&store).await;
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
    unlock().await;
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    let mut replica = new_device(&store).await;
    record(&store, &mut replica, &["一", "二", "三"]).await;
    replica.on_push(&PushResponse {
        last_mutation_id: 2,
        outcomes: vec![
            MutationOutcome::Applied { id: 1 },
            MutationOutcome::Rejected {
                id: 2,
                reason: RejectReason::NotFound,
            },
        ],
        database: None,
    });
    store
        .pushed(&replica.header(), &replica.rejected, &replica.sent)
        .await
        .unwrap();
    store.close();

    let store = Store::open_named(&name, latest()).await.unwrap();
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&loaded), ["三"]);
    assert_eq!(loaded.rejected.len(), 1);
    assert_eq!(loaded.rejected[0].1, RejectReason::NotFound);
    assert_eq!(loaded.last_mutation_id, 2);
    store.close();
}

#[wasm_bindgen_test]
async fn acknowledged_changes_are_kept_and_go_back_to_the_outbox_after_a_restore() {
    unlock().await;
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    let mut replica = new_device(&store).await;
    record(&store, &mut replica, &["一", "二", "三"]).await;
    let first = DatabaseId(Uuid::from_u128(1));
    replica.on_push(&PushResponse {
        last_mutation_id: 3,
        outcomes: vec![],
        database: Some(first),
    });
    store
        .pushed(&replica.header(), &replica.rejected, &replica.sent)
        .await
        .unwrap();
    let page = PullResponse {
        changes: vec![Change {
            seq: 7,
            case_id: CaseId(Uuid::from_u128(5)),
            entity_id: Uuid::from_u128(5).to_string(),
            record: TeamRecord {
                members: vec![StaffId(Uuid::from_u128(6))],
            }
            .into(),
        }],
        ..PullResponse::nothing(7, 3, first)
    };
    let changed = page.changes.clone();
    replica.on_pull(page);
    store
        .pulled(&replica.header(), &[], &changed, &[], &[])
        .await
        .unwrap();
    store.close();

    let store = Store::open_named(&name, latest()).await.unwrap();
    let mut loaded = store.load().await.unwrap().unwrap();
    assert!(loaded.outbox.is_empty());
    let kept: Vec<u64> = loaded.sent.iter().map(|s| s.mutation.id).collect();
    assert_eq!(kept, [1, 2, 3], "acknowledged, and kept");
    assert_eq!(loaded.database, Some(first));

    // The server comes back from a backup holding only the first.
    let restored = DatabaseId(Uuid::from_u128(2));
    loaded.on_restored(restored, 1);
    store
        .restored(&loaded.header(), &loaded.outbox)
        .await
        .unwrap();
    store.close();

    let store = Store::open_named(&name, latest()).await.unwrap();
    let mut again = store.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&again), ["二", "三"], "queued again, in order");
    let kept: Vec<u64> = again.sent.iter().map(|s| s.mutation.id).collect();
    assert_eq!(kept, [1]);
    assert!(again.records.is_empty(), "pulled afresh");
    assert_eq!((again.cursor, again.database), (0, Some(restored)));
    assert_eq!(
        again.record(note("四"), Utc::now()).id,
        4,
        "numbering goes on"
    );

    // Once its time is up, a kept change goes.
    store
        .pulled(&again.header(), &[], &[], &[], &[1])
        .await
        .unwrap();
    store.close();
    let store = Store::open_named(&name, latest()).await.unwrap();
    assert!(store.load().await.unwrap().unwrap().sent.is_empty());
    store.close();
}

#[wasm_bindgen_test]
async fn pulled_records_are_kept_and_purged_ones_go() {
    unlock().await;
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    let mut replica = new_device(&store).await;
    let case = |n: u128, seq: u64| Change {
        seq,
        case_id: CaseId(Uuid::from_u128(n)),
        entity_id: Uuid::from_u128(n).to_string(),
        record: TeamRecord {
            members: vec![StaffId(Uuid::from_u128(n + 100))],
        }
        .into(),
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
        database: None,
        keep_sent_days: app::sync::KEEP_SENT_DAYS,
        reference_version: None,
    };
    for response in [
        pull(vec![case(1, 1), case(2, 2)], vec![], 2),
        pull(vec![], vec![1], 3),
    ] {
        let purged = replica.purged_by(&response);
        let changed = response.changes.clone();
        replica.on_pull(response);
        store
            .pulled(&replica.header(), &purged, &changed, &[], &[])
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
    unlock().await;
    let name = name();
    let old = Store::open_named(&name, 1).await.unwrap();
    assert!(!old.store_names().contains(&"drafts".to_string()));
    let mut replica = new_device(&old).await;
    old.close();
    // A change queued by the first version, which kept no shared counters.
    let mutation = replica.record(note("更新前の記録"), Utc::now()).clone();
    let key = JsValue::from_f64(mutation.id as f64);
    let place = Place {
        store: "outbox",
        key: &key,
    };
    let db = raw_at(&name, 1).await;
    raw_put(
        &db,
        "outbox",
        &key,
        &codec::seal(&mutation, place).await.unwrap(),
    )
    .await;
    db.close();

    let store = Store::open_named(&name, latest()).await.unwrap();
    assert!(store.store_names().contains(&"drafts".to_string()));
    assert!(store.store_names().contains(&"counters".to_string()));
    let mut loaded = store.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&loaded), ["更新前の記録"]);
    record(&store, &mut loaded, &["更新後の記録"]).await;
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(
        loaded.outbox.iter().map(|m| m.id).collect::<Vec<_>>(),
        [1, 2],
        "numbering goes on after the upgrade"
    );
    let visit = VisitId(Uuid::from_u128(2));
    let draft = NoteFields {
        mental_state: "書きかけ".into(),
        ..Default::default()
    };
    store.put_draft(DraftOf::Note(visit), &draft).await.unwrap();
    assert_eq!(
        store
            .draft::<NoteFields>(DraftOf::Note(visit))
            .await
            .unwrap(),
        Some(draft)
    );
    store.drop_draft(DraftOf::Note(visit)).await.unwrap();
    assert_eq!(
        store
            .draft::<NoteFields>(DraftOf::Note(visit))
            .await
            .unwrap(),
        None
    );
    store.close();
}

#[wasm_bindgen_test]
async fn only_the_right_passphrase_opens_the_keyring() {
    let ring = unlock().await;
    assert!(ring.open(PASSPHRASE).await.is_ok());
    for wrong in ["団地の坂の上で 2025", "", "団地の坂の上で 2026 "] {
        assert_eq!(
            ring.open(wrong).await.err(),
            Some(CryptoError::CannotOpen),
            "{wrong:?}"
        );
    }
    // The grant is bound into the wrapping: moving its end on does not extend it.
    let extended = Keyring {
        grant_ends: ring.grant_ends + chrono::Duration::days(30),
        ..ring.clone()
    };
    assert_eq!(
        extended.open(PASSPHRASE).await.err(),
        Some(CryptoError::CannotOpen)
    );
    // Renewing keeps the same data key under a new grant.
    let store = Store::open_named(&name(), latest()).await.unwrap();
    let mut replica = new_device(&store).await;
    record(&store, &mut replica, &["更新前に書いた記録"]).await;
    let (renewed, key) = ring
        .renew(PASSPHRASE, ring.grant_ends + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_ne!(renewed.wrapped, ring.wrapped);
    codec::use_key(Some(key));
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&loaded), ["更新前に書いた記録"]);
    store.close();
}

#[wasm_bindgen_test]
async fn changed_ciphertext_does_not_open() {
    unlock().await;
    let key = JsValue::from_str("visit/1");
    let here = Place {
        store: "drafts",
        key: &key,
    };
    let sealed = codec::seal(&"訪問の記録".to_string(), here).await.unwrap();
    let bytes = js_sys::Uint8Array::new(&sealed).to_vec();
    assert!(
        !String::from_utf8_lossy(&bytes).contains("訪問の記録"),
        "a sealed value holds no plain text"
    );
    let opened: String = codec::open(sealed, here).await.unwrap();
    assert_eq!(opened, "訪問の記録");
    for at in [0, 12, bytes.len() / 2, bytes.len() - 1] {
        let mut changed = bytes.clone();
        changed[at] ^= 0x01;
        let stored = js_sys::Uint8Array::from(changed.as_slice()).into();
        assert!(
            codec::open::<String>(stored, here).await.is_err(),
            "a byte changed at {at}"
        );
    }
    let cut = js_sys::Uint8Array::from(&bytes[..bytes.len() - 4]).into();
    assert!(
        codec::open::<String>(cut, here).await.is_err(),
        "a cut value"
    );
    // Another device's key opens nothing of this one's.
    unlock().await;
    let again = js_sys::Uint8Array::from(bytes.as_slice()).into();
    assert!(codec::open::<String>(again, here).await.is_err());
}

#[wasm_bindgen_test]
async fn a_locked_device_neither_reads_nor_writes() {
    unlock().await;
    let store = Store::open_named(&name(), latest()).await.unwrap();
    let mut replica = new_device(&store).await;
    record(&store, &mut replica, &["鍵をかける前の記録"]).await;
    codec::use_key(None);
    let mutation = replica
        .record(note("鍵をかけた後の記録"), Utc::now())
        .clone();
    let refused = store.record(&replica.header(), &mutation, None).await;
    assert!(refused.is_err(), "nothing is written in the clear");
    assert!(
        store.load().await.is_err(),
        "nothing is read without the key"
    );
    assert_eq!(
        store.outbox_len().await.unwrap(),
        1,
        "what waits can still be counted"
    );
    store.close();
}

/// The database as any script on the page could reach it, below the store's seam.
async fn raw(name: &str) -> Rexie {
    raw_at(name, latest()).await
}

async fn raw_at(name: &str, version: u32) -> Rexie {
    let mut builder = Rexie::builder(name).version(version);
    for stores in SCHEMA.iter().take(version as usize) {
        for store in stores.iter() {
            builder = builder.add_object_store(ObjectStore::new(store));
        }
    }
    builder.build().await.unwrap()
}

async fn raw_get(db: &Rexie, store: &str, key: &JsValue) -> JsValue {
    let tx = db.transaction(&[store], TransactionMode::ReadOnly).unwrap();
    let value = tx.store(store).unwrap().get(key.clone()).await.unwrap();
    tx.done().await.unwrap();
    value.expect("a stored value")
}

async fn raw_put(db: &Rexie, store: &str, key: &JsValue, value: &JsValue) {
    let tx = db
        .transaction(&[store], TransactionMode::ReadWrite)
        .unwrap();
    tx.store(store)
        .unwrap()
        .put(value, Some(key))
        .await
        .unwrap();
    tx.done().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_record_moved_copied_or_planted_in_storage_does_not_open() {
    unlock().await;
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    let mut replica = new_device(&store).await;
    record(&store, &mut replica, &["一件目", "二件目"]).await;
    let visit = VisitId(Uuid::from_u128(2));
    store
        .put_draft(DraftOf::Note(visit), &"下書き".to_string())
        .await
        .unwrap();
    store.close();

    // Two queued changes swapped: each is sealed for its own place.
    let db = raw(&name).await;
    let (one, two) = (JsValue::from_f64(1.0), JsValue::from_f64(2.0));
    let first = raw_get(&db, "outbox", &one).await;
    let second = raw_get(&db, "outbox", &two).await;
    raw_put(&db, "outbox", &one, &second).await;
    raw_put(&db, "outbox", &two, &first).await;
    db.close();
    let store = Store::open_named(&name, latest()).await.unwrap();
    assert!(store.load().await.is_err(), "swapped changes do not open");
    store.close();

    // Put back, everything opens again.
    let db = raw(&name).await;
    raw_put(&db, "outbox", &one, &first).await;
    raw_put(&db, "outbox", &two, &second).await;
    // A queued change copied over the draft of another visit.
    let draft_key = JsValue::from_str(&visit.to_string());
    raw_put(&db, "drafts", &draft_key, &first).await;
    db.close();
    let store = Store::open_named(&name, latest()).await.unwrap();
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&loaded), ["一件目", "二件目"]);
    assert!(
        store
            .draft::<serde_json::Value>(DraftOf::Note(visit))
            .await
            .is_err(),
        "a value copied from the outbox does not open as a draft"
    );
    store.close();

    // A plain value planted where a sealed one belongs.
    let db = raw(&name).await;
    let planted = JsValue::from_str(r#"{"mental_state":"書き換え"}"#);
    raw_put(&db, "drafts", &draft_key, &planted).await;
    db.close();
    let store = Store::open_named(&name, latest()).await.unwrap();
    let refused = store.draft::<NoteFields>(DraftOf::Note(visit)).await;
    assert!(
        refused.is_err(),
        "a planted plain value is refused: {refused:?}"
    );
    store.close();
}

#[wasm_bindgen_test]
async fn a_pulled_record_this_build_cannot_read_is_pulled_again_and_keeps_nothing_shut() {
    unlock().await;
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    let mut replica = new_device(&store).await;
    record(&store, &mut replica, &["電波のない部屋で"]).await;
    replica.cursor = 40;
    store.create(&replica).await.unwrap();
    store.close();

    // A record sealed in its place by this device, of a kind this build does not know.
    let db = raw(&name).await;
    let key = JsValue::from_str("gossip/1");
    let place = Place {
        store: "records",
        key: &key,
    };
    let unknown = serde_json::json!({"seq": 40, "case_id": Uuid::from_u128(5).to_string(),
        "entity": "gossip", "entity_id": "1", "data": {}});
    let sealed = codec::seal(&unknown, place).await.unwrap();
    raw_put(&db, "records", &key, &sealed).await;
    db.close();

    let store = Store::open_named(&name, latest()).await.unwrap();
    let loaded = store.load().await.unwrap().expect("the device opens");
    assert_eq!(
        next_steps(&loaded),
        ["電波のない部屋で"],
        "the outbox is whole"
    );
    assert!(
        loaded.records.is_empty(),
        "the unreadable record is dropped"
    );
    assert_eq!(loaded.cursor, 0, "everything is pulled again");
    store.close();
}

#[wasm_bindgen_test]
async fn a_device_from_before_records_were_bound_is_migrated_once() {
    codec::use_key(None);
    let grant_ends = Utc::now() + chrono::Duration::hours(72);
    let (legacy, key) = Keyring::create_legacy("staff-1", PASSPHRASE, grant_ends)
        .await
        .unwrap();
    assert!(legacy.holds_legacy_records());
    // Its format is bound into the wrapping: it cannot be turned up (or down) by editing.
    let edited = Keyring {
        format: KEYRING_FORMAT,
        ..legacy.clone()
    };
    assert_eq!(
        edited.open(PASSPHRASE).await.err(),
        Some(CryptoError::CannotOpen)
    );

    // What such a device held: changes sealed without their place, and plain values.
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    store.put_keyring(&legacy).await.unwrap();
    store.close();
    let mut replica = Replica::new(ClientId(Uuid::new_v4()));
    let first = replica.record(note("移行前の記録"), Utc::now()).clone();
    let second = replica.record(note("平文の記録"), Utc::now()).clone();
    let sealed_first = crypto::encrypt(
        &key,
        &serde_json::to_vec(&first).unwrap(),
        b"dekapan-record-v1",
    )
    .await
    .unwrap();
    let sealed_header = crypto::encrypt(
        &key,
        &serde_json::to_vec(&replica.header()).unwrap(),
        b"dekapan-record-v1",
    )
    .await
    .unwrap();
    let db = raw(&name).await;
    let as_bytes = |b: &[u8]| JsValue::from(js_sys::Uint8Array::from(b));
    let (one, old_first) = (JsValue::from_f64(1.0), as_bytes(&sealed_first));
    raw_put(
        &db,
        "meta",
        &JsValue::from_str("device"),
        &as_bytes(&sealed_header),
    )
    .await;
    raw_put(&db, "outbox", &one, &old_first).await;
    // A draft nobody can open (sealed under some other key): dropped, not a dead end.
    let lost_draft = DraftOf::Note(VisitId(Uuid::from_u128(9)));
    let garbage = as_bytes(&[7; 40]);
    raw_put(
        &db,
        "drafts",
        &JsValue::from_str(&lost_draft.key()),
        &garbage,
    )
    .await;
    let plain = JsValue::from_str(&serde_json::to_string(&second).unwrap());
    raw_put(&db, "outbox", &JsValue::from_f64(2.0), &plain).await;
    db.close();

    let store = Store::open_named(&name, latest()).await.unwrap();
    assert_eq!(
        store
            .current_keyring(legacy.clone(), "違う合言葉です")
            .await,
        Ok(None),
        "a wrong passphrase migrates nothing"
    );
    assert_eq!(store.keyring().await.unwrap(), Some(legacy.clone()));
    let current = store
        .current_keyring(legacy.clone(), PASSPHRASE)
        .await
        .unwrap()
        .expect("the passphrase opens it");
    assert!(!current.holds_legacy_records());
    assert_eq!(
        current.grant_ends, legacy.grant_ends,
        "the grant is not extended"
    );
    assert_eq!(store.keyring().await.unwrap(), Some(current.clone()));
    assert!(!codec::unlocked(), "the migration leaves the device locked");

    codec::use_key(Some(current.open(PASSPHRASE).await.unwrap()));
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&loaded), ["移行前の記録", "平文の記録"]);
    assert_eq!(store.draft::<serde_json::Value>(lost_draft).await, Ok(None));
    assert_eq!(loaded.client_id, replica.client_id);
    assert_eq!(
        store.current_keyring(current.clone(), PASSPHRASE).await,
        Ok(Some(current)),
        "a current keyring is left as it is"
    );
    store.close();

    // Once bound, a value sealed the old way no longer opens.
    let db = raw(&name).await;
    raw_put(&db, "outbox", &one, &old_first).await;
    db.close();
    let store = Store::open_named(&name, latest()).await.unwrap();
    assert!(store.load().await.is_err());
    store.close();
}

#[wasm_bindgen_test]
async fn two_windows_of_the_app_never_give_a_change_the_same_number() {
    unlock().await;
    let name = name();
    let first = Store::open_named(&name, latest()).await.unwrap();
    let mut a = new_device(&first).await;
    record(&first, &mut a, &["一つ目の窓"]).await;
    // A second window opens the same database and loads the same state.
    let second = Store::open_named(&name, latest()).await.unwrap();
    let b = second.load().await.unwrap().unwrap();

    // Both prepare a change; the first window's is committed first, as number 2.
    record(&first, &mut a, &["一つ目の窓の二件目"]).await;
    let (late, header) = b.prepare(note("二つ目の窓"), Utc::now());
    assert_eq!(late.id, 2);
    let refused = second.record(&header, &late, None).await.unwrap_err();
    assert_eq!(refused, StoreError::OutOfTurn);
    // Nor can a change skip a number (the server would wait for the missing one for ever).
    let (mut skipping, header) = a.prepare(note("飛ばした番号"), Utc::now());
    skipping.id += 1;
    let refused = first.record(&header, &skipping, None).await.unwrap_err();
    assert_eq!(refused, StoreError::OutOfTurn);

    // Nothing was overwritten; loaded again, the second window queues it as number 3.
    let mut b = second.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&b), ["一つ目の窓", "一つ目の窓の二件目"]);
    record(&second, &mut b, &["二つ目の窓"]).await;
    let loaded = first.load().await.unwrap().unwrap();
    assert_eq!(
        next_steps(&loaded),
        ["一つ目の窓", "一つ目の窓の二件目", "二つ目の窓"]
    );

    // The second window's push is answered up to 3; then the first window, which never saw
    // number 3, writes its own answer (up to 2) over the header. The outbox is empty and the
    // header says 3 is next, yet 3 is not given again: the server would skip it as a repeat.
    b.on_push(&PushResponse {
        last_mutation_id: 3,
        outcomes: Vec::new(),
        database: None,
    });
    second.pushed(&b.header(), &[], &b.sent).await.unwrap();
    a.on_push(&PushResponse {
        last_mutation_id: 2,
        outcomes: Vec::new(),
        database: None,
    });
    first.pushed(&a.header(), &[], &a.sent).await.unwrap();
    let mut again = first.load().await.unwrap().unwrap();
    assert!(again.outbox.is_empty());
    assert_eq!(again.record(note("次"), Utc::now()).id, 4);
    first.close();
    second.close();
}

#[wasm_bindgen_test]
async fn a_note_and_the_end_of_its_draft_are_one_commit() {
    unlock().await;
    let store = Store::open_named(&name(), latest()).await.unwrap();
    let mut replica = new_device(&store).await;
    record(&store, &mut replica, &["前の記録"]).await;
    let of = DraftOf::Note(VisitId(Uuid::from_u128(2)));
    store.put_draft(of, &"書きかけ".to_string()).await.unwrap();

    // A commit that fails takes nothing with it: the draft stays.
    let (mut out_of_turn, header) = replica.prepare(note("清書"), Utc::now());
    out_of_turn.id += 1;
    assert!(store.record(&header, &out_of_turn, Some(of)).await.is_err());
    assert_eq!(
        store.draft::<String>(of).await.unwrap().as_deref(),
        Some("書きかけ")
    );

    // The note queued: its draft is gone in the same commit.
    let (mutation, header) = replica.prepare(note("清書"), Utc::now());
    store.record(&header, &mutation, Some(of)).await.unwrap();
    replica.queued(mutation);
    assert_eq!(store.draft::<String>(of).await.unwrap(), None);
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&loaded), ["前の記録", "清書"]);
    store.close();
}

#[wasm_bindgen_test]
async fn erasing_a_revoked_device_never_takes_unsent_work() {
    unlock().await;
    let name = name();
    let store = Store::open_named(&name, latest()).await.unwrap();
    new_device(&store).await;
    // Another window queued a note this one never held.
    let mut other = store.load().await.unwrap().unwrap();
    record(&store, &mut other, &["別の窓"]).await;
    assert!(!store.wipe_unless_waiting().await.unwrap());
    let kept = store.load().await.unwrap().unwrap();
    assert_eq!(next_steps(&kept), ["別の窓"]);
    // Once it is sent, the device is erased.
    let mut replica = kept;
    replica.on_push(&PushResponse {
        last_mutation_id: 1,
        outcomes: vec![MutationOutcome::Applied { id: 1 }],
        database: None,
    });
    store
        .pushed(&replica.header(), &replica.rejected, &replica.sent)
        .await
        .unwrap();
    assert!(store.wipe_unless_waiting().await.unwrap());
    assert!(store.load().await.unwrap().is_none());
    assert_eq!(store.outbox_len().await.unwrap(), 0);
    store.close();
}
