//! Typed topics: each topic bound to the type of its values, so that publishing a value of
//! the wrong type does not compile and a consumer decodes each record into its topic's type.
//!
//! ```compile_fail
//! # async fn wrong(log: &dyn playback_log::EventLog, update: playback_schemas::SessionUpdate) {
//! // A SessionUpdate on the raw-batch topic is refused by the compiler.
//! playback_runtime::publish(log, playback_runtime::RAW_BATCHES, b"demo/s", &update).await;
//! # }
//! ```
//!
//! ```no_run
//! # async fn right(log: &dyn playback_log::EventLog, batch: playback_schemas::RawBatch) {
//! playback_runtime::publish(log, playback_runtime::RAW_BATCHES, b"demo/s", &batch).await.unwrap();
//! # }
//! ```

use std::marker::PhantomData;

use playback_log::{EventLog, LogError, Topic};
use playback_schemas::{AvroMessage, CodecError, RawBatch, SessionState, SessionUpdate};

/// A topic whose values are `M`.
pub struct TopicOf<M> {
    topic: Topic,
    message: PhantomData<fn() -> M>,
}

// Derives would require `M: Clone`; a typed topic is a name whatever `M` is.
impl<M> Clone for TopicOf<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for TopicOf<M> {}

impl<M> std::fmt::Debug for TopicOf<M> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_tuple("TopicOf").field(&self.topic).finish()
    }
}

impl<M> TopicOf<M> {
    const fn new(topic: Topic) -> Self {
        TopicOf { topic, message: PhantomData }
    }

    /// The untyped topic, for the log's traits.
    pub const fn topic(self) -> Topic {
        self.topic
    }

    /// The topic's name on the log (without a deployment's prefix).
    pub fn name(self) -> &'static str {
        self.topic.name()
    }
}

/// `playback.raw-batches`: the gateway's batches.
pub const RAW_BATCHES: TopicOf<RawBatch> = TopicOf::new(Topic::RawBatches);
/// `playback.session-updates`: the sessionizer's updates, read by the scorer.
pub const SESSION_UPDATES: TopicOf<SessionUpdate> = TopicOf::new(Topic::SessionUpdates);
/// `playback.sessionizer-state`: the sessionizer's compacted changelog.
pub const SESSIONIZER_STATE: TopicOf<SessionState> = TopicOf::new(Topic::SessionizerState);

/// Why a typed publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The message does not encode with its topic's schema; retrying cannot help.
    #[error("message not encodable")]
    NotEncodable(#[source] CodecError),
    /// The log did not take the record; the caller may retry.
    #[error("event log refused the record")]
    Log(#[source] LogError),
}

/// Encodes `message` with its Avro schema and appends it to `topic` under `key`; returns once
/// it is durable.
pub async fn publish<M: AvroMessage>(
    log: &dyn EventLog,
    topic: TopicOf<M>,
    key: &[u8],
    message: &M,
) -> Result<(), PublishError> {
    let value = message.encode().map_err(PublishError::NotEncodable)?;
    log.publish(topic.topic(), key, value).await.map_err(PublishError::Log)
}

/// Encodes `message` for `topic`: for a stage that publishes the same bytes several times or
/// from several tasks.
pub fn encode<M: AvroMessage>(_topic: TopicOf<M>, message: &M) -> Result<Vec<u8>, CodecError> {
    message.encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_is_bound_once() {
        let bound = [RAW_BATCHES.topic(), SESSION_UPDATES.topic(), SESSIONIZER_STATE.topic()];
        assert_eq!(bound, Topic::ALL);
        assert_eq!(RAW_BATCHES.name(), "playback.raw-batches");
    }
}
