//! The sessionizer's metrics, registered in the default Prometheus registry.

use std::sync::LazyLock;

use prometheus::{
    register_int_counter, register_int_counter_vec, register_int_gauge, IntCounter, IntCounterVec, IntGauge,
};

/// `playback_sessionizer_batches_total{outcome}`: raw batches by outcome: `applied`,
/// `duplicate` (already applied, skipped) or `undecodable` (logged and skipped).
pub static BATCHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_sessionizer_batches_total", "Raw batches by outcome", &["outcome"])
        .expect("metric registers once")
});

/// `playback_sessionizer_event_rows_total`: transcript rows written.
pub static EVENT_ROWS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_sessionizer_event_rows_total", "Transcript rows written")
        .expect("metric registers once")
});

/// `playback_sessionizer_sessions_open`: sessions held open in memory.
pub static SESSIONS_OPEN: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!("playback_sessionizer_sessions_open", "Sessions held open").expect("metric registers once")
});

/// `playback_sessionizer_sessions_closed_total`: sessions closed by inactivity or length.
pub static SESSIONS_CLOSED: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_sessionizer_sessions_closed_total", "Sessions closed")
        .expect("metric registers once")
});

/// `playback_sessionizer_partitions_assigned`: raw-batch partitions this member owns.
pub static PARTITIONS_ASSIGNED: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!("playback_sessionizer_partitions_assigned", "Raw-batch partitions owned")
        .expect("metric registers once")
});

/// Touches every metric so that it is exported before its first event.
pub fn register() {
    LazyLock::force(&BATCHES);
    LazyLock::force(&EVENT_ROWS);
    LazyLock::force(&SESSIONS_OPEN);
    LazyLock::force(&SESSIONS_CLOSED);
    LazyLock::force(&PARTITIONS_ASSIGNED);
}
