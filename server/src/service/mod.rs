//! The server's rules over one kind of database. This tree is compiled twice, as
//! [`crate::sqlite`] and [`crate::postgres`], each with its own `Db`: the rules and their queries
//! are written once, and the few statements whose dialects differ sit side by side in
//! [`dialect`] form (`match KIND`, decided at compile time).

pub mod audit;
pub mod auth;
pub mod backend;
pub mod demo;
pub(crate) mod export;
pub mod identity;
pub mod second_factor;
pub mod sync;
pub mod writes;

pub use super::{Db, KIND};

/// A pool of connections to this tree's database.
pub type Pool = sqlx::Pool<Db>;
/// One connection (a transaction derefs to one).
pub type Conn = <Db as sqlx::Database>::Connection;
/// A row as the driver returns it.
pub type DbRow = <Db as sqlx::Database>::Row;
/// A transaction.
pub type Tx = sqlx::Transaction<'static, Db>;
/// The arguments of a query being built.
pub type Args<'q> = <Db as sqlx::Database>::Arguments<'q>;
/// A query being built.
pub type Query<'q> = sqlx::query::Query<'q, Db, Args<'q>>;

/// Gives a new (or restored) database its identity and loads the demo data when asked (saying
/// whether it was missing), before the server takes requests.
pub async fn prepare(
    pool: &Pool,
    demo_data: bool,
    today: chrono::NaiveDate,
) -> anyhow::Result<bool> {
    identity::ensure(pool).await?;
    Ok(demo_data && demo::load(pool, today).await?)
}

/// The routes served outside the Leptos app: sync and exports.
pub fn routes<S: Clone + Send + Sync + 'static>(service: backend::Service) -> axum::Router<S> {
    axum::Router::new()
        .merge(export::router(service.clone()))
        .merge(sync::router(service))
}
