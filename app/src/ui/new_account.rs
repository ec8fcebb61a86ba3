//! Opening an account (on `/admin`): login, name, role, agency, and a program for a
//! supervisor. The server makes a first passphrase, shown here once for the administrator to
//! hand over; its owner changes it in their sign-in settings.

use super::components::{focus, FieldProblems};
use super::i18n::{error_text, tr, use_lang, Label, T};
use crate::api::{AppError, IssuedPassphrase};
use crate::client::use_device;
use crate::domain::{AgencyId, FieldError, NewAccount, Program, Role};
use leptos::prelude::*;

#[component]
pub fn NewAccountForm(created: Callback<IssuedPassphrase>) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let login = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Nurse);
    let agency = RwSignal::new(None::<AgencyId>);
    let program = RwSignal::new(None::<Program>);
    let problems = FieldProblems::new("new");
    let errors = problems.list;
    let failed = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    // The agencies whose people have accounts, from the reference data on the device.
    let agencies = Memo::new(move |_| {
        device.reference.with(|r| {
            r.agencies
                .iter()
                .filter(|a| a.kind.has_staff_accounts())
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    // Problems are said beside their fields, and the keyboard goes to the first of them.
    let show = move |problems: Vec<FieldError>| {
        let first = [
            ("login", "new-login"),
            ("display_name", "new-name"),
            ("home_agency", "new-agency"),
            ("supervises", "new-program"),
        ]
        .into_iter()
        .find(|(field, _)| problems.iter().any(|p| p.field == *field))
        .map(|(_, id)| id);
        errors.set(problems);
        if let Some(id) = first {
            request_animation_frame(move || focus(id));
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        failed.set(None);
        let account = match NewAccount::from_form(
            login.get_untracked(),
            name.get_untracked(),
            role.get_untracked(),
            agency.get_untracked(),
            program.get_untracked(),
        ) {
            Ok(account) => account,
            Err(problems) => return show(problems),
        };
        errors.set(Vec::new());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = crate::api::create_account(account).await;
            busy.set(false);
            match result {
                Ok(made) => {
                    login.set(String::new());
                    name.set(String::new());
                    created.run(made);
                }
                Err(AppError::Invalid(problems)) if !problems.is_empty() => show(problems),
                Err(e) => failed.set(Some(e)),
            }
        });
    };
    let invalid = move |field: &'static str| problems.invalid(field);
    let said = move |field: &'static str| problems.said(field);
    view! {
        <form class="card new-account" data-testid="new-account" on:submit=submit novalidate
            aria-labelledby="new-account-title">
            <h2 id="new-account-title">{tr(T::NewAccount)}</h2>
            <div class="field">
                <label for="new-login">{tr(T::LoginName)}</label>
                <input id="new-login" type="text" required autocomplete="off" autocapitalize="none"
                    spellcheck="false" maxlength=crate::domain::staff::MAX_LOGIN_CHARS
                    aria-invalid=invalid("login") aria-describedby="new-login-hint new-login-error"
                    data-testid="new-login" prop:value=login on:input=move |ev| login.set(event_target_value(&ev))/>
                <small class="hint" id="new-login-hint">{tr(T::LoginHint)}</small>
                {said("login")}
            </div>
            <div class="field">
                <label for="new-name">{tr(T::DisplayName)}</label>
                <input id="new-name" type="text" required autocomplete="off"
                    maxlength=crate::domain::staff::MAX_NAME_CHARS
                    aria-invalid=invalid("display_name") aria-describedby="new-display_name-error"
                    data-testid="new-name" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                {said("display_name")}
            </div>
            <div class="field">
                <label for="new-role">{tr(T::RoleLabel)}</label>
                <select id="new-role" data-testid="new-role"
                    on:change=move |ev| if let Ok(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }>
                    {Role::ALL.iter().filter(|r| r.opened_by_administrator()).map(|&r| view! {
                        <option value=r.code() selected=move || role.get() == r>{move || r.label(lang.get())}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="new-agency">{tr(T::HomeAgencyLabel)}</label>
                <select id="new-agency" data-testid="new-agency" required
                    aria-invalid=invalid("home_agency") aria-describedby="new-home_agency-error"
                    on:change=move |ev| agency.set(event_target_value(&ev).parse().ok())>
                    <option value="" selected=move || agency.with(Option::is_none)>{tr(T::Choose)}</option>
                    {move || agencies.get().into_iter().map(|a| {
                        let id = a.id;
                        view! {
                            <option value=id.to_string() selected=move || agency.get() == Some(id)>
                                {move || a.name(lang.get()).to_owned()}
                            </option>
                        }
                    }).collect_view()}
                </select>
                {said("home_agency")}
            </div>
            <Show when=move || role.get().is_supervisor()>
                <div class="field">
                    <label for="new-program">{tr(T::Supervises)}</label>
                    <select id="new-program" data-testid="new-program" required
                        aria-invalid=invalid("supervises") aria-describedby="new-supervises-error"
                        on:change=move |ev| program.set(Program::parse(&event_target_value(&ev)).ok())>
                        <option value="" selected=move || program.with(Option::is_none)>{tr(T::Choose)}</option>
                        {Program::ALL.iter().map(|&p| view! {
                            <option value=p.code() selected=move || program.get() == Some(p)>{move || p.label(lang.get())}</option>
                        }).collect_view()}
                    </select>
                    {said("supervises")}
                </div>
            </Show>
            <p class="form-error" role="alert" data-testid="new-account-error">
                {move || failed.get().map(|e| error_text(lang.get(), &e))}
            </p>
            <button type="submit" class="primary" data-testid="new-account-submit" disabled=busy>
                {tr(T::CreateAccount)}
            </button>
        </form>
    }
}

/// A passphrase just issued, with its login, shown once (until hidden or the page is left).
#[component]
pub fn Issued(issued: IssuedPassphrase, opened: bool, hide: Callback<()>) -> impl IntoView {
    let said = if opened {
        T::AccountCreated
    } else {
        T::PassphraseIssued
    };
    view! {
        <section class="card created-account" id="account-created" data-testid="account-created"
            aria-labelledby="account-created-title">
            <h2 id="account-created-title">{issued.display_name} ": " {tr(said)}</h2>
            <dl>
                <dt>{tr(T::LoginName)}</dt>
                <dd><code data-testid="created-login">{issued.login}</code></dd>
                <dt>{tr(T::FirstPassphrase)}</dt>
                <dd><code class="secret" data-testid="created-passphrase">{issued.passphrase}</code></dd>
            </dl>
            <p class="hint">{tr(T::FirstPassphraseHint)}</p>
            <button type="button" class="secondary" data-testid="hide-issued" on:click=move |_| hide.run(())>
                {tr(T::HideIssued)}
            </button>
        </section>
    }
}
