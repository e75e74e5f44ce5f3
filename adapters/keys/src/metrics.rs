//! The keys' metrics, registered in the default registry. `store` is `log` or `blobs`.
//!
//! - `playback_keys_sealed_total{store}`: values sealed;
//! - `playback_keys_opened_total{store}`: sealed values opened;
//! - `playback_keys_shredded_total{store}`: sealed values whose key is destroyed, read as gone;
//! - `playback_keys_created_total`: data keys created;
//! - `playback_keys_destroyed_total`: data keys destroyed.

use std::sync::LazyLock;

use prometheus::{register_int_counter, register_int_counter_vec, IntCounter, IntCounterVec};

/// `playback_keys_sealed_total{store}`.
pub static SEALED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_keys_sealed_total", "Values sealed under a data key", &["store"])
        .expect("metric registers once")
});

/// `playback_keys_opened_total{store}`.
pub static OPENED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_keys_opened_total", "Sealed values opened", &["store"])
        .expect("metric registers once")
});

/// `playback_keys_shredded_total{store}`.
pub static SHREDDED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "playback_keys_shredded_total",
        "Sealed values read as gone because their data key is destroyed",
        &["store"]
    )
    .expect("metric registers once")
});

/// `playback_keys_created_total`.
pub static KEYS_CREATED: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_keys_created_total", "Data keys created").expect("metric registers once")
});

/// `playback_keys_destroyed_total`.
pub static KEYS_DESTROYED: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_keys_destroyed_total", "Data keys destroyed").expect("metric registers once")
});

/// The stores, the `store` label's values.
pub const STORES: [&str; 2] = ["log", "blobs"];

/// Registers every series, so each is exported at 0 from the start.
pub fn register() {
    for store in STORES {
        SEALED.with_label_values(&[store]);
        OPENED.with_label_values(&[store]);
        SHREDDED.with_label_values(&[store]);
    }
    LazyLock::force(&KEYS_CREATED);
    LazyLock::force(&KEYS_DESTROYED);
}
