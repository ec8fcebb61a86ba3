//! Registering a consultation (相談の受付). The routing rule is shown before saving: taken in at
//! a welfare desk, the model program is responsible; at the public health center, the center.
//! Works offline: the case is in the outbox and on the device at once.

use super::i18n::{pick, tr, use_lang, Label, T};
use super::{use_session, RequireLogin};
use crate::client::use_device;
use crate::domain::error::required_text;
use crate::domain::visit::japan_instant;
use crate::domain::{AgencyId, AgencyKind, CaseId, IntakeChannel, RiskLevel, StaffId, VisitId};
use crate::sync::Op;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// `/intake`.
#[component]
pub fn IntakePage() -> impl IntoView {
    view! {
        <RequireLogin>
            <IntakeForm/>
        </RequireLogin>
    }
}

#[component]
fn IntakeForm() -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let session = use_session();
    let navigate = use_navigate();
    // Where the user takes consultations in, from the reference data on the device.
    let channel = Memo::new(move |_| {
        let me = session.viewer.get().flatten()?;
        device.reference.with(|r| {
            let acting = r.person(me.id).acting_agency?;
            let agency = r.agency(acting)?;
            IntakeChannel::registered_at(agency.kind).map(|c| (c, agency.clone()))
        })
    });
    let pseudonym = RwSignal::new(String::new());
    let risk = RwSignal::new(RiskLevel::Moderate);
    let agencies = RwSignal::new(Vec::<AgencyId>::new());
    let day = RwSignal::new(String::new());
    let start = RwSignal::new("10:00".to_owned());
    let end = RwSignal::new("11:00".to_owned());
    let place = RwSignal::new(String::new());
    let members = RwSignal::new(Vec::<StaffId>::new());
    let problem = RwSignal::new(None::<T>);
    let saving = RwSignal::new(false);
    // The taking agency is involved from the start.
    Effect::new(move |_| {
        if let Some((_, agency)) = channel.get() {
            agencies.update(|l| {
                if !l.contains(&agency.id) {
                    l.push(agency.id);
                }
            });
        }
    });
    let choices = Memo::new(move |_| {
        device.reference.with(|r| {
            let mut list: Vec<_> = r
                .agencies
                .iter()
                .filter(|a| a.kind != AgencyKind::CooperatingBusiness)
                .cloned()
                .collect();
            list.sort_by(|a, b| a.name_ja.cmp(&b.name_ja));
            list
        })
    });
    let field_staff = Memo::new(move |_| {
        device.reference.with(|r| {
            let mut list: Vec<_> = r
                .staff
                .iter()
                .filter(|s| s.role.writes_notes())
                .cloned()
                .collect();
            list.sort_by(|a, b| a.display_name.cmp(&b.display_name));
            list
        })
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(name) = required_text(
            "pseudonym",
            &pseudonym.get_untracked(),
            crate::domain::case::PSEUDONYM_MAX,
        ) else {
            problem.set(Some(T::PseudonymRequired));
            return;
        };
        // The first visit is optional; when a day is given, the rest must be complete.
        let visit_day = day.get_untracked();
        let visit = if visit_day.is_empty() {
            None
        } else {
            let window = japan_instant(&visit_day, &start.get_untracked())
                .zip(japan_instant(&visit_day, &end.get_untracked()))
                .filter(|(s, e)| e > s);
            let who = members.get_untracked();
            match window {
                Some((s, e)) if !who.is_empty() && !place.get_untracked().trim().is_empty() => {
                    Some((s, e, who))
                }
                _ => {
                    problem.set(Some(T::PlanVisitProblem));
                    return;
                }
            }
        };
        problem.set(None);
        saving.set(true);
        let case_id = CaseId(uuid::Uuid::new_v4());
        let open = Op::OpenCase {
            case_id,
            pseudonym: name,
            risk: risk.get_untracked(),
            agencies: agencies.get_untracked(),
        };
        let plan = visit.map(|(starts_at, ends_at, members)| Op::PlanVisit {
            visit_id: VisitId(uuid::Uuid::new_v4()),
            case_id,
            starts_at,
            ends_at,
            place: place.get_untracked(),
            members,
        });
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let mut ok = device.record(open).await.is_ok();
            if let (true, Some(plan)) = (ok, plan) {
                ok = device.record(plan).await.is_ok();
            }
            saving.set(false);
            if ok {
                navigate(&format!("/cases/{case_id}"), Default::default());
            } else {
                problem.set(Some(T::NoteNotSaved));
            }
        });
    };
    view! {
        <section class="intake" aria-labelledby="intake-title">
            <h1 id="intake-title">{tr(T::Intake)}</h1>
            {move || match channel.get() {
                None => view! { <p class="hint" data-testid="intake-not-allowed">{tr(T::IntakeNotAllowed)}</p> }.into_any(),
                Some((channel, agency)) => {
                    let program = channel.responsible_program();
                    let names = (agency.name_ja.clone(), agency.name_en.clone());
                    view! {
                        <p class="card routing" data-testid="intake-routing" data-program=program.code()>
                            <strong>{tr(T::Responsible)} ": "</strong> {move || program.label(lang.get())}
                            " — " {tr(T::TakenInAt)} " " {move || pick(lang.get(), &names)}
                        </p>
                    }.into_any()
                }
            }}
            <form class="card" data-testid="intake-form" on:submit=submit novalidate>
                <div class="field">
                    <label for="intake-pseudonym">{tr(T::Pseudonym)}</label>
                    <input id="intake-pseudonym" type="text" required maxlength=crate::domain::case::PSEUDONYM_MAX data-testid="intake-pseudonym"
                        prop:value=move || pseudonym.get() on:input=move |ev| pseudonym.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="intake-risk">{tr(T::Risk)}</label>
                    <select id="intake-risk" data-testid="intake-risk"
                        on:change=move |ev| if let Ok(r) = RiskLevel::parse(&event_target_value(&ev)) { risk.set(r) }>
                        {RiskLevel::ALL.iter().map(|&r| view! {
                            <option value=r.code() selected=move || risk.get() == r>{move || r.label(lang.get())}</option>
                        }).collect_view()}
                    </select>
                </div>
                <fieldset data-testid="intake-agencies">
                    <legend>{tr(T::AgenciesAtIntake)}</legend>
                    // One group per kind of agency, so a choice among 28 is found by what it is.
                    {move || {
                        let list = choices.get();
                        AgencyKind::ALL
                            .iter()
                            .map(|&kind| (kind, list.iter().filter(|a| a.kind == kind).cloned().collect::<Vec<_>>()))
                            .filter(|(_, of_kind)| !of_kind.is_empty())
                            .map(|(kind, of_kind)| view! {
                                <fieldset class="agency-kind" data-testid="intake-agency-kind" data-kind=kind.code()>
                                    <legend>{move || kind.label(lang.get())}</legend>
                                    <div class="check-grid">
                                        {of_kind.into_iter().map(|a| {
                                            let id = a.id;
                                            view! {
                                                <label class="check">
                                                    <input type="checkbox" data-testid="intake-agency" value=id.to_string()
                                                        prop:checked=move || agencies.with(|l| l.contains(&id))
                                                        on:change=move |ev| {
                                                            let on = event_target_checked(&ev);
                                                            agencies.update(|l| { l.retain(|x| *x != id); if on { l.push(id); } });
                                                        }/>
                                                    {move || a.name(lang.get()).to_owned()}
                                                </label>
                                            }
                                        }).collect_view()}
                                    </div>
                                </fieldset>
                            })
                            .collect_view()
                    }}
                </fieldset>
                <fieldset>
                    <legend>{tr(T::FirstVisit)}</legend>
                    <p class="hint">{tr(T::FirstVisitHint)}</p>
                    <div class="field-row">
                        <label>{tr(T::VisitDay)} <input type="date" data-testid="intake-day"
                            prop:value=move || day.get() on:input=move |ev| day.set(event_target_value(&ev))/></label>
                        <label>{tr(T::StartTime)} <input type="time" data-testid="intake-start"
                            prop:value=move || start.get() on:input=move |ev| start.set(event_target_value(&ev))/></label>
                        <label>{tr(T::EndTime)} <input type="time" data-testid="intake-end"
                            prop:value=move || end.get() on:input=move |ev| end.set(event_target_value(&ev))/></label>
                    </div>
                    <div class="field">
                        <label for="intake-place">{tr(T::Place)}</label>
                        <input id="intake-place" type="text" maxlength=crate::domain::visit::PLACE_MAX data-testid="intake-place"
                            prop:value=move || place.get() on:input=move |ev| place.set(event_target_value(&ev))/>
                    </div>
                    <p class="legend-like">{tr(T::WhoGoes)}</p>
                    <div class="check-grid">
                        {move || field_staff.get().into_iter().map(|s| {
                            let id = s.id;
                            let agency = s.acts_for.clone().unwrap_or(s.home_agency.clone());
                            view! {
                                <label class="check">
                                    <input type="checkbox" data-testid="intake-member" value=id.to_string()
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            members.update(|l| { l.retain(|x| *x != id); if on { l.push(id); } });
                                        }/>
                                    {s.display_name.clone()} " · " {move || pick(lang.get(), &agency)}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
                <p class="form-error" role="alert" data-testid="intake-error">{move || problem.get().map(|p| tr(p)())}</p>
                <button type="submit" class="primary" data-testid="intake-submit"
                    disabled=move || saving.get() || channel.get().is_none()>
                    {tr(T::RegisterCase)}
                </button>
            </form>
        </section>
    }
}
