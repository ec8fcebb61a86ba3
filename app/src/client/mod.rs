//! The device: the replica held in IndexedDB and mirrored in signals for the screens, and the
//! sync loop that drains the outbox and pulls what teammates changed. The screens read only
//! from here and never wait on the network.
//!
//! The state ([`Device`]) compiles on both sides so pages render on the server; the storage
//! and the loop run only in the browser (`hydrate`).

#[cfg(feature = "hydrate")]
pub mod codec;
#[cfg(feature = "hydrate")]
pub mod crypto;
#[cfg(feature = "hydrate")]
mod engine;
#[cfg(feature = "hydrate")]
pub mod keys;
#[cfg(feature = "hydrate")]
pub mod store;

use crate::api::Viewer;
use crate::domain::device::DevicePolicy;
use crate::domain::{CaseId, VisitId};
use crate::sync::{CaseField, Op, Reference, Replica};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// What a draft (text typed and not yet recorded, kept on the device at every keystroke) is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftOf {
    /// The note being written about a visit.
    Note(VisitId),
    /// A case's text field (the life goal or one of the two views) being edited.
    CaseText(CaseId, CaseField),
}

impl DraftOf {
    /// The draft's key in the device's store (a note's is its visit id, as it always was).
    pub fn key(self) -> String {
        match self {
            DraftOf::Note(visit) => visit.to_string(),
            DraftOf::CaseText(case, field) => format!("case/{case}/{}", field.code()),
        }
    }
}

/// Why the last sync did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncProblem {
    /// The server could not be reached; the outbox waits.
    Offline,
    /// The session has ended: sign in again (nothing on the device is lost).
    SignedOut,
    /// The app is too old for the server.
    UpdateRequired,
    /// The server refused or failed; the outbox waits and is retried.
    Server(String),
    /// The device's storage failed.
    Storage(String),
    /// The device was revoked: what it held was sent, and its data has been erased.
    Revoked,
}

impl SyncProblem {
    /// Whether asking again can help: the network or the server may be back by then. A signed-out,
    /// revoked, outdated or broken device waits for its person instead.
    pub fn passing(&self) -> bool {
        matches!(self, SyncProblem::Offline | SyncProblem::Server(_))
    }
}

/// Whether the device's data can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// The store is being opened.
    Opening,
    /// The device holds no key: an online sign-in sets it up.
    NotSetUp,
    /// Locked: the owner's passphrase opens it.
    Locked,
    /// The offline grant has ended: only an online sign-in opens it (unsent work is kept).
    GrantEnded,
    /// Open.
    Unlocked,
}

impl Lock {
    /// A stable name (for the page's `data-device` attribute).
    pub fn code(self) -> &'static str {
        match self {
            Lock::Opening => "opening",
            Lock::NotSetUp => "not-set-up",
            Lock::Locked => "locked",
            Lock::GrantEnded => "grant-ended",
            Lock::Unlocked => "unlocked",
        }
    }
}

/// Why the device could not be opened or set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnlockError {
    /// The passphrase does not open the device's key.
    WrongPassphrase,
    /// The offline grant has ended: sign in online.
    GrantEnded,
    /// Unsent work on the device is locked under another person's passphrase: they must
    /// unlock and sync before the device is set up for someone else.
    LockedUnsentWork,
    /// The owner's passphrase was changed elsewhere, and what waits on this device is still
    /// locked under the previous one: it is needed once, to carry the work over.
    PreviousPassphraseNeeded,
    /// The device's storage or WebCrypto failed.
    Storage(String),
}

/// The device's state, shared through context.
#[derive(Clone, Copy)]
pub struct Device {
    /// The replica once loaded from IndexedDB (`None` before, and on the server).
    pub replica: RwSignal<Option<Replica>>,
    /// Who the data on this device belongs to, as last confirmed online.
    pub owner: RwSignal<Option<Viewer>>,
    /// People, agencies and the directory.
    pub reference: RwSignal<Reference>,
    /// Whether the server was reachable at the last attempt.
    pub online: RwSignal<bool>,
    /// While a sync runs: how many records it has received so far.
    pub syncing: RwSignal<Option<usize>>,
    /// When the last sync completed.
    pub last_sync: RwSignal<Option<DateTime<Utc>>>,
    /// Why the last sync did not complete, if it did not.
    pub problem: RwSignal<Option<SyncProblem>>,
    /// Whether the data can be read.
    pub lock: RwSignal<Lock>,
    /// Changes waiting in the outbox, counted while locked (for the lock screen).
    pub waiting_while_locked: RwSignal<u32>,
    /// The idle lock and offline grant in force.
    pub policy: RwSignal<DevicePolicy>,
}

impl Device {
    fn new() -> Self {
        Self {
            replica: RwSignal::new(None),
            owner: RwSignal::new(None),
            reference: RwSignal::new(Reference::default()),
            online: RwSignal::new(true),
            syncing: RwSignal::new(None),
            last_sync: RwSignal::new(None),
            problem: RwSignal::new(None),
            lock: RwSignal::new(Lock::Opening),
            waiting_while_locked: RwSignal::new(0),
            policy: RwSignal::new(DevicePolicy::default()),
        }
    }

    /// Opens the device with the owner's passphrase.
    pub async fn unlock(&self, passphrase: String) -> Result<(), UnlockError> {
        #[cfg(feature = "hydrate")]
        {
            engine::entry::unlock(*self, passphrase).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = passphrase;
            Ok(())
        }
    }

    /// After an online sign-in: sets the device up for `viewer` (or renews its offline grant)
    /// under the passphrase just used, and opens it; with the `previous` passphrase when it
    /// was changed elsewhere and this device's work is still locked under the old one.
    pub async fn set_up(
        &self,
        viewer: Viewer,
        passphrase: String,
        previous: Option<String>,
        policy: DevicePolicy,
    ) -> Result<(), UnlockError> {
        #[cfg(feature = "hydrate")]
        {
            engine::entry::set_up(*self, viewer, passphrase, previous, policy).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (viewer, passphrase, previous, policy);
            Ok(())
        }
    }

    /// After the server accepted a change of passphrase: the device opens with `new` from now
    /// on. Fails, leaving the device as it was, when `current` does not open it (a device set
    /// up before the passphrase was changed elsewhere).
    pub async fn change_passphrase(&self, current: String, new: String) -> Result<(), UnlockError> {
        #[cfg(feature = "hydrate")]
        {
            engine::entry::change_passphrase(current, new).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (current, new);
            Ok(())
        }
    }

    /// Erases what the device holds when no passphrase at hand opens it and it is only drafts
    /// (never unsent work); says whether it did.
    pub async fn discard_unopenable(&self) -> Result<bool, UnlockError> {
        #[cfg(feature = "hydrate")]
        {
            engine::entry::discard_unopenable(*self).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            Ok(false)
        }
    }

    /// Locks the device now: the key and the data leave memory.
    pub fn lock_now(&self) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(engine::entry::lock(*self));
    }

    /// Whether the replica has been loaded (screens show a loading state until then).
    pub fn loaded(&self) -> bool {
        self.replica.with(Option::is_some)
    }

    /// How many changes wait to be sent.
    pub fn unsynced(&self) -> usize {
        self.replica
            .with(|r| r.as_ref().map(|r| r.outbox.len()).unwrap_or(0))
    }

    /// Starts a sync now, unless one is running.
    pub fn sync_now(&self) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(engine::entry::sync_soon(*self));
    }

    /// Syncs now and waits for the end (before signing out).
    pub async fn flush(&self) {
        #[cfg(feature = "hydrate")]
        engine::entry::flush(*self).await;
    }

    /// Queues a change: it is committed to IndexedDB when this returns `Ok`, then sent.
    pub async fn record(&self, op: Op) -> Result<(), String> {
        self.queue(op, None).await
    }

    /// [`Self::record`] for a change written from a draft, which is forgotten in the same
    /// commit.
    pub async fn record_from_draft(&self, op: Op, draft: DraftOf) -> Result<(), String> {
        self.queue(op, Some(draft)).await
    }

    async fn queue(&self, op: Op, from_draft: Option<DraftOf>) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            engine::entry::record(*self, op, from_draft).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (op, from_draft);
            Err("only in the browser".into())
        }
    }

    /// A saved draft.
    pub async fn draft<T: DeserializeOwned>(&self, of: DraftOf) -> Option<T> {
        #[cfg(feature = "hydrate")]
        {
            let draft = engine::entry::draft(of).await?;
            serde_json::from_value(draft).ok()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = of;
            None
        }
    }

    /// Saves a draft as it is typed; an empty one (the type's default) is forgotten.
    pub async fn save_draft<T: Serialize + Default + PartialEq>(
        &self,
        of: DraftOf,
        draft: T,
    ) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            let draft = if draft == T::default() {
                None
            } else {
                Some(serde_json::to_value(&draft).map_err(|e| e.to_string())?)
            };
            engine::entry::save_draft(of, draft).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (of, draft);
            Ok(())
        }
    }

    /// Takes in the signed-in user (the device is set up for them at sign-in, [`Self::set_up`]).
    pub fn signed_in(&self, viewer: Viewer) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(engine::entry::signed_in(*self, viewer));
        #[cfg(not(feature = "hydrate"))]
        let _ = viewer;
    }

    /// After signing out: wipes the device's data if nothing waits to be sent, and locks it
    /// otherwise.
    pub async fn signed_out(&self) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            engine::entry::signed_out(*self).await
        }
        #[cfg(not(feature = "hydrate"))]
        Ok(())
    }
}

/// Creates the device state and, in the browser, opens the store and starts the sync loop.
pub fn provide_device() -> Device {
    let device = Device::new();
    provide_context(device);
    #[cfg(feature = "hydrate")]
    engine::start(device);
    device
}

/// The device state.
pub fn use_device() -> Device {
    expect_context::<Device>()
}

/// Records a moment on the page's performance timeline (read by the device benchmark).
pub fn mark(name: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = name;
}

/// Records the time since the mark `{name}-start` as the measure `name` (read by the device
/// benchmark).
pub fn measure(name: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.measure_with_start_mark(name, &format!("{name}-start"));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = name;
}

/// The user the device's data belongs to, when the server cannot be asked; waits while the
/// device is locked.
pub async fn stored_owner(device: Device) -> Option<Viewer> {
    #[cfg(feature = "hydrate")]
    {
        // The store lives on the browser's one thread; resources want futures that could move.
        send_wrapper::SendWrapper::new(engine::entry::stored_owner(device)).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = device;
        None
    }
}
