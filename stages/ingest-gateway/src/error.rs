//! The gateway's one error type and its mapping to HTTP answers.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Why the gateway refused a request. Each variant maps to one status code.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The body is not a valid batch.
    #[error("{0}")]
    BadRequest(String),
    /// The project key is missing, unknown or disabled.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The body or one event is above a limit.
    #[error("{0}")]
    TooLarge(String),
    /// The body is in a content encoding the gateway does not decode (it decodes gzip only).
    #[error("unsupported content encoding: send plain or gzip JSON")]
    UnsupportedEncoding,
    /// The route does not take this method; `allow` is the one it takes.
    #[error("method not allowed: use {allow}")]
    MethodNotAllowed { allow: &'static str },
    /// The project sent more batches than its rate limit allows.
    #[error("rate limit exceeded")]
    RateLimited { retry_after_secs: u64 },
    /// The event log could not take the batch; the client should send it again. `source` is
    /// the log's error, `None` when the publish timed out.
    #[error("event log unavailable, retry later")]
    Unavailable {
        retry_after_secs: u64,
        #[source]
        source: Option<playback_log::LogError>,
    },
    /// The gateway failed on a batch it should have handled (the parser panicked, a valid
    /// batch did not encode). Sending the same batch again is likely to fail the same way, so
    /// the answer has no `Retry-After`; the client gives up after a few tries. The client sees
    /// only `reason`; `source` is logged.
    #[error("internal error: {reason}")]
    Internal {
        /// What failed, without internal detail: `"batch could not be parsed"`.
        reason: &'static str,
        /// Which counter of `playback_gateway_internal_errors_total` this counts under.
        cause: crate::metrics::InternalCause,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl GatewayError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            GatewayError::BadRequest(_) => StatusCode::BAD_REQUEST,
            GatewayError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            GatewayError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            GatewayError::UnsupportedEncoding => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            GatewayError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            GatewayError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            GatewayError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            GatewayError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(serde_json::json!({ "error": self.to_string() }))).into_response();
        match &self {
            GatewayError::RateLimited { retry_after_secs } | GatewayError::Unavailable { retry_after_secs, .. } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            GatewayError::MethodNotAllowed { allow } => {
                response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            _ => {}
        }
        response
    }
}
