//! The sync line under the header: online or offline, how many changes wait, when the device
//! last synced, a button to sync now, and a long sync's progress.

use super::i18n::{tr, use_lang, T};
use crate::client::{use_device, SyncProblem};
use crate::domain::visit::japan_time;
use crate::domain::Lang;
use leptos::prelude::*;

/// Shown once the device holds a signed-in user's data.
#[component]
pub fn SyncStatus() -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let signed_in = move || device.owner.with(Option::is_some);
    let online = move || device.online.get();
    let unsynced = move || device.unsynced();
    let pending_text = move || match lang.get() {
        Lang::Ja => format!("未送信 {} 件", unsynced()),
        Lang::En => format!("{} unsent", unsynced()),
    };
    let last = move || {
        device.last_sync.get().map_or_else(
            || tr(T::NeverSynced)().to_owned(),
            |at| {
                format!(
                    "{} {}",
                    tr(T::LastSync)(),
                    at.with_timezone(&japan_time()).format("%m/%d %H:%M")
                )
            },
        )
    };
    let problem = move || {
        device.problem.get().map(|p| {
            let key = match p {
                SyncProblem::Offline => T::ProblemOffline,
                SyncProblem::SignedOut => T::ProblemSignedOut,
                SyncProblem::UpdateRequired => T::ProblemUpdate,
                SyncProblem::Server(_) => T::ProblemServer,
                SyncProblem::Storage(_) => T::ProblemStorage,
                SyncProblem::Revoked => T::DeviceRevoked,
            };
            view! { <p class="sync-problem" data-testid="sync-problem">{tr(key)}</p> }
        })
    };
    view! {
        <Show when=signed_in>
            <div
                class="sync-status"
                data-testid="sync-status"
                data-client=move || device.replica.with(|r| r.as_ref().map(|r| r.client_id.0.to_string()))
            >
                <span
                    class="net"
                    class:offline=move || !online()
                    data-testid="net-state"
                    data-online=move || online().to_string()
                >
                    {move || if online() { tr(T::Online)() } else { tr(T::Offline)() }}
                </span>
                <span
                    class=move || { if unsynced() > 0 { "count pending" } else { "count" } }
                    data-testid="unsynced-count"
                    data-count=move || unsynced().to_string()
                >
                    {pending_text}
                </span>
                <span data-testid="last-sync">{last}</span>
                <button
                    type="button"
                    class="sync-now"
                    data-testid="sync-now"
                    aria-busy=move || device.syncing.get().is_some().to_string()
                    on:click=move |_| device.sync_now()
                >
                    {move || if device.syncing.get().is_some() { tr(T::Syncing)() } else { tr(T::SyncNow)() }}
                </button>
                {move || device.syncing.get().filter(|n| *n > 0).map(|n| view! {
                    <span class="sync-progress" role="status" data-testid="sync-progress">
                        <progress aria-label=tr(T::SyncProgress)></progress>
                        {n}
                    </span>
                })}
                {problem}
            </div>
        </Show>
    }
}
