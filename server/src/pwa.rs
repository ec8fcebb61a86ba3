//! What makes the app installable and usable offline: the service worker (stamped with the
//! build, so a deployment is noticed) and the app shell it keeps for pages opened offline.

use anyhow::Context;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The worker's source; `__BUILD__` is replaced by the build id.
const WORKER: &str = include_str!("sw.js");

/// The offline app shell: no data and no name in it, only what loads the app, which then
/// renders whatever page was asked for from the device's own store.
const SHELL: &str = include_str!("shell.html");

/// The routes `/sw.js` and `/shell`.
pub fn router<S: Clone + Send + Sync + 'static>(
    leptos: &LeptosOptions,
) -> anyhow::Result<Router<S>> {
    let pkg = Path::new(leptos.site_root.as_ref()).join(leptos.site_pkg_dir.as_ref());
    let build = build_id(&pkg, &leptos.output_name)?;
    let worker = WORKER.replace("__BUILD__", &build);
    let shell_policy = crate::headers::inline_script(SHELL)
        .map(crate::headers::static_page_policy)
        .context("the offline shell has no inline script")?;
    Ok(Router::new()
        .route(
            "/sw.js",
            get(move || {
                let worker = worker.clone();
                async move {
                    (
                        [
                            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                            (header::CACHE_CONTROL, "no-cache"),
                            (header::CONTENT_SECURITY_POLICY, crate::headers::WORKER),
                        ],
                        worker,
                    )
                }
            }),
        )
        .route(
            "/shell",
            get(move || {
                let policy = shell_policy.clone();
                async move {
                    (
                        [
                            (header::CACHE_CONTROL, "no-cache".to_owned()),
                            (header::CONTENT_SECURITY_POLICY, policy),
                        ],
                        Html(SHELL),
                    )
                        .into_response()
                }
            }),
        ))
}

/// A short hash of the built files, so a new build makes a new worker. Missing files (a server
/// started without a front-end build) hash as empty.
fn build_id(pkg: &Path, name: &str) -> anyhow::Result<String> {
    let mut hash = Sha256::new();
    for ext in ["js", "wasm", "css"] {
        let path = pkg.join(format!("{name}.{ext}"));
        match std::fs::read(&path) {
            Ok(bytes) => hash.update(&bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
    Ok(hex::encode(&hash.finalize()[..8]))
}
