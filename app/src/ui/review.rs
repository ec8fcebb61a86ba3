//! The supervisor's view of the program's recent notes.

use super::i18n::{pick, tr, use_lang, Label, T};
use super::visit::ErrorNote;
use super::RequireLogin;
use crate::api::NoteListItem;
use crate::domain::visit::japan_time;
use leptos::prelude::*;

/// `/review`.
#[component]
pub fn ReviewPage() -> impl IntoView {
    view! {
        <RequireLogin>
            <ProgramNotes/>
        </RequireLogin>
    }
}

#[component]
fn ProgramNotes() -> impl IntoView {
    let notes = Resource::new(|| (), |_| crate::api::program_notes());
    view! {
        <section class="review" aria-labelledby="review-title">
            <h1 id="review-title">{tr(T::ProgramNotes)}</h1>
            <Transition fallback=|| view! { <p class="loading">{tr(T::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match notes.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">{tr(T::NoProgramNotes)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="review-list" data-testid="review-list">
                                {list.into_iter().map(|item| view! { <ReviewItem item/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ReviewItem(item: NoteListItem) -> impl IntoView {
    let lang = use_lang();
    let risk = item.risk;
    let program = item.program;
    let agency = item.author_agency.clone();
    let received = item
        .received_at
        .with_timezone(&japan_time())
        .format("%Y-%m-%d %H:%M")
        .to_string();
    view! {
        <li class="card review-item" data-testid="review-item" data-note-id=item.note_id.to_string()>
            <p class="visit-head">
                <strong data-testid="review-pseudonym">{item.pseudonym.clone()}</strong>
                <span class=format!("badge risk-{}", risk.code())>{tr(T::Risk)} ": " {move || risk.label(lang.get())}</span>
                <small>{move || program.label(lang.get())}</small>
            </p>
            <p class="note-meta">
                {tr(T::Author)} ": " {item.author.clone()} " (" {move || pick(lang.get(), &agency)} ") · "
                {tr(T::Received)} " " {received} " · " {tr(T::Revision)} " " {item.revision}
            </p>
            <p data-testid="review-next-steps">{item.next_steps.clone()}</p>
        </li>
    }
}
