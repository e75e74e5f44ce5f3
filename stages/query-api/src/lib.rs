//! The query API.
//!
//! Consumes: the warehouse (`sessions`, `events`, `recording_chunks`, `assets`,
//! `session_assets`), the recording chunks and the archived assets in blob storage; the event
//! log only to delete a session's records and tombstone its changelog state (`deletion.rs`).
//! Produces: the REST API of docs/api.md and the web UI's files.
//! Guarantees: every route but the shared view takes a bearer token and reads only the token's
//! project; writes are limited to notes, saved filters, share links and deletion on request
//! (admin); a session's recording is returned exactly as the recorder emitted it, each batch
//! once even when chunks overlap after a replay, whole (streamed chunk by chunk, so memory is
//! bounded by a few chunks) or chunk by chunk after a manifest.

pub mod assets;
pub mod auth;
mod collab;
pub mod deletion;
mod error;
mod list_query;
pub mod metrics;
pub mod openapi;
mod project;
pub mod recording;
mod sessions;
pub mod share_token;
mod shares;
mod similar;
mod titles;
mod users;
pub mod wire;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::Router;
use playback_blobs::BlobStore;
use playback_log::EventLog;
use playback_warehouse::Warehouse;

pub(crate) use playback_schemas::now_ms;
use tower_http::services::{ServeDir, ServeFile};

pub use auth::{ApiToken, Role, Tokens};
pub use error::QueryError;
pub use project::ProjectKeys;
pub use share_token::ShareSigner;
pub use shares::ShareLifetimes;

/// The recency factor of the score, which the query API applies at query time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecencyConfig {
    /// Points for a session that just ended.
    pub weight: f64,
    /// The points halve every this many hours.
    pub half_life_hours: f64,
}

impl Default for RecencyConfig {
    fn default() -> Self {
        RecencyConfig { weight: 20.0, half_life_hours: 24.0 }
    }
}

/// What the query API's handlers share.
#[derive(Clone)]
pub struct QueryState {
    pub warehouse: Arc<dyn Warehouse>,
    pub blobs: Arc<dyn BlobStore>,
    pub recency: RecencyConfig,
    pub tokens: Arc<Tokens>,
    pub share_signer: ShareSigner,
    pub share_lifetimes: ShareLifetimes,
    /// Each project's public recorder key, for `GET /v1/project`.
    pub projects: Arc<ProjectKeys>,
    /// The event log, which deletion on request removes a session's records from.
    pub log: Arc<dyn EventLog>,
}

impl QueryState {
    /// The stores a deletion removes from.
    pub fn stores(&self) -> deletion::Stores<'_> {
        deletion::Stores { warehouse: self.warehouse.as_ref(), blobs: self.blobs.as_ref(), log: self.log.as_ref() }
    }
}

/// The REST routes under `/v1`.
pub fn router(state: QueryState) -> Router {
    Router::new()
        .route("/v1/openapi.json", get(openapi::serve))
        .route("/v1/project", get(project::get))
        .route("/v1/sessions", get(sessions::list))
        .route("/v1/sessions/{id}", get(sessions::get).delete(deletion::delete_session))
        .route("/v1/sessions/{id}/events", get(sessions::events))
        .route("/v1/sessions/{id}/recording", get(recording::get))
        .route("/v1/sessions/{id}/recording/manifest", get(recording::manifest))
        .route("/v1/sessions/{id}/recording/chunks/{chunk_id}", get(recording::chunk))
        .route("/v1/sessions/{id}/similar", get(similar::get))
        .route("/v1/sessions/{id}/assets", get(assets::session_listing))
        .route("/v1/assets/{hash}", get(assets::by_hash))
        .route("/v1/asset-grants/{grant}/{hash}", get(assets::granted))
        .route("/v1/sessions/{id}/notes", get(collab::list_notes).post(collab::add_note))
        .route("/v1/sessions/{id}/notes/{note_id}", delete(collab::delete_note))
        .route("/v1/sessions/{id}/shares", get(shares::list).post(shares::create))
        .route("/v1/shares/{share_id}", delete(shares::revoke))
        .route("/v1/saved-filters", get(collab::list_filters).post(collab::save_filter))
        .route("/v1/saved-filters/{filter_id}", delete(collab::delete_filter))
        .route("/v1/users/{user_id}", get(users::get).delete(deletion::delete_user))
        .route("/v1/shared/{token}", get(shares::session))
        .route("/v1/shared/{token}/events", get(shares::events))
        .route("/v1/shared/{token}/recording", get(shares::recording))
        .route("/v1/shared/{token}/recording/manifest", get(shares::recording_manifest))
        .route("/v1/shared/{token}/recording/chunks/{chunk_id}", get(shares::recording_chunk))
        .route("/v1/shared/{token}/assets", get(assets::shared_listing))
        .route("/v1/shared/{token}/assets/{hash}", get(assets::shared_asset))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::map_response(error::log_internal_errors))
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(axum::middleware::map_response(error::api_headers))
        .with_state(state)
}

/// The web UI from `web_dir`, with `index.html` for any other path that is not an API path,
/// so the UI's own routes work on reload.
pub fn web_router(web_dir: PathBuf) -> Router {
    let index = web_dir.join("index.html");
    let files = ServeDir::new(&web_dir).fallback(ServeFile::new(index));
    Router::new().route("/v1/{*rest}", get(api_not_found)).fallback_service(files)
}

async fn api_not_found(uri: Uri) -> Response {
    QueryError::NotFound(format!("no route for {}", uri.path())).into_response()
}

/// `GET /healthz`.
pub async fn healthz() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ok\n").into_response()
}
