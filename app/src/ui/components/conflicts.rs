//! Same-field edits in conflict, each with both values and a button to keep either.

use crate::client::use_device;
use crate::domain::visit::japan_time;
use crate::domain::{CaseStatus, RiskLevel, VisitStatus};
use crate::sync::{ConflictView, Op};
use crate::ui::i18n::{tr, use_lang, Label, T};
use leptos::prelude::*;

/// Same-field edits kept side by side until someone settles them.
#[component]
pub(in crate::ui) fn ConflictsView(conflicts: Vec<ConflictView>) -> impl IntoView {
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
pub(in crate::ui) fn ConflictCard(conflict: ConflictView) -> impl IntoView {
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
