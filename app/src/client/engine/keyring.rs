//! The keyring's life cycle: opening the device, locking it, setting it up at sign-in, and
//! wrapping its key under a changed passphrase.

use super::{forget_in_memory, load, store, sync_loop::sync_soon, used, OWNER, POLICY};
use crate::api::Viewer;
use crate::client::codec;
use crate::client::crypto::CryptoError;
use crate::client::keys::Keyring;
use crate::client::store::Store;
use crate::client::{Device, Lock, UnlockError};
use crate::domain::device::{grant_open, DevicePolicy};
use crate::sync::Reference;
use chrono::Utc;
use leptos::prelude::*;

/// Whether the device is set up, and whether its grant still holds.
pub(super) async fn opening() -> Result<Lock, String> {
    let store = store().await?;
    Ok(match store.keyring().await.map_err(|e| e.to_string())? {
        Some(ring) if grant_open(ring.grant_ends, Utc::now()) => Lock::Locked,
        Some(_) => Lock::GrantEnded,
        None => Lock::NotSetUp,
    })
}

/// Shows the device as `lock`, with the count of changes waiting, readable while locked.
pub(super) async fn locked_as(device: Device, lock: Lock) {
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
    crate::client::mark("dekapan-unlock-start");
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
    crate::client::measure("dekapan-unlock");
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
