//! The engine's entry points, the only doors from the screens into it. In the release build
//! (`split`) each is a piece of WebAssembly loaded when first called, with the engine's code
//! shared between them: the sign-in page works before the store, the keyring and the sync
//! loop have arrived. Arguments are owned, as a call that may wait for a download needs.

use super::{keyring, outbox, sync_loop};
use crate::api::Viewer;
use crate::client::{Device, DraftOf, UnlockError};
use crate::domain::device::DevicePolicy;
use crate::sync::Op;
#[cfg(feature = "split")]
use leptos::lazy;

/// Declares the entry points: each a lazy function in the split build, and every one of them
/// in [`fetch_all`], so that a new entry point cannot be left out of it.
macro_rules! entry_points {
    ($(
        $(#[doc = $doc:expr])*
        pub async fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block
    )*) => {
        $(
            $(#[doc = $doc])*
            #[cfg_attr(feature = "split", lazy)]
            pub async fn $name($($arg: $ty),*) $(-> $ret)? $body
        )*

        /// Starts downloading the code of every entry point. The service worker keeps the
        /// app's files for offline use only once it is installed; until then a device that
        /// loses the network right after signing in must already hold the code that saves a
        /// note.
        #[cfg(feature = "split")]
        pub fn fetch_all() {
            $(let _ = leptos::lazy_preload!($name);)*
        }
    };
}

entry_points! {
    /// Opens the store and finds whether the device is set up (at the app's start).
    pub async fn open(device: Device) {
        super::open(device).await
    }

    pub async fn unlock(device: Device, passphrase: String) -> Result<(), UnlockError> {
        keyring::unlock(device, &passphrase).await
    }

    pub async fn set_up(
        device: Device,
        viewer: Viewer,
        passphrase: String,
        previous: Option<String>,
        policy: DevicePolicy,
    ) -> Result<(), UnlockError> {
        keyring::set_up(device, viewer, &passphrase, previous.as_deref(), policy).await
    }

    pub async fn change_passphrase(current: String, new: String) -> Result<(), UnlockError> {
        keyring::change_passphrase(&current, &new).await
    }

    pub async fn discard_unopenable(device: Device) -> Result<bool, UnlockError> {
        keyring::discard_unopenable(device).await
    }

    pub async fn lock(device: Device) {
        keyring::lock(device).await
    }

    pub async fn sync_soon(device: Device) {
        sync_loop::sync_soon(device)
    }

    pub async fn flush(device: Device) {
        sync_loop::flush(device).await
    }

    pub async fn record(device: Device, op: Op, from_draft: Option<DraftOf>) -> Result<(), String> {
        outbox::record(device, op, from_draft).await
    }

    pub async fn draft(of: DraftOf) -> Option<serde_json::Value> {
        outbox::draft(of).await
    }

    pub async fn save_draft(of: DraftOf, draft: Option<serde_json::Value>) -> Result<(), String> {
        outbox::save_draft(of, draft).await
    }

    pub async fn signed_in(device: Device, viewer: Viewer) {
        super::signed_in(device, viewer).await
    }

    pub async fn signed_out(device: Device) -> Result<(), String> {
        super::signed_out(device).await
    }

    pub async fn stored_owner(device: Device) -> Option<Viewer> {
        super::stored_owner(device).await
    }
}
