//! `make bench-sessionizer`: sessionizer throughput, Kafka to ClickHouse, against a bare
//! rdkafka consumer reading the same topic in the same run.
//!
//! A fresh raw-batch topic is filled with many sessions of a real recording: the demo visit
//! of e2e/fixtures/demo-session-batches.json (Playback's recorder in Chromium, 4 batches and
//! 81 rrweb events per session), every session under its own id and moved to the present.
//! Then, each in the same process and one after the other:
//! - the baseline, a bare rdkafka `StreamConsumer` in a new group, reads every record and
//!   decodes its Avro `RawBatch` (the envelope and the events' bytes, not the events' JSON);
//! - the real sessionizer stage (`Sessionizer::run`, the default settings) reads the same
//!   topic in its own group, writes the `events` rows to ClickHouse from the test stack (a
//!   fresh database), publishes every session update and changelog entry to Kafka, and commits.
//!
//! Both are measured in wall time and in process CPU time (getrusage, user + system), so the
//! figures are events per second and events per CPU-second, the latter being per core. The
//! ClickHouse and Kafka servers' own CPU is not counted for either. Needs the test stack:
//! `scripts/test-stack run -- make bench-sessionizer` (or source .stack/env).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::resource::{getrusage, UsageWho};
use playback_log::kafka::{KafkaConfig, KafkaLog};
use playback_log::rdkafka::config::ClientConfig;
use playback_log::rdkafka::consumer::{Consumer, StreamConsumer};
use playback_log::rdkafka::Message;
use playback_log::{EventLog, Topic};
use playback_schemas::{now_ms, session_key, AvroMessage, Device, RawBatch};
use playback_sessionizer::{metrics, Sessionizer, SessionizerConfig};
use playback_warehouse::clickhouse::{ClickHouseConfig, ClickHouseWarehouse};
use playback_warehouse::Warehouse;
use serde_json::Value;
use tokio::task::JoinSet;

const SESSIONS: usize = 2_000;
const PUBLISH_IN_FLIGHT: usize = 64;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("{name} is not set: run `scripts/test-stack run -- make bench-sessionizer` (or source .stack/env)");
        std::process::exit(2);
    })
}

/// The recorded visit's batches for `session`, moved to end at `end_ms`.
fn visit(fixture: &[Value], session: &str, end_ms: i64) -> Vec<RawBatch> {
    let shift = end_ms - fixture.last().unwrap()["sent_at"].as_i64().unwrap();
    fixture
        .iter()
        .map(|batch| {
            let mut events = batch["events"].as_array().unwrap().clone();
            for event in &mut events {
                event["timestamp"] = Value::from(event["timestamp"].as_i64().unwrap() + shift);
            }
            let sent_at = batch["sent_at"].as_i64().unwrap() + shift;
            RawBatch {
                project_id: "demo".into(),
                session_id: session.into(),
                window_id: batch["window_id"].as_str().unwrap().into(),
                seq: batch["seq"].as_i64().unwrap(),
                client_sent_at_ms: sent_at,
                received_at_ms: sent_at + 20,
                clock_offset_ms: 20,
                user: None,
                device: Device { browser: "Chrome".into(), ..Device::default() },
                event_count: events.len() as i32,
                events_json: serde_json::to_vec(&events).unwrap(),
            }
        })
        .collect()
}

/// Fills the raw-batch topic; returns the records and events written.
async fn fill(log: &Arc<KafkaLog>) -> (usize, usize) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/fixtures/demo-session-batches.json");
    let fixture: Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("fixture json");
    let fixture = fixture["batches"].as_array().unwrap().clone();
    let end = now_ms();
    let mut records = Vec::new();
    let mut events = 0;
    for _ in 0..SESSIONS {
        for batch in visit(&fixture, &uuid::Uuid::now_v7().to_string(), end) {
            events += batch.event_count as usize;
            records.push((session_key(&batch.project_id, &batch.session_id), batch.encode().unwrap()));
        }
    }
    let count = records.len();
    let mut tasks = JoinSet::new();
    for (key, value) in records {
        if tasks.len() >= PUBLISH_IN_FLIGHT {
            tasks.join_next().await.unwrap().unwrap();
        }
        let log = Arc::clone(log);
        tasks.spawn(async move { log.publish(Topic::RawBatches, key.as_bytes(), value).await.unwrap() });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    (count, events)
}

/// Process CPU time so far (user + system).
fn cpu_time() -> Duration {
    let usage = getrusage(UsageWho::RUSAGE_SELF).unwrap();
    let seconds = |time: nix::sys::time::TimeVal| {
        Duration::from_secs(time.tv_sec() as u64) + Duration::from_micros(time.tv_usec() as u64)
    };
    seconds(usage.user_time()) + seconds(usage.system_time())
}

struct Measured {
    wall: Duration,
    cpu: Duration,
}

async fn measure<F: std::future::Future<Output = ()>>(run: F) -> Measured {
    let (wall_start, cpu_start) = (Instant::now(), cpu_time());
    run.await;
    Measured { wall: wall_start.elapsed(), cpu: cpu_time() - cpu_start }
}

/// A bare rdkafka consumer in a new group: reads `records` records and decodes each RawBatch.
async fn bare_consumer(brokers: &str, topic: &str, records: usize, events: usize) {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("bench-bare-{}", uuid::Uuid::new_v4()))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let (mut read, mut decoded_events) = (0, 0);
    while read < records {
        let message = consumer.recv().await.unwrap();
        let batch = RawBatch::decode(message.payload().unwrap_or_default()).unwrap();
        decoded_events += batch.event_count as usize;
        read += 1;
    }
    assert_eq!(decoded_events, events);
}

/// The sessionizer stage until it has applied `records` batches.
async fn sessionizer(log: &Arc<KafkaLog>, warehouse: Arc<ClickHouseWarehouse>, records: usize) {
    let applied = || metrics::BATCHES.with_label_values(&["applied"]).get() as usize;
    let before = applied();
    let stage = Sessionizer {
        log: Arc::clone(log) as Arc<dyn EventLog>,
        warehouse: warehouse as Arc<dyn Warehouse>,
        config: SessionizerConfig::default(),
    };
    let task = tokio::spawn(async move { stage.run().await });
    while applied() - before < records {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
}

fn main() {
    let brokers = env("PLAYBACK_TEST_KAFKA_BROKERS");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let kafka = KafkaConfig {
            brokers: brokers.clone(),
            topic_prefix: format!("bench-sz-{unique}."),
            group_prefix: format!("bench-sz-{unique}-"),
            partitions: 4,
            replication_factor: 1,
            ..KafkaConfig::default()
        };
        let topic = format!("{}{}", kafka.topic_prefix, Topic::RawBatches.name());
        let log = Arc::new(KafkaLog::connect(kafka).unwrap());
        log.create_topics().await.unwrap();
        let warehouse = Arc::new(
            ClickHouseWarehouse::new(ClickHouseConfig {
                url: env("PLAYBACK_TEST_CLICKHOUSE_URL"),
                user: env("PLAYBACK_TEST_CLICKHOUSE_USER"),
                password: env("PLAYBACK_TEST_CLICKHOUSE_PASSWORD"),
                database: format!("bench_sz_{unique}"),
                ..ClickHouseConfig::default()
            })
            .unwrap(),
        );
        warehouse.migrate().await.unwrap();
        let (records, events) = fill(&log).await;

        // Warm the broker's page cache and the consumer path once before measuring.
        bare_consumer(&brokers, &topic, records, events).await;
        let bare = measure(bare_consumer(&brokers, &topic, records, events)).await;
        let stage = measure(sessionizer(&log, warehouse, records)).await;

        let per_second = |measured: &Measured| events as f64 / measured.wall.as_secs_f64();
        let per_cpu_second = |measured: &Measured| events as f64 / measured.cpu.as_secs_f64();
        println!(
            "sessionizer: {SESSIONS} sessions, {records} raw batches, {events} rrweb events \
             (the recorded demo visit), 4 partitions; sink: ClickHouse (test stack)"
        );
        for (name, measured) in
            [("bare rdkafka consumer + Avro decode", &bare), ("sessionizer -> ClickHouse + Kafka", &stage)]
        {
            println!(
                "  {name:<36} {:>9.0} events/s  {:>9.0} events/CPU-s  ({:.2} s wall, {:.2} s CPU)",
                per_second(measured),
                per_cpu_second(measured),
                measured.wall.as_secs_f64(),
                measured.cpu.as_secs_f64()
            );
        }
        println!(
            "  ratio sessionizer/bare: {:.3} per CPU-second (goal 0.5), {:.3} wall",
            per_cpu_second(&stage) / per_cpu_second(&bare),
            per_second(&stage) / per_second(&bare)
        );
    });
}
