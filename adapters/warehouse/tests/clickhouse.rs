//! The ClickHouse warehouse against a real server (`scripts/test-stack up`, then
//! `. .stack/env`). Each test works in its own database and drops it at the end.

mod common;

use std::sync::Arc;

use common::with_database;
use playback_warehouse::clickhouse::{ClickHouseConfig, ClickHouseWarehouse};
use playback_warehouse::conformance::{self, session};
use playback_warehouse::{PageAfter, SessionOrder, SessionQuery, Warehouse};

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
