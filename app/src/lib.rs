//! Dekapan: an offline-first field visit app for a multi-agency early mental-health outreach team.
//!
//! This crate is compiled twice: with `ssr` into the server, with `hydrate` into the browser's
//! WebAssembly. `domain` and `sync` are plain Rust shared by both sides.

#![recursion_limit = "256"]

pub mod api;
pub mod client;
pub mod domain;
pub mod sync;
pub mod ui;

pub use ui::{shell, App};

/// The browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(App);
}

/// The browser entry point of the offline app shell: renders the app in the page (no server
/// HTML to hydrate), for whatever address was opened.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
