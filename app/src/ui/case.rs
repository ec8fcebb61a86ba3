//! One case: who is responsible and why, the life goal and the two views the team writes
//! together, risk and status, the team, the agencies involved at intake and at close, the
//! visits (and planning the next one), open conflicts and the notes. Every change goes into
//! the outbox, so all of it works offline.

use super::components::{
    CaseSummaryView, ConflictsView, ErrorNote, NotesView, RefusedView, SuggestionsView, TeamMember,
};
use super::i18n::{pick, tr, use_lang, Label, T};
use super::{from_device, use_session, RequireLogin};
use crate::api::AppError;
use crate::client::{use_device, Device, DraftOf};
use crate::domain::visit::japan_time;
use crate::domain::{
    Agency, AgencyId, CaseId, CaseStatus, RiskLevel, Role, StaffId, StaffRef, Visit, VisitId,
};
use crate::sync::{AgencyPhase, CaseField, FieldEdit, LocalCase, Op};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

/// `/cases/:id`.
#[component]
pub fn CasePage() -> impl IntoView {
    view! {
        <RequireLogin>
            <CaseLoader/>
        </RequireLogin>
    }
}

#[component]
fn CaseLoader() -> impl IntoView {
    let params = use_params_map();
    let case_id = Memo::new(move |_| params.read().get("id")?.parse::<CaseId>().ok());
    let local =
        from_device(move |r, me, refs| case_id.get().and_then(|id| r.local_case(id, me, refs)));
    // Unsaved goal text lives above the page, so a sync that redraws it never drops a word,
    // and on the device at every keystroke, so a reload or a crash does not either.
    let drafts = RwSignal::new(Vec::new());
    provide_context(GoalDrafts(drafts));
    let device = use_device();
    Effect::new(move |_| {
        let Some(shown) = case_id.get() else { return };
        drafts.set(Vec::new());
        leptos::task::spawn_local(async move {
            for field in CaseField::GOAL_TEXTS {
                let kept = device
                    .draft::<GoalDraft>(DraftOf::CaseText(shown, field))
                    .await;
                // The page may have moved on to another case, or gone, meanwhile.
                if case_id.try_get_untracked() != Some(Some(shown)) {
                    return;
                }
                let Some(kept) = kept else { continue };
                drafts.try_update(|d| {
                    if !d.iter().any(|(f, _)| *f == field) {
                        d.push((field, kept));
                    }
                });
            }
        });
    });
    provide_context(Said(RwSignal::new(None)));
    view! {
        <A href="/visits" attr:class="back-link">{tr(T::BackToList)}</A>
        {move || match local.get() {
            None => view! { <p class="loading">{tr(T::Loading)}</p> }.into_any(),
            Some(None) => view! { <ErrorNote error=AppError::NotFound/> }.into_any(),
            Some(Some(local)) => view! { <CaseView local/> }.into_any(),
        }}
    }
}

/// Whether the last change was saved on the device, kept above the page like the drafts.
#[derive(Clone, Copy)]
struct Said(RwSignal<Option<bool>>);

/// Goal text being typed and not yet saved, by field.
#[derive(Clone, Copy)]
struct GoalDrafts(RwSignal<Vec<(CaseField, GoalDraft)>>);

/// A goal text being typed, with the version of the field it started from: saved days later,
/// it is still an edit of that version, so a teammate's change meanwhile makes a conflict
/// (both kept) rather than being overwritten.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct GoalDraft {
    text: String,
    base_version: u64,
}

/// Records one change on the device and says so once IndexedDB has it.
fn record(op: Op, said: RwSignal<Option<bool>>) {
    let device = use_device();
    leptos::task::spawn_local(async move {
        said.set(Some(device.record(op).await.is_ok()));
    });
}

/// The version of a case field this device last pulled: the base of an edit.
fn base_version(case_id: CaseId, field: CaseField) -> u64 {
    use_device().replica.with_untracked(|r| {
        r.as_ref()
            .map(|r| r.field_version("case", &case_id.to_string(), field.code()))
            .unwrap_or(0)
    })
}

fn edit_case(case_id: CaseId, field: CaseField, value: String) -> Op {
    edit_from(case_id, field, value, base_version(case_id, field))
}

fn edit_from(case_id: CaseId, field: CaseField, value: String, base_version: u64) -> Op {
    let edit = FieldEdit {
        field,
        value,
        base_version,
    };
    Op::EditCase { case_id, edit }
}

/// The label of one of the case's text fields.
fn goal_label(field: CaseField) -> T {
    match field {
        CaseField::MedicalView => T::MedicalView,
        CaseField::WelfareView => T::WelfareView,
        _ => T::LifeGoal,
    }
}

/// Records a goal text, forgetting its draft in the same commit.
fn save_goal(case_id: CaseId, field: CaseField, draft: GoalDraft, said: RwSignal<Option<bool>>) {
    let device = use_device();
    let op = edit_from(case_id, field, draft.text, draft.base_version);
    leptos::task::spawn_local(async move {
        let of = DraftOf::CaseText(case_id, field);
        said.set(Some(device.record_from_draft(op, of).await.is_ok()));
    });
}

async fn forget_goal_draft(device: Device, case_id: CaseId, field: CaseField) {
    let _ = device
        .save_draft(DraftOf::CaseText(case_id, field), GoalDraft::default())
        .await;
}

#[component]
fn CaseView(local: LocalCase) -> impl IntoView {
    let lang = use_lang();
    let session = use_session();
    let me = session.viewer.get_untracked().flatten();
    let LocalCase {
        case,
        intake_agency,
        agencies_intake,
        agencies_close,
        visits,
        notes,
        unsynced,
        reviews,
        conflicts,
        suggestions,
        rejected,
        unsent,
    } = local;
    let on_team = me
        .as_ref()
        .is_some_and(|v| case.team.iter().any(|m| m.id == v.id));
    let editor = me
        .as_ref()
        .is_some_and(|v| on_team && v.role.writes_notes() || v.role == Role::Supervisor);
    let said = expect_context::<Said>().0;
    let case_id = case.id;
    let program = case.program;
    let channel = case.intake_channel;
    let taken_in_at = intake_agency.map(|a| (a.name_ja, a.name_en));
    view! {
        <article class="case" data-testid="case-page" data-case-id=case_id.to_string()>
            <header class="visit-title">
                <h1>{case.pseudonym.clone()}</h1>
                {unsent.then(|| view! { <span class="badge unsent" data-testid="case-unsent">{tr(T::NotSent)}</span> })}
                <p data-testid="case-responsible" data-program=program.code()>
                    <strong>{tr(T::Responsible)} ": "</strong>
                    {move || program.label(lang.get())} " — "
                    {move || channel.label(lang.get())}
                    {taken_in_at.map(|a| view! { " (" {tr(T::TakenInAt)} " " {move || pick(lang.get(), &a)} ")" })}
                </p>
            </header>
            <p class="saved" role="status" data-testid="case-saved">
                {move || said.get().map(|ok| if ok { tr(T::SavedOnDevice)() } else { tr(T::NoteNotSaved)() })}
            </p>
            <RefusedView rejected/>
            <ConflictsView conflicts/>
            {editor.then(|| view! { <CaseEditor case=case.clone() said/> })}
            <CaseSummaryView case=case.clone() without_team=true/>
            <TeamEditor team=case.team.clone() case_id editor said/>
            <AgenciesEditor case_id intake=agencies_intake close=agencies_close editor said/>
            <SuggestionsView case_id suggestions editor said/>
            <VisitsOfCase visits/>
            {editor.then(|| view! { <PlanVisit case_id team=case.team.clone() said/> })}
            <NotesView notes unsynced reviews/>
        </article>
    }
}

/// Risk, status, and the life goal with its two views, each saved on its own so that edits to
/// different fields by different people merge.
#[component]
fn CaseEditor(case: crate::domain::CaseSummary, said: RwSignal<Option<bool>>) -> impl IntoView {
    let lang = use_lang();
    let case_id = case.id;
    let risk = case.risk;
    let status = case.status;
    let goals = CaseField::GOAL_TEXTS.map(|field| {
        let current = field.goal_text(&case.life_goal).unwrap_or_default();
        (field, goal_label(field), current.to_owned())
    });
    let device = use_device();
    view! {
        <section class="card case-editor" aria-labelledby="case-editor-title">
            <h2 id="case-editor-title">{tr(T::EditCase)}</h2>
            <div class="pickers">
                <label>
                    {tr(T::Risk)} " "
                    <select data-testid="case-risk-select" prop:value=risk.code() on:change=move |ev| {
                        let value = event_target_value(&ev);
                        if value != risk.code() { record(edit_case(case_id, CaseField::Risk, value), said); }
                    }>
                        {RiskLevel::ALL.iter().map(|&r| view! {
                            <option value=r.code() selected=r == risk>{move || r.label(lang.get())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    {tr(T::Status)} " "
                    <select data-testid="case-status-select" prop:value=status.code() on:change=move |ev| {
                        let value = event_target_value(&ev);
                        if value != status.code() { record(edit_case(case_id, CaseField::Status, value), said); }
                    }>
                        {CaseStatus::ALL.iter().map(|&s| view! {
                            <option value=s.code() selected=s == status>{move || s.label(lang.get())}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            {goals.into_iter().map(|(field, label, current)| {
                let drafts = expect_context::<GoalDrafts>().0;
                let saved = current.clone();
                let draft = move || {
                    drafts.with(|d| d.iter().find(|(f, _)| *f == field).map(|(_, g)| g.clone()))
                };
                let text = Signal::derive(move || draft().map_or_else(|| saved.clone(), |g| g.text));
                let unchanged = current.clone();
                let type_in = move |value: String| {
                    let started = draft().map_or_else(|| base_version(case_id, field), |g| g.base_version);
                    drafts.update(|d| d.retain(|(f, _)| *f != field));
                    if value == unchanged {
                        // Typed back to what is saved: nothing left to keep.
                        leptos::task::spawn_local(forget_goal_draft(device, case_id, field));
                        return;
                    }
                    let kept = GoalDraft { text: value, base_version: started };
                    drafts.update(|d| d.push((field, kept.clone())));
                    leptos::task::spawn_local(async move {
                        let _ = device.save_draft(DraftOf::CaseText(case_id, field), kept).await;
                    });
                };
                let save = move |_| {
                    if let Some(kept) = draft() {
                        save_goal(case_id, field, kept, said);
                        drafts.update(|d| d.retain(|(f, _)| *f != field));
                    }
                };
                let id = format!("goal-{}", field.code());
                view! {
                    <div class="field">
                        <label for=id.clone()>{tr(label)}</label>
                        <textarea id=id rows=3 maxlength=crate::domain::case::LIFE_GOAL_MAX
                            data-testid=format!("goal-{}", field.code())
                            prop:value=move || text.get()
                            on:input=move |ev| type_in(event_target_value(&ev))></textarea>
                        <button type="button" class="secondary" data-testid=format!("goal-save-{}", field.code())
                            disabled=move || text.with(|t| *t == current)
                            on:click=save>
                            {tr(T::Save)}
                        </button>
                    </div>
                }
            }).collect_view()}
        </section>
    }
}

/// Field staff who may be invited: anyone who goes on visits, from any agency.
fn colleagues(staff: &[StaffRef], except: &[StaffRef]) -> Vec<StaffRef> {
    let mut list: Vec<StaffRef> = staff
        .iter()
        .filter(|s| s.role.writes_notes() && !except.iter().any(|e| e.id == s.id))
        .cloned()
        .collect();
    list.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    list
}

#[component]
fn TeamEditor(
    team: Vec<StaffRef>,
    case_id: CaseId,
    editor: bool,
    said: RwSignal<Option<bool>>,
) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let session = use_session();
    let me = session.viewer.get_untracked().flatten().map(|v| v.id);
    let chosen = RwSignal::new(String::new());
    let others = device
        .reference
        .with_untracked(|r| colleagues(&r.staff, &team));
    let on_team = me.is_some_and(|me| team.iter().any(|m| m.id == me));
    let size = team.len();
    let invite = move |_| {
        if let Ok(staff_id) = chosen.get_untracked().parse::<StaffId>() {
            chosen.set(String::new());
            record(Op::JoinTeam { case_id, staff_id }, said);
        }
    };
    let leave = move |_| {
        if let Some(staff_id) = me {
            record(Op::LeaveTeam { case_id, staff_id }, said);
        }
    };
    view! {
        <section class="card" aria-labelledby="team-title">
            <h2 id="team-title">{tr(T::Team)}</h2>
            <ul class="team" data-testid="case-team" data-count=size>
                {team.into_iter().map(|m| view! { <TeamMember member=m/> }).collect_view()}
            </ul>
            {editor.then(|| view! {
                <div class="inline-form">
                    <label for="invite-select">{tr(T::Invite)}</label>
                    <select id="invite-select" data-testid="team-invite-select"
                        prop:value=move || chosen.get() on:change=move |ev| chosen.set(event_target_value(&ev))>
                        <option value="">{tr(T::Choose)}</option>
                        {others.into_iter().map(|s| {
                            let agency = s.acts_for.clone().unwrap_or(s.home_agency.clone());
                            view! {
                                <option value=s.id.to_string()>
                                    {s.display_name.clone()} " · " {move || pick(lang.get(), &agency)}
                                </option>
                            }
                        }).collect_view()}
                    </select>
                    <button type="button" class="secondary" data-testid="team-invite"
                        disabled=move || chosen.with(String::is_empty) on:click=invite>
                        {tr(T::InviteButton)}
                    </button>
                </div>
            })}
            {on_team.then(|| view! {
                <button type="button" class="link-button" data-testid="team-leave" on:click=leave>
                    {tr(T::LeaveTeam)}
                </button>
            })}
        </section>
    }
}

#[component]
fn AgenciesEditor(
    case_id: CaseId,
    intake: Vec<Agency>,
    close: Vec<Agency>,
    editor: bool,
    said: RwSignal<Option<bool>>,
) -> impl IntoView {
    let phases = [
        (AgencyPhase::Intake, T::AgenciesAtIntake, intake),
        (AgencyPhase::Close, T::AgenciesAtClose, close),
    ];
    view! {
        <section class="card agencies" aria-labelledby="agencies-title">
            <h2 id="agencies-title">{tr(T::AgenciesInvolved)}</h2>
            <p class="hint">{tr(T::AgenciesHelp)}</p>
            {phases.into_iter().map(|(phase, label, list)| {
                view! { <AgencyList case_id phase label list editable=editor said/> }
            }).collect_view()}
        </section>
    }
}

#[component]
fn AgencyList(
    case_id: CaseId,
    phase: AgencyPhase,
    label: T,
    list: Vec<Agency>,
    editable: bool,
    said: RwSignal<Option<bool>>,
) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let mut choices: Vec<Agency> = device.reference.with_untracked(|r| {
        r.agencies
            .iter()
            .filter(|a| !list.iter().any(|l| l.id == a.id))
            .cloned()
            .collect()
    });
    choices.sort_by(|a, b| a.name_ja.cmp(&b.name_ja));
    let code = phase.code();
    let select_id = format!("agency-add-{code}");
    // Choosing an agency records it at once: one tap, and nothing half-chosen for a sync's
    // redraw to lose.
    let add = move |ev: leptos::ev::Event| {
        if let Ok(agency_id) = event_target_value(&ev).parse::<AgencyId>() {
            record(
                Op::AddAgency {
                    case_id,
                    phase,
                    agency_id,
                },
                said,
            );
        }
    };
    view! {
        <h3>{tr(label)} " " <span class="agency-count" data-testid=format!("agency-count-{code}")>{list.len()}</span></h3>
        <ul class="agency-list" data-testid=format!("agencies-{code}")>
            {list.into_iter().map(|a| {
                let agency_id = a.id;
                let names = (a.name_ja.clone(), a.name_en.clone());
                let remove = move |_| record(Op::RemoveAgency { case_id, phase, agency_id }, said);
                view! {
                    <li data-testid="agency-item">
                        {move || pick(lang.get(), &names)}
                        {editable.then(|| view! {
                            " " <button type="button" class="link-button" data-testid="agency-remove" on:click=remove>
                                {tr(T::Remove)}
                            </button>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
        {editable.then(|| view! {
            <div class="inline-form">
                <label for=select_id.clone()>{tr(T::AddAgency)}</label>
                <select id=select_id data-testid=format!("agency-add-select-{code}") prop:value="" on:change=add>
                    <option value="">{tr(T::Choose)}</option>
                    {choices.into_iter().map(|a| {
                        let value = a.id.to_string();
                        view! { <option value=value>{move || a.name(lang.get()).to_owned()}</option> }
                    }).collect_view()}
                </select>
            </div>
        })}
    }
}

#[component]
fn VisitsOfCase(visits: Vec<Visit>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="card" aria-labelledby="case-visits-title">
            <h2 id="case-visits-title">{tr(T::CaseVisits)}</h2>
            <ul class="case-visits" data-testid="case-visits">
                {visits.into_iter().map(|v| {
                    let status = v.status;
                    let day = v.window.starts_at.with_timezone(&japan_time()).format("%Y-%m-%d").to_string();
                    view! {
                        <li data-testid="case-visit">
                            <A href=format!("/visits/{}", v.id)>{day} " " {v.window.clock_range()} " · " {v.place.clone()}</A>
                            " " <span class=format!("badge status-{}", status.code())>{move || status.label(lang.get())}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Schedules a visit: a day, a window, a place, and who goes (often two agencies together).
#[component]
pub(super) fn PlanVisit(
    case_id: CaseId,
    team: Vec<StaffRef>,
    said: RwSignal<Option<bool>>,
) -> impl IntoView {
    let lang = use_lang();
    let day = RwSignal::new(String::new());
    let start = RwSignal::new("10:00".to_owned());
    let end = RwSignal::new("11:00".to_owned());
    let place = RwSignal::new(String::new());
    let members = RwSignal::new(Vec::<StaffId>::new());
    let problem = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let window =
            crate::domain::visit::japan_instant(&day.get_untracked(), &start.get_untracked())
                .zip(crate::domain::visit::japan_instant(
                    &day.get_untracked(),
                    &end.get_untracked(),
                ))
                .filter(|(s, e)| e > s);
        let chosen = members.get_untracked();
        let place_text = place.get_untracked();
        match window {
            Some((starts_at, ends_at)) if !chosen.is_empty() && !place_text.trim().is_empty() => {
                problem.set(false);
                record(
                    Op::PlanVisit {
                        visit_id: VisitId(uuid::Uuid::new_v4()),
                        case_id,
                        starts_at,
                        ends_at,
                        place: place_text,
                        members: chosen,
                    },
                    said,
                );
                place.set(String::new());
            }
            _ => problem.set(true),
        }
    };
    view! {
        <section class="card plan-visit" aria-labelledby="plan-title">
            <h2 id="plan-title">{tr(T::PlanVisit)}</h2>
            <form data-testid="plan-visit" on:submit=submit novalidate>
                <div class="field-row">
                    <label>{tr(T::VisitDay)} <input type="date" required data-testid="plan-day"
                        prop:value=move || day.get() on:input=move |ev| day.set(event_target_value(&ev))/></label>
                    <label>{tr(T::StartTime)} <input type="time" required data-testid="plan-start"
                        prop:value=move || start.get() on:input=move |ev| start.set(event_target_value(&ev))/></label>
                    <label>{tr(T::EndTime)} <input type="time" required data-testid="plan-end"
                        prop:value=move || end.get() on:input=move |ev| end.set(event_target_value(&ev))/></label>
                </div>
                <div class="field">
                    <label for="plan-place">{tr(T::Place)}</label>
                    <input id="plan-place" type="text" required maxlength=200 data-testid="plan-place"
                        prop:value=move || place.get() on:input=move |ev| place.set(event_target_value(&ev))/>
                </div>
                <fieldset>
                    <legend>{tr(T::WhoGoes)}</legend>
                    {team.into_iter().filter(|m| m.role.writes_notes()).map(|m| {
                        let id = m.id;
                        let agency = m.acts_for.clone().unwrap_or(m.home_agency.clone());
                        view! {
                            <label class="check">
                                <input type="checkbox" data-testid="plan-member" value=id.to_string()
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        members.update(|l| { l.retain(|x| *x != id); if on { l.push(id); } });
                                    }/>
                                {m.display_name.clone()} " · " {move || pick(lang.get(), &agency)}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <p class="form-error" role="alert">{move || problem.get().then(|| tr(T::PlanVisitProblem)())}</p>
                <button type="submit" class="primary" data-testid="plan-submit">{tr(T::PlanVisit)}</button>
            </form>
        </section>
    }
}
