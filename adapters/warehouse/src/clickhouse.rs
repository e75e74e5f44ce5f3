//! The distributed warehouse: ClickHouse over HTTP through the `clickhouse` crate.
//!
//! It keeps the embedded warehouse's semantics on tables that only ever grow: every upsert is
//! an `INSERT` into a ReplacingMergeTree, and reads de-duplicate (`clickhouse/schema.rs`
//! explains the keys and partitions). Each `insert_*` call sends its rows in one `INSERT`
//! (several only above [`ClickHouseConfig::insert_batch_rows`]); the stages already batch.
//!
//! The SQL is the subset that ClickHouse 18.16 (the test server) and 23+ (production) both
//! accept; `tests/chdb.rs` runs [`migration_statements`] and [`example_queries`] on the
//! current engine as well.

use std::future::Future;
use std::time::Duration;

use ::clickhouse::sql::Identifier;
use ::clickhouse::{Client, RowOwned, RowWrite};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{
    AssetRow, AssetStatus, ChunkRow, DeleteOptions, EventRow, Mark, NoteRow, PageAfter, RetentionOutcome,
    RetentionPlan, SavedFilterRow, SessionAsset, SessionAssetRow, SessionDeletion, SessionHit, SessionOrder,
    SessionQuery, SessionRow, ShareRow, UserSession, Warehouse, WarehouseError,
};

mod assets;
mod deletion;
mod examples;
mod records;
mod retention;
mod schema;
mod sql;
mod views;

pub use schema::migration_statements;

use records::{
    event_kind, AssetHashRecord, AssetRecord, ChunkRecord, EventRecord, MarkRecord, NoteRecord, PageKeyRecord,
    SavedFilterRecord, SessionUrlRecord, ShareRecord, UserSessionRecord,
};

/// Where the warehouse is and how to talk to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClickHouseConfig {
    /// The HTTP(S) endpoint. Default `http://127.0.0.1:8123`.
    pub url: String,
    /// The database of the tables; `migrate` creates it when it is missing. Default `playback`.
    pub database: String,
    /// Default `default`.
    pub user: String,
    /// Default empty.
    pub password: String,
    /// Check each row's Rust types against the columns' (RowBinaryWithNamesAndTypes). Only a
    /// server 23 or newer understands this; turn it on only there. Default `false`.
    pub validation: bool,
    /// The most rows sent in one `INSERT`; a call with more is split. Default 100 000.
    pub insert_batch_rows: usize,
    /// The longest a session lasts, from its first event to its last, including late events.
    /// A listing by end time `[from, to)` reads only sessions that started at or after
    /// `from - max_session_ms`, which lets ClickHouse skip older partitions; it must be at
    /// least the sessionizer's maximum session length. Default 24 h (86 400 000).
    pub max_session_ms: i64,
    /// How long one call may take before it fails as unavailable. Default 30 000.
    pub timeout_ms: u64,
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        ClickHouseConfig {
            url: "http://127.0.0.1:8123".into(),
            database: "playback".into(),
            user: "default".into(),
            password: String::new(),
            validation: false,
            insert_batch_rows: 100_000,
            max_session_ms: 24 * 3_600_000,
            timeout_ms: 30_000,
        }
    }
}

/// The ClickHouse warehouse.
pub struct ClickHouseWarehouse {
    config: ClickHouseConfig,
    /// Queries in `config.database`.
    client: Client,
    /// Queries outside any database, to create it.
    server: Client,
}

fn storage(error: ::clickhouse::error::Error) -> WarehouseError {
    WarehouseError::storage_from("clickhouse call failed", error)
}

/// Connection failures and timeouts may pass; everything else is about the storage itself.
fn classify(error: ::clickhouse::error::Error) -> WarehouseError {
    match error {
        ::clickhouse::error::Error::Network(_) | ::clickhouse::error::Error::TimedOut => {
            WarehouseError::unavailable_from("clickhouse unreachable", error)
        }
        other => storage(other),
    }
}

impl ClickHouseWarehouse {
    /// A warehouse for `config`; nothing is sent before the first call. Call
    /// [`Warehouse::migrate`] before use.
    pub fn new(config: ClickHouseConfig) -> Result<Self, WarehouseError> {
        if config.database.is_empty() {
            return Err(WarehouseError::storage("clickhouse database must not be empty"));
        }
        if config.insert_batch_rows == 0 {
            return Err(WarehouseError::storage("clickhouse insert_batch_rows must be at least 1"));
        }
        if config.max_session_ms <= 0 {
            return Err(WarehouseError::storage("clickhouse max_session_ms must be positive"));
        }
        let server = Client::default()
            .with_url(&config.url)
            .with_user(&config.user)
            .with_password(&config.password)
            .with_validation(config.validation);
        let client = server.clone().with_database(&config.database);
        Ok(ClickHouseWarehouse { config, client, server })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClickHouseConfig {
        &self.config
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.config.timeout_ms)
    }

    /// Runs `work` within the configured timeout.
    async fn bounded<T>(
        &self,
        work: impl Future<Output = Result<T, ::clickhouse::error::Error>>,
    ) -> Result<T, WarehouseError> {
        match tokio::time::timeout(self.timeout(), work).await {
            Ok(result) => result.map_err(classify),
            Err(_) => {
                Err(WarehouseError::unavailable(format!("clickhouse call took over {} ms", self.config.timeout_ms)))
            }
        }
    }

    async fn execute(&self, client: &Client, statement: &sql::Statement) -> Result<(), WarehouseError> {
        self.bounded(statement.query(client).execute()).await
    }

    async fn fetch_all<T: RowOwned + ::clickhouse::RowRead>(
        &self,
        statement: &sql::Statement,
    ) -> Result<Vec<T>, WarehouseError> {
        self.bounded(statement.query(&self.client).fetch_all::<T>()).await
    }

    /// The SQL that [`Warehouse::list_sessions`] sends for `query` on the current data, in
    /// order, rendered with its parameters: for sending the same text elsewhere, as the list
    /// benchmark's baseline does.
    pub async fn listing_statements(&self, query: &SessionQuery) -> Result<Vec<String>, WarehouseError> {
        let mut statements = Vec::new();
        self.list_traced(query, &mut statements).await?;
        Ok(statements)
    }

    /// A page of sessions: the keys of the page (in widening windows, newest first), then the
    /// rows of those keys. Each statement sent is added to `sent`.
    async fn list_traced(
        &self,
        query: &SessionQuery,
        sent: &mut Vec<String>,
    ) -> Result<Vec<SessionHit>, WarehouseError> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let mut keys: Vec<PageKeyRecord> = Vec::new();
        for window in listing_windows(query) {
            let whole = window.end_from_ms == query.end_from_ms;
            let statement = sql::list_sessions(&window, self.config.max_session_ms);
            sent.push(statement.render());
            keys = self.fetch_all(&statement).await?;
            if whole || keys.len() >= query.limit {
                break;
            }
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = keys.iter().map(|(_, session_id, _)| session_id.clone()).collect();
        let statement = sql::sessions_by_id(query.project_id.as_deref(), &ids);
        sent.push(statement.render());
        let rows: Vec<SessionRow> = self.fetch_all(&statement).await?;
        let mut rows: std::collections::HashMap<(String, String), SessionRow> =
            rows.into_iter().map(|row| ((row.project_id.clone(), row.session_id.clone()), row)).collect();
        let mut hits = Vec::with_capacity(keys.len());
        for (project_id, session_id, score) in keys {
            if let Some(row) = rows.remove(&(project_id, session_id)) {
                hits.push(SessionHit { row, score });
            }
        }
        Ok(hits)
    }

    /// Sends `records` to `table` in as few `INSERT`s as `insert_batch_rows` allows.
    async fn insert<T: RowOwned + RowWrite>(&self, table: &str, records: Vec<T>) -> Result<(), WarehouseError> {
        for batch in records.chunks(self.config.insert_batch_rows) {
            let send = async {
                let mut insert = self.client.insert::<T>(table).await?;
                for record in batch {
                    insert.write(record).await?;
                }
                insert.end().await
            };
            self.bounded(send).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Warehouse for ClickHouseWarehouse {
    async fn migrate(&self) -> Result<(), WarehouseError> {
        let database = &self.config.database;
        let exists: u64 = self.bounded(sql::database_exists(database).query(&self.server).fetch_one()).await?;
        if exists == 0 {
            let create = self.server.query("CREATE DATABASE IF NOT EXISTS ?").bind(Identifier(database));
            self.bounded(create.execute()).await?;
        }
        let migrations_table = sql::Statement { sql: schema::MIGRATIONS_TABLE.into(), params: Vec::new() };
        self.execute(&self.client, &migrations_table).await?;
        let applied: i64 = self.bounded(sql::applied_migration().query(&self.client).fetch_one()).await?;
        for (index, migration) in schema::MIGRATIONS.iter().enumerate() {
            let version = index as i64 + 1;
            if version <= applied {
                continue;
            }
            for step in migration.iter() {
                if let schema::Step::AddColumn(add) = step {
                    let check = sql::column_exists(database, add.table, add.column);
                    let present: u64 = self.bounded(check.query(&self.client).fetch_one()).await?;
                    if present > 0 {
                        continue;
                    }
                }
                let statement = sql::Statement { sql: step.sql(), params: Vec::new() };
                self.execute(&self.client, &statement).await?;
            }
            self.execute(&self.client, &sql::record_migration(version)).await?;
            tracing::info!(message = "applied warehouse migration", version, database = %database);
        }
        self.client.clear_cached_metadata().await;
        Ok(())
    }

    async fn check(&self) -> Result<(), WarehouseError> {
        let applied: i64 = self.bounded(sql::applied_migration().query(&self.client).fetch_one()).await?;
        let expected = schema::MIGRATIONS.len() as i64;
        if applied < expected {
            return Err(WarehouseError::unavailable(format!(
                "the tables are at version {applied}, this build needs {expected}: run `playback migrate`"
            )));
        }
        Ok(())
    }

    async fn apply_retention(&self, plan: &RetentionPlan) -> Result<RetentionOutcome, WarehouseError> {
        self.retention(plan).await
    }

    async fn insert_events(&self, rows: Vec<EventRow>) -> Result<(), WarehouseError> {
        let records: Vec<EventRecord> = rows.into_iter().map(EventRecord::from).collect();
        self.insert("events", records).await
    }

    async fn upsert_sessions(&self, rows: Vec<SessionRow>) -> Result<(), WarehouseError> {
        self.insert("sessions", rows).await
    }

    async fn insert_chunks(&self, rows: Vec<ChunkRow>) -> Result<(), WarehouseError> {
        let records: Vec<ChunkRecord> = rows.into_iter().map(ChunkRecord::from).collect();
        self.insert("recording_chunks", records).await
    }

    async fn delete_chunks(&self, rows: Vec<ChunkRow>) -> Result<(), WarehouseError> {
        for statement in sql::delete_chunks(&rows) {
            self.execute(&self.client, &statement).await?;
        }
        Ok(())
    }

    async fn list_sessions(&self, query: &SessionQuery) -> Result<Vec<SessionHit>, WarehouseError> {
        self.list_traced(query, &mut Vec::new()).await
    }

    async fn get_session(
        &self,
        project_id: Option<&str>,
        session_id: &str,
    ) -> Result<Option<SessionRow>, WarehouseError> {
        let statement = sql::get_session(project_id, session_id);
        let rows: Vec<SessionRow> = self.fetch_all(&statement).await?;
        Ok(rows.into_iter().next())
    }

    async fn session_events(&self, project_id: &str, session_id: &str) -> Result<Vec<EventRow>, WarehouseError> {
        let records: Vec<EventRecord> = self.fetch_all(&sql::session_events(project_id, session_id)).await?;
        records.into_iter().map(EventRow::try_from).collect()
    }

    async fn session_chunks(&self, project_id: &str, session_id: &str) -> Result<Vec<ChunkRow>, WarehouseError> {
        let records: Vec<ChunkRecord> = self.fetch_all(&sql::session_chunks(project_id, session_id)).await?;
        Ok(records.into_iter().map(ChunkRow::from).collect())
    }

    async fn session_marks(&self, project_id: &str, session_ids: &[String]) -> Result<Vec<Mark>, WarehouseError> {
        if session_ids.is_empty() {
            return Ok(Vec::new());
        }
        let records: Vec<MarkRecord> = self.fetch_all(&sql::session_marks(project_id, session_ids)).await?;
        let mut marks = Vec::with_capacity(records.len());
        for (session_id, ts_ms, kind) in records {
            marks.push(Mark { session_id, ts_ms, kind: event_kind(&kind)? });
        }
        Ok(marks)
    }

    async fn user_sessions(&self, project_id: &str, user_id: &str) -> Result<Vec<UserSession>, WarehouseError> {
        let records: Vec<UserSessionRecord> = self.fetch_all(&sql::user_sessions(project_id, user_id)).await?;
        Ok(records
            .into_iter()
            .map(|(session_id, start_ms, end_ms, user_traits_json)| UserSession {
                session_id,
                start_ms,
                end_ms,
                user_traits_json,
            })
            .collect())
    }

    async fn upsert_notes(&self, rows: Vec<NoteRow>) -> Result<(), WarehouseError> {
        let replaced = sql::delete_replaced_notes(&rows);
        self.insert("notes", rows.into_iter().map(NoteRecord::from).collect()).await?;
        match replaced {
            Some(statement) => self.execute(&self.client, &statement).await,
            None => Ok(()),
        }
    }

    async fn session_notes(&self, project_id: &str, session_id: &str) -> Result<Vec<NoteRow>, WarehouseError> {
        let records: Vec<NoteRecord> = self.fetch_all(&sql::session_notes(project_id, session_id)).await?;
        Ok(records.into_iter().map(NoteRow::from).collect())
    }

    async fn upsert_saved_filters(&self, rows: Vec<SavedFilterRow>) -> Result<(), WarehouseError> {
        self.insert("saved_filters", rows.into_iter().map(SavedFilterRecord::from).collect()).await
    }

    async fn saved_filters(&self, project_id: &str) -> Result<Vec<SavedFilterRow>, WarehouseError> {
        let records: Vec<SavedFilterRecord> = self.fetch_all(&sql::saved_filters(project_id)).await?;
        Ok(records.into_iter().map(SavedFilterRow::from).collect())
    }

    async fn upsert_shares(&self, rows: Vec<ShareRow>) -> Result<(), WarehouseError> {
        self.insert("shares", rows.into_iter().map(ShareRecord::from).collect()).await
    }

    async fn share(&self, project_id: &str, share_id: &str) -> Result<Option<ShareRow>, WarehouseError> {
        let records: Vec<ShareRecord> = self.fetch_all(&sql::shares(project_id, Some(share_id), None)).await?;
        Ok(records.into_iter().next().map(ShareRow::from))
    }

    async fn session_shares(&self, project_id: &str, session_id: &str) -> Result<Vec<ShareRow>, WarehouseError> {
        let records: Vec<ShareRecord> = self.fetch_all(&sql::shares(project_id, None, Some(session_id))).await?;
        Ok(records.into_iter().map(ShareRow::from).collect())
    }

    async fn upsert_assets(&self, rows: Vec<AssetRow>) -> Result<(), WarehouseError> {
        // The hashes first: an archived `assets` row always has its entry (`clickhouse/assets.rs`).
        let mut hashes = Vec::new();
        for row in &rows {
            if row.status == AssetStatus::Archived && !row.hash.is_empty() {
                let entry = AssetHashRecord {
                    project_id: row.project_id.clone(),
                    hash: row.hash.clone(),
                    url: row.url.clone(),
                };
                hashes.push(entry);
            }
        }
        self.insert("asset_hashes", hashes).await?;
        self.insert("assets", rows.into_iter().map(AssetRecord::from).collect()).await
    }

    async fn assets(&self, project_id: &str, urls: &[String]) -> Result<Vec<AssetRow>, WarehouseError> {
        let once: std::collections::BTreeSet<&str> = urls.iter().map(String::as_str).collect();
        let distinct: Vec<&str> = once.into_iter().collect();
        let mut rows = Vec::new();
        for statement in assets::by_urls(project_id, &distinct) {
            let records: Vec<AssetRecord> = self.fetch_all(&statement).await?;
            for record in records {
                rows.push(AssetRow::try_from(record)?);
            }
        }
        Ok(rows)
    }

    async fn asset_by_hash(&self, project_id: &str, hash: &str) -> Result<Option<AssetRow>, WarehouseError> {
        let records: Vec<AssetRecord> = self.fetch_all(&assets::by_hash(project_id, hash)).await?;
        records.into_iter().next().map(AssetRow::try_from).transpose()
    }

    async fn insert_session_assets(&self, rows: Vec<SessionAssetRow>) -> Result<(), WarehouseError> {
        self.insert("session_assets", rows).await
    }

    async fn session_assets(&self, project_id: &str, session_id: &str) -> Result<Vec<SessionAsset>, WarehouseError> {
        let urls: Vec<SessionUrlRecord> = self.fetch_all(&assets::session_urls(project_id, session_id)).await?;
        if urls.is_empty() {
            return Ok(Vec::new());
        }
        let records: Vec<AssetRecord> = self.fetch_all(&assets::session_rows(project_id, session_id)).await?;
        let mut fetched = std::collections::HashMap::with_capacity(records.len());
        for record in records {
            let row = AssetRow::try_from(record)?;
            fetched.insert(row.url.clone(), row);
        }
        let mut used = Vec::with_capacity(urls.len());
        for (url, first_seen_ms) in urls {
            let asset = fetched.remove(&url);
            used.push(SessionAsset { url, first_seen_ms, asset });
        }
        Ok(used)
    }

    async fn delete_sessions(
        &self,
        project_id: &str,
        session_ids: &[String],
        options: DeleteOptions,
    ) -> Result<SessionDeletion, WarehouseError> {
        self.delete_session_rows(project_id, session_ids, options).await
    }
}

/// How far back the first window of a newest-first listing reaches, and how much each next one
/// widens.
const FIRST_WINDOW_MS: i64 = 86_400_000;
const WINDOW_GROWTH: i64 = 8;

/// The queries that answer `query`, tried in turn until one fills the page. Newest first, the
/// page lies in the newest sessions, so it reads end-time windows that widen (1 day, 8 days,
/// 64 days, …) back from the end of the range or the cursor, each of them only the partitions
/// that its start-time bound leaves, until `limit` sessions are found or the window is the
/// whole range. The sessions of a full window are the page: every session outside it ends
/// earlier than each of them. By score an older session may rank first, so the range is read
/// whole.
fn listing_windows(query: &SessionQuery) -> Vec<SessionQuery> {
    let mut windows = Vec::new();
    if query.order == SessionOrder::Recent {
        let newest = match &query.after {
            Some(PageAfter::Recent { end_ms, .. }) => (*end_ms).saturating_add(1).min(query.end_to_ms),
            _ => query.end_to_ms,
        };
        let mut width = FIRST_WINDOW_MS;
        while newest.saturating_sub(width) > query.end_from_ms {
            windows.push(SessionQuery { end_from_ms: newest - width, ..query.clone() });
            width = width.saturating_mul(WINDOW_GROWTH);
        }
    }
    windows.push(query.clone());
    windows
}

/// A statement for checking the SQL on another engine, rendered with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleQuery {
    pub sql: String,
    /// The rows it returns after the examples before it ran.
    pub rows: usize,
}

/// Sample rows and every kind of statement the warehouse sends, rendered with their
/// parameters. Run [`migration_statements`] first, then these in order.
pub fn example_queries() -> Vec<ExampleQuery> {
    examples::queries()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_windows_widen_back_from_the_cursor_to_the_whole_range() {
        let day = 86_400_000;
        let query = SessionQuery {
            end_from_ms: 1_000 * day,
            end_to_ms: 1_200 * day,
            order: SessionOrder::Recent,
            limit: 50,
            ..SessionQuery::default()
        };
        let froms: Vec<i64> = listing_windows(&query).iter().map(|window| window.end_from_ms / day).collect();
        assert_eq!(froms, vec![1_199, 1_192, 1_136, 1_000]);
        let after = SessionQuery {
            after: Some(PageAfter::Recent { end_ms: 1_100 * day - 1, session_id: "s".into() }),
            ..query.clone()
        };
        let froms: Vec<i64> = listing_windows(&after).iter().map(|window| window.end_from_ms / day).collect();
        assert_eq!(froms, vec![1_099, 1_092, 1_036, 1_000]);
        assert!(listing_windows(&after).iter().all(|window| window.end_to_ms == query.end_to_ms));
        let by_score = SessionQuery { order: SessionOrder::Score, ..query };
        assert_eq!(listing_windows(&by_score), vec![by_score.clone()], "by score the range is read whole");
    }
}
