//! The need-to-know matrix: every role × every endpoint that touches case data × a case of
//! the user's own (a case whose team they are on; for a supervisor, a case of the program they
//! supervise) and a foreign one. A user reaches a case only through its team or as a supervisor
//! of the case's program; administrators manage accounts and never read case data; a visitor
//! who is not signed in is refused with 401.
//!
//! Reading goes through sync, as in the app: the rows of the pull and of the visit list look at
//! what a new device shows once it has pulled everything its user may see.
//!
//! The table is data and one loop checks every cell against one server, so a single run names
//! every wrong cell.

use crate::helpers::{new_client, spawn_app, TestApp};
use crate::sync::{note_fields, pull_all};
use app::api::{AppError, AuditEntry, DeviceHealth, VisitDetail};
use app::domain::indicators::Indicators;
use app::domain::visit::local_day;
use app::domain::{CaseId, NoteId, RiskLevel, StaffId, VisitId};
use app::sync::{
    CaseField, ClientId, FieldEdit, Mutation, MutationOutcome, Op, PullRequest, PullResponse,
    PushRequest, PushResponse, Reference, RejectReason, Replica, SyncError, PROTOCOL_VERSION,
};
use chrono::{Duration, Utc};
use reqwest::{Client, Response, StatusCode};
use serde::de::DeserializeOwned;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Role {
    /// A public health nurse.
    Nurse,
    /// A psychiatric staff member dispatched by a hospital.
    Psw,
    /// A community social worker of a welfare desk.
    Csw,
    /// The model program's supervisor: own case, a case of the program; foreign case, one of
    /// the health center's, for which this is the supervisor of another program.
    ModelSupervisor,
    /// The health center's supervisor, the other way round.
    CenterSupervisor,
    /// The administrator.
    Admin,
    /// Nobody signed in.
    SignedOut,
}

const ROLES: [Role; 7] = [
    Role::Nurse,
    Role::Psw,
    Role::Csw,
    Role::ModelSupervisor,
    Role::CenterSupervisor,
    Role::Admin,
    Role::SignedOut,
];

impl Role {
    fn login(self) -> Option<&'static str> {
        match self {
            Role::Nurse => Some("nurse.sato"),
            Role::Psw => Some("psw.suzuki"),
            Role::Csw => Some("csw.takahashi"),
            Role::ModelSupervisor => Some("supervisor.kobayashi"),
            Role::CenterSupervisor => Some("supervisor.kato"),
            Role::Admin => Some("admin.yoshida"),
            Role::SignedOut => None,
        }
    }
}

/// What is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Endpoint {
    /// A push of a new note on the case's visit.
    WriteNote,
    /// A pull from the start, then the device's list of its user's visits.
    VisitList,
    Indicators,
    SyncHealth,
    /// A push of an edit of the case's life goal.
    Push,
    /// A push suggesting a directory listing to the case team.
    Suggest,
    /// A pull from the start, then the device's page of the case's visit: shown with the
    /// case's note, or nothing of the case held.
    Pull,
    NotesCsv,
    VisitsCsv,
    IndicatorsCsv,
    AuditTrail,
    AuditCsv,
    /// A break-glass opening with a reason; last in the table, since it opens what it reaches.
    BreakGlass,
}

/// Whose case the request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Whose {
    Own,
    Foreign,
}

/// What the user meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Answered, with the case in the answer (or for a write: written).
    Shown,
    /// Answered, with nothing of the case in it.
    Hidden,
    /// A push answered with the mutation rejected as if the case did not exist, and nothing
    /// written.
    Rejected,
    /// A push answered with the mutation rejected as not the user's to make, on a case they may
    /// read; nothing written.
    ReadOnly,
    /// Refused as a whole with this status (and the error that goes with it); nothing written.
    Refused(StatusCode),
}

use Outcome::{Hidden, ReadOnly, Rejected, Shown};
const UNAUTHENTICATED: Outcome = Outcome::Refused(StatusCode::UNAUTHORIZED);
const FORBIDDEN: Outcome = Outcome::Refused(StatusCode::FORBIDDEN);

/// One role's expected answers: (role, own case, foreign case).
type Cell = (Role, Outcome, Outcome);

/// The expected answer per endpoint and role.
#[rustfmt::skip]
const MATRIX: &[(Endpoint, [Cell; 7])] = &[
    // Field staff write notes on their teams' visits; supervisors read them and write none.
    (Endpoint::WriteNote, [
        (Role::Nurse,            Shown,           Rejected),
        (Role::Psw,              Shown,           Rejected),
        (Role::Csw,              Shown,           Rejected),
        (Role::ModelSupervisor,  ReadOnly,        Rejected),
        (Role::CenterSupervisor, ReadOnly,        Rejected),
        (Role::Admin,            Rejected,        Rejected),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    // Only the visits one is assigned to: supervisors and administrators go on none.
    (Endpoint::VisitList, [
        (Role::Nurse,            Shown,           Hidden),
        (Role::Psw,              Shown,           Hidden),
        (Role::Csw,              Shown,           Hidden),
        (Role::ModelSupervisor,  Hidden,          Hidden),
        (Role::CenterSupervisor, Hidden,          Hidden),
        (Role::Admin,            Hidden,          Hidden),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    (Endpoint::Indicators, [
        (Role::Nurse,            FORBIDDEN,       FORBIDDEN),
        (Role::Psw,              FORBIDDEN,       FORBIDDEN),
        (Role::Csw,              FORBIDDEN,       FORBIDDEN),
        (Role::ModelSupervisor,  Shown,           Hidden),
        (Role::CenterSupervisor, Shown,           Hidden),
        (Role::Admin,            FORBIDDEN,       FORBIDDEN),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    (Endpoint::SyncHealth, [
        (Role::Nurse,            FORBIDDEN,       FORBIDDEN),
        (Role::Psw,              FORBIDDEN,       FORBIDDEN),
        (Role::Csw,              FORBIDDEN,       FORBIDDEN),
        (Role::ModelSupervisor,  Shown,           Hidden),
        (Role::CenterSupervisor, Shown,           Hidden),
        (Role::Admin,            FORBIDDEN,       FORBIDDEN),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    (Endpoint::Push, [
        (Role::Nurse,            Shown,           Rejected),
        (Role::Psw,              Shown,           Rejected),
        (Role::Csw,              Shown,           Rejected),
        (Role::ModelSupervisor,  Shown,           Rejected),
        (Role::CenterSupervisor, Shown,           Rejected),
        (Role::Admin,            Rejected,        Rejected),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    // Suggesting a business of the directory is a write like any other: the team's, and the
    // program's supervisor's.
    (Endpoint::Suggest, [
        (Role::Nurse,            Shown,           Rejected),
        (Role::Psw,              Shown,           Rejected),
        (Role::Csw,              Shown,           Rejected),
        (Role::ModelSupervisor,  Shown,           Rejected),
        (Role::CenterSupervisor, Shown,           Rejected),
        (Role::Admin,            Rejected,        Rejected),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    // The team reads its cases and their notes, and a supervisor the program's.
    (Endpoint::Pull, [
        (Role::Nurse,            Shown,           Hidden),
        (Role::Psw,              Shown,           Hidden),
        (Role::Csw,              Shown,           Hidden),
        (Role::ModelSupervisor,  Shown,           Hidden),
        (Role::CenterSupervisor, Shown,           Hidden),
        (Role::Admin,            Hidden,          Hidden),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    (Endpoint::NotesCsv, [
        (Role::Nurse,            FORBIDDEN,       FORBIDDEN),
        (Role::Psw,              FORBIDDEN,       FORBIDDEN),
        (Role::Csw,              FORBIDDEN,       FORBIDDEN),
        (Role::ModelSupervisor,  Shown,           Hidden),
        (Role::CenterSupervisor, Shown,           Hidden),
        (Role::Admin,            FORBIDDEN,       FORBIDDEN),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    (Endpoint::VisitsCsv, [
        (Role::Nurse,            FORBIDDEN,       FORBIDDEN),
        (Role::Psw,              FORBIDDEN,       FORBIDDEN),
        (Role::Csw,              FORBIDDEN,       FORBIDDEN),
        (Role::ModelSupervisor,  Shown,           Hidden),
        (Role::CenterSupervisor, Shown,           Hidden),
        (Role::Admin,            FORBIDDEN,       FORBIDDEN),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    (Endpoint::IndicatorsCsv, [
        (Role::Nurse,            FORBIDDEN,       FORBIDDEN),
        (Role::Psw,              FORBIDDEN,       FORBIDDEN),
        (Role::Csw,              FORBIDDEN,       FORBIDDEN),
        (Role::ModelSupervisor,  Shown,           Hidden),
        (Role::CenterSupervisor, Shown,           Hidden),
        (Role::Admin,            FORBIDDEN,       FORBIDDEN),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    (Endpoint::AuditTrail, [
        (Role::Nurse,            FORBIDDEN,       FORBIDDEN),
        (Role::Psw,              FORBIDDEN,       FORBIDDEN),
        (Role::Csw,              FORBIDDEN,       FORBIDDEN),
        (Role::ModelSupervisor,  Shown,           Hidden),
        (Role::CenterSupervisor, Shown,           Hidden),
        (Role::Admin,            FORBIDDEN,       FORBIDDEN),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    (Endpoint::AuditCsv, [
        (Role::Nurse,            FORBIDDEN,       FORBIDDEN),
        (Role::Psw,              FORBIDDEN,       FORBIDDEN),
        (Role::Csw,              FORBIDDEN,       FORBIDDEN),
        (Role::ModelSupervisor,  Shown,           Hidden),
        (Role::CenterSupervisor, Shown,           Hidden),
        (Role::Admin,            FORBIDDEN,       FORBIDDEN),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
    // Supervisors may open any case in an emergency, with a reason; nobody else.
    (Endpoint::BreakGlass, [
        (Role::Nurse,            FORBIDDEN,       FORBIDDEN),
        (Role::Psw,              FORBIDDEN,       FORBIDDEN),
        (Role::Csw,              FORBIDDEN,       FORBIDDEN),
        (Role::ModelSupervisor,  Shown,           Shown),
        (Role::CenterSupervisor, Shown,           Shown),
        (Role::Admin,            FORBIDDEN,       FORBIDDEN),
        (Role::SignedOut,        UNAUTHENTICATED, UNAUTHENTICATED),
    ]),
];

/// One cell of the matrix.
#[derive(Debug, Clone, Copy)]
struct Row {
    role: Role,
    endpoint: Endpoint,
    whose: Whose,
    expected: Outcome,
}

fn rows() -> Vec<Row> {
    MATRIX
        .iter()
        .flat_map(|(endpoint, cells)| {
            cells.iter().flat_map(move |&(role, own, foreign)| {
                [(Whose::Own, own), (Whose::Foreign, foreign)].map(|(whose, expected)| Row {
                    role,
                    endpoint: *endpoint,
                    whose,
                    expected,
                })
            })
        })
        .collect()
}

/// A case made for the matrix, with what shows that an answer holds it.
struct Case {
    id: CaseId,
    visit: VisitId,
    pseudonym: &'static str,
    /// A device of a team member who works on no case of the other program, so that it is
    /// listed in the sync health of this case's program only.
    device: ClientId,
}

/// Three closed cases, each with a visit today and a note on it:
/// - `team`: the model program's, with the nurse, the PSW and the social worker on its team;
/// - `beside`: the model program's too, with none of them on it;
/// - `center`: the health center's.
struct Cases {
    team: Case,
    beside: Case,
    center: Case,
}

impl Cases {
    fn of(&self, role: Role, whose: Whose) -> &Case {
        use Role::*;
        match (role, whose) {
            (Nurse | Psw | Csw | ModelSupervisor | Admin | SignedOut, Whose::Own) => &self.team,
            (Nurse | Psw | Csw | SignedOut, Whose::Foreign) => &self.beside,
            (ModelSupervisor | Admin, Whose::Foreign) => &self.center,
            (CenterSupervisor, Whose::Own) => &self.center,
            (CenterSupervisor, Whose::Foreign) => &self.team,
        }
    }
}

fn device() -> ClientId {
    ClientId(Uuid::new_v4())
}

/// The first push of `device`: `ops`, numbered from 1.
fn push_request(device: ClientId, ops: Vec<Op>) -> PushRequest {
    PushRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id: device,
        mutations: ops
            .into_iter()
            .zip(1..)
            .map(|(op, id)| Mutation {
                id,
                recorded_at: Utc::now(),
                op,
            })
            .collect(),
        database: None,
        skip_to: None,
    }
}

/// Pushes `ops` from a new device and checks that each applied.
async fn push_from(app: &TestApp, client: &Client, device: ClientId, ops: Vec<Op>) {
    let request = push_request(device, ops);
    let res = app.sync_as(client, "push", &request).await;
    assert_eq!(res.status(), StatusCode::OK);
    let response: PushResponse = res.json().await.expect("a push response");
    assert!(
        response
            .outcomes
            .iter()
            .all(|o| matches!(o, MutationOutcome::Applied { .. })),
        "{response:?}"
    );
}

/// Registers a consultation from `opener`'s new device, plans a visit now with `members`, has
/// the opener record a note on it, and closes the case.
async fn open_case(
    app: &TestApp,
    opener: &Client,
    pseudonym: &'static str,
    members: Vec<StaffId>,
) -> Case {
    let (id, visit, device) = (CaseId(Uuid::new_v4()), VisitId(Uuid::new_v4()), device());
    let starts_at = Utc::now();
    let ops = vec![
        Op::OpenCase {
            case_id: id,
            pseudonym: pseudonym.into(),
            risk: RiskLevel::Moderate,
            agencies: vec![],
        },
        Op::PlanVisit {
            visit_id: visit,
            case_id: id,
            starts_at,
            ends_at: starts_at + Duration::hours(1),
            place: "自宅".into(),
            members,
        },
        Op::CreateNote {
            note_id: NoteId(Uuid::new_v4()),
            visit_id: visit,
            fields: note_fields("来週再訪"),
        },
        Op::EditCase {
            case_id: id,
            edit: FieldEdit {
                field: CaseField::Status,
                value: "closed".into(),
                base_version: 0,
            },
        },
    ];
    push_from(app, opener, device, ops).await;
    Case {
        id,
        visit,
        pseudonym,
        device,
    }
}

/// The matrix's cases. The dispatched doctor leaves every model-program team first, so that
/// his device belongs to the health center's program alone.
async fn cases(app: &TestApp, clients: &HashMap<Role, Client>) -> Cases {
    let takahashi = &clients[&Role::Csw];
    let team_members = vec![
        app.staff("csw.takahashi").await,
        app.staff("nurse.sato").await,
        app.staff("psw.suzuki").await,
    ];
    let team = open_case(app, takahashi, "照合チームさん", team_members).await;

    let watanabe = app.signed_in_client("csw.watanabe").await;
    let members = vec![app.staff("csw.watanabe").await];
    let beside = open_case(app, &watanabe, "照合となりさん", members).await;

    let ito = app.staff("doctor.ito").await;
    let model_cases: Vec<String> = server::on_db!(app.db, |db| sqlx::query_scalar(
        "SELECT t.case_id FROM case_team t JOIN cases c ON c.id = t.case_id \
         WHERE c.program = 'model_program' AND t.staff_id = $1 AND t.left_at IS NULL",
    )
    .bind(ito.to_string())
    .fetch_all(db)
    .await)
    .expect("the doctor's cases");
    let leaves = model_cases
        .iter()
        .map(|case| Op::LeaveTeam {
            case_id: case.parse().expect("a case id"),
            staff_id: ito,
        })
        .collect();
    push_from(app, &clients[&Role::ModelSupervisor], device(), leaves).await;
    let tanaka = app.signed_in_client("nurse.tanaka").await;
    let members = vec![app.staff("nurse.tanaka").await, ito];
    let mut center = open_case(app, &tanaka, "照合保健所さん", members).await;
    let doctor = app.signed_in_client("doctor.ito").await;
    center.device = device();
    let res = app
        .sync_as(&doctor, "pull", &pull_request(center.device, 0))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the doctor's device registers"
    );

    // The evidence for sync health holds only if these people stay within one program.
    for (login, program) in [
        ("csw.takahashi", "public_health_center"),
        ("csw.watanabe", "public_health_center"),
        ("doctor.ito", "model_program"),
    ] {
        let teams = app
            .count(&format!(
                "SELECT COUNT(*) FROM case_team t JOIN cases c ON c.id = t.case_id \
                 JOIN staff s ON s.id = t.staff_id \
                 WHERE s.login = '{login}' AND c.program = '{program}' AND t.left_at IS NULL"
            ))
            .await;
        assert_eq!(teams, 0, "{login} works on no {program} case");
    }
    Cases {
        team,
        beside,
        center,
    }
}

fn pull_request(client_id: ClientId, cursor: u64) -> PullRequest {
    PullRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id,
        cursor,
        pending_since: None,
        database: None,
    }
}

/// A server function's answer: its value, or a refusal that carries the error going with its
/// status.
async fn server_fn<T: DeserializeOwned>(res: Response) -> Result<Result<T, Outcome>, String> {
    let status = res.status();
    let text = res.text().await.map_err(|e| format!("no body: {e}"))?;
    if status == StatusCode::OK {
        return serde_json::from_str(&text)
            .map(Ok)
            .map_err(|e| format!("200 with an unreadable body ({e}): {text:.200}"));
    }
    let error: AppError = serde_json::from_str(&text)
        .map_err(|e| format!("{status} without an AppError ({e}): {text:.200}"))?;
    let fits = match status {
        StatusCode::UNAUTHORIZED => error == AppError::Unauthenticated,
        StatusCode::FORBIDDEN => error == AppError::Forbidden,
        StatusCode::NOT_FOUND => error == AppError::NotFound,
        _ => false,
    };
    if !fits {
        return Err(format!("{status} carrying {error:?}"));
    }
    Ok(Err(Outcome::Refused(status)))
}

/// A sync endpoint's answer: its value, or a refusal that carries the error going with its
/// status.
async fn sync_answer<T: DeserializeOwned>(res: Response) -> Result<Result<T, Outcome>, String> {
    let status = res.status();
    let text = res.text().await.map_err(|e| format!("no body: {e}"))?;
    if status == StatusCode::OK {
        return serde_json::from_str(&text)
            .map(Ok)
            .map_err(|e| format!("200 with an unreadable body ({e}): {text:.200}"));
    }
    match serde_json::from_str::<SyncError>(&text) {
        Ok(SyncError::Unauthenticated) if status == StatusCode::UNAUTHORIZED => {
            Ok(Err(Outcome::Refused(status)))
        }
        other => Err(format!("{status} carrying {other:?}")),
    }
}

fn shown(found: bool) -> Outcome {
    if found {
        Shown
    } else {
        Hidden
    }
}

/// Everything the loop needs: one server, one signed-in client per role and who they are
/// (nobody's id for the signed-out visitor), the reference data devices name people with, the
/// cases.
struct Matrix {
    app: TestApp,
    clients: HashMap<Role, Client>,
    people: HashMap<Role, StaffId>,
    reference: Reference,
    cases: Cases,
}

impl Matrix {
    /// Asks as `role` about `case` at `endpoint` and says what came of it; an answer that fits
    /// no outcome (a wrong error, an unreadable body, a refusal that wrote anyway) is an error.
    async fn observe(
        &self,
        role: Role,
        endpoint: Endpoint,
        case: &Case,
        n: usize,
    ) -> Result<Outcome, String> {
        let (app, client) = (&self.app, &self.clients[&role]);
        let today = local_day(Utc::now()).to_string();
        let visit = case.visit.to_string();
        match endpoint {
            Endpoint::WriteNote => self.write_note(client, case).await,
            Endpoint::VisitList => Ok(match self.pulled(role).await? {
                Ok(device) => {
                    let today = local_day(Utc::now());
                    let visits = device.my_visits(self.people[&role], today, &self.reference);
                    shown(visits.iter().any(|v| v.case_id == case.id))
                }
                Err(refused) => refused,
            }),
            Endpoint::Indicators => {
                let res = app
                    .call_as(client, "indicators", &[("from", &today), ("to", &today)])
                    .await;
                Ok(match server_fn::<Indicators>(res).await? {
                    Ok(figures) => {
                        shown(figures.closed.iter().any(|c| c.pseudonym == case.pseudonym))
                    }
                    Err(refused) => refused,
                })
            }
            Endpoint::SyncHealth => {
                let res = app.call_as(client, "sync_health", &[]).await;
                let device = case.device.0.to_string();
                Ok(match server_fn::<Vec<DeviceHealth>>(res).await? {
                    Ok(devices) => shown(devices.iter().any(|d| d.client_id == device)),
                    Err(refused) => refused,
                })
            }
            Endpoint::Push => self.edit_case(client, case, n).await,
            Endpoint::Suggest => self.suggest(client, case).await,
            Endpoint::Pull => Ok(match self.pulled(role).await? {
                Ok(device) => {
                    let held = device.records.values().any(|c| c.case_id == case.id);
                    let me = self.people[&role];
                    match device.local_visit(case.visit, me, &self.reference) {
                        Some(page) if page.case.id == case.id && !page.notes.is_empty() => Shown,
                        None if !held => Hidden,
                        Some(page) => {
                            return Err(format!(
                                "a page of case {} with {} notes",
                                page.case.id,
                                page.notes.len()
                            ))
                        }
                        None => return Err("the case's records without its visit's page".into()),
                    }
                }
                Err(refused) => refused,
            }),
            Endpoint::BreakGlass => {
                let reason = "夜間の緊急連絡で、担当外のケースを確認する必要がある";
                let res = app
                    .call_as(
                        client,
                        "break_glass",
                        &[("visit_id", &visit), ("reason", reason)],
                    )
                    .await;
                Ok(match server_fn::<VisitDetail>(res).await? {
                    Ok(detail) if detail.case.id == case.id => Shown,
                    Ok(detail) => return Err(format!("answered with case {}", detail.case.id)),
                    Err(refused) => refused,
                })
            }
            Endpoint::AuditTrail => {
                let res = app
                    .call_as(client, "audit_trail", &[("from", &today), ("to", &today)])
                    .await;
                Ok(match server_fn::<Vec<AuditEntry>>(res).await? {
                    Ok(events) => shown(
                        events
                            .iter()
                            .any(|e| e.pseudonym.as_deref() == Some(case.pseudonym)),
                    ),
                    Err(refused) => refused,
                })
            }
            Endpoint::NotesCsv
            | Endpoint::VisitsCsv
            | Endpoint::IndicatorsCsv
            | Endpoint::AuditCsv => {
                let file = match endpoint {
                    Endpoint::NotesCsv => "notes.csv",
                    Endpoint::VisitsCsv => "visits.csv",
                    Endpoint::AuditCsv => "audit.csv",
                    _ => "indicators.csv",
                };
                let res = client
                    .get(format!("{}/export/{file}", app.base))
                    .send()
                    .await
                    .map_err(|e| format!("no answer: {e}"))?;
                let status = res.status();
                let text = res.text().await.map_err(|e| format!("no body: {e}"))?;
                Ok(match status {
                    StatusCode::OK => shown(text.contains(case.pseudonym)),
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Outcome::Refused(status),
                    _ => return Err(format!("{status}: {text:.200}")),
                })
            }
        }
    }

    /// A new device of `role`'s user that has pulled from the start, or the refusal.
    async fn pulled(&self, role: Role) -> Result<Result<Replica, Outcome>, String> {
        let (app, client) = (&self.app, &self.clients[&role]);
        let mut replica = crate::sync::device();
        let res = app.sync_as(client, "pull", &replica.pull_request()).await;
        let page = match sync_answer::<PullResponse>(res).await? {
            Ok(page) => page,
            Err(refused) => return Ok(Err(refused)),
        };
        let more = page.more;
        replica.on_pull(page);
        if more {
            pull_all(app, client, &mut replica).await;
        }
        Ok(Ok(replica))
    }

    /// Pushes an edit of the case's life goal, made on the field's current version.
    async fn edit_case(&self, client: &Client, case: &Case, n: usize) -> Result<Outcome, String> {
        let version = self
            .app
            .count(&format!(
                "SELECT COALESCE(MAX(version), 0) FROM field_versions \
                 WHERE entity = 'case' AND entity_id = '{}' AND field = 'life_goal'",
                case.id
            ))
            .await;
        let value = format!("照合の行 {n}");
        let edit = Op::EditCase {
            case_id: case.id,
            edit: FieldEdit {
                field: CaseField::LifeGoal,
                value: value.clone(),
                base_version: version as u64,
            },
        };
        let holds = format!(
            "SELECT COUNT(*) FROM cases WHERE id = '{}' AND life_goal = '{value}'",
            case.id
        );
        self.push(client, case, edit, &holds).await
    }

    /// Pushes a suggestion of the directory's first listing to the case team.
    async fn suggest(&self, client: &Client, case: &Case) -> Result<Outcome, String> {
        let entry = self.reference.directory.first().ok_or("no directory")?;
        let suggestion_id = Uuid::new_v4();
        let op = Op::SuggestListing {
            suggestion_id,
            case_id: case.id,
            business: entry.business,
            hub: entry.hub,
        };
        let holds = format!("SELECT COUNT(*) FROM case_suggestions WHERE id = '{suggestion_id}'");
        self.push(client, case, op, &holds).await
    }

    /// Pushes a new note on the case's visit.
    async fn write_note(&self, client: &Client, case: &Case) -> Result<Outcome, String> {
        let note_id = NoteId(Uuid::new_v4());
        let note = Op::CreateNote {
            note_id,
            visit_id: case.visit,
            fields: note_fields("照合の記録"),
        };
        let holds = format!("SELECT COUNT(*) FROM notes WHERE id = '{note_id}'");
        self.push(client, case, note, &holds).await
    }

    /// Pushes `op` about `case` from a new device and says what came of it; `holds` counts 1
    /// once the change is written.
    async fn push(
        &self,
        client: &Client,
        case: &Case,
        op: Op,
        holds: &str,
    ) -> Result<Outcome, String> {
        let app = &self.app;
        let request = push_request(device(), vec![op]);
        let logged = format!(
            "SELECT COUNT(*) FROM change_log WHERE case_id = '{}'",
            case.id
        );
        let before = app.count(&logged).await;
        let res = app.sync_as(client, "push", &request).await;
        let answer = sync_answer::<PushResponse>(res).await?;
        let (logged, held) = (app.count(&logged).await - before, app.count(holds).await);
        let outcomes = match answer {
            Ok(response) => response.outcomes,
            Err(refused) if logged == 0 && held == 0 => return Ok(refused),
            Err(refused) => return Err(format!("{refused:?}, yet the change was written")),
        };
        let written = logged > 0 || held > 0;
        match &outcomes[..] {
            [MutationOutcome::Applied { .. }] if held == 1 && logged > 0 => Ok(Shown),
            // Refused as if the case did not exist, so a refusal does not reveal that it does.
            [MutationOutcome::Rejected {
                reason: RejectReason::NotFound,
                ..
            }] if !written => Ok(Rejected),
            [MutationOutcome::Rejected {
                reason: RejectReason::Forbidden,
                ..
            }] if !written => Ok(ReadOnly),
            _ => Err(format!(
                "{outcomes:?}; the change is held: {held}; change log entries: {logged}"
            )),
        }
    }
}

#[tokio::test]
async fn every_role_reaches_exactly_the_cases_it_needs_to_know() {
    let rows = rows();
    let cells: BTreeSet<(Role, Endpoint, Whose)> =
        rows.iter().map(|r| (r.role, r.endpoint, r.whose)).collect();
    assert_eq!(cells.len(), rows.len(), "no cell twice");
    assert_eq!(
        rows.len(),
        ROLES.len() * MATRIX.len() * 2,
        "every role in every block"
    );

    let app = spawn_app().await;
    let mut clients = HashMap::new();
    for role in ROLES {
        let client = match role.login() {
            Some(login) => app.signed_in_client(login).await,
            None => new_client(),
        };
        clients.insert(role, client);
    }
    let mut people = HashMap::new();
    for role in ROLES {
        let id = match role.login() {
            Some(login) => app.staff(login).await,
            None => StaffId(Uuid::new_v4()),
        };
        people.insert(role, id);
    }
    let reference = app.reference(&clients[&Role::Nurse]).await;
    let cases = cases(&app, &clients).await;
    let matrix = Matrix {
        app,
        clients,
        people,
        reference,
        cases,
    };

    let mut failures = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        let case = matrix.cases.of(row.role, row.whose);
        let seen = matrix.observe(row.role, row.endpoint, case, n).await;
        if seen.as_ref() != Ok(&row.expected) {
            failures.push(format!(
                "{:?} × {:?} × {:?} case ({}): expected {:?}, got {}",
                row.role,
                row.endpoint,
                row.whose,
                case.pseudonym,
                row.expected,
                match seen {
                    Ok(outcome) => format!("{outcome:?}"),
                    Err(problem) => problem,
                }
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cells are wrong:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
