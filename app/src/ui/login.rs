//! The login page.

use super::i18n::{error_text, tr, use_lang, T};
use super::use_session;
use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_navigate};

/// Sign in with a login name and password.
#[component]
pub fn LoginPage() -> impl IntoView {
    let lang = use_lang();
    let session = use_session();
    let action = session.login;
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(viewer)) = action.value().get() {
            // Consumed once: a later visit to this page must not replay an old sign-in.
            action.value().set(None);
            navigate(viewer.start_page(), Default::default());
        }
    });
    let error = move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(lang.get(), &e))
    };
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                session.viewer.await.map(|v| view! { <Redirect path=v.start_page()/> })
            })}
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
                />
                <p class="form-error" role="alert" data-testid="login-error">
                    {error}
                </p>
                <button type="submit" class="primary" data-testid="login-submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { tr(T::LoggingIn)() } else { tr(T::Login)() }}
                </button>
            </ActionForm>
        </section>
    }
}
