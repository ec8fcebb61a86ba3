//! The lock screen: the device's data stays encrypted until its owner's passphrase opens it.
//! It stands in for every page but the login page while the device is locked, its offline
//! grant has ended, or it is not set up.

use super::i18n::{tr, use_lang, T};
use crate::client::{use_device, Lock, SyncProblem, UnlockError};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Shows `children` when the device is open (or on the login page); the lock screen otherwise.
#[component]
pub fn DeviceGate(children: ChildrenFn) -> impl IntoView {
    let device = use_device();
    let location = use_location();
    let children = StoredValue::new(children);
    // Marks the page with the device's state, for people's tools and for tests alike.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-device", device.lock.get().code());
        }
    });
    let on_login = move || location.pathname.get() == "/login";
    let gated = move || !on_login() && matches!(device.lock.get(), Lock::Locked | Lock::GrantEnded);
    let revoked = move || !on_login() && device.problem.get() == Some(SyncProblem::Revoked);
    view! {
        <Show when=move || !revoked() fallback=RevokedScreen>
            <Show when=gated fallback=move || children.with_value(|c| c())>
                <LockScreen/>
            </Show>
        </Show>
    }
}

/// What a revoked device shows once it has erased itself.
#[component]
fn RevokedScreen() -> impl IntoView {
    view! {
        <section class="card lock-screen" data-testid="device-revoked">
            <h1>{tr(T::DeviceRevokedTitle)}</h1>
            <p role="alert">{tr(T::DeviceRevoked)}</p>
            <a class="button primary" href="/login">{tr(T::Login)}</a>
        </section>
    }
}

#[component]
fn LockScreen() -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let passphrase = RwSignal::new(String::new());
    let error = RwSignal::new(None::<UnlockError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let typed = passphrase.get_untracked();
        leptos::task::spawn_local(async move {
            let result = device.unlock(typed).await;
            busy.set(false);
            match result {
                Ok(()) => passphrase.set(String::new()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let message = move || {
        error.get().map(|e| match e {
            UnlockError::WrongPassphrase => tr(T::WrongPassphrase)(),
            UnlockError::GrantEnded => tr(T::GrantEnded)(),
            UnlockError::LockedUnsentWork => tr(T::LockedUnsentWork)(),
            UnlockError::PreviousPassphraseNeeded => tr(T::PreviousPassphraseNeeded)(),
            UnlockError::Storage(_) => tr(T::DeviceStorageFailed)(),
        })
    };
    let waiting = move || device.waiting_while_locked.get();
    // The passphrase is all the lock screen asks for: it takes the keyboard at once.
    let passphrase_field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(field) = passphrase_field.get() {
            let _ = field.focus();
        }
    });
    view! {
        <section class="card lock-screen" data-testid="device-lock" data-state=move || device.lock.get().code()>
            <h1>{tr(T::DeviceLocked)}</h1>
            {move || (waiting() > 0).then(|| view! {
                <p data-testid="lock-waiting" data-count=waiting>
                    {move || match lang.get() {
                        crate::domain::Lang::Ja => format!("未送信の変更 {} 件は、この端末に暗号化して保存されています。", waiting()),
                        crate::domain::Lang::En => format!("{} unsent changes are kept on this device, encrypted.", waiting()),
                    }}
                </p>
            })}
            <Show
                when=move || device.lock.get() == Lock::Locked
                fallback=move || view! {
                    <p role="alert" data-testid="grant-ended">{tr(T::GrantEnded)}</p>
                    <a class="button primary" href="/login" data-testid="lock-sign-in">{tr(T::Login)}</a>
                }
            >
                <form on:submit=submit data-testid="unlock-form">
                    <label for="unlock-passphrase">{tr(T::DevicePassphrase)}</label>
                    <input
                        node_ref=passphrase_field
                        id="unlock-passphrase"
                        type="password"
                        autocomplete="current-password"
                        required
                        data-testid="unlock-passphrase"
                        prop:value=passphrase
                        on:input=move |ev| passphrase.set(event_target_value(&ev))
                    />
                    <p class="form-error" role="alert" data-testid="unlock-error">{message}</p>
                    <button type="submit" class="primary" data-testid="unlock-submit" disabled=busy>
                        {move || if busy.get() { tr(T::Unlocking)() } else { tr(T::Unlock)() }}
                    </button>
                </form>
                <p class="hint">
                    <a href="/login" data-testid="lock-sign-in">{tr(T::SignInAsSomeoneElse)}</a>
                </p>
            </Show>
        </section>
    }
}

/// The text for a failed device set-up after signing in.
pub fn set_up_error(error: &UnlockError) -> T {
    match error {
        UnlockError::LockedUnsentWork => T::LockedUnsentWork,
        UnlockError::PreviousPassphraseNeeded => T::PreviousPassphraseNeeded,
        UnlockError::WrongPassphrase => T::WrongPassphrase,
        UnlockError::GrantEnded => T::GrantEnded,
        UnlockError::Storage(_) => T::DeviceStorageFailed,
    }
}
