//! The scorer's metrics, registered in the default Prometheus registry. docs/operations.md
//! lists them (a test keeps that list and this file in step).

use std::sync::LazyLock;
use std::time::Duration;

use playback_log::lag::{LagProbe, LagSample};
use prometheus::{
    register_histogram_vec, register_int_counter, register_int_counter_vec, register_int_gauge_vec, HistogramVec,
    IntCounter, IntCounterVec, IntGaugeVec,
};

/// `playback_scorer_updates_total{outcome}`: session updates by outcome: `scored` or
/// `undecodable` (logged and skipped).
pub static UPDATES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_scorer_updates_total", "Session updates by outcome", &["outcome"])
        .expect("metric registers once")
});

/// `playback_scorer_scores_total`: scores computed, one per session row written: of the
/// updates of one poll, only each session's newest is scored.
pub static SCORES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_scorer_scores_total", "Scores computed").expect("metric registers once")
});

/// `playback_scorer_rows_inserted_total{table}`: rows written to the warehouse, by table
/// (`sessions`).
pub static ROWS_INSERTED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_scorer_rows_inserted_total", "Warehouse rows written", &["table"])
        .expect("metric registers once")
});

/// `playback_scorer_flush_seconds{sink}`: time until a `sessions` upsert was durable, retries
/// included (`sink` is `warehouse`).
pub static FLUSH_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "playback_scorer_flush_seconds",
        "Time until a write was durable, retries included",
        &["sink"],
        vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]
    )
    .expect("metric registers once")
});

/// `playback_scorer_consumer_lag_records{partition}`: records of `playback.session-updates`
/// after this member's position, per partition it owns.
pub static CONSUMER_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "playback_scorer_consumer_lag_records",
        "Session-update records after this member's position",
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
    for outcome in ["scored", "undecodable"] {
        UPDATES.with_label_values(&[outcome]);
    }
    LazyLock::force(&SCORES);
    ROWS_INSERTED.with_label_values(&["sessions"]);
    FLUSH_SECONDS.with_label_values(&["warehouse"]);
    LazyLock::force(&CONSUMER_LAG);
}
