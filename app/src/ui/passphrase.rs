//! Changing one's passphrase (on `/security`): the current one, the new one twice. The server
//! checks the current one and ends the person's other sign-ins; this device then opens with
//! the new one, and what it holds stays as it is.

use super::components::focus;
use super::i18n::{error_text, problem_text, tr, use_lang, T};
use crate::api::AppError;
use crate::client::use_device;
use crate::domain::{signin, FieldError};
use leptos::prelude::*;

/// The fields of the form, by their names.
const FIELDS: [(&str, T, &str); 3] = [
    ("current", T::CurrentPassphrase, "current-password"),
    ("new", T::NewPassphrase, "new-password"),
    ("repeat", T::RepeatPassphrase, "new-password"),
];

/// What came of the last change of passphrase asked for.
#[derive(Clone, PartialEq)]
pub enum Outcome {
    Changed { device_kept: bool },
    Failed(AppError),
}

#[component]
pub fn ChangePassphrase(
    /// Held by the page: a change refreshes who is signed in, which draws the form anew, and
    /// what came of it must still be said.
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let session = super::use_session();
    let issued = move || {
        session
            .viewer
            .get()
            .flatten()
            .is_some_and(|v| v.must_change_passphrase)
    };
    let typed = FIELDS.map(|_| RwSignal::new(String::new()));
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);
    // Problems are said beside their fields, and the keyboard goes to the first of them.
    let show = move |problems: Vec<FieldError>| {
        let first = FIELDS
            .iter()
            .map(|(name, ..)| *name)
            .find(|name| problems.iter().any(|p| p.field == *name));
        errors.set(problems);
        if let Some(name) = first {
            request_animation_frame(move || focus(&format!("passphrase-{name}")));
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        outcome.set(None);
        let [current, new, repeat] = typed.map(|s| s.get_untracked());
        // What can be told before sending (the login is compared on the server).
        let problems = signin::check_typed_change(&current, &new, &repeat);
        if !problems.is_empty() {
            return show(problems);
        }
        errors.set(Vec::new());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = crate::api::change_passphrase(current.clone(), new.clone()).await;
            let result = match result {
                Ok(()) => Ok(device.change_passphrase(current, new).await.is_err()),
                Err(e) => Err(e),
            };
            busy.set(false);
            match result {
                Ok(device_kept) => {
                    typed.iter().for_each(|s| s.set(String::new()));
                    outcome.set(Some(Outcome::Changed { device_kept }));
                    // An issued passphrase no longer holds the rest of the app back.
                    session.viewer.refetch();
                }
                Err(AppError::Invalid(problems)) if !problems.is_empty() => show(problems),
                Err(e) => outcome.set(Some(Outcome::Failed(e))),
            }
        });
    };
    let field_problem = move |name: &'static str| {
        errors.with(|list| {
            list.iter()
                .find(|e| e.field == name)
                .map(|e| e.problem.clone())
        })
    };
    view! {
        <section class="card" data-testid="passphrase" aria-labelledby="passphrase-title">
            <h2 id="passphrase-title">{tr(T::Passphrase)}</h2>
            <Show when=issued>
                <p class="notice" data-testid="passphrase-required">{tr(T::PassphraseChangeNeeded)}</p>
            </Show>
            <p class="hint" id="passphrase-help">{tr(T::PassphraseHelp)}</p>
            <form on:submit=submit data-testid="passphrase-form" novalidate>
                {FIELDS.into_iter().zip(typed).map(|((name, label, autocomplete), value)| {
                    let id = format!("passphrase-{name}");
                    let error_id = format!("passphrase-{name}-error");
                    let described = if name == "new" {
                        format!("passphrase-help {error_id}")
                    } else {
                        error_id.clone()
                    };
                    view! {
                        <div class="field">
                            <label for=id.clone()>{tr(label)}</label>
                            <input
                                id=id
                                name=name
                                type="password"
                                autocomplete=autocomplete
                                required
                                maxlength=signin::MAX_PASSPHRASE_CHARS
                                aria-invalid=move || field_problem(name).is_some().to_string()
                                aria-describedby=described
                                data-testid=format!("passphrase-{name}")
                                prop:value=value
                                on:input=move |ev| value.set(event_target_value(&ev))
                            />
                            <span class="field-error" id=error_id data-testid=format!("passphrase-{name}-error")>
                                {move || field_problem(name).map(|p| problem_text(lang.get(), &p))}
                            </span>
                        </div>
                    }
                }).collect_view()}
                <p class="form-error" role="alert" data-testid="passphrase-error">
                    {move || match outcome.get() {
                        Some(Outcome::Failed(e)) => Some(error_text(lang.get(), &e)),
                        _ => None,
                    }}
                </p>
                <p role="status" data-testid="passphrase-status">
                    {move || match outcome.get() {
                        Some(Outcome::Changed { device_kept: false }) => Some(tr(T::PassphraseChanged)()),
                        Some(Outcome::Changed { device_kept: true }) => Some(tr(T::PassphraseChangedDeviceKept)()),
                        _ => None,
                    }}
                </p>
                <button type="submit" class="primary" data-testid="passphrase-submit" disabled=busy>
                    {move || if busy.get() { tr(T::ChangingPassphrase)() } else { tr(T::ChangePassphrase)() }}
                </button>
            </form>
        </section>
    }
}
