//! Sampling a consumer's lag for the stages' metrics, at most once per interval, so that the
//! broker requests of [`Consumer::lag`] stay cheap next to the polls.

use std::time::Duration;

use playback_log::Consumer;

/// One reading of a consumer's lag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LagSample {
    /// Records behind, per owned partition.
    pub lag: Vec<(i32, i64)>,
    /// Partitions reported by the previous reading and no longer owned: their gauges go.
    pub released: Vec<i32>,
}

/// Reads a consumer's lag when it is due.
pub struct LagProbe {
    every: Duration,
    next: tokio::time::Instant,
    reported: Vec<i32>,
}

impl LagProbe {
    /// A probe that reads at its first call, then at most once per `every`.
    pub fn new(every: Duration) -> Self {
        LagProbe { every, next: tokio::time::Instant::now(), reported: Vec::new() }
    }

    /// The lag when a reading is due and succeeds; a failure is logged and skipped until the
    /// next interval, leaving the previous values in place.
    pub async fn sample(&mut self, consumer: &mut dyn Consumer) -> Option<LagSample> {
        let now = tokio::time::Instant::now();
        if now < self.next {
            return None;
        }
        self.next = now + self.every;
        match consumer.lag().await {
            Ok(lag) => {
                let released: Vec<i32> = self
                    .reported
                    .iter()
                    .copied()
                    .filter(|partition| !lag.iter().any(|(owned, _)| owned == partition))
                    .collect();
                self.reported = lag.iter().map(|(partition, _)| *partition).collect();
                Some(LagSample { lag, released })
            }
            Err(error) => {
                tracing::warn!(message = "consumer lag unknown", %error);
                None
            }
        }
    }
}
