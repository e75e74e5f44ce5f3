//! The asset stage's own metrics, registered in the default Prometheus registry; the consumer
//! metrics it shares with every stage are in `playback_runtime::metrics`.

use std::sync::LazyLock;

use prometheus::{
    register_int_counter, register_int_counter_vec, register_int_gauge, IntCounter, IntCounterVec, IntGauge,
};

use crate::failure::FAILURE_LABELS;

/// `playback_assets_batches_total`: raw batches whose events were read for asset URLs (those
/// whose events are unreadable are dropped: `playback_records_dropped_total`).
pub static BATCHES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_assets_batches_total", "Raw batches read for asset URLs")
        .expect("metric registers once")
});

/// `playback_assets_session_urls_total`: asset URLs recorded for a session for the first time
/// (by this member), nested stylesheet URLs included.
pub static SESSION_URLS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_assets_session_urls_total", "Asset URLs recorded for sessions")
        .expect("metric registers once")
});

/// `playback_assets_fetches_total{status}`: fetches finished, by the stored status
/// (`archived`, `failed`, `refused`).
pub static FETCHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_assets_fetches_total", "Asset fetches, by status", &["status"])
        .expect("metric registers once")
});

/// `playback_assets_failures_total{reason}`: fetches not archived, by reason (`status`,
/// `timeout`, `connection`, `too_large`, `not_an_asset`, `refused`).
pub static FAILURES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_assets_failures_total", "Asset fetches not archived, by reason", &["reason"])
        .expect("metric registers once")
});

/// `playback_assets_fetch_retries_total`: retries of fetches that timed out, could not
/// connect, or got 429 or 5xx.
pub static RETRIES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_assets_fetch_retries_total", "Asset fetch retries").expect("metric registers once")
});

/// `playback_assets_stored_bytes_total`: bytes of assets written to blob storage.
pub static STORED_BYTES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_assets_stored_bytes_total", "Asset bytes stored").expect("metric registers once")
});

/// `playback_assets_fetches_in_flight`: requests open now.
pub static IN_FLIGHT: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!("playback_assets_fetches_in_flight", "Asset requests open").expect("metric registers once")
});

/// Touches every metric, and each label value the stage uses, so that they are exported (at
/// 0) before their first event.
pub fn register() {
    LazyLock::force(&BATCHES);
    LazyLock::force(&SESSION_URLS);
    for status in playback_warehouse::AssetStatus::ALL {
        FETCHES.with_label_values(&[status.as_str()]);
    }
    for reason in FAILURE_LABELS {
        FAILURES.with_label_values(&[reason]);
    }
    LazyLock::force(&RETRIES);
    LazyLock::force(&STORED_BYTES);
    LazyLock::force(&IN_FLIGHT);
    playback_runtime::metrics::register::<crate::stage::Running>();
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_metric_is_exported_after_register() {
        super::register();
        let names: Vec<String> = prometheus::gather().iter().map(|family| family.name().to_string()).collect();
        for name in [
            "playback_assets_batches_total",
            "playback_assets_session_urls_total",
            "playback_assets_fetches_total",
            "playback_assets_failures_total",
            "playback_assets_fetch_retries_total",
            "playback_assets_stored_bytes_total",
            "playback_assets_fetches_in_flight",
            "playback_records_read_total",
            "playback_rows_inserted_total",
        ] {
            assert!(names.iter().any(|found| found == name), "{name} is exported");
        }
    }
}
