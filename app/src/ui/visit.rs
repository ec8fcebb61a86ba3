//! One visit: the case summary (life goal with the medical and welfare views, team, risk),
//! the earlier notes, and the form to record an outreach note.

use super::i18n::{
    error_text, field_error_text, note_field_label, op_text, pick, reject_text, tr, use_lang,
    Label, T,
};
use super::use_session;
use super::visits::visit_id_param;
use crate::api::AppError;
use crate::client::{use_device, DraftOf};
use crate::domain::review::{ReviewDecision, ReviewState};
use crate::domain::visit::japan_time;
use crate::domain::{
    CaseStatus, CaseSummary, FieldError, NoteField, NoteFields, NoteId, OutreachNote, RiskLevel,
    StaffRef, VisitId, VisitStatus,
};
use crate::sync::{
    ConflictView, FieldEdit, LocalVisit, Mutation, Op, RejectReason, ReviewView, VisitField,
};
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
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
                view! {
                    <ErrorNote error=AppError::NotFound/>
                    {visit_id.get_untracked().filter(|_| supervisor).map(|visit_id| view! { <BreakGlass visit_id/> })}
                }
                .into_any()
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

/// The note being written on this visit page.
#[derive(Clone, Copy)]
struct Draft(RwSignal<NoteFields>);

/// The note and revision the form amends, when its author is answering a return.
#[derive(Clone, Copy)]
struct Amending(RwSignal<Option<(NoteId, u32)>>);

/// An error as a sentence; an ended session goes back to the login page.
#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    let lang = use_lang();
    if error == AppError::Unauthenticated {
        return view! { <Redirect path="/login"/> }.into_any();
    }
    view! {
        <p class="form-error" role="alert" data-testid="page-error">
            {move || error_text(lang.get(), &error)}
        </p>
    }
    .into_any()
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
                    <StatusPicker visit_id status/>
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
                let crate::api::VisitDetail { visit, case, notes } = detail;
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
                        <NotesView notes unsynced=BTreeSet::new() reviews=BTreeMap::new()/>
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

/// Mutations the server refused, with its reason and what to do next.
#[component]
pub(super) fn RefusedView(rejected: Vec<(Mutation, RejectReason)>) -> impl IntoView {
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

/// Same-field edits kept side by side until someone settles them.
#[component]
pub(super) fn ConflictsView(conflicts: Vec<ConflictView>) -> impl IntoView {
    if conflicts.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card conflicts" data-testid="conflicts" aria-labelledby="conflicts-title">
            <h2 id="conflicts-title">{tr(T::Conflicts)}</h2>
            <p>{tr(T::ConflictHelp)}</p>
            {conflicts
                .into_iter()
                .map(|c| view! { <ConflictCard conflict=c/> })
                .collect_view()}
        </section>
    }
    .into_any()
}

/// Both values of a conflict, their authors and times, and a button to keep either: the chosen
/// value is written as a new version and the conflict closes.
#[component]
pub(super) fn ConflictCard(conflict: ConflictView) -> impl IntoView {
    let device = use_device();
    let lang = use_lang();
    // A coded value (a status, a risk level) reads as its label.
    let shown = move |field: String, value: String| {
        move || {
            let lang = lang.get();
            match field.as_str() {
                "status" => VisitStatus::parse(&value)
                    .map(|s| s.label(lang).to_owned())
                    .or_else(|_| CaseStatus::parse(&value).map(|s| s.label(lang).to_owned())),
                "risk" => RiskLevel::parse(&value).map(|r| r.label(lang).to_owned()),
                _ => Ok(value.clone()),
            }
            .unwrap_or_else(|_| value.clone())
        }
    };
    let c = conflict;
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| {
            format!(
                " · {}",
                t.with_timezone(&japan_time()).format("%Y-%m-%d %H:%M")
            )
        })
    };
    let keep = move |value: String| {
        let id = c.id.parse::<uuid::Uuid>().ok();
        move |_| {
            if let Some(conflict_id) = id {
                let op = Op::ResolveConflict {
                    conflict_id,
                    value: value.clone(),
                };
                leptos::task::spawn_local(async move {
                    let _ = device.record(op).await;
                });
            }
        }
    };
    view! {
        <dl class="conflict" data-testid="conflict" data-field=c.field.clone() data-record=c.entity_id.clone()>
            <dt>{tr(T::ConflictShown)} " (" {c.winner_author.display_name.clone()} {at(c.winner_at)} ")"</dt>
            <dd>
                <span data-testid="conflict-winner">{shown(c.field.clone(), c.winner.clone())}</span>
                " " <button type="button" class="secondary" data-testid="conflict-keep-winner"
                    on:click=keep(c.winner.clone())>{tr(T::KeepThis)}</button>
            </dd>
            <dt>{tr(T::ConflictKept)} " (" {c.replaced_author.display_name.clone()} {at(c.replaced_at)} ")"</dt>
            <dd>
                <span data-testid="conflict-replaced">{shown(c.field.clone(), c.replaced.clone())}</span>
                " " <button type="button" class="secondary" data-testid="conflict-keep-replaced"
                    on:click=keep(c.replaced.clone())>{tr(T::KeepThis)}</button>
            </dd>
        </dl>
    }
}

#[component]
pub(super) fn CaseSummaryView(case: CaseSummary) -> impl IntoView {
    let lang = use_lang();
    let CaseSummary {
        risk,
        status,
        program,
        intake_channel,
        life_goal,
        team,
        agencies_at_intake,
        agencies_at_close,
        ..
    } = case;
    let or_blank = move |text: String| {
        move || {
            if text.is_empty() {
                tr(T::NotWrittenYet)().to_owned()
            } else {
                text.clone()
            }
        }
    };
    let names = move |list: Vec<(String, String)>| {
        move || {
            list.iter()
                .map(|pair| pick(lang.get(), pair))
                .collect::<Vec<_>>()
                .join("、")
        }
    };
    view! {
        <section class="card case-summary" data-testid="case-summary" aria-labelledby="case-title">
            <h2 id="case-title">{tr(T::CaseSummary)}</h2>
            <dl class="facts">
                <dt>{tr(T::Risk)}</dt>
                <dd><span class=format!("badge risk-{}", risk.code()) data-testid="case-risk">{move || risk.label(lang.get())}</span></dd>
                <dt>{tr(T::Status)}</dt>
                <dd>{move || status.label(lang.get())}</dd>
                <dt>{tr(T::Responsible)}</dt>
                <dd data-testid="case-program" data-program=program.code() title=tr(T::ResponsibleBecause)>
                    {move || program.label(lang.get())}
                    " (" {move || intake_channel.label(lang.get())} ")"
                </dd>
                <dt>{tr(T::AgenciesAtIntake)}</dt>
                <dd>{names(agencies_at_intake)}</dd>
                {agencies_at_close.map(|close| view! {
                    <dt>{tr(T::AgenciesAtClose)}</dt>
                    <dd>{names(close)}</dd>
                })}
            </dl>
            <div class="goal-grid">
                <section class="goal" data-testid="life-goal">
                    <h3>{tr(T::LifeGoal)}</h3>
                    <p>{or_blank(life_goal.goal)}</p>
                </section>
                <section class="view-medical" data-testid="medical-view">
                    <h3>{tr(T::MedicalView)}</h3>
                    <p>{or_blank(life_goal.medical_view)}</p>
                </section>
                <section class="view-welfare" data-testid="welfare-view">
                    <h3>{tr(T::WelfareView)}</h3>
                    <p>{or_blank(life_goal.welfare_view)}</p>
                </section>
            </div>
            <h3>{tr(T::Team)}</h3>
            <ul class="team" data-testid="team">
                {team.into_iter().map(|m| view! { <TeamMember member=m/> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
pub(super) fn TeamMember(member: StaffRef) -> impl IntoView {
    let lang = use_lang();
    let role = member.role;
    let home = member.home_agency.clone();
    let acts_for = member.acts_for.clone();
    view! {
        <li data-testid="team-member">
            <strong>{member.display_name.clone()}</strong>
            " " <small>{move || role.label(lang.get())}</small>
            " · " {move || pick(lang.get(), &home)}
            {move || acts_for.as_ref().map(|a| format!(" → {} {}", pick(lang.get(), a), tr(T::ActsFor)()))}
        </li>
    }
}

#[component]
pub(super) fn NotesView(
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
        <section class="notes" aria-labelledby="notes-title">
            <h2 id="notes-title">{tr(T::EarlierNotes)}</h2>
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
        </section>
    }
}

/// Earlier revisions and every decision on them: nothing is overwritten, all stays readable.
#[component]
pub(super) fn NoteHistory(note: OutreachNote, history: Vec<ReviewView>) -> impl IntoView {
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

/// Moves the keyboard focus (and the view) to an element, by id.
pub(super) fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            // A field or button takes the focus as it is; anything else only from script.
            if el.tab_index() < 0 {
                el.set_tab_index(-1);
            }
            let _ = el.focus();
            el.scroll_into_view();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Writes a note into the outbox. The draft is saved on the device at every keystroke, the
/// rules are checked here with the same code as on the server, and "saved" is said only once
/// IndexedDB has committed the note.
#[component]
fn NoteForm(visit_id: VisitId) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let draft = expect_context::<Draft>().0;
    let amending = expect_context::<Amending>().0;
    let errors = RwSignal::new(Vec::<FieldError>::new());
    // Whether the note just saved met the person, for the message that says so.
    let saved_met = RwSignal::new(None::<bool>);
    let failed = RwSignal::new(false);
    let saving = RwSignal::new(false);
    // Bring back what was being typed before a reload or a crash.
    leptos::task::spawn_local(async move {
        if let Some(kept) = device.draft::<NoteFields>(DraftOf::Note(visit_id)).await {
            draft.set(kept);
        }
    });
    let keep = move || {
        // While the note is being committed its draft goes with it; keys pressed meanwhile
        // are not kept (the form is emptied once it is saved, or kept on screen if not).
        if saving.get_untracked() {
            return;
        }
        let current = draft.get_untracked();
        leptos::task::spawn_local(async move {
            let _ = device.save_draft(DraftOf::Note(visit_id), current).await;
        });
    };
    let field_error = move |name: &'static str| {
        move || {
            errors.with(|list| list.iter().find(|e| e.field == name).cloned()).map(|fe| {
                view! {
                    <span class="field-error" id=format!("{name}-error") data-testid=format!("field-error-{name}")>
                        {field_error_text(lang.get(), &fe)}
                    </span>
                }
            })
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved_met.set(None);
        failed.set(false);
        let fields = match draft.get_untracked().validate() {
            Ok(fields) => fields,
            Err(problems) => {
                errors.set(problems);
                return;
            }
        };
        errors.set(Vec::new());
        saving.set(true);
        let met = fields.met;
        let op = match amending.get_untracked() {
            Some((note_id, amends)) => Op::AmendNote {
                note_id,
                amends,
                fields,
            },
            None => Op::CreateNote {
                note_id: NoteId(uuid::Uuid::new_v4()),
                visit_id,
                fields,
            },
        };
        leptos::task::spawn_local(async move {
            match device.record_from_draft(op, DraftOf::Note(visit_id)).await {
                Ok(()) => {
                    amending.set(None);
                    let fresh = NoteFields {
                        met: true,
                        ..Default::default()
                    };
                    // Its draft went with the commit.
                    draft.set(fresh);
                    saved_met.set(Some(met));
                }
                Err(_) => failed.set(true),
            }
            saving.set(false);
        });
    };
    view! {
        <section class="card note-form" aria-labelledby="note-form-title">
            <h2 id="note-form-title">{tr(T::RecordNote)}</h2>
            <p class="hint">{tr(T::DraftSaved)}</p>
            {move || amending.get().map(|_| view! {
                <p class="amending" role="status" data-testid="amending">
                    {tr(T::AmendingNote)} " "
                    <button type="button" class="link-button" data-testid="amend-cancel"
                        on:click=move |_| amending.set(None)>{tr(T::CancelAmend)}</button>
                </p>
            })}
            <form data-testid="note-form" on:submit=submit novalidate>
                <fieldset class="met">
                    <legend>{tr(T::WasMet)}</legend>
                    <label>
                        <input type="radio" name="met" value="true" data-testid="met-yes"
                            prop:checked=move || draft.with(|d| d.met)
                            on:change=move |_| { draft.update(|d| d.met = true); keep(); }/>
                        {tr(T::Met)}
                    </label>
                    <label>
                        <input type="radio" name="met" value="false" data-testid="met-no"
                            prop:checked=move || draft.with(|d| !d.met)
                            on:change=move |_| { draft.update(|d| d.met = false); keep(); }/>
                        {tr(T::NotMet)}
                    </label>
                </fieldset>
                {NoteField::ALL
                    .iter()
                    .map(|&field| {
                        let name = field.code();
                        let id = format!("note-{name}");
                        let required = move || field.is_required(draft.with(|d| d.met));
                        let rows = if field == NoteField::FreeText { 6 } else { 2 };
                        view! {
                            <div class="field">
                                <label for=id.clone()>
                                    {move || note_field_label(lang.get(), field)}
                                    <Show when=required>
                                        <span class="required">" (" {tr(T::RequiredMark)} ")"</span>
                                    </Show>
                                </label>
                                <textarea
                                    id=id
                                    name=name
                                    rows=rows
                                    maxlength=field.max_len()
                                    aria-required=move || required().to_string()
                                    aria-invalid=move || errors.with(|l| l.iter().any(|e| e.field == name)).to_string()
                                    aria-describedby=format!("{name}-error")
                                    data-testid=format!("note-{name}")
                                    prop:value=move || draft.with(|d| d.get(field).to_owned())
                                    on:input=move |ev| {
                                        let text = event_target_value(&ev);
                                        draft.update(|d| *d.slot(field) = text);
                                        keep();
                                    }
                                ></textarea>
                                {field_error(name)}
                            </div>
                        }
                    })
                    .collect_view()}
                <p class="form-error" role="alert" data-testid="note-error">
                    {move || {
                        if failed.get() {
                            Some(tr(T::NoteNotSaved)())
                        } else {
                            errors.with(|l| !l.is_empty()).then(|| tr(T::FixFields)())
                        }
                    }}
                </p>
                <p class="saved" role="status" data-testid="note-saved">
                    {move || saved_met.get().map(|met| if met { tr(T::NoteSaved)() } else { tr(T::NoteSavedNotMet)() })}
                </p>
                <button type="submit" class="primary" data-testid="note-submit" disabled=move || saving.get()>
                    {move || if saving.get() { tr(T::Submitting)() } else { tr(T::SubmitNote)() }}
                </button>
            </form>
        </section>
    }
}
