//! What an operator watches: `/metrics` in the Prometheus (OpenMetrics) text format, served only
//! on its own address (`DEKAPAN_METRICS_ADDR`), never on the public one.
//!
//! Counted as they happen: requests by route and status, push and pull latency, mutations by
//! outcome. Read from the database at each scrape: the pool's connections, live sessions, and
//! devices that have held unsent work for more than a day.

use crate::db::{self, Stamp};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::LazyLock;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SyncLabels {
    call: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// The process's metrics.
struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    sync_seconds: Family<SyncLabels, Histogram>,
    mutations: Family<OutcomeLabels, Counter>,
    connections: Family<PoolLabels, Gauge>,
    sessions: Gauge,
    devices_waiting: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("dekapan");
    let requests = Family::<RequestLabels, Counter>::default();
    registry.register(
        "http_requests",
        "HTTP requests answered, by route and status",
        requests.clone(),
    );
    // 1 ms to about 4 s.
    let sync_seconds = Family::<SyncLabels, Histogram>::new_with_constructor(|| {
        Histogram::new(exponential_buckets(0.001, 2.0, 13))
    });
    registry.register(
        "sync_duration_seconds",
        "Time to answer a push or a pull",
        sync_seconds.clone(),
    );
    let mutations = Family::<OutcomeLabels, Counter>::default();
    registry.register(
        "mutations",
        "Mutations pushed by devices, by outcome (applied, conflicted, rejected, duplicate)",
        mutations.clone(),
    );
    let connections = Family::<PoolLabels, Gauge>::default();
    registry.register(
        "database_connections",
        "Connections this process holds to the database, by state (in_use, idle)",
        connections.clone(),
    );
    let sessions = Gauge::default();
    registry.register(
        "sessions",
        "Sessions that have not expired",
        sessions.clone(),
    );
    let devices_waiting = Gauge::default();
    registry.register(
        "devices_waiting_over_a_day",
        "Devices not revoked that have held unsent work for more than a day",
        devices_waiting.clone(),
    );
    Metrics {
        registry,
        requests,
        sync_seconds,
        mutations,
        connections,
        sessions,
        devices_waiting,
    }
});

/// Middleware: counts every request by its route (the pattern, not the path, so ids do not
/// become labels) and status, and times pushes and pulls.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let call = match route.as_str() {
        "/sync/push" => Some("push"),
        "/sync/pull" => Some("pull"),
        _ => None,
    };
    if let Some(call) = call {
        METRICS
            .sync_seconds
            .get_or_create(&SyncLabels { call })
            .observe(started.elapsed().as_secs_f64());
    }
    METRICS
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// Counts one pushed mutation's outcome.
pub fn count_mutation(outcome: &app::sync::MutationOutcome) {
    let outcome = match outcome {
        app::sync::MutationOutcome::Applied { .. } => "applied",
        app::sync::MutationOutcome::Conflicted { .. } => "conflicted",
        app::sync::MutationOutcome::Rejected { .. } => "rejected",
        app::sync::MutationOutcome::Duplicate { .. } => "duplicate",
    };
    METRICS
        .mutations
        .get_or_create(&OutcomeLabels { outcome })
        .inc();
}

/// The router of the metrics address: `/metrics` only.
pub fn router(db: db::Pool) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .with_state(db)
}

async fn scrape(State(pool): State<db::Pool>) -> Response {
    let (size, idle) = pool.connections();
    let in_use = i64::from(size.saturating_sub(idle));
    METRICS
        .connections
        .get_or_create(&PoolLabels { state: "in_use" })
        .set(in_use);
    METRICS
        .connections
        .get_or_create(&PoolLabels { state: "idle" })
        .set(i64::from(idle));
    match read_counts(&pool).await {
        Ok((sessions, waiting)) => {
            METRICS.sessions.set(sessions);
            METRICS.devices_waiting.set(waiting);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the database did not answer"),
    }
    let mut text = String::new();
    if encode(&mut text, &METRICS.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Live sessions, and devices waiting with unsent work for more than a day.
async fn read_counts(pool: &db::Pool) -> Result<(i64, i64), sqlx::Error> {
    let now = Stamp::now();
    let a_day_ago = Stamp::from(chrono::Utc::now() - chrono::Duration::days(1));
    crate::on_db!(pool, |db| {
        let sessions: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions WHERE expires_at > $1 AND idle_expires_at > $2",
        )
        .bind(now)
        .bind(now)
        .fetch_one(db)
        .await?;
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sync_clients WHERE pending_since < $1 AND revoked_at IS NULL",
        )
        .bind(a_day_ago)
        .fetch_one(db)
        .await?;
        Ok((sessions, waiting))
    })
}
