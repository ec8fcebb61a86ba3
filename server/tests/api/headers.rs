//! Security headers: what a browser is told to refuse, and what it must not keep.

use crate::helpers::{spawn_app, spawn_app_with};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("a {name} header"))
        .to_str()
        .unwrap()
}

/// The value of `attribute` on the first element of `html` that has it.
fn attribute<'a>(html: &'a str, attribute: &str) -> Option<&'a str> {
    let start = html.find(&format!(" {attribute}=\""))? + attribute.len() + 3;
    let end = start + html[start..].find('"')?;
    Some(&html[start..end])
}

#[tokio::test]
async fn a_page_runs_only_the_scripts_it_was_served_with_and_is_never_kept_or_framed() {
    let app = spawn_app().await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .get(format!("{}/login", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let headers = res.headers().clone();
        let html = res.text().await.unwrap();
        let policy = header(&headers, "content-security-policy");
        let nonce = attribute(&html, "nonce").expect("the hydration script carries a nonce");
        assert!(
            policy.contains(&format!(
                "script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"
            )),
            "{policy}"
        );
        for directive in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(directive), "{directive} in {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(header(&headers, "cache-control"), "no-store");
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(header(&headers, "x-frame-options"), "DENY");
        assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
        nonces.push(nonce.to_owned());
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce for every page");
}

#[tokio::test]
async fn the_offline_shell_allows_its_one_inline_script_by_hash() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/shell", app.base))
        .send()
        .await
        .unwrap();
    let policy = header(res.headers(), "content-security-policy").to_owned();
    assert!(policy.contains("script-src 'self' 'sha256-"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("<script type=\"module\">"));
}

#[tokio::test]
async fn answers_with_personal_data_are_not_stored_and_run_nothing() {
    let app = spawn_app().await;
    app.login("nurse.sato").await;
    // Everyone's names: personal data.
    let people = app.call("reference", &[]).await;
    assert_eq!(people.status(), StatusCode::OK);
    assert_eq!(header(people.headers(), "cache-control"), "no-store");
    let pull = app
        .client
        .post(format!("{}/sync/pull", app.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(header(pull.headers(), "cache-control"), "no-store");
    let policy = header(pull.headers(), "content-security-policy");
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
}

#[tokio::test]
async fn served_over_https_the_browser_is_told_to_keep_to_https() {
    let app = spawn_app_with(&[("DEKAPAN_PUBLIC_URL", "https://dekapan.example")]).await;
    let res = app
        .client
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(res.headers(), "strict-transport-security"),
        "max-age=63072000; includeSubDomains"
    );
}
