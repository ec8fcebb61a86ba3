//! The device as the screens use it, in a real browser (headless Chromium): set up after a
//! sign-in, then notes recorded and drafts typed through [`Device`], with the sync loop
//! running (and finding no server). What is typed while other writes are still on their way
//! lands in the order typed; a note recorded from its draft never brings the draft back;
//! changes saved at once are all kept, numbered in turn; and all of it is what a reload finds.
//! A changed passphrase opens the same data, and the old one no longer does; changed on
//! another device, the work waiting here is carried over only with the previous one.
#![cfg(all(target_arch = "wasm32", feature = "hydrate"))]

use app::api::Viewer;
use app::client::store::Store;
use app::client::{provide_device, Device, DraftOf, Lock, UnlockError};
use app::domain::device::DevicePolicy;
use app::domain::{NoteFields, NoteId, Role, StaffId, VisitId};
use app::sync::Op;
use futures::future::join_all;
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PASSPHRASE: &str = "坂の上の団地 2026";

thread_local! {
    static DEVICE: std::cell::Cell<Option<Device>> = const { std::cell::Cell::new(None) };
}

/// The device of one nurse, set up as after her online sign-in: one for the whole page, as
/// in the app, started by the first test; later tests find it open. Each test looks at what
/// it changed.
async fn device() -> Device {
    if let Some(device) = DEVICE.with(std::cell::Cell::get) {
        return device;
    }
    // As the app's start does.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let owner = Owner::new();
    owner.set();
    let device = provide_device();
    // Like the app's root, it lives as long as the page.
    std::mem::forget(owner);
    DEVICE.with(|d| d.set(Some(device)));
    // The app signs in only once the device has looked at its store.
    until(|| device.lock.get_untracked() != Lock::Opening).await;
    device
        .set_up(nurse(), PASSPHRASE.into(), None, DevicePolicy::default())
        .await
        .unwrap();
    assert_eq!(device.lock.get_untracked(), Lock::Unlocked);
    device
}

/// The nurse the device belongs to.
fn nurse() -> Viewer {
    Viewer {
        id: StaffId(Uuid::from_u128(7)),
        display_name: "佐藤".into(),
        role: Role::Nurse,
        home_agency: ("保健所".into(), "Public health center".into()),
        acts_for: None,
        supervises: None,
        must_set_up_second_factor: false,
        must_change_passphrase: false,
    }
}

/// Locks the device, which then opens with `passphrase` and no longer with [`PASSPHRASE`].
async fn opens_only_with(device: Device, passphrase: &str) {
    device.lock_now();
    until(|| device.lock.get_untracked() == Lock::Locked).await;
    assert_eq!(
        device.unlock(PASSPHRASE.into()).await,
        Err(UnlockError::WrongPassphrase)
    );
    device.unlock(passphrase.into()).await.unwrap();
}

/// Waits for `done` to hold, looking again as the browser's other work (IndexedDB's among
/// it) goes on; fails after ten seconds.
async fn until(done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    panic!("still waiting after ten seconds");
}

fn note(visit: VisitId, text: &str) -> Op {
    Op::CreateNote {
        note_id: NoteId(Uuid::new_v4()),
        visit_id: visit,
        fields: NoteFields {
            met: true,
            next_steps: text.into(),
            ..Default::default()
        },
    }
}

fn a_visit() -> VisitId {
    VisitId(Uuid::new_v4())
}

/// What a reload would find in the outbox: (mutation id, next steps) in order.
async fn stored_outbox() -> Vec<(u64, String)> {
    let store = Store::open().await.unwrap();
    let replica = store.load().await.unwrap().unwrap();
    store.close();
    replica
        .outbox
        .iter()
        .map(|m| match &m.op {
            Op::CreateNote { fields, .. } => (m.id, fields.next_steps.clone()),
            _ => (m.id, String::new()),
        })
        .collect()
}

#[wasm_bindgen_test]
async fn the_last_text_typed_is_the_draft_kept() {
    let device = device().await;
    let of = DraftOf::Note(a_visit());
    // Thirty keystrokes faster than storage: every write is asked for before the first lands.
    let typed: Vec<String> = (1..=30).map(|n| "あ".repeat(n)).collect();
    let writes = typed.iter().map(|text| device.save_draft(of, text.clone()));
    for result in join_all(writes).await {
        result.unwrap();
    }
    assert_eq!(
        device.draft::<String>(of).await.as_deref(),
        typed.last().map(String::as_str)
    );
    // Typed back to nothing: no draft.
    device.save_draft(of, String::new()).await.unwrap();
    assert_eq!(device.draft::<String>(of).await, None);
}

#[wasm_bindgen_test]
async fn a_note_recorded_from_its_draft_never_brings_the_draft_back() {
    let device = device().await;
    let visit = a_visit();
    let of = DraftOf::Note(visit);
    let before = stored_outbox().await.len();
    // Keys pressed just before "save": their writes are still on their way when the note is
    // recorded.
    let writes = join_all((1..=8).map(|n| device.save_draft(of, format!("次回 {n}"))));
    let (written, recorded) =
        futures::join!(writes, device.record_from_draft(note(visit, "次回 8"), of));
    recorded.unwrap();
    for result in written {
        result.unwrap();
    }
    assert_eq!(
        device.draft::<String>(of).await,
        None,
        "the draft came back"
    );
    let stored = stored_outbox().await;
    assert_eq!(stored.len(), before + 1);
    assert_eq!(stored.last().unwrap().1, "次回 8");
    // What is typed after the note was recorded is a new draft, and is kept.
    device.save_draft(of, "次の訪問".to_string()).await.unwrap();
    assert_eq!(
        device.draft::<String>(of).await.as_deref(),
        Some("次の訪問")
    );
}

#[wasm_bindgen_test]
async fn notes_saved_at_once_are_all_kept_numbered_in_turn() {
    let device = device().await;
    let before = stored_outbox().await;
    let texts: Vec<String> = (1..=12).map(|n| format!("同時 {n}")).collect();
    let visit = a_visit();
    let saves = texts.iter().map(|text| device.record(note(visit, text)));
    for result in join_all(saves).await {
        result.unwrap();
    }
    let stored = stored_outbox().await;
    assert_eq!(stored.len(), before.len() + texts.len());
    let added: Vec<&(u64, String)> = stored[before.len()..].iter().collect();
    let mut kept: Vec<&str> = added.iter().map(|(_, t)| t.as_str()).collect();
    kept.sort_unstable();
    let mut wanted: Vec<&str> = texts.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    assert_eq!(kept, wanted, "every note saved is in the outbox once");
    let first = before.last().map_or(1, |(id, _)| id + 1);
    let ids: Vec<u64> = added.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, (first..first + texts.len() as u64).collect::<Vec<_>>());
    // And memory shows what storage holds.
    assert_eq!(device.unsynced(), stored.len());
}

#[wasm_bindgen_test]
async fn a_locked_device_keeps_its_outbox_and_opens_only_with_the_passphrase() {
    let device = device().await;
    device.record(note(a_visit(), "鍵の前")).await.unwrap();
    let waiting = stored_outbox().await.len();
    device.lock_now();
    until(|| device.lock.get_untracked() == Lock::Locked).await;
    assert_eq!(
        device.unsynced(),
        0,
        "a locked device holds nothing in memory"
    );
    assert_eq!(
        device.waiting_while_locked.get_untracked() as usize,
        waiting
    );
    assert!(device.record(note(a_visit(), "鍵の後")).await.is_err());
    assert!(device.unlock("違う合言葉".into()).await.is_err());
    device.unlock(PASSPHRASE.into()).await.unwrap();
    assert_eq!(device.unsynced(), waiting);
    assert_eq!(stored_outbox().await.len(), waiting);
}

#[wasm_bindgen_test]
async fn a_changed_passphrase_opens_the_same_data_and_the_old_one_no_longer_does() {
    const CHANGED: &str = "朝の光が差す坂の上";
    let device = device().await;
    device.record(note(a_visit(), "変更の前")).await.unwrap();
    let before = stored_outbox().await;
    // A wrong current passphrase changes nothing.
    assert_eq!(
        device
            .change_passphrase("違う合言葉".into(), CHANGED.into())
            .await,
        Err(UnlockError::WrongPassphrase)
    );
    device
        .change_passphrase(PASSPHRASE.into(), CHANGED.into())
        .await
        .unwrap();
    // Still open, and writing.
    device.record(note(a_visit(), "変更の後")).await.unwrap();
    opens_only_with(device, CHANGED).await;
    // Everything held before is read under the new passphrase, with what came after.
    let after = stored_outbox().await;
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(
        after.last().map(|(_, text)| text.as_str()),
        Some("変更の後")
    );
    assert_eq!(device.unsynced(), after.len());
    // Back, for the tests that share this device.
    device
        .change_passphrase(CHANGED.into(), PASSPHRASE.into())
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn a_passphrase_changed_elsewhere_carries_unsent_work_over_only_with_the_previous_one() {
    const CHANGED: &str = "ほかの端末で変えた合言葉";
    let device = device().await;
    device
        .record(note(a_visit(), "変更を知らない端末"))
        .await
        .unwrap();
    let before = stored_outbox().await;
    let keyring = || async {
        let store = Store::open().await.unwrap();
        let ring = store.keyring().await.unwrap();
        store.close();
        ring
    };
    let ring = keyring().await;
    // Signed in online with the new passphrase: the work waits under the previous one, which
    // is asked for, the device locked meanwhile; a wrong one changes nothing.
    for previous in [None, Some("覚え違いの合言葉".to_owned())] {
        assert_eq!(
            device
                .set_up(nurse(), CHANGED.into(), previous, DevicePolicy::default())
                .await,
            Err(UnlockError::PreviousPassphraseNeeded)
        );
        assert_eq!(device.lock.get_untracked(), Lock::Locked);
        assert_eq!(device.unsynced(), 0, "nothing left in memory");
        assert_eq!(
            device.waiting_while_locked.get_untracked() as usize,
            before.len()
        );
        assert_eq!(keyring().await, ring);
    }
    // Only drafts may be given up; unsent work never is.
    assert_eq!(device.discard_unopenable().await, Ok(false));
    assert_eq!(keyring().await, ring);
    // With the previous one: the same work, now under the new passphrase.
    device
        .set_up(
            nurse(),
            CHANGED.into(),
            Some(PASSPHRASE.into()),
            DevicePolicy::default(),
        )
        .await
        .unwrap();
    assert_eq!(device.lock.get_untracked(), Lock::Unlocked);
    assert_eq!(stored_outbox().await, before);
    opens_only_with(device, CHANGED).await;
    // Back, for the tests that share this device.
    device
        .change_passphrase(CHANGED.into(), PASSPHRASE.into())
        .await
        .unwrap();
}
