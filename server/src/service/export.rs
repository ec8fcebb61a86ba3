//! CSV exports for a program's supervisor: notes (each note's current revision), visits, and
//! the indicators, over a period. UTF-8 with a BOM for Excel in Japanese; never cached; audited.

use super::audit::{self, Action, Event};
use super::backend::{audit_trail, indicators, Service};
use super::sync::SignedIn;
use crate::db::Stamp;
use app::api::{AppError, Viewer};
use app::domain::csv;
use app::domain::indicators::{percent, Period};
use app::domain::visit::local_day;
use app::domain::Program;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};

/// The export routes. A request without a live session is refused as the sync endpoints
/// refuse it.
pub fn router<S: Clone + Send + Sync + 'static>(service: Service) -> Router<S> {
    Router::new()
        .route("/export/notes.csv", get(notes))
        .route("/export/visits.csv", get(visits))
        .route("/export/indicators.csv", get(figures))
        .route("/export/audit.csv", get(audit_log))
        .with_state(service)
}

/// The period asked for; the last 90 days when none is given.
#[derive(serde::Deserialize)]
pub struct Asked {
    from: Option<String>,
    to: Option<String>,
}

/// Why an export was not given.
enum Refused {
    /// Only a program's supervisor exports.
    SupervisorsOnly,
    /// The period is not two days in order.
    BadPeriod,
    /// The database did not answer: try again.
    Unavailable,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let (status, why) = match self {
            Refused::SupervisorsOnly => (StatusCode::FORBIDDEN, "supervisors only"),
            Refused::BadPeriod => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "from and to must be days (YYYY-MM-DD), from not after to",
            ),
            Refused::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "please retry"),
        };
        (status, [(header::CACHE_CONTROL, "no-store")], why).into_response()
    }
}

impl From<sqlx::Error> for Refused {
    fn from(_: sqlx::Error) -> Self {
        Refused::Unavailable
    }
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Forbidden => Refused::SupervisorsOnly,
            _ => Refused::Unavailable,
        }
    }
}

/// An export's answer.
type Answer = Result<Response, Refused>;

/// The supervisor who asks, their program, and the period.
fn checked(viewer: Viewer, asked: &Asked) -> Result<(Viewer, Program, Period), Refused> {
    let program = viewer
        .supervised_program()
        .ok_or(Refused::SupervisorsOnly)?;
    let recent = Period::recent(local_day(Utc::now()));
    let from = asked
        .from
        .clone()
        .unwrap_or_else(|| recent.from.to_string());
    let to = asked.to.clone().unwrap_or_else(|| recent.to.to_string());
    let period = Period::parse(&from, &to).map_err(|_| Refused::BadPeriod)?;
    Ok((viewer, program, period))
}

async fn audited(service: &Service, viewer: &Viewer) -> Result<(), Refused> {
    audit::alone(
        service.db(),
        Event {
            actor: Some(viewer),
            action: Action::Export,
            case_id: None,
            record_id: None,
        },
    )
    .await
    .map_err(|_| Refused::Unavailable)
}

fn attachment(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

fn japan(at: Stamp) -> String {
    at.time()
        .with_timezone(&app::domain::visit::japan_time())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// `/export/notes.csv`: each note's current revision received in the period.
async fn notes(
    State(service): State<Service>,
    SignedIn(viewer): SignedIn,
    Query(asked): Query<Asked>,
) -> Answer {
    let (viewer, program, period) = checked(viewer, &asked)?;
    audited(&service, &viewer).await?;
    type Row = (
        String,
        Stamp,
        String,
        String,
        Stamp,
        i64,
        bool,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    );
    let rows: Result<Vec<Row>, _> = sqlx::query_as(
        "SELECT c.pseudonym, v.starts_at, st.display_name, a.name_ja, r.received_at, r.revision, r.met, r.met_with, \
           r.mental_state, r.medication, r.daily_living, r.risks, r.agreed, r.next_steps, r.free_text, \
           COALESCE((SELECT decision FROM reviews w WHERE w.note_id = n.id AND w.revision = r.revision \
             ORDER BY w.decided_at DESC LIMIT 1), '') \
         FROM notes n JOIN cases c ON c.id = n.case_id JOIN visits v ON v.id = n.visit_id \
         JOIN note_revisions r ON r.note_id = n.id AND r.revision = (SELECT MAX(revision) FROM note_revisions WHERE note_id = n.id) \
         JOIN staff st ON st.id = r.author_id JOIN agencies a ON a.id = n.acting_agency_id \
         WHERE c.program = $1 ORDER BY r.received_at, n.id",
    )
    .bind(program.code())
    .fetch_all(service.db())
    .await;
    let rows = rows?;
    let header = [
        "対象者",
        "訪問日時",
        "記録者",
        "機関",
        "受信日時",
        "版",
        "面会",
        "会った人",
        "精神状態",
        "服薬・治療",
        "生活",
        "リスク",
        "合意事項",
        "次の支援",
        "自由記述",
        "確認",
    ]
    .map(String::from)
    .to_vec();
    let mut lines = vec![header];
    for r in rows {
        if !period.holds(local_day(r.4.time())) {
            continue;
        }
        let review = match r.15.as_str() {
            "approve" => "承認",
            "return" => "差し戻し",
            _ => "確認待ち",
        };
        lines.push(vec![
            r.0,
            japan(r.1),
            r.2,
            r.3,
            japan(r.4),
            r.5.to_string(),
            if r.6 { "会えた" } else { "会えず" }.to_owned(),
            r.7,
            r.8,
            r.9,
            r.10,
            r.11,
            r.12,
            r.13,
            r.14,
            review.to_owned(),
        ]);
    }
    Ok(attachment("notes.csv", csv::file(lines)))
}

/// A visit as exported: pseudonym, start, end, place, status, outcome, who went.
type VisitRow = (String, Stamp, Stamp, String, String, String, String);

/// `/export/visits.csv`: visits starting in the period, with who went.
async fn visits(
    State(service): State<Service>,
    SignedIn(viewer): SignedIn,
    Query(asked): Query<Asked>,
) -> Answer {
    let (viewer, program, period) = checked(viewer, &asked)?;
    audited(&service, &viewer).await?;
    let rows: Result<Vec<VisitRow>, _> = sqlx::query_as(
        "SELECT c.pseudonym, v.starts_at, v.ends_at, v.place, v.status, v.outcome, \
           COALESCE((SELECT string_agg(s.display_name || '（' || a.name_ja || '）', '、' ORDER BY s.display_name, s.id) FROM visit_members m \
             JOIN staff s ON s.id = m.staff_id JOIN agencies a ON a.id = s.acts_for_agency_id WHERE m.visit_id = v.id), '') \
         FROM visits v JOIN cases c ON c.id = v.case_id WHERE c.program = $1 ORDER BY v.starts_at, v.id",
    )
    .bind(program.code())
    .fetch_all(service.db())
    .await;
    let rows = rows?;
    let mut lines = vec![["対象者", "開始", "終了", "場所", "状態", "結果", "訪問者"]
        .map(String::from)
        .to_vec()];
    for (pseudonym, starts, ends, place, status, outcome, members) in rows {
        if period.holds(local_day(starts.time())) {
            lines.push(vec![
                pseudonym,
                japan(starts),
                japan(ends),
                place,
                status,
                outcome,
                members,
            ]);
        }
    }
    Ok(attachment("visits.csv", csv::file(lines)))
}

/// `/export/indicators.csv`: the indicators page as rows of measure and value.
async fn figures(
    State(service): State<Service>,
    SignedIn(viewer): SignedIn,
    Query(asked): Query<Asked>,
) -> Answer {
    let (viewer, _, period) = checked(viewer, &asked)?;
    let figures = indicators::load(service.db(), &viewer, period).await?;
    let row = |a: &str, b: String, c: String| vec![a.to_owned(), b, c];
    let mut lines = vec![row("指標", "項目".into(), "値".into())];
    lines.push(row("期間", period.from.to_string(), period.to.to_string()));
    for (channel, program, n) in &figures.cases_by_channel {
        lines.push(row(
            "新規対象者",
            format!("{} → {}", channel.code(), program.code()),
            n.to_string(),
        ));
    }
    lines.push(row(
        "初回訪問までの日数（中央値）",
        String::new(),
        figures
            .median_days_to_first_visit()
            .map(|d| d.to_string())
            .unwrap_or_default(),
    ));
    lines.push(row(
        "未訪問",
        String::new(),
        figures.not_visited_yet.to_string(),
    ));
    lines.push(row("訪問", String::new(), figures.visits.to_string()));
    lines.push(row(
        "同行訪問（複数機関）",
        String::new(),
        figures.joint_visits.to_string(),
    ));
    for (week, agency, n) in &figures.visits_per_agency_week {
        lines.push(row(
            "週・機関別訪問",
            format!("{week} {agency}"),
            n.to_string(),
        ));
    }
    for c in &figures.closed {
        lines.push(row(
            "終結（受付時→終結時の機関数）",
            c.pseudonym.clone(),
            format!("{}→{}", c.at_intake, c.at_close),
        ));
    }
    let (grew, closed) = figures.agencies_grew();
    lines.push(row(
        "機関数が増えた割合（%）",
        format!("{grew}/{closed}"),
        percent(grew, closed)
            .map(|p| p.to_string())
            .unwrap_or_default(),
    ));
    Ok(attachment("indicators.csv", csv::file(lines)))
}

/// `/export/audit.csv`: every audit event about the program's cases in the period, newest
/// first, times in UTC as recorded. Reading it is audited as a read of the audit log.
async fn audit_log(
    State(service): State<Service>,
    SignedIn(viewer): SignedIn,
    Query(asked): Query<Asked>,
) -> Answer {
    let (viewer, _, period) = checked(viewer, &asked)?;
    let entries = audit_trail::entries(service.db(), &viewer, period, None).await?;
    let header = [
        "日時(UTC)",
        "実行者",
        "役割",
        "操作",
        "対象者",
        "記録ID",
        "結果",
        "端末",
        "端末の時刻(UTC)",
        "理由",
    ]
    .map(String::from)
    .to_vec();
    let utc = |t: DateTime<Utc>| Stamp::from(t).to_string();
    let lines = std::iter::once(header).chain(entries.into_iter().map(|e| {
        vec![
            utc(e.at),
            e.actor.unwrap_or_default(),
            e.role.unwrap_or_default(),
            e.action,
            e.pseudonym.unwrap_or_default(),
            e.record_id.unwrap_or_default(),
            e.outcome,
            e.client_id.unwrap_or_default(),
            e.device_time.map(utc).unwrap_or_default(),
            e.reason.unwrap_or_default(),
        ]
    }));
    Ok(attachment("audit.csv", csv::file(lines)))
}
