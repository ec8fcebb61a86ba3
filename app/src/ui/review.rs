//! Supervision on the device: the review queue (synced notes nobody has decided on, the
//! riskiest case and the newest note first) and the open conflicts. Decisions go through the
//! outbox like every other change, so a supervisor can review on a train.

use super::components::{ConflictCard, NoteHistory};
use super::i18n::{note_field_label, pick, tr, use_lang, Label, T};
use super::{from_device, RequireLogin};
use crate::client::use_device;
use crate::domain::review::{ReviewDecision, COMMENT_MAX};
use crate::domain::visit::japan_time;
use crate::domain::NoteField;
use crate::sync::{Op, QueueItem};
use leptos::prelude::*;
use leptos_router::components::A;

/// `/review`.
#[component]
pub fn ReviewPage() -> impl IntoView {
    view! {
        <RequireLogin>
            <Queue/>
        </RequireLogin>
    }
}

#[component]
fn Queue() -> impl IntoView {
    let queue = from_device(|r, me, refs| r.review_queue(me, refs));
    let said = RwSignal::new(None::<bool>);
    view! {
        <section class="review" aria-labelledby="review-title">
            <h1 id="review-title">{tr(T::ReviewQueue)}</h1>
            <p class="saved" role="status" data-testid="review-saved">
                {move || said.get().map(|ok| if ok { tr(T::DecisionSaved)() } else { tr(T::NoteNotSaved)() })}
            </p>
            {move || match queue.get() {
                None => view! { <p class="loading">{tr(T::Loading)}</p> }.into_any(),
                Some(list) if list.is_empty() => view! { <p class="empty" data-testid="review-empty">{tr(T::QueueEmpty)}</p> }.into_any(),
                Some(list) => {
                    let count = list.len();
                    view! {
                    <ul class="review-list" data-testid="review-list" data-count=count>
                        <For each=move || list.clone() key=|item| (item.note.id, item.note.revisions.len(), item.history.len()) let:item>
                            <ReviewItem item said/>
                        </For>
                    </ul>
                }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn ReviewItem(item: QueueItem, said: RwSignal<Option<bool>>) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let QueueItem {
        note,
        risk,
        history,
    } = item;
    let Some(current) = note.current().cloned() else {
        return ().into_any();
    };
    let comment = RwSignal::new(String::new());
    let missing_comment = RwSignal::new(false);
    let (note_id, revision) = (note.id, current.revision);
    let decide = move |decision: ReviewDecision| {
        let op = Op::ReviewNote {
            review_id: uuid::Uuid::new_v4(),
            note_id,
            revision,
            decision,
        };
        leptos::task::spawn_local(async move {
            said.set(Some(device.record(op).await.is_ok()));
        });
    };
    let approve = move |_| decide(ReviewDecision::Approved);
    let send_back = move |_| match ReviewDecision::parse("return", &comment.get_untracked()) {
        Ok(decision) => {
            missing_comment.set(false);
            decide(decision);
        }
        Err(_) => missing_comment.set(true),
    };
    let author = current.author.clone();
    let home = author.home_agency.clone();
    let acting = author.acts_for.clone();
    let received = current
        .received_at
        .with_timezone(&japan_time())
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let fields = current.fields.clone();
    let comment_id = format!("comment-{note_id}");
    let pseudonym = note.pseudonym.clone();
    view! {
        <li class="card review-item note" data-testid="review-item" data-note-id=note_id.to_string()>
            <p class="visit-head">
                <A href=format!("/visits/{}", note.visit_id)>
                    <strong data-testid="review-pseudonym">{pseudonym}</strong>
                </A>
                <span class=format!("badge risk-{}", risk.code())>{tr(T::Risk)} ": " {move || risk.label(lang.get())}</span>
            </p>
            <p class="note-meta">
                {tr(T::Author)} ": " {author.display_name.clone()} " ("
                {move || pick(lang.get(), acting.as_ref().unwrap_or(&home))}
                {
                    let home = author.home_agency.clone();
                    let dispatched = author.acts_for.is_some();
                    move || dispatched.then(|| format!(" · {} {}", tr(T::HomeAgency)(), pick(lang.get(), &home)))
                }
                ") · " {tr(T::Received)} " " {received} " · " {tr(T::Revision)} " " {revision}
            </p>
            <dl>
                {NoteField::ALL.iter().filter(|f| !fields.get(**f).is_empty()).map(|&f| view! {
                    <dt>{move || note_field_label(lang.get(), f)}</dt>
                    <dd data-testid=format!("review-{}", f.code())>{fields.get(f).to_owned()}</dd>
                }).collect_view()}
            </dl>
            <NoteHistory note=note.clone() history/>
            <div class="review-actions">
                <button type="button" class="primary" data-testid="review-approve" on:click=approve>{tr(T::Approve)}</button>
                <div class="field">
                    <label for=comment_id.clone()>{tr(T::ReturnCommentLabel)}</label>
                    <textarea id=comment_id rows=2 maxlength=COMMENT_MAX data-testid="review-comment"
                        aria-invalid=move || missing_comment.get().to_string()
                        prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                    {move || missing_comment.get().then(|| view! {
                        <span class="field-error" role="alert">{tr(T::CommentRequired)}</span>
                    })}
                </div>
                <button type="button" class="secondary" data-testid="review-return" on:click=send_back>{tr(T::ReturnNote)}</button>
            </div>
        </li>
    }
    .into_any()
}

/// `/conflicts`.
#[component]
pub fn ConflictsPage() -> impl IntoView {
    view! {
        <RequireLogin>
            <OpenConflicts/>
        </RequireLogin>
    }
}

#[component]
fn OpenConflicts() -> impl IntoView {
    let list = from_device(|r, me, refs| r.open_conflicts(me, refs));
    view! {
        <section aria-labelledby="open-conflicts-title">
            <h1 id="open-conflicts-title">{tr(T::OpenConflicts)}</h1>
            <p class="hint">{tr(T::ConflictHelp)}</p>
            {move || match list.get() {
                None => view! { <p class="loading">{tr(T::Loading)}</p> }.into_any(),
                Some(list) if list.is_empty() => view! { <p class="empty" data-testid="conflicts-empty">{tr(T::NoConflicts)}</p> }.into_any(),
                Some(list) => {
                    let count = list.len();
                    view! {
                    <ul class="conflict-list" data-testid="conflict-list" data-count=count>
                        {list.into_iter().map(|c| view! {
                            <li class="card">
                                <A href=format!("/cases/{}", c.case_id)><strong>{c.pseudonym.clone()}</strong></A>
                                <ConflictCard conflict=c.conflict/>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
                }
            }}
        </section>
    }
}
