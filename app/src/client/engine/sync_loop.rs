//! Pushing the outbox and pulling what teammates changed, one sync at a time.

use super::outbox::reload;
use super::{erase, store, LAST_SYNC, REFERENCE};
use crate::client::store::Store;
use crate::client::{Device, SyncProblem};
use crate::domain::device::first_sync_retry;
use crate::sync::{Change, DatabaseId, PullResponse, PushResponse, Replica, SyncError};
use chrono::Utc;
use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::Cell;

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
    /// First syncs that failed in a row, on a device that holds nothing yet.
    static FIRST_FAILED: Cell<u32> = const { Cell::new(0) };
}

/// What the browser says about the network (true when it cannot tell).
pub(super) fn browser_online() -> bool {
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
                FIRST_FAILED.with(|f| f.set(0));
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
        } else if let Some(wait) = first_sync_retry_due(device) {
            gloo_timers::future::TimeoutFuture::new(wait).await;
            sync_soon(device);
        }
    });
}

/// A device that holds nothing yet, whose sync failed on the network or the server, tries
/// again within seconds rather than at the loop's next turn: how many milliseconds from now
/// (`first_sync_retry`), if so.
fn first_sync_retry_due(device: Device) -> Option<u32> {
    let nothing_held = device
        .replica
        .with_untracked(|r| r.as_ref().is_some_and(|r| r.cursor == 0));
    let failed = device
        .problem
        .with_untracked(|p| p.as_ref().is_some_and(SyncProblem::passing));
    if !nothing_held || !failed {
        return None;
    }
    let tries = FIRST_FAILED.with(|f| {
        f.set(f.get() + 1);
        f.get()
    });
    first_sync_retry(tries).map(|wait| wait.as_millis() as u32)
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
    let version = pull_all(device, &store).await?;
    if device.reference.with_untracked(|r| r.is_stale(version)) {
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

/// Pulls every page; answers the version of the reference data the server named.
async fn pull_all(device: Device, store: &Store) -> Result<Option<u64>, SyncProblem> {
    let mut received = 0;
    let mut version = None;
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
        version = response.reference_version.or(version);
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
                reference_version: response.reference_version,
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
            return Ok(version);
        }
    }
}
