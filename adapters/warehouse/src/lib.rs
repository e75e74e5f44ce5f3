//! The warehouse: the `sessions`, `events` and `recording_chunks` tables, the notes, saved
//! filters and share links, and the asset tables (`assets`, `session_assets`).
//!
//! Stages see only [`Warehouse`]. [`embedded::SqliteWarehouse`] serves `playback up`;
//! [`clickhouse::ClickHouseWarehouse`] serves a deployment. Every write is an idempotent upsert
//! on the row's identity:
//! - an event row on `(project, session, window, batch seq, index, kind)`;
//! - a session row on `(project, session)`, keeping the highest `version`;
//! - a chunk row on `(project, session, window, first seq, last seq)`;
//! - an asset row on `(project, url)`, keeping the highest `version`;
//! - a session's asset URL on `(project, session, url)`, keeping the earliest `first_seen_ms`.
//!
//! So a redelivered batch changes nothing, which the conformance suite (`conformance.rs`, behind the `testsuite` feature) checks.

use std::borrow::Cow;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

mod assets;
#[cfg(feature = "clickhouse")]
pub mod clickhouse;
pub mod columns;
#[cfg(any(test, feature = "testsuite"))]
pub mod conformance;
mod deletion;
pub mod embedded;
mod event_kind;
pub mod retention;

pub use assets::{AssetRow, AssetStatus, SessionAsset, SessionAssetRow};
pub use columns::{Column, Table};
pub use deletion::{DeleteOptions, SessionDeletion};
pub use event_kind::EventKind;
pub use retention::{ProjectCutoff, RetentionOutcome, RetentionPlan, TableRemoval};

/// One transcript event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub project_id: String,
    pub session_id: String,
    pub window_id: String,
    pub batch_seq: i64,
    /// The index of the rrweb event within its batch.
    pub event_index: i32,
    pub kind: EventKind,
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

crate::table_row! {
/// One session with its aggregates and score: the `sessions` table of both warehouses, and
/// the ClickHouse RowBinary record (see [`columns`]). A new field needs a migration that adds
/// its column in each warehouse; their schema tests fail until it has one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clickhouse", derive(::clickhouse::Row), clickhouse(crate = "::clickhouse"))]
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
    /// The page's viewport (the rrweb Meta size); `screen_width` and `screen_height` are the
    /// device's screen. 0 when unknown. Last, since migration 4 added them.
    pub viewport_width: i32,
    pub viewport_height: i32,
}
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionOrder {
    /// End time, newest first.
    #[default]
    Recent,
    /// Score including recency, highest first.
    Score,
}

/// The recency factor of the score, evaluated at `as_of_ms`:
/// `points * 2^(-(as_of - end) / half_life)`, and `points` for a session that ends later.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Recency {
    pub as_of_ms: i64,
    pub points: f64,
    pub half_life_ms: f64,
}

impl Recency {
    /// The factor as of `as_of_ms`, worth `points` for a session that just ended and halving
    /// every `half_life_hours`.
    pub fn at(as_of_ms: i64, points: f64, half_life_hours: f64) -> Recency {
        Recency { as_of_ms, points, half_life_ms: half_life_hours * 3_600_000.0 }
    }

    /// The recency points of a session that ended at `end_ms`.
    pub fn points_for(&self, end_ms: i64) -> f64 {
        let age = (self.as_of_ms - end_ms).max(0) as f64;
        self.points * (-(age / self.half_life_ms)).exp2()
    }

    /// The recency factor of a session that ended at `end_ms`, for its score breakdown: `raw`
    /// is its age in hours, to two decimals.
    pub fn factor(&self, end_ms: i64) -> Factor {
        let age_hours = (self.as_of_ms - end_ms).max(0) as f64 / 3_600_000.0;
        let points = self.points_for(end_ms);
        let normalized = if self.points > 0.0 { points / self.points } else { 0.0 };
        Factor {
            factor: "recency".into(),
            raw: (age_hours * 100.0).round() / 100.0,
            normalized,
            weight: self.points,
            points,
        }
    }
}

/// One factor's share of a session's score, as `score_breakdown_json` stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Factor {
    /// `clicks`, `urls`, `inputs`, `activity` or `recency`.
    pub factor: String,
    /// The measured value: a count, a share of the duration, or an age in hours.
    pub raw: f64,
    /// `raw` mapped onto 0..1.
    pub normalized: f64,
    pub weight: f64,
    /// `normalized * weight`.
    pub points: f64,
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionQuery {
    /// `None` reads every project.
    pub project_id: Option<String>,
    /// End-time range `[from, to)`.
    pub end_from_ms: i64,
    pub end_to_ms: i64,
    pub order: SessionOrder,
    /// How the score of each hit, its order and `filter.min_score` count recency.
    pub recency: Recency,
    pub filter: SessionFilter,
    pub after: Option<PageAfter>,
    pub limit: usize,
}

/// `key = value` on a JSON object: the value matches a JSON string equal to it, or a number or
/// boolean written the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyMatch {
    pub key: String,
    pub value: String,
}

impl PropertyMatch {
    /// The JSON texts that the stored value may have: the value as a JSON string, and as is
    /// (a number or a boolean).
    pub fn json_forms(&self) -> [String; 2] {
        [serde_json::Value::String(self.value.clone()).to_string(), self.value.clone()]
    }
}

/// Conditions a listed session meets; all must hold. Empty holds for every session.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionFilter {
    /// A custom event of this name occurred, with this property when given.
    pub event: Option<(String, Option<PropertyMatch>)>,
    /// Each of these holds on the user's traits.
    pub user_props: Vec<PropertyMatch>,
    /// The user id, or the `email` trait, equals this.
    pub user: Option<String>,
    /// A page view's URL contains this (or equals it, when `.1` is true).
    pub url: Option<(String, bool)>,
    /// Equal to these, ignoring ASCII case.
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device_type: Option<String>,
    /// Inclusive ranges.
    pub duration_ms: (Option<i64>, Option<i64>),
    pub active_ms: (Option<i64>, Option<i64>),
    pub page_views: (Option<i64>, Option<i64>),
    /// The score with recency at least this.
    pub min_score: Option<f64>,
    pub has_errors: bool,
    pub has_rage_clicks: bool,
    pub has_dead_clicks: bool,
}

/// A note on a session's timeline. Deleting one stores it again with `deleted` and a higher
/// `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteRow {
    pub project_id: String,
    pub session_id: String,
    pub note_id: String,
    pub offset_ms: i64,
    pub author: String,
    pub text: String,
    pub created_at_ms: i64,
    pub deleted: bool,
    pub version: i64,
}

/// A named set of list parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFilterRow {
    pub project_id: String,
    pub filter_id: String,
    pub name: String,
    /// The list's query string, without `cursor`.
    pub query: String,
    pub author: String,
    pub created_at_ms: i64,
    pub deleted: bool,
    pub version: i64,
}

/// A share link of one session. Revoking stores it again with `revoked` and a higher `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRow {
    pub project_id: String,
    pub share_id: String,
    pub session_id: String,
    pub author: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked: bool,
    pub version: i64,
}

/// One of a user's sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSession {
    pub session_id: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub user_traits_json: String,
}

/// A transcript event reduced to its time and kind, for timeline bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub session_id: String,
    pub ts_ms: i64,
    pub kind: EventKind,
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
    #[error("warehouse unavailable: {reason}{}", caused_by(.source))]
    Unavailable {
        /// What could not be done, lowercase.
        reason: Cow<'static, str>,
        #[source]
        source: Option<Cause>,
    },
    /// The storage failed or holds something unexpected.
    #[error("warehouse storage: {reason}{}", caused_by(.source))]
    Storage {
        /// What could not be done, lowercase.
        reason: Cow<'static, str>,
        #[source]
        source: Option<Cause>,
    },
}

/// What went wrong underneath a [`WarehouseError`]: the library's own error, kept for
/// [`std::error::Error::source`], or a message where there is none.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

impl WarehouseError {
    /// [`WarehouseError::Unavailable`] with no cause underneath.
    pub fn unavailable(reason: impl Into<Cow<'static, str>>) -> Self {
        WarehouseError::Unavailable { reason: reason.into(), source: None }
    }

    /// [`WarehouseError::Unavailable`] because of `source`.
    pub fn unavailable_from(reason: impl Into<Cow<'static, str>>, source: impl Into<Cause>) -> Self {
        WarehouseError::Unavailable { reason: reason.into(), source: Some(source.into()) }
    }

    /// [`WarehouseError::Storage`] with no cause underneath.
    pub fn storage(reason: impl Into<Cow<'static, str>>) -> Self {
        WarehouseError::Storage { reason: reason.into(), source: None }
    }

    /// [`WarehouseError::Storage`] because of `source`.
    pub fn storage_from(reason: impl Into<Cow<'static, str>>, source: impl Into<Cause>) -> Self {
        WarehouseError::Storage { reason: reason.into(), source: Some(source.into()) }
    }
}

/// `": {source}"`, or nothing without a source: the tail of an error message.
fn caused_by(source: &Option<Cause>) -> String {
    source.as_ref().map(|source| format!(": {source}")).unwrap_or_default()
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
    /// Removes what is past each project's retention (or, with `plan.dry_run`, only counts
    /// it): the expired sessions with their transcript, chunk rows, notes, shares and asset
    /// sightings, and the asset rows no remaining session uses. Returns what went, with the
    /// chunk and asset blobs that the blob store should remove after the rows.
    async fn apply_retention(&self, plan: &RetentionPlan) -> Result<RetentionOutcome, WarehouseError> {
        let _ = plan;
        Err(WarehouseError::storage("this warehouse has no retention"))
    }
    /// Upserts transcript events on their identity.
    async fn insert_events(&self, rows: Vec<EventRow>) -> Result<(), WarehouseError>;
    /// Upserts sessions, keeping the row with the highest `version`.
    async fn upsert_sessions(&self, rows: Vec<SessionRow>) -> Result<(), WarehouseError>;
    /// Upserts recording chunks on their identity.
    async fn insert_chunks(&self, rows: Vec<ChunkRow>) -> Result<(), WarehouseError>;
    /// Removes chunk rows by identity, once a merged chunk holds their batches; a row that is not
    /// there is no error. ClickHouse applies it as a mutation, shortly after it returns.
    async fn delete_chunks(&self, rows: Vec<ChunkRow>) -> Result<(), WarehouseError>;
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
    /// The transcript marks of `session_ids`, by session and time.
    async fn session_marks(&self, project_id: &str, session_ids: &[String]) -> Result<Vec<Mark>, WarehouseError>;
    /// A user's sessions by start time (their newest versions carry `user_id`).
    async fn user_sessions(&self, project_id: &str, user_id: &str) -> Result<Vec<UserSession>, WarehouseError>;
    /// Upserts notes, keeping the highest `version` of each. A tombstone (`deleted`) removes the
    /// versions it replaces from the store, text and all (on ClickHouse by a mutation, shortly
    /// after it returns).
    async fn upsert_notes(&self, rows: Vec<NoteRow>) -> Result<(), WarehouseError>;
    /// A session's notes that are not deleted, by offset.
    async fn session_notes(&self, project_id: &str, session_id: &str) -> Result<Vec<NoteRow>, WarehouseError>;
    /// Upserts saved filters, keeping the highest `version` of each.
    async fn upsert_saved_filters(&self, rows: Vec<SavedFilterRow>) -> Result<(), WarehouseError>;
    /// A project's saved filters that are not deleted, newest first.
    async fn saved_filters(&self, project_id: &str) -> Result<Vec<SavedFilterRow>, WarehouseError>;
    /// Upserts share links, keeping the highest `version` of each.
    async fn upsert_shares(&self, rows: Vec<ShareRow>) -> Result<(), WarehouseError>;
    /// A share link by id, revoked or not.
    async fn share(&self, project_id: &str, share_id: &str) -> Result<Option<ShareRow>, WarehouseError>;
    /// A session's share links, newest first.
    async fn session_shares(&self, project_id: &str, session_id: &str) -> Result<Vec<ShareRow>, WarehouseError>;

    /// Upserts asset fetches, keeping the highest `version` of each `(project, url)`; at an
    /// equal version the later write wins.
    async fn upsert_assets(&self, rows: Vec<AssetRow>) -> Result<(), WarehouseError>;
    /// The latest fetch of each of `urls` that has one, once per URL, in any order.
    async fn assets(&self, project_id: &str, urls: &[String]) -> Result<Vec<AssetRow>, WarehouseError>;
    /// The latest fetch of a URL of the project that is archived with this hash (any URL that
    /// stored these bytes; the newest version of those, then the first URL). A URL whose latest
    /// fetch has other bytes or failed no longer counts.
    async fn asset_by_hash(&self, project_id: &str, hash: &str) -> Result<Option<AssetRow>, WarehouseError>;
    /// Records asset URLs used by sessions. A `(project, session, url)` already recorded keeps
    /// the earliest `first_seen_ms`: inserting again, or a redelivered batch, changes nothing.
    async fn insert_session_assets(&self, rows: Vec<SessionAssetRow>) -> Result<(), WarehouseError>;
    /// Every asset URL a session uses, by URL, each with its latest fetch when there is one
    /// (`None`: not fetched yet).
    async fn session_assets(&self, project_id: &str, session_id: &str) -> Result<Vec<SessionAsset>, WarehouseError>;

    /// Removes every row of `session_ids` in `project_id`: the sessions with all their
    /// versions, transcript events, chunk rows, notes, share links and session asset URLs
    /// (`DeleteOptions::dry_run` only counts them). Deleted text does not stay readable in the
    /// storage's files: SQLite overwrites it, ClickHouse rewrites the parts (mutations that may
    /// still run when this returns, see [`SessionDeletion::in_progress`]). A warehouse that
    /// cannot delete refuses.
    async fn delete_sessions(
        &self,
        project_id: &str,
        session_ids: &[String],
        options: DeleteOptions,
    ) -> Result<SessionDeletion, WarehouseError> {
        let _ = (project_id, session_ids, options);
        Err(WarehouseError::storage("this warehouse cannot delete sessions"))
    }
}
