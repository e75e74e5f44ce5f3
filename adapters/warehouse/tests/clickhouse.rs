//! The ClickHouse warehouse against a real server (`scripts/test-stack up`, then
//! `. .stack/env`). Each test works in its own database and drops it at the end.

mod common;

use std::sync::Arc;

use common::with_database;
use playback_warehouse::clickhouse::{migration_statements, ClickHouseConfig, ClickHouseWarehouse};
use playback_warehouse::conformance::{self, session};
use playback_warehouse::{
    AssetRow, AssetStatus, NoteRow, PageAfter, SessionAssetRow, SessionOrder, SessionQuery, Warehouse,
};

/// Runs `check` on a migrated warehouse in a database of its own, dropped afterwards.
async fn own_database(check: conformance::Check) {
    with_database(move |config| async move {
        let warehouse = ClickHouseWarehouse::new(config).expect("config");
        warehouse.migrate().await.expect("migrate creates the database and tables");
        check(Arc::new(warehouse), "clickhouse".into()).await;
    })
    .await;
}

mod conformance_suite {
    playback_warehouse::warehouse_conformance_suite!(super::own_database);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_uses_only_the_newest_version() {
    with_database(listing_in).await;
}

async fn listing_in(config: ClickHouseConfig) {
    let warehouse = ClickHouseWarehouse::new(config).expect("config");
    warehouse.migrate().await.expect("migrate");
    let day = 86_400_000;
    // 2026-02-01 00:02:00 UTC.
    let t0 = 1_769_904_120_000;
    // A late event moves s1's start into January, so its versions sit in two partitions.
    let mut first = session("p", "s1", t0 + 600_000, 5.0);
    first.start_ms = t0;
    let mut moved = session("p", "s1", t0 + 1_200_000, 6.0);
    moved.version = 2;
    moved.start_ms = t0 - 300_000;
    // s2's newest version ends after the range, its older one inside it.
    let inside = session("p", "s2", t0 + 900_000, 1.0);
    let mut outside = session("p", "s2", t0 + 3 * 3_600_000, 1.0);
    outside.version = 2;
    warehouse.upsert_sessions(vec![first, inside]).await.expect("upsert");
    warehouse.upsert_sessions(vec![moved.clone(), outside]).await.expect("upsert newer");
    let query = SessionQuery {
        project_id: Some("p".into()),
        end_from_ms: t0,
        end_to_ms: t0 + 3_600_000,
        order: SessionOrder::Recent,
        after: None,
        limit: 10,
        ..SessionQuery::default()
    };
    let hits = warehouse.list_sessions(&query).await.expect("list");
    let rows: Vec<_> = hits.into_iter().map(|hit| hit.row).collect();
    assert_eq!(rows, vec![moved.clone()], "one row per session, the newest, filtered after de-duplication");
    let stored = warehouse.get_session(None, "s1").await.expect("get").expect("present");
    assert_eq!(stored, moved);

    // The start-time bound keeps a session that started up to a day before the range.
    let mut long = session("p", "s3", t0 + 2 * day + 1_000, 2.0);
    long.start_ms = t0 + day + 1_000;
    warehouse.upsert_sessions(vec![long.clone()]).await.expect("upsert long");
    let later = SessionQuery { end_from_ms: t0 + 2 * day, end_to_ms: t0 + 3 * day, ..query };
    let hits = warehouse.list_sessions(&later).await.expect("list later");
    assert_eq!(hits.into_iter().map(|hit| hit.row).collect::<Vec<_>>(), vec![long]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strings_and_large_batches_round_trip() {
    with_database(strings_in).await;
}

async fn strings_in(config: ClickHouseConfig) {
    let config = ClickHouseConfig { insert_batch_rows: 700, ..config };
    let warehouse = ClickHouseWarehouse::new(config).expect("config");
    warehouse.migrate().await.expect("migrate");
    warehouse.migrate().await.expect("migrate again");
    let tricky = "it's a \\ 'quoted' ? `tick`\n\ttab é 🎉";
    let mut rows = Vec::new();
    for index in 0..2_000 {
        let mut row = session(tricky, &format!("s{index:04}"), 1_000_000 + index, index as f64 / 3.0);
        row.closed = index % 2 == 0;
        row.user_traits_json = tricky.into();
        row.screen_width = -1;
        row.events = i64::MAX;
        rows.push(row);
    }
    warehouse.upsert_sessions(rows.clone()).await.expect("upsert in three inserts");
    let stored = warehouse.get_session(Some(tricky), "s0001").await.expect("get").expect("present");
    assert_eq!(stored, rows[1]);
    let mut query = SessionQuery {
        project_id: Some(tricky.into()),
        end_from_ms: 0,
        end_to_ms: 2_000_000,
        order: SessionOrder::Recent,
        after: None,
        limit: 500,
        ..SessionQuery::default()
    };
    let mut seen = 0;
    loop {
        let page = warehouse.list_sessions(&query).await.expect("list");
        let Some(last) = page.last() else { break };
        query.after = Some(PageAfter::Recent { end_ms: last.row.end_ms, session_id: last.row.session_id.clone() });
        seen += page.len();
    }
    assert_eq!(seen, rows.len());
    assert_eq!(warehouse.get_session(Some(tricky), "s' OR 1=1 --").await.expect("get"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_from_before_the_viewport_columns_gain_them() {
    with_database(viewport_migration_in).await;
}

/// A database migrated by a build of three migrations, with a session in it, then migrated by
/// this build: the session reads back with a viewport of 0, and migrating again changes nothing.
async fn viewport_migration_in(config: ClickHouseConfig) {
    let server = clickhouse::Client::default()
        .with_url(&config.url)
        .with_user(&config.user)
        .with_password(&config.password)
        .with_validation(false);
    server
        .query("CREATE DATABASE ?")
        .bind(clickhouse::sql::Identifier(&config.database))
        .execute()
        .await
        .expect("create the database");
    let client = server.with_database(&config.database);
    for statement in migration_statements().iter().filter(|statement| !statement.contains(" ADD COLUMN ")) {
        client.query_raw(statement).execute().await.unwrap_or_else(|error| panic!("{error}\n{statement}"));
    }
    client
        .query_raw("INSERT INTO schema_migrations (version, applied_at) VALUES (1, now()), (2, now()), (3, now())")
        .execute()
        .await
        .expect("record three migrations");
    let old = session("p", "s-old", 1_764_300_000_000, 3.5);
    let columns = "project_id, session_id, version, closed, start_ms, end_ms, active_ms, user_id, user_traits_json, \
        browser, browser_version, os, os_version, device_type, screen_width, screen_height, windows, events, page_views, \
        clicks, inputs, errors, custom_events, rage_clicks, dead_clicks, entry_url, exit_url, urls_json, \
        event_names_json, base_score, score_breakdown_json, signature_json, updated_at_ms";
    let insert = format!(
        "INSERT INTO sessions ({columns}) VALUES ('p', 's-old', 1, 0, {}, {}, {}, '', '{{}}', 'Chrome', '', 'Linux', '', \
         'desktop', 1280, 800, 0, 0, 0, 0, 0, 0, 0, 0, 0, '', '', '[]', '[]', 3.5, '[]', '[]', 0)",
        old.start_ms, old.end_ms, old.active_ms
    );
    client.query_raw(&insert).execute().await.expect("a session written before migration 4");

    let warehouse = ClickHouseWarehouse::new(config).expect("config");
    warehouse.check().await.expect_err("three migrations are too few for this build");
    warehouse.migrate().await.expect("migration 4 adds the columns");
    warehouse.migrate().await.expect("and runs again without change");
    warehouse.check().await.expect("the tables are current");
    let stored = warehouse.get_session(Some("p"), "s-old").await.expect("get").expect("present");
    let expected = SessionRowWithViewport { viewport: (0, 0), ..SessionRowWithViewport::of(&old) };
    assert_eq!(SessionRowWithViewport::of(&stored), expected);
    let mut new = session("p", "s-new", 1_764_300_100_000, 1.0);
    new.viewport_width = 390;
    new.viewport_height = 664;
    warehouse.upsert_sessions(vec![new.clone()]).await.expect("upsert after the migration");
    assert_eq!(warehouse.get_session(Some("p"), "s-new").await.expect("get"), Some(new));
}

/// The parts of a row this test compares: the old row's own columns and the viewport.
#[derive(Debug, PartialEq)]
struct SessionRowWithViewport {
    id: String,
    screen: (i32, i32),
    viewport: (i32, i32),
    times: (i64, i64, i64),
    base_score: f64,
}

impl SessionRowWithViewport {
    fn of(row: &playback_warehouse::SessionRow) -> Self {
        SessionRowWithViewport {
            id: row.session_id.clone(),
            screen: (row.screen_width, row.screen_height),
            viewport: (row.viewport_width, row.viewport_height),
            times: (row.start_ms, row.end_ms, row.active_ms),
            base_score: row.base_score,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asset_reads_are_the_same_after_merges() {
    with_database(asset_merges_in).await;
}

/// The asset tables' reads do not depend on merges: after `OPTIMIZE … FINAL` has collapsed
/// every key, each read returns what it returned before.
async fn asset_merges_in(config: ClickHouseConfig) {
    let client = clickhouse::Client::default()
        .with_url(&config.url)
        .with_user(&config.user)
        .with_password(&config.password)
        .with_database(&config.database)
        .with_validation(false);
    let warehouse = ClickHouseWarehouse::new(config).expect("config");
    warehouse.migrate().await.expect("migrate");
    let css = "https://cdn.example.com/site.css";
    let font = "https://cdn.example.com/inter.woff2";
    let asset = |url: &str, hash: &str, status: AssetStatus, error: &str, version: i64| AssetRow {
        project_id: "p".into(),
        url: url.into(),
        hash: hash.into(),
        content_type: if hash.is_empty() { String::new() } else { "text/css".into() },
        bytes: if hash.is_empty() { 0 } else { 100 },
        fetched_at_ms: version,
        status,
        error: error.into(),
        version,
    };
    let (old_bytes, new_bytes) = ("a".repeat(64), "b".repeat(64));
    // One write per call, so that each is a part of its own until the merge.
    let writes = [
        asset(css, &old_bytes, AssetStatus::Archived, "", 1_000),
        asset(css, &new_bytes, AssetStatus::Archived, "", 2_000),
        asset(css, "", AssetStatus::Failed, "403 from cdn.example.com", 1_500),
        asset(font, "", AssetStatus::Failed, "403 from cdn.example.com", 1_000),
        asset(font, "", AssetStatus::Failed, "connection failed to cdn.example.com", 1_000),
    ];
    for write in writes {
        warehouse.upsert_assets(vec![write]).await.expect("upsert");
    }
    // 2026-03-10 UTC: every sighting in one month, so one partition, the later ones last.
    let day = 1_773_100_800_000;
    for first_seen_ms in [day, day + 5_000, day + 9_000] {
        let row = SessionAssetRow { project_id: "p".into(), session_id: "s".into(), url: css.into(), first_seen_ms };
        warehouse.insert_session_assets(vec![row]).await.expect("insert");
    }
    let font_row =
        SessionAssetRow { project_id: "p".into(), session_id: "s".into(), url: font.into(), first_seen_ms: day };
    warehouse.insert_session_assets(vec![font_row]).await.expect("insert");

    let urls = vec![css.to_string(), font.to_string()];
    let before = (
        warehouse.assets("p", &urls).await.expect("assets"),
        warehouse.asset_by_hash("p", &old_bytes).await.expect("by old hash"),
        warehouse.asset_by_hash("p", &new_bytes).await.expect("by new hash"),
        warehouse.session_assets("p", "s").await.expect("session assets"),
    );
    assert_eq!(
        before.0.iter().map(|row| row.error.as_str()).collect::<Vec<_>>(),
        ["connection failed to cdn.example.com", ""]
    );
    assert_eq!(before.1, None, "the stylesheet's bytes changed");
    assert_eq!(before.2.as_ref().map(|row| row.version), Some(2_000));
    assert_eq!(before.3.iter().map(|asset| asset.first_seen_ms).collect::<Vec<_>>(), [day, day]);
    for table in ["assets", "asset_hashes", "session_assets"] {
        let optimize = format!("OPTIMIZE TABLE {table} FINAL");
        client.query_raw(&optimize).execute().await.unwrap_or_else(|error| panic!("{error}\n{optimize}"));
    }
    let after = (
        warehouse.assets("p", &urls).await.expect("assets"),
        warehouse.asset_by_hash("p", &old_bytes).await.expect("by old hash"),
        warehouse.asset_by_hash("p", &new_bytes).await.expect("by new hash"),
        warehouse.session_assets("p", "s").await.expect("session assets"),
    );
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_note_leaves_no_text_behind() {
    with_database(deleted_note_in).await;
}

/// Deleting a note removes the versions that held its text from the table, not only from the
/// reads: the tombstone has no text, and a mutation drops the rows it replaced.
async fn deleted_note_in(config: ClickHouseConfig) {
    let client = clickhouse::Client::default()
        .with_url(&config.url)
        .with_user(&config.user)
        .with_password(&config.password)
        .with_database(&config.database)
        .with_validation(false);
    let warehouse = ClickHouseWarehouse::new(config).expect("config");
    warehouse.migrate().await.expect("migrate");
    let text = "Ada paid with card 4111 1111 1111 1111";
    let note = |text: &str, deleted: bool, version: i64| NoteRow {
        project_id: "p".into(),
        session_id: "s".into(),
        note_id: "n1".into(),
        offset_ms: 10,
        author: "ada".into(),
        text: text.into(),
        created_at_ms: 1,
        deleted,
        version,
    };
    let kept = NoteRow { note_id: "n2".into(), ..note("kept", false, 1) };
    warehouse.upsert_notes(vec![note(text, false, 1), kept.clone()]).await.expect("write");
    warehouse
        .upsert_notes(vec![note("Ada paid with card 4111 1111 1111 1111 (edited)", false, 2)])
        .await
        .expect("edit");
    warehouse.upsert_notes(vec![note(text, true, 3)]).await.expect("delete");
    assert_eq!(warehouse.session_notes("p", "s").await.expect("notes"), vec![kept]);

    let count = "SELECT count() FROM notes WHERE position(text, 'Ada paid') > 0";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let holding: u64 = client.query(count).fetch_one().await.expect("count");
        if holding == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{holding} rows still hold the deleted note's text");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let rows: Vec<(String, u8, i64)> = client
        .query("SELECT note_id, deleted, version FROM notes ORDER BY note_id, version")
        .fetch_all()
        .await
        .expect("rows");
    assert_eq!(rows, [("n1".to_string(), 1, 3), ("n2".to_string(), 0, 1)], "the tombstone and the other note stay");
}
