//! The notes of a visit, each with its review state, and the history of a note's revisions.

use super::{focus, Amending, Draft};
use crate::domain::review::{ReviewDecision, ReviewState};
use crate::domain::visit::japan_time;
use crate::domain::{NoteField, NoteId, OutreachNote};
use crate::sync::ReviewView;
use crate::ui::i18n::{note_field_label, pick, tr, use_lang, T};
use crate::ui::use_session;
use leptos::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[component]
pub(in crate::ui) fn NotesView(
    notes: Vec<OutreachNote>,
    unsynced: BTreeSet<NoteId>,
    reviews: BTreeMap<NoteId, Vec<ReviewView>>,
) -> impl IntoView {
    let lang = use_lang();
    let empty = notes.is_empty();
    let session = use_session();
    let me = move || session.viewer.get().flatten().map(|v| v.id);
    let draft = use_context::<Draft>().map(|d| d.0);
    let amending = use_context::<Amending>().map(|a| a.0);
    view! {
        <details class="notes fold" data-testid="notes-fold" open>
            <summary data-testid="notes-toggle"><h2 id="notes-title">{tr(T::EarlierNotes)}</h2></summary>
            <Show when=move || empty>
                <p class="empty">{tr(T::NoNotes)}</p>
            </Show>
            <ol class="note-list" data-testid="notes">
                {notes
                    .into_iter()
                    .filter_map(|note| Some((unsynced.contains(&note.id), note.current().cloned()?, note)))
                    .map(|(pending, rev, note)| {
                        let history = reviews.get(&note.id).cloned().unwrap_or_default();
                        let state = ReviewState::of(rev.revision, history.iter().map(|r| (r.revision, &r.decision)));
                        let state_code = match &state {
                            ReviewState::Waiting => "waiting",
                            ReviewState::Approved => "approved",
                            ReviewState::Returned(_) => "returned",
                        };
                        let comment = match &state {
                            ReviewState::Returned(c) => Some(c.clone()),
                            _ => None,
                        };
                        let author_id = rev.author.id;
                        let (note_id, revision) = (note.id, rev.revision);
                        let amend_fields = rev.fields.clone();
                        let can_amend = comment.is_some() && draft.is_some();
                        let amend = move |_| {
                            if let (Some(draft), Some(amending)) = (draft, amending) {
                                draft.set(amend_fields.clone());
                                amending.set(Some((note_id, revision)));
                                focus("note-form-title");
                            }
                        };
                        let fields = rev.fields.clone();
                        let received = rev.received_at.with_timezone(&japan_time()).format("%Y-%m-%d %H:%M").to_string();
                        let author = rev.author.clone();
                        view! {
                            <li class="card note" data-testid="note-item" data-synced=(!pending).to_string()>
                                <p class="note-meta">
                                    {received} " · " {author.display_name.clone()} " · "
                                    {move || pick(lang.get(), author.acts_for.as_ref().unwrap_or(&author.home_agency))}
                                    " · " {tr(T::Revision)} " " {rev.revision}
                                    {pending.then(|| view! {
                                        " " <span class="badge unsent" data-testid="note-unsent">{tr(T::NotSent)}</span>
                                    })}
                                    {(!pending).then(|| view! {
                                        " " <span class=format!("badge review-{state_code}") data-testid="note-review" data-state=state_code>
                                            {tr(match state_code { "approved" => T::ReviewApproved, "returned" => T::ReviewReturned, _ => T::ReviewWaiting })}
                                        </span>
                                    })}
                                </p>
                                {comment.map(|comment| view! {
                                    <p class="review-comment" data-testid="note-review-comment">
                                        <strong>{tr(T::ReviewComment)} ": "</strong>{comment}
                                    </p>
                                    <Show when=move || can_amend && me() == Some(author_id)>
                                        <button type="button" class="secondary" data-testid="note-amend" on:click=amend.clone()>
                                            {tr(T::AmendNote)}
                                        </button>
                                    </Show>
                                })}
                                <NoteHistory note=note.clone() history=history.clone()/>
                                <dl>
                                    {NoteField::ALL
                                        .iter()
                                        .filter(|f| !fields.get(**f).is_empty())
                                        .map(|f| {
                                            let f = *f;
                                            view! {
                                                <dt>{move || note_field_label(lang.get(), f)}</dt>
                                                <dd>{fields.get(f).to_owned()}</dd>
                                            }
                                        })
                                        .collect_view()}
                                </dl>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </details>
    }
}

/// Earlier revisions and every decision on them: nothing is overwritten, all stays readable.
#[component]
pub(in crate::ui) fn NoteHistory(note: OutreachNote, history: Vec<ReviewView>) -> impl IntoView {
    if note.revisions.len() < 2 && history.is_empty() {
        return ().into_any();
    }
    let at = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&japan_time())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    view! {
        <details class="note-history" data-testid="note-history">
            <summary>{tr(T::NoteHistory)}</summary>
            <ol>
                {note.revisions.iter().map(|r| {
                    let decisions: Vec<_> = history.iter().filter(|h| h.revision == r.revision).cloned().collect();
                    let summary = NoteField::ALL.iter().map(|k| r.fields.get(*k)).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" / ");
                    view! {
                        <li data-testid="note-history-revision">
                            <p>{tr(T::Revision)} " " {r.revision} " · " {at(r.recorded_at)} " · " {r.author.display_name.clone()}</p>
                            <p class="history-text">{summary}</p>
                            {decisions.into_iter().map(|d| {
                                let (label, comment) = match &d.decision {
                                    ReviewDecision::Approved => (T::ReviewApproved, String::new()),
                                    ReviewDecision::Returned { comment } => (T::ReviewReturned, comment.clone()),
                                };
                                view! {
                                    <p class="history-review" data-testid="note-history-review">
                                        {tr(label)} " · " {d.reviewer.display_name.clone()}
                                        {d.decided_at.map(|t| format!(" · {}", at(t)))}
                                        {(!comment.is_empty()).then(|| format!(" — {comment}"))}
                                    </p>
                                }
                            }).collect_view()}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </details>
    }
    .into_any()
}
