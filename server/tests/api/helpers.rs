//! Spawning a server and calling it.

use app::api::AppError;
use leptos::prelude::LeptosOptions;
use reqwest::{Client, Response, StatusCode};
use server::config::Config;
use server::db::{Kind, Pool};
use server::Application;
use sqlx::Connection;
use tempfile::TempDir;

/// The password of every demo account.
pub const PASSWORD: &str = server::sqlite::demo::DEMO_PASSWORD;

/// A running server with its own database, and a browser-like client with a cookie jar.
pub struct TestApp {
    pub base: String,
    pub db: Pool,
    pub client: Client,
    server: tokio::task::JoinHandle<()>,
    /// Further servers over the same database, as further processes behind a load balancer:
    /// their addresses and tasks.
    others: Vec<(String, tokio::task::JoinHandle<()>, Pool)>,
    database: TestDatabase,
}

/// A fresh, empty database for one test, of the kind the run asks for: a SQLite file in a
/// temporary folder by default, or with `DEKAPAN_TEST_DATABASE=postgres` a database of its own
/// on the PostgreSQL server at `DEKAPAN_TEST_POSTGRES_URL`, dropped when the test ends.
pub struct TestDatabase {
    /// The URL a server opens it with.
    pub url: String,
    _dir: TempDir,
    postgres: Option<(String, String)>,
}

/// Whether this run's tests use PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("DEKAPAN_TEST_DATABASE").is_ok_and(|kind| kind == "postgres")
}

impl TestDatabase {
    /// Creates one of the kind this run tests.
    pub async fn new() -> Self {
        Self::of(if on_postgres() {
            Kind::Postgres
        } else {
            Kind::Sqlite
        })
        .await
    }

    /// Creates one of the given kind.
    pub async fn of(kind: Kind) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        if kind == Kind::Sqlite {
            return Self {
                url: format!("sqlite://{}/dekapan.sqlite?mode=rwc", dir.path().display()),
                _dir: dir,
                postgres: None,
            };
        }
        let admin = std::env::var("DEKAPAN_TEST_POSTGRES_URL").expect(
            "tests on PostgreSQL need DEKAPAN_TEST_POSTGRES_URL: a PostgreSQL URL whose role may \
             create databases (.ci/setup makes one)",
        );
        let name = format!("dekapan_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("the test PostgreSQL server answers");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("a test database");
        // A commit need not wait for the disk in a test (a killed server loses nothing by it:
        // PostgreSQL itself keeps running), which makes the suite several times faster.
        sqlx::query(&format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        ))
        .execute(&mut conn)
        .await
        .expect("a test database's settings");
        let _ = conn.close().await;
        let (server, _) = admin.rsplit_once('/').expect("a URL naming a database");
        Self {
            url: format!("{server}/{name}"),
            _dir: dir,
            postgres: Some((admin, name)),
        }
    }
}

impl TestDatabase {
    /// Cuts every connection to a PostgreSQL test database, as a server process's exit does.
    /// A server run inside the test process cannot exit, and its closed pool may still hold a
    /// connection being opened as it closed.
    pub async fn cut_connections(&self) {
        let Some((admin, name)) = &self.postgres else {
            return;
        };
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .expect("the test PostgreSQL server answers");
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .execute(&mut conn)
        .await
        .expect("cutting a test database's connections");
        let _ = conn.close().await;
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Dropping runs outside any runtime's async context: a thread of its own does it.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await else {
                    return;
                };
                // A server of the test may still be connecting as it stops: try again a while.
                for _ in 0..20 {
                    let dropped =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                    if dropped.is_ok() {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            });
        })
        .join();
    }
}

/// Starts a server on a free port over a new database file loaded with the demo data.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts a server as [`spawn_app`] does, with some settings (`DEKAPAN_…` variables) given.
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    spawn_app_over(TestDatabase::new().await, settings).await
}

/// Starts a server over a database of the given kind, whatever this run tests.
pub async fn spawn_app_on(kind: Kind) -> TestApp {
    spawn_app_over(TestDatabase::of(kind).await, &[]).await
}

pub async fn spawn_app_over(database: TestDatabase, settings: &[(&str, &str)]) -> TestApp {
    // The server's own log, shown for a failing test when RUST_LOG asks for it.
    if let Ok(filter) = std::env::var("RUST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
    let settings: Vec<(String, String)> = settings
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let (base, db, server) = start_server(&database.url, &settings).await;
    TestApp {
        base,
        db,
        client: new_client(),
        server,
        others: Vec::new(),
        database,
    }
}

/// Closes a stopped server's pool until it holds no connection. A pool closed while it is
/// opening its minimum connection can take that connection in afterwards (sqlx 0.8); left
/// open, it keeps a SQLite database busy as a live process would, and a restore refuses it.
async fn close_fully(db: &Pool) {
    for _ in 0..50 {
        let _ = tokio::time::timeout(std::time::Duration::from_millis(200), db.close()).await;
        if db.connections().0 == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

impl TestApp {
    /// Stops the server and starts a new one over the same database file, on a new port, as
    /// after a restart. Sessions and data survive; requests in flight are cut off.
    pub async fn restart(&mut self) {
        self.server.abort();
        let (base, db, server) = start_server(&self.database.url, &[]).await;
        self.base = base;
        self.server = server;
        // The killed server's connections go at once, as a dead process's would.
        close_fully(&std::mem::replace(&mut self.db, db)).await;
    }

    /// Stops every server over the database and closes their connections, as stopping the
    /// service would.
    pub async fn stop(&mut self) {
        self.server.abort();
        for (_, server, db) in self.others.drain(..) {
            server.abort();
            close_fully(&db).await;
        }
        close_fully(&self.db).await;
        self.cut_connections().await;
    }

    /// Cuts every connection to the test's database (PostgreSQL), as the servers' exit would.
    pub async fn cut_connections(&self) {
        self.database.cut_connections().await;
    }

    /// Starts the first server again over the database, after [`Self::stop`].
    pub async fn start(&mut self) {
        let (base, db, server) = start_server(&self.database.url, &[]).await;
        self.base = base;
        self.server = server;
        self.db = db;
    }

    /// Starts one more server over the same database; returns its number (the first is 0).
    pub async fn add_instance(&mut self) -> usize {
        let (base, db, server) = start_server(&self.database.url, &[]).await;
        self.others.push((base, server, db));
        self.others.len()
    }

    /// What `/health` answers: its status and body.
    pub async fn health(&self) -> (StatusCode, serde_json::Value) {
        let res = self
            .client
            .get(format!("{}/health", self.base))
            .send()
            .await
            .expect("the server answers");
        (res.status(), res.json().await.expect("a JSON body"))
    }

    /// The URL of the test's database.
    pub fn database_url(&self) -> &str {
        &self.database.url
    }

    /// How many servers run over the database.
    pub fn instances(&self) -> usize {
        1 + self.others.len()
    }

    /// Kills server `n` at once (requests in flight are cut off) and starts it again on a new
    /// port.
    pub async fn restart_instance(&mut self, n: usize) {
        if n == 0 {
            return self.restart().await;
        }
        self.others[n - 1].1.abort();
        let (base, db, server) = start_server(&self.database.url, &[]).await;
        let (_, _, old) = std::mem::replace(&mut self.others[n - 1], (base, server, db));
        close_fully(&old).await;
    }

    /// The address of server `n`.
    pub fn base_of(&self, n: usize) -> &str {
        match n {
            0 => &self.base,
            n => &self.others[n - 1].0,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        for (_, server, _) in &self.others {
            server.abort();
        }
    }
}

async fn start_server(
    url: &str,
    settings: &[(String, String)],
) -> (String, Pool, tokio::task::JoinHandle<()>) {
    let url = url.to_owned();
    let config = Config::from_lookup(|name| match name {
        "DEKAPAN_DATABASE_URL" => Some(url.clone()),
        "DEKAPAN_ADDR" => Some("127.0.0.1:0".to_owned()),
        // Tests run side by side, each with servers of its own, on one PostgreSQL server.
        "DEKAPAN_DATABASE_CONNECTIONS" => Some("4".to_owned()),
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
        server::on_db!(self.db, |db| sqlx::query_scalar(sql).fetch_one(db).await).expect(sql)
    }

    /// The first of a staff member's visits today or later, by login.
    pub async fn first_visit_of(&self, login: &str) -> String {
        first_visit_on(&self.db, login).await
    }

    /// A visit of a model-program case whose team does not include `login`.
    pub async fn visit_outside_team_of(&self, login: &str) -> String {
        server::on_db!(self.db, |db| sqlx::query_scalar(
            "SELECT v.id FROM visits v JOIN cases c ON c.id = v.case_id \
             WHERE c.program = 'model_program' AND NOT EXISTS ( \
               SELECT 1 FROM case_team t JOIN staff s ON s.id = t.staff_id \
               WHERE t.case_id = c.id AND s.login = $1) \
             ORDER BY v.starts_at LIMIT 1",
        )
        .bind(login)
        .fetch_one(db)
        .await)
        .expect("the demo has a case outside this user's team")
    }
}

/// Reads a server function's error body.
pub async fn error_of(res: Response) -> AppError {
    let text = res.text().await.expect("a body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("an AppError body, got {text:?}: {e}"))
}

impl TestApp {
    /// Posts a JSON body to a sync endpoint from a given client.
    pub async fn sync_as<T: serde::Serialize>(
        &self,
        client: &Client,
        endpoint: &str,
        body: &T,
    ) -> Response {
        self.sync_on(0, client, endpoint, body).await
    }

    /// Posts a JSON body to a sync endpoint of server `n`.
    pub async fn sync_on<T: serde::Serialize>(
        &self,
        n: usize,
        client: &Client,
        endpoint: &str,
        body: &T,
    ) -> Response {
        client
            .post(format!("{}/sync/{endpoint}", self.base_of(n)))
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

    /// The server's calls over this test's database, made directly as another process would.
    pub fn backend(&self) -> app::api::SharedBackend {
        let config =
            std::sync::Arc::new(Config::from_lookup(|_| None).expect("the default settings"));
        server::on_db!(
            self.db,
            |db, rules| std::sync::Arc::new(rules::backend::Service::new(
                db.clone(),
                config.clone()
            )) as app::api::SharedBackend
        )
    }

    /// People, agencies and the directory, as `client`'s device holds them to name what its
    /// records refer to.
    pub async fn reference(&self, client: &Client) -> app::sync::Reference {
        self.call_as(client, "reference", &[])
            .await
            .json()
            .await
            .expect("reference data")
    }

    /// A staff member's id by login, typed.
    pub async fn staff(&self, login: &str) -> app::domain::StaffId {
        self.staff_id(login).await.parse().expect("a staff id")
    }

    /// A staff member's id by login.
    pub async fn staff_id(&self, login: &str) -> String {
        server::on_db!(self.db, |db| sqlx::query_scalar(
            "SELECT id FROM staff WHERE login = $1"
        )
        .bind(login)
        .fetch_one(db)
        .await)
        .expect("a demo login")
    }

    /// The case of a visit.
    pub async fn case_of_visit(&self, visit_id: &str) -> String {
        server::on_db!(self.db, |db| sqlx::query_scalar(
            "SELECT case_id FROM visits WHERE id = $1"
        )
        .bind(visit_id)
        .fetch_one(db)
        .await)
        .expect("a visit")
    }
}

/// The real server binary on a free port over `db_url`, with more settings; returns the process
/// and its address. Every line it printed before saying where it runs is passed to `said`.
pub fn start_process_saying(
    db_url: &str,
    settings: &[(&str, &str)],
    mut said: impl FnMut(&str),
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DEKAPAN_DATABASE_URL", db_url)
        .env("DEKAPAN_ADDR", "127.0.0.1:0")
        .env("LEPTOS_OUTPUT_NAME", "dekapan")
        .env("RUST_LOG", "warn")
        .envs(settings.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let stdout = child.stdout.take().expect("its output");
    let mut lines = BufReader::new(stdout).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            said(&line);
            line.split_once("running on ")
                .map(|(_, url)| url.trim().to_owned())
        })
        .expect("the server says where it runs");
    // Keep reading its output so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, base)
}

/// [`start_process_saying`], not listening to what it says.
pub fn start_process(db_url: &str, settings: &[(&str, &str)]) -> (std::process::Child, String) {
    start_process_saying(db_url, settings, |_| {})
}

/// A client signed in as `login` on the server at `base`.
pub async fn sign_in_at(base: &str, login: &str) -> Client {
    let client = new_client();
    let res = client
        .post(format!("{base}/api/login"))
        .form(&[("login", login), ("password", PASSWORD)])
        .send()
        .await
        .expect("the server answers");
    assert_eq!(res.status(), StatusCode::OK);
    client
}

/// The first of a staff member's planned visits today or later, by login, in the database of a
/// server of either kind (a test's own or a real process's).
pub async fn first_visit_on(db: &Pool, login: &str) -> String {
    server::on_db!(db, |db| sqlx::query_scalar(
        "SELECT v.id FROM visits v JOIN visit_members vm ON vm.visit_id = v.id \
         JOIN staff s ON s.id = vm.staff_id \
         WHERE s.login = $1 AND v.status = 'planned' AND v.ends_at >= $2 \
         ORDER BY v.starts_at LIMIT 1",
    )
    .bind(login)
    .bind(server::db::Stamp::now())
    .fetch_one(db)
    .await)
    .expect("the demo gives this user a planned visit")
}
