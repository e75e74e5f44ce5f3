//! The archiver's own metrics, registered in the default Prometheus registry; the consumer
//! metrics it shares with every stage are in `playback_runtime::metrics`. docs/operations.md
//! lists them (a test keeps that list and the code in step).

use std::sync::LazyLock;

use prometheus::{register_int_counter, register_int_gauge, IntCounter, IntGauge};

/// `playback_archiver_batches_total`: raw batches buffered (those whose events are unreadable
/// are dropped: `playback_records_dropped_total`).
pub static BATCHES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_archiver_batches_total", "Raw batches buffered").expect("metric registers once")
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

/// Touches every metric, and each label value the archiver uses, so that they are exported (at
/// 0) before their first event.
pub fn register() {
    LazyLock::force(&BATCHES);
    LazyLock::force(&CHUNKS);
    LazyLock::force(&CHUNK_BYTES);
    LazyLock::force(&CHUNKS_RETIRED);
    LazyLock::force(&BUFFERS_OPEN);
    playback_runtime::metrics::register::<crate::Running>();
}
