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

/// The worker's source; `__BUILD__` is replaced by the build id, `__PKG__` by the list of the
/// build's files.
const WORKER: &str = include_str!("sw.js");

/// The offline app shell: no data and no name in it, only what loads the app, which then
/// renders whatever page was asked for from the device's own store.
const SHELL: &str = include_str!("shell.html");

/// The routes `/sw.js` and `/shell`.
pub fn router<S: Clone + Send + Sync + 'static>(
    leptos: &LeptosOptions,
) -> anyhow::Result<Router<S>> {
    let pkg = Path::new(leptos.site_root.as_ref()).join(leptos.site_pkg_dir.as_ref());
    let files = built_files(&pkg)?;
    let build = build_id(&pkg, &files)?;
    let listed: Vec<String> = files
        .iter()
        .map(|name| format!("/{}/{name}", leptos.site_pkg_dir))
        .collect();
    let worker = WORKER
        .replace("__BUILD__", &build)
        .replace("'__PKG__'", &serde_json::to_string(&listed)?);
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

/// The files of the build a browser may load: the entry script, the main WebAssembly, the
/// style sheet, and the pieces of WebAssembly loaded when a screen is first opened, with
/// their loader. Their compressed copies and type declarations are left out. Sorted, so the
/// worker's list and the build id do not depend on the directory's order. No directory (a
/// server started without a front-end build) lists nothing.
fn built_files(pkg: &Path) -> anyhow::Result<Vec<String>> {
    let entries = match std::fs::read_dir(pkg) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("listing {}", pkg.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let served = [".js", ".wasm", ".css", ".json"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if served && !name.ends_with(".d.ts") {
            files.push(name);
        }
    }
    files.sort();
    Ok(files)
}

/// A short hash of the built files (names and contents), so a new build makes a new worker.
fn build_id(pkg: &Path, files: &[String]) -> anyhow::Result<String> {
    let mut hash = Sha256::new();
    for name in files {
        let path = pkg.join(name);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        hash.update(name.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    Ok(hex::encode(&hash.finalize()[..8]))
}
