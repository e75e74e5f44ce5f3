//! The event log: durable, partitioned, replayable topics with consumer groups.
//!
//! Stages see only [`EventLog`] and [`Consumer`]. Two implementations keep the same semantics:
//! [`embedded::SqliteLog`] for `playback up`, and Kafka for a deployment.
//!
//! Semantics every implementation keeps, checked by the conformance suite (`conformance.rs`,
//! behind the `testsuite` feature):
//! - `publish` returns only once the record is durable;
//! - records with the same key land in the same partition, in publish order;
//! - a consumer group resumes after its last committed offset, so records that were polled
//!   but not committed are delivered again (at least once);
//! - groups are independent of each other;
//! - a compacted read returns the newest value of each key, without deleted keys.

use std::borrow::Cow;
use std::time::Duration;

use async_trait::async_trait;

#[cfg(any(test, feature = "testsuite"))]
pub mod conformance;
pub mod embedded;
#[cfg(feature = "kafka")]
pub mod kafka;
/// The Kafka client, for benchmarks that compare the log with a bare producer or consumer.
#[cfg(feature = "kafka")]
pub use rdkafka;

/// The topics Playback uses: a closed set, each with one value schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `RawBatch` values from the gateway, keyed by `{project}/{session}`.
    RawBatches,
    /// `SessionUpdate` values from the sessionizer, keyed by `{project}/{session}`.
    SessionUpdates,
    /// `SessionState` values: the sessionizer's compacted changelog, keyed by `{project}/{session}`.
    SessionizerState,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 3] = [Topic::RawBatches, Topic::SessionUpdates, Topic::SessionizerState];

    /// The topic's name on the log.
    pub fn name(self) -> &'static str {
        match self {
            Topic::RawBatches => "playback.raw-batches",
            Topic::SessionUpdates => "playback.session-updates",
            Topic::SessionizerState => "playback.sessionizer-state",
        }
    }

    /// Whether the topic keeps only the newest value per key.
    pub fn is_compacted(self) -> bool {
        matches!(self, Topic::SessionizerState)
    }

    /// The topic for a name, if it is one of ours.
    pub fn from_name(name: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|topic| topic.name() == name)
    }
}

/// One record read from a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Vec<u8>,
    /// Empty for a tombstone on a compacted topic.
    pub value: Vec<u8>,
    /// When the log appended the record, ms since the epoch.
    pub timestamp_ms: i64,
}

/// What [`EventLog::trim`] removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrimOptions {
    /// Records appended before this (ms since the epoch) may go.
    pub before_ms: i64,
    /// Count only.
    pub dry_run: bool,
    /// Records removed per write, so that publishes wait at most that long.
    pub batch_rows: usize,
}

/// What [`EventLog::trim`] removed, or would remove.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrimReport {
    /// Records per topic.
    pub removed: Vec<(Topic, u64)>,
    /// The size of the log's files before and after, where it has files.
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Why nothing was removed, when the log does not trim here.
    pub note: Option<String>,
}

/// Keys with their newest values, as a compacted read returns them.
pub type KeyValues = Vec<(Vec<u8>, Vec<u8>)>;

/// What went wrong underneath an adapter error: the library's own error, kept for
/// [`std::error::Error::source`], or a message where there is none.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// An error from the event log. Its message is `reason` followed by the cause's message, and
/// the cause stays reachable as its source.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The log cannot take or serve records now; the caller may retry.
    #[error("event log unavailable: {reason}{}", caused_by(.source))]
    Unavailable {
        /// What could not be done, lowercase: `"log writer stopped"`.
        reason: Cow<'static, str>,
        #[source]
        source: Option<Cause>,
    },
    /// The log's storage failed.
    #[error("event log storage: {reason}{}", caused_by(.source))]
    Storage {
        /// What could not be done, lowercase: `"cannot open the log"`.
        reason: Cow<'static, str>,
        #[source]
        source: Option<Cause>,
    },
}

impl LogError {
    /// [`LogError::Unavailable`] with no cause underneath.
    pub fn unavailable(reason: impl Into<Cow<'static, str>>) -> Self {
        LogError::Unavailable { reason: reason.into(), source: None }
    }

    /// [`LogError::Unavailable`] because of `source`.
    pub fn unavailable_from(reason: impl Into<Cow<'static, str>>, source: impl Into<Cause>) -> Self {
        LogError::Unavailable { reason: reason.into(), source: Some(source.into()) }
    }

    /// [`LogError::Storage`] with no cause underneath.
    pub fn storage(reason: impl Into<Cow<'static, str>>) -> Self {
        LogError::Storage { reason: reason.into(), source: None }
    }

    /// [`LogError::Storage`] because of `source`.
    pub fn storage_from(reason: impl Into<Cow<'static, str>>, source: impl Into<Cause>) -> Self {
        LogError::Storage { reason: reason.into(), source: Some(source.into()) }
    }
}

/// `": {source}"`, or nothing without a source: the tail of an error message.
fn caused_by(source: &Option<Cause>) -> String {
    source.as_ref().map(|source| format!(": {source}")).unwrap_or_default()
}

/// An append-only, partitioned log of topics.
#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// Appends one record and returns once it is durable.
    async fn publish(&self, topic: Topic, key: &[u8], value: Vec<u8>) -> Result<(), LogError>;

    /// Joins consumer group `group` on `topic`, starting after the group's committed offsets
    /// (from the beginning when it has none).
    async fn consumer(&self, topic: Topic, group: &str) -> Result<Box<dyn Consumer>, LogError>;

    /// The newest value of each key of a compacted topic, tombstones removed, in no order.
    async fn read_compacted(&self, topic: Topic) -> Result<KeyValues, LogError>;

    /// How many partitions `topic` has. A record with key `k` lands in partition
    /// [`partition_for`]`(k, partitions)`, so stages that key their topics alike (the raw batches
    /// and the sessionizer's changelog, by `{project}/{session}`) find one session's records in
    /// partitions of the same number.
    async fn partitions(&self, topic: Topic) -> Result<i32, LogError>;

    /// Removes the records that every consumer group has committed past and that were
    /// appended before `options.before_ms` (with `options.dry_run` only counts them), then
    /// gives the space back. A compacted topic keeps the newest value of each key. A log whose
    /// server trims by itself (Kafka, by `retention.ms`) removes nothing and says why.
    async fn trim(&self, options: &TrimOptions) -> Result<TrimReport, LogError>;

    /// Whether the log can serve now: for readiness probes.
    async fn check(&self) -> Result<(), LogError> {
        Ok(())
    }

    /// Removes every record of `key` on `topic` (with `dry_run`, only counts them), for
    /// deletion on request. A log that cannot remove single records (Kafka) removes nothing
    /// and says why in [`KeyDeletion::not_removed`]; its records go with the topic's retention.
    async fn delete_key(&self, topic: Topic, key: &[u8], dry_run: bool) -> Result<KeyDeletion, LogError>;
}

/// What [`EventLog::delete_key`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyDeletion {
    /// How many records it removed (or, in a dry run, would remove).
    pub removed: u64,
    /// Why records of the key may remain: set when the log cannot remove them.
    pub not_removed: Option<Cow<'static, str>>,
}

impl KeyDeletion {
    /// Nothing removed, because the log cannot.
    pub fn not_possible(reason: impl Into<Cow<'static, str>>) -> Self {
        KeyDeletion { removed: 0, not_removed: Some(reason.into()) }
    }
}

/// A member of a consumer group.
#[async_trait]
pub trait Consumer: Send {
    /// Up to `max_records` records after the current position, waiting at most `timeout` for
    /// the first one. Returns an empty vector on timeout.
    async fn poll(&mut self, max_records: usize, timeout: Duration) -> Result<Vec<Record>, LogError>;

    /// Commits, per partition, the offset of the next record the group should read.
    async fn commit(&mut self, next_offsets: &[(i32, i64)]) -> Result<(), LogError>;

    /// The partitions this member of the group owns now, in ascending order. Ownership changes
    /// only inside [`Consumer::poll`], so a member that commits what it processed before it
    /// polls again never loses a partition with work in flight. A poll can return records of a
    /// partition that it also gave up; a stage drops those ([`owned_records`]) and leaves them
    /// to the partition's next owner.
    async fn assignment(&mut self) -> Result<Vec<i32>, LogError>;

    /// Per owned partition, in ascending order: how many records lie between this member's
    /// position (the offset of the next record a poll returns) and the partition's end (the
    /// offset the next published record gets). Records polled but not yet committed are not
    /// lag. Before this member has read from a partition, its position is the group's committed
    /// offset, or the partition's first record when the group never committed.
    async fn lag(&mut self) -> Result<Vec<(i32, i64)>, LogError>;
}

/// The next offset to commit per partition after processing `records` completely.
pub fn next_offsets(records: &[Record]) -> Vec<(i32, i64)> {
    let mut next: Vec<(i32, i64)> = Vec::new();
    for record in records {
        match next.iter_mut().find(|(partition, _)| *partition == record.partition) {
            Some(entry) => entry.1 = entry.1.max(record.offset + 1),
            None => next.push((record.partition, record.offset + 1)),
        }
    }
    next
}

/// The records of partitions in `owned`.
pub fn owned_records(mut records: Vec<Record>, owned: &[i32]) -> Vec<Record> {
    records.retain(|record| owned.contains(&record.partition));
    records
}

/// Which partition a key belongs to: FNV-1a, stable across processes and versions.
pub fn partition_for(key: &[u8], partitions: i32) -> i32 {
    debug_assert!(partitions > 0);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % partitions.max(1) as u64) as i32
}
