//! The login page.

use super::i18n::{error_text, t, tr, use_lang, T};
use super::use_session;
use crate::api::AppError;
use crate::client::{use_device, Lock};
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
    Effect::new(move |_| {
        if let Some(Ok(viewer)) = action.value().get() {
            // Consumed once: a later visit to this page must not replay an old sign-in.
            action.value().set(None);
            // The password just accepted also locks this device's data: it is read from the
            // field once, used to set up the device's key, and cleared.
            let typed = password
                .get_untracked()
                .map(|input| {
                    let typed = input.value();
                    input.set_value("");
                    typed
                })
                .unwrap_or_default();
            let navigate = navigate.clone();
            setting_up.set(true);
            leptos::task::spawn_local(async move {
                let policy = crate::api::device_policy().await.unwrap_or_default();
                let start = viewer.start_page();
                let result = device.set_up(viewer, typed, policy).await;
                setting_up.set(false);
                match result {
                    Ok(()) => navigate(start, Default::default()),
                    Err(e) => set_up_failed.set(Some(super::unlock::set_up_error(&e))),
                }
            });
        }
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
                <p class="form-error" role="alert" data-testid="login-error">
                    {error}
                </p>
                <button type="submit" class="primary" data-testid="login-submit" disabled=pending>
                    {move || if pending() { tr(T::LoggingIn)() } else { tr(T::Login)() }}
                </button>
            </ActionForm>
        </section>
    }
}
