//! The gateway's metrics, registered in the default Prometheus registry. docs/operations.md
//! lists them (a test keeps that list and this file in step).

use std::sync::LazyLock;

use prometheus::{
    register_histogram, register_int_counter, register_int_counter_vec, Histogram, IntCounter, IntCounterVec,
};

/// `playback_gateway_requests_total{status}`: batch requests by HTTP status code.
pub static REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_gateway_requests_total", "Batch requests by HTTP status", &["status"])
        .expect("metric registers once")
});

/// What a `500` from the gateway counts under: the `cause` label of
/// `playback_gateway_internal_errors_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalCause {
    /// Parsing a batch panicked.
    ParserPanic,
    /// A validated batch did not encode as Avro.
    Encode,
}

impl InternalCause {
    /// Every cause, so each is exported from the start.
    pub const ALL: [InternalCause; 2] = [InternalCause::ParserPanic, InternalCause::Encode];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            InternalCause::ParserPanic => "parser_panic",
            InternalCause::Encode => "encode",
        }
    }
}

/// `playback_gateway_internal_errors_total{cause}`: batches answered `500`, by [`InternalCause`].
pub static INTERNAL_ERRORS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "playback_gateway_internal_errors_total",
        "Batches the gateway failed on (answered 500), by cause",
        &["cause"]
    )
    .expect("metric registers once")
});

/// `playback_gateway_events_accepted_total`: rrweb events in accepted batches.
pub static EVENTS_ACCEPTED: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_gateway_events_accepted_total", "rrweb events in accepted batches")
        .expect("metric registers once")
});

/// `playback_gateway_received_bytes_total`: request body bytes as sent (compressed or not).
pub static RECEIVED_BYTES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_gateway_received_bytes_total", "Batch body bytes as received")
        .expect("metric registers once")
});

/// `playback_gateway_scrubbed_events_total`: events the gateway rewrote to remove what the
/// project's privacy rules forbid (URL parameters, text patterns, form state).
pub static SCRUBBED_EVENTS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "playback_gateway_scrubbed_events_total",
        "Events rewritten to remove what the project's privacy rules forbid"
    )
    .expect("metric registers once")
});

/// `playback_gateway_publish_seconds`: time from publish to the event log's acknowledgement.
pub static PUBLISH_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "playback_gateway_publish_seconds",
        "Time until the event log acknowledged a batch",
        vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]
    )
    .expect("metric registers once")
});

/// `playback_gateway_batch_events`: rrweb events per accepted batch.
pub static BATCH_EVENTS: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "playback_gateway_batch_events",
        "rrweb events per accepted batch",
        vec![1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0]
    )
    .expect("metric registers once")
});

/// `playback_gateway_batch_bytes`: bytes of the events array per accepted batch, decompressed
/// (what the event log stores and the consumers parse).
pub static BATCH_BYTES: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "playback_gateway_batch_bytes",
        "Decompressed event bytes per accepted batch",
        prometheus::exponential_buckets(1024.0, 4.0, 8).expect("valid buckets")
    )
    .expect("metric registers once")
});

/// Touches every metric so that it is exported before its first event.
pub fn register() {
    LazyLock::force(&REQUESTS);
    for cause in InternalCause::ALL {
        INTERNAL_ERRORS.with_label_values(&[cause.label()]);
    }
    LazyLock::force(&EVENTS_ACCEPTED);
    LazyLock::force(&RECEIVED_BYTES);
    LazyLock::force(&SCRUBBED_EVENTS);
    LazyLock::force(&PUBLISH_SECONDS);
    LazyLock::force(&BATCH_EVENTS);
    LazyLock::force(&BATCH_BYTES);
}
