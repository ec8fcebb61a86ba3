//! Starts the Dekapan server: config → database → app → serve.

use anyhow::Context;
use leptos::config::get_configuration;
use server::{config::Config, demo, telemetry, Application};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env().context("reading the configuration")?;
    telemetry::init(config.log_format);
    let leptos = get_configuration(None)
        .context("reading the Leptos configuration")?
        .leptos_options;
    let demo_data = config.demo_data;
    let app = Application::build(config, leptos).await?;
    let port = app.port();
    println!("Dekapan is running on http://127.0.0.1:{port}");
    if demo_data {
        println!("Demo logins (password: {}):", demo::DEMO_PASSWORD);
        for login in demo::logins() {
            println!("  {:<22} {:?} — {}", login.login, login.role, login.name);
        }
    }
    app.run_until_stopped().await
}
