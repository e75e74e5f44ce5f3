//! The one way a record is dropped: a log line with the stage, topic, partition, offset and
//! reason, and `playback_records_dropped_total{stage,topic,reason}`. A record that cannot be
//! processed now but may be on a retry (a sink is down) is not dropped: the stage retries it.

use playback_log::Topic;

use crate::metrics;

/// Why a record was dropped: a small closed set, the `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The value is not a single-object Avro value of the topic's schema.
    Undecodable,
    /// A raw batch whose events are not a JSON array at most 512 levels deep.
    UnreadableEvents,
    /// A value the stage built that does not encode with its schema.
    NotEncodable,
    /// A record read with an empty value: its session's data keys are destroyed
    /// (crypto-shredding), so what it held no longer opens.
    Shredded,
}

impl DropReason {
    /// Every reason.
    pub const ALL: [DropReason; 4] =
        [DropReason::Undecodable, DropReason::UnreadableEvents, DropReason::NotEncodable, DropReason::Shredded];

    /// The `reason` label value.
    pub fn label(self) -> &'static str {
        match self {
            DropReason::Undecodable => "undecodable",
            DropReason::UnreadableEvents => "unreadable_events",
            DropReason::NotEncodable => "not_encodable",
            DropReason::Shredded => "shredded",
        }
    }
}

/// Where a dropped record is, as far as it is known: a record read from a partition has an
/// offset; an entry of a compacted read, or a value a stage built, has a key and perhaps the
/// partition that key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At<'a> {
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub key: &'a [u8],
}

impl<'a> At<'a> {
    /// A record read at `partition` and `offset`.
    pub fn record(partition: i32, offset: i64, key: &'a [u8]) -> Self {
        At { partition: Some(partition), offset: Some(offset), key }
    }

    /// A value under `key` in `partition`, with no offset (a compacted read, or an output).
    pub fn key(partition: Option<i32>, key: &'a [u8]) -> Self {
        At { partition, offset: None, key }
    }
}

/// Drops a record of `topic` at `at` for `reason`: logs it and counts it.
pub fn drop_record(stage: &str, topic: Topic, at: At<'_>, reason: DropReason, error: &dyn std::fmt::Display) {
    metrics::RECORDS_DROPPED.with_label_values(&[stage, topic.name(), reason.label()]).inc();
    tracing::error!(
        message = "record dropped",
        stage,
        topic = topic.name(),
        partition = at.partition,
        offset = at.offset,
        key = %String::from_utf8_lossy(at.key),
        reason = reason.label(),
        %error
    );
}
