//! The request decoders fed random and mangled bodies: the sync endpoints and the server
//! functions answer every body with a 2xx or a clear 4xx, never a 5xx or a dropped connection,
//! and a refused body writes nothing. Proptest shrinks a failing body to a small one and
//! prints it.

use super::accounts::agency_of_kind;
use crate::helpers::{spawn_app, TestApp};
use crate::sync::note_fields;
use app::domain::{NoteId, VisitId};
use app::sync::{ClientId, Mutation, Op, PushRequest, PROTOCOL_VERSION};
use chrono::Utc;
use proptest::prelude::*;
use reqwest::{Client, StatusCode};
use std::sync::{Mutex, OnceLock};
use tokio::runtime::Runtime;
use uuid::Uuid;

/// One server for every case: a runtime that outlives each case keeps it serving.
struct Fixture {
    runtime: Runtime,
    /// One case at a time: a case that writes must not make another's refusal look written.
    turn: Mutex<()>,
    app: TestApp,
    nurse: Client,
    visit: String,
    admin: Client,
    /// A hospital, which a new account may belong to.
    hospital: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let (app, nurse, visit, admin, hospital) = runtime.block_on(async {
            let app = spawn_app().await;
            let nurse = app.signed_in_client("nurse.sato").await;
            let visit = app.first_visit_of("nurse.sato").await;
            let admin = app.signed_in_client("admin.yoshida").await;
            let hospital = agency_of_kind(&app, "psychiatric_hospital").await;
            (app, nurse, visit, admin, hospital)
        });
        Fixture {
            runtime,
            turn: Mutex::new(()),
            app,
            nurse,
            visit,
            admin,
            hospital,
        }
    })
}

/// A well-formed push of one new note, as JSON text: the seed that mangling starts from.
fn valid_push(visit: &str) -> String {
    let request = PushRequest {
        protocol_version: PROTOCOL_VERSION,
        client_id: ClientId(Uuid::new_v4()),
        mutations: vec![Mutation {
            id: 1,
            recorded_at: Utc::now(),
            op: Op::CreateNote {
                note_id: NoteId(Uuid::new_v4()),
                visit_id: visit.parse::<VisitId>().expect("a visit id"),
                fields: note_fields("来週再訪"),
            },
        }],
        database: None,
        skip_to: None,
    };
    serde_json::to_string(&request).expect("JSON")
}

/// The form fields of a new account that an administrator may open: the seed that spoiling
/// starts from.
fn account_form(hospital: &str) -> Vec<(&'static str, String)> {
    vec![
        ("account[login]", "psw.nakamura".into()),
        ("account[display_name]", "中村 彩".into()),
        ("account[role]", "psychiatric_staff".into()),
        ("account[home_agency]", hospital.to_owned()),
        ("account[supervises]", "model_program".into()),
    ]
}

/// One way of spoiling a body.
#[derive(Debug, Clone)]
enum Mangle {
    /// Cut it off after this share of its length (per mille).
    Truncate(u16),
    /// Overwrite the byte at this share of its length.
    Overwrite(u16, u8),
    /// Put this text in at this share of its length.
    Insert(u16, String),
    /// Replace the value of this key everywhere with this JSON.
    Replace(&'static str, String),
}

fn at(body: &[u8], share: u16) -> usize {
    body.len() * usize::from(share.min(1000)) / 1000
}

fn apply(body: &mut Vec<u8>, mangle: &Mangle) {
    match mangle {
        Mangle::Truncate(share) => body.truncate(at(body, *share)),
        Mangle::Overwrite(share, byte) => {
            let i = at(body, *share).min(body.len().saturating_sub(1));
            if let Some(b) = body.get_mut(i) {
                *b = *byte;
            }
        }
        Mangle::Insert(share, text) => {
            let i = at(body, *share);
            body.splice(i..i, text.bytes());
        }
        Mangle::Replace(key, json) => {
            let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) else {
                return;
            };
            replace(&mut value, key, json);
            *body = serde_json::to_vec(&value).expect("JSON");
        }
    }
}

fn replace(value: &mut serde_json::Value, key: &str, json: &str) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == key {
                    *v = serde_json::from_str(json).unwrap_or(serde_json::Value::Null);
                } else {
                    replace(v, key, json);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| replace(v, key, json)),
        _ => {}
    }
}

const KEYS: &[&str] = &[
    "protocol_version",
    "client_id",
    "mutations",
    "id",
    "recorded_at",
    "op",
    "kind",
    "note_id",
    "visit_id",
    "fields",
    "met",
    "next_steps",
];

const ODD_VALUES: &[&str] = &[
    "null",
    "-1",
    "18446744073709551616",
    "1e308",
    "\"\"",
    "\"00000000-0000-0000-0000-000000000000\"",
    "[]",
    "{}",
    "true",
    "\"\\u0000\"",
    "\"' OR 1=1 --\"",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
];

fn mangle() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        (0u16..=1000).prop_map(Mangle::Truncate),
        (0u16..=1000, any::<u8>()).prop_map(|(s, b)| Mangle::Overwrite(s, b)),
        (0u16..=1000, "[\\[\\]{}\",:0-9a-z\\\\ ]{1,12}").prop_map(|(s, t)| Mangle::Insert(s, t)),
        (
            proptest::sample::select(KEYS),
            proptest::sample::select(ODD_VALUES)
        )
            .prop_map(|(k, v)| Mangle::Replace(k, v.to_owned())),
    ]
}

impl Fixture {
    /// Posts `body` to `path` as `client` (the nurse by default), alone, and checks the answer.
    fn check(&self, client: Option<&Client>, path: &str, body: Vec<u8>, form: bool) {
        let _turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
        let client = client.unwrap_or(&self.nurse);
        self.runtime
            .block_on(check(&self.app, client, path, body, form));
    }
}

/// What a body may write: the change log of case data, and the staff accounts.
const WRITTEN: &str = "SELECT (SELECT COUNT(*) FROM change_log) + (SELECT COUNT(*) FROM staff)";

/// Posts `body` to `path` and checks the answer: 2xx or a 4xx with a body; when refused,
/// nothing was written.
async fn check(app: &TestApp, client: &Client, path: &str, body: Vec<u8>, form: bool) {
    let before = app.count(WRITTEN).await;
    let res = client
        .post(format!("{}{path}", app.base))
        .header(
            "Content-Type",
            if form {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            },
        )
        .header("Accept", "application/json")
        .body(body)
        .send()
        .await
        .expect("the server answers every body");
    let status = res.status();
    let text = res.text().await.expect("a body");
    assert!(
        status.is_success() || status.is_client_error(),
        "{path} answered {status}: {text:.300}"
    );
    if status.is_client_error() {
        assert!(!text.trim().is_empty(), "{path}: a refusal says why");
        let after = app.count(WRITTEN).await;
        assert_eq!(after, before, "{path}: a refused body wrote nothing");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn a_mangled_push_is_answered_without_a_server_error(
        mangles in proptest::collection::vec(mangle(), 1..4)
    ) {
        let f = fixture();
        let mut body = valid_push(&f.visit).into_bytes();
        for m in &mangles {
            apply(&mut body, m);
        }
        f.check(None, "/sync/push", body, false);
    }

    #[test]
    fn random_bytes_to_a_pull_are_answered_without_a_server_error(
        body in proptest::collection::vec(any::<u8>(), 0..256)
    ) {
        let f = fixture();
        f.check(None, "/sync/pull", body, false);
    }

    #[test]
    fn a_mangled_account_form_is_answered_without_a_server_error(
        drop in proptest::collection::vec(any::<bool>(), 5),
        odd in proptest::sample::select(&["", "%", "%ZZ", "true", "\u{0}", "account[", "]]"][..]),
        at in 0usize..5,
    ) {
        let f = fixture();
        let mut form: Vec<(String, String)> = account_form(&f.hospital)
            .into_iter()
            .zip(&drop)
            .filter(|(_, d)| !**d)
            .map(|((k, v), _)| (k.to_owned(), v))
            .collect();
        if let Some(field) = form.get_mut(at) {
            field.1 = odd.to_owned();
        }
        let body = Client::new()
            .post(&f.app.base)
            .form(&form)
            .build()
            .ok()
            .and_then(|r| r.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec))
            .expect("a form body");
        // Some of these forms are complete and open an account; the rest must be refused alone.
        f.check(Some(&f.admin), "/api/create_account", body, true);
    }

    #[test]
    fn random_bytes_to_the_login_are_answered_without_a_server_error(
        body in proptest::collection::vec(any::<u8>(), 0..256)
    ) {
        let f = fixture();
        let anonymous = crate::helpers::new_client();
        f.check(Some(&anonymous), "/api/login", body, true);
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_writes_nothing() {
    let app = spawn_app().await;
    let nurse = app.signed_in_client("nurse.sato").await;
    let before = app.count("SELECT COUNT(*) FROM change_log").await;
    let huge = format!("{{\"padding\":\"{}\"}}", "あ".repeat(3 << 20));
    for path in ["/sync/push", "/sync/pull", "/api/create_account"] {
        let res = nurse
            .post(format!("{}{path}", app.base))
            .header("Content-Type", "application/json")
            .body(huge.clone())
            .send()
            .await
            .expect("the server answers");
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM change_log").await, before);
}
