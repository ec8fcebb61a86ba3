//! The Dekapan server: configuration, database, sessions, audit log, and the app's calls,
//! served with the Leptos app on axum.

pub mod backup;
pub mod config;
pub mod copy;
pub mod db;
mod headers;
mod metrics;
pub mod postgres;
mod precompressed;
mod pwa;
pub mod restore;
pub mod sqlite;
pub mod stamp;
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
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: db::Pool,
    shutdown_grace: std::time::Duration,
    metrics: Option<TcpListener>,
}

impl Application {
    /// Opens and migrates the database, loads the demo data if asked, and binds the address
    /// (port 0 picks a free port, as the tests do).
    pub async fn build(config: Config, leptos: LeptosOptions) -> anyhow::Result<Self> {
        let db = db::connect_with(
            &config.database_url,
            config.database_wait,
            config.database_connections,
        )
        .await?;
        let today = local_day(chrono::Utc::now());
        let loaded = match &db {
            db::Pool::Sqlite(pool) => sqlite::prepare(pool, config.demo_data, today).await?,
            db::Pool::Postgres(pool) => postgres::prepare(pool, config.demo_data, today).await?,
        };
        if loaded {
            tracing::info!("demo data loaded");
        }
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let metrics = match config.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding {addr} (DEKAPAN_METRICS_ADDR)"))?,
            ),
            None => None,
        };
        let shutdown_grace = config.shutdown_grace;
        let router = router(db.clone(), Arc::new(config), leptos)?;
        Ok(Self {
            shutdown_grace,
            metrics,
            listener,
            router,
            db,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The port `/metrics` is served on, if any.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
    }

    /// The database pool (for tests that check what was written).
    pub fn db(&self) -> &db::Pool {
        &self.db
    }

    /// Serves until the process is asked to stop (Ctrl-C or SIGTERM). Then it takes no new
    /// connections, lets the requests in flight finish (a push commits what it was sent and
    /// answers) for up to the shutdown grace, and closes the database.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        if let Some(listener) = self.metrics {
            let metrics = metrics::router(self.db.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, metrics).await {
                    tracing::error!(error = %e, "serving metrics");
                }
            });
        }
        let stopping = Arc::new(tokio::sync::Notify::new());
        let asked = {
            let stopping = stopping.clone();
            async move {
                shutdown_signal().await;
                tracing::info!("stopping: finishing the requests in flight");
                stopping.notify_one();
            }
        };
        let serving = axum::serve(self.listener, self.router).with_graceful_shutdown(asked);
        let grace = self.shutdown_grace;
        let served = tokio::select! {
            served = std::future::IntoFuture::into_future(serving) => served.context("serving"),
            () = async {
                stopping.notified().await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(?grace, "requests still running at the end of the shutdown grace");
                Ok(())
            }
        };
        // A request still running past the grace keeps its connection: closing waits for it no
        // longer than a moment.
        if tokio::time::timeout(std::time::Duration::from_secs(5), self.db.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still in use at exit");
        }
        served
    }
}

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 2 << 20;

fn router(db: db::Pool, config: Arc<Config>, leptos: LeptosOptions) -> anyhow::Result<Router> {
    let hsts = config.secure_cookies;
    let (backend, service_routes): (SharedBackend, Router<LeptosOptions>) = match db.clone() {
        db::Pool::Sqlite(pool) => {
            let service = sqlite::backend::Service::new(pool, config);
            (Arc::new(service.clone()), sqlite::routes(service))
        }
        db::Pool::Postgres(pool) => {
            let service = postgres::backend::Service::new(pool, config);
            (Arc::new(service.clone()), postgres::routes(service))
        }
    };
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
        .merge(service_routes)
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
        .layer(axum::middleware::from_fn(metrics::track))
        // No request needs more (a full push batch of long notes fits): larger bodies get 413
        // before anything reads them, server functions included.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .with_state(leptos))
}

/// `/health`: which database the server runs on, and 200 while it answers (503 when not, so a
/// load balancer sends devices to another process).
async fn health(db: db::Pool) -> (http::StatusCode, Json<serde_json::Value>) {
    let database = db.kind().name();
    match tokio::time::timeout(std::time::Duration::from_secs(3), db.ping()).await {
        Ok(Ok(())) => (
            http::StatusCode::OK,
            Json(serde_json::json!({ "status": "ok", "database": database })),
        ),
        failed => {
            let error = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer within 3 s".to_owned(),
            };
            tracing::error!(%error, "health check failed");
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "database unavailable", "database": database })),
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
