//! Helpers for tests that run against the test stack (`scripts/test-stack up` writes the
//! `PLAYBACK_TEST_*` variables to `.stack/env`): one place that turns them into Kafka,
//! ClickHouse and S3 config. Only with the `testsuite` feature, which only dev-dependencies
//! enable, so none of it is in the binary.

use playback_blobs::s3::S3Config;
use playback_log::kafka::KafkaConfig;
use playback_warehouse::clickhouse::ClickHouseConfig;

/// The value of a `PLAYBACK_TEST_*` variable. Without it the test is skipped, unless
/// `PLAYBACK_REQUIRE_REAL_BACKENDS=1` (set by `make test`) makes a missing server a failure.
pub fn real_backend(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            let required = std::env::var("PLAYBACK_REQUIRE_REAL_BACKENDS").is_ok_and(|value| value == "1");
            assert!(
                !required,
                "{variable} is not set: start the servers with scripts/test-stack up and source .stack/env"
            );
            eprintln!("skipped: {variable} is not set (scripts/test-stack up, then source .stack/env)");
            None
        }
    }
}

fn env(variable: &str) -> String {
    std::env::var(variable).unwrap_or_default()
}

/// The test broker with topics and groups of their own (`{prefix}.` and `{prefix}-`), four
/// partitions and one replica; `None` (skipped) without a broker.
pub fn kafka(prefix: &str) -> Option<KafkaConfig> {
    Some(KafkaConfig {
        brokers: real_backend("PLAYBACK_TEST_KAFKA_BROKERS")?,
        topic_prefix: format!("{prefix}."),
        group_prefix: format!("{prefix}-"),
        partitions: 4,
        replication_factor: 1,
        ..KafkaConfig::default()
    })
}

/// The test ClickHouse server with a database of its own; `None` (skipped) without a server.
pub fn clickhouse(database: &str) -> Option<ClickHouseConfig> {
    Some(ClickHouseConfig {
        url: real_backend("PLAYBACK_TEST_CLICKHOUSE_URL")?,
        user: std::env::var("PLAYBACK_TEST_CLICKHOUSE_USER").unwrap_or_else(|_| "default".into()),
        password: env("PLAYBACK_TEST_CLICKHOUSE_PASSWORD"),
        database: database.to_string(),
        ..ClickHouseConfig::default()
    })
}

/// The test S3 bucket under a prefix of its own, path-style, no encryption; `None` (skipped)
/// without a store.
pub fn s3(prefix: &str) -> Option<S3Config> {
    Some(S3Config {
        endpoint: real_backend("PLAYBACK_TEST_S3_ENDPOINT")?,
        region: std::env::var("PLAYBACK_TEST_S3_REGION").unwrap_or_else(|_| "garage".into()),
        bucket: std::env::var("PLAYBACK_TEST_S3_BUCKET").unwrap_or_else(|_| "playback-test".into()),
        access_key_id: env("PLAYBACK_TEST_S3_ACCESS_KEY"),
        secret_access_key: env("PLAYBACK_TEST_S3_SECRET_KEY"),
        path_style: true,
        prefix: prefix.to_string(),
        ..S3Config::default()
    })
}

/// The three servers of the test stack, each with names of its own.
#[derive(Debug, Clone)]
pub struct Stack {
    pub kafka: KafkaConfig,
    pub clickhouse: ClickHouseConfig,
    pub s3: S3Config,
}

/// Kafka, ClickHouse and S3 with topics, groups, a database and a key prefix named `{name}` plus
/// a fresh id; `None` (skipped) without a broker, and a failure when the broker is there but
/// ClickHouse or S3 is not.
pub fn stack(name: &str) -> Option<Stack> {
    let unique = format!("{name}-{}", uuid::Uuid::new_v4().simple());
    let kafka = kafka(&unique)?;
    let database = unique.replace('-', "_");
    let clickhouse = clickhouse(&database).expect("the test stack has ClickHouse");
    let s3 = s3(&format!("{unique}/")).expect("the test stack has S3");
    Some(Stack { kafka, clickhouse, s3 })
}
