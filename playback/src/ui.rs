//! The files `playback` serves besides its APIs: the web UI at `/` (with `index.html` for every
//! other path, so the UI's own routes work on reload), the recorder bundle at `/recorder.js`
//! and the demo site at `/demo/`.
//!
//! The binary carries all three: web/dist, recorder/dist and demo/ are built into it when it is
//! compiled, in debug builds as in release ones (rust-embed with `debug-embed`; build.rs makes
//! cargo rebuild when they change), so it serves them from any working directory. A path in
//! `[paths]` serves that part from disk instead, read on each request. When `npm run build` had
//! not made web/dist or recorder/dist yet, the binary still builds (so that `cargo clippy` and
//! `cargo test` work on a fresh clone) and answers 503 there, saying how to build them.
//!
//! Every answer of the UI carries a Content-Security-Policy that lets its pages load from
//! Playback's own origin only (`data:` and `blob:` besides for images, fonts and media, and
//! inline styles). The replay frame, an `about:blank` document, inherits it, so a replay makes
//! no request to the recorded site or to any host a recording names; its assets come from the
//! archived copies. A page opened with `live_assets=1` in its query also allows `http:` and
//! `https:` images, stylesheets, fonts and media: the viewer chose to load what was not
//! archived from the live site.
//!
//! Built-in files get the content type of their name, `Last-Modified` (the file's time at
//! build time) and an `ETag`, and answer `If-None-Match` and `If-Modified-Since` with 304, as
//! files from disk do; they are sent whole (no range requests).

use std::path::Path;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use playback_ingest_gateway::RecorderBundle;
use rust_embed::{EmbeddedFile, RustEmbed};
use tower_http::services::ServeDir;

use crate::config::Paths;

/// web/dist, when the binary was built.
#[derive(RustEmbed)]
#[folder = "../web/dist/"]
#[allow_missing = true]
struct WebDist;

/// recorder/dist (recorder.js and its source map), when the binary was built.
#[derive(RustEmbed)]
#[folder = "../recorder/dist/"]
#[allow_missing = true]
struct RecorderDist;

/// demo/, when the binary was built.
#[derive(RustEmbed)]
#[folder = "../demo/"]
struct DemoSite;

/// The body of `/` and the UI's routes when the binary was built without web/dist.
const WEB_NOT_BUILT: &str = "<!doctype html>\n<meta charset=\"utf-8\">\n<title>Playback: web UI not built</title>\n\
<h1>The web UI is not built into this binary</h1>\n\
<p>web/dist was missing when <code>playback</code> was compiled. Run <code>npm run build</code> in the \
repository, then build <code>playback</code> again; or set <code>paths.web_dir</code> \
(<code>PLAYBACK_PATHS__WEB_DIR</code>) to a built web/dist.</p>\n<p>The API under <code>/v1/</code> works.</p>\n";

/// The `/recorder.js` answer when the binary was built without recorder/dist.
const RECORDER_NOT_BUILT: &str = "the recorder bundle is not built into this binary: run `npm run build`, then build \
playback again, or set paths.recorder_js";

/// Whether this binary carries the web UI (web/dist was there when it was built).
pub fn web_ui_built_in() -> bool {
    WebDist::get("index.html").is_some()
}

/// Whether this binary carries the recorder bundle.
pub fn recorder_built_in() -> bool {
    RecorderDist::get("recorder.js").is_some()
}

/// What the gateway serves at `/recorder.js`: `paths.recorder_js` from disk, or the built-in
/// bundle.
pub fn recorder_bundle(paths: &Paths) -> RecorderBundle {
    if let Some(path) = &paths.recorder_js {
        return RecorderBundle::File(path.clone());
    }
    match RecorderDist::get("recorder.js") {
        Some(js) => {
            let map = RecorderDist::get("recorder.js.map").map(|map| static_bytes(map.data));
            RecorderBundle::Static { js: static_bytes(js.data), map }
        }
        None => RecorderBundle::Missing { reason: RECORDER_NOT_BUILT },
    }
}

/// The web UI: `paths.web_dir` from disk, or the built-in one; `/v1/...` paths that no API
/// route took answer the API's 404.
pub fn web_router(paths: &Paths) -> Router {
    let router = match &paths.web_dir {
        Some(dir) => playback_query_api::web_router(dir.clone()),
        None => Router::new().route("/v1/{*rest}", get(api_not_found)).fallback(built_in_web),
    };
    router.layer(axum::middleware::from_fn(ui_headers))
}

/// The policy of the UI's pages, and so of the replay frame: Playback's origin only.
const UI_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; \
frame-src 'self' blob:; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; \
frame-ancestors 'self'";

/// [`UI_CSP`] with the live site's images, stylesheets, fonts and media allowed too.
const UI_CSP_LIVE_ASSETS: &str = "default-src 'self'; script-src 'self'; \
style-src 'self' 'unsafe-inline' http: https:; img-src 'self' data: blob: http: https:; \
font-src 'self' data: http: https:; media-src 'self' data: blob: http: https:; connect-src 'self'; \
frame-src 'self' blob:; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; \
frame-ancestors 'self'";

/// Whether a page's query asks for missing assets from the live site (`live_assets=1`).
fn wants_live_assets(uri: &Uri) -> bool {
    uri.query().is_some_and(|query| {
        form_urlencoded::parse(query.as_bytes()).any(|(name, value)| name == "live_assets" && value == "1")
    })
}

/// The security headers of every UI answer.
async fn ui_headers(request: Request, next: Next) -> Response {
    let policy = if wants_live_assets(request.uri()) { UI_CSP_LIVE_ASSETS } else { UI_CSP };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// `router` with the demo site at `/demo/`: `paths.demo_dir` from disk, nothing when that is
/// empty, or the built-in one.
pub fn with_demo(router: Router, paths: &Paths) -> Router {
    match paths.demo_dir.as_deref() {
        Some(dir) if dir.as_os_str().is_empty() => router,
        Some(dir) => router.nest_service("/demo", ServeDir::new(dir)),
        None => router.nest_service("/demo", any(built_in_demo)),
    }
}

async fn api_not_found(uri: Uri) -> Response {
    playback_query_api::QueryError::NotFound(format!("no route for {}", uri.path())).into_response()
}

async fn built_in_web(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if let Some(refusal) = refuse_method(&method) {
        return refusal;
    }
    if !web_ui_built_in() {
        let html = [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")];
        return (StatusCode::SERVICE_UNAVAILABLE, html, WEB_NOT_BUILT).into_response();
    }
    let name = file_name(uri.path());
    let file = WebDist::get(&name).map(|file| (name, file));
    let (name, file) = match file.or_else(|| WebDist::get("index.html").map(|index| ("index.html".into(), index))) {
        Some(found) => found,
        None => return StatusCode::NOT_FOUND.into_response(),
    };
    file_response(&name, file, &headers)
}

async fn built_in_demo(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if let Some(refusal) = refuse_method(&method) {
        return refusal;
    }
    let name = file_name(uri.path());
    match DemoSite::get(&name) {
        Some(file) => file_response(&name, file, &headers),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Files are read with GET and HEAD only, as from disk.
fn refuse_method(method: &Method) -> Option<Response> {
    if method == Method::GET || method == Method::HEAD {
        return None;
    }
    Some((StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET,HEAD")]).into_response())
}

/// The file a request path names: without the leading `/`, and `index.html` for a directory.
fn file_name(path: &str) -> String {
    let relative = path.trim_start_matches('/');
    if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_owned()
    }
}

/// The file with its content type and validators, or 304 when the request's validators match.
fn file_response(name: &str, file: EmbeddedFile, request: &HeaderMap) -> Response {
    let etag = etag(&file.metadata.sha256_hash());
    let last_modified = file.metadata.last_modified().map(http_date);
    let mut validators = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        validators.insert(header::ETAG, value);
    }
    if let Some(value) = last_modified.as_deref().and_then(|date| HeaderValue::from_str(date).ok()) {
        validators.insert(header::LAST_MODIFIED, value);
    }
    if not_modified(request, &etag, file.metadata.last_modified()) {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    let content_type = mime_type(name);
    (validators, [(header::CONTENT_TYPE, content_type)], static_bytes(file.data)).into_response()
}

/// Whether the client's copy is current: `If-None-Match` decides when it is sent, else
/// `If-Modified-Since`.
fn not_modified(request: &HeaderMap, etag: &str, last_modified: Option<u64>) -> bool {
    if let Some(if_none_match) = request.get(header::IF_NONE_MATCH).and_then(|value| value.to_str().ok()) {
        return if_none_match.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag);
    }
    let since = request.get(header::IF_MODIFIED_SINCE).and_then(|value| value.to_str().ok());
    match (since.and_then(|date| httpdate::parse_http_date(date).ok()), last_modified) {
        (Some(since), Some(modified)) => {
            let since_secs = since.duration_since(std::time::UNIX_EPOCH).map_or(0, |duration| duration.as_secs());
            modified <= since_secs
        }
        _ => false,
    }
}

/// A strong validator from the first 16 bytes of the file's SHA-256.
fn etag(hash: &[u8; 32]) -> String {
    let mut tag = String::from("\"");
    for byte in &hash[..16] {
        tag.push_str(&format!("{byte:02x}"));
    }
    tag.push('"');
    tag
}

fn http_date(unix_secs: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_secs))
}

/// The content type of a file name, as `ServeDir` gives it for files from disk.
fn mime_type(name: &str) -> String {
    let guess = mime_guess::from_path(Path::new(name));
    guess.first_raw().unwrap_or("application/octet-stream").to_owned()
}

/// Built-in file contents are `'static`; a copy is made only if the embedding ever hands out
/// owned data.
fn static_bytes(data: std::borrow::Cow<'static, [u8]>) -> Bytes {
    match data {
        std::borrow::Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        std::borrow::Cow::Owned(bytes) => Bytes::from(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_name_files_and_directories_their_index() {
        assert_eq!(file_name("/"), "index.html");
        assert_eq!(file_name(""), "index.html");
        assert_eq!(file_name("/app.js"), "app.js");
        assert_eq!(file_name("/nested/"), "nested/index.html");
        assert_eq!(file_name("/page2.html"), "page2.html");
    }

    #[test]
    fn validators_decide_not_modified() {
        let tag = etag(&[7; 32]);
        let mut request = HeaderMap::new();
        assert!(!not_modified(&request, &tag, Some(1_000)));
        request
            .insert(header::IF_MODIFIED_SINCE, HeaderValue::from_str(&http_date(1_000)).unwrap_or_else(|_| panic!()));
        assert!(not_modified(&request, &tag, Some(1_000)));
        assert!(!not_modified(&request, &tag, Some(1_001)), "changed since");
        request.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!not_modified(&request, &tag, Some(1_000)), "If-None-Match decides when it is sent");
        request.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", {tag}")).unwrap_or_else(|_| panic!()),
        );
        assert!(not_modified(&request, &tag, Some(1_000)));
    }

    #[test]
    fn only_live_assets_1_relaxes_the_policy() {
        let uri = |text: &str| text.parse::<Uri>().unwrap_or_else(|error| panic!("{error}"));
        assert!(wants_live_assets(&uri("/sessions/x?live_assets=1")));
        assert!(wants_live_assets(&uri("/s/token?t=5&live_assets=1")));
        assert!(!wants_live_assets(&uri("/sessions/x")));
        assert!(!wants_live_assets(&uri("/sessions/x?live_assets=0")));
        assert!(!wants_live_assets(&uri("/sessions/x?live_assets=yes")));
        for policy in [UI_CSP, UI_CSP_LIVE_ASSETS] {
            assert!(policy.contains("script-src 'self';") && policy.contains("connect-src 'self';"), "{policy}");
            assert!(!policy.contains("  "), "the continuation lines join with one space: {policy}");
        }
        assert!(!UI_CSP.contains("http:") && !UI_CSP.contains("https:"), "only Playback's origin");
    }

    #[test]
    fn the_demo_site_is_always_built_in() {
        assert!(DemoSite::get("index.html").is_some());
        assert_eq!(mime_type("index.html"), "text/html");
        assert_eq!(mime_type("app.js"), "text/javascript");
    }
}
