//! The real backends, each behind a cargo feature of this crate: `kafka` (the event log on
//! Kafka), `clickhouse` (the warehouse on ClickHouse) and `s3` (blobs on S3), all on by default.
//!
//! A build without one (`cargo build -p playback --no-default-features` leaves out all three)
//! has no rdkafka, ClickHouse client or AWS SDK in it. It still reads that backend's config
//! section, so one config file serves every build, but refuses to start when config chooses
//! the backend, naming the feature to build with.

use std::sync::Arc;

use playback_blobs::BlobStore;
use playback_log::EventLog;
use playback_warehouse::Warehouse;
use serde::{Deserialize, Serialize};

#[cfg(feature = "s3")]
pub use playback_blobs::s3::S3Config;
#[cfg(feature = "kafka")]
pub use playback_log::kafka::KafkaConfig;
#[cfg(feature = "clickhouse")]
pub use playback_warehouse::clickhouse::ClickHouseConfig;

/// `[log.kafka]` in a build without the `kafka` feature.
#[cfg(not(feature = "kafka"))]
pub type KafkaConfig = LeftOut;
/// `[warehouse.clickhouse]` in a build without the `clickhouse` feature.
#[cfg(not(feature = "clickhouse"))]
pub type ClickHouseConfig = LeftOut;
/// `[blobs.s3]` in a build without the `s3` feature.
#[cfg(not(feature = "s3"))]
pub type S3Config = LeftOut;

/// The config section of a backend this build leaves out: whatever it holds is kept unread.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LeftOut(Option<figment::value::Value>);

/// The refusal when config chooses a backend that this build leaves out.
#[allow(dead_code)] // unused when every feature is on
fn left_out(setting: &str, server: &str, feature: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{setting} = \"server\" needs {server}, which this build of playback leaves out: build it with the \
         `{feature}` cargo feature (on by default; cargo build --release -p playback --features {feature})"
    )
}

/// The event log on Kafka.
pub fn kafka_log(config: &KafkaConfig) -> anyhow::Result<Arc<dyn EventLog>> {
    #[cfg(feature = "kafka")]
    {
        use anyhow::Context;
        let log = playback_log::kafka::KafkaLog::connect(config.clone()).context("cannot configure Kafka")?;
        Ok(Arc::new(log))
    }
    #[cfg(not(feature = "kafka"))]
    {
        let _ = config;
        Err(left_out("log.backend", "Kafka", "kafka"))
    }
}

/// Creates the Kafka topics; safe to run again.
pub async fn create_kafka_topics(config: &KafkaConfig) -> anyhow::Result<()> {
    #[cfg(feature = "kafka")]
    {
        use anyhow::Context;
        let log = playback_log::kafka::KafkaLog::connect(config.clone())?;
        log.create_topics().await.context("cannot create the Kafka topics")
    }
    #[cfg(not(feature = "kafka"))]
    {
        let _ = config;
        Err(left_out("log.backend", "Kafka", "kafka"))
    }
}

/// The warehouse on ClickHouse.
pub fn clickhouse_warehouse(config: &ClickHouseConfig) -> anyhow::Result<Arc<dyn Warehouse>> {
    #[cfg(feature = "clickhouse")]
    {
        use anyhow::Context;
        let warehouse = playback_warehouse::clickhouse::ClickHouseWarehouse::new(config.clone())
            .context("cannot configure ClickHouse")?;
        Ok(Arc::new(warehouse))
    }
    #[cfg(not(feature = "clickhouse"))]
    {
        let _ = config;
        Err(left_out("warehouse.backend", "ClickHouse", "clickhouse"))
    }
}

/// Blob storage on S3.
pub fn s3_store(config: &S3Config) -> anyhow::Result<Arc<dyn BlobStore>> {
    #[cfg(feature = "s3")]
    {
        use anyhow::Context;
        let store = playback_blobs::s3::S3Store::new(config.clone()).context("cannot configure S3")?;
        Ok(Arc::new(store))
    }
    #[cfg(not(feature = "s3"))]
    {
        let _ = config;
        Err(left_out("blobs.backend", "S3", "s3"))
    }
}

/// Sets and verifies the bucket's lifecycle rule; returns after how many days it expires chunks.
pub async fn apply_s3_lifecycle(config: &S3Config) -> anyhow::Result<i32> {
    #[cfg(feature = "s3")]
    {
        use anyhow::Context;
        let store = playback_blobs::s3::S3Store::new(config.clone())?;
        store.apply_lifecycle().await.context("cannot set the bucket lifecycle")?;
        tracing::info!(message = "bucket lifecycle verified", expire_days = config.expire_days);
        Ok(config.expire_days)
    }
    #[cfg(not(feature = "s3"))]
    {
        let _ = config;
        Err(left_out("blobs.backend", "S3", "s3"))
    }
}

#[cfg(test)]
mod tests {
    #[cfg(not(all(feature = "kafka", feature = "clickhouse", feature = "s3")))]
    use super::*;

    #[cfg(not(feature = "kafka"))]
    #[test]
    fn kafka_is_refused_by_feature_name() {
        let error = kafka_log(&KafkaConfig::default()).err().map(|error| error.to_string()).unwrap_or_default();
        assert!(error.contains("log.backend") && error.contains("`kafka` cargo feature"), "{error}");
    }

    #[cfg(not(feature = "clickhouse"))]
    #[test]
    fn clickhouse_is_refused_by_feature_name() {
        let error = clickhouse_warehouse(&ClickHouseConfig::default()).err().map(|error| error.to_string());
        let error = error.unwrap_or_default();
        assert!(error.contains("warehouse.backend") && error.contains("`clickhouse` cargo feature"), "{error}");
    }

    #[cfg(not(feature = "s3"))]
    #[test]
    fn s3_is_refused_by_feature_name() {
        let error = s3_store(&S3Config::default()).err().map(|error| error.to_string()).unwrap_or_default();
        assert!(error.contains("blobs.backend") && error.contains("`s3` cargo feature"), "{error}");
    }
}
