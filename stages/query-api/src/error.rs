use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Why a query failed. Internal details are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A parameter is missing or malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No token, or one that is not configured.
    #[error("{0}")]
    Unauthorized(String),
    /// The token's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The session (or route) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It existed but is no longer available, such as an expired or revoked share link.
    #[error("{0}")]
    Gone(String),
    /// A backend failed; the message stays in the logs.
    #[error("internal error")]
    Internal(String),
}

impl QueryError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            QueryError::BadRequest(_) => StatusCode::BAD_REQUEST,
            QueryError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            QueryError::Forbidden(_) => StatusCode::FORBIDDEN,
            QueryError::NotFound(_) => StatusCode::NOT_FOUND,
            QueryError::Gone(_) => StatusCode::GONE,
            QueryError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<playback_warehouse::WarehouseError> for QueryError {
    fn from(error: playback_warehouse::WarehouseError) -> Self {
        QueryError::Internal(error.to_string())
    }
}

impl From<playback_blobs::BlobError> for QueryError {
    fn from(error: playback_blobs::BlobError) -> Self {
        QueryError::Internal(error.to_string())
    }
}

/// The detail of an internal error, carried on the response for the logging middleware.
#[derive(Debug, Clone)]
pub struct InternalDetail(pub String);

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(serde_json::json!({ "error": self.to_string() }))).into_response();
        if matches!(self, QueryError::Unauthorized(_)) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        if let QueryError::Internal(detail) = self {
            response.extensions_mut().insert(InternalDetail(detail));
        }
        response
    }
}

/// Logs the detail of internal errors, which the client never sees.
pub async fn log_internal_errors(response: Response) -> Response {
    if let Some(InternalDetail(detail)) = response.extensions().get::<InternalDetail>() {
        tracing::error!(message = "query failed", %detail, status = response.status().as_u16());
    }
    response
}
