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
    /// The event log could not take the batch; the client should send it again.
    #[error("event log unavailable, retry later")]
    Unavailable { retry_after_secs: u64 },
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
        }
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(serde_json::json!({ "error": self.to_string() }))).into_response();
        match &self {
            GatewayError::RateLimited { retry_after_secs } | GatewayError::Unavailable { retry_after_secs } => {
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
