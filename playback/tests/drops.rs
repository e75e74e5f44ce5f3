//! Every kind of unusable input reaches each consumer stage on the embedded adapters and is
//! dropped through the runtime's one drop event: `playback_records_dropped_total` with the
//! stage, topic and reason moves, a `record dropped` log line names the topic, partition and
//! offset, and the stage goes on: the good record after it is processed, and the group's
//! committed offsets pass every record (a fresh member of the group has no lag).

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use playback_archiver::{Archiver, ArchiverConfig};
use playback_blobs::LocalDir;
use playback_log::embedded::SqliteLog;
use playback_log::{partition_for, EventLog, Topic};
use playback_runtime::metrics::RECORDS_DROPPED;
use playback_schemas::{now_ms, session_key, AvroMessage, Device, RawBatch, SessionUpdate};
use playback_scorer::{ScoreConfig, Scorer};
use playback_sessionizer::{Sessionizer, SessionizerConfig};
use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::Warehouse;
use serde_json::Value;

const PROJECT: &str = "demo";

/// The JSON log lines of this test process.
fn log_lines() -> &'static Mutex<Vec<u8>> {
    static LINES: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    let lines = LINES.get_or_init(|| Mutex::new(Vec::new()));
    static SUBSCRIBER: OnceLock<()> = OnceLock::new();
    SUBSCRIBER.get_or_init(|| {
        tracing_subscriber::fmt().json().with_writer(|| Captured).init();
    });
    lines
}

/// A writer that appends to [`log_lines`].
struct Captured;

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        log_lines().lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The fields of the `record dropped` lines logged for `key`.
fn drops_logged(key: &str) -> Vec<Value> {
    let lines = log_lines().lock().unwrap().clone();
    let mut found = Vec::new();
    for line in String::from_utf8(lines).unwrap().lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else { continue };
        let fields = &event["fields"];
        if fields["message"] == "record dropped" && fields["key"] == key {
            found.push(fields.clone());
        }
    }
    found
}

fn dropped(stage: &str, topic: Topic, reason: &str) -> u64 {
    RECORDS_DROPPED.with_label_values(&[stage, topic.name(), reason]).get()
}

struct World {
    _dir: tempfile::TempDir,
    log: Arc<SqliteLog>,
    warehouse: Arc<SqliteWarehouse>,
    blobs: Arc<LocalDir>,
}

async fn world() -> World {
    log_lines();
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(SqliteLog::open(dir.path().join("log.db"), 2).unwrap());
    let warehouse = Arc::new(SqliteWarehouse::open(&dir.path().join("warehouse.db")).unwrap());
    warehouse.migrate().await.unwrap();
    let blobs = Arc::new(LocalDir::open(dir.path().join("blobs")).unwrap());
    World { _dir: dir, log, warehouse, blobs }
}

fn raw_batch(session: &str, seq: i64, events_json: Vec<u8>) -> RawBatch {
    let sent_at = now_ms() - 5_000;
    RawBatch {
        project_id: PROJECT.into(),
        session_id: session.into(),
        window_id: "w1".into(),
        seq,
        client_sent_at_ms: sent_at,
        received_at_ms: sent_at + 20,
        clock_offset_ms: 20,
        user: None,
        device: Device::default(),
        event_count: 1,
        events_json,
    }
}

fn good_events(timestamp: i64) -> Vec<u8> {
    format!(r#"[{{"type":4,"data":{{"href":"https://shop.test/","width":800,"height":600}},"timestamp":{timestamp}}}]"#)
        .into_bytes()
}

/// Publishes `values` under `key` and returns their offsets, in the partition of `key`.
async fn publish_all(log: &SqliteLog, topic: Topic, key: &str, values: Vec<Vec<u8>>) -> Vec<i64> {
    let mut offsets = Vec::new();
    for value in values {
        log.publish(topic, key.as_bytes(), value).await.unwrap();
        offsets.push(offsets.len() as i64);
    }
    offsets
}

/// Waits until `done` holds, for up to 60 s.
async fn wait_until<F, Fut>(what: &str, done: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// True when a fresh member of `group` on `topic` starts with no lag: the stage committed past
/// every record.
async fn committed_through(log: &SqliteLog, topic: Topic, group: &str) -> bool {
    let mut member = log.consumer(topic, group).await.unwrap();
    member.lag().await.unwrap().iter().all(|(_, lag)| *lag == 0)
}

/// Checks the log lines for `key`: one per expected drop, with stage, topic, reason, the key's
/// partition and, where given, the offset.
fn assert_logged(key: &str, partitions: i32, expected: &[(&str, Topic, &str, Option<i64>)]) {
    let logged = drops_logged(key);
    assert_eq!(logged.len(), expected.len(), "drop lines for {key}: {logged:?}");
    for (stage, topic, reason, offset) in expected {
        let line = logged
            .iter()
            .find(|line| {
                line["stage"] == *stage
                    && line["topic"] == topic.name()
                    && line["reason"] == *reason
                    && line["offset"].as_i64() == *offset
            })
            .unwrap_or_else(|| panic!("no drop line for {stage} {topic:?} {reason} {offset:?}: {logged:?}"));
        assert_eq!(line["partition"].as_i64(), Some(i64::from(partition_for(key.as_bytes(), partitions))));
        assert!(line["error"].as_str().is_some_and(|error| !error.is_empty()), "the line has the error: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sessionizer_drops_undecodable_batches_and_changelog_entries_and_goes_on() {
    let world = world().await;
    let session = uuid::Uuid::now_v7().to_string();
    let key = session_key(PROJECT, &session);
    let before = (
        dropped("sessionizer", Topic::RawBatches, "undecodable"),
        dropped("sessionizer", Topic::SessionizerState, "undecodable"),
    );
    // A changelog entry the restore cannot read, then garbage, a value of another schema and a
    // good batch.
    world.log.publish(Topic::SessionizerState, key.as_bytes(), b"not avro".to_vec()).await.unwrap();
    let wrong_schema = SessionUpdate { session_id: session.clone(), ..SessionUpdate::default() }.encode().unwrap();
    let good = raw_batch(&session, 0, good_events(now_ms() - 5_000)).encode().unwrap();
    let offsets = publish_all(&world.log, Topic::RawBatches, &key, vec![b"garbage".to_vec(), wrong_schema, good]).await;

    let stage = Sessionizer {
        log: Arc::clone(&world.log) as Arc<dyn EventLog>,
        warehouse: Arc::clone(&world.warehouse) as Arc<dyn Warehouse>,
        config: SessionizerConfig::default(),
    };
    let running = tokio::spawn(stage.run());
    let warehouse = &world.warehouse;
    wait_until("the good batch's page view", || async {
        warehouse.session_events(PROJECT, &session).await.unwrap().iter().any(|row| row.kind == "page_view")
    })
    .await;
    let log = &world.log;
    wait_until("the commit past every record", || committed_through(log, Topic::RawBatches, "sessionizer")).await;
    running.abort();

    assert_eq!(dropped("sessionizer", Topic::RawBatches, "undecodable") - before.0, 2);
    assert_eq!(dropped("sessionizer", Topic::SessionizerState, "undecodable") - before.1, 1);
    assert_logged(
        &key,
        2,
        &[
            ("sessionizer", Topic::SessionizerState, "undecodable", None),
            ("sessionizer", Topic::RawBatches, "undecodable", Some(offsets[0])),
            ("sessionizer", Topic::RawBatches, "undecodable", Some(offsets[1])),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scorer_drops_undecodable_updates_and_goes_on() {
    let world = world().await;
    let session = uuid::Uuid::now_v7().to_string();
    let key = session_key(PROJECT, &session);
    let before = dropped("scorer", Topic::SessionUpdates, "undecodable");
    let wrong_schema = raw_batch(&session, 0, good_events(now_ms())).encode().unwrap();
    let update = SessionUpdate {
        project_id: PROJECT.into(),
        session_id: session.clone(),
        version: 1,
        start_ms: now_ms() - 60_000,
        end_ms: now_ms(),
        clicks: 3,
        ..SessionUpdate::default()
    };
    let good = update.encode().unwrap();
    let offsets =
        publish_all(&world.log, Topic::SessionUpdates, &key, vec![b"\xc3\x01garbage".to_vec(), wrong_schema, good])
            .await;

    let stage = Scorer {
        log: Arc::clone(&world.log) as Arc<dyn EventLog>,
        warehouse: Arc::clone(&world.warehouse) as Arc<dyn Warehouse>,
        config: ScoreConfig::default(),
    };
    let running = tokio::spawn(stage.run());
    let warehouse = &world.warehouse;
    wait_until("the good update's row", || async {
        warehouse.get_session(Some(PROJECT), &session).await.unwrap().is_some_and(|row| row.clicks == 3)
    })
    .await;
    let log = &world.log;
    wait_until("the commit past every record", || committed_through(log, Topic::SessionUpdates, "scorer")).await;
    running.abort();

    assert_eq!(dropped("scorer", Topic::SessionUpdates, "undecodable") - before, 2);
    assert_logged(
        &key,
        2,
        &[
            ("scorer", Topic::SessionUpdates, "undecodable", Some(offsets[0])),
            ("scorer", Topic::SessionUpdates, "undecodable", Some(offsets[1])),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archiver_drops_undecodable_batches_and_unreadable_events_and_goes_on() {
    let world = world().await;
    let session = uuid::Uuid::now_v7().to_string();
    let key = session_key(PROJECT, &session);
    let before = (
        dropped("archiver", Topic::RawBatches, "undecodable"),
        dropped("archiver", Topic::RawBatches, "unreadable_events"),
    );
    let wrong_schema = SessionUpdate { session_id: session.clone(), ..SessionUpdate::default() }.encode().unwrap();
    let not_an_array = raw_batch(&session, 0, br#"{"type":4}"#.to_vec()).encode().unwrap();
    let too_deep =
        raw_batch(&session, 1, format!("[{}{}]", "[".repeat(600), "]".repeat(600)).into_bytes()).encode().unwrap();
    let good = raw_batch(&session, 2, good_events(now_ms() - 5_000)).encode().unwrap();
    let values = vec![b"garbage".to_vec(), wrong_schema, not_an_array, too_deep, good];
    let offsets = publish_all(&world.log, Topic::RawBatches, &key, values).await;

    let stage = Archiver {
        log: Arc::clone(&world.log) as Arc<dyn EventLog>,
        warehouse: Arc::clone(&world.warehouse) as Arc<dyn Warehouse>,
        blobs: Arc::clone(&world.blobs) as Arc<dyn playback_blobs::BlobStore>,
        config: ArchiverConfig::default(),
    };
    let running = tokio::spawn(stage.run());
    let warehouse = &world.warehouse;
    wait_until("the good batch's chunk", || async {
        warehouse.session_chunks(PROJECT, &session).await.unwrap().iter().any(|row| row.first_seq == 2)
    })
    .await;
    let log = &world.log;
    wait_until("the commit past every record", || committed_through(log, Topic::RawBatches, "archiver")).await;
    running.abort();
    let chunks = world.warehouse.session_chunks(PROJECT, &session).await.unwrap();
    assert_eq!(chunks.iter().map(|row| (row.first_seq, row.last_seq)).collect::<Vec<_>>(), vec![(2, 2)]);

    assert_eq!(dropped("archiver", Topic::RawBatches, "undecodable") - before.0, 2);
    assert_eq!(dropped("archiver", Topic::RawBatches, "unreadable_events") - before.1, 2);
    assert_logged(
        &key,
        2,
        &[
            ("archiver", Topic::RawBatches, "undecodable", Some(offsets[0])),
            ("archiver", Topic::RawBatches, "undecodable", Some(offsets[1])),
            ("archiver", Topic::RawBatches, "unreadable_events", Some(offsets[2])),
            ("archiver", Topic::RawBatches, "unreadable_events", Some(offsets[3])),
        ],
    );
}
