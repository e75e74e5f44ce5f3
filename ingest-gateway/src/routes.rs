use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use playback_log::{EventLog, Topic};
use playback_schemas::{now_ms, AvroMessage, RawBatch, User};
use serde::Deserialize;
use tower_http::cors::{Any, CorsLayer};

use crate::{parse_batch, parse_device, GatewayError, Limits, ParsedBatch, ProjectRegistry, RateLimiter};

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
    pub recorder_js: Option<PathBuf>,
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
    Router::new()
        .route("/v1/batches", post(post_batch_counted))
        .route("/v1/projects/{key}/config", get(project_config))
        .route("/recorder.js", get(recorder_js))
        .route("/recorder.js.map", get(recorder_js_map))
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

async fn post_batch_counted(
    state: State<GatewayState>,
    query: Query<KeyQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let result = post_batch(state, query, headers, body).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.status(),
    };
    crate::metrics::REQUESTS.with_label_values(&[status.as_str()]).inc();
    result
}

async fn post_batch(
    State(state): State<GatewayState>,
    Query(query): Query<KeyQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let key = headers.get("x-playback-key").and_then(|value| value.to_str().ok()).map(str::to_string).or(query.key);
    let key = key.ok_or(GatewayError::Unauthorized("missing project key"))?;
    let project = state.projects.by_key(&key).ok_or(GatewayError::Unauthorized("unknown project key"))?;
    if !project.enabled {
        return Err(GatewayError::Unauthorized("project is disabled"));
    }
    let project_id = project.id.clone();
    state.limiter.check(&project_id).map_err(|retry_after_secs| GatewayError::RateLimited { retry_after_secs })?;

    let bytes = read_limited(body, state.limits.max_body_bytes).await?;
    crate::metrics::RECEIVED_BYTES.inc_by(bytes.len() as u64);
    let gzip_header = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("gzip"));
    let limits = state.limits;
    let parsed = tokio::task::spawn_blocking(move || parse_batch(&bytes, gzip_header, &limits))
        .await
        .map_err(|_| GatewayError::Unavailable { retry_after_secs: 1 })??;

    let user_agent = headers.get(header::USER_AGENT).and_then(|value| value.to_str().ok()).unwrap_or("");
    let raw = raw_batch(project_id, parsed, user_agent, now_ms());
    let accepted = raw.event_count;
    let event_bytes = raw.events_json.len();
    let value = raw.encode().map_err(|error| GatewayError::BadRequest(format!("cannot encode batch: {error}")))?;
    let key = playback_schemas::session_key(&raw.project_id, &raw.session_id);
    let publish = state.log.publish(Topic::RawBatches, key.as_bytes(), value);
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
        Ok(Err(error)) => {
            tracing::warn!(message = "publish failed", %error, session_id = %raw.session_id);
            Err(GatewayError::Unavailable { retry_after_secs: 5 })
        }
        Err(_) => {
            tracing::warn!(message = "publish timed out", session_id = %raw.session_id);
            Err(GatewayError::Unavailable { retry_after_secs: 5 })
        }
    }
}

/// The envelope around an accepted batch.
fn raw_batch(project_id: String, parsed: ParsedBatch, user_agent: &str, received_at_ms: i64) -> RawBatch {
    let mut device = parse_device(user_agent);
    if let Some((width, height)) = parsed.screen {
        device.screen_width = width;
        device.screen_height = height;
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
    });
    Ok(([(header::CACHE_CONTROL, "max-age=60")], Json(body)).into_response())
}

async fn recorder_js(State(state): State<GatewayState>) -> Response {
    serve_recorder_file(state.recorder_js.clone(), "application/javascript; charset=utf-8").await
}

async fn recorder_js_map(State(state): State<GatewayState>) -> Response {
    let map = state.recorder_js.as_ref().map(|path| {
        let mut name = path.as_os_str().to_owned();
        name.push(".map");
        PathBuf::from(name)
    });
    serve_recorder_file(map, "application/json").await
}

async fn serve_recorder_file(path: Option<PathBuf>, content_type: &'static str) -> Response {
    let Some(path) = path.as_ref() else {
        return (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "recorder bundle not configured" })))
            .into_response();
    };
    match tokio::fs::read(path).await {
        Ok(bytes) => {
            ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "max-age=300")], bytes).into_response()
        }
        Err(error) => {
            tracing::warn!(message = "recorder bundle unreadable", %error, path = %path.display());
            (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "recorder bundle not built" }))).into_response()
        }
    }
}
