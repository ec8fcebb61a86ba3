//! The facts behind a program's indicators, read for its supervisor; the figures themselves
//! are worked out by `app::domain::indicators`, where they are unit-tested.

use super::super::audit::Action;
use super::super::Pool;
use super::OrInternal;
use app::api::{AppError, Viewer};
use app::domain::indicators::{CaseFacts, Indicators, Period, VisitFacts};
use app::domain::visit::local_day;
use app::domain::{AgencyId, IntakeChannel, Program};
use chrono::NaiveDate;
use sqlx::Row;
use std::collections::BTreeMap;

fn day(text: &str) -> anyhow::Result<NaiveDate> {
    Ok(text.parse()?)
}

fn local(at: crate::db::Stamp) -> NaiveDate {
    local_day(at.time())
}

/// The indicators of the viewer's program over `period`. Supervisors only.
pub async fn load(db: &Pool, viewer: &Viewer, period: Period) -> Result<Indicators, AppError> {
    let program = viewer.supervised_program().ok_or(AppError::Forbidden)?;
    let mut tx = super::audited_read(db, viewer, Action::ReadIndicators).await?;
    let rows = sqlx::query(
        "SELECT c.id, c.pseudonym, c.intake_channel, c.program, c.opened_on, c.status, c.closed_on, \
           (SELECT MIN(v.starts_at) FROM visits v WHERE v.case_id = c.id AND v.status = 'done') AS first_visit, \
           (SELECT COUNT(*) FROM case_agencies a WHERE a.case_id = c.id AND a.phase = 'intake') AS at_intake, \
           (SELECT COUNT(*) FROM case_agencies a WHERE a.case_id = c.id AND a.phase = 'close') AS at_close \
         FROM cases c WHERE c.program = $1",
    )
    .bind(program.code())
    .fetch_all(&mut *tx)
    .await
    .or_internal("reading cases for indicators")?;
    let cases = rows
        .iter()
        .map(|row| -> anyhow::Result<CaseFacts> {
            let closed: Option<String> = row.try_get("closed_on")?;
            let status: String = row.try_get("status")?;
            let first: Option<crate::db::Stamp> = row.try_get("first_visit")?;
            Ok(CaseFacts {
                channel: IntakeChannel::parse(&row.try_get::<String, _>("intake_channel")?)
                    .map_err(|_| anyhow::anyhow!("a stored channel"))?,
                program: Program::parse(&row.try_get::<String, _>("program")?)
                    .map_err(|_| anyhow::anyhow!("a stored program"))?,
                opened_on: day(&row.try_get::<String, _>("opened_on")?)?,
                first_visit_on: first.map(local),
                closed_on: match (status.as_str(), closed) {
                    ("closed", Some(d)) => Some(day(&d)?),
                    _ => None,
                },
                pseudonym: row.try_get("pseudonym")?,
                agencies_at_intake: row.try_get::<i64, _>("at_intake")? as usize,
                agencies_at_close: row.try_get::<i64, _>("at_close")? as usize,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .or_internal("reading cases for indicators")?;
    let members: Vec<(String, crate::db::Stamp, String)> = sqlx::query_as(
        "SELECT v.id, v.starts_at, s.acts_for_agency_id FROM visits v \
         JOIN cases c ON c.id = v.case_id JOIN visit_members m ON m.visit_id = v.id \
         JOIN staff s ON s.id = m.staff_id WHERE c.program = $1 AND v.status = 'done'",
    )
    .bind(program.code())
    .fetch_all(&mut *tx)
    .await
    .or_internal("reading visits for indicators")?;
    let mut visits: BTreeMap<String, VisitFacts> = BTreeMap::new();
    for (visit, starts_at, agency) in members {
        let agency: AgencyId = agency.parse().or_internal("a stored agency id")?;
        let day = local(starts_at);
        visits
            .entry(visit)
            .or_insert_with(|| VisitFacts {
                day,
                agencies: Default::default(),
            })
            .agencies
            .insert(agency);
    }
    tx.commit().await.or_internal("ending a read")?;
    let visits: Vec<VisitFacts> = visits.into_values().collect();
    Ok(Indicators::compute(period, &cases, &visits))
}

/// The devices of everyone on the viewer's program's case teams: those with the oldest unsent
/// change first, then the longest silent. Supervisors only.
pub async fn sync_health(
    db: &Pool,
    viewer: &Viewer,
) -> Result<Vec<app::api::DeviceHealth>, AppError> {
    let program = viewer.supervised_program().ok_or(AppError::Forbidden)?;
    let devices = devices(db, Some(program)).await?;
    Ok(devices.into_iter().map(|(_, device)| device).collect())
}

/// Devices with their user's staff id: of the people on `program`'s case teams, or everyone's;
/// those with the oldest unsent change first, then the longest silent.
pub(crate) async fn devices(
    db: &Pool,
    program: Option<Program>,
) -> Result<Vec<(String, app::api::DeviceHealth)>, AppError> {
    type DeviceRow = (
        String,
        String,
        String,
        String,
        String,
        crate::db::Stamp,
        Option<crate::db::Stamp>,
        bool,
    );
    let rows: Vec<DeviceRow> = sqlx::query_as(
        "SELECT d.staff_id, d.client_id, s.display_name, a.name_ja, a.name_en, d.last_contact_at, \
           d.pending_since, d.revoked_at IS NOT NULL \
         FROM sync_clients d JOIN staff s ON s.id = d.staff_id JOIN agencies a ON a.id = s.acts_for_agency_id \
         WHERE $1 IS NULL OR d.staff_id IN (SELECT t.staff_id FROM case_team t JOIN cases c ON c.id = t.case_id \
           WHERE c.program = $1 AND t.left_at IS NULL) \
         ORDER BY d.pending_since IS NULL, d.pending_since, d.last_contact_at, d.client_id",
    )
    .bind(program.map(Program::code))
    .fetch_all(db)
    .await
    .or_internal("reading device health")?;
    Ok(rows
        .into_iter()
        .map(
            |(staff_id, client_id, staff, ja, en, contact, pending, revoked)| {
                let device = app::api::DeviceHealth {
                    client_id,
                    staff,
                    agency: (ja, en),
                    last_contact_at: contact.time(),
                    pending_since: pending.map(crate::db::Stamp::time),
                    revoked,
                };
                (staff_id, device)
            },
        )
        .collect())
}
