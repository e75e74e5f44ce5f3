//! The warehouse: the `sessions`, `events` and `recording_chunks` tables.
//!
//! Stages see only [`Warehouse`]. [`embedded::SqliteWarehouse`] serves `playback up`;
//! [`clickhouse::ClickHouseWarehouse`] serves a deployment. Every write is an idempotent upsert
//! on the row's identity:
//! - an event row on `(project, session, window, batch seq, index, kind)`;
//! - a session row on `(project, session)`, keeping the highest `version`;
//! - a chunk row on `(project, session, window, first seq, last seq)`.
//!
//! So a redelivered batch changes nothing, which [`conformance`] checks.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub mod clickhouse;
pub mod conformance;
pub mod embedded;

/// The kinds of transcript events.
pub mod kind {
    pub const PAGE_VIEW: &str = "page_view";
    pub const CLICK: &str = "click";
    pub const INPUT: &str = "input";
    pub const EXCEPTION: &str = "exception";
    pub const CUSTOM: &str = "custom";
    pub const RAGE_CLICK: &str = "rage_click";
    pub const DEAD_CLICK: &str = "dead_click";
    /// Every kind, in display order.
    pub const ALL: [&str; 7] = [PAGE_VIEW, CLICK, INPUT, EXCEPTION, CUSTOM, RAGE_CLICK, DEAD_CLICK];
}

/// One transcript event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub project_id: String,
    pub session_id: String,
    pub window_id: String,
    pub batch_seq: i64,
    /// The index of the rrweb event within its batch.
    pub event_index: i32,
    /// One of [`kind::ALL`].
    pub kind: String,
    /// Server time, ms since the epoch.
    pub ts_ms: i64,
    pub url: String,
    /// The custom event's name, or the exception's message.
    pub name: String,
    /// A description of the element, such as `button "Save"`.
    pub target: String,
    /// Custom event properties or exception details, as JSON text.
    pub props_json: String,
}

/// One session with its aggregates and score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    pub project_id: String,
    pub session_id: String,
    /// The sessionizer's version of the aggregate; an upsert keeps the highest.
    pub version: i64,
    pub closed: bool,
    pub start_ms: i64,
    pub end_ms: i64,
    pub active_ms: i64,
    /// Empty for an anonymous visitor.
    pub user_id: String,
    pub user_traits_json: String,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub os_version: String,
    pub device_type: String,
    pub screen_width: i32,
    pub screen_height: i32,
    pub windows: i32,
    pub events: i64,
    pub page_views: i32,
    pub clicks: i32,
    pub inputs: i32,
    pub errors: i32,
    pub custom_events: i32,
    pub rage_clicks: i32,
    pub dead_clicks: i32,
    pub entry_url: String,
    pub exit_url: String,
    pub urls_json: String,
    pub event_names_json: String,
    /// The score without the recency factor, which depends on the time of the query.
    pub base_score: f64,
    pub score_breakdown_json: String,
    /// The MinHash similarity signature, as a JSON array of integers.
    pub signature_json: String,
    pub updated_at_ms: i64,
}

/// One recording chunk: a zstd blob of consecutive batches of one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRow {
    pub project_id: String,
    pub session_id: String,
    pub window_id: String,
    pub first_seq: i64,
    pub last_seq: i64,
    pub blob_key: String,
    /// Client time of the first and last rrweb event in the chunk.
    pub first_ts_ms: i64,
    pub last_ts_ms: i64,
    pub events: i32,
    pub bytes: i64,
    /// Whether the chunk starts with a Meta and FullSnapshot, so playback can start there.
    pub full_snapshot: bool,
    pub created_at_ms: i64,
}

/// How `list_sessions` orders its results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SessionOrder {
    /// End time, newest first.
    Recent,
    /// Score including recency, highest first.
    Score(Recency),
}

/// The recency factor of the score, evaluated at `as_of_ms`:
/// `points * 2^(-(as_of - end) / half_life)`, and `points` for a session that ends later.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recency {
    pub as_of_ms: i64,
    pub points: f64,
    pub half_life_ms: f64,
}

impl Recency {
    /// The recency points of a session that ended at `end_ms`.
    pub fn points_for(&self, end_ms: i64) -> f64 {
        let age = (self.as_of_ms - end_ms).max(0) as f64;
        self.points * (-(age / self.half_life_ms)).exp2()
    }
}

/// The position after which the next page starts, for keyset paging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PageAfter {
    /// After the session with this end time and id.
    Recent { end_ms: i64, session_id: String },
    /// After the session with this score and id.
    Score { score: f64, session_id: String },
}

/// A page of sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionQuery {
    /// `None` reads every project.
    pub project_id: Option<String>,
    /// End-time range `[from, to)`.
    pub end_from_ms: i64,
    pub end_to_ms: i64,
    pub order: SessionOrder,
    pub after: Option<PageAfter>,
    pub limit: usize,
}

/// A session of a listing with its score at query time.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionHit {
    pub row: SessionRow,
    pub score: f64,
}

/// An error from the warehouse.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// The warehouse cannot serve now; the caller may retry.
    #[error("warehouse unavailable: {0}")]
    Unavailable(String),
    /// The storage failed or holds something unexpected.
    #[error("warehouse storage: {0}")]
    Storage(String),
}

/// The tables behind filtering, the transcript, the timeline and playback.
#[async_trait]
pub trait Warehouse: Send + Sync + 'static {
    /// Creates or upgrades the tables; idempotent.
    async fn migrate(&self) -> Result<(), WarehouseError>;
    /// Whether the warehouse answers and its tables are at this build's schema version: for
    /// readiness probes.
    async fn check(&self) -> Result<(), WarehouseError> {
        Ok(())
    }
    /// Upserts transcript events on their identity.
    async fn insert_events(&self, rows: Vec<EventRow>) -> Result<(), WarehouseError>;
    /// Upserts sessions, keeping the row with the highest `version`.
    async fn upsert_sessions(&self, rows: Vec<SessionRow>) -> Result<(), WarehouseError>;
    /// Upserts recording chunks on their identity.
    async fn insert_chunks(&self, rows: Vec<ChunkRow>) -> Result<(), WarehouseError>;
    /// A page of sessions.
    async fn list_sessions(&self, query: &SessionQuery) -> Result<Vec<SessionHit>, WarehouseError>;
    /// One session, in `project_id` when given.
    async fn get_session(
        &self,
        project_id: Option<&str>,
        session_id: &str,
    ) -> Result<Option<SessionRow>, WarehouseError>;
    /// A session's transcript in time order.
    async fn session_events(&self, project_id: &str, session_id: &str) -> Result<Vec<EventRow>, WarehouseError>;
    /// A session's chunks ordered by window, first seq and last seq. Chunks may overlap after a
    /// redelivery; readers keep each `(window, seq)` once.
    async fn session_chunks(&self, project_id: &str, session_id: &str) -> Result<Vec<ChunkRow>, WarehouseError>;
}
