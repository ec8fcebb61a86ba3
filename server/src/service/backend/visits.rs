//! Visits and the case summary around them.

use super::super::audit::{self, Action, Event};
use super::super::{Conn, DbRow, Pool};
use super::rows::{code, id, staff_ref, text, time, STAFF_COLS, STAFF_JOIN};
use super::{notes, OrInternal};
use crate::db::Stamp;
use app::api::{AppError, Viewer, VisitDetail};
use app::domain::access::{
    check_break_glass_reason, may_break_glass, may_read_case, BREAK_GLASS_MINUTES,
};
use app::domain::{
    CaseId, CaseStatus, CaseSummary, IntakeChannel, LifeGoal, Program, RiskLevel, StaffRef,
    TimeWindow, Visit, VisitId, VisitStatus,
};
use std::collections::HashMap;

const VISIT_COLS: &str = "v.id AS visit_id, v.case_id, v.starts_at, v.ends_at, v.place, \
     v.status AS visit_status, c.pseudonym, c.risk, c.status AS case_status, c.program";

fn visit_from_row(row: &DbRow, members: Vec<StaffRef>) -> anyhow::Result<Visit> {
    Ok(Visit {
        id: id(row, "visit_id")?,
        case_id: id(row, "case_id")?,
        pseudonym: text(row, "pseudonym")?,
        risk: code(row, "risk", RiskLevel::parse)?,
        case_status: code(row, "case_status", CaseStatus::parse)?,
        window: TimeWindow::new(time(row, "starts_at")?, time(row, "ends_at")?)
            .map_err(|_| anyhow::anyhow!("a stored visit ends before it starts"))?,
        place: text(row, "place")?,
        status: code(row, "visit_status", VisitStatus::parse)?,
        members,
    })
}

/// A visit the viewer may see, with its case's program and whether the viewer is on the team.
pub struct VisibleVisit {
    /// The visit's case.
    pub case_id: CaseId,
    /// Whether the viewer is on the case team (not only a supervisor of its program).
    pub on_team: bool,
    /// The visit's status before any change.
    pub status: VisitStatus,
}

/// How a visit is reached: to read it (a supervisor's open break-glass counts) or to change
/// it (only the team and the program's supervisor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Read,
    Write,
}

/// What the rights check reads of a visit for one viewer: its case, its status, the case's
/// program, whether the viewer is on the team and whether the viewer has an open break-glass.
type Facts = (String, String, String, bool, bool);

/// The facts of visits read ahead for one push's group of mutations, so that a group of notes
/// costs one read for the rights check rather than one a note. Within the group's transaction
/// the writer holds the writers' turn, so only the group's own mutations can change what was
/// read; each forgets what it may change ([`KnownVisits::forget`]).
#[derive(Default)]
pub struct KnownVisits(HashMap<VisitId, Option<Facts>>);

impl KnownVisits {
    /// Reads the facts of `visits` for `viewer` in one statement; a visit that does not exist is
    /// known as such.
    pub async fn read(
        conn: &mut Conn,
        viewer: &Viewer,
        visits: &[VisitId],
    ) -> Result<KnownVisits, AppError> {
        let mut known = KnownVisits(visits.iter().map(|v| (*v, None)).collect());
        if visits.is_empty() {
            return Ok(known);
        }
        let places: Vec<String> = (3..visits.len() + 3).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT v.id, v.case_id, v.status, c.program, \
               EXISTS (SELECT 1 FROM case_team t WHERE t.case_id = c.id AND t.staff_id = $1 AND t.left_at IS NULL), \
               EXISTS (SELECT 1 FROM break_glass g WHERE g.case_id = c.id AND g.staff_id = $1 AND g.expires_at > $2) \
             FROM visits v JOIN cases c ON c.id = v.case_id WHERE v.id IN ({})",
            places.join(", ")
        );
        let mut query = sqlx::query_as(&sql)
            .bind(viewer.id.to_string())
            .bind(Stamp::now());
        for visit in visits {
            query = query.bind(visit.to_string());
        }
        let rows: Vec<(String, String, String, String, bool, bool)> = query
            .fetch_all(&mut *conn)
            .await
            .or_internal("loading visits")?;
        for (visit, case_id, status, program, on_team, glass) in rows {
            let visit: VisitId = visit.parse().or_internal("a stored visit id")?;
            known
                .0
                .insert(visit, Some((case_id, status, program, on_team, glass)));
        }
        Ok(known)
    }

    /// Forgets one visit, whose facts a mutation has changed.
    pub fn forget(&mut self, visit: VisitId) {
        self.0.remove(&visit);
    }

    /// Forgets everything, before a mutation that may change any visit's facts (its team, its
    /// case).
    pub fn forget_all(&mut self) {
        self.0.clear();
    }
}

/// Loads a visit and checks that the viewer may see its case for `purpose`. A visit that does
/// not exist and one the viewer may not see get the same answer, so ids cannot be probed. A
/// refusal is audited on `conn`.
pub async fn visible(
    conn: &mut Conn,
    viewer: &Viewer,
    visit: VisitId,
    purpose: Purpose,
) -> Result<VisibleVisit, AppError> {
    visible_among(conn, viewer, visit, purpose, &mut KnownVisits::default()).await
}

/// [`visible`], reading the visit's facts from `known` when they are there.
pub async fn visible_among(
    conn: &mut Conn,
    viewer: &Viewer,
    visit: VisitId,
    purpose: Purpose,
    known: &mut KnownVisits,
) -> Result<VisibleVisit, AppError> {
    let found = match known.0.get(&visit) {
        Some(facts) => facts.clone(),
        None => KnownVisits::read(conn, viewer, &[visit])
            .await?
            .0
            .remove(&visit)
            .flatten(),
    };
    let allowed = found.and_then(|(case_id, status, program, on_team, glass)| {
        let program = Program::parse(&program).ok()?;
        let glass = glass && purpose == Purpose::Read;
        may_read_case(viewer.role, viewer.supervises, on_team, program, glass)
            .then_some((case_id, status, on_team))
    });
    match allowed {
        Some((case_id, status, on_team)) => Ok(VisibleVisit {
            case_id: case_id
                .parse()
                .map_err(|_| anyhow::anyhow!("malformed case id"))
                .or_internal("reading a visit")?,
            on_team,
            status: VisitStatus::parse(&status)
                .map_err(|_| anyhow::anyhow!("unknown status"))
                .or_internal("reading a visit")?,
        }),
        None => {
            audit::record(
                conn,
                Event {
                    actor: Some(viewer),
                    action: Action::DeniedVisit,
                    case_id: None,
                    record_id: Some(visit.to_string()),
                },
            )
            .await
            .or_internal("auditing a refusal")?;
            tracing::info!(staff = %viewer.id, %visit, "visit refused");
            Err(AppError::NotFound)
        }
    }
}

/// A visit with its case summary and notes, if the viewer may see the case. The read is audited.
async fn detail(db: &Pool, viewer: &Viewer, visit_id: VisitId) -> Result<VisitDetail, AppError> {
    let mut tx = super::super::writes::begin(db)
        .await
        .or_internal("starting a read")?;
    let visible = visible(&mut tx, viewer, visit_id, Purpose::Read).await;
    let visible = match visible {
        Ok(v) => v,
        Err(e) => {
            tx.commit().await.or_internal("committing an audit event")?;
            return Err(e);
        }
    };
    let row = sqlx::query(&format!(
        "SELECT {VISIT_COLS} FROM visits v JOIN cases c ON c.id = v.case_id WHERE v.id = $1"
    ))
    .bind(visit_id.to_string())
    .fetch_one(&mut *tx)
    .await
    .or_internal("loading a visit")?;
    let members = sqlx::query(&format!(
        "SELECT {STAFF_COLS} FROM visit_members vm JOIN staff st ON st.id = vm.staff_id {STAFF_JOIN} \
         WHERE vm.visit_id = $1 ORDER BY st.display_name"
    ))
    .bind(visit_id.to_string())
    .fetch_all(&mut *tx)
    .await
    .or_internal("loading visit members")?
    .iter()
    .map(staff_ref)
    .collect::<anyhow::Result<Vec<_>>>()
    .or_internal("reading visit members")?;
    let visit = visit_from_row(&row, members).or_internal("reading a visit")?;
    let case = case_summary(&mut tx, visible.case_id).await?;
    let notes = notes::of_case(&mut tx, visible.case_id).await?;
    let reviews = notes::reviews_of_case(&mut tx, visible.case_id).await?;
    audit::record(
        &mut tx,
        Event {
            actor: Some(viewer),
            action: Action::ReadVisit,
            case_id: Some(visible.case_id.to_string()),
            record_id: Some(visit_id.to_string()),
        },
    )
    .await
    .or_internal("auditing a read")?;
    tx.commit().await.or_internal("committing a read")?;
    Ok(VisitDetail {
        visit,
        case,
        notes,
        reviews,
    })
}

async fn case_summary(conn: &mut Conn, case_id: CaseId) -> Result<CaseSummary, AppError> {
    let row = sqlx::query(
        "SELECT id, pseudonym, intake_channel, program, risk, status, life_goal, medical_view, welfare_view, opened_on \
         FROM cases WHERE id = $1",
    )
    .bind(case_id.to_string())
    .fetch_one(&mut *conn)
    .await
    .or_internal("loading a case")?;
    let team = sqlx::query(&format!(
        "SELECT {STAFF_COLS} FROM case_team t JOIN staff st ON st.id = t.staff_id {STAFF_JOIN} \
         WHERE t.case_id = $1 AND t.left_at IS NULL ORDER BY t.joined_at, st.display_name"
    ))
    .bind(case_id.to_string())
    .fetch_all(&mut *conn)
    .await
    .or_internal("loading a team")?
    .iter()
    .map(staff_ref)
    .collect::<anyhow::Result<Vec<_>>>()
    .or_internal("reading a team")?;
    let agencies: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT ca.phase, ag.name_ja, ag.name_en FROM case_agencies ca JOIN agencies ag ON ag.id = ca.agency_id \
         WHERE ca.case_id = $1 ORDER BY ag.name_ja",
    )
    .bind(case_id.to_string())
    .fetch_all(&mut *conn)
    .await
    .or_internal("loading agencies involved")?;
    let names = |phase: &str| -> Vec<(String, String)> {
        agencies
            .iter()
            .filter(|(p, _, _)| p == phase)
            .map(|(_, ja, en)| (ja.clone(), en.clone()))
            .collect()
    };
    let status = code(&row, "status", CaseStatus::parse).or_internal("reading a case")?;
    let summary = (|| -> anyhow::Result<CaseSummary> {
        Ok(CaseSummary {
            id: case_id,
            pseudonym: text(&row, "pseudonym")?,
            intake_channel: code(&row, "intake_channel", IntakeChannel::parse)?,
            program: code(&row, "program", Program::parse)?,
            risk: code(&row, "risk", RiskLevel::parse)?,
            status,
            opened_on: text(&row, "opened_on")?.parse()?,
            life_goal: LifeGoal {
                goal: text(&row, "life_goal")?,
                medical_view: text(&row, "medical_view")?,
                welfare_view: text(&row, "welfare_view")?,
            },
            team,
            agencies_at_intake: names("intake"),
            agencies_at_close: (status == CaseStatus::Closed).then(|| names("close")),
        })
    })();
    summary.or_internal("reading a case")
}

/// Opens a visit's case to a supervisor outside its program, with a stated reason, for
/// [`BREAK_GLASS_MINUTES`]; audited on the case, so its own supervisor sees it. Answers with
/// the visit (its read audited too).
pub async fn break_glass(
    db: &Pool,
    viewer: &Viewer,
    visit_id: VisitId,
    reason: &str,
) -> Result<VisitDetail, AppError> {
    if !may_break_glass(viewer.role) {
        return Err(AppError::Forbidden);
    }
    check_break_glass_reason(reason).map_err(|e| AppError::Invalid(vec![e]))?;
    let mut tx = super::super::writes::begin(db)
        .await
        .or_internal("starting a break-glass opening")?;
    let case_id: Option<String> = sqlx::query_scalar("SELECT case_id FROM visits WHERE id = $1")
        .bind(visit_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .or_internal("finding a visit")?;
    let Some(case_id) = case_id else {
        return Err(AppError::NotFound);
    };
    let id = uuid::Uuid::new_v4().to_string();
    let now = chrono::Utc::now();
    sqlx::query(
        "INSERT INTO break_glass (id, staff_id, case_id, reason, opened_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(viewer.id.to_string())
    .bind(&case_id)
    .bind(reason.trim())
    .bind(Stamp::from(now))
    .bind(Stamp::from(
        now + chrono::Duration::minutes(BREAK_GLASS_MINUTES),
    ))
    .execute(&mut *tx)
    .await
    .or_internal("opening a case by break-glass")?;
    audit::record(
        &mut tx,
        Event {
            actor: Some(viewer),
            action: Action::BreakGlass,
            case_id: Some(case_id),
            record_id: Some(id),
        },
    )
    .await
    .or_internal("auditing a break-glass opening")?;
    tx.commit()
        .await
        .or_internal("opening a case by break-glass")?;
    tracing::warn!(staff = %viewer.id, visit = %visit_id, "break-glass opening");
    detail(db, viewer, visit_id).await
}
