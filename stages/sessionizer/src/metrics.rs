//! The sessionizer's metrics, registered in the default Prometheus registry. docs/operations.md
//! lists them (a test keeps that list and this file in step).

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use crate::Session;
use playback_log::lag::{LagProbe, LagSample};
use playback_warehouse::EventRow;
use prometheus::{
    register_histogram_vec, register_int_counter, register_int_counter_vec, register_int_gauge, register_int_gauge_vec,
    HistogramTimer, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
};

/// `playback_sessionizer_batches_total{outcome}`: raw batches by outcome: `applied`,
/// `duplicate` (already applied, skipped), `undecodable` (logged and skipped) or `held`
/// (arrived before the batch before it in its tab; counted as `applied` once applied).
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

/// `playback_sessionizer_rows_inserted_total{table}`: rows written to the warehouse, by table
/// (`events`).
pub static ROWS_INSERTED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_sessionizer_rows_inserted_total", "Warehouse rows written", &["table"])
        .expect("metric registers once")
});

/// `playback_sessionizer_flush_seconds{sink}`: time until a write was durable, retries
/// included: `warehouse` (an `events` insert) or `log` (a poll's session updates and changelog
/// entries).
pub static FLUSH_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "playback_sessionizer_flush_seconds",
        "Time until a write was durable, retries included",
        &["sink"],
        vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]
    )
    .expect("metric registers once")
});

/// `playback_sessionizer_consumer_lag_records{partition}`: records of `playback.raw-batches`
/// after this member's position, per partition it owns.
pub static CONSUMER_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "playback_sessionizer_consumer_lag_records",
        "Raw-batch records after this member's position",
        &["partition"]
    )
    .expect("metric registers once")
});

/// Sets `playback_sessionizer_sessions_open` to the sessions in `sessions` that are not closed.
pub fn set_sessions_open(sessions: &HashMap<String, Session>) {
    SESSIONS_OPEN.set(sessions.values().filter(|session| !session.update().closed).count() as i64);
}

/// How often the consumer's lag is read.
const LAG_INTERVAL: Duration = Duration::from_secs(5);

/// Counts `rows` as written to `events` and observes the insert's `timer`, when there were
/// any rows (an empty insert is no flush).
pub fn rows_inserted(rows: &[EventRow], timer: HistogramTimer) {
    observe_unless_empty(timer, rows.is_empty());
    ROWS_INSERTED.with_label_values(&["events"]).inc_by(rows.len() as u64);
    EVENT_ROWS.inc_by(rows.len() as u64);
}

/// Observes a flush's `timer`, or discards it when there was nothing to flush.
pub fn observe_unless_empty(timer: HistogramTimer, empty: bool) {
    if empty {
        timer.stop_and_discard();
    } else {
        timer.observe_duration();
    }
}

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
    for outcome in ["applied", "duplicate", "undecodable", "held"] {
        BATCHES.with_label_values(&[outcome]);
    }
    LazyLock::force(&OUT_OF_ORDER_BATCHES);
    LazyLock::force(&OUTLIER_TIMESTAMPS);
    LazyLock::force(&EVENT_ROWS);
    LazyLock::force(&SESSIONS_OPEN);
    LazyLock::force(&SESSIONS_CLOSED);
    LazyLock::force(&PARTITIONS_ASSIGNED);
    ROWS_INSERTED.with_label_values(&["events"]);
    for sink in ["warehouse", "log"] {
        FLUSH_SECONDS.with_label_values(&[sink]);
    }
    LazyLock::force(&CONSUMER_LAG);
}
