//! Migration 5: the asset tables, and the statements that read them.
//!
//! - `assets` is a ReplacingMergeTree on `version`, sorted by `(project_id, url)`, not
//!   partitioned (one row per URL of a project, whatever the sessions' months). It is read with
//!   `FINAL`, which keeps one whole row per key: the highest version, and at an equal version
//!   the one written last, as the embedded upsert does. `argMax` per column could mix two rows
//!   of an equal version. Reads filter on the key inside `FINAL` and on other columns only
//!   outside it, after the versions are collapsed.
//! - `asset_hashes` maps `(project_id, hash)` to the URLs archived with those bytes, so that
//!   [`crate::Warehouse::asset_by_hash`] reads a few rows on its sorting key instead of every
//!   asset of the project. It only grows; a URL's later fetch of other bytes leaves its old
//!   entry, so the lookup takes the candidates' latest `assets` rows and keeps those that are
//!   still archived with the hash. The warehouse writes it before `assets`, so a row of
//!   `assets` is never archived without its entry.
//! - `session_assets` is sorted by `(project_id, session_id, url)` and partitioned by the UTC
//!   month of `first_seen`, so retention drops months with the sessions. Its version is the
//!   MATERIALIZED `-first_seen_ms`: a merge keeps the earliest sighting. The same URL seen in
//!   two months sits in two partitions that never merge, so reads take `min(first_seen_ms)`
//!   per URL.
//!
//! The columns of `assets` and `session_assets` are [`AssetRow`]'s and [`SessionAssetRow`]'s
//! fields; a test checks the `CREATE TABLE`s against them.

use super::sql::{Builder, Statement};
use super::ExampleQuery;
use crate::{AssetRow, AssetStatus, SessionAssetRow, Table};

pub(crate) const CREATE_ASSETS: &str = "CREATE TABLE IF NOT EXISTS assets (
    project_id String,
    url String,
    hash String,
    content_type String,
    bytes Int64,
    fetched_at_ms Int64,
    status String,
    error String,
    version Int64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, url)";

pub(crate) const CREATE_ASSET_HASHES: &str = "CREATE TABLE IF NOT EXISTS asset_hashes (
    project_id String,
    hash String,
    url String
) ENGINE = ReplacingMergeTree
ORDER BY (project_id, hash, url)";

pub(crate) const CREATE_SESSION_ASSETS: &str = "CREATE TABLE IF NOT EXISTS session_assets (
    project_id String,
    session_id String,
    url String,
    first_seen_ms Int64,
    first_seen DateTime('UTC') MATERIALIZED toDateTime(intDiv(first_seen_ms, 1000)),
    version Int64 MATERIALIZED -first_seen_ms
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(first_seen)
ORDER BY (project_id, session_id, url)";

/// The most URL text one statement binds: the server refuses a query over `max_query_size`
/// (256 KiB by default), and each URL is bound as a quoted literal.
const URL_BYTES_PER_STATEMENT: usize = 64 * 1024;

/// The columns of `assets`, comma separated.
fn asset_columns() -> String {
    AssetRow::column_list()
}

/// The latest rows of `urls` (of `project_id`) by URL, in statements of at most
/// [`URL_BYTES_PER_STATEMENT`] of URLs each (at least one URL each).
pub(crate) fn by_urls(project_id: &str, urls: &[&str]) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut rest = urls;
    while !rest.is_empty() {
        let mut count = 0;
        let mut bytes = 0;
        while count < rest.len() && (count == 0 || bytes + rest[count].len() <= URL_BYTES_PER_STATEMENT) {
            bytes += rest[count].len();
            count += 1;
        }
        let (batch, later) = rest.split_at(count);
        let mut builder = Builder::default();
        builder.text(&format!("SELECT {} FROM assets FINAL WHERE project_id = ", asset_columns())).string(project_id);
        builder.text(" AND url IN (");
        for (index, url) in batch.iter().enumerate() {
            if index > 0 {
                builder.text(", ");
            }
            builder.string(url);
        }
        builder.text(") ORDER BY url");
        statements.push(builder.build());
        rest = later;
    }
    statements
}

/// The newest latest row archived with `hash`, among the URLs `asset_hashes` lists for it.
pub(crate) fn by_hash(project_id: &str, hash: &str) -> Statement {
    let columns = asset_columns();
    let mut builder = Builder::default();
    builder.text(&format!("SELECT {columns} FROM (SELECT {columns} FROM assets FINAL WHERE project_id = "));
    builder.string(project_id).text(" AND url IN (SELECT url FROM asset_hashes WHERE project_id = ");
    builder.string(project_id).text(" AND hash = ").string(hash).text(")) WHERE status = ");
    builder.string(AssetStatus::Archived.as_str()).text(" AND hash = ").string(hash);
    builder.text(" ORDER BY version DESC, url LIMIT 1");
    builder.build()
}

/// A session's URLs with their earliest sighting, by URL.
pub(crate) fn session_urls(project_id: &str, session_id: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text("SELECT url, min(first_seen_ms) AS earliest_ms FROM session_assets WHERE project_id = ");
    builder.string(project_id).text(" AND session_id = ").string(session_id);
    builder.text(" GROUP BY url ORDER BY url");
    builder.build()
}

/// The latest rows of a session's URLs that have one, by URL.
pub(crate) fn session_rows(project_id: &str, session_id: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text(&format!("SELECT {} FROM assets FINAL WHERE project_id = ", asset_columns())).string(project_id);
    builder.text(" AND url IN (SELECT url FROM session_assets WHERE project_id = ").string(project_id);
    builder.text(" AND session_id = ").string(session_id).text(") ORDER BY url");
    builder.build()
}

/// The columns of `session_assets` that an insert names.
fn session_asset_columns() -> String {
    SessionAssetRow::column_list()
}

/// An `INSERT` of asset rows, as SQL text: for running the examples on another engine.
fn insert_assets(rows: &[(&str, &str, &str, AssetStatus, i64)]) -> Statement {
    let mut builder = Builder::default();
    builder.text(&format!("INSERT INTO assets ({}) VALUES ", asset_columns()));
    for (index, (project_id, url, hash, status, version)) in rows.iter().enumerate() {
        builder.text(if index > 0 { ", (" } else { "(" });
        builder.string(project_id).text(", ").string(url).text(", ").string(hash);
        let archived = *status == AssetStatus::Archived;
        builder.text(", ").string(if archived { "text/css" } else { "" }).text(", ").int(if archived {
            100
        } else {
            0
        });
        builder.text(", ").int(*version).text(", ").string(status.as_str());
        builder.text(", ").string(if archived { "" } else { "403 from cdn.example.com" }).text(", ").int(*version);
        builder.text(")");
    }
    builder.build()
}

fn insert_asset_hashes(rows: &[(&str, &str, &str)]) -> Statement {
    let mut builder = Builder::default();
    builder.text("INSERT INTO asset_hashes (project_id, hash, url) VALUES ");
    for (index, (project_id, hash, url)) in rows.iter().enumerate() {
        builder.text(if index > 0 { ", (" } else { "(" });
        builder.string(project_id).text(", ").string(hash).text(", ").string(url).text(")");
    }
    builder.build()
}

fn insert_session_assets(rows: &[(&str, &str, &str, i64)]) -> Statement {
    let mut builder = Builder::default();
    builder.text(&format!("INSERT INTO session_assets ({}) VALUES ", session_asset_columns()));
    for (index, (project_id, session_id, url, first_seen_ms)) in rows.iter().enumerate() {
        builder.text(if index > 0 { ", (" } else { "(" });
        builder.string(project_id).text(", ").string(session_id).text(", ").string(url);
        builder.text(", ").int(*first_seen_ms).text(")");
    }
    builder.build()
}

/// 2026-02-28 23:59:59 UTC: the last second of a month, so a later sighting falls in the next
/// partition.
const END_OF_FEBRUARY: i64 = 1_772_323_199_000;

/// Asset rows written over each other, hash entries left behind by refetches, and URLs seen
/// by sessions in two months, with every read.
pub(super) fn examples() -> Vec<ExampleQuery> {
    let css = "https://cdn.example.com/site.css?v='2'";
    let font = "https://cdn.example.com/inter.woff2";
    let hero = "https://example.com/hero.jpg";
    let (h1, h2, h3) = ("1".repeat(64), "2".repeat(64), "3".repeat(64));
    let archived = AssetStatus::Archived;
    let failed = AssetStatus::Failed;
    let statements = [
        (insert_asset_hashes(&[("example", &h1, css), ("example", &h2, font), ("other", &h1, css)]), 0),
        (insert_assets(&[("example", css, &h1, archived, 1), ("example", font, &h2, archived, 1)]), 0),
        (insert_assets(&[("other", css, &h1, archived, 1)]), 0),
        // The font fails on its refetch; an older write of the stylesheet arrives late.
        (insert_assets(&[("example", font, "", failed, 2), ("example", css, "", failed, 0)]), 0),
        (insert_asset_hashes(&[("example", &h3, hero)]), 0),
        (insert_assets(&[("example", hero, &h3, archived, 1)]), 0),
        (
            insert_session_assets(&[
                ("example", "s1", css, END_OF_FEBRUARY),
                ("example", "s1", font, END_OF_FEBRUARY),
                ("example", "s2", hero, END_OF_FEBRUARY),
            ]),
            0,
        ),
        // Seen again a second later, in March, and the missing one once.
        (
            insert_session_assets(&[
                ("example", "s1", css, END_OF_FEBRUARY + 1_000),
                ("example", "s1", "https://example.com/missing.png", END_OF_FEBRUARY + 1_000),
            ]),
            0,
        ),
        (by_urls("example", &[css, font, "https://example.com/none.png"]).remove(0), 2),
        (by_urls("example", &[hero]).remove(0), 1),
        (by_hash("example", &h1), 1),
        (by_hash("example", &h2), 0),
        (by_hash("other", &h3), 0),
        (session_urls("example", "s1"), 3),
        (session_rows("example", "s1"), 2),
        (session_urls("example", "s3"), 0),
    ];
    statements.into_iter().map(|(statement, rows)| ExampleQuery { sql: statement.render(), rows }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clickhouse::schema::tests::stored_columns;

    fn expected<T: Table>() -> Vec<(String, String)> {
        T::COLUMNS.iter().map(|column| (column.name.into(), column.clickhouse.into())).collect()
    }

    #[test]
    fn the_asset_tables_have_the_columns_of_their_rows() {
        assert_eq!(stored_columns(CREATE_ASSETS), expected::<AssetRow>());
        assert_eq!(stored_columns(CREATE_SESSION_ASSETS), expected::<SessionAssetRow>());
        let records = <super::super::records::AssetRecord as ::clickhouse::Row>::COLUMN_NAMES;
        let names: Vec<&str> = AssetRow::COLUMNS.iter().map(|column| column.name).collect();
        assert_eq!(records, names.as_slice(), "the record travels in the columns' order");
        assert_eq!(
            <super::super::records::AssetHashRecord as ::clickhouse::Row>::COLUMN_NAMES,
            ["project_id", "hash", "url"]
        );
    }

    #[test]
    fn urls_are_split_below_the_query_size_limit() {
        let long = "https://cdn.example.com/".to_string() + &"a".repeat(20_000);
        let urls: Vec<&str> = vec![long.as_str(); 7];
        let statements = by_urls("p", &urls);
        let bound: Vec<usize> = statements.iter().map(|statement| statement.params.len() - 1).collect();
        assert_eq!(bound, vec![3, 3, 1], "every URL once, in order");
        assert!(statements.iter().all(|statement| statement.render().len() < 100 * 1024));
        let huge = "https://cdn.example.com/".to_string() + &"b".repeat(100_000);
        assert_eq!(by_urls("p", &[huge.as_str()]).len(), 1, "a URL over the budget goes alone");
        assert!(by_urls("p", &[]).is_empty());
    }
}
