//! The case summary: risk, status, who is responsible, agencies, the life goal with the medical
//! and welfare views, and the team.

use crate::domain::{CaseSummary, StaffRef};
use crate::ui::i18n::{pick, tr, use_lang, Label, T};
use leptos::prelude::*;

#[component]
pub(in crate::ui) fn CaseSummaryView(
    case: CaseSummary,
    /// Leaves the team out, for a page that shows it in its own section.
    #[prop(optional)]
    without_team: bool,
) -> impl IntoView {
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
                .join(crate::ui::i18n::list_separator(lang.get()))
        }
    };
    view! {
        // Folds away (open at first), so a phone reaches what follows it without scrolling past.
        <details class="card case-summary fold" data-testid="case-summary" open>
            <summary data-testid="case-summary-toggle"><h2 id="case-title">{tr(T::CaseSummary)}</h2></summary>
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
            {(!without_team).then(|| view! {
                <h3>{tr(T::Team)}</h3>
                <ul class="team" data-testid="team">
                    {team.into_iter().map(|m| view! { <TeamMember member=m/> }).collect_view()}
                </ul>
            })}
        </details>
    }
}

#[component]
pub(in crate::ui) fn TeamMember(member: StaffRef) -> impl IntoView {
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
