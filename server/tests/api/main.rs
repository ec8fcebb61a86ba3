//! API tests: a real server on port 0 with a fresh SQLite file per test, driven over HTTP the
//! way the browser drives it.

mod auth;
mod crash;
mod headers;
mod helpers;
mod notes;
mod security;
mod simulation;
mod sync;
mod team;
mod visits;
