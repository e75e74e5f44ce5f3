//! The asset tables: what became of each asset URL a project's recordings use, and which
//! sessions use which URLs.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

use crate::columns::ColumnType;

/// What became of fetching one asset URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    /// A copy is stored under `assets/{project}/{hash}`.
    Archived,
    /// The fetch failed: an HTTP status, a timeout, a size or content-type refusal.
    Failed,
    /// The URL was not fetched: the SSRF guard or the project's origin rules refused it.
    Refused,
}

impl AssetStatus {
    /// Every status.
    pub const ALL: [AssetStatus; 3] = [AssetStatus::Archived, AssetStatus::Failed, AssetStatus::Refused];

    /// The stored name, as serde writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            AssetStatus::Archived => "archived",
            AssetStatus::Failed => "failed",
            AssetStatus::Refused => "refused",
        }
    }

    /// The status stored as `name`, if it is one.
    pub fn from_name(name: &str) -> Option<AssetStatus> {
        AssetStatus::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

impl std::fmt::Display for AssetStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Both warehouses store a status as its name.
impl ColumnType for AssetStatus {
    const CLICKHOUSE: &'static str = "String";
    const SQLITE: &'static str = "TEXT";
}

impl ToSql for AssetStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for AssetStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let name = value.as_str()?;
        AssetStatus::from_name(name).ok_or_else(|| FromSqlError::Other(format!("unknown asset status {name:?}").into()))
    }
}

impl From<AssetStatus> for rusqlite::types::Value {
    fn from(status: AssetStatus) -> Self {
        rusqlite::types::Value::Text(status.as_str().to_string())
    }
}

crate::table_row! {
/// The latest fetch of one asset URL of a project. Upserts keep the highest `version`. Its
/// fields are the columns of the `assets` table of both warehouses (see [`crate::columns`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRow {
    pub project_id: String,
    /// The absolute URL, as the WHATWG URL parser serialises it after resolving it against the
    /// document's base URL.
    pub url: String,
    /// Lowercase hex SHA-256 of the stored bytes (for a stylesheet, after its `url()`s were
    /// rewritten); empty unless `status` is [`AssetStatus::Archived`].
    pub hash: String,
    /// The response's media type, such as `text/css` or `font/woff2`; empty when not archived.
    pub content_type: String,
    /// Size of the stored bytes; 0 when not archived.
    pub bytes: i64,
    /// When the fetch finished, ms since the epoch.
    pub fetched_at_ms: i64,
    pub status: AssetStatus,
    /// Why it is not archived, for people: `403 from cdn.example.com`, `timed out after 10 s`,
    /// `refused: 10.0.0.7 is a private address`. Empty when archived.
    pub error: String,
    /// The writer's version, `fetched_at_ms` in practice: an upsert keeps the highest.
    pub version: i64,
}
}

crate::table_row! {
/// One asset URL used by one session: by its DOM, its inline styles, or a stylesheet it loads.
/// Inserting the same `(project, session, url)` again keeps the earliest `first_seen_ms`, so a
/// redelivered batch changes nothing. Its fields are the columns of the `session_assets` table
/// of both warehouses, and the ClickHouse RowBinary record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clickhouse", derive(::clickhouse::Row), clickhouse(crate = "::clickhouse"))]
pub struct SessionAssetRow {
    pub project_id: String,
    pub session_id: String,
    pub url: String,
    /// Server time of the batch where the URL was first seen for this session, ms since the epoch.
    pub first_seen_ms: i64,
}
}

/// An asset URL a session uses, with the latest fetch of it when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionAsset {
    pub url: String,
    pub first_seen_ms: i64,
    /// `None` while the asset stage has not fetched it yet.
    pub asset: Option<AssetRow>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Table;

    #[test]
    fn the_stored_name_is_the_serde_name() {
        for status in AssetStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), serde_json::json!(status.as_str()));
            assert_eq!(AssetStatus::from_name(status.as_str()), Some(status));
        }
        assert_eq!(AssetStatus::from_name("pending"), None, "pending is a URL without a row, not a status");
    }

    #[test]
    fn an_asset_row_goes_through_sqlite_by_its_columns() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        let columns: Vec<String> =
            AssetRow::COLUMNS.iter().map(|column| format!("{} {}", column.name, column.sqlite)).collect();
        connection.execute_batch(&format!("CREATE TABLE assets ({})", columns.join(", "))).unwrap();
        let row = AssetRow {
            project_id: "p".into(),
            url: "https://cdn.example.com/site.css".into(),
            hash: "ab".repeat(32),
            content_type: "text/css".into(),
            bytes: 1_234,
            fetched_at_ms: 1_000,
            status: AssetStatus::Archived,
            error: String::new(),
            version: 1_000,
        };
        let marks: Vec<String> = (1..=AssetRow::COLUMNS.len()).map(|index| format!("?{index}")).collect();
        let sql = format!("INSERT INTO assets ({}) VALUES ({})", AssetRow::column_list(), marks.join(", "));
        connection.execute(&sql, rusqlite::params_from_iter(row.clone().sqlite_values())).unwrap();
        let stored: String = connection.query_row("SELECT status FROM assets", [], |stored| stored.get(0)).unwrap();
        assert_eq!(stored, "archived");
        let sql = format!("SELECT {} FROM assets", AssetRow::column_list());
        assert_eq!(connection.query_row(&sql, [], AssetRow::from_sqlite).unwrap(), row);
        connection.execute("UPDATE assets SET status = 'lost'", []).unwrap();
        assert!(connection.query_row(&sql, [], AssetRow::from_sqlite).is_err(), "an unknown status is an error");
    }
}
