//! The hubs' businesses suggested to a case team: who suggested which, with its number to call;
//! the team (and the program's supervisor) suggests another from the device's directory, or
//! takes one back. Each is a change in the outbox, so it works offline.

use crate::client::use_device;
use crate::domain::directory::{listings, DirectoryFilter};
use crate::domain::{AgencyId, CaseId};
use crate::sync::casebook::SuggestionView;
use crate::sync::Op;
use crate::ui::i18n::{pick, tr, use_lang, Label, T};
use leptos::prelude::*;

/// Records one change on the device and says so once IndexedDB has it.
fn record(op: Op, said: RwSignal<Option<bool>>) {
    let device = use_device();
    leptos::task::spawn_local(async move {
        said.set(Some(device.record(op).await.is_ok()));
    });
}

/// The suggestions of one case, and, for whoever may edit it, the form to add one.
#[component]
pub(in crate::ui) fn SuggestionsView(
    case_id: CaseId,
    suggestions: Vec<SuggestionView>,
    editor: bool,
    said: RwSignal<Option<bool>>,
) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let hub_name = move |hub: AgencyId| {
        device.reference.with_untracked(|r| {
            r.agency(hub)
                .map(|a| {
                    pick(
                        lang.get_untracked(),
                        &(a.name_ja.clone(), a.name_en.clone()),
                    )
                })
                .unwrap_or_default()
        })
    };
    let count = suggestions.len();
    view! {
        <section class="card suggestions" data-testid="case-suggestions" data-count=count
            aria-labelledby="suggestions-title">
            <h2 id="suggestions-title">{tr(T::Suggestions)}</h2>
            {(count == 0).then(|| view! { <p class="empty">{tr(T::SuggestionsNone)}</p> })}
            <ul class="suggestion-list">
                {suggestions.into_iter().map(|s| {
                    let id = s.id;
                    let withdraw = move |_| record(Op::WithdrawSuggestion { suggestion_id: id, case_id }, said);
                    let by = s.suggested_by.display_name.clone();
                    let day = s.suggested_at.format("%Y-%m-%d").to_string();
                    view! {
                        <li class="suggestion" data-testid="case-suggestion">
                            <strong data-testid="suggestion-name">{s.name.clone()}</strong>
                            {s.unsent.then(|| view! { " " <span class="badge unsent" data-testid="suggestion-unsent">{tr(T::NotSent)}</span> })}
                            {match s.listing.clone() {
                                Some(l) => view! {
                                    <span class="suggestion-hub">" · " {hub_name(l.hub)}</span>
                                    <span class="suggestion-functions">
                                        {l.functions.into_iter().map(|f| view! {
                                            " " <span class="badge" class:risk-high=f.is_crisis()>{move || f.label(lang.get())}</span>
                                        }).collect_view()}
                                    </span>
                                    <a class="button call" href=format!("tel:{}", l.phone) data-testid="suggestion-call">
                                        <span aria-hidden="true">"☎ "</span>{l.phone.clone()}
                                    </a>
                                }.into_any(),
                                None => view! { " " <small>{tr(T::ListingRetired)}</small> }.into_any(),
                            }}
                            <p class="suggestion-by"><small>{tr(T::SuggestedBy)} ": " {by} " · " {day}</small></p>
                            {editor.then(|| view! {
                                <button type="button" class="link-button" data-testid="suggestion-withdraw" on:click=withdraw>
                                    {tr(T::WithdrawSuggestion)}
                                </button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {editor.then(|| view! { <SuggestForm case_id said/> })}
        </section>
    }
}

#[component]
fn SuggestForm(case_id: CaseId, said: RwSignal<Option<bool>>) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let chosen = RwSignal::new(String::new());
    let choices = Memo::new(move |_| {
        device.reference.with(|r| {
            let hub = |id: AgencyId| {
                r.agency(id)
                    .map(|a| (a.name_ja.clone(), a.name_en.clone()))
                    .unwrap_or_default()
            };
            listings(&r.directory, &DirectoryFilter::default(), |_| String::new())
                .into_iter()
                .map(|l| (format!("{}/{}", l.business, l.hub), l.name, hub(l.hub)))
                .collect::<Vec<_>>()
        })
    });
    let suggest = move |_| {
        let value = chosen.get_untracked();
        let Some((business, hub)) = value.split_once('/') else {
            return;
        };
        let (Ok(business), Ok(hub)) = (business.parse(), hub.parse()) else {
            return;
        };
        record(
            Op::SuggestListing {
                suggestion_id: uuid::Uuid::new_v4(),
                case_id,
                business,
                hub,
            },
            said,
        );
        chosen.set(String::new());
    };
    view! {
        <div class="suggest-form">
            <label for="suggest-select">{tr(T::SuggestListing)}</label>
            <select id="suggest-select" data-testid="suggest-select" prop:value=move || chosen.get()
                on:change=move |ev| chosen.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {move || choices.get().into_iter().map(|(value, name, hub)| view! {
                    <option value=value>{name} " · " {move || pick(lang.get(), &hub)}</option>
                }).collect_view()}
            </select>
            <button type="button" class="secondary" data-testid="suggest-submit"
                disabled=move || chosen.with(String::is_empty) on:click=suggest>
                {tr(T::Suggest)}
            </button>
        </div>
    }
}
