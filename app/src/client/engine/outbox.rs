//! The outbox and the drafts: a change is committed to IndexedDB before it is shown, and a
//! draft is kept at every keystroke, the last one typed winning.

use super::{load, store, sync_loop::sync_soon};
use crate::client::store::{Store, StoreError};
use crate::client::{Device, DraftOf};
use crate::sync::Op;
use chrono::Utc;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static SAVING: Rc<futures::lock::Mutex<()>> = Rc::new(futures::lock::Mutex::new(()));
    static DRAFTING: Rc<futures::lock::Mutex<()>> = Rc::new(futures::lock::Mutex::new(()));
    /// Per draft, the number of the latest write asked for: an older write still waiting its
    /// turn is skipped, so the last text typed is the one kept (and nothing typed before a
    /// change was committed lands after its draft left with it).
    static DRAFT_WRITES: RefCell<std::collections::HashMap<String, u64>> =
        RefCell::new(std::collections::HashMap::new());
}

/// Queues a change and commits it to IndexedDB before returning.
pub async fn record(device: Device, op: Op, from_draft: Option<DraftOf>) -> Result<(), String> {
    crate::client::mark("dekapan-save-start");
    let store = store().await?;
    // One change at a time from this window, so that ids are committed in the order given;
    // and after the draft writes already typed, so that none lands after its draft is gone.
    let saving = SAVING.with(Rc::clone);
    let _saving = saving.lock().await;
    let drafting = DRAFTING.with(Rc::clone);
    let _drafting = match from_draft {
        Some(of) => {
            next_draft_write(of);
            Some(drafting.lock().await)
        }
        None => None,
    };
    match record_once(device, &store, op.clone(), from_draft).await {
        // Another window of the app queued changes first: take in what it wrote, then
        // queue this one after them.
        Err(StoreError::OutOfTurn) => {
            load(device).await?;
            record_once(device, &store, op, from_draft).await
        }
        other => other,
    }
    .map_err(|e| e.to_string())?;
    crate::client::measure("dekapan-save");
    sync_soon(device);
    Ok(())
}

/// Commits one change, then shows it: memory never holds (nor pushes) an uncommitted change.
async fn record_once(
    device: Device,
    store: &Store,
    op: Op,
    from_draft: Option<DraftOf>,
) -> Result<(), StoreError> {
    let prepared = device
        .replica
        .with_untracked(|r| r.as_ref().map(|r| r.prepare(op, Utc::now())));
    let Some((mutation, header)) = prepared else {
        return Err(StoreError::NotOpen);
    };
    store.record(&header, &mutation, from_draft).await?;
    device.replica.update(|r| {
        if let Some(r) = r {
            r.queued(mutation);
        }
    });
    Ok(())
}

/// A saved draft, as its JSON (the caller reads it as its own type).
pub async fn draft(of: DraftOf) -> Option<serde_json::Value> {
    store().await.ok()?.draft(of).await.ok().flatten()
}

/// A new number for a write of the draft `of`; earlier ones are stale from now on.
fn next_draft_write(of: DraftOf) -> u64 {
    DRAFT_WRITES.with(|w| {
        let mut writes = w.borrow_mut();
        let n = writes.entry(of.key()).or_insert(0);
        *n += 1;
        *n
    })
}

fn latest_draft_write(of: DraftOf, n: u64) -> bool {
    DRAFT_WRITES.with(|w| w.borrow().get(&of.key()) == Some(&n))
}

/// Saves a draft, or forgets it when there is none (`None`: nothing typed). Writes go one at
/// a time, and one overtaken by a newer write of the same draft (or by the commit of its
/// change) is skipped.
pub async fn save_draft(of: DraftOf, draft: Option<serde_json::Value>) -> Result<(), String> {
    let n = next_draft_write(of);
    let turn = DRAFTING.with(Rc::clone);
    let _turn = turn.lock().await;
    if !latest_draft_write(of, n) {
        return Ok(());
    }
    let store = store().await?;
    let result = match draft {
        None => store.drop_draft(of).await,
        Some(draft) => store.put_draft(of, &draft).await,
    };
    result.map_err(|e| e.to_string())
}

/// Loads the device again from the store (to take in what another window of the app queued),
/// not while a change of this window is being committed, which the load could miss.
pub(super) async fn reload(device: Device) -> Result<(), String> {
    let saving = SAVING.with(Rc::clone);
    let _saving = saving.lock().await;
    load(device).await
}
