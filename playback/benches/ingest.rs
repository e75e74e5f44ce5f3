//! `make bench`: ingest throughput, gateway to Kafka, against a bare rdkafka producer sending
//! the same payloads to the same broker in the same run.
//!
//! The payload is a real rrweb recording (e2e/fixtures, 68 events). The baseline sends the
//! Avro `RawBatch` bytes that the gateway would publish for it, with the gateway's producer
//! settings, so the ratio is what the gateway's HTTP handling, parsing, validation and encoding
//! cost on top of Kafka itself. Needs a broker: `scripts/test-stack run -- make bench`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use playback::Config;
use playback_log::kafka::{KafkaConfig, KafkaLog};
use playback_log::rdkafka::config::ClientConfig;
use playback_log::rdkafka::producer::{FutureProducer, FutureRecord};
use playback_log::rdkafka::util::Timeout;
use playback_schemas::{AvroMessage, Device, RawBatch};
use serde_json::Value;
use tokio::sync::Semaphore;

const BATCHES: usize = 3_000;
const IN_FLIGHT: usize = 32;

fn fixture() -> (Value, usize) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/fixtures/rrweb-2.0.0-alpha.4-batch.json");
    let body: Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("fixture json");
    let events = body["events"].as_array().expect("events").len();
    (body, events)
}

fn body_for(template: &Value, index: usize) -> Vec<u8> {
    let mut body = template.clone();
    body["session_id"] = Value::String(uuid::Uuid::now_v7().to_string());
    body["seq"] = Value::from(index as u64);
    body["sent_at"] =
        Value::from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64);
    serde_json::to_vec(&body).unwrap()
}

fn kafka_config(brokers: &str, prefix: &str) -> KafkaConfig {
    KafkaConfig {
        brokers: brokers.into(),
        topic_prefix: prefix.into(),
        group_prefix: prefix.into(),
        partitions: 4,
        replication_factor: 1,
        ..KafkaConfig::default()
    }
}

async fn baseline(brokers: &str, prefix: &str, template: &Value) -> Duration {
    let log = KafkaLog::connect(kafka_config(brokers, prefix)).unwrap();
    log.create_topics().await.unwrap();
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("compression.type", "lz4")
        .set("linger.ms", "5")
        .create()
        .unwrap();
    let events = serde_json::to_vec(&template["events"]).unwrap();
    let payloads: Vec<(String, Vec<u8>)> = (0..BATCHES)
        .map(|index| {
            let batch = RawBatch {
                project_id: "demo".into(),
                session_id: uuid::Uuid::now_v7().to_string(),
                window_id: "w".into(),
                seq: index as i64,
                client_sent_at_ms: 0,
                received_at_ms: 0,
                clock_offset_ms: 0,
                user: None,
                device: Device::default(),
                event_count: 68,
                events_json: events.clone(),
            };
            (batch.session_id.clone(), batch.encode().unwrap())
        })
        .collect();
    let topic = format!("{prefix}playback.raw-batches");
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(BATCHES);
    for (key, value) in payloads {
        let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
        let producer = producer.clone();
        let topic = topic.clone();
        tasks.push(tokio::spawn(async move {
            let record = FutureRecord::to(&topic).key(&key).payload(&value);
            producer.send(record, Timeout::Never).await.map_err(|(error, _)| error).unwrap();
            drop(permit);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

async fn gateway(brokers: &str, prefix: &str, template: &Value) -> Duration {
    let mut config = Config::default();
    config.log.backend = playback::config::Backend::Server;
    config.log.kafka = kafka_config(brokers, prefix);
    config.gateway.rate_limit_per_sec = 0.0;
    config.gateway.listen = "127.0.0.1:0".into();
    config.data_dir = std::env::temp_dir().join(format!("playback-bench-{}", std::process::id()));
    // A process on Kafka needs a master key: the gateway seals every batch it publishes.
    config.encryption.keys = vec![playback::config::MasterKeyConfig {
        id: "bench".into(),
        key_file: None,
        key: Some("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=".into()),
    }];
    playback::app::migrate(config.clone()).await.unwrap();
    let (address, _server) = playback::app::spawn_gateway(&config).await.unwrap();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let bodies: Vec<Vec<u8>> = (0..BATCHES).map(|index| body_for(template, index)).collect();
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(BATCHES);
    for body in bodies {
        let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
        let client = client.clone();
        let uri = format!("http://{address}/v1/batches");
        tasks.push(tokio::spawn(async move {
            let request = hyper::Request::post(uri)
                .header("x-playback-key", "pk_demo")
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            let response = client.request(request).await.unwrap();
            assert_eq!(response.status(), 200);
            drop(permit);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&config.data_dir);
    elapsed
}

fn main() {
    let Ok(brokers) = std::env::var("PLAYBACK_TEST_KAFKA_BROKERS") else {
        eprintln!("no broker: run `scripts/test-stack run -- make bench` (or source .stack/env)");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (template, events) = fixture();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        // Warm both paths (connections, metadata, JIT on the broker) before measuring.
        baseline(&brokers, &format!("bench-warm-{unique}."), &template).await;
        let bare = baseline(&brokers, &format!("bench-bare-{unique}."), &template).await;
        let through_gateway = gateway(&brokers, &format!("bench-gw-{unique}."), &template).await;
        let rate = |elapsed: Duration| (BATCHES * events) as f64 / elapsed.as_secs_f64();
        println!("ingest: {BATCHES} batches of {events} rrweb events, {IN_FLIGHT} in flight");
        println!("  bare rdkafka producer: {:>10.0} events/s  ({:.2} s)", rate(bare), bare.as_secs_f64());
        println!(
            "  gateway -> kafka:      {:>10.0} events/s  ({:.2} s)",
            rate(through_gateway),
            through_gateway.as_secs_f64()
        );
        println!("  ratio gateway/bare:    {:>10.2}", rate(through_gateway) / rate(bare));
    });
}
