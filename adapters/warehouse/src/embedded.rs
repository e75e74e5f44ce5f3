//! The embedded warehouse: SQLite in WAL mode. Calls run on the blocking pool, one writer
//! connection and one reader connection, so reads never wait behind a long write batch.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::functions::FunctionFlags;
use rusqlite::{params, params_from_iter, Connection, Row};

use crate::{
    AssetRow, ChunkRow, DeleteOptions, EventRow, Mark, NoteRow, PropertyMatch, RetentionOutcome, RetentionPlan,
    SavedFilterRow, SessionAsset, SessionAssetRow, SessionDeletion, SessionFilter, SessionHit, SessionQuery,
    SessionRow, ShareRow, Table, UserSession, Warehouse, WarehouseError,
};

mod assets;
mod deletion;
mod list;
mod retention;

/// Versioned migrations; each runs once, in order.
const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
CREATE TABLE notes (
    project_id TEXT NOT NULL, session_id TEXT NOT NULL, note_id TEXT NOT NULL, offset_ms INTEGER NOT NULL,
    author TEXT NOT NULL, text TEXT NOT NULL, created_at_ms INTEGER NOT NULL, deleted INTEGER NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (project_id, session_id, note_id)
) WITHOUT ROWID;
CREATE TABLE saved_filters (
    project_id TEXT NOT NULL, filter_id TEXT NOT NULL, name TEXT NOT NULL, query TEXT NOT NULL,
    author TEXT NOT NULL, created_at_ms INTEGER NOT NULL, deleted INTEGER NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (project_id, filter_id)
) WITHOUT ROWID;
CREATE TABLE shares (
    project_id TEXT NOT NULL, share_id TEXT NOT NULL, session_id TEXT NOT NULL, author TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL, revoked INTEGER NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (project_id, share_id)
) WITHOUT ROWID;
CREATE INDEX events_by_kind ON events (project_id, kind, name);
CREATE INDEX sessions_by_user ON sessions (project_id, user_id);
"#,
    // The listing's indexes (see `list_sessions`): newest first by end time and id, by base
    // score with the end time beside it so that the recency bound is checked in the index, and
    // the `email` trait that the user filter also matches.
    r#"
CREATE INDEX sessions_by_project_end ON sessions (project_id, end_ms, session_id, base_score);
CREATE INDEX sessions_by_project_score ON sessions (project_id, base_score, end_ms);
CREATE INDEX sessions_by_email ON sessions (project_id, iif(json_valid(user_traits_json), json_extract(user_traits_json, '$.email'), NULL));
"#,
    // The page's viewport beside the device's screen; rows written before read 0.
    r#"
ALTER TABLE sessions ADD COLUMN viewport_width INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN viewport_height INTEGER NOT NULL DEFAULT 0;
"#,
    // The asset tables (`embedded/assets.rs`).
    assets::MIGRATION,
    // Asset sightings by URL, for retention (`embedded/retention.rs`).
    retention::MIGRATION,
];

/// The `email` trait, as `sessions_by_email` indexes it; NULL when the traits are not JSON.
const EMAIL_SQL: &str = "iif(json_valid(user_traits_json), json_extract(user_traits_json, '$.email'), NULL)";

const EVENT_COLUMNS: &str =
    "project_id, session_id, window_id, batch_seq, event_index, kind, ts_ms, url, name, target, props_json";

const CHUNK_COLUMNS: &str = "project_id, session_id, window_id, first_seq, last_seq, blob_key, first_ts_ms, \
    last_ts_ms, events, bytes, full_snapshot, created_at_ms";

/// The embedded warehouse.
pub struct SqliteWarehouse {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
}

fn storage(error: impl Into<crate::Cause>) -> WarehouseError {
    WarehouseError::storage_from("sqlite call failed", error)
}

fn connect(path: &Path) -> Result<Connection, WarehouseError> {
    connect_keyed(path, &[])
}

fn connect_keyed(path: &Path, keys: &[[u8; 32]]) -> Result<Connection, WarehouseError> {
    let connection = playback_sqlcipher::open(path, keys).map_err(storage)?;
    connection
        // secure_delete: a row that an upsert replaces or a deletion removes is overwritten with
        // zeros in the file, so deleted text does not stay readable there.
        .execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA secure_delete=ON;",
        )
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

/// A connection to the warehouse file at `path` with the functions that its SQL uses, for
/// running that SQL outside the warehouse (the list benchmark's baseline).
pub fn open_connection(path: &Path) -> Result<Connection, WarehouseError> {
    connect(path)
}

impl SqliteWarehouse {
    /// The statements, with their parameters, that [`Warehouse::list_sessions`] runs for
    /// `query` on the current data, in order.
    pub async fn listing_statements(
        &self,
        query: &SessionQuery,
    ) -> Result<Vec<(String, Vec<rusqlite::types::Value>)>, WarehouseError> {
        let query = query.clone();
        let statements = Self::with(&self.reader, move |connection| list::statements(connection, &query)).await?;
        Ok(statements.into_iter().map(|statement| (statement.sql, statement.values)).collect())
    }

    /// Opens (or creates) the database file at `path`. Call [`Warehouse::migrate`] before use.
    pub fn open(path: &Path) -> Result<Self, WarehouseError> {
        Self::open_encrypted(path, &[])
    }

    /// Opens (or creates) the database file at `path`, encrypted with SQLCipher under `keys[0]`
    /// (a file under a later key is rekeyed; a plaintext file is encrypted in place).
    pub fn open_encrypted(path: &Path, keys: &[[u8; 32]]) -> Result<Self, WarehouseError> {
        let writer = connect_keyed(path, keys)?;
        let reader = connect_keyed(path, keys)?;
        Ok(SqliteWarehouse { writer: Arc::new(Mutex::new(writer)), reader: Arc::new(Mutex::new(reader)) })
    }

    async fn with<T: Send + 'static>(
        connection: &Arc<Mutex<Connection>>,
        work: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, WarehouseError> {
        let connection = Arc::clone(connection);
        tokio::task::spawn_blocking(move || {
            let mut guard = connection.lock().map_err(|_| WarehouseError::storage("warehouse connection poisoned"))?;
            work(&mut guard).map_err(storage)
        })
        .await
        .map_err(storage)?
    }

    /// Runs `sql` once per row, with the row's values, in one transaction.
    async fn write_rows<T: Send + 'static>(
        &self,
        sql: String,
        rows: Vec<T>,
        values: fn(T) -> Vec<rusqlite::types::Value>,
    ) -> Result<(), WarehouseError> {
        Self::with(&self.writer, move |connection| {
            let transaction = connection.transaction()?;
            {
                let mut statement = transaction.prepare_cached(&sql)?;
                for row in rows {
                    statement.execute(params_from_iter(values(row)))?;
                }
            }
            transaction.commit()
        })
        .await
    }
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

/// Inserts a session, or replaces the stored one unless that has a higher `version`.
fn upsert_sessions_sql() -> String {
    let mut updates = Vec::new();
    for column in &SessionRow::COLUMNS[2..] {
        updates.push(format!("{0} = excluded.{0}", column.name));
    }
    format!(
        "INSERT INTO sessions ({}) VALUES ({}) ON CONFLICT (project_id, session_id) \
         DO UPDATE SET {} WHERE excluded.version >= sessions.version",
        SessionRow::column_list(),
        placeholders(SessionRow::COLUMNS.len()),
        updates.join(", ")
    )
}

fn placeholders(count: usize) -> String {
    let marks: Vec<String> = (1..=count).map(|index| format!("?{index}")).collect();
    marks.join(", ")
}

/// The JSON path of a top-level key, quoted so that any key works.
fn json_path(key: &str) -> String {
    format!("$.\"{}\"", key.replace('"', "\\\""))
}

/// `json -> key` (the JSON text of the value) is one of the property's forms.
fn property_condition(column: &str, property: &PropertyMatch, values: &mut Vec<rusqlite::types::Value>) -> String {
    values.push(json_path(&property.key).into());
    let path = values.len();
    let [quoted, raw] = property.json_forms();
    values.push(quoted.into());
    values.push(raw.into());
    format!("({column} -> ?{path}) IN (?{}, ?{})", path + 1, path + 2)
}

/// Adds the conditions of `filter` on the `sessions` columns (and the score expression).
/// `project` is the parameter number of the project id, when the listing has one.
///
/// The transcript conditions are `EXISTS` probes on the `events` primary key (project, session);
/// the unary `+` keeps SQLite from running them on `events_by_kind` instead, which would read
/// every event of that kind in the project for each session.
fn filter_conditions(
    filter: &SessionFilter,
    project: Option<usize>,
    values: &mut Vec<rusqlite::types::Value>,
    conditions: &mut Vec<String>,
) {
    let bind = |values: &mut Vec<rusqlite::types::Value>, value: rusqlite::types::Value| {
        values.push(value);
        values.len()
    };
    if let Some((name, property)) = &filter.event {
        let name_index = bind(values, name.clone().into());
        let mut sub = format!("SELECT 1 FROM events e WHERE e.project_id = sessions.project_id AND e.session_id = sessions.session_id AND +e.kind = 'custom' AND +e.name = ?{name_index}");
        if let Some(property) = property {
            sub.push_str(" AND ");
            sub.push_str(&property_condition("e.props_json", property, values));
        }
        conditions.push(format!("EXISTS ({sub})"));
    }
    for property in &filter.user_props {
        conditions.push(property_condition("user_traits_json", property, values));
    }
    if let Some(user) = &filter.user {
        let index = bind(values, user.clone().into());
        match project {
            // A user has few sessions: find them on `sessions_by_user` and `sessions_by_email`. The
            // email index is named: where most sessions have no email, the statistics of SQLCipher's
            // SQLite (3.46) would read the whole project instead.
            Some(project) => conditions.push(format!(
                "sessions.rowid IN (SELECT rowid FROM sessions WHERE project_id = ?{project} AND user_id = ?{index} \
                 UNION ALL SELECT rowid FROM sessions INDEXED BY sessions_by_email \
                 WHERE project_id = ?{project} AND {EMAIL_SQL} = ?{index})"
            )),
            None => conditions.push(format!("(user_id = ?{index} OR {EMAIL_SQL} = ?{index})")),
        }
    }
    if let Some((url, exact)) = &filter.url {
        let index = bind(values, url.clone().into());
        let test = if *exact { format!("+e.url = ?{index}") } else { format!("instr(e.url, ?{index}) > 0") };
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM events e WHERE e.project_id = sessions.project_id AND e.session_id = sessions.session_id AND +e.kind = 'page_view' AND {test})"
        ));
    }
    for (column, value) in [("browser", &filter.browser), ("os", &filter.os), ("device_type", &filter.device_type)] {
        if let Some(value) = value {
            let index = bind(values, value.clone().into());
            conditions.push(format!("lower({column}) = lower(?{index})"));
        }
    }
    let ranges = [
        ("(end_ms - start_ms)", filter.duration_ms),
        ("active_ms", filter.active_ms),
        ("page_views", filter.page_views),
    ];
    for (expression, (min, max)) in ranges {
        if let Some(min) = min {
            let index = bind(values, min.into());
            conditions.push(format!("{expression} >= ?{index}"));
        }
        if let Some(max) = max {
            let index = bind(values, max.into());
            conditions.push(format!("{expression} <= ?{index}"));
        }
    }
    if let Some(min_score) = filter.min_score {
        let index = bind(values, min_score.into());
        conditions.push(format!("{SCORE_SQL} >= ?{index}"));
    }
    for (column, wanted) in [
        ("errors", filter.has_errors),
        ("rage_clicks", filter.has_rage_clicks),
        ("dead_clicks", filter.has_dead_clicks),
    ] {
        if wanted {
            conditions.push(format!("{column} > 0"));
        }
    }
}

fn note_from_row(row: &Row<'_>) -> Result<NoteRow, rusqlite::Error> {
    Ok(NoteRow {
        project_id: row.get(0)?,
        session_id: row.get(1)?,
        note_id: row.get(2)?,
        offset_ms: row.get(3)?,
        author: row.get(4)?,
        text: row.get(5)?,
        created_at_ms: row.get(6)?,
        deleted: row.get(7)?,
        version: row.get(8)?,
    })
}

fn saved_filter_from_row(row: &Row<'_>) -> Result<SavedFilterRow, rusqlite::Error> {
    Ok(SavedFilterRow {
        project_id: row.get(0)?,
        filter_id: row.get(1)?,
        name: row.get(2)?,
        query: row.get(3)?,
        author: row.get(4)?,
        created_at_ms: row.get(5)?,
        deleted: row.get(6)?,
        version: row.get(7)?,
    })
}

fn share_from_row(row: &Row<'_>) -> Result<ShareRow, rusqlite::Error> {
    Ok(ShareRow {
        project_id: row.get(0)?,
        share_id: row.get(1)?,
        session_id: row.get(2)?,
        author: row.get(3)?,
        created_at_ms: row.get(4)?,
        expires_at_ms: row.get(5)?,
        revoked: row.get(6)?,
        version: row.get(7)?,
    })
}

const NOTE_COLUMNS: &str = "project_id, session_id, note_id, offset_ms, author, text, created_at_ms, deleted, version";
const SAVED_FILTER_COLUMNS: &str = "project_id, filter_id, name, query, author, created_at_ms, deleted, version";
const SHARE_COLUMNS: &str = "project_id, share_id, session_id, author, created_at_ms, expires_at_ms, revoked, version";

/// `INSERT` of `columns` into `table` that keeps, per `key`, the row with the highest `version`.
fn versioned_upsert(table: &str, columns: &str, key: &str) -> String {
    let count = columns.split(", ").count();
    let updates: Vec<String> = columns
        .split(", ")
        .filter(|column| !key.split(", ").any(|part| part == *column))
        .map(|column| format!("{column} = excluded.{column}"))
        .collect();
    format!(
        "INSERT INTO {table} ({columns}) VALUES ({}) ON CONFLICT ({key}) DO UPDATE SET {} \
         WHERE excluded.version >= {table}.version",
        placeholders(count),
        updates.join(", ")
    )
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

    async fn apply_retention(&self, plan: &RetentionPlan) -> Result<RetentionOutcome, WarehouseError> {
        self.retention(plan).await
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
        self.write_rows(upsert_sessions_sql(), rows, SessionRow::sqlite_values).await
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

    async fn delete_chunks(&self, rows: Vec<ChunkRow>) -> Result<(), WarehouseError> {
        if rows.is_empty() {
            return Ok(());
        }
        Self::with(&self.writer, move |connection| {
            let transaction = connection.transaction()?;
            {
                let mut statement = transaction.prepare_cached(
                    "DELETE FROM recording_chunks WHERE project_id = ?1 AND session_id = ?2 AND window_id = ?3 \
                     AND first_seq = ?4 AND last_seq = ?5",
                )?;
                for row in &rows {
                    statement.execute(params![
                        row.project_id,
                        row.session_id,
                        row.window_id,
                        row.first_seq,
                        row.last_seq
                    ])?;
                }
            }
            transaction.commit()
        })
        .await
    }

    async fn list_sessions(&self, query: &SessionQuery) -> Result<Vec<SessionHit>, WarehouseError> {
        let query = query.clone();
        Self::with(&self.reader, move |connection| list::list(connection, &query)).await
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
                "SELECT {} FROM sessions WHERE session_id = ?1 AND (?2 IS NULL OR project_id = ?2) \
                 ORDER BY updated_at_ms DESC LIMIT 1",
                SessionRow::column_list()
            );
            let mut statement = connection.prepare_cached(&sql)?;
            let mut rows = statement.query_map(params![session_id, project_id], SessionRow::from_sqlite)?;
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

    async fn session_marks(&self, project_id: &str, session_ids: &[String]) -> Result<Vec<Mark>, WarehouseError> {
        if session_ids.is_empty() {
            return Ok(Vec::new());
        }
        let project_id = project_id.to_string();
        let session_ids = session_ids.to_vec();
        Self::with(&self.reader, move |connection| {
            let mut values: Vec<rusqlite::types::Value> = vec![project_id.into()];
            values.extend(session_ids.into_iter().map(rusqlite::types::Value::from));
            let ids: Vec<String> = (2..=values.len()).map(|index| format!("?{index}")).collect();
            let sql = format!(
                "SELECT session_id, ts_ms, kind FROM events WHERE project_id = ?1 AND session_id IN ({}) \
                 ORDER BY session_id, ts_ms, window_id, batch_seq, event_index, kind",
                ids.join(", ")
            );
            let mut statement = connection.prepare(&sql)?;
            let rows = statement.query_map(params_from_iter(values), |row| {
                Ok(Mark { session_id: row.get(0)?, ts_ms: row.get(1)?, kind: row.get(2)? })
            })?;
            rows.collect()
        })
        .await
    }

    async fn user_sessions(&self, project_id: &str, user_id: &str) -> Result<Vec<UserSession>, WarehouseError> {
        let (project_id, user_id) = (project_id.to_string(), user_id.to_string());
        Self::with(&self.reader, move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT session_id, start_ms, end_ms, user_traits_json FROM sessions \
                 WHERE project_id = ?1 AND user_id = ?2 ORDER BY start_ms, session_id",
            )?;
            let rows = statement.query_map(params![project_id, user_id], |row| {
                Ok(UserSession {
                    session_id: row.get(0)?,
                    start_ms: row.get(1)?,
                    end_ms: row.get(2)?,
                    user_traits_json: row.get(3)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn upsert_notes(&self, rows: Vec<NoteRow>) -> Result<(), WarehouseError> {
        let sql = versioned_upsert("notes", NOTE_COLUMNS, "project_id, session_id, note_id");
        self.write_rows(sql, rows, |row| {
            vec![
                row.project_id.into(),
                row.session_id.into(),
                row.note_id.into(),
                row.offset_ms.into(),
                row.author.into(),
                // A tombstone keeps no text.
                if row.deleted { String::new() } else { row.text }.into(),
                row.created_at_ms.into(),
                i64::from(row.deleted).into(),
                row.version.into(),
            ]
        })
        .await
    }

    async fn session_notes(&self, project_id: &str, session_id: &str) -> Result<Vec<NoteRow>, WarehouseError> {
        let (project_id, session_id) = (project_id.to_string(), session_id.to_string());
        Self::with(&self.reader, move |connection| {
            let sql = format!(
                "SELECT {NOTE_COLUMNS} FROM notes WHERE project_id = ?1 AND session_id = ?2 AND deleted = 0 \
                 ORDER BY offset_ms, created_at_ms, note_id"
            );
            let mut statement = connection.prepare_cached(&sql)?;
            let rows = statement.query_map(params![project_id, session_id], note_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn upsert_saved_filters(&self, rows: Vec<SavedFilterRow>) -> Result<(), WarehouseError> {
        let sql = versioned_upsert("saved_filters", SAVED_FILTER_COLUMNS, "project_id, filter_id");
        self.write_rows(sql, rows, |row| {
            vec![
                row.project_id.into(),
                row.filter_id.into(),
                row.name.into(),
                row.query.into(),
                row.author.into(),
                row.created_at_ms.into(),
                i64::from(row.deleted).into(),
                row.version.into(),
            ]
        })
        .await
    }

    async fn saved_filters(&self, project_id: &str) -> Result<Vec<SavedFilterRow>, WarehouseError> {
        let project_id = project_id.to_string();
        Self::with(&self.reader, move |connection| {
            let sql = format!(
                "SELECT {SAVED_FILTER_COLUMNS} FROM saved_filters WHERE project_id = ?1 AND deleted = 0 \
                 ORDER BY created_at_ms DESC, filter_id DESC"
            );
            let mut statement = connection.prepare_cached(&sql)?;
            let rows = statement.query_map(params![project_id], saved_filter_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn upsert_shares(&self, rows: Vec<ShareRow>) -> Result<(), WarehouseError> {
        let sql = versioned_upsert("shares", SHARE_COLUMNS, "project_id, share_id");
        self.write_rows(sql, rows, |row| {
            vec![
                row.project_id.into(),
                row.share_id.into(),
                row.session_id.into(),
                row.author.into(),
                row.created_at_ms.into(),
                row.expires_at_ms.into(),
                i64::from(row.revoked).into(),
                row.version.into(),
            ]
        })
        .await
    }

    async fn share(&self, project_id: &str, share_id: &str) -> Result<Option<ShareRow>, WarehouseError> {
        let (project_id, share_id) = (project_id.to_string(), share_id.to_string());
        Self::with(&self.reader, move |connection| {
            let sql = format!("SELECT {SHARE_COLUMNS} FROM shares WHERE project_id = ?1 AND share_id = ?2");
            let mut statement = connection.prepare_cached(&sql)?;
            let mut rows = statement.query_map(params![project_id, share_id], share_from_row)?;
            rows.next().transpose()
        })
        .await
    }

    async fn session_shares(&self, project_id: &str, session_id: &str) -> Result<Vec<ShareRow>, WarehouseError> {
        let (project_id, session_id) = (project_id.to_string(), session_id.to_string());
        Self::with(&self.reader, move |connection| {
            let sql = format!(
                "SELECT {SHARE_COLUMNS} FROM shares WHERE project_id = ?1 AND session_id = ?2 \
                 ORDER BY created_at_ms DESC, share_id DESC"
            );
            let mut statement = connection.prepare_cached(&sql)?;
            let rows = statement.query_map(params![project_id, session_id], share_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn upsert_assets(&self, rows: Vec<AssetRow>) -> Result<(), WarehouseError> {
        if rows.is_empty() {
            return Ok(());
        }
        Self::with(&self.writer, move |connection| assets::upsert(connection, rows)).await
    }

    async fn assets(&self, project_id: &str, urls: &[String]) -> Result<Vec<AssetRow>, WarehouseError> {
        if urls.is_empty() {
            return Ok(Vec::new());
        }
        let (project_id, urls) = (project_id.to_string(), urls.to_vec());
        Self::with(&self.reader, move |connection| assets::by_urls(connection, &project_id, &urls)).await
    }

    async fn asset_by_hash(&self, project_id: &str, hash: &str) -> Result<Option<AssetRow>, WarehouseError> {
        let (project_id, hash) = (project_id.to_string(), hash.to_string());
        Self::with(&self.reader, move |connection| assets::by_hash(connection, &project_id, &hash)).await
    }

    async fn insert_session_assets(&self, rows: Vec<SessionAssetRow>) -> Result<(), WarehouseError> {
        if rows.is_empty() {
            return Ok(());
        }
        Self::with(&self.writer, move |connection| assets::insert_session_assets(connection, rows)).await
    }

    async fn session_assets(&self, project_id: &str, session_id: &str) -> Result<Vec<SessionAsset>, WarehouseError> {
        let (project_id, session_id) = (project_id.to_string(), session_id.to_string());
        Self::with(&self.reader, move |connection| assets::of_session(connection, &project_id, &session_id)).await
    }

    async fn delete_sessions(
        &self,
        project_id: &str,
        session_ids: &[String],
        options: DeleteOptions,
    ) -> Result<SessionDeletion, WarehouseError> {
        let (project_id, session_ids) = (project_id.to_string(), session_ids.to_vec());
        Self::with(&self.writer, move |connection| {
            deletion::delete_sessions(connection, &project_id, &session_ids, options)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sessions_table_has_the_columns_of_the_session_row() {
        let directory = tempfile::tempdir().unwrap();
        let warehouse = SqliteWarehouse::open(&directory.path().join("warehouse.db")).unwrap();
        warehouse.migrate().await.unwrap();
        let stored = SqliteWarehouse::with(&warehouse.reader, |connection| {
            let mut statement =
                connection.prepare("SELECT name, type FROM pragma_table_info('sessions') ORDER BY cid")?;
            let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
            rows.collect::<Result<Vec<_>, _>>()
        })
        .await
        .unwrap();
        let expected: Vec<(String, String)> =
            SessionRow::COLUMNS.iter().map(|column| (column.name.into(), column.sqlite.into())).collect();
        assert_eq!(stored, expected, "a SessionRow field needs a column: add a migration");
    }

    /// The `(name, declared type)` of each column of `table`, in order.
    async fn stored_columns(warehouse: &SqliteWarehouse, table: &'static str) -> Vec<(String, String)> {
        SqliteWarehouse::with(&warehouse.reader, move |connection| {
            let mut statement = connection.prepare("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")?;
            let rows = statement.query_map([table], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
            rows.collect::<Result<Vec<_>, _>>()
        })
        .await
        .unwrap()
    }

    fn expected_columns<T: Table>() -> Vec<(String, String)> {
        T::COLUMNS.iter().map(|column| (column.name.into(), column.sqlite.into())).collect()
    }

    #[tokio::test]
    async fn the_asset_tables_have_the_columns_of_their_rows() {
        let directory = tempfile::tempdir().unwrap();
        let warehouse = SqliteWarehouse::open(&directory.path().join("warehouse.db")).unwrap();
        warehouse.migrate().await.unwrap();
        assert_eq!(stored_columns(&warehouse, "assets").await, expected_columns::<AssetRow>());
        assert_eq!(stored_columns(&warehouse, "session_assets").await, expected_columns::<SessionAssetRow>());
    }

    /// The steps of `EXPLAIN QUERY PLAN` of `sql` with `values`.
    async fn plan(warehouse: &SqliteWarehouse, sql: String, values: &'static [&'static str]) -> Vec<String> {
        SqliteWarehouse::with(&warehouse.reader, move |connection| {
            let mut statement = connection.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let rows = statement.query_map(params_from_iter(values), |row| row.get::<_, String>(3))?;
            rows.collect::<Result<Vec<_>, _>>()
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn asset_reads_seek_their_indexes() {
        let directory = tempfile::tempdir().unwrap();
        let warehouse = SqliteWarehouse::open(&directory.path().join("warehouse.db")).unwrap();
        warehouse.migrate().await.unwrap();
        let by_hash = plan(&warehouse, assets::by_hash_sql(), &["p", "h", "archived"]).await;
        assert_eq!(by_hash, ["SEARCH assets USING INDEX assets_by_hash (project_id=? AND hash=? AND status=?)"]);
        let by_url = plan(&warehouse, assets::by_url_sql(), &["p", "https://cdn.example.com/a.css"]).await;
        assert_eq!(by_url, ["SEARCH assets USING INDEX sqlite_autoindex_assets_1 (project_id=? AND url=?)"]);
        let of_session = plan(&warehouse, assets::of_session_sql(), &["p", "s"]).await;
        assert_eq!(
            of_session,
            [
                "SEARCH s USING PRIMARY KEY (project_id=? AND session_id=?)",
                "SEARCH a USING INDEX sqlite_autoindex_assets_1 (project_id=? AND url=?) LEFT-JOIN",
            ]
        );
    }

    #[tokio::test]
    async fn a_session_from_before_the_viewport_columns_reads_a_viewport_of_zero() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("warehouse.db");
        {
            let connection = connect(&path).unwrap();
            connection.execute_batch("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)").unwrap();
            for (index, migration) in MIGRATIONS[..3].iter().enumerate() {
                connection.execute_batch(migration).unwrap();
                connection.execute("INSERT INTO schema_migrations (version) VALUES (?1)", [index as i64 + 1]).unwrap();
            }
            connection
                .execute_batch(
                    "INSERT INTO sessions (project_id, session_id, version, closed, start_ms, end_ms, active_ms, \
                     user_id, user_traits_json, browser, browser_version, os, os_version, device_type, screen_width, \
                     screen_height, windows, events, page_views, clicks, inputs, errors, custom_events, rage_clicks, \
                     dead_clicks, entry_url, exit_url, urls_json, event_names_json, base_score, score_breakdown_json, \
                     signature_json, updated_at_ms) VALUES ('p', 's', 1, 0, 1000, 61000, 20000, '', '{}', 'Chrome', '', \
                     'Linux', '', 'desktop', 1280, 800, 1, 0, 0, 0, 0, 0, 0, 0, 0, '', '', '[]', '[]', 2.0, '[]', '[]', 0)",
                )
                .unwrap();
        }
        let warehouse = SqliteWarehouse::open(&path).unwrap();
        warehouse.migrate().await.unwrap();
        let row = warehouse.get_session(Some("p"), "s").await.unwrap().unwrap();
        assert_eq!((row.screen_width, row.screen_height, row.viewport_width, row.viewport_height), (1280, 800, 0, 0));
        assert_eq!((row.start_ms, row.end_ms, row.base_score), (1000, 61000, 2.0));
    }
}
