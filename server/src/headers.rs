//! Security headers on every response: a strict Content-Security-Policy (scripts only from the
//! app, with the page's nonce or the offline shell's hash for what starts hydration), no framing,
//! no referrer, no sniffing, HSTS when served over HTTPS, and `Cache-Control: no-store` on
//! everything except the static files of the app shell.

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

/// Directives shared by every page: nothing from elsewhere, no plugins, no framing.
const PAGE_BASE: &str = "default-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// For answers that are not pages (JSON, CSV, files): nothing may run or load.
const NOT_A_PAGE: &str = "default-src 'none'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// For the service worker: it may fetch the app's own files (to keep the shell) and nothing
/// else.
pub const WORKER: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'";

/// HSTS for two years, subdomains included.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The policy of a server-rendered page whose inline hydration script carries `nonce`.
/// WebAssembly needs `'wasm-unsafe-eval'` to be compiled; no other eval is allowed.
pub fn page_policy(nonce: &str) -> String {
    format!("{PAGE_BASE}; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'")
}

/// The policy of a static page whose only inline script is `script` (matched by its hash).
pub fn static_page_policy(script: &str) -> String {
    let hash = base64_encode(&Sha256::digest(script.as_bytes()));
    format!("{PAGE_BASE}; script-src 'self' 'sha256-{hash}' 'wasm-unsafe-eval'")
}

/// Gives the page being rendered its policy, built on the nonce Leptos puts on the page's own
/// inline scripts. Does nothing where no page is rendered (a static file).
pub fn provide_page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The inline script of an HTML document: the text between its first `<script…>` and
/// `</script>`.
pub fn inline_script(html: &str) -> Option<&str> {
    let start = html.find("<script")?;
    let body = start + html[start..].find('>')? + 1;
    let end = body + html[body..].find("</script>")?;
    Some(&html[body..end])
}

/// Files that hold no personal data and may be cached: the built app, icons, the manifest.
fn is_static_file(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/icons/")
        || path == "/favicon.svg"
        || path == "/manifest.webmanifest"
}

/// Adds the security headers a handler did not set itself. `hsts` is on when the app is served
/// over HTTPS.
pub async fn secure(State(hsts): State<bool>, request: Request, next: Next) -> Response {
    let cacheable = is_static_file(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut default = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    default(header::CONTENT_SECURITY_POLICY, NOT_A_PAGE);
    default(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    default(header::X_FRAME_OPTIONS, "DENY");
    default(header::REFERRER_POLICY, "no-referrer");
    default(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    default(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if cacheable {
        // The same path is sent brotli, gzip or plain as the browser accepts (stored copies),
        // so a cache must keep them apart.
        default(header::VARY, "accept-encoding");
    } else {
        default(header::CACHE_CONTROL, "no-store");
    }
    if hsts {
        default(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    response
}

/// Standard base64 with padding, as CSP hashes are written.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn the_inline_script_is_found_between_its_tags() {
        let html = "<p>x</p><script type=\"module\">\nrun();\n</script><p>y</p>";
        assert_eq!(inline_script(html), Some("\nrun();\n"));
        assert_eq!(inline_script("<p>no script</p>"), None);
    }

    #[test]
    fn pages_allow_only_their_own_inline_script() {
        let policy = page_policy("abc");
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
        // The well-known hash of an empty script.
        assert!(static_page_policy("")
            .contains("'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"));
    }
}
