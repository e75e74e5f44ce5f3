//! The asset tables on SQLite (migration 5): `assets`, one row per `(project, url)` that an
//! upsert replaces unless the stored row has a higher `version`, with `assets_by_hash` for
//! [`crate::Warehouse::asset_by_hash`]; and `session_assets`, one row per
//! `(project, session, url)` that keeps the earliest `first_seen_ms`.
//!
//! `assets_by_hash` holds every column that `asset_by_hash` filters and orders on, in its
//! order, so that query is one index seek with no sort. `assets` keeps its rowid: as a
//! `WITHOUT ROWID` table, SQLite without statistics prefers to scan the project on the primary
//! key over any secondary index. A test asserts both plans.
//!
//! Each function runs on a connection inside [`super::SqliteWarehouse::with`], on the blocking
//! pool.

use std::collections::BTreeSet;

use rusqlite::{params, params_from_iter, Connection};

use super::{placeholders, versioned_upsert};
use crate::{AssetRow, AssetStatus, SessionAsset, SessionAssetRow, Table};

/// Migration 5.
pub(super) const MIGRATION: &str = r#"
CREATE TABLE assets (
    project_id TEXT NOT NULL, url TEXT NOT NULL, hash TEXT NOT NULL, content_type TEXT NOT NULL,
    bytes INTEGER NOT NULL, fetched_at_ms INTEGER NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (project_id, url)
);
CREATE INDEX assets_by_hash ON assets (project_id, hash, status, version DESC, url);
CREATE TABLE session_assets (
    project_id TEXT NOT NULL, session_id TEXT NOT NULL, url TEXT NOT NULL, first_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (project_id, session_id, url)
) WITHOUT ROWID;
"#;

/// Upserts `rows` in one transaction.
pub(super) fn upsert(connection: &mut Connection, rows: Vec<AssetRow>) -> Result<(), rusqlite::Error> {
    let sql = versioned_upsert("assets", &AssetRow::column_list(), "project_id, url");
    let transaction = connection.transaction()?;
    {
        let mut statement = transaction.prepare_cached(&sql)?;
        for row in rows {
            statement.execute(params_from_iter(row.sqlite_values()))?;
        }
    }
    transaction.commit()
}

/// The query of one URL's row, on the primary key.
pub(super) fn by_url_sql() -> String {
    format!("SELECT {} FROM assets WHERE project_id = ?1 AND url = ?2", AssetRow::column_list())
}

/// The row of each of `urls` that has one, each URL once.
pub(super) fn by_urls(
    connection: &Connection,
    project_id: &str,
    urls: &[String],
) -> Result<Vec<AssetRow>, rusqlite::Error> {
    let mut statement = connection.prepare_cached(&by_url_sql())?;
    let distinct: BTreeSet<&str> = urls.iter().map(String::as_str).collect();
    let mut rows = Vec::new();
    for url in distinct {
        let mut found = statement.query_map(params![project_id, url], AssetRow::from_sqlite)?;
        if let Some(row) = found.next().transpose()? {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The query of [`by_hash`], on `assets_by_hash`.
pub(super) fn by_hash_sql() -> String {
    format!(
        "SELECT {} FROM assets WHERE project_id = ?1 AND hash = ?2 AND status = ?3 ORDER BY version DESC, url LIMIT 1",
        AssetRow::column_list()
    )
}

/// The newest archived row with `hash`.
pub(super) fn by_hash(
    connection: &Connection,
    project_id: &str,
    hash: &str,
) -> Result<Option<AssetRow>, rusqlite::Error> {
    let mut statement = connection.prepare_cached(&by_hash_sql())?;
    let mut rows = statement.query_map(params![project_id, hash, AssetStatus::Archived], AssetRow::from_sqlite)?;
    rows.next().transpose()
}

/// Inserts `rows` in one transaction; a row already there keeps the earlier `first_seen_ms`.
pub(super) fn insert_session_assets(
    connection: &mut Connection,
    rows: Vec<SessionAssetRow>,
) -> Result<(), rusqlite::Error> {
    let sql = format!(
        "INSERT INTO session_assets ({}) VALUES ({}) ON CONFLICT (project_id, session_id, url) \
         DO UPDATE SET first_seen_ms = excluded.first_seen_ms WHERE excluded.first_seen_ms < session_assets.first_seen_ms",
        SessionAssetRow::column_list(),
        placeholders(SessionAssetRow::COLUMNS.len())
    );
    let transaction = connection.transaction()?;
    {
        let mut statement = transaction.prepare_cached(&sql)?;
        for row in rows {
            statement.execute(params_from_iter(row.sqlite_values()))?;
        }
    }
    transaction.commit()
}

/// The query of a session's URLs with their `assets` rows: the asset columns first (all NULL
/// for a URL without a row), then the URL and `first_seen_ms`.
pub(super) fn of_session_sql() -> String {
    let asset_columns: Vec<String> = AssetRow::COLUMNS.iter().map(|column| format!("a.{}", column.name)).collect();
    format!(
        "SELECT {}, s.url, s.first_seen_ms FROM session_assets s \
         LEFT JOIN assets a ON a.project_id = s.project_id AND a.url = s.url \
         WHERE s.project_id = ?1 AND s.session_id = ?2 ORDER BY s.url",
        asset_columns.join(", ")
    )
}

/// A session's URLs by URL, each with its `assets` row when there is one.
pub(super) fn of_session(
    connection: &Connection,
    project_id: &str,
    session_id: &str,
) -> Result<Vec<SessionAsset>, rusqlite::Error> {
    let width = AssetRow::COLUMNS.len();
    let mut statement = connection.prepare_cached(&of_session_sql())?;
    let rows = statement.query_map(params![project_id, session_id], |row| {
        let fetched: Option<String> = row.get(0)?;
        let asset = match fetched {
            Some(_) => Some(AssetRow::from_sqlite(row)?),
            None => None,
        };
        Ok(SessionAsset { url: row.get(width)?, first_seen_ms: row.get(width + 1)?, asset })
    })?;
    rows.collect()
}
