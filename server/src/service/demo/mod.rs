//! Demo data mirroring the case study's structure with fictional people: the public health
//! center, the welfare policy division and its 13 consultation desks (はちまるサポート), three
//! hospitals that dispatch staff, five community life support hubs with their cooperating
//! businesses, ten staff, thirty cases over both intake channels, two weeks of visits, some notes.
//!
//! Ids are fixed and every insert skips a row already there (`ON CONFLICT DO NOTHING`) inside one transaction, so loading twice
//! changes nothing. Each case is then logged for devices by the function that logs a case for
//! a newcomer to its team ([`super::sync::log::whole_case`]), in the same transaction: the
//! change log holds the demo as it holds every written record.
//!
//! The tables are in `data`; here, the loader that inserts their rows.

mod data;

use super::auth::hash_passphrase;
use super::{Conn, Pool};
use crate::db::Stamp;
use anyhow::Context;
use app::domain::staff::acting_agency;
use app::domain::visit::japan_time;
use app::domain::{AgencyId, AgencyKind, IntakeChannel, Role};
use chrono::{Days, NaiveDate, TimeZone, Utc};
use data::{
    team, Home, BUSINESSES, CASES, DESK_AREAS, GOALS, HOSPITALS, HUBS, LOGINS, PLACES, STAFF,
};
use uuid::Uuid;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "dekapan-demo-2026";

/// One demo login, printed at start so a person can try the app.
pub struct DemoLogin {
    /// Login name.
    pub login: &'static str,
    /// Role.
    pub role: Role,
    /// Display name.
    pub name: &'static str,
}

/// The demo logins (every one uses [`DEMO_PASSWORD`]).
pub fn logins() -> &'static [DemoLogin] {
    LOGINS
}

fn uid(table: u128, n: usize) -> String {
    Uuid::from_u128(0xdeca_0000_0000_0000_0000_0000_0000_0000 | (table << 32) | n as u128)
        .to_string()
}

/// Agency ids by what they are.
struct Agencies;

impl Agencies {
    fn health_center() -> String {
        uid(1, 0)
    }
    fn welfare_policy() -> String {
        uid(1, 1)
    }
    fn disability() -> String {
        uid(1, 2)
    }
    fn nursing_station() -> String {
        uid(1, 3)
    }
    fn general_support() -> String {
        uid(1, 4)
    }
    fn desk(i: usize) -> String {
        uid(2, i)
    }
    fn hospital(i: usize) -> String {
        uid(3, i)
    }
    fn hub(i: usize) -> String {
        uid(4, i)
    }
    fn business(i: usize) -> String {
        uid(5, i)
    }
}

/// Loads the demo data unless it is already there. Loading twice changes nothing.
/// `today` is the local (Japan) day the visits are planned around. Returns whether it inserted.
pub async fn load(pool: &Pool, today: NaiveDate) -> anyhow::Result<bool> {
    let present: Option<(String,)> = sqlx::query_as("SELECT id FROM staff WHERE login = $1")
        .bind(STAFF[0].0)
        .fetch_optional(pool)
        .await
        .context("checking for demo data")?;
    if present.is_some() {
        return Ok(false);
    }
    let hash = hash_passphrase(STAFF[0].0.into(), DEMO_PASSWORD.into())
        .await
        .context("hashing the demo password")?;
    let mut tx = super::writes::begin(pool)
        .await
        .context("starting the demo load")?;
    agencies(&mut tx).await?;
    staff(&mut tx, &hash).await?;
    cases(&mut tx, today).await?;
    tx.commit().await.context("committing the demo data")?;
    Ok(true)
}

async fn agency(
    conn: &mut Conn,
    id: &str,
    kind: AgencyKind,
    ja: &str,
    en: &str,
    parent: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO agencies (id, kind, name_ja, name_en, parent_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(kind.code())
        .bind(ja)
        .bind(en)
        .bind(parent)
        .execute(conn)
        .await
        .with_context(|| format!("inserting agency {en}"))?;
    Ok(())
}

async fn agencies(conn: &mut Conn) -> anyhow::Result<()> {
    use AgencyKind as K;
    agency(
        conn,
        &Agencies::health_center(),
        K::PublicHealthCenter,
        "八王子市保健所",
        "Hachioji Public Health Center",
        None,
    )
    .await?;
    agency(
        conn,
        &Agencies::welfare_policy(),
        K::WelfarePolicyDivision,
        "福祉政策課",
        "Welfare Policy Division",
        None,
    )
    .await?;
    agency(
        conn,
        &Agencies::disability(),
        K::DisabilityWelfareDivision,
        "障害者福祉課",
        "Disability Welfare Division",
        None,
    )
    .await?;
    agency(
        conn,
        &Agencies::nursing_station(),
        K::VisitingNursingStation,
        "訪問看護ステーション すみれ",
        "Sumire visiting nursing station",
        None,
    )
    .await?;
    agency(
        conn,
        &Agencies::general_support(),
        K::CommunityGeneralSupportCenter,
        "地域包括支援センター 元本郷",
        "Motohongo community general support center",
        None,
    )
    .await?;
    let policy = Agencies::welfare_policy();
    for (i, (ja, en)) in DESK_AREAS.iter().enumerate() {
        let name_ja = format!("はちまるサポート{ja}");
        let name_en = format!("Hachimaru Support {en}");
        agency(
            conn,
            &Agencies::desk(i),
            K::WelfareDesk,
            &name_ja,
            &name_en,
            Some(&policy),
        )
        .await?;
    }
    for (i, (ja, en)) in HOSPITALS.iter().enumerate() {
        agency(
            conn,
            &Agencies::hospital(i),
            K::PsychiatricHospital,
            ja,
            en,
            None,
        )
        .await?;
    }
    let disability = Agencies::disability();
    for (i, (ja, en)) in HUBS.iter().enumerate() {
        agency(
            conn,
            &Agencies::hub(i),
            K::LifeSupportHub,
            ja,
            en,
            Some(&disability),
        )
        .await?;
    }
    for (i, (ja, en, hub, functions)) in BUSINESSES.iter().enumerate() {
        let business = Agencies::business(i);
        agency(
            conn,
            &business,
            K::CooperatingBusiness,
            ja,
            en,
            Some(&Agencies::hub(*hub)),
        )
        .await?;
        for function in *functions {
            sqlx::query("INSERT INTO directory_entries (business_id, hub_id, function, phone, offers, hours) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
                .bind(&business)
                .bind(Agencies::hub(*hub))
                .bind(function.code())
                .bind(format!("042-6{:02}-{:04}", 10 + i, 1200 + i * 37))
                .bind(data::offer(*function))
                .bind(data::hours(functions))
                .execute(&mut *conn)
                .await
                .context("inserting a directory entry")?;
        }
    }
    Ok(())
}

fn home_agency(home: Home) -> (String, AgencyKind) {
    match home {
        Home::HealthCenter => (Agencies::health_center(), AgencyKind::PublicHealthCenter),
        Home::Hospital(i) => (Agencies::hospital(i), AgencyKind::PsychiatricHospital),
        Home::Desk(i) => (Agencies::desk(i), AgencyKind::WelfareDesk),
    }
}

fn staff_id(i: usize) -> String {
    uid(6, i)
}

async fn staff(conn: &mut Conn, hash: &str) -> anyhow::Result<()> {
    let phc: AgencyId = Agencies::health_center().parse()?;
    let now = Stamp::now();
    for (i, (login, name, role, home, supervises)) in STAFF.iter().enumerate() {
        let (home_id, kind) = home_agency(*home);
        let acts_for = acting_agency(*role, home_id.parse()?, kind, phc);
        sqlx::query(
            "INSERT INTO staff (id, login, display_name, role, home_agency_id, acts_for_agency_id, supervises, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .bind(staff_id(i))
        .bind(login)
        .bind(name)
        .bind(role.code())
        .bind(&home_id)
        .bind(acts_for.to_string())
        .bind(supervises)
        .bind(hash)
        .bind(now)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("inserting staff {login}"))?;
    }
    Ok(())
}

fn at_jst(day: NaiveDate, hour: u32, minute: u32) -> chrono::DateTime<Utc> {
    let local = day.and_hms_opt(hour, minute, 0).unwrap_or_default();
    japan_time()
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

async fn cases(conn: &mut Conn, today: NaiveDate) -> anyhow::Result<()> {
    let letters: Vec<char> = ('A'..='Z').chain('a'..='z').collect();
    let now = Stamp::now();
    let mut visit_no = 0;
    let mut logged = Vec::with_capacity(CASES);
    for i in 0..CASES {
        let channel = if i % 3 == 2 {
            IntakeChannel::PublicHealthCenter
        } else {
            IntakeChannel::WelfareDesk
        };
        let intake_agency = match channel {
            IntakeChannel::WelfareDesk => Agencies::desk(i % DESK_AREAS.len()),
            IntakeChannel::PublicHealthCenter => Agencies::health_center(),
        };
        let status = match i {
            25.. => "closed",
            21.. => "intake",
            _ => "active",
        };
        let risk = ["low", "moderate", "moderate", "high", "low"][i % 5];
        let (goal, medical, welfare) = if status == "intake" {
            ("", "", "")
        } else {
            GOALS[i % GOALS.len()]
        };
        let pseudonym = format!(
            "{}さん（{}代・{}）",
            letters[i % letters.len()],
            [30, 40, 50, 60, 70, 20][i % 6],
            if i.is_multiple_of(2) {
                "男性"
            } else {
                "女性"
            }
        );
        let opened = today - Days::new(20 + (i as u64 * 7) % 90);
        let case_id = uid(7, i);
        logged.push(case_id.clone());
        sqlx::query(
            "INSERT INTO cases (id, pseudonym, intake_channel, program, intake_agency_id, risk, status, \
               life_goal, medical_view, welfare_view, opened_on, closed_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
        )
        .bind(&case_id)
        .bind(&pseudonym)
        .bind(channel.code())
        .bind(channel.responsible_program().code())
        .bind(&intake_agency)
        .bind(risk)
        .bind(status)
        .bind(goal)
        .bind(medical)
        .bind(welfare)
        .bind(opened.to_string())
        .bind((status == "closed").then(|| (today - Days::new(3)).to_string()))
        .bind(now)
        .execute(&mut *conn)
        .await
        .context("inserting a case")?;

        let members = team(i, channel);
        for &m in &members {
            sqlx::query(
                "INSERT INTO case_team (case_id, staff_id, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(&case_id)
            .bind(staff_id(m))
            .bind(now)
            .execute(&mut *conn)
            .await
            .context("inserting a team member")?;
        }
        involved_agencies(conn, &case_id, i, &intake_agency, status == "closed").await?;

        if status != "active" {
            continue;
        }
        // Two planned visits in the next two weeks; nurse.sato's first two cases come today.
        for k in 0..2 {
            let (day, hour) = match (i, k) {
                (0, 0) => (today, 10),
                (1, 0) => (today, 14),
                _ => (
                    today + Days::new(((i * 3 + k * 5) % 14) as u64),
                    9 + ((i * 2 + k) % 7) as u32,
                ),
            };
            let assigned = &members[..members.len().min(2)];
            visit(
                conn,
                visit_no,
                &case_id,
                at_jst(day, hour, 0),
                i + k,
                "planned",
                assigned,
            )
            .await?;
            visit_no += 1;
        }
        // One done visit in the past, with a note, for the first ten cases.
        if i < 10 {
            let day = today - Days::new(1 + (i % 9) as u64);
            let start = at_jst(day, 10 + (i % 5) as u32, 30);
            let assigned = &members[..members.len().min(2)];
            let visit_id = visit(conn, visit_no, &case_id, start, i, "done", assigned).await?;
            visit_no += 1;
            note(
                conn,
                i,
                &visit_id,
                &case_id,
                members[0],
                start + chrono::Duration::minutes(75),
            )
            .await?;
        }
    }
    for case_id in &logged {
        super::sync::log::whole_case(conn, case_id).await?;
    }
    Ok(())
}

async fn involved_agencies(
    conn: &mut Conn,
    case_id: &str,
    i: usize,
    intake_agency: &str,
    closed: bool,
) -> anyhow::Result<()> {
    let mut intake = vec![intake_agency.to_owned()];
    if intake_agency != Agencies::health_center() {
        intake.push(Agencies::health_center());
    }
    let mut close = intake.clone();
    // Most closed cases end with more agencies involved than at intake; the last one does not.
    if i != CASES - 1 {
        close.push(Agencies::hospital(i % HOSPITALS.len()));
        close.push(Agencies::hub(i % HUBS.len()));
        if i.is_multiple_of(2) {
            close.push(Agencies::nursing_station());
        }
    }
    let phases: &[(&str, &Vec<String>)] = if closed {
        &[("intake", &intake), ("close", &close)]
    } else {
        &[("intake", &intake)]
    };
    for (phase, list) in phases {
        for agency_id in list.iter() {
            sqlx::query(
                "INSERT INTO case_agencies (case_id, phase, agency_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(case_id)
            .bind(phase)
            .bind(agency_id)
            .execute(&mut *conn)
            .await
            .context("inserting agencies involved")?;
        }
    }
    Ok(())
}

async fn visit(
    conn: &mut Conn,
    n: usize,
    case_id: &str,
    starts_at: chrono::DateTime<Utc>,
    place: usize,
    status: &str,
    members: &[usize],
) -> anyhow::Result<String> {
    let id = uid(8, n);
    sqlx::query("INSERT INTO visits (id, case_id, starts_at, ends_at, place, status) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
        .bind(&id)
        .bind(case_id)
        .bind(Stamp::from(starts_at))
        .bind(Stamp::from(starts_at + chrono::Duration::minutes(75)))
        .bind(format!("{} {}", DESK_AREAS[place % DESK_AREAS.len()].0, PLACES[place % PLACES.len()]))
        .bind(status)
        .execute(&mut *conn)
        .await
        .context("inserting a visit")?;
    for &m in members {
        sqlx::query(
            "INSERT INTO visit_members (visit_id, staff_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(staff_id(m))
        .execute(&mut *conn)
        .await
        .context("inserting a visit member")?;
    }
    Ok(id)
}

async fn note(
    conn: &mut Conn,
    i: usize,
    visit_id: &str,
    case_id: &str,
    author: usize,
    recorded_at: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    let id = uid(9, i);
    let acts_for: (String,) = sqlx::query_as("SELECT acts_for_agency_id FROM staff WHERE id = $1")
        .bind(staff_id(author))
        .fetch_one(&mut *conn)
        .await
        .context("loading an author's agency")?;
    sqlx::query("INSERT INTO notes (id, visit_id, case_id, author_id, acting_agency_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
        .bind(&id)
        .bind(visit_id)
        .bind(case_id)
        .bind(staff_id(author))
        .bind(acts_for.0)
        .bind(Stamp::from(recorded_at))
        .execute(&mut *conn)
        .await
        .context("inserting a note")?;
    sqlx::query(
        "INSERT INTO note_revisions (note_id, revision, amends, author_id, met, met_with, mental_state, medication, \
           daily_living, risks, agreed, next_steps, free_text, recorded_at, received_at) \
         VALUES ($1, 1, NULL, $2, TRUE, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(staff_id(author))
    .bind(["本人", "本人と母", "本人と姉"][i % 3])
    .bind(["落ち着いて会話ができた", "やや不安が強く、表情が硬い", "疲れている様子だが受け答えは明瞭"][i % 3])
    .bind(["内服は続けている", "先週から飲み忘れがある", "受診を中断している"][i % 3])
    .bind(["食事は一日二回", "日中は横になっていることが多い", "買い物は週一回"][i % 3])
    .bind(["特になし", "夜間の不眠が続く", "金銭管理に不安"][i % 3])
    .bind(["次回は一緒に散歩する", "受診に同行する", "はちまるサポートで面談する"][i % 3])
    .bind(["来週再訪", "主治医と情報共有", "拠点の相談窓口を紹介"][i % 3])
    .bind("（デモの記録）")
    .bind(Stamp::from(recorded_at))
    .bind(Stamp::from(recorded_at + chrono::Duration::minutes(20)))
    .execute(&mut *conn)
    .await
    .context("inserting a note revision")?;
    Ok(())
}
