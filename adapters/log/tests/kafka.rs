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
