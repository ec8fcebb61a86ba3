//! The field worker's visit list: today and the coming days. On a tablet the chosen visit opens
//! beside the list; on a phone it replaces it.

use super::components::DisclosureButton;
use super::i18n::{pick, tr, use_lang, Label, T};
use super::{use_session, RequireLogin};
use crate::client::use_device;
use crate::domain::visit::local_day;
use crate::domain::{Lang, StaffId, Visit};
use chrono::{Datelike, NaiveDate, Utc};
use leptos::prelude::*;
use leptos_router::{components::Outlet, components::A, hooks::use_params_map};

/// `/visits` and its nested visit page.
#[component]
pub fn VisitsPage() -> impl IntoView {
    view! {
        <RequireLogin>
            <VisitPanes/>
        </RequireLogin>
    }
}

/// What the list pane can show: read from the device, never from the network.
#[derive(Clone, PartialEq)]
enum ListState {
    /// The device store is still opening.
    Loading,
    /// Nothing has been synced to this device yet.
    FirstSync,
    /// The visits.
    Ready(Vec<Visit>),
}

#[component]
fn VisitPanes() -> impl IntoView {
    let device = use_device();
    let session = use_session();
    let me = move || session.viewer.get().flatten().map(|v| v.id);
    let state = Memo::new(move |_| {
        let Some(me) = me() else {
            return ListState::Loading;
        };
        device.replica.with(|replica| match replica {
            None => ListState::Loading,
            Some(r) if r.cursor == 0 => ListState::FirstSync,
            Some(r) => ListState::Ready(
                device
                    .reference
                    .with(|refs| r.my_visits(me, local_day(Utc::now()), refs)),
            ),
        })
    });
    // The moment the list first shows, for the device benchmark; and then the visit page's
    // code, made ready while the person reads the list, so that the visit opens at once.
    Effect::new(move |shown: Option<bool>| {
        let ready = matches!(state.get(), ListState::Ready(_));
        if ready && shown != Some(true) {
            crate::client::mark("dekapan-visits-shown");
            #[cfg(feature = "split")]
            leptos::task::spawn_local(<super::VisitRoute as leptos_router::LazyRoute>::preload());
        }
        ready || shown == Some(true)
    });
    let params = use_params_map();
    let has_detail = move || params.read().get("id").is_some();
    view! {
        <div class="panes" class:has-detail=has_detail>
            <section class="list-pane" aria-labelledby="visits-title">
                <h1 id="visits-title">{tr(T::MyVisits)}</h1>
                <RiskFlags/>
                {move || match state.get() {
                    ListState::Loading => view! { <p class="loading">{tr(T::Loading)}</p> }.into_any(),
                    ListState::FirstSync => view! { <FirstSync/> }.into_any(),
                    ListState::Ready(list) => view! { <VisitList visits=list/> }.into_any(),
                }}
                <MyCases/>
            </section>
            <section class="detail-pane">
                <Outlet/>
            </section>
        </div>
    }
}

/// High-risk cases of the user's teams, above everything else, with the hubs' crisis
/// contacts: all of it from the device, so it is there with no signal.
#[component]
fn RiskFlags() -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let flagged = super::from_device(|r, me, refs| r.flagged_cases(me, refs));
    let contacts = Memo::new(move |_| {
        device.reference.with(|r| {
            r.directory
                .iter()
                .filter(|d| d.function.is_crisis())
                .map(|d| (d.name.clone(), d.phone.clone()))
                .collect::<Vec<_>>()
        })
    });
    // The contacts open with one tap; closed, the box is one line a case.
    let contacts_open = RwSignal::new(false);
    move || {
        let cases = flagged.get().unwrap_or_default();
        (!cases.is_empty()).then(|| view! {
            <section class="risk-flags" data-testid="risk-flags" aria-labelledby="risk-flags-title">
                <div class="risk-flags-head">
                    <h2 id="risk-flags-title">{tr(T::RiskFlags)}</h2>
                    <DisclosureButton open=contacts_open controls="crisis-contacts" class="crisis-toggle" testid="crisis-toggle">
                        {tr(T::CrisisContactsShort)}
                    </DisclosureButton>
                </div>
                <ul class="crisis-contacts" id="crisis-contacts" data-testid="crisis-contacts" hidden=move || !contacts_open.get()>
                    {move || contacts.get().into_iter().map(|(name, phone)| view! {
                        <li data-testid="crisis-contact">
                            <a href=format!("tel:{phone}")>
                                <span class="contact-name">{name}</span>
                                <span class="contact-phone">{phone.clone()}</span>
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
                <ul class="risk-cases">
                    {cases.into_iter().map(|c| view! {
                        <li data-testid="risk-flag">
                            <A href=format!("/cases/{}", c.id)>
                                <strong>{c.pseudonym.clone()}</strong>
                                <span class="badge risk-high">{move || c.risk.label(lang.get())}</span>
                            </A>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })
    }
}

/// The cases of the user's teams, also those without a visit planned.
#[component]
fn MyCases() -> impl IntoView {
    let lang = use_lang();
    let cases = super::from_device(|r, me, refs| r.my_cases(me, refs));
    move || {
        cases.get().map(|cases| view! {
            <section class="my-cases" aria-labelledby="my-cases-title">
                <h2 id="my-cases-title">{tr(T::MyCases)}</h2>
                {cases.is_empty().then(|| view! { <p class="empty">{tr(T::NoCases)}</p> })}
                <ul data-testid="my-cases">
                    {cases.into_iter().map(|c| {
                        let (risk, status) = (c.risk, c.status);
                        view! {
                            <li data-testid="my-case" data-case-id=c.id.to_string()>
                                <A href=format!("/cases/{}", c.id)><strong>{c.pseudonym.clone()}</strong></A>
                                " " <span class=format!("badge risk-{}", risk.code())>{move || risk.label(lang.get())}</span>
                                " " <small>{move || status.label(lang.get())}</small>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        })
    }
}

/// A new device's first sync, with how far it has got.
#[component]
fn FirstSync() -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    // A try that failed on a bad line is tried again within seconds: said, not hidden. The panel
    // shows only while nothing is pulled, so this is the sync loop's retry condition
    // (`first_sync_retry_due`). It is not one shared function on purpose: a function shared by
    // this screen's piece and the engine's moved 65 KB into the first chunk (`docs/features.md`).
    let said = move || {
        let failed = device
            .problem
            .with(|p| p.as_ref().is_some_and(crate::client::SyncProblem::passing));
        super::i18n::t(
            lang.get(),
            if failed {
                T::FirstSyncRetrying
            } else {
                T::FirstSync
            },
        )
    };
    view! {
        <div class="first-sync" data-testid="first-sync">
            <p role="status" data-testid="first-sync-state">{said}</p>
            <progress aria-label=tr(T::SyncProgress)></progress>
            <p class="sync-count" aria-live="polite">
                {move || device.syncing.get().map(|n| n.to_string())}
            </p>
        </div>
    }
}

#[component]
fn VisitList(visits: Vec<Visit>) -> impl IntoView {
    let lang = use_lang();
    let session = use_session();
    let me = Signal::derive(move || session.viewer.get().flatten().map(|v| v.id));
    if visits.is_empty() {
        return view! { <p class="empty" data-testid="visit-list-empty">{tr(T::NoVisits)}</p> }
            .into_any();
    }
    let today = local_day(Utc::now());
    let mut days: Vec<(NaiveDate, Vec<Visit>)> = Vec::new();
    for visit in visits {
        match days.last_mut() {
            Some((day, list)) if *day == visit.day() => list.push(visit),
            _ => days.push((visit.day(), vec![visit])),
        }
    }
    view! {
        <div class="visit-list" data-testid="visit-list">
            {days
                .into_iter()
                .map(|(day, list)| {
                    view! {
                        <h2 class="day">{move || day_label(lang.get(), day, today)}</h2>
                        <ul>
                            {list
                                .into_iter()
                                .map(|visit| view! { <VisitItem visit me/> })
                                .collect_view()}
                        </ul>
                    }
                })
                .collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn VisitItem(visit: Visit, me: Signal<Option<StaffId>>) -> impl IntoView {
    let lang = use_lang();
    let href = format!("/visits/{}", visit.id);
    let window = visit.window.clock_range();
    let members = visit.members.clone();
    let co_visitors = move || {
        let me = me.get();
        members
            .iter()
            .filter(|m| Some(m.id) != me)
            .map(|m| {
                let agency = m.acts_for.as_ref().unwrap_or(&m.home_agency);
                super::i18n::with_agency(lang.get(), &m.display_name, &pick(lang.get(), agency))
            })
            .collect::<Vec<_>>()
            .join(super::i18n::list_separator(lang.get()))
    };
    let risk = visit.risk;
    let status = visit.status;
    view! {
        <li class="visit-item" data-testid="visit-item" data-visit-id=visit.id.to_string() data-status=status.code()>
            <A href=href>
                <span class="visit-head">
                    <strong data-testid="visit-pseudonym">{visit.pseudonym.clone()}</strong>
                    <span class=format!("badge risk-{}", risk.code())>
                        {tr(T::Risk)} ": " {move || risk.label(lang.get())}
                    </span>
                    <span class=format!("badge status-{}", status.code()) data-testid="visit-status">
                        {move || status.label(lang.get())}
                    </span>
                </span>
                <span class="visit-meta">
                    <span data-testid="visit-window">
                        <span class="sr-only">{tr(T::Time)} " "</span>
                        {window}
                    </span>
                    <span data-testid="visit-place">
                        <span class="sr-only">{tr(T::Place)} " "</span>
                        {visit.place.clone()}
                    </span>
                </span>
                <span class="visit-with" data-testid="visit-covisitors">
                    {tr(T::CoVisitors)} ": " {co_visitors}
                </span>
            </A>
        </li>
    }
}

/// "今日 11月24日(火)" / "Today, Tue 24 Nov".
fn day_label(lang: Lang, day: NaiveDate, today: NaiveDate) -> String {
    let weekday = day.weekday().num_days_from_monday() as usize;
    let date = match lang {
        Lang::Ja => format!(
            "{}月{}日（{}）",
            day.month(),
            day.day(),
            ["月", "火", "水", "木", "金", "土", "日"][weekday]
        ),
        Lang::En => day.format("%a %-d %b").to_string(),
    };
    if day == today {
        match lang {
            Lang::Ja => format!("{} {date}", super::i18n::t(lang, T::Today)),
            Lang::En => format!("{}, {date}", super::i18n::t(lang, T::Today)),
        }
    } else {
        date
    }
}

/// Shown beside the list on a tablet until a visit is chosen.
#[component]
pub fn NoVisitChosen() -> impl IntoView {
    view! { <p class="empty hint">{tr(T::ChooseVisit)}</p> }
}

/// The `id` of the visit in the URL.
pub fn visit_id_param() -> Memo<Option<String>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id"))
}
