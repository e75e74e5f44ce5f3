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
            GatewayError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            GatewayError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            GatewayError::RateLimited { retry_after_secs } | GatewayError::Unavailable { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        };
        let mut response = (self.status(), Json(serde_json::json!({ "error": self.to_string() }))).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
