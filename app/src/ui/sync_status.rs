//! The sync mark in the header: online or offline with the number of changes waiting as a
//! badge; a tap opens the details (when the device last synced, a button to sync now, a long
//! sync's progress, what stops it).

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
    // The details close when the page changes, as the menu does.
    let open = RwSignal::new(false);
    let here = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        here.pathname.track();
        open.set(false);
    });
    view! {
        <Show when=signed_in>
            <div
                class="sync-status"
                class:open=move || open.get()
                data-testid="sync-status"
                data-client=move || device.replica.with(|r| r.as_ref().map(|r| r.client_id.0.to_string()))
            >
                <button
                    type="button"
                    class="sync-mark"
                    class:troubled=move || device.problem.with(Option::is_some)
                    data-testid="sync-mark"
                    aria-controls="sync-details"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    <span
                        class="net"
                        class:offline=move || !online()
                        data-testid="net-state"
                        data-online=move || online().to_string()
                    >
                        <span class="net-word">{move || if online() { tr(T::Online)() } else { tr(T::Offline)() }}</span>
                    </span>
                    <span
                        class=move || { if unsynced() > 0 { "count pending" } else { "count" } }
                        data-testid="unsynced-count"
                        data-count=move || unsynced().to_string()
                        aria-hidden="true"
                    >
                        {unsynced}
                    </span>
                    // The name read out: the state and the count in words (the badge is a digit).
                    <span class="sr-only">{pending_text}</span>
                </button>
                <div class="sync-details" id="sync-details" data-testid="sync-details">
                    <span data-testid="unsynced-text">{pending_text}</span>
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
            </div>
        </Show>
    }
}
