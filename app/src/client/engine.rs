//! The sync loop in the browser: loads the replica from IndexedDB, commits every change there
//! before reporting it saved, drains the outbox and pulls, on start, when the network comes
//! back, when the app regains focus, every half minute, and on request.

use super::codec;
use super::crypto::CryptoError;
use super::keys::Keyring;
use super::store::{Store, StoreError};
use super::{Device, DraftOf, Lock, SyncProblem, UnlockError};
use crate::api::Viewer;
use crate::domain::device::{grant_open, idle_too_long, DevicePolicy};
use crate::sync::{
    Change, ClientId, DatabaseId, Op, PullResponse, PushResponse, Reference, Replica, SyncError,
};
use chrono::Utc;
use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;
use serde::Serialize;
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
    static SAVING: Rc<futures::lock::Mutex<()>> = Rc::new(futures::lock::Mutex::new(()));
    static DRAFTING: Rc<futures::lock::Mutex<()>> = Rc::new(futures::lock::Mutex::new(()));
    /// Per draft, the number of the latest write asked for: an older write still waiting its
    /// turn is skipped, so the last text typed is the one kept (and nothing typed before a
    /// change was committed lands after its draft left with it).
    static DRAFT_WRITES: RefCell<std::collections::HashMap<String, u64>> =
        RefCell::new(std::collections::HashMap::new());
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
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
pub fn start(device: Device) {
    spawn_local(async move {
        device.online.set(browser_online());
        match opening().await {
            Ok(lock) => locked_as(device, lock).await,
            Err(e) => device.problem.set(Some(SyncProblem::Storage(e))),
        }
    });
    let _ = window_event_listener(leptos::ev::online, move |_| {
        device.online.set(true);
        sync_soon(device);
    });
    let _ = window_event_listener(leptos::ev::offline, move |_| device.online.set(false));
    let _ = window_event_listener(leptos::ev::focus, move |_| sync_soon(device));
    let _ = set_interval_with_handle(move || sync_soon(device), EVERY);
    // Any touch or key press counts as use; a quiet device locks itself.
    let _ = window_event_listener(leptos::ev::pointerdown, |_| used());
    let _ = window_event_listener(leptos::ev::keydown, |_| used());
    let _ = set_interval_with_handle(
        move || {
            let idle = LAST_USE.with(Cell::get).is_some_and(|last| {
                idle_too_long(&device.policy.get_untracked(), last, Utc::now())
            });
            if idle && device.lock.get_untracked() == Lock::Unlocked {
                spawn_local(lock(device));
            }
        },
        IDLE_CHECK,
    );
}

fn used() {
    LAST_USE.with(|l| l.set(Some(Utc::now())));
}

/// Whether the device is set up, and whether its grant still holds.
async fn opening() -> Result<Lock, String> {
    let store = store().await?;
    Ok(match store.keyring().await.map_err(|e| e.to_string())? {
        Some(ring) if grant_open(ring.grant_ends, Utc::now()) => Lock::Locked,
        Some(_) => Lock::GrantEnded,
        None => Lock::NotSetUp,
    })
}

/// Shows the device as `lock`, with the count of changes waiting, readable while locked.
async fn locked_as(device: Device, lock: Lock) {
    if let Ok(store) = store().await {
        device
            .waiting_while_locked
            .set(store.outbox_len().await.unwrap_or(0));
    }
    device.lock.set(lock);
}

/// Locks the device: the key and everything read with it leave memory.
pub async fn lock(device: Device) {
    codec::use_key(None);
    device.replica.set(None);
    device.reference.set(Reference::default());
    let lock = opening().await.unwrap_or(Lock::Locked);
    locked_as(device, lock).await;
}

fn storage(e: impl std::fmt::Display) -> UnlockError {
    UnlockError::Storage(e.to_string())
}

/// The keyring of a device that has been set up.
async fn stored_keyring(store: &Store) -> Result<Keyring, UnlockError> {
    store
        .keyring()
        .await
        .map_err(storage)?
        .ok_or(UnlockError::Storage("the device is not set up".into()))
}

/// `ring` brought up to date ([`Store::current_keyring`]); a passphrase that does not open it
/// is the wrong one.
async fn current_keyring(
    store: &Store,
    ring: Keyring,
    passphrase: &str,
) -> Result<Keyring, UnlockError> {
    store
        .current_keyring(ring, passphrase)
        .await
        .map_err(storage)?
        .ok_or(UnlockError::WrongPassphrase)
}

/// Opens the device with its owner's passphrase, within the offline grant.
pub async fn unlock(device: Device, passphrase: &str) -> Result<(), UnlockError> {
    super::mark("dekapan-unlock-start");
    let store = store().await.map_err(storage)?;
    let ring = stored_keyring(&store).await?;
    if !grant_open(ring.grant_ends, Utc::now()) {
        locked_as(device, Lock::GrantEnded).await;
        return Err(UnlockError::GrantEnded);
    }
    let ring = current_keyring(&store, ring, passphrase).await?;
    let key = ring.open(passphrase).await.map_err(|e| match e {
        CryptoError::CannotOpen => UnlockError::WrongPassphrase,
        other => storage(other),
    })?;
    codec::use_key(Some(key));
    opened(device).await?;
    super::measure("dekapan-unlock");
    Ok(())
}

/// On a device whose data no passphrase at hand opens (its owner's, changed elsewhere and the
/// previous one forgotten): erases it when it holds only drafts, and says whether it did.
/// Unsent work is never erased: it waits for the passphrase that opens it.
pub async fn discard_unopenable(device: Device) -> Result<bool, UnlockError> {
    let store = store().await.map_err(storage)?;
    let erased = store.wipe_unless_waiting().await.map_err(storage)?;
    if erased {
        forget_in_memory(device);
    }
    Ok(erased)
}

/// After the server accepted a change of the owner's passphrase from `current` to `new`: the
/// device's key is wrapped under `new`, its grant unchanged, so that the new passphrase unlocks
/// it (what it holds stays as it is, sealed under the same key).
pub async fn change_passphrase(current: &str, new: &str) -> Result<(), UnlockError> {
    let store = store().await.map_err(storage)?;
    let ring = stored_keyring(&store).await?;
    let ring = current_keyring(&store, ring, current).await?;
    // The same data key, which an open device is already using (and a device that locked
    // itself meanwhile must not be handed again).
    let (ring, _) = ring
        .rewrap(current, new, ring.grant_ends)
        .await
        .map_err(|e| match e {
            CryptoError::CannotOpen => UnlockError::WrongPassphrase,
            other => storage(other),
        })?;
    store.put_keyring(&ring).await.map_err(storage)
}

/// After an online sign-in with `passphrase`: renews the owner's keyring (a new offline
/// grant), or sets the device up anew for a new owner when nobody's unsent work is on it.
/// When the owner's passphrase was changed on another device, this device's key is still
/// under the `previous` one: given, it opens the key, which is then wrapped under the new one.
pub async fn set_up(
    device: Device,
    viewer: Viewer,
    passphrase: &str,
    previous: Option<&str>,
    policy: DevicePolicy,
) -> Result<(), UnlockError> {
    let store = store().await.map_err(storage)?;
    let owner = viewer.id.to_string();
    let grant_ends = policy.grant_ends(Utc::now());
    let stored = store.keyring().await.map_err(storage)?;
    let owners = stored.as_ref().is_some_and(|ring| ring.owner == owner);
    let renewed = match stored {
        Some(ring) if owners => {
            let mut renewed = None;
            for opened_with in std::iter::once(passphrase).chain(previous) {
                renewed = renewed_under(&store, &ring, opened_with, passphrase, grant_ends).await?;
                if renewed.is_some() {
                    break;
                }
            }
            renewed
        }
        // Another person's device.
        _ => None,
    };
    let (ring, key) = match renewed {
        Some(renewed) => renewed,
        None => {
            let had_keyring = store.keyring().await.map_err(storage)?.is_some();
            let waiting = store.outbox_len().await.map_err(storage)? > 0;
            // Unsent work that this passphrase cannot open is never wiped; nor the owner's
            // drafts, when the passphrase changed elsewhere.
            let refused = if had_keyring
                && owners
                && (waiting || store.drafts_len().await.map_err(storage)? > 0)
            {
                Some(UnlockError::PreviousPassphraseNeeded)
            } else if had_keyring && waiting {
                Some(UnlockError::LockedUnsentWork)
            } else {
                None
            };
            if let Some(refused) = refused {
                // Locked (nothing left in memory), shown as it is: locked, or its grant ended.
                lock(device).await;
                return Err(refused);
            }
            if had_keyring || !waiting {
                // Anything held is forgotten and pulled again.
                store.wipe().await.map_err(storage)?;
                Keyring::create(&owner, passphrase, grant_ends)
                    .await
                    .map_err(storage)?
            } else {
                // A device from before encryption keeps its unsent (plain) work: a keyring of
                // the first format is kept first, then the work is sealed under it.
                let (legacy, _) = Keyring::create_legacy(&owner, passphrase, grant_ends)
                    .await
                    .map_err(storage)?;
                store.put_keyring(&legacy).await.map_err(storage)?;
                let ring = store
                    .current_keyring(legacy, passphrase)
                    .await
                    .map_err(storage)?
                    .ok_or(UnlockError::WrongPassphrase)?;
                let key = ring.open(passphrase).await.map_err(storage)?;
                (ring, key)
            }
        }
    };
    store.put_keyring(&ring).await.map_err(storage)?;
    codec::use_key(Some(key));
    store.put_meta(OWNER, &viewer).await.map_err(storage)?;
    store.put_meta(POLICY, &policy).await.map_err(storage)?;
    device.owner.set(Some(viewer));
    opened(device).await
}

/// `ring` brought up to date and wrapped under `passphrase` with the grant `grant_ends`, if
/// `opened_with` opens it.
async fn renewed_under(
    store: &Store,
    ring: &Keyring,
    opened_with: &str,
    passphrase: &str,
    grant_ends: chrono::DateTime<Utc>,
) -> Result<Option<(Keyring, web_sys::CryptoKey)>, UnlockError> {
    // A keyring that cannot be brought up to date is treated like one this passphrase does
    // not open: unsent work is never wiped, and anything else is pulled again.
    let Some(ring) = store
        .current_keyring(ring.clone(), opened_with)
        .await
        .ok()
        .flatten()
    else {
        return Ok(None);
    };
    match ring.rewrap(opened_with, passphrase, grant_ends).await {
        Ok(renewed) => Ok(Some(renewed)),
        Err(CryptoError::CannotOpen) => Ok(None),
        Err(e) => Err(storage(e)),
    }
}

/// Loads what the key opens and starts syncing.
async fn opened(device: Device) -> Result<(), UnlockError> {
    load(device).await.map_err(storage)?;
    device.problem.set(None);
    used();
    device.lock.set(Lock::Unlocked);
    sync_soon(device);
    Ok(())
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
    loop {
        match device.lock.get_untracked() {
            Lock::Unlocked => break,
            Lock::NotSetUp => return None,
            Lock::Opening | Lock::Locked | Lock::GrantEnded => {
                gloo_timers::future::TimeoutFuture::new(100).await;
            }
        }
    }
    let store = store().await.ok()?;
    store.meta(OWNER).await.ok().flatten()
}

/// Queues a change and commits it to IndexedDB before returning.
pub async fn record(device: Device, op: Op, from_draft: Option<DraftOf>) -> Result<(), String> {
    super::mark("dekapan-save-start");
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
    super::measure("dekapan-save");
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

/// A saved draft.
pub async fn draft<T: DeserializeOwned>(of: DraftOf) -> Option<T> {
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

/// Saves (or, when empty, forgets) a draft. Writes go one at a time, and one overtaken by a
/// newer write of the same draft (or by the commit of its change) is skipped.
pub async fn save_draft<T: Serialize + Default + PartialEq>(
    of: DraftOf,
    draft: T,
) -> Result<(), String> {
    let n = next_draft_write(of);
    let turn = DRAFTING.with(Rc::clone);
    let _turn = turn.lock().await;
    if !latest_draft_write(of, n) {
        return Ok(());
    }
    let store = store().await?;
    let result = if draft == T::default() {
        store.drop_draft(of).await
    } else {
        store.put_draft(of, &draft).await
    };
    result.map_err(|e| e.to_string())
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

/// What the browser says about the network (true when it cannot tell).
fn browser_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Starts a sync, or asks the running one to go again when it ends.
pub fn sync_soon(device: Device) {
    if device.owner.get_untracked().is_none() || !device.loaded_untracked() {
        return;
    }
    if RUNNING.with(|r| r.replace(true)) {
        AGAIN.with(|a| a.set(true));
        return;
    }
    spawn_local(async move {
        device.syncing.set(Some(0));
        let result = sync(device).await;
        match result {
            Ok(()) => {
                let now = Utc::now();
                // A sync that ends after the browser went offline does not make it online again.
                device.online.set(browser_online());
                device.problem.set(None);
                device.last_sync.set(Some(now));
                if let Ok(store) = store().await {
                    let _ = store.put_meta(LAST_SYNC, &now).await;
                }
            }
            Err(problem) => {
                if problem == SyncProblem::Offline {
                    device.online.set(false);
                }
                let problem = if problem == SyncProblem::Revoked && !erase(device).await {
                    // Revoked, but holding work it could not send: it waits for a sign-in.
                    SyncProblem::SignedOut
                } else {
                    problem
                };
                device.problem.set(Some(problem));
            }
        }
        device.syncing.set(None);
        RUNNING.with(|r| r.set(false));
        if AGAIN.with(|a| a.replace(false)) && result_allows_retry(device) {
            sync_soon(device);
        }
    });
}

/// Runs a sync and waits for it (and any running one) to end; gives up after ten seconds.
pub async fn flush(device: Device) {
    sync_soon(device);
    for _ in 0..200 {
        if !RUNNING.with(Cell::get) {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
}

/// Whether a sync asked for while one ran should run once it ends: after a success, and after a
/// failure that may have passed meanwhile (the network came back while a request sent offline
/// was failing: that sync's failure must not swallow the `online` event).
fn result_allows_retry(device: Device) -> bool {
    device
        .problem
        .with_untracked(|p| p.as_ref().is_none_or(SyncProblem::passing))
}

impl Device {
    fn loaded_untracked(&self) -> bool {
        self.replica.with_untracked(Option::is_some)
    }
}

/// Why one request failed.
enum Failure {
    Problem(SyncProblem),
    Gap(u64),
    /// The server's database was restored from a backup: its identity now, and the last of
    /// this device's mutations it holds.
    Restored(DatabaseId, u64),
}

impl From<SyncProblem> for Failure {
    fn from(p: SyncProblem) -> Self {
        Failure::Problem(p)
    }
}

async fn post<Req: Serialize, Res: DeserializeOwned>(
    path: &str,
    body: &Req,
) -> Result<Res, Failure> {
    let response = Request::post(path)
        .header("Accept", "application/json")
        .json(body)
        .map_err(|e| SyncProblem::Server(e.to_string()))?
        .send()
        .await
        .map_err(|_| SyncProblem::Offline)?;
    // Read as bytes and parsed from a slice, like every stored value: one copy of each type's
    // parsing code in the WASM instead of two.
    let body = response.binary().await;
    if response.ok() {
        let body = body.map_err(|e| SyncProblem::Server(e.to_string()))?;
        return serde_json::from_slice::<Res>(&body)
            .map_err(|e| Failure::Problem(SyncProblem::Server(e.to_string())));
    }
    let refusal = body
        .ok()
        .and_then(|body| serde_json::from_slice::<SyncError>(&body).ok());
    Err(match refusal {
        Some(SyncError::Gap { resend_from }) => Failure::Gap(resend_from),
        Some(SyncError::Restored {
            database,
            last_mutation_id,
        }) => Failure::Restored(database, last_mutation_id),
        Some(SyncError::Unauthenticated) => SyncProblem::SignedOut.into(),
        Some(SyncError::UpdateRequired { .. }) => SyncProblem::UpdateRequired.into(),
        Some(SyncError::DeviceRevoked) => SyncProblem::Revoked.into(),
        Some(other) => SyncProblem::Server(other.to_string()).into(),
        None => SyncProblem::Server(format!("HTTP {}", response.status())).into(),
    })
}

async fn sync(device: Device) -> Result<(), SyncProblem> {
    let store = store().await.map_err(SyncProblem::Storage)?;
    taken_in(device, &store).await?;
    push_all(device, &store).await?;
    pull_all(device, &store).await?;
    if device.reference.with_untracked(|r| r.staff.is_empty()) {
        if let Ok(reference) = crate::api::reference().await {
            let _ = store.put_meta(REFERENCE, &reference).await;
            device.reference.set(reference);
        }
    }
    Ok(())
}

/// Takes in changes another window of the app queued since this one loaded, so that they are
/// sent, and so that a pull never says nothing waits while something does.
async fn taken_in(device: Device, store: &Store) -> Result<(), SyncProblem> {
    let stored = store
        .outbox_len()
        .await
        .map_err(|e| SyncProblem::Storage(e.to_string()))?;
    let held = device
        .replica
        .with_untracked(|r| r.as_ref().map_or(0, |r| r.outbox.len()));
    if stored as usize != held {
        reload(device).await.map_err(SyncProblem::Storage)?;
    }
    Ok(())
}

/// Loads the device again from the store (to take in what another window of the app queued),
/// not while a change of this window is being committed, which the load could miss.
async fn reload(device: Device) -> Result<(), String> {
    let saving = SAVING.with(Rc::clone);
    let _saving = saving.lock().await;
    load(device).await
}

async fn push_all(device: Device, store: &Store) -> Result<(), SyncProblem> {
    let mut reloaded = false;
    loop {
        let Some(request) = device
            .replica
            .with_untracked(|r| r.as_ref().and_then(Replica::push_request))
        else {
            return Ok(());
        };
        let first = request.mutations.first().map(|m| m.id).unwrap_or(0);
        let response: PushResponse = match post("/sync/push", &request).await {
            Ok(response) => response,
            // The server already has mutations before `resend_from` (an answer was lost):
            // take them as acknowledged and send the rest.
            Err(Failure::Gap(resend_from)) if resend_from > first => PushResponse {
                last_mutation_id: resend_from - 1,
                outcomes: Vec::new(),
                database: None,
            },
            // Changes queued by another window of the app are not in this one's memory yet:
            // take them in from the store and send from there.
            Err(Failure::Gap(_)) if !reloaded => {
                reloaded = true;
                reload(device).await.map_err(SyncProblem::Storage)?;
                continue;
            }
            Err(Failure::Gap(resend_from)) => {
                return Err(SyncProblem::Server(format!(
                    "the server expects mutation {resend_from}"
                )))
            }
            Err(Failure::Restored(database, last)) => {
                restored(device, store, database, last).await?;
                continue;
            }
            Err(Failure::Problem(p)) => return Err(p),
        };
        // Durable first, then shown: what the screens show after a sync is already stored.
        // (`after` starts with no kept changes: it ends with those this answer acknowledged.)
        let after = device
            .replica
            .with_untracked(|r| {
                let r = r.as_ref()?;
                let mut next = r.header();
                next.outbox = r.outbox.clone();
                next.rejected = r.rejected.clone();
                next.on_push(&response);
                Some(next)
            })
            .ok_or(SyncProblem::Storage("no replica".into()))?;
        store
            .pushed(&after.header(), &after.rejected, &after.sent)
            .await
            .map_err(|e| SyncProblem::Storage(e.to_string()))?;
        device.replica.update(|r| {
            if let Some(r) = r {
                r.on_push(&response);
            }
        });
    }
}

/// Takes in that the server's database was restored from a backup: what this device keeps of
/// its acknowledged changes goes back into the outbox and the records are pulled afresh
/// ([`Replica::on_restored`]). Durable first, then shown.
async fn restored(
    device: Device,
    store: &Store,
    database: DatabaseId,
    last: u64,
) -> Result<(), SyncProblem> {
    let after = device
        .replica
        .with_untracked(|r| {
            let mut next = r.clone()?;
            next.on_restored(database, last);
            Some(next)
        })
        .ok_or(SyncProblem::Storage("no replica".into()))?;
    store
        .restored(&after.header(), &after.outbox)
        .await
        .map_err(|e| SyncProblem::Storage(e.to_string()))?;
    device.replica.set(Some(after));
    Ok(())
}

async fn pull_all(device: Device, store: &Store) -> Result<(), SyncProblem> {
    let mut received = 0;
    let mut restarted = false;
    loop {
        let request = device
            .replica
            .with_untracked(|r| r.as_ref().map(Replica::pull_request))
            .ok_or(SyncProblem::Storage("no replica".into()))?;
        let response: PullResponse = match post("/sync/pull", &request).await {
            Ok(response) => response,
            // Restored since the push: send again what the device keeps, then pull afresh.
            Err(Failure::Restored(database, last)) if !restarted => {
                restarted = true;
                restored(device, store, database, last).await?;
                push_all(device, store).await?;
                continue;
            }
            Err(Failure::Restored(..)) => {
                return Err(SyncProblem::Server("the server was restored twice".into()))
            }
            Err(Failure::Problem(p)) => return Err(p),
            Err(Failure::Gap(_)) => return Err(SyncProblem::Server("unexpected gap".into())),
        };
        let more = response.more;
        received += response.changes.len();
        // Durable first, then shown: a list on screen is a list stored, so a reload (or a
        // closed tab) right after a sync finds it all.
        let written = device.replica.with_untracked(|r| {
            let r = r.as_ref()?;
            let purged = r.purged_by(&response);
            let changed: Vec<Change> = response
                .changes
                .iter()
                .filter(|c| {
                    let key = c.key();
                    purged.contains(&key) || r.records.get(&key).is_none_or(|held| held.seq < c.seq)
                })
                .cloned()
                .collect();
            // The header after this page; it ends holding the changes the page acknowledged.
            let mut next = r.header();
            next.outbox = r.outbox.clone();
            next.rejected = r.rejected.clone();
            next.on_pull(PullResponse {
                changes: Vec::new(),
                removed_cases: Vec::new(),
                cursor: response.cursor,
                more: response.more,
                last_mutation_id: response.last_mutation_id,
                database: response.database,
                keep_sent_days: response.keep_sent_days,
            });
            let expired = r.expired_sent(response.keep_sent_days, Utc::now());
            Some((next, purged, changed, expired))
        });
        let Some((next, purged, changed, expired)) = written else {
            return Err(SyncProblem::Storage("no replica".into()));
        };
        store
            .pulled(&next.header(), &purged, &changed, &next.sent, &expired)
            .await
            .map_err(|e| SyncProblem::Storage(e.to_string()))?;
        device.replica.update(|r| {
            if let Some(r) = r {
                r.on_pull(response);
            }
        });
        device.syncing.set(Some(received));
        if !more {
            return Ok(());
        }
    }
}
