//! API tests: a real server on port 0 with a fresh SQLite file per test, driven over HTTP the
//! way the browser drives it.

mod auth;
mod crash;
mod helpers;
mod notes;
mod simulation;
mod sync;
mod team;
mod visits;
