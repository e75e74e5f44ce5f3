use axum::body::Body;
use axum::extract::{FromRequest, OptionalFromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;

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

/// A JSON request body whose rejection (no JSON content type, bad syntax, wrong fields) is a
/// `400` with the documented error body, like every other bad parameter.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

fn body_rejection(rejection: axum::extract::rejection::JsonRejection) -> QueryError {
    QueryError::BadRequest(format!("invalid body: {}", rejection.body_text()))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = QueryError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        <Json<T> as FromRequest<S>>::from_request(request, state)
            .await
            .map(|Json(value)| JsonBody(value))
            .map_err(body_rejection)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for JsonBody<T> {
    type Rejection = QueryError;

    async fn from_request(request: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let value = <Json<T> as OptionalFromRequest<S>>::from_request(request, state).await.map_err(body_rejection)?;
        Ok(value.map(|Json(value)| JsonBody(value)))
    }
}

/// The largest plain-text error body that [`json_errors`] rewraps.
const MAX_PLAIN_ERROR_BYTES: usize = 16 * 1024;

/// Gives every client error the documented body, `{"error": "<reason>"}`: the answers that a
/// framework layer gave in plain text (an unknown method, a malformed path segment) are
/// rewrapped with their status kept.
pub async fn json_errors(response: Response) -> Response {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_none_or(|value| value.starts_with("text/plain"));
    if !response.status().is_client_error() || !plain {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_PLAIN_ERROR_BYTES).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let reason =
        if text.is_empty() { parts.status.canonical_reason().unwrap_or("client error").to_lowercase() } else { text };
    let body = serde_json::to_vec(&serde_json::json!({ "error": reason })).unwrap_or_default();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// The headers of every API answer: not sniffed, no referrer sent on, and not stored by any
/// cache unless the answer is content-addressed and says how to cache itself.
pub async fn api_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}
