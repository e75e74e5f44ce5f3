use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use playback_log::EventLog;
use playback_runtime::{PublishError, RAW_BATCHES};
use playback_schemas::{now_ms, RawBatch, User};
use serde::Deserialize;
use tower_http::cors::{Any, CorsLayer};

use crate::metrics::InternalCause;
use crate::{
    parse_batch, parse_device, scrub_batch, GatewayError, Limits, ParsedBatch, PrivacyRules, ProjectRegistry,
    RateLimiter,
};

/// What the gateway's handlers share.
#[derive(Clone)]
pub struct GatewayState {
    pub log: Arc<dyn EventLog>,
    pub projects: Arc<ProjectRegistry>,
    pub limits: Limits,
    pub limiter: Arc<RateLimiter>,
    /// How long to wait for the event log before answering 503.
    pub publish_timeout: Duration,
    /// What the recorder gets in its config.
    pub recorder: RecorderSettings,
    /// The recorder bundle served at `/recorder.js`, if any.
    pub recorder_js: Option<RecorderBundle>,
}

/// Where `/recorder.js` and `/recorder.js.map` come from.
#[derive(Debug, Clone)]
pub enum RecorderBundle {
    /// This file, and the `.map` next to it, read on each request.
    File(PathBuf),
    /// In memory, as built into the binary; `map` is the source map when there is one.
    Static { js: Bytes, map: Option<Bytes> },
    /// Left out of the build: both paths answer 503 with `reason`, which says how to build it.
    Missing { reason: &'static str },
}

/// Settings handed to every recorder with the project config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecorderSettings {
    pub flush_interval_ms: u64,
    pub max_batch_bytes: u64,
    pub snapshot_interval_ms: u64,
    pub session_idle_timeout_ms: u64,
    pub session_max_ms: u64,
}

impl Default for RecorderSettings {
    fn default() -> Self {
        RecorderSettings {
            flush_interval_ms: 5_000,
            max_batch_bytes: 512 * 1024,
            snapshot_interval_ms: 300_000,
            session_idle_timeout_ms: 30 * 60_000,
            session_max_ms: 24 * 3_600_000,
        }
    }
}

/// The gateway's routes: `POST /v1/batches`, `GET /v1/projects/{key}/config`, `GET /recorder.js`.
pub fn router(state: GatewayState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::CONTENT_ENCODING, HeaderName::from_static("x-playback-key")])
        .max_age(Duration::from_secs(86_400));
    let only = |allow: &'static str| move || async move { GatewayError::MethodNotAllowed { allow } };
    Router::new()
        .route("/v1/batches", post(post_batch_counted).fallback(only("POST")))
        .route("/v1/projects/{key}/config", get(project_config).fallback(only("GET, HEAD")))
        .route("/recorder.js", get(recorder_js).fallback(only("GET, HEAD")))
        .route("/recorder.js.map", get(recorder_js_map).fallback(only("GET, HEAD")))
        .layer(cors)
        .with_state(state)
}

#[derive(Deserialize)]
struct KeyQuery {
    key: Option<String>,
}

async fn read_limited(body: Body, limit: usize) -> Result<Vec<u8>, GatewayError> {
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(error) if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            Err(GatewayError::TooLarge(format!("body above {limit} bytes")))
        }
        Err(error) => Err(GatewayError::BadRequest(format!("could not read body: {error}"))),
    }
}

/// The project key: the `X-Playback-Key` header, else `?key=` (sendBeacon cannot set headers).
fn project_key(headers: &HeaderMap, query: Result<Query<KeyQuery>, QueryRejection>) -> Result<String, GatewayError> {
    if let Some(value) = headers.get("x-playback-key") {
        // A key is ASCII; anything else cannot be one, and is not replaced by `?key=`.
        return value.to_str().map(str::to_string).map_err(|_| GatewayError::Unauthorized("unknown project key"));
    }
    let Query(query) = query.map_err(|rejection| {
        let mut cause: &dyn std::error::Error = &rejection;
        while let Some(source) = cause.source() {
            cause = source;
        }
        GatewayError::BadRequest(format!("invalid query string: {cause}"))
    })?;
    query.key.ok_or(GatewayError::Unauthorized("missing project key"))
}

/// Whether the body is gzip by its `Content-Encoding`: absent or `identity` is plain, `gzip` is
/// gzip, anything else (`br`, `deflate`, several codings) is refused rather than misread. A
/// plain body may still be gzip by its magic bytes (sendBeacon cannot set the header).
fn gzip_encoded(headers: &HeaderMap) -> Result<bool, GatewayError> {
    let mut codings = Vec::new();
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let text = value.to_str().map_err(|_| GatewayError::UnsupportedEncoding)?;
        for coding in text.split(',').map(str::trim) {
            if !coding.is_empty() && !coding.eq_ignore_ascii_case("identity") {
                codings.push(coding.to_ascii_lowercase());
            }
        }
    }
    match codings.as_slice() {
        [] => Ok(false),
        [coding] if coding == "gzip" || coding == "x-gzip" => Ok(true),
        _ => Err(GatewayError::UnsupportedEncoding),
    }
}

async fn post_batch_counted(
    state: State<GatewayState>,
    query: Result<Query<KeyQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let result = post_batch(state, query, headers, body).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.status(),
    };
    if let Err(GatewayError::Internal { reason, cause, source }) = &result {
        tracing::error!(message = "batch failed inside the gateway", reason, cause = cause.label(), error = %source);
        crate::metrics::INTERNAL_ERRORS.with_label_values(&[cause.label()]).inc();
    }
    crate::metrics::REQUESTS.with_label_values(&[status.as_str()]).inc();
    result
}

async fn post_batch(
    State(state): State<GatewayState>,
    query: Result<Query<KeyQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let key = project_key(&headers, query)?;
    let project = state.projects.by_key(&key).ok_or(GatewayError::Unauthorized("unknown project key"))?;
    if !project.enabled {
        return Err(GatewayError::Unauthorized("project is disabled"));
    }
    let project_id = project.id.clone();
    let rules = state.projects.privacy(&key).ok_or(GatewayError::Unauthorized("unknown project key"))?;
    state.limiter.check(&project_id).map_err(|retry_after_secs| GatewayError::RateLimited { retry_after_secs })?;
    let gzip_header = gzip_encoded(&headers)?;

    let bytes = read_limited(body, state.limits.max_body_bytes).await?;
    crate::metrics::RECEIVED_BYTES.inc_by(bytes.len() as u64);
    let limits = state.limits;
    let parsed = tokio::task::spawn_blocking(move || run_parser(&bytes, gzip_header, &limits, &rules)).await.map_err(
        |error| GatewayError::Internal {
            reason: "batch could not be parsed",
            cause: InternalCause::ParserPanic,
            source: Box::new(error),
        },
    )??;

    let user_agent = headers.get(header::USER_AGENT).and_then(|value| value.to_str().ok()).unwrap_or("");
    let raw = raw_batch(project_id, parsed, user_agent, now_ms());
    let accepted = raw.event_count;
    let event_bytes = raw.events_json.len();
    let key = playback_schemas::session_key(&raw.project_id, &raw.session_id);
    let publish = playback_runtime::publish(state.log.as_ref(), RAW_BATCHES, key.as_bytes(), &raw);
    let timer = crate::metrics::PUBLISH_SECONDS.start_timer();
    let published = tokio::time::timeout(state.publish_timeout, publish).await;
    timer.observe_duration();
    match published {
        Ok(Ok(())) => {
            crate::metrics::EVENTS_ACCEPTED.inc_by(accepted.max(0) as u64);
            crate::metrics::BATCH_EVENTS.observe(f64::from(accepted));
            crate::metrics::BATCH_BYTES.observe(event_bytes as f64);
            Ok((StatusCode::OK, Json(serde_json::json!({ "accepted": accepted }))).into_response())
        }
        Ok(Err(PublishError::NotEncodable(error))) => Err(GatewayError::Internal {
            reason: "batch could not be encoded",
            cause: InternalCause::Encode,
            source: Box::new(error),
        }),
        Ok(Err(PublishError::Log(error))) => {
            tracing::warn!(message = "publish failed", %error, session_id = %raw.session_id);
            Err(GatewayError::Unavailable { retry_after_secs: 5, source: Some(error) })
        }
        Err(_) => {
            tracing::warn!(message = "publish timed out", session_id = %raw.session_id);
            Err(GatewayError::Unavailable { retry_after_secs: 5, source: None })
        }
    }
}

/// [`parse_batch`] then [`scrub_batch`], with a hook in tests that panics on
/// [`tests::PANICKING_BODY`], the way a parser bug would.
fn run_parser(
    bytes: &[u8],
    gzip_header: bool,
    limits: &Limits,
    rules: &PrivacyRules,
) -> Result<ParsedBatch, GatewayError> {
    #[cfg(test)]
    if bytes == tests::PANICKING_BODY {
        panic!("the parser failed on this body");
    }
    let mut parsed = parse_batch(bytes, gzip_header, limits)?;
    let scrubbed = scrub_batch(&mut parsed, rules)?;
    if scrubbed > 0 {
        crate::metrics::SCRUBBED_EVENTS.inc_by(scrubbed as u64);
    }
    Ok(parsed)
}

/// The envelope around an accepted batch.
fn raw_batch(project_id: String, parsed: ParsedBatch, user_agent: &str, received_at_ms: i64) -> RawBatch {
    let mut device = parse_device(user_agent);
    if let Some((width, height)) = parsed.screen {
        device.screen_width = width;
        device.screen_height = height;
    }
    if let Some((width, height)) = parsed.viewport {
        device.viewport_width = width;
        device.viewport_height = height;
    }
    let user = parsed.user_traits_json.map(|traits_json| User { id: parsed.user_id, traits_json });
    RawBatch {
        project_id,
        session_id: parsed.session_id,
        window_id: parsed.window_id,
        seq: parsed.seq,
        client_sent_at_ms: parsed.sent_at_ms,
        received_at_ms,
        clock_offset_ms: received_at_ms - parsed.sent_at_ms,
        user,
        device,
        event_count: parsed.event_count as i32,
        events_json: parsed.events_json,
    }
}

async fn project_config(State(state): State<GatewayState>, Path(key): Path<String>) -> Result<Response, GatewayError> {
    let project = state.projects.by_key(&key).ok_or(GatewayError::Unauthorized("unknown project key"))?;
    let settings = state.recorder;
    let body = serde_json::json!({
        "enabled": project.enabled,
        "sample_rate": project.sample_rate.clamp(0.0, 1.0),
        "flush_interval_ms": settings.flush_interval_ms,
        "max_batch_bytes": settings.max_batch_bytes,
        "snapshot_interval_ms": settings.snapshot_interval_ms,
        "session_idle_timeout_ms": settings.session_idle_timeout_ms,
        "session_max_ms": settings.session_max_ms,
        "inline_assets": project.inline_assets,
        "mask_text": project.mask_text,
        "scrub_params": project.scrub_params,
        "text_patterns": project.text_patterns,
    });
    Ok(([(header::CACHE_CONTROL, "max-age=60")], Json(body)).into_response())
}

const RECORDER_JS_TYPE: &str = "application/javascript; charset=utf-8";
const SOURCE_MAP_TYPE: &str = "application/json";

async fn recorder_js(State(state): State<GatewayState>) -> Response {
    match state.recorder_js {
        None => recorder_not_configured(),
        Some(RecorderBundle::File(path)) => serve_recorder_file(&path, RECORDER_JS_TYPE).await,
        Some(RecorderBundle::Static { js, .. }) => recorder_bytes(js, RECORDER_JS_TYPE),
        Some(RecorderBundle::Missing { reason }) => recorder_missing(reason),
    }
}

async fn recorder_js_map(State(state): State<GatewayState>) -> Response {
    match state.recorder_js {
        None => recorder_not_configured(),
        Some(RecorderBundle::File(path)) => {
            let mut name = path.into_os_string();
            name.push(".map");
            serve_recorder_file(&PathBuf::from(name), SOURCE_MAP_TYPE).await
        }
        Some(RecorderBundle::Static { map: Some(map), .. }) => recorder_bytes(map, SOURCE_MAP_TYPE),
        Some(RecorderBundle::Static { map: None, .. }) => {
            (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "recorder source map not built" })))
                .into_response()
        }
        Some(RecorderBundle::Missing { reason }) => recorder_missing(reason),
    }
}

fn recorder_not_configured() -> Response {
    (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "recorder bundle not configured" }))).into_response()
}

fn recorder_missing(reason: &'static str) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "error": reason }))).into_response()
}

fn recorder_bytes(bytes: Bytes, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "max-age=300")], bytes).into_response()
}

async fn serve_recorder_file(path: &std::path::Path, content_type: &'static str) -> Response {
    match tokio::fs::read(path).await {
        Ok(bytes) => recorder_bytes(Bytes::from(bytes), content_type),
        Err(error) => {
            tracing::warn!(message = "recorder bundle unreadable", %error, path = %path.display());
            (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "recorder bundle not built" }))).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use playback_log::{Consumer, KeyValues, LogError, Topic};
    use tower::ServiceExt;

    /// A body on which [`run_parser`] panics.
    pub(super) const PANICKING_BODY: &[u8] = b"{\"panic\": \"in the parser\"}";

    /// An event log that takes every batch and serves nothing else.
    struct AcceptingLog;

    #[async_trait::async_trait]
    impl EventLog for AcceptingLog {
        async fn publish(&self, _topic: Topic, _key: &[u8], _value: Vec<u8>) -> Result<(), LogError> {
            Ok(())
        }

        async fn consumer(&self, _topic: Topic, _group: &str) -> Result<Box<dyn Consumer>, LogError> {
            Err(LogError::unavailable("no consumers in this test"))
        }

        async fn read_compacted(&self, _topic: Topic) -> Result<KeyValues, LogError> {
            Ok(KeyValues::new())
        }

        async fn partitions(&self, _topic: Topic) -> Result<i32, LogError> {
            Ok(1)
        }

        async fn trim(&self, _options: &playback_log::TrimOptions) -> Result<playback_log::TrimReport, LogError> {
            Ok(playback_log::TrimReport::default())
        }

        async fn delete_key(
            &self,
            _topic: Topic,
            _key: &[u8],
            _dry_run: bool,
        ) -> Result<playback_log::KeyDeletion, LogError> {
            Ok(playback_log::KeyDeletion::default())
        }
    }

    fn app() -> Router {
        app_with(None)
    }

    fn app_with(recorder_js: Option<RecorderBundle>) -> Router {
        let project = crate::Project::new("demo", "pk_demo");
        router(GatewayState {
            log: Arc::new(AcceptingLog),
            projects: Arc::new(ProjectRegistry::new([project]).unwrap()),
            limits: Limits::default(),
            limiter: Arc::new(RateLimiter::new(0.0, 1.0)),
            publish_timeout: Duration::from_secs(5),
            recorder: RecorderSettings::default(),
            recorder_js,
        })
    }

    fn batch() -> Vec<u8> {
        let now = now_ms();
        serde_json::json!({
            "session_id": "0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5f",
            "window_id": "w",
            "seq": 0,
            "sent_at": now,
            "events": [{ "type": 4, "data": {}, "timestamp": now }],
        })
        .to_string()
        .into_bytes()
    }

    /// The status, the `error` of the body (empty when there is none) and the headers.
    async fn send(request: Request<Body>) -> (StatusCode, String, HeaderMap) {
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        (status, body["error"].as_str().unwrap_or("").to_string(), headers)
    }

    fn post_batch(uri: &str) -> axum::http::request::Builder {
        Request::post(uri).header("content-type", "application/json")
    }

    #[tokio::test]
    async fn a_plain_or_gzip_body_is_accepted() {
        let plain = post_batch("/v1/batches").header("x-playback-key", "pk_demo");
        assert_eq!(send(plain.body(Body::from(batch())).unwrap()).await.0, StatusCode::OK);
        let identity =
            post_batch("/v1/batches").header("x-playback-key", "pk_demo").header("content-encoding", "identity");
        assert_eq!(send(identity.body(Body::from(batch())).unwrap()).await.0, StatusCode::OK);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, &batch()).unwrap();
        let gzip = encoder.finish().unwrap();
        let gzipped = post_batch("/v1/batches").header("x-playback-key", "pk_demo").header("content-encoding", "GZIP");
        assert_eq!(send(gzipped.body(Body::from(gzip.clone())).unwrap()).await.0, StatusCode::OK);
        let beacon = post_batch("/v1/batches?key=pk_demo");
        assert_eq!(send(beacon.body(Body::from(gzip)).unwrap()).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_panic_in_the_parser_is_a_500_without_retry_after_or_detail() {
        let counter = crate::metrics::INTERNAL_ERRORS.with_label_values(&["parser_panic"]);
        let before = counter.get();
        let request = post_batch("/v1/batches").header("x-playback-key", "pk_demo");
        let (status, error, headers) = send(request.body(Body::from(PANICKING_BODY)).unwrap()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error, "internal error: batch could not be parsed", "a fixed reason, no panic message");
        assert!(headers.get(header::RETRY_AFTER).is_none(), "a 500 does not invite a prompt retry");
        assert_eq!(counter.get(), before + 1, "counted under cause=parser_panic");
        // The gateway keeps serving after the panic.
        let request = post_batch("/v1/batches").header("x-playback-key", "pk_demo");
        assert_eq!(send(request.body(Body::from(batch())).unwrap()).await.0, StatusCode::OK);
    }

    #[test]
    fn internal_errors_keep_their_cause_but_do_not_show_it() {
        let cause: Box<dyn std::error::Error + Send + Sync> = "avro says: schema mismatch at field 7".into();
        let error = GatewayError::Internal {
            reason: "batch could not be encoded",
            cause: InternalCause::Encode,
            source: cause,
        };
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.to_string(), "internal error: batch could not be encoded");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("avro says: schema mismatch at field 7"));
    }

    #[tokio::test]
    async fn content_encodings_other_than_gzip_are_unsupported() {
        for encoding in ["br", "deflate", "gzip, gzip", "zstd", "gzip, br"] {
            let request =
                post_batch("/v1/batches").header("x-playback-key", "pk_demo").header("content-encoding", encoding);
            let (status, error, _) = send(request.body(Body::from(batch())).unwrap()).await;
            assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{encoding}");
            assert!(error.contains("unsupported content encoding"), "{encoding}: {error}");
        }
    }

    #[tokio::test]
    async fn a_wrong_method_gets_405_with_a_reason() {
        for method in ["GET", "PUT", "DELETE", "PATCH"] {
            let request = Request::builder().method(method).uri("/v1/batches").body(Body::from(batch())).unwrap();
            let (status, error, headers) = send(request).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
            assert_eq!(error, "method not allowed: use POST", "{method}");
            assert_eq!(headers.get(header::ALLOW).unwrap(), "POST", "{method}");
        }
        let request = Request::post("/v1/projects/pk_demo/config").body(Body::empty()).unwrap();
        assert_eq!(send(request).await.1, "method not allowed: use GET, HEAD");
    }

    #[tokio::test]
    async fn key_problems_get_json_reasons() {
        let twice = post_batch("/v1/batches?key=pk_demo&key=pk_demo").body(Body::from(batch())).unwrap();
        let (status, error, _) = send(twice).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(error.starts_with("invalid query string: ") && error.contains("duplicate field"), "{error}");

        let latin1 = axum::http::HeaderValue::from_bytes(b"pk_demo\xe9").unwrap();
        let request = post_batch("/v1/batches?key=pk_demo").header("x-playback-key", latin1);
        let (status, error, _) = send(request.body(Body::from(batch())).unwrap()).await;
        assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "unknown project key"));

        let request = post_batch("/v1/batches").body(Body::from(batch())).unwrap();
        let (status, error, _) = send(request).await;
        assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "missing project key"));
    }

    /// The status, the content type and the body of `GET path`.
    async fn get_bytes(app: Router, path: &str) -> (StatusCode, String, Vec<u8>) {
        let response = app.oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let content_type = response.headers().get(header::CONTENT_TYPE).map(|value| value.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, content_type.unwrap_or_default(), bytes)
    }

    #[tokio::test]
    async fn the_recorder_bundle_comes_from_a_file_from_memory_or_answers_why_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("recorder.js"), "from disk").unwrap();
        let file = app_with(Some(RecorderBundle::File(dir.path().join("recorder.js"))));
        assert_eq!(get_bytes(file.clone(), "/recorder.js").await.2, b"from disk");
        assert_eq!(get_bytes(file, "/recorder.js.map").await.0, StatusCode::NOT_FOUND, "no map next to it");

        let js = Bytes::from_static(b"from memory");
        let memory = app_with(Some(RecorderBundle::Static { js, map: Some(Bytes::from_static(b"{}")) }));
        let (status, content_type, body) = get_bytes(memory.clone(), "/recorder.js").await;
        assert_eq!(
            (status, content_type.as_str(), body.as_slice()),
            (StatusCode::OK, RECORDER_JS_TYPE, &b"from memory"[..])
        );
        assert_eq!(get_bytes(memory, "/recorder.js.map").await.1, SOURCE_MAP_TYPE);

        let missing = app_with(Some(RecorderBundle::Missing { reason: "run npm run build" }));
        let (status, _, body) = get_bytes(missing, "/recorder.js").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["error"], "run npm run build");
    }
}
