//! The administrator's page: every staff account with its role, agency and devices; an account
//! disabled or enabled again, a lost second factor reset, a lost device revoked. Online only:
//! these are the server's records, and nothing here is kept on the device.

use super::i18n::{pick, tr, use_lang, Label, T};
use super::indicators::{RevokeButton, SinceLabel};
use super::visit::ErrorNote;
use super::{use_session, RequireLogin};
use crate::api::{AppError, StaffAccount};
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
    let said = RwSignal::new(None::<bool>);
    // After an action: what the server now holds, and whether the action was taken.
    let done = Callback::new(move |ok: bool| {
        said.set(Some(ok));
        accounts.refetch();
    });
    view! {
        <section class="accounts" aria-labelledby="accounts-title">
            <h1 id="accounts-title">{tr(T::Accounts)}</h1>
            <p class="saved" role="status" data-testid="accounts-said">
                {move || said.get().map(|ok| if ok { tr(T::AccountChanged)() } else { tr(T::AccountNotChanged)() })}
            </p>
            <Transition fallback=|| view! { <p class="loading">{tr(T::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Ok(list) => view! {
                            <ul class="account-list" data-testid="account-list">
                                {list.into_iter().map(|account| view! { <Account account done/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Runs an account action and reports whether it was taken.
fn act(
    done: Callback<bool>,
    call: impl std::future::Future<Output = Result<(), AppError>> + 'static,
) {
    leptos::task::spawn_local(async move {
        done.run(call.await.is_ok());
    });
}

#[component]
fn Account(account: StaffAccount, done: Callback<bool>) -> impl IntoView {
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
    let me = move || session.viewer.get().flatten().is_some_and(|v| v.id == id);
    let toggle_label = {
        let name = display_name.clone();
        move || {
            let action = if disabled {
                T::EnableAccount
            } else {
                T::DisableAccount
            };
            format!("{} {name}", tr(action)())
        }
    };
    let reset_label = {
        let name = display_name.clone();
        move || format!("{} {name}", tr(T::ResetSecondFactor)())
    };
    let toggle = move |_| {
        act(
            done,
            crate::api::set_account_disabled(id.to_string(), !disabled),
        )
    };
    let reset = move |_| act(done, crate::api::reset_second_factor(id.to_string()));
    view! {
        <li class="card account" data-testid="account" data-login=login_attr
            data-disabled=disabled.to_string() data-second-factor=second_factor.to_string()>
            <h2>{display_name.clone()} " " <small>{login}</small></h2>
            <p>
                {move || role.label(lang.get())} " · " {move || pick(lang.get(), &agency).to_owned()}
            </p>
            <p class="badges">
                {disabled.then(|| view! { <span class="badge warn" data-testid="account-disabled">{tr(T::AccountDisabled)}</span> })}
                <span class="badge">
                    {if second_factor { tr(T::SecondFactorIsOn) } else { tr(T::SecondFactorIsOff) }}
                </span>
            </p>
            <p class="actions">
                {move || (!me()).then(|| view! {
                    <button type="button" class="secondary" data-testid="account-toggle"
                        aria-label=toggle_label.clone() on:click=toggle>
                        {tr(if disabled { T::EnableAccount } else { T::DisableAccount })}
                    </button>
                })}
                {second_factor.then(|| view! {
                    <button type="button" class="secondary" data-testid="account-reset-second-factor"
                        aria-label=reset_label on:click=reset>
                        {tr(T::ResetSecondFactor)}
                    </button>
                })}
            </p>
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
                                        done=Callback::new(move |()| done.run(true))/>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </li>
    }
}
