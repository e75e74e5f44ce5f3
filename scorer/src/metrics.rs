//! The scorer's metrics, registered in the default Prometheus registry.

use std::sync::LazyLock;

use prometheus::{register_int_counter_vec, IntCounterVec};

/// `playback_scorer_updates_total{outcome}`: session updates by outcome: `scored` or
/// `undecodable` (logged and skipped).
pub static UPDATES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("playback_scorer_updates_total", "Session updates by outcome", &["outcome"])
        .expect("metric registers once")
});

/// Touches every metric so that it is exported before its first event.
pub fn register() {
    LazyLock::force(&UPDATES);
}
