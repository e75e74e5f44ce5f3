//! The stage runtime: what every consumer stage shares, so that a stage implements only what
//! is its own.
//!
//! [`run`] owns the consumer loop of a [`Stage`]:
//!
//! 1. poll up to [`Poll::records`] records ([`Stage::poll`]) of the stage's topic;
//! 2. take on assignment changes (ownership changes only inside a poll): forget the read and
//!    committed offsets of partitions given up, tell the stage ([`Stage::on_assign`]), and keep
//!    only records of partitions it owns (the rest belong to their next owner);
//! 3. decode each record into the topic's typed message ([`TopicOf`]); a record that does not
//!    decode is dropped with a reason ([`drop_record`]), never silently;
//! 4. hand the decoded records to [`Stage::process`], then call [`Stage::tick`] (timers: idle
//!    flushes, close checks); each answers with a [`Commit`] saying what is durable;
//! 5. commit, per partition, the offsets the answer allows ([`Offsets`]), retried
//!    ([`retry::commit`]) between the crash points `<stage>.before_commit` and
//!    `<stage>.after_commit`;
//! 6. read the consumer's lag every 5 s ([`lag::LagProbe`]).
//!
//! Writes to sinks are retried until they are durable ([`retry::until_ok`]): a record that
//! may succeed on a retry is not dropped. [`metrics`] declares the consumer metrics once,
//! labelled by stage. With the `testsuite` feature, [`testsuite`] builds test-stack config.

pub mod crash;
pub mod drops;
pub mod lag;
pub mod metrics;
mod offsets;
pub mod retry;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod topics;

use std::time::Duration;

use async_trait::async_trait;
use playback_log::{EventLog, LogError, Record, Topic};
use playback_schemas::AvroMessage;

pub use drops::{drop_record, At, DropReason};
pub use offsets::{Commit, Offsets};
pub use topics::{encode, publish, PublishError, TopicOf, RAW_BATCHES, SESSIONIZER_STATE, SESSION_UPDATES};

/// How a stage polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Poll {
    /// Records per poll at most.
    pub records: usize,
    /// How long a poll waits for its first record; timers run at least this often.
    pub timeout: Duration,
}

impl Poll {
    /// 500 records, 1 s: what a stage uses unless it needs its timers to run more often.
    pub const DEFAULT: Poll = Poll { records: 500, timeout: Duration::from_secs(1) };
}

/// A record decoded into its topic's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<M> {
    pub partition: i32,
    pub offset: i64,
    pub key: Vec<u8>,
    /// When the log appended the record, ms since the epoch.
    pub timestamp_ms: i64,
    pub message: M,
}

/// What a consumer stage implements; [`run`] does the rest.
#[async_trait]
pub trait Stage: Send {
    /// The message of the topic it consumes.
    type Message: AvroMessage + Send + 'static;

    /// Its name: the consumer group, the `stage` label of its metrics and the prefix of its
    /// crash points.
    const NAME: &'static str;

    /// The topic it consumes.
    const TOPIC: TopicOf<Self::Message>;

    /// The sinks it writes to, the warehouse tables it fills, and the topics and reasons it may
    /// drop records for: their series are exported at 0 from the start ([`metrics::register`]).
    const SINKS: &'static [metrics::Sink] = &[];
    const TABLES: &'static [&'static str] = &[];
    const DROPS: &'static [(Topic, DropReason)] = &[(Self::TOPIC.topic(), DropReason::Undecodable)];

    /// How it polls: [`Poll::DEFAULT`] unless its timers must run more often.
    fn poll(&self) -> Poll {
        Poll::DEFAULT
    }

    /// The partitions it owns changed (at start, in a rebalance): `assigned` is the new set.
    async fn on_assign(&mut self, _assigned: &[i32]) {}

    /// Processes the decoded records of one poll (possibly none, when every record read was
    /// dropped) and says what is durable.
    async fn process(&mut self, records: Vec<Decoded<Self::Message>>) -> Commit;

    /// Runs after every poll, records or not: timers. Says what is durable.
    async fn tick(&mut self) -> Commit {
        Commit::Nothing
    }
}

/// How often the consumer's lag is read.
const LAG_INTERVAL: Duration = Duration::from_secs(5);

/// Runs `stage` on `log` until the task is dropped; fails only when it cannot join its group.
pub async fn run<S: Stage>(log: &dyn EventLog, mut stage: S) -> Result<(), LogError> {
    let topic = S::TOPIC.topic();
    let mut consumer = log.consumer(topic, S::NAME).await?;
    let crash_points = (format!("{}.before_commit", S::NAME), format!("{}.after_commit", S::NAME));
    let mut offsets = Offsets::default();
    let mut assigned: Vec<i32> = Vec::new();
    metrics::reset_lag(S::NAME, topic);
    let mut lag_probe = lag::LagProbe::new(LAG_INTERVAL);
    loop {
        // Polls are never cancelled: timers run between them.
        let settings = stage.poll();
        let polled = consumer.poll(settings.records, settings.timeout).await;
        match consumer.assignment().await {
            Ok(owned) if owned != assigned => {
                offsets.retain(&owned);
                stage.on_assign(&owned).await;
                metrics::PARTITIONS_ASSIGNED.with_label_values(&[S::NAME, topic.name()]).set(owned.len() as i64);
                assigned = owned;
            }
            Ok(_) => {}
            // The previous assignment stays: records of other partitions are left to their owner.
            Err(error) => tracing::warn!(message = "assignment unknown", stage = S::NAME, %error),
        }
        match polled {
            Ok(records) => {
                let records: Vec<Record> =
                    records.into_iter().filter(|record| assigned.contains(&record.partition)).collect();
                if !records.is_empty() {
                    let decoded = decode::<S>(records, &mut offsets);
                    let commit = stage.process(decoded).await;
                    commit_allowed(consumer.as_mut(), &mut offsets, &commit, &crash_points).await;
                }
            }
            Err(error) => {
                tracing::warn!(message = "poll failed", stage = S::NAME, %error);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        let commit = stage.tick().await;
        commit_allowed(consumer.as_mut(), &mut offsets, &commit, &crash_points).await;
        if let Some(sample) = lag_probe.sample(consumer.as_mut()).await {
            metrics::record_lag(S::NAME, topic, &sample);
        }
    }
}

/// Decodes `records` into the stage's message, dropping those that do not decode, and notes
/// each as read.
fn decode<S: Stage>(records: Vec<Record>, offsets: &mut Offsets) -> Vec<Decoded<S::Message>> {
    let topic = S::TOPIC.topic();
    metrics::RECORDS_READ.with_label_values(&[S::NAME, topic.name()]).inc_by(records.len() as u64);
    let mut decoded = Vec::with_capacity(records.len());
    for record in records {
        offsets.read(record.partition, record.offset);
        // No topic a stage reads carries empty values but for records whose keys are destroyed.
        if record.value.is_empty() {
            let at = At::record(record.partition, record.offset, &record.key);
            drop_record(S::NAME, topic, at, DropReason::Shredded, &"its session's data keys are destroyed");
            continue;
        }
        match S::Message::decode(&record.value) {
            Ok(message) => decoded.push(Decoded {
                partition: record.partition,
                offset: record.offset,
                key: record.key,
                timestamp_ms: record.timestamp_ms,
                message,
            }),
            Err(error) => {
                let at = At::record(record.partition, record.offset, &record.key);
                drop_record(S::NAME, topic, at, DropReason::Undecodable, &error);
            }
        }
    }
    decoded
}

/// Commits what `commit` allows beyond what is committed, between the stage's crash points.
async fn commit_allowed(
    consumer: &mut dyn playback_log::Consumer,
    offsets: &mut Offsets,
    commit: &Commit,
    (before, after): &(String, String),
) {
    let allowed = offsets.to_commit(commit);
    if allowed.is_empty() {
        return;
    }
    crash::point(before);
    if retry::commit(consumer, &allowed).await {
        offsets.committed(&allowed);
    }
    crash::point(after);
}
