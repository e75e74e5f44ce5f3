//! The embedded warehouse: SQLite in WAL mode. Calls run on the blocking pool, one writer
//! connection and one reader connection, so reads never wait behind a long write batch.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::functions::FunctionFlags;
use rusqlite::{params, params_from_iter, Connection, Row};

use crate::{
    ChunkRow, EventRow, PageAfter, SessionHit, SessionOrder, SessionQuery, SessionRow, Warehouse, WarehouseError,
};

/// Versioned migrations; each runs once, in order.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE sessions (
    project_id TEXT NOT NULL, session_id TEXT NOT NULL, version INTEGER NOT NULL, closed INTEGER NOT NULL,
    start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, active_ms INTEGER NOT NULL,
    user_id TEXT NOT NULL, user_traits_json TEXT NOT NULL,
    browser TEXT NOT NULL, browser_version TEXT NOT NULL, os TEXT NOT NULL, os_version TEXT NOT NULL,
    device_type TEXT NOT NULL, screen_width INTEGER NOT NULL, screen_height INTEGER NOT NULL,
    windows INTEGER NOT NULL, events INTEGER NOT NULL, page_views INTEGER NOT NULL, clicks INTEGER NOT NULL,
    inputs INTEGER NOT NULL, errors INTEGER NOT NULL, custom_events INTEGER NOT NULL,
    rage_clicks INTEGER NOT NULL, dead_clicks INTEGER NOT NULL,
    entry_url TEXT NOT NULL, exit_url TEXT NOT NULL, urls_json TEXT NOT NULL, event_names_json TEXT NOT NULL,
    base_score REAL NOT NULL, score_breakdown_json TEXT NOT NULL, signature_json TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (project_id, session_id)
);
CREATE INDEX sessions_by_end ON sessions (end_ms, session_id);
CREATE INDEX sessions_by_id ON sessions (session_id);
CREATE TABLE events (
    project_id TEXT NOT NULL, session_id TEXT NOT NULL, window_id TEXT NOT NULL,
    batch_seq INTEGER NOT NULL, event_index INTEGER NOT NULL, kind TEXT NOT NULL,
    ts_ms INTEGER NOT NULL, url TEXT NOT NULL, name TEXT NOT NULL, target TEXT NOT NULL, props_json TEXT NOT NULL,
    PRIMARY KEY (project_id, session_id, window_id, batch_seq, event_index, kind)
) WITHOUT ROWID;
CREATE TABLE recording_chunks (
    project_id TEXT NOT NULL, session_id TEXT NOT NULL, window_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, blob_key TEXT NOT NULL,
    first_ts_ms INTEGER NOT NULL, last_ts_ms INTEGER NOT NULL, events INTEGER NOT NULL, bytes INTEGER NOT NULL,
    full_snapshot INTEGER NOT NULL, created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (project_id, session_id, window_id, first_seq, last_seq)
) WITHOUT ROWID;
"#];

const SESSION_COLUMNS: &str = "project_id, session_id, version, closed, start_ms, end_ms, active_ms, user_id, \
    user_traits_json, browser, browser_version, os, os_version, device_type, screen_width, screen_height, windows, \
    events, page_views, clicks, inputs, errors, custom_events, rage_clicks, dead_clicks, entry_url, exit_url, \
    urls_json, event_names_json, base_score, score_breakdown_json, signature_json, updated_at_ms";

const EVENT_COLUMNS: &str =
    "project_id, session_id, window_id, batch_seq, event_index, kind, ts_ms, url, name, target, props_json";

const CHUNK_COLUMNS: &str = "project_id, session_id, window_id, first_seq, last_seq, blob_key, first_ts_ms, \
    last_ts_ms, events, bytes, full_snapshot, created_at_ms";

/// The embedded warehouse.
pub struct SqliteWarehouse {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
}

fn storage(error: impl std::fmt::Display) -> WarehouseError {
    WarehouseError::Storage(error.to_string())
}

fn connect(path: &Path) -> Result<Connection, WarehouseError> {
    let connection = Connection::open(path).map_err(storage)?;
    connection
        .execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;")
        .map_err(storage)?;
    // exp2 is not among SQLite's built-in functions in every build; the recency factor needs it.
    connection
        .create_scalar_function("pb_exp2", 1, FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC, |ctx| {
            let exponent: f64 = ctx.get(0)?;
            Ok(exponent.exp2())
        })
        .map_err(storage)?;
    Ok(connection)
}

impl SqliteWarehouse {
    /// Opens (or creates) the database file at `path`. Call [`Warehouse::migrate`] before use.
    pub fn open(path: &Path) -> Result<Self, WarehouseError> {
        let writer = connect(path)?;
        let reader = connect(path)?;
        Ok(SqliteWarehouse { writer: Arc::new(Mutex::new(writer)), reader: Arc::new(Mutex::new(reader)) })
    }

    async fn with<T: Send + 'static>(
        connection: &Arc<Mutex<Connection>>,
        work: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, WarehouseError> {
        let connection = Arc::clone(connection);
        tokio::task::spawn_blocking(move || {
            let mut guard = connection.lock().map_err(|_| storage("warehouse connection poisoned"))?;
            work(&mut guard).map_err(storage)
        })
        .await
        .map_err(storage)?
    }
}

fn session_from_row(row: &Row<'_>) -> Result<SessionRow, rusqlite::Error> {
    Ok(SessionRow {
        project_id: row.get(0)?,
        session_id: row.get(1)?,
        version: row.get(2)?,
        closed: row.get(3)?,
        start_ms: row.get(4)?,
        end_ms: row.get(5)?,
        active_ms: row.get(6)?,
        user_id: row.get(7)?,
        user_traits_json: row.get(8)?,
        browser: row.get(9)?,
        browser_version: row.get(10)?,
        os: row.get(11)?,
        os_version: row.get(12)?,
        device_type: row.get(13)?,
        screen_width: row.get(14)?,
        screen_height: row.get(15)?,
        windows: row.get(16)?,
        events: row.get(17)?,
        page_views: row.get(18)?,
        clicks: row.get(19)?,
        inputs: row.get(20)?,
        errors: row.get(21)?,
        custom_events: row.get(22)?,
        rage_clicks: row.get(23)?,
        dead_clicks: row.get(24)?,
        entry_url: row.get(25)?,
        exit_url: row.get(26)?,
        urls_json: row.get(27)?,
        event_names_json: row.get(28)?,
        base_score: row.get(29)?,
        score_breakdown_json: row.get(30)?,
        signature_json: row.get(31)?,
        updated_at_ms: row.get(32)?,
    })
}

fn event_from_row(row: &Row<'_>) -> Result<EventRow, rusqlite::Error> {
    Ok(EventRow {
        project_id: row.get(0)?,
        session_id: row.get(1)?,
        window_id: row.get(2)?,
        batch_seq: row.get(3)?,
        event_index: row.get(4)?,
        kind: row.get(5)?,
        ts_ms: row.get(6)?,
        url: row.get(7)?,
        name: row.get(8)?,
        target: row.get(9)?,
        props_json: row.get(10)?,
    })
}

fn chunk_from_row(row: &Row<'_>) -> Result<ChunkRow, rusqlite::Error> {
    Ok(ChunkRow {
        project_id: row.get(0)?,
        session_id: row.get(1)?,
        window_id: row.get(2)?,
        first_seq: row.get(3)?,
        last_seq: row.get(4)?,
        blob_key: row.get(5)?,
        first_ts_ms: row.get(6)?,
        last_ts_ms: row.get(7)?,
        events: row.get(8)?,
        bytes: row.get(9)?,
        full_snapshot: row.get(10)?,
        created_at_ms: row.get(11)?,
    })
}

fn placeholders(count: usize) -> String {
    let marks: Vec<String> = (1..=count).map(|index| format!("?{index}")).collect();
    marks.join(", ")
}

/// The SQL expression of the score at query time.
const SCORE_SQL: &str =
    "(base_score + CASE WHEN ?1 - end_ms <= 0 THEN ?2 ELSE ?2 * pb_exp2(-((?1 - end_ms) / ?3)) END)";

#[async_trait]
impl Warehouse for SqliteWarehouse {
    async fn migrate(&self) -> Result<(), WarehouseError> {
        Self::with(&self.writer, |connection| {
            connection.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")?;
            let applied: i64 =
                connection
                    .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |row| row.get(0))?;
            for (index, migration) in MIGRATIONS.iter().enumerate() {
                let version = index as i64 + 1;
                if version <= applied {
                    continue;
                }
                let transaction = connection.transaction()?;
                transaction.execute_batch(migration)?;
                transaction.execute("INSERT INTO schema_migrations (version) VALUES (?1)", params![version])?;
                transaction.commit()?;
            }
            Ok(())
        })
        .await
    }

    async fn insert_events(&self, rows: Vec<EventRow>) -> Result<(), WarehouseError> {
        if rows.is_empty() {
            return Ok(());
        }
        Self::with(&self.writer, move |connection| {
            let transaction = connection.transaction()?;
            {
                let sql = format!("INSERT OR REPLACE INTO events ({EVENT_COLUMNS}) VALUES ({})", placeholders(11));
                let mut statement = transaction.prepare_cached(&sql)?;
                for row in &rows {
                    statement.execute(params![
                        row.project_id,
                        row.session_id,
                        row.window_id,
                        row.batch_seq,
                        row.event_index,
                        row.kind,
                        row.ts_ms,
                        row.url,
                        row.name,
                        row.target,
                        row.props_json
                    ])?;
                }
            }
            transaction.commit()
        })
        .await
    }

    async fn upsert_sessions(&self, rows: Vec<SessionRow>) -> Result<(), WarehouseError> {
        if rows.is_empty() {
            return Ok(());
        }
        Self::with(&self.writer, move |connection| {
            let updates: Vec<String> =
                SESSION_COLUMNS.split(", ").skip(2).map(|column| format!("{column} = excluded.{column}")).collect();
            let sql = format!(
                "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ({}) ON CONFLICT (project_id, session_id) \
                 DO UPDATE SET {} WHERE excluded.version >= sessions.version",
                placeholders(33),
                updates.join(", ")
            );
            let transaction = connection.transaction()?;
            {
                let mut statement = transaction.prepare_cached(&sql)?;
                for row in &rows {
                    statement.execute(params![
                        row.project_id,
                        row.session_id,
                        row.version,
                        row.closed,
                        row.start_ms,
                        row.end_ms,
                        row.active_ms,
                        row.user_id,
                        row.user_traits_json,
                        row.browser,
                        row.browser_version,
                        row.os,
                        row.os_version,
                        row.device_type,
                        row.screen_width,
                        row.screen_height,
                        row.windows,
                        row.events,
                        row.page_views,
                        row.clicks,
                        row.inputs,
                        row.errors,
                        row.custom_events,
                        row.rage_clicks,
                        row.dead_clicks,
                        row.entry_url,
                        row.exit_url,
                        row.urls_json,
                        row.event_names_json,
                        row.base_score,
                        row.score_breakdown_json,
                        row.signature_json,
                        row.updated_at_ms
                    ])?;
                }
            }
            transaction.commit()
        })
        .await
    }

    async fn insert_chunks(&self, rows: Vec<ChunkRow>) -> Result<(), WarehouseError> {
        if rows.is_empty() {
            return Ok(());
        }
        Self::with(&self.writer, move |connection| {
            let transaction = connection.transaction()?;
            {
                let sql =
                    format!("INSERT OR REPLACE INTO recording_chunks ({CHUNK_COLUMNS}) VALUES ({})", placeholders(12));
                let mut statement = transaction.prepare_cached(&sql)?;
                for row in &rows {
                    statement.execute(params![
                        row.project_id,
                        row.session_id,
                        row.window_id,
                        row.first_seq,
                        row.last_seq,
                        row.blob_key,
                        row.first_ts_ms,
                        row.last_ts_ms,
                        row.events,
                        row.bytes,
                        row.full_snapshot,
                        row.created_at_ms
                    ])?;
                }
            }
            transaction.commit()
        })
        .await
    }

    async fn list_sessions(&self, query: &SessionQuery) -> Result<Vec<SessionHit>, WarehouseError> {
        let query = query.clone();
        Self::with(&self.reader, move |connection| {
            // ?1..?3 are the recency parameters, used by the score expression in every order.
            let recency = match query.order {
                SessionOrder::Score(recency) => recency,
                SessionOrder::Recent => crate::Recency { as_of_ms: 0, points: 0.0, half_life_ms: 1.0 },
            };
            let mut values: Vec<rusqlite::types::Value> = vec![
                recency.as_of_ms.into(),
                recency.points.into(),
                recency.half_life_ms.into(),
                query.end_from_ms.into(),
                query.end_to_ms.into(),
            ];
            let mut conditions = vec!["end_ms >= ?4".to_string(), "end_ms < ?5".to_string()];
            if let Some(project_id) = &query.project_id {
                values.push(project_id.clone().into());
                conditions.push(format!("project_id = ?{}", values.len()));
            }
            let order = match (&query.order, &query.after) {
                (SessionOrder::Recent, after) => {
                    if let Some(PageAfter::Recent { end_ms, session_id }) = after {
                        values.push((*end_ms).into());
                        values.push(session_id.clone().into());
                        let (end, id) = (values.len() - 1, values.len());
                        conditions.push(format!("(end_ms < ?{end} OR (end_ms = ?{end} AND session_id < ?{id}))"));
                    }
                    "end_ms DESC, session_id DESC"
                }
                (SessionOrder::Score(_), after) => {
                    if let Some(PageAfter::Score { score, session_id }) = after {
                        values.push((*score).into());
                        values.push(session_id.clone().into());
                        let (value, id) = (values.len() - 1, values.len());
                        conditions.push(format!(
                            "({SCORE_SQL} < ?{value} OR ({SCORE_SQL} = ?{value} AND session_id < ?{id}))"
                        ));
                    }
                    "score DESC, session_id DESC"
                }
            };
            values.push((query.limit as i64).into());
            let sql = format!(
                "SELECT {SESSION_COLUMNS}, {SCORE_SQL} AS score FROM sessions WHERE {} ORDER BY {order} LIMIT ?{}",
                conditions.join(" AND "),
                values.len()
            );
            let mut statement = connection.prepare(&sql)?;
            let rows = statement.query_map(params_from_iter(values), |row| {
                Ok(SessionHit { row: session_from_row(row)?, score: row.get(33)? })
            })?;
            let mut hits = Vec::new();
            for row in rows {
                let mut hit = row?;
                if matches!(query.order, SessionOrder::Recent) {
                    hit.score = hit.row.base_score;
                }
                hits.push(hit);
            }
            Ok(hits)
        })
        .await
    }

    async fn get_session(
        &self,
        project_id: Option<&str>,
        session_id: &str,
    ) -> Result<Option<SessionRow>, WarehouseError> {
        let project_id = project_id.map(str::to_string);
        let session_id = session_id.to_string();
        Self::with(&self.reader, move |connection| {
            let sql = format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE session_id = ?1 AND (?2 IS NULL OR project_id = ?2) \
                 ORDER BY updated_at_ms DESC LIMIT 1"
            );
            let mut statement = connection.prepare_cached(&sql)?;
            let mut rows = statement.query_map(params![session_id, project_id], session_from_row)?;
            rows.next().transpose()
        })
        .await
    }

    async fn session_events(&self, project_id: &str, session_id: &str) -> Result<Vec<EventRow>, WarehouseError> {
        let (project_id, session_id) = (project_id.to_string(), session_id.to_string());
        Self::with(&self.reader, move |connection| {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE project_id = ?1 AND session_id = ?2 \
                 ORDER BY ts_ms, window_id, batch_seq, event_index, kind"
            );
            let mut statement = connection.prepare_cached(&sql)?;
            let rows = statement.query_map(params![project_id, session_id], event_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn session_chunks(&self, project_id: &str, session_id: &str) -> Result<Vec<ChunkRow>, WarehouseError> {
        let (project_id, session_id) = (project_id.to_string(), session_id.to_string());
        Self::with(&self.reader, move |connection| {
            let sql = format!(
                "SELECT {CHUNK_COLUMNS} FROM recording_chunks WHERE project_id = ?1 AND session_id = ?2 \
                 ORDER BY window_id, first_seq, last_seq"
            );
            let mut statement = connection.prepare_cached(&sql)?;
            let rows = statement.query_map(params![project_id, session_id], chunk_from_row)?;
            rows.collect()
        })
        .await
    }
}
