//! The archiver's metrics, registered in the default Prometheus registry.

use std::sync::LazyLock;

use prometheus::{
    register_int_counter, register_int_counter_vec, register_int_gauge, IntCounter, IntCounterVec, IntGauge,
};

/// `playback_archiver_batches_total{outcome}`: raw batches by outcome: `buffered` or
/// `undecodable` (logged and skipped).
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

/// `playback_archiver_buffers_open`: tabs with batches waiting to be written.
pub static BUFFERS_OPEN: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!("playback_archiver_buffers_open", "Tabs with buffered batches").expect("metric registers once")
});

/// Touches every metric so that it is exported before its first event.
pub fn register() {
    LazyLock::force(&BATCHES);
    LazyLock::force(&CHUNKS);
    LazyLock::force(&CHUNK_BYTES);
    LazyLock::force(&BUFFERS_OPEN);
}
