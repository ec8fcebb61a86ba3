//! The hubs' directory as its administrator keeps it (on `/admin`): every listing, one added or
//! edited (name, hub, functions, what it offers, hours, number) or retired. Online only: the
//! server writes it, and devices fetch it again at their next sync.

use super::components::{focus, ErrorNote, FieldProblems};
use super::i18n::{error_text, pick, tr, use_lang, Label, T};
use crate::api::AppError;
use crate::domain::directory::{listings, DirectoryFilter, Listing};
use crate::domain::{AgencyKind, FieldError, HubFunction, ListingEdit};
use leptos::prelude::*;

/// The directory's listings with the form that adds or edits one.
#[component]
pub fn DirectoryAdmin() -> impl IntoView {
    let lang = use_lang();
    let reference = Resource::new(|| (), |_| crate::api::reference());
    let form = RwSignal::new(ListingEdit::default());
    let problems = FieldProblems::new("listing");
    let errors = problems.list;
    let failed = RwSignal::new(None::<AppError>);
    let said = RwSignal::new(None::<T>);
    let busy = RwSignal::new(false);
    let hubs = move || {
        reference
            .get()
            .and_then(Result::ok)
            .map(|r| {
                r.agencies
                    .into_iter()
                    .filter(|a| a.kind == AgencyKind::LifeSupportHub)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    // Problems are said beside their fields, and the keyboard goes to the first of them.
    let show = move |problems: Vec<FieldError>| {
        let first = ["name", "hub", "functions", "phone", "offers", "hours"]
            .into_iter()
            .find(|field| problems.iter().any(|p| p.field == *field));
        errors.set(problems);
        if let Some(field) = first {
            request_animation_frame(move || focus(&format!("listing-{field}")));
        }
    };
    let done = move |outcome: T| {
        said.set(Some(outcome));
        reference.refetch();
        request_animation_frame(|| focus("listing-said"));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        failed.set(None);
        said.set(None);
        let listing = match form.get_untracked().checked() {
            Ok(listing) => listing,
            Err(problems) => return show(problems),
        };
        errors.set(Vec::new());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = crate::api::save_listing(listing).await;
            busy.set(false);
            match result {
                Ok(_) => {
                    form.set(ListingEdit::default());
                    done(T::ListingSaved);
                }
                Err(AppError::Invalid(problems)) if !problems.is_empty() => show(problems),
                Err(e) => failed.set(Some(e)),
            }
        });
    };
    let edit = Callback::new(move |l: Listing| {
        errors.set(Vec::new());
        said.set(None);
        form.set(ListingEdit {
            business: Some(l.business),
            listed_under: Some(l.hub),
            name: l.name,
            hub: Some(l.hub),
            functions: l.functions,
            offers: l.offers.join("\n"),
            hours: l.hours,
            phone: l.phone,
        });
        request_animation_frame(|| focus("listing-name"));
    });
    let retire = Callback::new(move |l: Listing| {
        said.set(None);
        leptos::task::spawn_local(async move {
            match crate::api::retire_listing(l.business, l.hub).await {
                Ok(()) => done(T::ListingRetiredSaid),
                Err(e) => failed.set(Some(e)),
            }
        });
    });
    let invalid = move |field: &'static str| problems.invalid(field);
    let error_of = move |field: &'static str| problems.said(field);
    let text = move |field: &'static str,
                     get: fn(&ListingEdit) -> &String,
                     set: fn(&mut ListingEdit, String)| {
        (
            move || form.with(|f| get(f).clone()),
            move |ev: leptos::ev::Event| form.update(|f| set(f, event_target_value(&ev))),
            format!("listing-{field}"),
            invalid(field),
            format!("listing-{field}-error"),
        )
    };
    let (name, set_name, name_id, name_invalid, name_error) =
        text("name", |f| &f.name, |f, v| f.name = v);
    let (phone, set_phone, phone_id, phone_invalid, phone_error) =
        text("phone", |f| &f.phone, |f, v| f.phone = v);
    let (hours, set_hours, hours_id, hours_invalid, hours_error) =
        text("hours", |f| &f.hours, |f, v| f.hours = v);
    let (offers, set_offers, offers_id, offers_invalid, offers_error) =
        text("offers", |f| &f.offers, |f, v| f.offers = v);
    view! {
        <section class="directory-admin" aria-labelledby="directory-admin-title">
            <h2 id="directory-admin-title">{tr(T::DirectoryAdmin)}</h2>
            <form class="card listing-form" data-testid="listing-form" on:submit=submit novalidate>
                <h3>{move || if form.with(|f| f.business.is_some()) { tr(T::EditListing)() } else { tr(T::NewListing)() }}</h3>
                <div class="field">
                    <label for=name_id.clone()>{tr(T::BusinessName)}</label>
                    <input id=name_id type="text" required maxlength=crate::domain::listing::MAX_NAME_CHARS
                        aria-invalid=name_invalid aria-describedby=name_error data-testid="listing-name"
                        prop:value=name on:input=set_name/>
                    {error_of("name")}
                </div>
                <div class="field">
                    <label for="listing-hub">{tr(T::DirectoryHub)}</label>
                    <select id="listing-hub" data-testid="listing-hub" required aria-invalid=invalid("hub")
                        aria-describedby="listing-hub-error"
                        on:change=move |ev| form.update(|f| f.hub = event_target_value(&ev).parse().ok())>
                        <option value="" selected=move || form.with(|f| f.hub.is_none())>{tr(T::Choose)}</option>
                        {move || hubs().into_iter().map(|a| {
                            let id = a.id;
                            let names = (a.name_ja, a.name_en);
                            view! {
                                <option value=id.to_string() selected=move || form.with(|f| f.hub == Some(id))>
                                    {move || pick(lang.get(), &names)}
                                </option>
                            }
                        }).collect_view()}
                    </select>
                    {error_of("hub")}
                </div>
                <fieldset class="field" id="listing-functions" tabindex="-1" aria-invalid=invalid("functions")
                    aria-describedby="listing-functions-error">
                    <legend>{tr(T::DirectoryFunction)}</legend>
                    {HubFunction::ALL.iter().map(|&f| view! {
                        <label class="check">
                            <input type="checkbox" data-testid="listing-function" value=f.code()
                                prop:checked=move || form.with(|l| l.functions.contains(&f))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    form.update(|l| {
                                        l.functions.retain(|g| *g != f);
                                        if on { l.functions.push(f) }
                                    })
                                }/>
                            {move || f.label(lang.get())}
                        </label>
                    }).collect_view()}
                    {error_of("functions")}
                </fieldset>
                <div class="field">
                    <label for=offers_id.clone()>{tr(T::ListingOffers)}</label>
                    <textarea id=offers_id rows="2" maxlength=crate::domain::listing::MAX_OFFERS_CHARS
                        aria-invalid=offers_invalid aria-describedby=offers_error data-testid="listing-offers"
                        prop:value=offers on:input=set_offers></textarea>
                    {error_of("offers")}
                </div>
                <div class="field">
                    <label for=hours_id.clone()>{tr(T::DirectoryHours)}</label>
                    <input id=hours_id type="text" maxlength=crate::domain::listing::MAX_HOURS_CHARS
                        aria-invalid=hours_invalid aria-describedby=hours_error data-testid="listing-hours"
                        prop:value=hours on:input=set_hours/>
                    {error_of("hours")}
                </div>
                <div class="field">
                    <label for=phone_id.clone()>{tr(T::ListingPhone)}</label>
                    <input id=phone_id type="tel" required autocomplete="off"
                        aria-invalid=phone_invalid aria-describedby=phone_error data-testid="listing-phone"
                        prop:value=phone on:input=set_phone/>
                    {error_of("phone")}
                </div>
                <p class="form-error" role="alert" data-testid="listing-error">
                    {move || failed.get().map(|e| error_text(lang.get(), &e))}
                </p>
                <button type="submit" class="primary" data-testid="listing-submit" disabled=busy>{tr(T::SaveListing)}</button>
                " "
                <button type="button" class="secondary" data-testid="listing-new"
                    on:click=move |_| { form.set(ListingEdit::default()); errors.set(Vec::new()); }>
                    {tr(T::NewListing)}
                </button>
            </form>
            <p class="saved" role="status" id="listing-said" data-testid="listing-said">
                {move || said.get().map(|t| tr(t)())}
            </p>
            <Transition fallback=|| view! { <p class="loading">{tr(T::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match reference.await {
                        Ok(r) => {
                            let hub_name = |_| String::new();
                            let list = listings(&r.directory, &DirectoryFilter::default(), hub_name);
                            view! {
                                <ul class="listing-admin-list" data-testid="listing-admin-list">
                                    {list.into_iter().map(|l| {
                                        let (for_edit, for_retire) = (l.clone(), l.clone());
                                        view! {
                                            <li class="card" data-testid="listing-admin" data-name=l.name.clone()>
                                                <strong>{l.name.clone()}</strong> " " <span>{l.phone.clone()}</span>
                                                " "
                                                <button type="button" class="secondary" data-testid="listing-edit"
                                                    on:click=move |_| edit.run(for_edit.clone())>{tr(T::EditListing)}</button>
                                                " "
                                                <button type="button" class="secondary" data-testid="listing-retire"
                                                    on:click=move |_| retire.run(for_retire.clone())>{tr(T::RetireListing)}</button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
