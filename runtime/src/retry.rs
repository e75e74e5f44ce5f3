//! Retrying until the log (or a sink) takes the work: stages never move past a record whose
//! effects are not durable, so they wait out an outage instead of dropping data.

use std::future::Future;
use std::time::Duration;

use playback_log::Consumer;

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

/// Tries of a commit before it is given up.
const COMMIT_TRIES: u32 = 6;

/// Commits `offsets`, retrying a few times. A commit that still fails is given up, which is
/// safe: the records are delivered again (to this member or to the partition's next owner) and
/// the stages' sinks are idempotent. Retrying forever would be wrong, because a member that
/// left the group can only rejoin inside its next poll.
pub async fn commit(consumer: &mut dyn Consumer, offsets: &[(i32, i64)]) -> bool {
    let mut delay = FIRST_DELAY;
    for attempt in 1..=COMMIT_TRIES {
        match consumer.commit(offsets).await {
            Ok(()) => return true,
            Err(error) if attempt == COMMIT_TRIES => {
                tracing::warn!(message = "commit given up; the records will be delivered again", %error);
            }
            Err(error) => {
                tracing::warn!(message = "retrying", what = "commit offsets", %error, delay_ms = delay.as_millis() as u64);
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_DELAY);
            }
        }
    }
    false
}
