//! The sync loop in the browser: loads the replica from IndexedDB, commits every change there
//! before reporting it saved, drains the outbox and pulls, on start, when the network comes
//! back, when the app regains focus, every half minute, and on request.
//!
//! Here: the store, the start, loading the device, signing in and out, forgetting and erasing.
//! The keyring's life cycle (unlock, lock, set up, passphrase change) is in `keyring`, the
//! outbox and the drafts in `outbox`, pushing and pulling in `sync_loop`.

pub mod entry;
mod keyring;
mod outbox;
mod sync_loop;

use keyring::lock;
use sync_loop::sync_soon;

use super::codec;
use super::store::Store;
use super::{Device, Lock, SyncProblem};
use crate::api::Viewer;
use crate::domain::device::idle_too_long;
use crate::sync::{ClientId, Reference, Replica};
use chrono::Utc;
use keyring::{locked_as, opening};
use leptos::prelude::*;
use leptos::task::spawn_local;
use outbox::reload;
use serde::de::DeserializeOwned;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const OWNER: &str = "owner";
const REFERENCE: &str = "reference";
const LAST_SYNC: &str = "last_sync";
const POLICY: &str = "policy";

/// How often the idle lock looks at the clock.
const IDLE_CHECK: Duration = Duration::from_secs(15);

/// How often the loop syncs while the app is open.
const EVERY: Duration = Duration::from_secs(30);

thread_local! {
    static STORE: RefCell<Option<Rc<Store>>> = const { RefCell::new(None) };
    static LAST_USE: Cell<Option<chrono::DateTime<Utc>>> = const { Cell::new(None) };
}

async fn store() -> Result<Rc<Store>, String> {
    if let Some(store) = STORE.with(|s| s.borrow().clone()) {
        return Ok(store);
    }
    let store = Rc::new(Store::open().await.map_err(|e| e.to_string())?);
    STORE.with(|s| *s.borrow_mut() = Some(store.clone()));
    Ok(store)
}

/// Opens the store, finds whether the device is set up, and starts the loop and the idle lock.
/// Only the engine's entry points are called from here, so that the engine's own code is
/// downloaded after the first page works.
pub fn start(device: Device) {
    device.online.set(sync_loop::browser_online());
    spawn_local(async move {
        entry::open(device).await;
        // Every entry point's code, on every start: a draft typed a moment after opening is
        // saved by code already here, and a device that lost the network before its service
        // worker installed still saves a note.
        #[cfg(feature = "split")]
        entry::fetch_all();
    });
    let sync_soon = move || spawn_local(entry::sync_soon(device));
    let _ = window_event_listener(leptos::ev::online, move |_| {
        device.online.set(true);
        sync_soon();
    });
    let _ = window_event_listener(leptos::ev::offline, move |_| device.online.set(false));
    let _ = window_event_listener(leptos::ev::focus, move |_| sync_soon());
    let _ = set_interval_with_handle(sync_soon, EVERY);
    // Any touch or key press counts as use; a quiet device locks itself.
    let _ = window_event_listener(leptos::ev::pointerdown, |_| used());
    let _ = window_event_listener(leptos::ev::keydown, |_| used());
    let _ = set_interval_with_handle(
        move || {
            let idle = LAST_USE.with(Cell::get).is_some_and(|last| {
                idle_too_long(&device.policy.get_untracked(), last, Utc::now())
            });
            if idle && device.lock.get_untracked() == Lock::Unlocked {
                spawn_local(entry::lock(device));
            }
        },
        IDLE_CHECK,
    );
}

/// Opens the store and finds whether the device is set up.
async fn open(device: Device) {
    match opening().await {
        Ok(lock) => locked_as(device, lock).await,
        Err(e) => device.problem.set(Some(SyncProblem::Storage(e))),
    }
}

fn used() {
    LAST_USE.with(|l| l.set(Some(Utc::now())));
}

async fn load(device: Device) -> Result<(), String> {
    let store = store().await?;
    let replica = match store.load().await.map_err(|e| e.to_string())? {
        Some(replica) => replica,
        None => fresh(&store).await?,
    };
    device
        .reference
        .set(meta(&store, REFERENCE).await?.unwrap_or_default());
    device.last_sync.set(meta(&store, LAST_SYNC).await?);
    device.owner.set(meta(&store, OWNER).await?);
    device
        .policy
        .set(meta(&store, POLICY).await?.unwrap_or_default());
    device.replica.set(Some(replica));
    Ok(())
}

async fn meta<T: DeserializeOwned>(store: &Store, key: &str) -> Result<Option<T>, String> {
    store.meta(key).await.map_err(|e| e.to_string())
}

/// A new device: a fresh client id, nothing held.
async fn fresh(store: &Store) -> Result<Replica, String> {
    let replica = Replica::new(ClientId(uuid::Uuid::new_v4()));
    store.create(&replica).await.map_err(|e| e.to_string())?;
    Ok(replica)
}

/// The owner as stored, for when the server cannot be asked: waits while the device is
/// locked, and is nobody on a device not set up.
pub async fn stored_owner(device: Device) -> Option<Viewer> {
    if !unlocked(device).await {
        return None;
    }
    let store = store().await.ok()?;
    store.meta(OWNER).await.ok().flatten()
}

/// Waits until the device is unlocked (true) or found not set up (false): woken by the change
/// itself, so that the page under the lock screen follows the unlock at once.
async fn unlocked(device: Device) -> bool {
    let (tell, told) = futures::channel::oneshot::channel();
    let tell = Cell::new(Some(tell));
    let watch = Owner::new();
    watch.with(|| {
        Effect::new(move |_| {
            let lock = device.lock.get();
            if matches!(lock, Lock::Unlocked | Lock::NotSetUp) {
                if let Some(tell) = tell.take() {
                    let _ = tell.send(lock);
                }
            }
        });
    });
    let lock = told.await.unwrap_or(Lock::NotSetUp);
    drop(watch);
    lock == Lock::Unlocked
}

/// Takes in the signed-in user; the device itself is set up for them at sign-in.
pub async fn signed_in(device: Device, viewer: Viewer) {
    device.owner.set(Some(viewer));
    sync_soon(device);
}

/// After signing out: the device forgets everything, unless something waits to be sent; then
/// it stays, locked under its owner's passphrase.
pub async fn signed_out(device: Device) -> Result<(), String> {
    let store = store().await?;
    // Asked of the store, not of memory: a locked device holds nothing in memory, yet its
    // outbox may be full.
    let waiting = store.outbox_len().await.map_err(|e| e.to_string())? > 0;
    if waiting || !device.replica.with_untracked(empty_outbox) {
        lock(device).await;
        return Err("unsent changes stay on this device".into());
    }
    forget(device, &store).await
}

fn empty_outbox(replica: &Option<Replica>) -> bool {
    replica.as_ref().is_none_or(|r| r.outbox.is_empty())
}

/// A revoked device, after it has pushed what it held: erases its data, its caches and its
/// service worker. The server's `Clear-Site-Data` may have erased them already (and closed the
/// database under us), so each step goes on whatever the one before it met.
async fn erase(device: Device) -> bool {
    if let Ok(store) = store().await {
        match store.wipe_unless_waiting().await {
            Ok(true) => {}
            // Unsent work is never erased: it is taken in (another window queued it) and waits
            // for a sign-in that can send it.
            Ok(false) => {
                let _ = reload(device).await;
                return false;
            }
            // The browser may have cleared the storage already (`Clear-Site-Data`).
            Err(_) => {}
        }
    }
    forget_in_memory(device);
    // The connection may be dead: the next use opens the database anew.
    if let Some(store) = STORE.with(|s| s.borrow_mut().take()) {
        if let Ok(store) = Rc::try_unwrap(store) {
            store.close();
        }
    }
    let Some(window) = web_sys::window() else {
        return true;
    };
    if let Ok(caches) = window.caches() {
        if let Ok(names) = JsFuture::from(caches.keys()).await {
            for name in js_sys::Array::from(&names).iter() {
                if let Some(name) = name.as_string() {
                    let _ = JsFuture::from(caches.delete(&name)).await;
                }
            }
        }
    }
    let workers = window.navigator().service_worker();
    if let Ok(registrations) = JsFuture::from(workers.get_registrations()).await {
        for registration in js_sys::Array::from(&registrations).iter() {
            let registration: web_sys::ServiceWorkerRegistration = registration.unchecked_into();
            if let Ok(done) = registration.unregister() {
                let _ = JsFuture::from(done).await;
            }
        }
    }
    true
}

async fn forget(device: Device, store: &Store) -> Result<(), String> {
    store.wipe().await.map_err(|e| e.to_string())?;
    forget_in_memory(device);
    Ok(())
}

/// Drops the key and everything read with it, and shows the device as not set up.
fn forget_in_memory(device: Device) {
    codec::use_key(None);
    device.replica.set(None);
    device.reference.set(Reference::default());
    device.last_sync.set(None);
    device.owner.set(None);
    device.waiting_while_locked.set(0);
    device.lock.set(Lock::NotSetUp);
}
