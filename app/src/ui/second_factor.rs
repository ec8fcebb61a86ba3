//! `/security`: the person's sign-in settings. Their passphrase ([`super::passphrase`]), and
//! two-step sign-in: the server makes a secret; the user adds it to an authenticator app, types
//! the first code to turn it on, and keeps the recovery codes shown once.

use super::i18n::{error_text, tr, use_lang, T};
use super::RequireLogin;
use crate::api::{AppError, SecondFactorSetup};
use leptos::prelude::*;

/// `/security`.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    // Held out here: turning the factor on (or changing an issued passphrase) refreshes who is
    // signed in, which draws the settings anew, and the recovery codes (or what came of the
    // change) must survive that to be read.
    let codes = RwSignal::new(None::<Vec<String>>);
    let changed = RwSignal::new(None);
    let session = super::use_session();
    // Two-step sign-in is required and not set up yet: nothing but it and the passphrase is
    // offered (nor allowed).
    let required = Signal::derive(move || {
        session
            .viewer
            .get()
            .flatten()
            .is_some_and(|v| v.must_set_up_second_factor)
    });
    view! {
        <RequireLogin>
            <h1>{tr(T::SignInSettings)}</h1>
            <super::passphrase::ChangePassphrase outcome=changed/>
            <Settings codes required/>
        </RequireLogin>
    }
}

#[component]
fn Settings(codes: RwSignal<Option<Vec<String>>>, required: Signal<bool>) -> impl IntoView {
    let lang = use_lang();
    let session = super::use_session();
    let on = Resource::new(|| (), |_| crate::api::second_factor_on());
    let setup = RwSignal::new(None::<SecondFactorSetup>);
    let error = RwSignal::new(None::<AppError>);
    let typed = RwSignal::new(String::new());
    let start = move |_| {
        leptos::task::spawn_local(async move {
            match crate::api::start_second_factor(None).await {
                Ok(started) => {
                    error.set(None);
                    setup.set(Some(started));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let code = typed.get_untracked();
        leptos::task::spawn_local(async move {
            match crate::api::confirm_second_factor(code).await {
                Ok(list) => {
                    error.set(None);
                    setup.set(None);
                    typed.set(String::new());
                    codes.set(Some(list));
                    on.refetch();
                    session.viewer.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card" data-testid="second-factor" aria-labelledby="tfa-title">
            <h2 id="tfa-title">{tr(T::SecondFactor)}</h2>
            <Show when=move || required.get()>
                <p class="notice" role="status" data-testid="tfa-required">{tr(T::SecondFactorSetupNeeded)}</p>
            </Show>
            <Transition fallback=|| view! { <p class="loading">{tr(T::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match on.await {
                        Ok(true) => view! { <p data-testid="tfa-on">{tr(T::SecondFactorOn)}</p> }.into_any(),
                        Ok(false) => view! {
                            <p data-testid="tfa-off">{tr(T::SecondFactorOff)}</p>
                            <Show when=move || setup.with(Option::is_none)>
                                <button type="button" class="primary" data-testid="tfa-start" on:click=start>
                                    {tr(T::SecondFactorStart)}
                                </button>
                            </Show>
                        }.into_any(),
                        Err(e) => view! { <p role="alert">{move || error_text(lang.get(), &e)}</p> }.into_any(),
                    }
                })}
            </Transition>
            {move || setup.get().map(|s| view! {
                <p>{tr(T::SecondFactorSecret)}</p>
                <p><code class="secret" data-testid="tfa-secret">{s.secret.clone()}</code></p>
                <p class="hint"><small class="uri">{s.uri.clone()}</small></p>
                <form on:submit=confirm data-testid="tfa-form">
                    <label for="tfa-code">{tr(T::OneTimeCode)}</label>
                    <input id="tfa-code" type="text" inputmode="numeric" autocomplete="one-time-code" required
                        data-testid="tfa-code" prop:value=typed on:input=move |ev| typed.set(event_target_value(&ev))/>
                    <button type="submit" class="primary" data-testid="tfa-confirm">{tr(T::SecondFactorConfirm)}</button>
                </form>
            })}
            <p class="form-error" role="alert" data-testid="tfa-error">
                {move || error.get().map(|e| error_text(lang.get(), &e))}
            </p>
            {move || codes.get().map(|list| view! {
                <h2>{tr(T::RecoveryCodes)}</h2>
                <ul class="recovery-codes" data-testid="tfa-recovery">
                    {list.into_iter().map(|c| view! { <li><code data-testid="tfa-recovery-code">{c}</code></li> }).collect_view()}
                </ul>
            })}
        </section>
    }
}
