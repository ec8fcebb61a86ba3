//! The login page.

use super::i18n::{error_text, t, tr, use_lang, T};
use super::use_session;
use crate::api::{AppError, Viewer};
use crate::client::{use_device, Lock, UnlockError};
use crate::domain::device::DevicePolicy;
use leptos::html::Input;
use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_navigate};

/// Sign in with a login name and password.
#[component]
pub fn LoginPage() -> impl IntoView {
    let lang = use_lang();
    let session = use_session();
    let action = session.login;
    let device = use_device();
    let navigate = use_navigate();
    let password = NodeRef::<Input>::new();
    let set_up_failed = RwSignal::new(None::<T>);
    let setting_up = RwSignal::new(false);
    // A device whose work is still locked under a passphrase changed elsewhere: the sign-in
    // waits here for the previous one, the new one held in memory only until then.
    let carry_over = StoredValue::new(None::<(Viewer, String, DevicePolicy)>);
    let asks_previous = RwSignal::new(false);
    let previous = NodeRef::<Input>::new();
    let set_up = move |viewer: Viewer, typed: String, before: Option<String>, policy| {
        let navigate = navigate.clone();
        setting_up.set(true);
        leptos::task::spawn_local(async move {
            let start = viewer.start_page();
            let tried_before = before.is_some();
            let result = device
                .set_up(viewer.clone(), typed.clone(), before, policy)
                .await;
            setting_up.set(false);
            match result {
                Ok(()) => {
                    carry_over.set_value(None);
                    asks_previous.set(false);
                    navigate(start, Default::default());
                }
                Err(UnlockError::PreviousPassphraseNeeded) => {
                    carry_over.set_value(Some((viewer, typed, policy)));
                    set_up_failed.set(Some(if tried_before {
                        T::PreviousPassphraseWrong
                    } else {
                        T::PreviousPassphraseNeeded
                    }));
                    asks_previous.set(true);
                    // The keyboard goes to the field now asked for.
                    request_animation_frame(move || {
                        if let Some(field) = previous.get_untracked() {
                            let _ = field.focus();
                        }
                    });
                }
                Err(e) => set_up_failed.set(Some(super::unlock::set_up_error(&e))),
            }
        });
    };
    {
        let set_up = set_up.clone();
        Effect::new(move |_| {
            if let Some(Ok(viewer)) = action.value().get() {
                // Consumed once: a later visit to this page must not replay an old sign-in.
                action.value().set(None);
                set_up_failed.set(None);
                // Whatever an earlier sign-in on this page left waiting is forgotten.
                carry_over.set_value(None);
                asks_previous.set(false);
                // The password just accepted also locks this device's data: it is read from
                // the field once, used to set up the device's key, and cleared.
                let typed = taken(password);
                let set_up = set_up.clone();
                leptos::task::spawn_local(async move {
                    let policy = crate::api::device_policy().await.unwrap_or_default();
                    set_up(viewer, typed, None, policy);
                });
            }
        });
    }
    let carry = {
        let set_up = set_up.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let before = taken(previous);
            if let Some((viewer, typed, policy)) = carry_over.get_value() {
                // Said anew after each try, so that a second refusal is heard too.
                set_up_failed.set(None);
                set_up(viewer, typed, Some(before), policy);
            }
        }
    };
    // The previous passphrase is forgotten and only drafts wait: they can be given up.
    let give_up = Callback::new(move |()| {
        if !super::confirmed(tr(T::ConfirmDiscardDrafts)()) {
            return;
        }
        let Some((viewer, typed, policy)) = carry_over.get_value() else {
            return;
        };
        let set_up = set_up.clone();
        setting_up.set(true);
        leptos::task::spawn_local(async move {
            let result = device.discard_unopenable().await;
            setting_up.set(false);
            match result {
                Ok(true) => {
                    set_up_failed.set(None);
                    set_up(viewer, typed, None, policy);
                }
                // Another window queued work meanwhile: it is never discarded.
                Ok(false) => set_up_failed.set(Some(T::LockedUnsentWorkOwn)),
                Err(_) => set_up_failed.set(Some(T::DeviceStorageFailed)),
            }
        });
    });
    let error = move || {
        let lang = lang.get();
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(lang, &e))
            .or_else(|| set_up_failed.get().map(|key| t(lang, key)))
    };
    let pending = move || action.pending().get() || setting_up.get();
    // The password was right and a one-time code is wanted (or the one typed was wrong).
    let asks_code = move || {
        matches!(
            action.value().get(),
            Some(Err(AppError::SecondFactorNeeded | AppError::BadSecondFactor))
        )
    };
    view! {
        // Already signed in on an open device: straight to the start page.
        <Suspense>
            {move || {
                let open = device.lock.get() == Lock::Unlocked;
                Suspend::new(async move {
                    let viewer = session.viewer.await;
                    viewer
                        .filter(|_| open)
                        .map(|v| view! { <Redirect path=v.start_page()/> })
                })
            }}
        </Suspense>
        <section class="login card">
            <h1>{tr(T::AppName)}</h1>
            <p class="tagline">{tr(T::Tagline)}</p>
            <ActionForm action=action attr:data-testid="login-form">
                <label for="login-name">{tr(T::LoginName)}</label>
                <input
                    id="login-name"
                    name="login"
                    type="text"
                    autocomplete="username"
                    autocapitalize="none"
                    required
                    data-testid="login-name"
                />
                <label for="login-password">{tr(T::Password)}</label>
                <input
                    id="login-password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    data-testid="login-password"
                    node_ref=password
                />
                {move || asks_code().then(|| view! {
                    <label for="login-code">{tr(T::OneTimeCode)}</label>
                    <input
                        id="login-code"
                        name="code"
                        type="text"
                        inputmode="numeric"
                        autocomplete="one-time-code"
                        required
                        data-testid="login-code"
                    />
                })}
                <p class="form-error" role="alert" id="login-error" data-testid="login-error">
                    {error}
                </p>
                <button type="submit" class="primary" data-testid="login-submit" disabled=pending>
                    {move || if pending() { tr(T::LoggingIn)() } else { tr(T::Login)() }}
                </button>
            </ActionForm>
            <Show when=move || asks_previous.get()>
                <form on:submit=carry.clone() data-testid="previous-form">
                    <label for="login-previous">{tr(T::PreviousPassphrase)}</label>
                    <input
                        id="login-previous"
                        type="password"
                        autocomplete="off"
                        required
                        aria-describedby="login-error"
                        data-testid="login-previous"
                        node_ref=previous
                    />
                    <button type="submit" class="primary" data-testid="previous-submit" disabled=pending>
                        {tr(T::OpenWithPrevious)}
                    </button>
                    <Show when=move || device.waiting_while_locked.get() == 0>
                        <button type="button" class="link-button" data-testid="discard-drafts"
                            disabled=pending on:click=move |_| give_up.run(())>
                            {tr(T::ForgotPrevious)}
                        </button>
                    </Show>
                </form>
            </Show>
        </section>
    }
}

/// What was typed in a password field, which is emptied.
fn taken(field: NodeRef<Input>) -> String {
    field
        .get_untracked()
        .map(|input| {
            let typed = input.value();
            input.set_value("");
            typed
        })
        .unwrap_or_default()
}
