//! The archiver on the embedded log, warehouse and blob directory: small chunks soon after each
//! batch, then one merged chunk per tab, with every batch readable at every moment.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use playback_archiver::{Archiver, ArchiverConfig};
use playback_blobs::{BlobStore, LocalDir};
use playback_log::embedded::SqliteLog;
use playback_log::{EventLog, Topic};
use playback_schemas::chunk::decode_chunk;
use playback_schemas::{session_key, AvroMessage, Device, RawBatch};
use playback_warehouse::clickhouse::{ClickHouseConfig, ClickHouseWarehouse};
use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::Warehouse;

fn raw_batch(seq: i64) -> RawBatch {
    let events = if seq == 0 {
        r#"[{"type":4,"data":{"href":"https://shop.example/","width":1280,"height":800},"timestamp":1000},{"type":2,"data":{"node":{"type":0,"childNodes":[],"id":1}},"timestamp":1001}]"#.to_string()
    } else {
        format!(
            r#"[{{"type":3,"data":{{"source":2,"type":2,"id":{seq},"x":10,"y":20}},"timestamp":{}}}]"#,
            1000 + seq * 100
        )
    };
    RawBatch {
        project_id: "demo".into(),
        session_id: "0190a6f0-0000-7000-8000-000000000001".into(),
        window_id: "w1".into(),
        seq,
        client_sent_at_ms: 1_764_000_000_000,
        received_at_ms: 1_764_000_000_000,
        clock_offset_ms: 0,
        user: None,
        device: Device::default(),
        event_count: if seq == 0 { 2 } else { 1 },
        events_json: events.into_bytes(),
    }
}

/// The seqs readable now: listed rows whose blob exists, decoded. Panics when a listed chunk's
/// blob is missing, which a reader would report as an error.
async fn readable(warehouse: &dyn Warehouse, blobs: &dyn BlobStore, session_id: &str) -> (BTreeSet<i64>, usize) {
    let rows = warehouse.session_chunks("demo", session_id).await.unwrap();
    let mut seqs = BTreeSet::new();
    for row in &rows {
        let bytes = blobs.get(&row.blob_key).await.unwrap();
        let bytes = bytes.unwrap_or_else(|| panic!("chunk {} is listed but its blob is gone", row.blob_key));
        for batch in decode_chunk(&bytes).unwrap().batches {
            seqs.insert(batch.seq);
        }
    }
    (seqs, rows.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_chunks_are_merged_and_retired_without_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = Arc::new(SqliteWarehouse::open(&dir.path().join("warehouse.sqlite")).unwrap());
    merge_and_retire(warehouse, dir.path()).await;
}

/// The same on ClickHouse, where deleting the retired rows is a mutation that applies later:
/// their blobs must stay until the rows are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_chunks_are_merged_and_retired_without_a_gap_on_clickhouse() {
    let url = match std::env::var("PLAYBACK_TEST_CLICKHOUSE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let required = std::env::var("PLAYBACK_REQUIRE_REAL_BACKENDS").is_ok_and(|value| value == "1");
            assert!(!required, "PLAYBACK_TEST_CLICKHOUSE_URL is not set: scripts/test-stack up, then . .stack/env");
            eprintln!("skipped: PLAYBACK_TEST_CLICKHOUSE_URL is not set");
            return;
        }
    };
    let user = std::env::var("PLAYBACK_TEST_CLICKHOUSE_USER").unwrap_or_else(|_| "default".into());
    let password = std::env::var("PLAYBACK_TEST_CLICKHOUSE_PASSWORD").unwrap_or_default();
    let database = format!("test_{}", uuid::Uuid::new_v4().simple());
    let config = ClickHouseConfig {
        url: url.clone(),
        database: database.clone(),
        user: user.clone(),
        password: password.clone(),
        ..ClickHouseConfig::default()
    };
    let warehouse = Arc::new(ClickHouseWarehouse::new(config).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let outcome = tokio::spawn(async move { merge_and_retire(warehouse, dir.path()).await }).await;
    let server =
        clickhouse::Client::default().with_url(&url).with_user(&user).with_password(&password).with_validation(false);
    server.query("DROP DATABASE IF EXISTS ?").bind(clickhouse::sql::Identifier(&database)).execute().await.unwrap();
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

async fn merge_and_retire(warehouse: Arc<dyn Warehouse>, dir: &std::path::Path) {
    let log = Arc::new(SqliteLog::open(dir.join("log.sqlite"), 2).unwrap());
    warehouse.migrate().await.unwrap();
    let blobs = Arc::new(LocalDir::open(dir.join("blobs")).unwrap());
    let config = ArchiverConfig {
        flush_idle_ms: 100,
        max_buffer_age_ms: 300,
        merge_idle_ms: 1_500,
        retire_grace_ms: 300,
        ..ArchiverConfig::default()
    };
    let archiver =
        Archiver { log: log.clone(), warehouse: warehouse.clone(), blobs: blobs.clone(), config: config.clone() };
    let task = tokio::spawn(archiver.run());

    let session_id = raw_batch(0).session_id;
    let key = session_key("demo", &session_id);
    let mut max_rows = 0;
    for seq in 0..6 {
        log.publish(Topic::RawBatches, key.as_bytes(), raw_batch(seq).encode().unwrap()).await.unwrap();
        // Each batch is readable soon after it was published, before the tab goes idle.
        let mut seen = BTreeSet::new();
        for _ in 0..100 {
            let (seqs, rows) = readable(warehouse.as_ref(), blobs.as_ref(), &session_id).await;
            max_rows = max_rows.max(rows);
            seen = seqs;
            if seen.contains(&seq) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(seen, (0..=seq).collect::<BTreeSet<i64>>(), "batch {seq} readable");
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(max_rows >= 2, "batches were written in small chunks first ({max_rows} rows at most)");

    // Then the tab is idle: one merged chunk replaces them, and the small blobs go.
    let all: BTreeSet<i64> = (0..6).collect();
    let mut settled = false;
    for _ in 0..400 {
        let (seqs, rows) = readable(warehouse.as_ref(), blobs.as_ref(), &session_id).await;
        assert_eq!(seqs, all, "every batch stays readable while chunks are merged");
        let stored = blobs.list("demo/").await.unwrap();
        if rows == 1 && stored.len() == 1 {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(settled, "one merged chunk and its blob are left");
    let rows = warehouse.session_chunks("demo", &session_id).await.unwrap();
    assert_eq!((rows[0].first_seq, rows[0].last_seq, rows[0].events), (0, 5, 7));
    assert!(rows[0].full_snapshot);
    assert_eq!(blobs.list("demo/").await.unwrap(), vec![rows[0].blob_key.clone()]);
    task.abort();
}
