//! The device: the replica held in IndexedDB and mirrored in signals for the screens, and the
//! sync loop that drains the outbox and pulls what teammates changed. The screens read only
//! from here and never wait on the network.
//!
//! The state ([`Device`]) compiles on both sides so pages render on the server; the storage
//! and the loop run only in the browser (`hydrate`).

#[cfg(feature = "hydrate")]
pub mod codec;
#[cfg(feature = "hydrate")]
mod engine;
#[cfg(feature = "hydrate")]
pub mod store;

use crate::api::Viewer;
use crate::domain::{NoteFields, VisitId};
use crate::sync::{Op, Reference, Replica};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

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
        }
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
        engine::sync_soon(*self);
    }

    /// Syncs now and waits for the end (before signing out).
    pub async fn flush(&self) {
        #[cfg(feature = "hydrate")]
        engine::flush(*self).await;
    }

    /// Queues a change: it is committed to IndexedDB when this returns `Ok`, then sent.
    pub async fn record(&self, op: Op) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            engine::record(*self, op).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = op;
            Err("only in the browser".into())
        }
    }

    /// The saved draft of a note about a visit.
    pub async fn draft(&self, visit: VisitId) -> Option<NoteFields> {
        #[cfg(feature = "hydrate")]
        {
            engine::draft(visit).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = visit;
            None
        }
    }

    /// Saves the draft of a note about a visit.
    pub async fn save_draft(&self, visit: VisitId, draft: NoteFields) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            engine::save_draft(visit, draft).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (visit, draft);
            Ok(())
        }
    }

    /// Takes in a signed-in user: a different user's data (with nothing unsent) is wiped.
    pub fn signed_in(&self, viewer: Viewer) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(engine::signed_in(*self, viewer));
        #[cfg(not(feature = "hydrate"))]
        let _ = viewer;
    }

    /// Forgets the device's data after signing out, if nothing waits to be sent.
    pub async fn signed_out(&self) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            engine::signed_out(*self).await
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

/// The user the device's data belongs to, when the server cannot be asked.
pub async fn stored_owner() -> Option<Viewer> {
    #[cfg(feature = "hydrate")]
    {
        // The store lives on the browser's one thread; resources want futures that could move.
        send_wrapper::SendWrapper::new(engine::stored_owner()).await
    }
    #[cfg(not(feature = "hydrate"))]
    None
}
