//! The metrics every consumer stage shares, labelled by `stage`, registered in the default
//! Prometheus registry. docs/operations.md lists them (a test keeps that list and the code in
//! step); a stage's own metrics stay in its `metrics.rs`.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use playback_log::Topic;
use prometheus::{
    register_histogram_vec, register_int_counter_vec, register_int_gauge_vec, HistogramTimer, HistogramVec,
    IntCounterVec, IntGaugeVec,
};

use crate::drops::DropReason;
use crate::lag::LagSample;
use crate::Stage;

/// `playback_records_read_total{stage,topic}`: records read from the partitions a stage owns,
/// dropped ones included.
pub static RECORDS_READ: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_records_read_total", "Records read from owned partitions", &["stage", "topic"])
        .expect("metric registers once")
});

/// `playback_records_dropped_total{stage,topic,reason}`: records dropped, by reason
/// ([`DropReason`]); each is logged with its partition and offset.
pub static RECORDS_DROPPED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "playback_records_dropped_total",
        "Records dropped, by reason",
        &["stage", "topic", "reason"]
    )
    .expect("metric registers once")
});

/// `playback_flush_seconds{stage,sink}`: time until a write was durable, retries included.
pub static FLUSH_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "playback_flush_seconds",
        "Time until a write was durable, retries included",
        &["stage", "sink"],
        vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]
    )
    .expect("metric registers once")
});

/// `playback_rows_inserted_total{stage,table}`: rows written to the warehouse, by table.
pub static ROWS_INSERTED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_rows_inserted_total", "Warehouse rows written", &["stage", "table"])
        .expect("metric registers once")
});

/// `playback_partitions_assigned{stage,topic}`: partitions this member of the stage's group owns.
pub static PARTITIONS_ASSIGNED: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!("playback_partitions_assigned", "Partitions owned", &["stage", "topic"])
        .expect("metric registers once")
});

/// `playback_consumer_lag_records{stage,topic,partition}`: per owned partition, records after
/// this member's position.
pub static CONSUMER_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "playback_consumer_lag_records",
        "Records after this member's position",
        &["stage", "topic", "partition"]
    )
    .expect("metric registers once")
});

/// The sinks a stage writes to, the `sink` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Warehouse,
    Log,
    Blobs,
}

impl Sink {
    /// The `sink` label value.
    pub fn label(self) -> &'static str {
        match self {
            Sink::Warehouse => "warehouse",
            Sink::Log => "log",
            Sink::Blobs => "blobs",
        }
    }
}

/// A running flush timer of `stage` writing to `sink`.
pub fn flush_timer(stage: &str, sink: Sink) -> HistogramTimer {
    FLUSH_SECONDS.with_label_values(&[stage, sink.label()]).start_timer()
}

/// Observes a flush's `timer`, or discards it when there was nothing to flush.
pub fn observe_unless_empty(timer: HistogramTimer, empty: bool) {
    if empty {
        timer.stop_and_discard();
    } else {
        timer.observe_duration();
    }
}

/// Counts `rows` written by `stage` to `table`.
pub fn rows_inserted(stage: &str, table: &str, rows: usize) {
    ROWS_INSERTED.with_label_values(&[stage, table]).inc_by(rows as u64);
}

/// Touches each label value of stage `S` (its topic, sinks, tables and drops), so that they
/// are exported (at 0) before their first event.
pub fn register<S: Stage>() {
    let (stage, topic) = (S::NAME, S::TOPIC.name());
    RECORDS_READ.with_label_values(&[stage, topic]);
    PARTITIONS_ASSIGNED.with_label_values(&[stage, topic]);
    for sink in S::SINKS {
        FLUSH_SECONDS.with_label_values(&[stage, sink.label()]);
    }
    for table in S::TABLES {
        ROWS_INSERTED.with_label_values(&[stage, table]);
    }
    for (topic, reason) in S::DROPS {
        RECORDS_DROPPED.with_label_values(&[stage, topic.name(), reason.label()]);
    }
    RECORDS_DROPPED.with_label_values(&[stage, topic, DropReason::Shredded.label()]);
    LazyLock::force(&CONSUMER_LAG);
}

/// The lag partitions each stage reported, so that a new consumer of a stage in this process
/// drops the gauges of an earlier one.
static LAG_REPORTED: LazyLock<Mutex<HashMap<String, Vec<i32>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Removes the lag gauges of `stage` on `topic`: a new consumer reports its own partitions.
pub fn reset_lag(stage: &str, topic: Topic) {
    let mut reported = LAG_REPORTED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for partition in reported.remove(stage).unwrap_or_default() {
        let _ = CONSUMER_LAG.remove_label_values(&[stage, topic.name(), &partition.to_string()]);
    }
}

/// Sets the lag gauges of `stage` on `topic`, and removes those of partitions given up.
pub fn record_lag(stage: &str, topic: Topic, sample: &LagSample) {
    for partition in &sample.released {
        let _ = CONSUMER_LAG.remove_label_values(&[stage, topic.name(), &partition.to_string()]);
    }
    for (partition, records) in &sample.lag {
        CONSUMER_LAG.with_label_values(&[stage, topic.name(), &partition.to_string()]).set(*records);
    }
    let mut reported = LAG_REPORTED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    reported.insert(stage.to_string(), sample.lag.iter().map(|(partition, _)| *partition).collect());
}
