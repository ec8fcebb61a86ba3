//! The Dekapan server: configuration, database, sessions, audit log, and the app's calls,
//! served with the Leptos app on axum.

pub mod audit;
pub mod auth;
pub mod backend;
pub mod config;
pub mod db;
pub mod demo;
mod export;
mod headers;
mod precompressed;
mod pwa;
pub mod second_factor;
pub mod sync;
pub mod telemetry;
pub mod totp;

use anyhow::Context;
use app::api::SharedBackend;
use app::domain::visit::local_day;
use app::{shell, App};
use axum::routing::get;
use axum::{Json, Router};
use config::Config;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::SqlitePool;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: SqlitePool,
}

impl Application {
    /// Opens and migrates the database, loads the demo data if asked, and binds the address
    /// (port 0 picks a free port, as the tests do).
    pub async fn build(config: Config, leptos: LeptosOptions) -> anyhow::Result<Self> {
        let db = db::connect(&config.database_url).await?;
        if config.demo_data && demo::load(&db, local_day(chrono::Utc::now())).await? {
            tracing::info!("demo data loaded");
        }
        sync::log::backfill(&db).await?;
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let router = router(db.clone(), Arc::new(config), leptos)?;
        Ok(Self {
            listener,
            router,
            db,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The database pool (for tests that check what was written).
    pub fn db(&self) -> &SqlitePool {
        &self.db
    }

    /// Serves until the process is asked to stop (Ctrl-C or SIGTERM).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")
    }
}

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 2 << 20;

fn router(db: SqlitePool, config: Arc<Config>, leptos: LeptosOptions) -> anyhow::Result<Router> {
    let hsts = config.secure_cookies;
    let service = backend::Service::new(db.clone(), config);
    let backend: SharedBackend = Arc::new(service.clone());
    let stale = precompressed::drop_stale(std::path::Path::new(leptos.site_root.as_ref()))?;
    if stale > 0 {
        tracing::warn!(
            stale,
            "removed compressed copies older than their files (build with scripts/build-release)"
        );
    }
    let routes = generate_route_list(App);
    let page_context = move || {
        provide_context(backend.clone());
        headers::provide_page_policy();
    };
    Ok(Router::new()
        .route("/health", get(move || health(db.clone())))
        .merge(export::router(service.clone()))
        .merge(sync::router(service))
        .merge(pwa::router(&leptos)?)
        .leptos_routes_with_context(&leptos, routes, page_context.clone(), {
            let leptos = leptos.clone();
            move || shell(leptos.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            page_context,
            shell,
        ))
        .layer(axum::middleware::from_fn_with_state(hsts, headers::secure))
        // No request needs more (a full push batch of long notes fits): larger bodies get 413
        // before anything reads them, server functions included.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .with_state(leptos))
}

/// `/health`: answers 200 when the database answers.
async fn health(db: SqlitePool) -> (http::StatusCode, Json<serde_json::Value>) {
    match sqlx::query("SELECT 1").execute(&db).await {
        Ok(_) => (
            http::StatusCode::OK,
            Json(serde_json::json!({ "status": "ok" })),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "database unavailable" })),
            )
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
