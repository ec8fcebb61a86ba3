//! The installable app: registers the service worker, offers a new version when one is ready,
//! and asks the browser to keep the device's data (warning when it will not promise to).

use super::i18n::{tr, T};
use leptos::prelude::*;

/// "A new version is ready", with a button that switches to it and reloads.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let waiting = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |done: Option<()>| {
        if done.is_none() {
            browser::register(waiting);
        }
    });
    // Until a service worker serves the page (the first visit, before it has installed), a
    // screen first opened offline would find no code to load: every screen is fetched now,
    // once the device has opened, after what the first page needs. (The engine fetches its
    // own entry points on every start.)
    #[cfg(feature = "split")]
    {
        let device = crate::client::use_device();
        let fetched = StoredValue::new(false);
        Effect::new(move |_| {
            if device.lock.get() == crate::client::Lock::Opening || fetched.get_value() {
                return;
            }
            fetched.set_value(true);
            if !browser::serving() {
                leptos::task::spawn_local(super::fetch_screens());
            }
        });
    }
    let apply = move |_| {
        #[cfg(feature = "hydrate")]
        browser::apply_update();
    };
    view! {
        <Show when=move || waiting.get()>
            <div class="update-banner" role="status" data-testid="update-banner">
                <p>{tr(T::UpdateReady)}</p>
                <button type="button" class="primary" data-testid="update-reload" on:click=apply>
                    {tr(T::UpdateReload)}
                </button>
            </div>
        </Show>
    }
}

/// Warns when the browser may evict the device's data under storage pressure.
#[component]
pub fn StorageWarning() -> impl IntoView {
    let at_risk = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |done: Option<()>| {
        if done.is_none() {
            leptos::task::spawn_local(async move {
                // Persistent storage is asked for even once the warning is dismissed.
                let persisted = browser::persist().await;
                at_risk.set(!persisted && !browser::warning_dismissed());
            });
        }
    });
    let dismiss = move |_| {
        #[cfg(feature = "hydrate")]
        browser::dismiss_warning();
        at_risk.set(false);
    };
    view! {
        <Show when=move || at_risk.get()>
            <div class="storage-warning" role="note" data-testid="storage-warning">
                <details>
                    <summary data-testid="storage-warning-summary">{tr(T::StorageWarningShort)}</summary>
                    <p>{tr(T::StorageNotPersisted)}</p>
                </details>
                <button
                    type="button"
                    class="dismiss"
                    data-testid="storage-warning-dismiss"
                    title=tr(T::DismissStorageWarning)
                    aria-label=tr(T::DismissStorageWarning)
                    on:click=dismiss
                >
                    "×"
                </button>
            </div>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use std::cell::Cell;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};

    thread_local! {
        static RELOAD_ASKED: Cell<bool> = const { Cell::new(false) };
    }

    /// Where a device remembers that its user dismissed the storage warning.
    const WARNING_DISMISSED: &str = "dekapan-storage-warning-dismissed";

    /// Whether the storage warning was dismissed on this device.
    pub fn warning_dismissed() -> bool {
        local_storage()
            .and_then(|s| s.get_item(WARNING_DISMISSED).ok().flatten())
            .is_some()
    }

    /// Remembers on this device that the storage warning was dismissed.
    pub fn dismiss_warning() {
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(WARNING_DISMISSED, "1");
        }
    }

    fn local_storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    fn container() -> Option<ServiceWorkerContainer> {
        let navigator = web_sys::window()?.navigator();
        // Browsers without service workers (or insecure origins) simply get no offline shell.
        js_sys::Reflect::has(&navigator, &"serviceWorker".into())
            .ok()
            .filter(|has| *has)
            .map(|_| navigator.service_worker())
    }

    /// Whether a service worker serves this page (and so holds every piece of the app).
    #[cfg(feature = "split")]
    pub fn serving() -> bool {
        container().is_some_and(|c| c.controller().is_some())
    }

    /// Registers `/sw.js`; flags `waiting` when a new worker waits while an old one serves.
    pub fn register(waiting: RwSignal<bool>) {
        let Some(container) = container() else {
            return;
        };
        let promise = container.register("/sw.js");
        let on_change = Closure::<dyn FnMut()>::new(|| {
            if RELOAD_ASKED.with(Cell::get) {
                let _ = web_sys::window().map(|w| w.location().reload());
            }
        });
        container.set_oncontrollerchange(Some(on_change.as_ref().unchecked_ref()));
        on_change.forget();
        leptos::task::spawn_local(async move {
            let Ok(registration) = JsFuture::from(promise).await else {
                return;
            };
            let Ok(registration) = registration.dyn_into::<ServiceWorkerRegistration>() else {
                return;
            };
            let serving = move || container.controller().is_some();
            if registration.waiting().is_some() && serving() {
                waiting.set(true);
            }
            let found = registration.clone();
            let on_found = Closure::<dyn FnMut()>::new(move || {
                let Some(installing) = found.installing() else {
                    return;
                };
                let worker = installing.clone();
                let serving = serving.clone();
                let on_state = Closure::<dyn FnMut()>::new(move || {
                    if worker.state() == ServiceWorkerState::Installed && serving() {
                        waiting.set(true);
                    }
                });
                installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
                on_state.forget();
            });
            registration.set_onupdatefound(Some(on_found.as_ref().unchecked_ref()));
            on_found.forget();
        });
    }

    /// Tells the waiting worker to take over; the page reloads when it has.
    pub fn apply_update() {
        let Some(container) = container() else {
            return;
        };
        RELOAD_ASKED.with(|asked| asked.set(true));
        leptos::task::spawn_local(async move {
            let Ok(registration) = JsFuture::from(
                container
                    .ready()
                    .unwrap_or_else(|_| js_sys::Promise::reject(&"no service worker".into())),
            )
            .await
            else {
                return;
            };
            let registration: ServiceWorkerRegistration = registration.unchecked_into();
            if let Some(worker) = registration.waiting() {
                let _ = worker.post_message(&"skip-waiting".into());
            }
        });
    }

    /// Asks for persistent storage; whether the browser promises to keep the data.
    pub async fn persist() -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let storage = window.navigator().storage();
        let asked = async {
            let already = JsFuture::from(storage.persisted().ok()?).await.ok()?;
            if already.as_bool() == Some(true) {
                return Some(true);
            }
            JsFuture::from(storage.persist().ok()?)
                .await
                .ok()?
                .as_bool()
        };
        asked.await.unwrap_or(false)
    }
}
