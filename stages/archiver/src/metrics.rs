//! The archiver's metrics, registered in the default Prometheus registry. docs/operations.md
//! lists them (a test keeps that list and this file in step).

use std::sync::LazyLock;
use std::time::Duration;

use playback_log::lag::{LagProbe, LagSample};
use prometheus::{
    register_histogram_vec, register_int_counter, register_int_counter_vec, register_int_gauge, register_int_gauge_vec,
    HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
};

/// `playback_archiver_batches_total{outcome}`: raw batches by outcome: `buffered` or
/// `undecodable` (logged and skipped: the record does not decode, or its events are not a JSON
/// array at most 512 levels deep).
pub static BATCHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_archiver_batches_total", "Raw batches by outcome", &["outcome"])
        .expect("metric registers once")
});

/// `playback_archiver_chunks_total`: chunks written to blob storage.
pub static CHUNKS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_archiver_chunks_total", "Chunks written").expect("metric registers once")
});

/// `playback_archiver_chunk_bytes_total`: compressed bytes written.
pub static CHUNK_BYTES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_archiver_chunk_bytes_total", "Compressed chunk bytes written")
        .expect("metric registers once")
});

/// `playback_archiver_chunks_retired_total`: small chunks whose rows were deleted once a merged
/// chunk held their batches.
pub static CHUNKS_RETIRED: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_archiver_chunks_retired_total", "Small chunks retired by a merge")
        .expect("metric registers once")
});

/// `playback_archiver_buffers_open`: tabs with batches waiting to be written.
pub static BUFFERS_OPEN: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!("playback_archiver_buffers_open", "Tabs with buffered batches").expect("metric registers once")
});

/// `playback_archiver_rows_inserted_total{table}`: rows written to the warehouse, by table
/// (`recording_chunks`).
pub static ROWS_INSERTED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_archiver_rows_inserted_total", "Warehouse rows written", &["table"])
        .expect("metric registers once")
});

/// `playback_archiver_flush_seconds{sink}`: time until a write was durable, retries included:
/// `blobs` (one chunk's PUT) or `warehouse` (the `recording_chunks` rows of a flush).
pub static FLUSH_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "playback_archiver_flush_seconds",
        "Time until a write was durable, retries included",
        &["sink"],
        vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]
    )
    .expect("metric registers once")
});

/// `playback_archiver_consumer_lag_records{partition}`: records of `playback.raw-batches` after
/// this member's position, per partition it owns. Buffered batches are behind the position.
pub static CONSUMER_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "playback_archiver_consumer_lag_records",
        "Raw-batch records after this member's position",
        &["partition"]
    )
    .expect("metric registers once")
});

/// How often the consumer's lag is read.
const LAG_INTERVAL: Duration = Duration::from_secs(5);

/// A new lag probe: the gauges of an earlier consumer of this process are dropped, so only
/// the partitions this one reports show.
pub fn lag_probe() -> LagProbe {
    CONSUMER_LAG.reset();
    LagProbe::new(LAG_INTERVAL)
}

/// Sets the lag gauges, and removes those of partitions given up.
pub fn record_lag(sample: &LagSample) {
    for partition in &sample.released {
        let _ = CONSUMER_LAG.remove_label_values(&[&partition.to_string()]);
    }
    for (partition, records) in &sample.lag {
        CONSUMER_LAG.with_label_values(&[&partition.to_string()]).set(*records);
    }
}

/// Touches every metric, and each value of a label with a fixed set of values, so that they
/// are exported (at 0) before their first event.
pub fn register() {
    for outcome in ["buffered", "undecodable"] {
        BATCHES.with_label_values(&[outcome]);
    }
    LazyLock::force(&CHUNKS);
    LazyLock::force(&CHUNK_BYTES);
    LazyLock::force(&CHUNKS_RETIRED);
    LazyLock::force(&BUFFERS_OPEN);
    ROWS_INSERTED.with_label_values(&["recording_chunks"]);
    for sink in ["blobs", "warehouse"] {
        FLUSH_SECONDS.with_label_values(&[sink]);
    }
    LazyLock::force(&CONSUMER_LAG);
}
