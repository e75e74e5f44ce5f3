//! Retrying until the log (or a sink) takes the work: stages never move past a record whose
//! effects are not durable, so they wait out an outage instead of dropping data.

use std::future::Future;
use std::time::Duration;

use crate::Consumer;

const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(10);

/// Runs `work` until it succeeds, sleeping with capped exponential backoff between tries.
pub async fn until_ok<T, E, F, Fut>(what: &'static str, mut work: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delay = FIRST_DELAY;
    loop {
        match work().await {
            Ok(value) => return value,
            Err(error) => {
                tracing::warn!(message = "retrying", what, %error, delay_ms = delay.as_millis() as u64);
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_DELAY);
            }
        }
    }
}

/// Commits `offsets`, retrying until the log takes them.
pub async fn commit(consumer: &mut dyn Consumer, offsets: &[(i32, i64)]) {
    let mut delay = FIRST_DELAY;
    while let Err(error) = consumer.commit(offsets).await {
        tracing::warn!(message = "retrying", what = "commit offsets", %error, delay_ms = delay.as_millis() as u64);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_DELAY);
    }
}
