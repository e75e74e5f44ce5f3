//! The sessionizer's own metrics, registered in the default Prometheus registry; the consumer
//! metrics it shares with every stage are in `playback_runtime::metrics`. docs/operations.md
//! lists them (a test keeps that list and the code in step).

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::Session;
use prometheus::{
    register_int_counter, register_int_counter_vec, register_int_gauge, IntCounter, IntCounterVec, IntGauge,
};

/// `playback_sessionizer_batches_total{outcome}`: raw batches by outcome: `applied`,
/// `duplicate` (already applied, skipped) or `held` (arrived before the batch before it in its
/// tab; counted as `applied` once applied). An undecodable one is dropped by the runtime
/// (`playback_records_dropped_total`).
pub static BATCHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_sessionizer_batches_total", "Raw batches by outcome", &["outcome"])
        .expect("metric registers once")
});

/// `playback_sessionizer_out_of_order_batches_total`: held batches applied after the reorder
/// grace without the batch before them.
pub static OUT_OF_ORDER_BATCHES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "playback_sessionizer_out_of_order_batches_total",
        "Held batches applied after the reorder grace without the batch before them"
    )
    .expect("metric registers once")
});

/// `playback_sessionizer_outlier_timestamps_total`: events whose timestamp was far outside
/// their batch, kept but moving neither a session's start or end nor its active time.
pub static OUTLIER_TIMESTAMPS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "playback_sessionizer_outlier_timestamps_total",
        "Events with a timestamp far outside their batch, kept without moving the session's times"
    )
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

/// Sets `playback_sessionizer_sessions_open` to the sessions in `sessions` that are not closed.
pub fn set_sessions_open(sessions: &HashMap<String, Session>) {
    SESSIONS_OPEN.set(sessions.values().filter(|session| !session.update().closed).count() as i64);
}

/// Touches every metric, and each value of a label with a fixed set of values, so that they
/// are exported (at 0) before their first event.
pub fn register() {
    for outcome in ["applied", "duplicate", "held"] {
        BATCHES.with_label_values(&[outcome]);
    }
    LazyLock::force(&OUT_OF_ORDER_BATCHES);
    LazyLock::force(&OUTLIER_TIMESTAMPS);
    LazyLock::force(&SESSIONS_OPEN);
    LazyLock::force(&SESSIONS_CLOSED);
    playback_runtime::metrics::register::<crate::Member>();
}
