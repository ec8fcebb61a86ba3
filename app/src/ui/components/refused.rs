//! Changes the server refused, with the reason, and a way back to the draft for a refused note.

use super::Draft;
use crate::domain::NoteField;
use crate::sync::{Mutation, Op, RejectReason};
use crate::ui::i18n::{op_text, reject_text, tr, use_lang, T};
use leptos::prelude::*;

/// Mutations the server refused, with its reason and what to do next.
#[component]
pub(in crate::ui) fn RefusedView(rejected: Vec<(Mutation, RejectReason)>) -> impl IntoView {
    let draft = use_context::<Draft>().map(|d| d.0);
    let lang = use_lang();
    if rejected.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card refused" data-testid="refused" aria-labelledby="refused-title">
            <h2 id="refused-title">{tr(T::Refused)}</h2>
            <p>{tr(T::RefusedHelp)}</p>
            <ul>
                {rejected
                    .into_iter()
                    .map(|(mutation, reason)| {
                        let fields = match &mutation.op {
                            Op::CreateNote { fields, .. } | Op::AmendNote { fields, .. } => Some(fields.clone()),
                            _ => None,
                        };
                        let note = fields
                            .as_ref()
                            .map(|f| NoteField::ALL.iter().map(|k| f.get(*k)).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" / "));
                        let summary = move || note.clone().unwrap_or_else(|| op_text(lang.get(), &mutation.op));
                        view! {
                            <li data-testid="refused-item">
                                <p class="refused-content">{summary}</p>
                                <p><strong>{tr(T::Reason)} ": "</strong> <span data-testid="refused-reason">{move || reject_text(lang.get(), &reason)}</span></p>
                                {fields.zip(draft).map(|(fields, draft)| view! {
                                    <button type="button" class="secondary" data-testid="refused-restore"
                                        on:click=move |_| draft.set(fields.clone())>
                                        {tr(T::RestoreDraft)}
                                    </button>
                                })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
    .into_any()
}
