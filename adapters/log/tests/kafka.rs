//! The conformance suite against a real Kafka broker (`scripts/test-stack up`).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use playback_log::kafka::KafkaLog;
use playback_log::{conformance, EventLog, Topic};
use playback_runtime::testsuite;

async fn connect(unique: &str) -> Option<KafkaLog> {
    let config = testsuite::kafka(&format!("test-{unique}"))?;
    let log = KafkaLog::connect(config).unwrap();
    log.create_topics().await.unwrap();
    log.create_topics().await.unwrap();
    log.check_topics().await.unwrap();
    Some(log)
}

/// Runs `check` on topics of its own (`test-{unique}.*`); skips without a broker.
async fn own_topics(check: conformance::Check) {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let Some(log) = connect(&unique).await else { return };
    check(Arc::new(log), unique).await;
}

mod conformance_suite {
    playback_log::log_conformance_suite!(super::own_topics);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_producer_is_idempotent_with_acks_all() {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let Some(log) = connect(&unique).await else { return };
    assert_eq!(log.producer_setting("enable.idempotence").as_deref(), Some("true"));
    assert_eq!(log.producer_setting("acks").as_deref(), Some("-1"), "acks=all is -1 in librdkafka");
    log.publish(Topic::RawBatches, b"k", b"v".to_vec()).await.unwrap();
    // In effect, not only configured: the broker assigned the producer an id, which it uses to
    // drop retried duplicates.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let producer_id = loop {
        if let Some(id) = log.idempotent_producer_id() {
            break id;
        }
        assert!(tokio::time::Instant::now() < deadline, "no producer id assigned within 20 s");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(producer_id >= 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_sets_the_retention_of_the_raw_topic_also_when_it_exists() {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let Some(config) = testsuite::kafka(&format!("test-{unique}")) else { return };
    let log =
        KafkaLog::connect(playback_log::kafka::KafkaConfig { raw_retention_ms: 3_600_000, ..config.clone() }).unwrap();
    log.create_topics().await.unwrap();
    assert_eq!(log.topic_setting(Topic::RawBatches, "retention.ms").await.unwrap().as_deref(), Some("3600000"));
    let again = KafkaLog::connect(playback_log::kafka::KafkaConfig { raw_retention_ms: 7_200_000, ..config }).unwrap();
    again.create_topics().await.unwrap();
    assert_eq!(again.topic_setting(Topic::RawBatches, "retention.ms").await.unwrap().as_deref(), Some("7200000"));
    let report = again.trim(&playback_log::TrimOptions { before_ms: i64::MAX, dry_run: false, batch_rows: 10 }).await;
    let report = report.unwrap();
    assert!(report.removed.is_empty() && report.note.is_some_and(|note| note.contains("retention.ms")));
}
