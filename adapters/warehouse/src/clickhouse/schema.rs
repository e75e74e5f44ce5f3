//! The tables and their versioned migrations.
//!
//! Every statement is in the SQL that both ClickHouse 18.16 and 23+ accept: no TTL (retention
//! drops monthly partitions), no DateTime64 (a `DateTime('UTC')` column computed from the
//! epoch-millisecond column), no Map, no skip indexes, no LowCardinality.
//!
//! Keys, partitions and de-duplication:
//! - `sessions` is a ReplacingMergeTree on `version`, sorted by `(project_id, session_id)` and
//!   partitioned by the UTC month of `start_time`. The sorting key holds only what never
//!   changes, so every version of a session has the same key and merges collapse them, and a
//!   session is read by its key. The partition comes from the start time, which can still move
//!   a little earlier when a late event arrives out of order; if that crosses a month boundary
//!   two versions live in two partitions and no merge collapses them. Reads therefore never
//!   trust merges: they take, per `(project_id, session_id)`, the columns of the row with the
//!   highest `(version, updated_at_ms)` (`argMax`), as the embedded warehouse's upsert does.
//!   A key with `toDate(start_time)` in it would split versions at every midnight instead of at
//!   month ends only, and a month from the UUIDv7 session id would trust the browser's clock.
//! - `events` is a ReplacingMergeTree sorted by the event identity, partitioned by the month of
//!   its server time, which a redelivered batch reproduces exactly; the last write wins.
//! - `recording_chunks` is a ReplacingMergeTree sorted by the chunk identity, partitioned by the
//!   month of the chunk's first client timestamp, which a rewrite of the same seq range keeps.
//!   Both are read with `FINAL`.
//! - The asset tables (`assets`, `asset_hashes`, `session_assets`) are explained in
//!   `clickhouse/assets.rs`.
//!
//! The columns of `sessions` are [`crate::SessionRow`]'s fields; a test checks that the tables
//! the migrations create have exactly those, with the types of [`crate::columns::ColumnType`].

/// The columns of `events`, in the order of [`super::records::EventRecord`].
pub(crate) const EVENT_COLUMNS: &str =
    "project_id, session_id, window_id, batch_seq, event_index, kind, ts_ms, url, name, target, props_json";

/// The columns of `recording_chunks`, in the order of [`super::records::ChunkRecord`].
pub(crate) const CHUNK_COLUMNS: &str = "project_id, session_id, window_id, first_seq, last_seq, blob_key, \
    first_ts_ms, last_ts_ms, events, bytes, full_snapshot, created_at_ms";

/// The table that records which migrations ran.
pub(crate) const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version Int64,
    applied_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY version";

const CREATE_SESSIONS: &str = "CREATE TABLE IF NOT EXISTS sessions (
    project_id String,
    session_id String,
    version Int64,
    closed UInt8,
    start_ms Int64,
    end_ms Int64,
    active_ms Int64,
    user_id String,
    user_traits_json String,
    browser String,
    browser_version String,
    os String,
    os_version String,
    device_type String,
    screen_width Int32,
    screen_height Int32,
    windows Int32,
    events Int64,
    page_views Int32,
    clicks Int32,
    inputs Int32,
    errors Int32,
    custom_events Int32,
    rage_clicks Int32,
    dead_clicks Int32,
    entry_url String,
    exit_url String,
    urls_json String,
    event_names_json String,
    base_score Float64,
    score_breakdown_json String,
    signature_json String,
    updated_at_ms Int64,
    start_time DateTime('UTC') MATERIALIZED toDateTime(intDiv(start_ms, 1000)),
    end_time DateTime('UTC') MATERIALIZED toDateTime(intDiv(end_ms, 1000))
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(start_time)
ORDER BY (project_id, session_id)";

const CREATE_EVENTS: &str = "CREATE TABLE IF NOT EXISTS events (
    project_id String,
    session_id String,
    window_id String,
    batch_seq Int64,
    event_index Int32,
    kind String,
    ts_ms Int64,
    url String,
    name String,
    target String,
    props_json String,
    ts DateTime('UTC') MATERIALIZED toDateTime(intDiv(ts_ms, 1000))
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (project_id, session_id, window_id, batch_seq, event_index, kind)";

const CREATE_RECORDING_CHUNKS: &str = "CREATE TABLE IF NOT EXISTS recording_chunks (
    project_id String,
    session_id String,
    window_id String,
    first_seq Int64,
    last_seq Int64,
    blob_key String,
    first_ts_ms Int64,
    last_ts_ms Int64,
    events Int32,
    bytes Int64,
    full_snapshot UInt8,
    created_at_ms Int64,
    first_time DateTime('UTC') MATERIALIZED toDateTime(intDiv(first_ts_ms, 1000))
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(first_time)
ORDER BY (project_id, session_id, window_id, first_seq, last_seq)";

/// The columns of `notes`, in the order of [`super::records::NoteRecord`].
pub(crate) const NOTE_COLUMNS: [&str; 9] =
    ["project_id", "session_id", "note_id", "offset_ms", "author", "text", "created_at_ms", "deleted", "version"];

/// The columns of `saved_filters`, in the order of [`super::records::SavedFilterRecord`].
pub(crate) const SAVED_FILTER_COLUMNS: [&str; 8] =
    ["project_id", "filter_id", "name", "query", "author", "created_at_ms", "deleted", "version"];

/// The columns of `shares`, in the order of [`super::records::ShareRecord`].
pub(crate) const SHARE_COLUMNS: [&str; 8] =
    ["project_id", "share_id", "session_id", "author", "created_at_ms", "expires_at_ms", "revoked", "version"];

// Notes, saved filters and share links: small tables of versioned rows, one per identity.
// A delete or revocation writes the row again with a higher `version`; reads take each
// identity's newest row with `argMax` and only then drop deleted ones, so a filter on a
// non-key column is never applied before the versions are collapsed.
const CREATE_NOTES: &str = "CREATE TABLE IF NOT EXISTS notes (
    project_id String,
    session_id String,
    note_id String,
    offset_ms Int64,
    author String,
    text String,
    created_at_ms Int64,
    deleted UInt8,
    version Int64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, session_id, note_id)";

const CREATE_SAVED_FILTERS: &str = "CREATE TABLE IF NOT EXISTS saved_filters (
    project_id String,
    filter_id String,
    name String,
    query String,
    author String,
    created_at_ms Int64,
    deleted UInt8,
    version Int64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, filter_id)";

const CREATE_SHARES: &str = "CREATE TABLE IF NOT EXISTS shares (
    project_id String,
    share_id String,
    session_id String,
    author String,
    created_at_ms Int64,
    expires_at_ms Int64,
    revoked UInt8,
    version Int64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, share_id)";

/// A column that a migration adds to a table an earlier migration created. ClickHouse 18.16
/// has no `ADD COLUMN IF NOT EXISTS`, so [`crate::Warehouse::migrate`] runs the `ALTER` only
/// when `system.columns` does not list the column yet; that keeps the step idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AddColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// The type, with the default that rows written before get: `Int32 DEFAULT 0`.
    pub definition: &'static str,
    /// The column it goes after, so that the table keeps [`crate::SessionRow`]'s order.
    pub after: &'static str,
}

impl AddColumn {
    pub(crate) fn sql(&self) -> String {
        format!("ALTER TABLE {} ADD COLUMN {} {} AFTER {}", self.table, self.column, self.definition, self.after)
    }
}

/// One step of a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// An idempotent statement (`CREATE … IF NOT EXISTS`).
    Sql(&'static str),
    /// A column to add when it is missing.
    AddColumn(AddColumn),
}

impl Step {
    pub(crate) fn sql(&self) -> String {
        match self {
            Step::Sql(sql) => sql.to_string(),
            Step::AddColumn(add) => add.sql(),
        }
    }
}

/// Migration 4: the page's viewport beside the device's screen.
const ADD_VIEWPORT: [Step; 2] = [
    Step::AddColumn(AddColumn {
        table: "sessions",
        column: "viewport_width",
        definition: "Int32 DEFAULT 0",
        after: "updated_at_ms",
    }),
    Step::AddColumn(AddColumn {
        table: "sessions",
        column: "viewport_height",
        definition: "Int32 DEFAULT 0",
        after: "viewport_width",
    }),
];

/// Versioned migrations: migration `n` (1-based) is `MIGRATIONS[n - 1]`, one statement per
/// step, since the HTTP interface runs one statement per request. Each step is idempotent,
/// so a migration interrupted half-way is simply run again. Migration 3 adds the
/// dashboards' `session_days` and its materialized view (`views.rs`); migration 4 adds the
/// viewport columns to `sessions`; migration 5 adds the asset tables (`assets.rs`).
pub(crate) const MIGRATIONS: &[&[Step]] = &[
    &[Step::Sql(CREATE_SESSIONS), Step::Sql(CREATE_EVENTS), Step::Sql(CREATE_RECORDING_CHUNKS)],
    &[Step::Sql(CREATE_NOTES), Step::Sql(CREATE_SAVED_FILTERS), Step::Sql(CREATE_SHARES)],
    &[Step::Sql(super::views::CREATE_SESSION_DAYS), Step::Sql(super::views::CREATE_SESSION_DAYS_MV)],
    &ADD_VIEWPORT,
    &[
        Step::Sql(super::assets::CREATE_ASSETS),
        Step::Sql(super::assets::CREATE_ASSET_HASHES),
        Step::Sql(super::assets::CREATE_SESSION_ASSETS),
    ],
];

/// Every DDL statement that [`crate::Warehouse::migrate`] runs, in order, on a database
/// without tables. Run again, the `ADD COLUMN` statements fail with "already exists" (the
/// warehouse checks `system.columns` first; a plain run of this text cannot).
pub fn migration_statements() -> Vec<String> {
    let mut statements = vec![MIGRATIONS_TABLE.to_string()];
    for migration in MIGRATIONS {
        statements.extend(migration.iter().map(Step::sql));
    }
    statements
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{SessionRow, Table};

    /// The `name Type` lines of a `CREATE TABLE`, without the materialized columns.
    pub(crate) fn stored_columns(create: &str) -> Vec<(String, String)> {
        let body = &create[create.find('(').unwrap() + 1..create.find(") ENGINE").unwrap()];
        let mut columns = Vec::new();
        for line in body.lines().map(str::trim).filter(|line| !line.is_empty()) {
            if line.contains("MATERIALIZED") {
                continue;
            }
            let (name, kind) = line.trim_end_matches(',').split_once(' ').unwrap();
            columns.push((name.to_string(), kind.to_string()));
        }
        columns
    }

    /// The columns of `sessions` after every migration: the created ones, each added one after
    /// the column it names.
    fn sessions_columns() -> Vec<(String, String)> {
        let mut columns = stored_columns(CREATE_SESSIONS);
        for step in MIGRATIONS.iter().flat_map(|migration| migration.iter()) {
            if let Step::AddColumn(add) = step {
                assert_eq!(add.table, "sessions");
                let after = columns.iter().position(|(name, _)| name == add.after).expect("the column to add after");
                let kind = add.definition.split(' ').next().unwrap_or_default();
                columns.insert(after + 1, (add.column.to_string(), kind.to_string()));
            }
        }
        columns
    }

    #[test]
    fn the_sessions_table_has_the_columns_of_the_session_row() {
        let expected: Vec<(String, String)> =
            SessionRow::COLUMNS.iter().map(|column| (column.name.into(), column.clickhouse.into())).collect();
        assert_eq!(sessions_columns(), expected, "a SessionRow field needs a column: add a migration");
    }

    #[test]
    fn an_added_column_is_one_alter() {
        let [Step::AddColumn(add), _] = ADD_VIEWPORT else { panic!("migration 4 adds columns") };
        assert_eq!(add.sql(), "ALTER TABLE sessions ADD COLUMN viewport_width Int32 DEFAULT 0 AFTER updated_at_ms");
    }
}
