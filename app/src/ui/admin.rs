//! The administrator's page: every staff account with its role, agency and devices; a new
//! account opened ([`super::new_account`]), a new passphrase issued for a forgotten one, an
//! account disabled or enabled again, a lost second factor reset, a lost device revoked; and the
//! hubs' directory ([`super::admin_directory`]). Online only: these are the server's records, and
//! nothing here is kept on the device.

use super::admin_directory::DirectoryAdmin;
use super::components::{focus, ErrorNote};
use super::i18n::{pick, tr, use_lang, Label, T};
use super::indicators::{RevokeButton, SinceLabel};
use super::new_account::{Issued, NewAccountForm};
use super::{use_session, RequireLogin};
use crate::api::{AppError, IssuedPassphrase, StaffAccount};
use crate::domain::access::may_change_account;
use leptos::prelude::*;

/// `/admin`.
#[component]
pub fn AccountsPage() -> impl IntoView {
    view! {
        <RequireLogin>
            <Accounts/>
        </RequireLogin>
    }
}

#[component]
fn Accounts() -> impl IntoView {
    let accounts = Resource::new(|| (), |_| crate::api::staff_accounts());
    let said = RwSignal::new(None::<(String, bool)>);
    // After an action: say what came of it where the keyboard is (the list is drawn anew, and
    // the button pressed with it), and show what the server now holds.
    let done = Callback::new(move |outcome: (String, bool)| {
        said.set(Some(outcome));
        // Once the sentence is on screen (an empty status line is not shown, so not focusable).
        request_animation_frame(|| focus("accounts-said"));
        accounts.refetch();
    });
    // A passphrase issued (with a new account, or for a forgotten one) is shown once, where
    // the keyboard goes.
    let made = RwSignal::new(None::<(IssuedPassphrase, bool)>);
    let show_issued = move |issued: IssuedPassphrase, opened: bool| {
        said.set(None);
        made.set(Some((issued, opened)));
        request_animation_frame(|| focus("account-created"));
        accounts.refetch();
    };
    let created = Callback::new(move |issued| show_issued(issued, true));
    let reissued = Callback::new(move |issued| show_issued(issued, false));
    let hide = Callback::new(move |()| made.set(None));
    view! {
        <section class="accounts" aria-labelledby="accounts-title">
            <h1 id="accounts-title">{tr(T::Accounts)}</h1>
            {move || made.get().map(|(issued, opened)| view! { <Issued issued opened hide/> })}
            <NewAccountForm created/>
            <p class="saved" role="status" id="accounts-said" data-testid="accounts-said">
                {move || said.get().map(|(name, ok)| {
                    format!("{name}: {}", if ok { tr(T::AccountChanged)() } else { tr(T::AccountNotChanged)() })
                })}
            </p>
            <Transition fallback=|| view! { <p class="loading">{tr(T::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Ok(list) => view! {
                            <ul class="account-list" data-testid="account-list">
                                {list.into_iter().map(|account| view! { <Account account done reissued/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
            <DirectoryAdmin/>
        </section>
    }
}

/// Asks before an action that locks someone out or weakens their sign-in, runs it, and reports
/// whether it was taken.
fn act<F>(done: Callback<(String, bool)>, name: String, ask: Option<String>, call: F)
where
    F: std::future::Future<Output = Result<(), AppError>> + 'static,
{
    if ask.is_some_and(|question| !super::confirmed(&question)) {
        return;
    }
    leptos::task::spawn_local(async move {
        done.run((name, call.await.is_ok()));
    });
}

#[component]
fn Account(
    account: StaffAccount,
    done: Callback<(String, bool)>,
    reissued: Callback<IssuedPassphrase>,
) -> impl IntoView {
    let lang = use_lang();
    let session = use_session();
    let StaffAccount {
        id,
        login,
        display_name,
        role,
        agency,
        disabled,
        second_factor,
        devices,
    } = account;
    let login_attr = login.clone();
    let may_change = move || {
        session
            .viewer
            .get()
            .flatten()
            .is_some_and(|v| may_change_account(v.role, v.id, id))
    };
    let name = display_name.clone();
    let named = move |key: T| format!("{} {}", tr(key)(), display_name);
    let toggle_key = if disabled {
        T::EnableAccount
    } else {
        T::DisableAccount
    };
    let toggle = {
        let name = name.clone();
        move |_| {
            // Enabling needs no second thought; disabling ends the person's sessions.
            let ask = (!disabled).then(|| format!("{}: {}", name, tr(T::ConfirmDisable)()));
            act(
                done,
                name.clone(),
                ask,
                crate::api::set_account_disabled(id.to_string(), !disabled),
            )
        }
    };
    let reset = {
        let name = name.clone();
        move |_| {
            let ask = Some(format!("{}: {}", name, tr(T::ConfirmResetSecondFactor)()));
            act(
                done,
                name.clone(),
                ask,
                crate::api::reset_second_factor(id.to_string()),
            )
        }
    };
    let reissue = {
        let name = name.clone();
        move |_| {
            if !super::confirmed(&format!("{}: {}", name, tr(T::ConfirmReissue)())) {
                return;
            }
            let name = name.clone();
            leptos::task::spawn_local(async move {
                match crate::api::reissue_passphrase(id.to_string()).await {
                    Ok(issued) => reissued.run(issued),
                    Err(_) => done.run((name, false)),
                }
            });
        }
    };
    let revoked = {
        let name = name.clone();
        Callback::new(move |ok: bool| done.run((name.clone(), ok)))
    };
    view! {
        <li class="card account" data-testid="account" data-login=login_attr
            data-disabled=disabled.to_string() data-second-factor=second_factor.to_string()>
            <h2>{name.clone()} " " <small>{login}</small></h2>
            <p>
                {move || role.label(lang.get())} " · " {move || pick(lang.get(), &agency).to_owned()}
            </p>
            <p class="badges">
                {disabled.then(|| view! { <span class="badge warn" data-testid="account-disabled">{tr(T::AccountDisabled)}</span> })}
                <span class="badge">
                    {if second_factor { tr(T::SecondFactorIsOn) } else { tr(T::SecondFactorIsOff) }}
                </span>
            </p>
            {move || may_change().then(|| view! {
                <p class="actions">
                    <button type="button" class="secondary" data-testid="account-toggle"
                        aria-label=named(toggle_key) on:click=toggle.clone()>
                        {tr(toggle_key)}
                    </button>
                    <button type="button" class="secondary" data-testid="account-reissue"
                        aria-label=named(T::ReissuePassphrase) on:click=reissue.clone()>
                        {tr(T::ReissuePassphrase)}
                    </button>
                    {second_factor.then(|| view! {
                        <button type="button" class="secondary" data-testid="account-reset-second-factor"
                            aria-label=named(T::ResetSecondFactor) on:click=reset.clone()>
                            {tr(T::ResetSecondFactor)}
                        </button>
                    })}
                </p>
            })}
            <h3>{tr(T::Devices)}</h3>
            {if devices.is_empty() {
                view! { <p class="empty">{tr(T::NoDevices)}</p> }.into_any()
            } else {
                view! {
                    <ul class="devices">
                        {devices.into_iter().map(|d| {
                            let short = d.client_id.chars().take(8).collect::<String>();
                            let client = d.client_id.clone();
                            view! {
                                <li data-testid="account-device" data-client=client
                                    data-revoked=d.revoked.to_string()>
                                    <code>{short}</code> " · " {tr(T::LastContact)} " "
                                    <SinceLabel at=d.last_contact_at/> " "
                                    <RevokeButton client_id=d.client_id staff=d.staff revoked=d.revoked
                                        done=revoked/>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </li>
    }
}
