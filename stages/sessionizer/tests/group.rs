//! Two sessionizers in one consumer group on a real Kafka broker (`scripts/test-stack up`):
//! while members join and leave, every session is owned by one member at a time, restored from
//! the changelog by its next owner, and each batch is counted exactly once.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use playback_log::kafka::KafkaLog;
use playback_log::{EventLog, Topic};
use playback_runtime::testsuite;
use playback_schemas::{now_ms, session_key, AvroMessage, Device, RawBatch, SessionUpdate};
use playback_sessionizer::{Sessionizer, SessionizerConfig};
use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::Warehouse;
use serde_json::json;
use tokio::task::JoinHandle;

const SESSIONS: usize = 12;
const PROJECT: &str = "demo";

fn batch(session: &str, seq: i64, t0: i64) -> RawBatch {
    let at = t0 + seq * 2_000;
    let mut events = Vec::new();
    if seq == 0 {
        events.push(
            json!({"type": 4, "data": {"href": "https://shop.test/", "width": 1280, "height": 720}, "timestamp": at}),
        );
        events.push(json!({"type": 2, "timestamp": at, "data": {"node": {"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "button", "attributes": {"id": "go"}, "childNodes": []}]}}}));
    }
    events.push(json!({"type": 3, "data": {"source": 2, "type": 2, "id": 2, "x": 1, "y": 1}, "timestamp": at + 1}));
    RawBatch {
        project_id: PROJECT.into(),
        session_id: session.into(),
        window_id: "w1".into(),
        seq,
        client_sent_at_ms: at + 10,
        received_at_ms: at + 10,
        clock_offset_ms: 0,
        user: None,
        device: Device::default(),
        event_count: events.len() as i32,
        events_json: serde_json::Value::Array(events).to_string().into_bytes(),
    }
}

async fn publish(log: &KafkaLog, sessions: &[String], seqs: std::ops::Range<i64>, t0: i64) {
    for seq in seqs {
        for session in sessions {
            let value = batch(session, seq, t0).encode().unwrap();
            log.publish(Topic::RawBatches, session_key(PROJECT, session).as_bytes(), value).await.unwrap();
        }
    }
}

fn start(log: &Arc<KafkaLog>, warehouse: &Arc<SqliteWarehouse>) -> JoinHandle<()> {
    let sessionizer = Sessionizer {
        log: Arc::clone(log) as Arc<dyn EventLog>,
        warehouse: Arc::clone(warehouse) as Arc<dyn Warehouse>,
        config: SessionizerConfig::default(),
    };
    tokio::spawn(async move {
        sessionizer.run().await.unwrap();
    })
}

/// Reads session updates until every session's newest one shows `clicks`; returns the newest.
async fn wait_for_clicks(
    updates: &mut dyn playback_log::Consumer,
    newest: &mut HashMap<String, SessionUpdate>,
    clicks: i32,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        for record in updates.poll(1000, Duration::from_millis(500)).await.unwrap() {
            let update = SessionUpdate::decode(&record.value).unwrap();
            let key = String::from_utf8(record.key).unwrap();
            if newest.get(&key).is_none_or(|known| known.version < update.version) {
                newest.insert(key, update);
            }
        }
        let done = newest.len() == SESSIONS && newest.values().all(|update| update.clicks == clicks);
        if done {
            return;
        }
        let over: Vec<(&String, i32)> = newest
            .iter()
            .filter(|(_, update)| update.clicks > clicks)
            .map(|(key, update)| (key, update.clicks))
            .collect();
        assert!(over.is_empty(), "a batch was counted twice: {over:?}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {clicks} clicks: {:?}",
            newest.values().map(|update| update.clicks).collect::<Vec<_>>()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_joining_and_leaving_count_each_batch_once() {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let Some(config) = testsuite::kafka(&format!("group-{unique}")) else { return };
    let log = Arc::new(KafkaLog::connect(config).unwrap());
    log.create_topics().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let warehouse = Arc::new(SqliteWarehouse::open(&dir.path().join("warehouse.db")).unwrap());
    warehouse.migrate().await.unwrap();
    let mut updates = log.consumer(Topic::SessionUpdates, "observer").await.unwrap();
    let mut newest = HashMap::new();
    let sessions: Vec<String> = (0..SESSIONS).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let t0 = now_ms() - 60_000;

    let first = start(&log, &warehouse);
    publish(&log, &sessions, 0..3, t0).await;
    wait_for_clicks(updates.as_mut(), &mut newest, 3).await;

    // A second member joins: the group's partitions are split between the two.
    let second = start(&log, &warehouse);
    tokio::time::sleep(Duration::from_secs(8)).await;
    publish(&log, &sessions, 3..6, t0).await;
    wait_for_clicks(updates.as_mut(), &mut newest, 6).await;

    // The first member stops: the second takes its sessions over from the changelog.
    first.abort();
    let _ = first.await;
    publish(&log, &sessions, 6..9, t0).await;
    // A client retry delivers batches again; they are recognised and skipped.
    publish(&log, &sessions, 4..5, t0).await;
    wait_for_clicks(updates.as_mut(), &mut newest, 9).await;

    for session in &sessions {
        let rows = warehouse.session_events(PROJECT, session).await.unwrap();
        let clicks = rows.iter().filter(|row| row.kind == "click").count();
        assert_eq!(clicks, 9, "transcript clicks of {session}");
        let update = &newest[&session_key(PROJECT, session)];
        assert_eq!(update.page_views, 1, "page views of {session}");
        assert!(!update.closed, "{session} is still open");
    }
    second.abort();
}
