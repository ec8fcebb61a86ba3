//! What the benchmarks share: real server processes (the benchmark program started again with
//! `--serve`) over a fresh SQLite file or PostgreSQL database, signed-in clients, demo visits and
//! a realistic note.

use app::domain::{NoteFields, VisitId};
use leptos::prelude::LeptosOptions;
use reqwest::Client;
use server::{config::Config, Application};
use sqlx::Connection;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use uuid::Uuid;

pub struct Bench {
    /// Every server process's address.
    pub bases: Vec<String>,
    pub db: server::db::Pool,
    processes: Vec<Child>,
    _dir: tempfile::TempDir,
    /// The PostgreSQL server and the database made for this run, dropped at the end.
    postgres: Option<(String, String)>,
}

impl Bench {
    /// The server a device talks to.
    pub fn base(&self, device: usize) -> &str {
        &self.bases[device % self.bases.len()]
    }

    /// Stops the servers and drops the database made for the run.
    pub async fn stop(mut self) {
        for process in &mut self.processes {
            let _ = process.kill();
            let _ = process.wait();
        }
        self.db.close().await;
        if let Some((admin, name)) = self.postgres.take() {
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .expect("dropping the bench database");
        }
    }
}

/// Serves when this program was started as a server (`--serve URL`); says whether it was.
pub async fn serve_if_asked() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, url] if flag == "--serve" => {
            serve(url.clone()).await;
            true
        }
        _ => false,
    }
}

/// This machine's cores, for the figures' heading.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// `--serve URL`: one server process over the database at `URL`, saying its port.
async fn serve(url: String) {
    let config = Config::from_lookup(|name| match name {
        "DEKAPAN_DATABASE_URL" => Some(url.clone()),
        "DEKAPAN_ADDR" => Some("127.0.0.1:0".to_owned()),
        _ => None,
    })
    .expect("configuration");
    let leptos = LeptosOptions::builder()
        .output_name("dekapan")
        .site_root("target/site")
        .build();
    let app = Application::build(config, leptos)
        .await
        .expect("the server starts");
    println!("serving on {}", app.port());
    app.run_until_stopped().await.expect("serving");
}

/// Starts `processes` servers over a fresh database of the given kind.
pub async fn server(postgres: Option<&str>, processes: usize) -> Bench {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (url, made) = match postgres {
        None => (
            format!("sqlite://{}/bench.sqlite?mode=rwc", dir.path().display()),
            None,
        ),
        Some(admin) => {
            let name = format!("dekapan_bench_{}", Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(admin)
                .await
                .expect("PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("a bench database");
            let (server, _) = admin.rsplit_once('/').expect("a URL naming a database");
            (format!("{server}/{name}"), Some((admin.to_owned(), name)))
        }
    };
    let mut children = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..processes {
        let mut child = Command::new(std::env::current_exe().expect("this program"))
            .args(["--serve", &url])
            .stdout(Stdio::piped())
            .spawn()
            .expect("a server process");
        let mut lines = BufReader::new(child.stdout.take().expect("its output")).lines();
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("serving on ").map(str::to_owned))
            .expect("the server says its port");
        std::thread::spawn(move || lines.for_each(drop));
        bases.push(format!("http://127.0.0.1:{port}"));
        children.push(child);
    }
    let db = server::db::connect(&url, Duration::from_secs(5))
        .await
        .expect("the bench database");
    Bench {
        bases,
        db,
        processes: children,
        _dir: dir,
        postgres: made,
    }
}

/// A client signed in as `login` on the first server.
pub async fn login(bench: &Bench, login: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .build()
        .expect("a client");
    let res = client
        .post(format!("{}/api/login", bench.base(0)))
        .form(&[
            ("login", login),
            ("password", server::sqlite::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    assert!(res.status().is_success());
    client
}

/// The first visit of the staff member `login`.
pub async fn a_visit_of(bench: &Bench, login: &str) -> VisitId {
    let id: String = server::on_db!(bench.db, |db| sqlx::query_scalar(
        "SELECT v.id FROM visits v JOIN visit_members vm ON vm.visit_id = v.id JOIN staff s ON s.id = vm.staff_id \
         WHERE s.login = $1 ORDER BY v.starts_at LIMIT 1",
    )
    .bind(login)
    .fetch_one(db).await)
    .expect("a visit");
    id.parse().expect("an id")
}

/// What a realistic note says, numbered `n`.
pub fn note_fields(n: usize) -> NoteFields {
    NoteFields {
        met: true,
        met_with: "本人と母".into(),
        mental_state: "表情は穏やかで、睡眠も取れていると話す".into(),
        medication: "内服は継続できている".into(),
        daily_living: "食事は一日二回、買い物は母が同行".into(),
        risks: "特になし".into(),
        agreed: "来週の受診に同行する".into(),
        next_steps: format!("受診予約の確認（{n}）"),
        free_text: "玄関先で20分ほど話した。次回は散歩に誘う。".into(),
    }
}
