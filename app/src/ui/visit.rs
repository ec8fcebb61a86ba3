//! One visit: the case summary (life goal with the medical and welfare views, team, risk),
//! the earlier notes, and the form to record an outreach note.

use super::components::{
    jump_to_note_form, Amending, CaseSummaryView, ConflictsView, Draft, ErrorNote, NoteForm,
    NotesView, RefusedView,
};
use super::i18n::{tr, use_lang, Label, T};
use super::use_session;
use super::visits::visit_id_param;
use crate::api::AppError;
use crate::client::use_device;
use crate::domain::visit::japan_time;
use crate::domain::{NoteFields, VisitId, VisitStatus};
use crate::sync::{FieldEdit, LocalVisit, Op, ReviewView, VisitField};
use leptos::prelude::*;
use leptos_router::components::A;
use std::collections::{BTreeMap, BTreeSet};

/// What the visit page can show, from the device.
#[derive(Clone, PartialEq)]
enum PageState {
    Loading,
    Missing,
    Found(Box<LocalVisit>),
}

/// `/visits/:id`.
#[component]
pub fn VisitPage() -> impl IntoView {
    let id = visit_id_param();
    let device = use_device();
    let session = use_session();
    let visit_id = Memo::new(move |_| id.get().and_then(|id| id.parse::<VisitId>().ok()));
    let state = Memo::new(move |_| {
        let Some(me) = session.viewer.get().flatten().map(|v| v.id) else {
            return PageState::Loading;
        };
        device
            .replica
            .with(|replica| match (replica, visit_id.get()) {
                (None, _) => PageState::Loading,
                (Some(r), _) if r.cursor == 0 => PageState::Loading,
                (Some(_), None) => PageState::Missing,
                (Some(r), Some(id)) => device.reference.with(|refs| {
                    r.local_visit(id, me, refs)
                        .map(|v| PageState::Found(Box::new(v)))
                        .unwrap_or(PageState::Missing)
                }),
            })
    });
    // The draft is shared by the form and the "back to draft" of a refused note.
    let draft = RwSignal::new(NoteFields {
        met: true,
        ..Default::default()
    });
    provide_context(Draft(draft));
    provide_context(Amending(RwSignal::new(None)));
    let writes_notes = move || {
        session
            .viewer
            .get()
            .flatten()
            .is_some_and(|v| v.role.writes_notes())
    };
    // The form is keyed on the visit alone, so syncs that refresh the page never touch what
    // is being typed.
    let form_for = Memo::new(move |_| {
        matches!(state.get(), PageState::Found(_))
            .then(|| visit_id.get())
            .flatten()
    });
    view! {
        <A href="/visits" attr:class="back-link">{tr(T::BackToList)}</A>
        {move || match state.get() {
            PageState::Loading => view! { <p class="loading">{tr(T::Loading)}</p> }.into_any(),
            PageState::Missing => {
                let supervisor = session
                    .viewer
                    .get_untracked()
                    .flatten()
                    .is_some_and(|v| crate::domain::access::may_break_glass(v.role));
                // A supervisor who opens the case sees it in place of the refusal.
                match visit_id.get_untracked().filter(|_| supervisor) {
                    Some(visit_id) => view! { <BreakGlass visit_id/> }.into_any(),
                    None => view! { <ErrorNote error=AppError::NotFound/> }.into_any(),
                }
            }
            PageState::Found(local) => view! { <VisitView local=*local/> }.into_any(),
        }}
        {move || {
            form_for
                .get()
                .filter(|_| writes_notes())
                .map(|visit_id| view! { <NoteForm visit_id/> })
        }}
    }
}
#[component]
fn VisitView(local: LocalVisit) -> impl IntoView {
    let lang = use_lang();
    let LocalVisit {
        visit,
        case,
        notes,
        unsynced,
        conflicts,
        rejected,
        reviews,
    } = local;
    let status = visit.status;
    let session = use_session();
    let writes_notes = move || {
        session
            .viewer
            .get()
            .flatten()
            .is_some_and(|v| v.role.writes_notes())
    };
    let visit_id = visit.id;
    view! {
        <article class="visit" data-testid="visit-detail">
            <header class="visit-title">
                <h1>{case.pseudonym.clone()}</h1>
                <p>
                    {visit.window.starts_at.with_timezone(&japan_time()).format("%Y-%m-%d").to_string()}
                    " " {visit.window.clock_range()} " · " {visit.place.clone()} " · "
                    <span class=format!("badge status-{}", status.code()) data-testid="visit-status">
                        {move || status.label(lang.get())}
                    </span>
                </p>
                <Show when=writes_notes>
                    <div class="visit-actions">
                        <button type="button" class="write-note" data-testid="write-note" on:click=move |_| jump_to_note_form()>
                            {tr(T::WriteNote)}
                        </button>
                        <StatusPicker visit_id status/>
                    </div>
                </Show>
            </header>
            <RefusedView rejected/>
            <ConflictsView conflicts/>
            <A href=format!("/cases/{}", case.id) attr:class="case-link" attr:data-testid="case-link">{tr(T::OpenCasePage)}</A>
            <CaseSummaryView case/>
            <NotesView notes unsynced reviews/>
        </article>
    }
}

/// For a supervisor, a visit outside the program: opened only with a stated reason, for an
/// hour, audited where the case's own supervisor reads the audit log. Read from the server
/// (it is not on the device) and shown read-only.
#[component]
fn BreakGlass(visit_id: VisitId) -> impl IntoView {
    let lang = use_lang();
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let opened = RwSignal::new(None::<crate::api::VisitDetail>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked();
        leptos::task::spawn_local(async move {
            match crate::api::break_glass(visit_id.to_string(), why).await {
                Ok(detail) => {
                    error.set(None);
                    opened.set(Some(detail));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Show
            when=move || opened.with(Option::is_some)
            fallback=move || view! {
                <ErrorNote error=AppError::NotFound/>
                <form class="card break-glass" on:submit=submit data-testid="break-glass-form">
                    <h2>{tr(T::BreakGlass)}</h2>
                    <p>{tr(T::BreakGlassWhy)}</p>
                    <label for="break-glass-reason">{tr(T::BreakGlassReason)}</label>
                    <textarea id="break-glass-reason" required data-testid="break-glass-reason"
                        prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    <p class="form-error" role="alert" data-testid="break-glass-error">
                        {move || error.get().map(|e| match e.field("reason") {
                            Some(field) => super::i18n::problem_text(lang.get(), &field.problem),
                            None => super::i18n::error_text(lang.get(), &e).to_owned(),
                        })}
                    </p>
                    <button type="submit" class="primary" data-testid="break-glass-submit">{tr(T::BreakGlassOpen)}</button>
                </form>
            }
        >
            {move || opened.get().map(|detail| {
                let crate::api::VisitDetail { visit, case, notes, reviews } = detail;
                let mut by_note: BTreeMap<_, Vec<ReviewView>> = BTreeMap::new();
                for r in reviews {
                    by_note.entry(r.note_id).or_default().push(ReviewView {
                        revision: r.revision,
                        reviewer: r.reviewer,
                        decision: r.decision,
                        decided_at: Some(r.decided_at),
                    });
                }
                view! {
                    <article class="visit" data-testid="visit-detail" data-access="break-glass">
                        <header class="visit-title">
                            <h1>{case.pseudonym.clone()}</h1>
                            <p>
                                {visit.window.starts_at.with_timezone(&japan_time()).format("%Y-%m-%d").to_string()}
                                " " {visit.window.clock_range()} " · " {visit.place.clone()}
                            </p>
                            <p class="notice" role="status" data-testid="break-glass-notice">{tr(T::BreakGlassOpened)}</p>
                        </header>
                        <CaseSummaryView case/>
                        <NotesView notes unsynced=BTreeSet::new() reviews=by_note/>
                    </article>
                }
            })}
        </Show>
    }
}

/// Changes the visit's status through the outbox.
#[component]
fn StatusPicker(visit_id: VisitId, status: VisitStatus) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let change = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if value == status.code() {
            return;
        }
        let base_version = device.replica.with_untracked(|r| {
            r.as_ref()
                .map(|r| r.field_version("visit", &visit_id.to_string(), "status"))
                .unwrap_or(0)
        });
        let op = Op::EditVisit {
            visit_id,
            edit: FieldEdit {
                field: VisitField::Status,
                value,
                base_version,
            },
        };
        leptos::task::spawn_local(async move {
            let _ = device.record(op).await;
        });
    };
    view! {
        <label class="status-picker">
            {tr(T::VisitStatusLabel)} " "
            <select data-testid="visit-status-select" on:change=change>
                {VisitStatus::ALL
                    .iter()
                    .map(|&s| {
                        view! {
                            <option value=s.code() selected=s == status>
                                {move || s.label(lang.get())}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
