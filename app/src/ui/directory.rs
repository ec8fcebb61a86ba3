//! `/directory`: the community life support hubs' cooperating businesses, by function, from
//! the device, so that a worker in a flat with no signal finds a short-stay bed, a place to
//! try living alone or a consultation desk, and calls it.

use super::i18n::{pick, tr, use_lang, Label, T};
use super::RequireLogin;
use crate::client::use_device;
use crate::domain::directory::{listings, DirectoryFilter, Listing};
use crate::domain::{AgencyId, AgencyKind, HubFunction};
use leptos::prelude::*;

/// `/directory`.
#[component]
pub fn DirectoryPage() -> impl IntoView {
    view! {
        <RequireLogin>
            <Directory/>
        </RequireLogin>
    }
}

#[component]
fn Directory() -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let function = RwSignal::new(None::<HubFunction>);
    let hub = RwSignal::new(None::<AgencyId>);
    let words = RwSignal::new(String::new());
    let hubs = Memo::new(move |_| {
        device.reference.with(|r| {
            r.agencies
                .iter()
                .filter(|a| a.kind == AgencyKind::LifeSupportHub)
                .map(|a| (a.id, (a.name_ja.clone(), a.name_en.clone())))
                .collect::<Vec<_>>()
        })
    });
    let hub_name = move |id: AgencyId| {
        hubs.with(|hubs| {
            hubs.iter()
                .find(|(h, _)| *h == id)
                .map(|(_, names)| pick(lang.get(), names))
                .unwrap_or_default()
        })
    };
    let shown = Memo::new(move |_| {
        let filter = DirectoryFilter {
            function: function.get(),
            hub: hub.get(),
            words: words.get(),
        };
        device
            .reference
            .with(|r| listings(&r.directory, &filter, hub_name))
    });
    view! {
        <section class="directory" aria-labelledby="directory-title">
            <h1 id="directory-title">{tr(T::Directory)}</h1>
            <form class="directory-filter" role="search" on:submit=|ev| ev.prevent_default()>
                <label for="directory-words">{tr(T::DirectoryWords)}</label>
                <input id="directory-words" type="search" data-testid="directory-words"
                    prop:value=move || words.get()
                    on:input=move |ev| words.set(event_target_value(&ev))/>
                <label for="directory-function">{tr(T::DirectoryFunction)}</label>
                <select id="directory-function" data-testid="directory-function"
                    on:change=move |ev| function.set(HubFunction::parse(&event_target_value(&ev)).ok())>
                    <option value="">{tr(T::AllFunctions)}</option>
                    {HubFunction::ALL.iter().map(|f| view! {
                        <option value=f.code() selected=move || function.get() == Some(*f)>
                            {move || f.label(lang.get())}
                        </option>
                    }).collect_view()}
                </select>
                <label for="directory-hub">{tr(T::DirectoryHub)}</label>
                <select id="directory-hub" data-testid="directory-hub"
                    on:change=move |ev| hub.set(event_target_value(&ev).parse().ok())>
                    <option value="">{tr(T::AllHubs)}</option>
                    {move || hubs.get().into_iter().map(|(id, names)| view! {
                        <option value=id.to_string() selected=move || hub.get() == Some(id)>
                            {move || pick(lang.get(), &names)}
                        </option>
                    }).collect_view()}
                </select>
            </form>
            <p class="directory-count" role="status" data-testid="directory-count">
                {move || format!("{} {}", shown.with(Vec::len), tr(T::DirectoryCount)())}
            </p>
            {move || {
                let list = shown.get();
                if list.is_empty() {
                    return view! { <p class="empty" data-testid="directory-empty">{tr(T::DirectoryEmpty)}</p> }.into_any();
                }
                view! {
                    <ul class="directory-list" data-testid="directory-list">
                        {list.into_iter().map(|l| view! { <Entry listing=l hub=hub_name/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Entry(
    listing: Listing,
    hub: impl Fn(AgencyId) -> String + Send + Sync + 'static,
) -> impl IntoView {
    let lang = use_lang();
    let Listing {
        business,
        name,
        hub: hub_id,
        functions,
        phone,
        offers,
        hours,
    } = listing;
    let crisis = functions.iter().any(|f| f.is_crisis());
    let title = format!("directory-{business}");
    view! {
        <li class="card directory-entry" class:crisis=crisis data-testid="directory-entry"
            aria-labelledby=title.clone()>
            <h2 id=title.clone()>{name}</h2>
            <p class="directory-hub">{move || hub(hub_id)}</p>
            <ul class="directory-functions" aria-label=tr(T::DirectoryFunction)>
                {functions.into_iter().map(|f| view! {
                    <li class="badge" class:risk-high=f.is_crisis() data-testid="directory-function-badge">
                        {move || f.label(lang.get())}
                    </li>
                }).collect_view()}
            </ul>
            <ul class="directory-offers">
                {offers.into_iter().map(|o| view! { <li>{o}</li> }).collect_view()}
            </ul>
            {(!hours.is_empty()).then(|| view! {
                <p class="directory-hours">{tr(T::DirectoryHours)} ": " {hours}</p>
            })}
            <a class="button call" href=format!("tel:{phone}") data-testid="directory-call">
                <span aria-hidden="true">"☎ "</span>{phone.clone()}
            </a>
        </li>
    }
}
