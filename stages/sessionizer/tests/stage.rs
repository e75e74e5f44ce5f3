//! The sessionizer stage on the embedded log and warehouse, with the recorded demo visit of
//! e2e/fixtures/demo-session-batches.json: a tab whose batches reach the log in reverse order
//! gets the transcript of the same tab in order, and a batch held for its predecessor is not
//! lost when the stage crashes while holding it (no offset is committed past it).

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use playback_log::embedded::SqliteLog;
use playback_log::{EventLog, Topic};
use playback_schemas::{now_ms, session_key, AvroMessage, Device, RawBatch, SessionUpdate};
use playback_sessionizer::{metrics, Sessionizer, SessionizerConfig};
use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::{EventRow, Warehouse};
use serde_json::Value;
use tokio::task::JoinHandle;

const PROJECT: &str = "demo";

/// The fixture's batches for `session`, moved to end at `end_ms` (every client time shifted by
/// the same amount), each received 20 ms after it was sent.
fn visit(session: &str, end_ms: i64) -> Vec<RawBatch> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../e2e/fixtures/demo-session-batches.json");
    let fixture: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let batches = fixture["batches"].as_array().unwrap();
    let shift = end_ms - batches.last().unwrap()["sent_at"].as_i64().unwrap();
    let mut out = Vec::new();
    for batch in batches {
        let mut events = batch["events"].as_array().unwrap().clone();
        for event in &mut events {
            event["timestamp"] = Value::from(event["timestamp"].as_i64().unwrap() + shift);
        }
        let sent_at = batch["sent_at"].as_i64().unwrap() + shift;
        out.push(RawBatch {
            project_id: PROJECT.into(),
            session_id: session.into(),
            window_id: batch["window_id"].as_str().unwrap().into(),
            seq: batch["seq"].as_i64().unwrap(),
            client_sent_at_ms: sent_at,
            received_at_ms: sent_at + 20,
            clock_offset_ms: 20,
            user: None,
            device: Device::default(),
            event_count: events.len() as i32,
            events_json: serde_json::to_vec(&events).unwrap(),
        });
    }
    out
}

async fn publish(log: &SqliteLog, batches: &[RawBatch]) {
    for batch in batches {
        let key = session_key(PROJECT, &batch.session_id);
        log.publish(Topic::RawBatches, key.as_bytes(), batch.encode().unwrap()).await.unwrap();
    }
}

fn start(log: &Arc<SqliteLog>, warehouse: &Arc<SqliteWarehouse>, config: SessionizerConfig) -> JoinHandle<()> {
    let sessionizer = Sessionizer {
        log: Arc::clone(log) as Arc<dyn EventLog>,
        warehouse: Arc::clone(warehouse) as Arc<dyn Warehouse>,
        config,
    };
    tokio::spawn(async move {
        sessionizer.run().await.unwrap();
    })
}

/// Reads session updates until `session`'s newest one shows `clicks`.
async fn wait_for_clicks(
    updates: &mut dyn playback_log::Consumer,
    newest: &mut HashMap<String, SessionUpdate>,
    session: &str,
    clicks: i32,
) {
    let key = session_key(PROJECT, session);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while newest.get(&key).is_none_or(|update| update.clicks < clicks) {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {clicks} clicks of {session}");
        for record in updates.poll(1000, Duration::from_millis(200)).await.unwrap() {
            let update = SessionUpdate::decode(&record.value).unwrap();
            let key = String::from_utf8(record.key).unwrap();
            if newest.get(&key).is_none_or(|known| known.version < update.version) {
                newest.insert(key, update);
            }
        }
    }
    assert_eq!(newest[&key].clicks, clicks, "{session}: no batch counted twice");
}

/// A transcript without its session id, to compare two sessions.
fn transcript(rows: Vec<EventRow>) -> Vec<EventRow> {
    rows.into_iter().map(|row| EventRow { session_id: String::new(), ..row }).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_and_held_batches_through_the_stage() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(SqliteLog::open(dir.path().join("log.db"), 2).unwrap());
    let warehouse = Arc::new(SqliteWarehouse::open(&dir.path().join("warehouse.db")).unwrap());
    warehouse.migrate().await.unwrap();
    let mut updates = log.consumer(Topic::SessionUpdates, "observer").await.unwrap();
    let mut newest = HashMap::new();
    let [in_order, reversed, headless] = [0; 3].map(|_| uuid::Uuid::now_v7().to_string());

    // In order; in reverse order; and without its first batch, which is sent only later.
    let now = now_ms();
    let mut log_order = visit(&in_order, now);
    log_order.extend(visit(&reversed, now).into_iter().rev());
    let mut first_missing = visit(&headless, now);
    let headless_first = first_missing.remove(0);
    log_order.extend(first_missing);
    publish(&log, &log_order).await;

    // A grace longer than the test: the headless tab's batches stay held.
    let patient = SessionizerConfig { reorder_grace_ms: 3_600_000, ..SessionizerConfig::default() };
    let stage = start(&log, &warehouse, patient.clone());
    wait_for_clicks(updates.as_mut(), &mut newest, &in_order, 10).await;
    wait_for_clicks(updates.as_mut(), &mut newest, &reversed, 10).await;
    let expected = transcript(warehouse.session_events(PROJECT, &in_order).await.unwrap());
    assert_eq!(expected.iter().filter(|row| row.kind == "page_view").count(), 2);
    assert_eq!(transcript(warehouse.session_events(PROJECT, &reversed).await.unwrap()), expected);
    assert!(warehouse.session_events(PROJECT, &headless).await.unwrap().is_empty(), "held, not applied");

    // A crash while the headless tab's batches are held: the next run reads them again.
    stage.abort();
    let _ = stage.await;
    publish(&log, &[headless_first]).await;
    let stage = start(&log, &warehouse, patient);
    wait_for_clicks(updates.as_mut(), &mut newest, &headless, 10).await;
    assert_eq!(transcript(warehouse.session_events(PROJECT, &headless).await.unwrap()), expected);
    assert_eq!(metrics::OUT_OF_ORDER_BATCHES.get(), 0, "every held batch met its predecessor");
    stage.abort();
    let _ = stage.await;

    // A tab whose first batch never comes: after the grace its batches are applied anyway, by
    // the wall clock when no later record arrives.
    let lonely = uuid::Uuid::now_v7().to_string();
    let mut lonely_batches = visit(&lonely, now_ms());
    lonely_batches.remove(0);
    publish(&log, &lonely_batches).await;
    let quick = SessionizerConfig { reorder_grace_ms: 1_000, ..SessionizerConfig::default() };
    let stage = start(&log, &warehouse, quick);
    wait_for_clicks(updates.as_mut(), &mut newest, &lonely, 10).await;
    assert_eq!(metrics::OUT_OF_ORDER_BATCHES.get(), 1, "batch 1 was applied without batch 0");
    let rows = warehouse.session_events(PROJECT, &lonely).await.unwrap();
    assert_eq!(rows.iter().filter(|row| row.kind == "click").count(), 10);
    stage.abort();
}
