//! One visit: the case summary (life goal with the medical and welfare views, team, risk),
//! the earlier notes, and the form to record an outreach note.

use super::i18n::{error_text, field_error_text, note_field_label, pick, tr, use_lang, Label, T};
use super::use_session;
use super::visits::{visit_id_param, NotesChanged};
use crate::api::{AppError, SubmitNote, VisitDetail};
use crate::domain::visit::japan_time;
use crate::domain::{CaseSummary, NoteField, OutreachNote, StaffRef, VisitStatus};
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};

/// `/visits/:id`.
#[component]
pub fn VisitPage() -> impl IntoView {
    let id = visit_id_param();
    let changed = expect_context::<NotesChanged>();
    // The note action lives here, outside the view that is re-rendered when the visit is
    // refetched, so its result survives the refetch that a successful submission triggers.
    let form = NoteFormState {
        action: ServerAction::<SubmitNote>::new(),
        saved_as: RwSignal::new(None),
    };
    provide_context(form);
    Effect::new(move |_| {
        if let Some(Ok(done)) = form.action.value().get() {
            form.saved_as.set(Some(done.visit_status));
            changed.0.update(|n| *n += 1);
        }
    });
    // Another visit starts with a clean slate.
    Effect::new(move |previous: Option<Option<String>>| {
        let current = id.get();
        if previous.is_some_and(|p| p != current) {
            form.saved_as.set(None);
            form.action.value().set(None);
        }
        current
    });
    let detail = Resource::new(
        move || (id.get(), changed.0.get()),
        |(id, _)| async move { crate::api::load_visit(id.unwrap_or_default()).await },
    );
    view! {
        <A href="/visits" attr:class="back-link">{tr(T::BackToList)}</A>
        <Transition fallback=|| view! { <p class="loading">{tr(T::Loading)}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <VisitView detail/> }.into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

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
fn VisitView(detail: VisitDetail) -> impl IntoView {
    let lang = use_lang();
    let VisitDetail { visit, case, notes } = detail;
    let status = visit.status;
    let session = use_session();
    let writes_notes = move || {
        session
            .viewer
            .get()
            .flatten()
            .is_some_and(|v| v.role.writes_notes())
    };
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
            </header>
            <CaseSummaryView case/>
            <NotesView notes/>
            <Show when=writes_notes>
                <NoteForm visit_id=visit.id.to_string()/>
            </Show>
        </article>
    }
}

#[component]
fn CaseSummaryView(case: CaseSummary) -> impl IntoView {
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
fn TeamMember(member: StaffRef) -> impl IntoView {
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
fn NotesView(notes: Vec<OutreachNote>) -> impl IntoView {
    let lang = use_lang();
    let empty = notes.is_empty();
    view! {
        <section class="notes" aria-labelledby="notes-title">
            <h2 id="notes-title">{tr(T::EarlierNotes)}</h2>
            <Show when=move || empty>
                <p class="empty">{tr(T::NoNotes)}</p>
            </Show>
            <ol class="note-list" data-testid="notes">
                {notes
                    .into_iter()
                    .filter_map(|note| note.current().cloned())
                    .map(|rev| {
                        let fields = rev.fields.clone();
                        let received = rev.received_at.with_timezone(&japan_time()).format("%Y-%m-%d %H:%M").to_string();
                        let author = rev.author.clone();
                        view! {
                            <li class="card note" data-testid="note-item">
                                <p class="note-meta">
                                    {received} " · " {author.display_name.clone()} " · "
                                    {move || pick(lang.get(), author.acts_for.as_ref().unwrap_or(&author.home_agency))}
                                    " · " {tr(T::Revision)} " " {rev.revision}
                                </p>
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

/// The note action and what the last successful submission did to the visit.
#[derive(Clone, Copy)]
struct NoteFormState {
    action: ServerAction<SubmitNote>,
    saved_as: RwSignal<Option<VisitStatus>>,
}

#[component]
fn NoteForm(visit_id: String) -> impl IntoView {
    let lang = use_lang();
    let NoteFormState { action, saved_as } = expect_context::<NoteFormState>();
    let met = RwSignal::new(true);
    let error = move || action.value().get().and_then(|r| r.err());
    let field_error = move |name: &'static str| {
        move || {
            error().and_then(|e| e.field(name).cloned()).map(|fe| {
                view! {
                    <span class="field-error" id=format!("{name}-error") data-testid=format!("field-error-{name}")>
                        {field_error_text(lang.get(), &fe)}
                    </span>
                }
            })
        }
    };
    view! {
        <section class="card note-form" aria-labelledby="note-form-title">
            <h2 id="note-form-title">{tr(T::RecordNote)}</h2>
            <ActionForm action=action attr:data-testid="note-form">
                <input type="hidden" name="visit_id" value=visit_id/>
                <fieldset class="met">
                    <legend>{tr(T::WasMet)}</legend>
                    <label>
                        <input type="radio" name="note[met]" value="true" checked=true data-testid="met-yes"
                            on:change=move |_| met.set(true)/>
                        {tr(T::Met)}
                    </label>
                    <label>
                        <input type="radio" name="note[met]" value="false" data-testid="met-no"
                            on:change=move |_| met.set(false)/>
                        {tr(T::NotMet)}
                    </label>
                </fieldset>
                {NoteField::ALL
                    .iter()
                    .map(|&field| {
                        let name = field.code();
                        let id = format!("note-{name}");
                        let required = move || field.is_required(met.get());
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
                                    name=format!("note[{name}]")
                                    rows=rows
                                    maxlength=field.max_len()
                                    aria-required=move || required().to_string()
                                    aria-invalid=move || error().is_some_and(|e| e.field(name).is_some()).to_string()
                                    aria-describedby=format!("{name}-error")
                                    data-testid=format!("note-{name}")
                                ></textarea>
                                {field_error(name)}
                            </div>
                        }
                    })
                    .collect_view()}
                <p class="form-error" role="alert" data-testid="note-error">
                    {move || error().map(|e| error_text(lang.get(), &e))}
                </p>
                <p class="saved" role="status" data-testid="note-saved">
                    {move || saved_as.get().map(|s| if s == VisitStatus::Done { tr(T::NoteSaved)() } else { tr(T::NoteSavedNotMet)() })}
                </p>
                <button type="submit" class="primary" data-testid="note-submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { tr(T::Submitting)() } else { tr(T::SubmitNote)() }}
                </button>
            </ActionForm>
        </section>
    }
}
