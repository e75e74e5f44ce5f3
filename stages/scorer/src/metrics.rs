//! The scorer's own metrics, registered in the default Prometheus registry; the consumer
//! metrics it shares with every stage are in `playback_runtime::metrics`. docs/operations.md
//! lists them (a test keeps that list and the code in step).

use std::sync::LazyLock;

use prometheus::{register_int_counter, IntCounter};

/// `playback_scorer_scores_total`: scores computed, one per session row written: of the
/// updates of one poll, only each session's newest is scored.
pub static SCORES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!("playback_scorer_scores_total", "Scores computed").expect("metric registers once")
});

/// Touches every metric, and each label value the scorer uses, so that they are exported (at 0)
/// before their first event.
pub fn register() {
    LazyLock::force(&SCORES);
    playback_runtime::metrics::register::<crate::Scorer>();
}
