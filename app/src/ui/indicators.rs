//! The program's indicators for a chosen period, drawn as simple SVG charts with their figures
//! beside them in text, for supervisors who would rather look than read.

use super::components::ErrorNote;
use super::i18n::{tr, use_lang, Label, T};
use super::RequireLogin;
use crate::client::use_device;
use crate::domain::indicators::{percent, Indicators, Period};
use crate::domain::visit::local_day;
use crate::domain::Lang;
use chrono::Utc;
use leptos::prelude::*;

/// `/indicators`.
#[component]
pub fn IndicatorsPage() -> impl IntoView {
    view! {
        <RequireLogin>
            <Figures/>
        </RequireLogin>
    }
}

#[component]
fn Figures() -> impl IntoView {
    let recent = Period::recent(local_day(Utc::now()));
    let from = RwSignal::new(recent.from.to_string());
    let to = RwSignal::new(recent.to.to_string());
    let figures = Resource::new(
        move || (from.get(), to.get()),
        |(from, to)| crate::api::indicators(from, to),
    );
    view! {
        <section class="indicators" data-testid="indicators" aria-labelledby="indicators-title">
            <h1 id="indicators-title">{tr(T::Indicators)}</h1>
            <div class="field-row">
                <label>{tr(T::PeriodFrom)} <input type="date" data-testid="period-from"
                    prop:value=move || from.get() on:change=move |ev| from.set(event_target_value(&ev))/></label>
                <label>{tr(T::PeriodTo)} <input type="date" data-testid="period-to"
                    prop:value=move || to.get() on:change=move |ev| to.set(event_target_value(&ev))/></label>
            </div>
            <p class="exports">
                {[("notes", T::ExportNotes), ("visits", T::ExportVisits), ("indicators", T::ExportIndicators)]
                    .into_iter()
                    .map(|(name, label)| view! {
                        <a class="export-link" data-testid=format!("export-{name}") download=format!("{name}.csv")
                            href=move || format!("/export/{name}.csv?from={}&to={}", from.get(), to.get())>
                            {tr(label)}
                        </a>
                    })
                    .collect_view()}
            </p>
            <Transition fallback=|| view! { <p class="loading">{tr(T::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match figures.await {
                        Ok(figures) => view! { <Charts figures/> }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
            <SyncHealth/>
            <AuditTrail from to/>
        </section>
    }
}

/// Each device on the program's teams: its oldest unsent change as it last reported, and its
/// last contact, the longest waiting first, so a phone silent for days stands out.
#[component]
fn SyncHealth() -> impl IntoView {
    let lang = use_lang();
    let devices = Resource::new(|| (), |_| crate::api::sync_health());
    let refetch = Callback::new(move |revoked: bool| {
        if revoked {
            devices.refetch();
        }
    });
    view! {
        <section class="card" data-testid="sync-health" aria-labelledby="sync-health-title">
            <h2 id="sync-health-title">{tr(T::SyncHealth)}</h2>
            <Transition fallback=|| view! { <p class="loading">{tr(T::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match devices.await {
                        Ok(list) => view! {
                            <table class="health">
                                <thead><tr>
                                    <th scope="col">{tr(T::Person)}</th>
                                    <th scope="col">{tr(T::OldestUnsent)}</th>
                                    <th scope="col">{tr(T::LastContact)}</th>
                                    <th scope="col">{tr(T::DeviceActions)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|d| {
                                        let waiting = d.pending_since.map(hours);
                                        let agency = d.agency.clone();
                                        let short = d.client_id.chars().take(8).collect::<String>();
                                        let client = d.client_id.clone();
                                        view! {
                                            <tr data-testid="sync-health-row" data-client=client
                                                data-revoked=d.revoked.to_string()
                                                data-pending-hours=waiting.map(|h| h.to_string()).unwrap_or_default()
                                                class:stale=waiting.is_some_and(|h| h >= 24)>
                                                <td>{d.staff.clone()} " · " {move || match lang.get() { Lang::Ja => agency.0.clone(), Lang::En => agency.1.clone() }}
                                                    <small>" " {short}</small></td>
                                                <td>{move || waiting.map(|h| age(lang.get(), h)).unwrap_or_else(|| tr(T::NothingWaiting)().to_owned())}</td>
                                                <td><SinceLabel at=d.last_contact_at/></td>
                                                <td>
                                                    <RevokeButton client_id=d.client_id staff=d.staff revoked=d.revoked done=refetch/>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Whole hours since `t`.
fn hours(t: chrono::DateTime<Utc>) -> i64 {
    (Utc::now() - t).num_hours().max(0)
}

/// `h` hours ago, in days once it is two days or more.
fn age(lang: Lang, h: i64) -> String {
    match lang {
        Lang::Ja if h >= 48 => format!("{}日前", h / 24),
        Lang::Ja if h == 0 => "1時間以内".to_owned(),
        Lang::Ja => format!("{h}時間前"),
        Lang::En if h == 0 => "less than an hour ago".to_owned(),
        Lang::En if h >= 48 => format!("{} days ago", h / 24),
        Lang::En => format!("{h} h ago"),
    }
}

/// How long ago `at` was.
#[component]
pub(super) fn SinceLabel(at: chrono::DateTime<Utc>) -> impl IntoView {
    let lang = use_lang();
    let h = hours(at);
    move || age(lang.get(), h)
}

/// Revokes a lost device (it still sends what it holds, then erases itself), or shows it
/// revoked; `done` is told whether the server took the revocation.
#[component]
pub(super) fn RevokeButton(
    client_id: String,
    staff: String,
    revoked: bool,
    done: Callback<bool>,
) -> impl IntoView {
    if revoked {
        return view! { <span class="badge">{tr(T::DeviceRevokedMark)}</span> }.into_any();
    }
    let short = client_id.chars().take(8).collect::<String>();
    let label = format!("{} {staff} ({short})", tr(T::RevokeDevice)());
    let question = format!("{staff} ({short}): {}", tr(T::ConfirmRevoke)());
    let revoke = move |_| {
        // It cannot be undone: the device erases itself at its next contact.
        if !super::confirmed(&question) {
            return;
        }
        let client = client_id.clone();
        leptos::task::spawn_local(async move {
            done.run(crate::api::revoke_device(client).await.is_ok());
        });
    };
    view! {
        <button type="button" class="link-button" data-testid="revoke-device"
            aria-label=label on:click=revoke>
            {tr(T::RevokeDevice)}
        </button>
    }
    .into_any()
}

/// The audit log of the program's cases over the chosen period, newest first: who did what to
/// which case, when, and for changes made offline, when on the device.
#[component]
fn AuditTrail(from: RwSignal<String>, to: RwSignal<String>) -> impl IntoView {
    let lang = use_lang();
    let events = Resource::new(
        move || (from.get(), to.get()),
        |(from, to)| crate::api::audit_trail(from, to),
    );
    let when = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&crate::domain::visit::japan_time())
            .format("%m/%d %H:%M")
            .to_string()
    };
    view! {
        <section class="card" data-testid="audit-trail" aria-labelledby="audit-title">
            <h2 id="audit-title">{tr(T::AuditTrail)}</h2>
            <p class="exports">
                <a class="export-link" data-testid="export-audit" download="audit.csv"
                    href=move || format!("/export/audit.csv?from={}&to={}", from.get(), to.get())>
                    {tr(T::ExportAudit)}
                </a>
            </p>
            <Transition fallback=|| view! { <p class="loading">{tr(T::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">{tr(T::AuditNone)}</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-scroll" tabindex="0" role="region" aria-labelledby="audit-title">
                            <table class="health">
                                <thead><tr>
                                    <th scope="col">{tr(T::AuditWhen)}</th>
                                    <th scope="col">{tr(T::AuditWho)}</th>
                                    <th scope="col">{tr(T::AuditWhat)}</th>
                                    <th scope="col">{tr(T::AuditDevice)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| {
                                        let denied = e.outcome != "ok";
                                        let action = e.action.clone();
                                        view! {
                                            <tr data-testid="audit-row" data-action=e.action.clone() data-outcome=e.outcome.clone()>
                                                <td>{when(e.at)}</td>
                                                <td>{e.actor.clone().unwrap_or_default()}</td>
                                                <td>
                                                    {move || audit_action(lang.get(), &action)} " · " {e.pseudonym.clone().unwrap_or_default()}
                                                    {denied.then(|| view! { " " <span class="badge">{tr(T::AuditDenied)}</span> })}
                                                    {e.reason.clone().map(|why| view! { <br/><small data-testid="audit-reason">{why}</small> })}
                                                </td>
                                                <td>{e.device_time.map(when).unwrap_or_default()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What an audited action is called on screen.
fn audit_action(lang: Lang, code: &str) -> String {
    let (ja, en) = match code {
        "read_visit" => ("閲覧", "read"),
        "denied_visit" => ("閲覧の拒否", "read refused"),
        "create_note" => ("記録の作成", "note written"),
        "amend_note" => ("記録の修正", "note amended"),
        "edit_case" => ("ケースの変更", "case changed"),
        "rejected_mutation" => ("変更の拒否", "change refused"),
        "open_case" => ("相談の登録", "consultation registered"),
        "plan_visit" => ("訪問の予定", "visit planned"),
        "review_note" => ("記録の確認", "note reviewed"),
        "break_glass" => ("緊急時の閲覧", "emergency access"),
        "suggest_listing" => ("事業所の提案", "business suggested"),
        "withdraw_suggestion" => ("提案の取り下げ", "suggestion taken back"),
        "edit_listing" => ("事業所の登録・変更", "directory listing edited"),
        "retire_listing" => ("事業所の登録終了", "directory listing retired"),
        other => (other, other),
    };
    match lang {
        Lang::Ja => ja.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// Horizontal bars: one row per label, one bar per value, scaled to the largest value.
#[component]
fn Bars(
    title: String,
    rows: Vec<(String, Vec<usize>)>,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let largest = rows
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let per_row = rows.first().map(|(_, v)| v.len()).unwrap_or(1).max(1);
    let bar_h = 14usize;
    let row_h = per_row * bar_h + 22;
    let height = rows.len() * row_h + 4;
    let width = 320usize;
    let scale = |n: usize| n * (width - 40) / largest;
    view! {
        <figure class="chart" data-testid=testid>
            // Drawn at its own size (wider screens do not enlarge the labels past the headings).
            <svg viewBox=format!("0 0 {width} {height}") width=width height=height role="img" aria-label=title.clone()>
                <title>{title.clone()}</title>
                {rows.iter().enumerate().map(|(i, (label, values))| {
                    let y = i * row_h;
                    view! {
                        <text x="0" y=y + 13 class="chart-label">{label.clone()}</text>
                        {values.iter().enumerate().map(|(j, n)| {
                            let by = y + 18 + j * bar_h;
                            view! {
                                <rect x="0" y=by width=scale(*n).max(1) height=bar_h - 3 class=format!("bar bar-{j}")/>
                                <text x=scale(*n) + 4 y=by + 10 class="chart-value">{*n}</text>
                            }
                        }).collect_view()}
                    }
                }).collect_view()}
            </svg>
            <figcaption class="sr-only">{title}</figcaption>
        </figure>
    }
}

#[component]
fn Charts(figures: Indicators) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let agency_name = move |id: crate::domain::AgencyId| {
        device.reference.with_untracked(|r| {
            r.agencies
                .iter()
                .find(|a| a.id == id)
                .map(|a| (a.name_ja.clone(), a.name_en.clone()))
                .unwrap_or_else(|| ("?".into(), "?".into()))
        })
    };
    let (grew, closed) = figures.agencies_grew();
    let grew_share = percent(grew, closed);
    let joint_share = percent(figures.joint_visits, figures.visits);
    let median = figures.median_days_to_first_visit();
    move || {
        let lang = lang.get();
        let pick = |pair: &(String, String)| match lang {
            Lang::Ja => pair.0.clone(),
            Lang::En => pair.1.clone(),
        };
        let channels: Vec<(String, Vec<usize>)> = figures
            .cases_by_channel
            .iter()
            .map(|(c, p, n)| (format!("{} → {}", c.label(lang), p.label(lang)), vec![*n]))
            .collect();
        let closed_rows: Vec<(String, Vec<usize>)> = figures
            .closed
            .iter()
            .map(|c| (c.pseudonym.clone(), vec![c.at_intake, c.at_close]))
            .collect();
        let weeks: Vec<(String, Vec<usize>)> = figures
            .visits_per_agency_week
            .iter()
            .map(|(week, agency, n)| (format!("{week} {}", pick(&agency_name(*agency))), vec![*n]))
            .collect();
        let t = |key| super::i18n::t(lang, key);
        view! {
            <section class="card">
                <h2>{t(T::AgenciesGrewTitle)}</h2>
                <p class="headline" data-testid="indicator-agencies-grew"
                    data-share=grew_share.map(|p| p.to_string()).unwrap_or_default()
                    data-grew=grew data-closed=closed>
                    {match grew_share {
                        Some(p) => format!("{p}% ({grew} / {closed})"),
                        None => t(T::NoClosedCases).to_owned(),
                    }}
                </p>
                <p class="legend"><span class="swatch bar-0"></span> {t(T::AgenciesAtIntake)} " "
                    <span class="swatch bar-1"></span> {t(T::AgenciesAtClose)}</p>
                <Bars title=t(T::AgenciesGrewTitle).to_owned() rows=closed_rows testid="indicator-closed-cases"/>
            </section>
            <section class="card">
                <h2>{t(T::CasesByChannel)}</h2>
                <Bars title=t(T::CasesByChannel).to_owned() rows=channels testid="indicator-cases-by-channel"/>
            </section>
            <section class="card">
                <h2>{t(T::DaysToFirstVisit)}</h2>
                <p class="headline" data-testid="indicator-days-to-first-visit">
                    {match median {
                        Some(d) => format!("{} {d} {}", t(T::Median), t(T::Days)),
                        None => "—".to_owned(),
                    }}
                    " · " {t(T::NotVisitedYet)} " " {figures.not_visited_yet}
                </p>
            </section>
            <section class="card">
                <h2>{t(T::JointVisits)}</h2>
                <p class="headline" data-testid="indicator-joint-visits"
                    data-share=joint_share.map(|p| p.to_string()).unwrap_or_default()>
                    {match joint_share {
                        Some(p) => format!("{p}% ({} / {})", figures.joint_visits, figures.visits),
                        None => "—".to_owned(),
                    }}
                </p>
            </section>
            <section class="card">
                <h2>{t(T::VisitsPerAgencyWeek)}</h2>
                <Bars title=t(T::VisitsPerAgencyWeek).to_owned() rows=weeks testid="indicator-visits-per-week"/>
            </section>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_within_the_hour_reads_as_such_never_as_zero_hours() {
        assert_eq!(age(Lang::Ja, 0), "1時間以内");
        assert_eq!(age(Lang::En, 0), "less than an hour ago");
        assert_eq!(age(Lang::Ja, 1), "1時間前");
        assert_eq!(age(Lang::En, 47), "47 h ago");
        assert_eq!(age(Lang::Ja, 48), "2日前");
        assert_eq!(age(Lang::En, 50), "2 days ago");
    }

    #[test]
    fn the_age_counts_whole_hours_since_the_moment() {
        assert_eq!(
            age(Lang::Ja, hours(Utc::now() - chrono::Duration::minutes(59))),
            "1時間以内"
        );
        assert_eq!(
            age(Lang::En, hours(Utc::now() - chrono::Duration::minutes(61))),
            "1 h ago"
        );
    }
}
