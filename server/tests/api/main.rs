//! API tests: a real server on port 0 with a fresh database per test, driven over HTTP the way
//! the browser drives it. The database is a SQLite file, or with `DEKAPAN_TEST_DATABASE=postgres`
//! a database of its own on the PostgreSQL server at `DEKAPAN_TEST_POSTGRES_URL`.

mod auth;
mod backup;
mod copy;
mod crash;
mod directory;
mod headers;
mod helpers;
mod log_order;
mod metrics;
mod notes;
mod restore;
mod security;
mod simulation;
mod startup;
mod suggestions;
mod sync;
mod team;
mod visits;
