//! Starts the Dekapan server: config → database → app → serve.

use anyhow::Context;
use leptos::config::get_configuration;
use server::sqlite::demo;
use server::{config::Config, telemetry, Application};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line that names the cause, for an operator reading a service's status.
            eprintln!("dekapan: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "copy-database") {
        return copy_database(&args[1..]).await;
    }
    if args.first().is_some_and(|a| a == "backup") {
        return backup(&args[1..]).await;
    }
    if args.first().is_some_and(|a| a == "restore") {
        return restore(&args[1..]).await;
    }
    let config = Config::from_env().context("reading the configuration")?;
    telemetry::init(config.log_format);
    let leptos = get_configuration(None)
        .context("reading the Leptos configuration")?
        .leptos_options;
    let demo_data = config.demo_data;
    let app = Application::build(config, leptos).await?;
    let port = app.port();
    if let Some(metrics) = app.metrics_port() {
        println!("Metrics for monitoring on http://127.0.0.1:{metrics}/metrics");
    }
    println!("Dekapan is running on http://127.0.0.1:{port}");
    if demo_data {
        println!("Demo logins (password: {}):", demo::DEMO_PASSWORD);
        for login in demo::logins() {
            println!("  {:<22} {:?} — {}", login.login, login.role, login.name);
        }
    }
    app.run_until_stopped().await
}

/// `server backup --to FILE`, of the database `DEKAPAN_DATABASE_URL` names.
async fn backup(args: &[String]) -> anyhow::Result<()> {
    let [flag, to] = args else {
        anyhow::bail!("usage: server backup --to FILE");
    };
    if flag != "--to" {
        anyhow::bail!("usage: server backup --to FILE");
    }
    let config = Config::from_env().context("reading the configuration")?;
    let done = server::backup::backup(&config.database_url, std::path::Path::new(to)).await?;
    println!("backup written: {}", done.path.display());
    println!("  {} bytes, sha256 {}", done.bytes, done.sha256);
    Ok(())
}

/// `server restore --from FILE [--replace]`, over the database `DEKAPAN_DATABASE_URL` names,
/// with every server stopped.
async fn restore(args: &[String]) -> anyhow::Result<()> {
    let usage = "usage: server restore --from FILE [--replace]";
    let (from, replace) = match args {
        [flag, from] if flag == "--from" => (from, false),
        [flag, from, again] | [again, flag, from] if flag == "--from" && again == "--replace" => {
            (from, true)
        }
        _ => anyhow::bail!(usage),
    };
    let config = Config::from_env().context("reading the configuration")?;
    let done =
        server::restore::restore(&config.database_url, std::path::Path::new(from), replace).await?;
    println!("backup restored: {from}");
    println!("  {} bytes, sha256 {}", done.bytes, done.sha256);
    if let Some(kept) = done.kept {
        println!("  the database it replaced is kept as {}", kept.display());
    }
    println!("  devices send again what the backup lacks when they next sync");
    Ok(())
}

/// `server copy-database --from URL --to URL`.
async fn copy_database(args: &[String]) -> anyhow::Result<()> {
    let usage = "usage: server copy-database --from URL --to URL (sqlite://… or postgres://…)";
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(from), Some(to)) = (value("--from"), value("--to")) else {
        anyhow::bail!(usage);
    };
    if args.len() != 4 {
        anyhow::bail!(usage);
    }
    let copied = server::copy::copy_database(&from, &to, |table, rows| {
        println!("  {table}: {rows} rows");
    })
    .await?;
    let total: usize = copied.0.iter().map(|(_, rows)| rows).sum();
    println!("copied {total} rows in {} tables", copied.0.len());
    Ok(())
}
