//! Spawning a server and calling it.

use app::api::AppError;
use leptos::prelude::LeptosOptions;
use reqwest::{Client, Response, StatusCode};
use server::config::Config;
use server::Application;
use sqlx::SqlitePool;
use tempfile::TempDir;

/// The password of every demo account.
pub const PASSWORD: &str = server::demo::DEMO_PASSWORD;

/// A running server with its own database, and a browser-like client with a cookie jar.
pub struct TestApp {
    pub base: String,
    pub db: SqlitePool,
    pub client: Client,
    dir: TempDir,
    server: tokio::task::JoinHandle<()>,
}

/// Starts a server on a free port over a new database file loaded with the demo data.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts a server as [`spawn_app`] does, with some settings (`DEKAPAN_…` variables) given.
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let settings: Vec<(String, String)> = settings
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let (base, db, server) = start_server(&dir, &settings).await;
    TestApp {
        base,
        db,
        client: new_client(),
        dir,
        server,
    }
}

impl TestApp {
    /// Stops the server and starts a new one over the same database file, on a new port, as
    /// after a restart. Sessions and data survive; requests in flight are cut off.
    pub async fn restart(&mut self) {
        self.server.abort();
        let (base, db, server) = start_server(&self.dir, &[]).await;
        self.base = base;
        self.db = db;
        self.server = server;
    }
}

async fn start_server(
    dir: &TempDir,
    settings: &[(String, String)],
) -> (String, SqlitePool, tokio::task::JoinHandle<()>) {
    let url = format!("sqlite://{}/dekapan.sqlite?mode=rwc", dir.path().display());
    let config = Config::from_lookup(|name| match name {
        "DEKAPAN_DATABASE_URL" => Some(url.clone()),
        "DEKAPAN_ADDR" => Some("127.0.0.1:0".to_owned()),
        _ => settings
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone()),
    })
    .expect("test configuration");
    let leptos = LeptosOptions::builder()
        .output_name("dekapan")
        .site_root("target/site")
        .build();
    let app = Application::build(config, leptos)
        .await
        .expect("the server starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let server = tokio::spawn(async move {
        let _ = app.run_until_stopped().await;
    });
    (base, db, server)
}

/// A client with its own cookie jar, like a second browser.
pub fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

impl TestApp {
    /// Calls a server function with form fields, as an `ActionForm` does.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        self.call_as(&self.client, endpoint, form).await
    }

    /// Calls a server function from a given client.
    pub async fn call_as(
        &self,
        client: &Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Response {
        client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("the server answers")
    }

    /// Signs in as a demo user and checks it worked.
    pub async fn login(&self, login: &str) {
        let res = self.login_as(&self.client, login, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "{login} signs in");
    }

    /// Signs `client` in with a login and password, answered as the server did.
    pub async fn login_as(&self, client: &Client, login: &str, password: &str) -> Response {
        self.call_as(client, "login", &[("login", login), ("password", password)])
            .await
    }

    /// Who `client` is signed in as, if anyone.
    pub async fn whoami(&self, client: &Client) -> Option<app::api::Viewer> {
        let res = self.call_as(client, "whoami", &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("a viewer or none")
    }

    /// A single number from the database.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db)
            .await
            .expect(sql)
    }

    /// The first of a staff member's visits today or later, by login.
    pub async fn first_visit_of(&self, login: &str) -> String {
        sqlx::query_scalar(
            "SELECT v.id FROM visits v JOIN visit_members vm ON vm.visit_id = v.id \
             JOIN staff s ON s.id = vm.staff_id \
             WHERE s.login = ? AND v.status = 'planned' AND v.ends_at >= strftime('%Y-%m-%dT%H:%M:%SZ','now') \
             ORDER BY v.starts_at LIMIT 1",
        )
        .bind(login)
        .fetch_one(&self.db)
        .await
        .expect("the demo gives this user a planned visit")
    }

    /// A visit of a model-program case whose team does not include `login`.
    pub async fn visit_outside_team_of(&self, login: &str) -> String {
        sqlx::query_scalar(
            "SELECT v.id FROM visits v JOIN cases c ON c.id = v.case_id \
             WHERE c.program = 'model_program' AND NOT EXISTS ( \
               SELECT 1 FROM case_team t JOIN staff s ON s.id = t.staff_id \
               WHERE t.case_id = c.id AND s.login = ?) \
             ORDER BY v.starts_at LIMIT 1",
        )
        .bind(login)
        .fetch_one(&self.db)
        .await
        .expect("the demo has a case outside this user's team")
    }
}

/// Reads a server function's error body.
pub async fn error_of(res: Response) -> AppError {
    let text = res.text().await.expect("a body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("an AppError body, got {text:?}: {e}"))
}

/// The form fields of a complete note about `visit_id`.
pub fn complete_note(visit_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("visit_id", visit_id.to_owned()),
        ("note[met]", "true".into()),
        ("note[met_with]", "本人と母".into()),
        (
            "note[mental_state]",
            "表情は穏やか。睡眠は取れている".into(),
        ),
        ("note[medication]", "服薬継続中".into()),
        ("note[daily_living]", "買い物は母が同行".into()),
        ("note[risks]", "特になし".into()),
        ("note[agreed]", "来週の受診に同行する".into()),
        ("note[next_steps]", "受診予約の確認".into()),
        ("note[free_text]", "玄関先で20分話した".into()),
    ]
}

/// Borrows a field list for [`TestApp::call`].
pub fn fields<'a>(list: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    list.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

impl TestApp {
    /// Posts a JSON body to a sync endpoint from a given client.
    pub async fn sync_as<T: serde::Serialize>(
        &self,
        client: &Client,
        endpoint: &str,
        body: &T,
    ) -> Response {
        client
            .post(format!("{}/sync/{endpoint}", self.base))
            .json(body)
            .send()
            .await
            .expect("the server answers")
    }

    /// A client signed in as a demo user.
    pub async fn signed_in_client(&self, login: &str) -> Client {
        let client = new_client();
        let res = self.login_as(&client, login, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "{login} signs in");
        client
    }

    /// A staff member's id by login.
    pub async fn staff_id(&self, login: &str) -> String {
        sqlx::query_scalar("SELECT id FROM staff WHERE login = ?")
            .bind(login)
            .fetch_one(&self.db)
            .await
            .expect("a demo login")
    }

    /// The case of a visit.
    pub async fn case_of_visit(&self, visit_id: &str) -> String {
        sqlx::query_scalar("SELECT case_id FROM visits WHERE id = ?")
            .bind(visit_id)
            .fetch_one(&self.db)
            .await
            .expect("a visit")
    }
}
