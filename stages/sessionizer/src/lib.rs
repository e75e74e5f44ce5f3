//! The sessionizer.
//!
//! Consumes: `playback.raw-batches` (group `sessionizer`).
//! Produces: transcript rows in the warehouse `events` table, one `SessionUpdate` per changed
//! session on `playback.session-updates`, and its own state on the compacted
//! `playback.sessionizer-state` changelog.
//! Guarantees: for each polled batch of records it writes, in this order, the event rows, the
//! session updates, the changelog, and only then commits the offsets. Every topic is keyed by
//! `{project}/{session}`, so the member that owns a raw-batch partition owns the sessions of that
//! partition: when it is assigned a partition (at start, after a crash, or in a rebalance) it
//! restores that partition's sessions from the changelog, and when it gives one up it forgets
//! them, so two members never hold, close or write the same session. It then replays the
//! uncommitted records; a batch the
//! changelog already holds is skipped (each window remembers the batch seqs it applied), and one
//! it does not hold is applied again, producing the same rows and the same update. So every
//! acknowledged batch is counted exactly once.
//!
//! It is a [`playback_runtime::Stage`]: the runtime polls, decodes (an undecodable batch is
//! dropped with a reason), takes on assignments (restoring and forgetting sessions in
//! [`Stage::on_assign`]) and commits what the sessionizer allows: everything read, but never
//! past a held batch ([`Commit::Below`]). Between polls ([`Stage::tick`]) it applies the held
//! batches of quiet partitions and closes idle sessions. A changelog entry that does not decode
//! at restore, and an update or state that does not encode, are dropped with a reason too.
//!
//! Time inside a tab is the client's: each window has one clock offset, kept in its state, so
//! network delay never changes the intervals between a tab's events. A batch that arrives
//! before its tab's previous batch is held, in memory and never committed past, until that
//! batch arrives or `reorder_grace_ms` of receive time elapses, and a tab's batches are applied
//! in seq order. An event far outside its batch (`outlier_ms`) is counted but moves neither the
//! session's start or end nor its active time. docs/architecture.md (Time) has the rules.
//!
//! A session closes after `idle_timeout_ms` without a batch, or `max_session_ms` after it
//! started; a late batch reopens it. Closed sessions stay in memory for `evict_after_ms`
//! and are then removed from the changelog.

mod event_data;
mod labels;
pub mod metrics;
mod session;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use playback_log::{partition_for, EventLog, LogError, Topic};
use playback_runtime::metrics::{self as runtime_metrics, Sink};
use playback_runtime::{
    crash, drop_record, encode, retry, At, Commit, Decoded, DropReason, Poll, Stage, TopicOf, RAW_BATCHES,
    SESSIONIZER_STATE, SESSION_UPDATES,
};
use playback_schemas::{now_ms, session_key, AvroMessage, RawBatch, SessionState};
use playback_warehouse::{EventRow, Warehouse};
use serde::{Deserialize, Serialize};

pub use session::{active_ms, Applied, LogPosition, Offered, Session};

/// The consumer group of the sessionizer.
pub const GROUP: &str = "sessionizer";

/// Sessionizer settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionizerConfig {
    /// A session closes after this long without a batch (30 min).
    pub idle_timeout_ms: i64,
    /// A session closes this long after its first event (24 h).
    pub max_session_ms: i64,
    /// Each gap between user actions counts towards active time up to this much (10 s).
    pub active_idle_cap_ms: i64,
    /// A click with no DOM change, navigation, input, scroll or focus within this is dead (1 s).
    pub dead_click_window_ms: i64,
    /// This many clicks on one element within `rage_click_window_ms` are a rage click (3).
    pub rage_click_count: usize,
    pub rage_click_window_ms: i64,
    /// Closed sessions are forgotten this long after they closed (2 h); a batch arriving
    /// before then updates the session.
    pub evict_after_ms: i64,
    /// How often open sessions are checked for closing (10 s).
    pub close_check_interval_ms: u64,
    /// Records per poll (500), as every stage polls.
    pub poll_records: usize,
    /// A batch whose predecessor in its tab has not been applied waits this long, in the
    /// gateway's receive time, for it (5 s); then it is applied anyway.
    pub reorder_grace_ms: i64,
    /// A tab's clock offset changes only when a batch shows the client clock jumped by more
    /// than this (5 s); smaller differences are network delay.
    pub clock_jump_ms: i64,
    /// An event more than this (10 min) from its batch's median timestamp, or after its
    /// batch's sent-at, is an outlier: kept, but moving neither the session's start or end nor
    /// its active time.
    pub outlier_ms: i64,
}

impl Default for SessionizerConfig {
    fn default() -> Self {
        SessionizerConfig {
            idle_timeout_ms: 30 * 60_000,
            max_session_ms: 24 * 3_600_000,
            active_idle_cap_ms: 10_000,
            dead_click_window_ms: 1_000,
            rage_click_count: 3,
            rage_click_window_ms: 1_000,
            evict_after_ms: 2 * 3_600_000,
            close_check_interval_ms: 10_000,
            poll_records: 500,
            reorder_grace_ms: 5_000,
            clock_jump_ms: 5_000,
            outlier_ms: 10 * 60_000,
        }
    }
}

/// The partitions this member owns and the sessions they hold.
struct Owned {
    /// Partitions of the raw-batch topic: a session's partition is `partition_for(key, partitions)`.
    partitions: i32,
    assigned: Vec<i32>,
    sessions: HashMap<String, Session>,
    /// Keys of the sessions that hold batches waiting for an earlier batch of their tab.
    holding: BTreeSet<String>,
    /// Per partition: the latest gateway receive time of the records read, which is the
    /// clock the reorder grace runs on.
    watermarks: HashMap<i32, i64>,
}

/// Wall-clock time after which a quiet partition's held batches are due: a record appended
/// later carries a receive time at most this much before its append.
const QUIET_MARGIN_MS: i64 = 2_000;

impl Owned {
    /// What may be committed: every record read, but never past a held batch.
    fn commit(&self) -> Commit {
        let mut held = Vec::new();
        for key in &self.holding {
            let Some(session) = self.sessions.get(key) else { continue };
            for position in session.held_positions() {
                held.push((position.partition, position.offset));
            }
        }
        Commit::Below(held)
    }
}

/// Rows and changed sessions gathered while applying records.
#[derive(Default)]
struct Effects {
    rows: Vec<EventRow>,
    touched: Vec<String>,
}

impl Effects {
    fn add(&mut self, key: &str, applied: Applied) {
        if applied.changed && !self.touched.iter().any(|touched| touched == key) {
            self.touched.push(key.to_string());
        }
        metrics::BATCHES.with_label_values(&["applied"]).inc_by(applied.batches);
        metrics::OUT_OF_ORDER_BATCHES.inc_by(applied.out_of_order);
        metrics::OUTLIER_TIMESTAMPS.inc_by(applied.outliers);
        self.rows.extend(applied.rows);
    }
}

/// What the sessionizer runs on.
pub struct Sessionizer {
    pub log: Arc<dyn EventLog>,
    pub warehouse: Arc<dyn Warehouse>,
    pub config: SessionizerConfig,
}

impl Sessionizer {
    /// Runs until the task is dropped.
    pub async fn run(self) -> Result<(), LogError> {
        let partitions = self.log.partitions(Topic::RawBatches).await?;
        let close_every = Duration::from_millis(self.config.close_check_interval_ms.max(100));
        let log = Arc::clone(&self.log);
        let stage = Member {
            stage: self,
            owned: Owned {
                partitions,
                assigned: Vec::new(),
                sessions: HashMap::new(),
                holding: BTreeSet::new(),
                watermarks: HashMap::new(),
            },
            close_every,
            next_close_check: tokio::time::Instant::now() + close_every,
        };
        playback_runtime::run(log.as_ref(), stage).await
    }
}

/// A running member of the sessionizer group: what the runtime drives.
struct Member {
    stage: Sessionizer,
    owned: Owned,
    close_every: Duration,
    next_close_check: tokio::time::Instant,
}

#[async_trait]
impl Stage for Member {
    type Message = RawBatch;
    const NAME: &'static str = GROUP;
    const TOPIC: TopicOf<RawBatch> = RAW_BATCHES;
    const SINKS: &'static [Sink] = &[Sink::Warehouse, Sink::Log];
    const TABLES: &'static [&'static str] = &["events"];
    const DROPS: &'static [(Topic, DropReason)] = &[
        (Topic::RawBatches, DropReason::Undecodable),
        (Topic::SessionizerState, DropReason::Undecodable),
        (Topic::SessionUpdates, DropReason::NotEncodable),
        (Topic::SessionizerState, DropReason::NotEncodable),
    ];
    fn poll(&self) -> Poll {
        Poll { records: self.stage.config.poll_records.max(1), ..Poll::DEFAULT }
    }

    /// A rebalance happens only inside a poll, after this member committed its work.
    async fn on_assign(&mut self, assigned: &[i32]) {
        self.stage.reassign(&mut self.owned, assigned.to_vec()).await;
    }

    /// Applies the records, writes their rows, updates and changelog; commits never pass a
    /// held batch.
    async fn process(&mut self, records: Vec<Decoded<RawBatch>>) -> Commit {
        let touched = self.stage.apply_records(&mut self.owned, records).await;
        self.stage.persist(&self.owned.sessions, &touched, Vec::new()).await;
        self.owned.commit()
    }

    /// Between polls: applies held batches of quiet partitions, and checks for sessions to close.
    async fn tick(&mut self) -> Commit {
        let mut commit = Commit::Nothing;
        if !self.owned.holding.is_empty() && self.stage.release_quiet(&mut self.owned, now_ms()).await {
            commit = self.owned.commit();
        }
        if tokio::time::Instant::now() >= self.next_close_check {
            self.stage.close_idle(&mut self.owned.sessions, now_ms()).await;
            self.next_close_check = tokio::time::Instant::now() + self.close_every;
        }
        commit
    }
}

impl Sessionizer {
    /// Takes on a new assignment: forgets the sessions of partitions given up (their next
    /// owner restores them from the changelog) and restores those of partitions gained.
    async fn reassign(&self, owned: &mut Owned, assigned: Vec<i32>) {
        let gained: Vec<i32> =
            assigned.iter().copied().filter(|partition| !owned.assigned.contains(partition)).collect();
        let partitions = owned.partitions;
        let before = owned.sessions.len();
        owned.sessions.retain(|key, _| assigned.contains(&partition_for(key.as_bytes(), partitions)));
        let dropped = before - owned.sessions.len();
        // Held batches of partitions given up were not committed past: their next owner reads them.
        let sessions = &owned.sessions;
        owned.holding.retain(|key| sessions.contains_key(key));
        owned.watermarks.retain(|partition, _| assigned.contains(partition));
        let mut restored = 0;
        if !gained.is_empty() {
            let log = &self.log;
            let entries = retry::until_ok("read the changelog", || log.read_compacted(Topic::SessionizerState)).await;
            for (key, value) in entries {
                let partition = partition_for(&key, partitions);
                if !gained.contains(&partition) {
                    continue;
                }
                match SessionState::decode(&value) {
                    Ok(state) => {
                        owned.sessions.insert(String::from_utf8_lossy(&key).into_owned(), Session::restore(state));
                        restored += 1;
                    }
                    Err(error) => {
                        let at = At::key(Some(partition), &key);
                        drop_record(GROUP, Topic::SessionizerState, at, DropReason::Undecodable, &error);
                    }
                }
            }
        }
        tracing::info!(message = "partitions assigned", partitions = ?assigned, restored, dropped);
        metrics::set_sessions_open(&owned.sessions);
        owned.assigned = assigned;
    }

    /// Applies records to the sessions and writes their event rows; returns the changed keys.
    /// Before each record, the held batches of its partition that the record's receive time
    /// makes due are applied, so the outcome depends only on the log's order, not on how the
    /// records were split into polls.
    async fn apply_records(&self, owned: &mut Owned, records: Vec<Decoded<RawBatch>>) -> Vec<String> {
        let mut effects = Effects::default();
        let now = now_ms();
        for record in records {
            let batch = record.message;
            let watermark = owned.watermarks.entry(record.partition).or_insert(batch.received_at_ms);
            *watermark = (*watermark).max(batch.received_at_ms);
            let watermark = *watermark;
            self.release_due(owned, |partition| partition == record.partition, watermark, now, &mut effects);

            let key = session_key(&batch.project_id, &batch.session_id);
            let session = owned.sessions.entry(key.clone()).or_insert_with(|| Session::new(&batch));
            let position = LogPosition { partition: record.partition, offset: record.offset };
            let mut applied = Applied::default();
            match session.offer(batch, position, &self.config, now, &mut applied) {
                Offered::Applied => {}
                Offered::Duplicate => metrics::BATCHES.with_label_values(&["duplicate"]).inc(),
                Offered::Held => metrics::BATCHES.with_label_values(&["held"]).inc(),
            }
            if session.has_held() {
                owned.holding.insert(key.clone());
            } else {
                owned.holding.remove(&key);
            }
            effects.add(&key, applied);
        }
        self.write_rows(&effects.rows).await;
        crash::point("sessionizer.after_events");
        metrics::set_sessions_open(&owned.sessions);
        effects.touched
    }

    /// Applies the held batches, of the partitions `in_partition` picks, that are due at
    /// `watermark_ms`.
    fn release_due(
        &self,
        owned: &mut Owned,
        in_partition: impl Fn(i32) -> bool,
        watermark_ms: i64,
        now: i64,
        effects: &mut Effects,
    ) {
        let partitions = owned.partitions;
        let keys: Vec<String> = owned
            .holding
            .iter()
            .filter(|key| in_partition(partition_for(key.as_bytes(), partitions)))
            .cloned()
            .collect();
        for key in keys {
            let Some(session) = owned.sessions.get_mut(&key) else {
                owned.holding.remove(&key);
                continue;
            };
            let mut applied = Applied::default();
            session.release_due(watermark_ms, &self.config, now, &mut applied);
            if !session.has_held() {
                owned.holding.remove(&key);
            }
            effects.add(&key, applied);
        }
    }

    /// Applies the held batches that are due by the wall clock, for partitions where no later
    /// record came to make them due, and persists what changed. True when anything was applied.
    async fn release_quiet(&self, owned: &mut Owned, now: i64) -> bool {
        let mut effects = Effects::default();
        self.release_due(owned, |_| true, now - QUIET_MARGIN_MS, now, &mut effects);
        if effects.touched.is_empty() && effects.rows.is_empty() {
            return false;
        }
        self.persist(&owned.sessions, &effects.touched, effects.rows).await;
        metrics::set_sessions_open(&owned.sessions);
        true
    }

    /// Writes `rows` to `events`, retrying until the warehouse has them.
    async fn write_rows(&self, rows: &[EventRow]) {
        let warehouse = &self.warehouse;
        let timer = runtime_metrics::flush_timer(GROUP, Sink::Warehouse);
        retry::until_ok("insert events", || warehouse.insert_events(rows.to_vec())).await;
        runtime_metrics::observe_unless_empty(timer, rows.is_empty());
        runtime_metrics::rows_inserted(GROUP, "events", rows.len());
    }

    /// Publishes the updates, then the changelog, of `touched` sessions, after writing `rows`.
    async fn persist(&self, sessions: &HashMap<String, Session>, touched: &[String], rows: Vec<EventRow>) {
        if !rows.is_empty() {
            self.write_rows(&rows).await;
        }
        let publish_timer = runtime_metrics::flush_timer(GROUP, Sink::Log);
        let mut updates = Vec::with_capacity(touched.len());
        let mut states = Vec::with_capacity(touched.len());
        for key in touched {
            let Some(session) = sessions.get(key) else { continue };
            // An output has no position yet; its key names it.
            let partition = None;
            match encode(SESSION_UPDATES, session.update()) {
                Ok(bytes) => updates.push((key.clone(), bytes)),
                Err(error) => {
                    let at = At::key(partition, key.as_bytes());
                    drop_record(GROUP, Topic::SessionUpdates, at, DropReason::NotEncodable, &error);
                }
            }
            match encode(SESSIONIZER_STATE, &session.state) {
                Ok(bytes) => states.push((key.clone(), bytes)),
                Err(error) => {
                    let at = At::key(partition, key.as_bytes());
                    drop_record(GROUP, Topic::SessionizerState, at, DropReason::NotEncodable, &error);
                }
            }
        }
        self.publish_all(SESSION_UPDATES, "publish session update", updates).await;
        if !touched.is_empty() {
            crash::point("sessionizer.after_updates");
        }
        self.publish_all(SESSIONIZER_STATE, "publish changelog", states).await;
        runtime_metrics::observe_unless_empty(publish_timer, touched.is_empty());
    }

    /// Publishes every entry, encoded for `topic`, at once, each retried until the log has it,
    /// and returns when all are durable. The keys are distinct, so the order among them does
    /// not matter.
    async fn publish_all<M>(&self, topic: TopicOf<M>, what: &'static str, entries: Vec<(String, Vec<u8>)>) {
        let topic = topic.topic();
        let mut publishes = tokio::task::JoinSet::new();
        for (key, value) in entries {
            let log = Arc::clone(&self.log);
            publishes.spawn(async move {
                retry::until_ok(what, || log.publish(topic, key.as_bytes(), value.clone())).await;
            });
        }
        while let Some(done) = publishes.join_next().await {
            if let Err(error) = done {
                // A publish that panicked is not durable: the stage must not go on to commit.
                std::panic::resume_unwind(error.into_panic());
            }
        }
    }

    /// Closes sessions past the idle timeout or the maximum length, and forgets long-closed ones.
    async fn close_idle(&self, sessions: &mut HashMap<String, Session>, now: i64) {
        let mut closed = Vec::new();
        let mut evicted = Vec::new();
        for (key, session) in sessions.iter_mut() {
            if session.has_held() {
                // Batches wait for the grace: the session is not idle.
                continue;
            }
            let update = session.update();
            let idle_since = session.state.last_received_ms.max(update.end_ms);
            if update.closed {
                if now - idle_since > self.config.idle_timeout_ms + self.config.evict_after_ms {
                    evicted.push(key.clone());
                }
                continue;
            }
            let too_long = update.start_ms != i64::MAX && update.end_ms - update.start_ms >= self.config.max_session_ms;
            if now - idle_since > self.config.idle_timeout_ms || too_long {
                session.close(now);
                closed.push(key.clone());
            }
        }
        if !closed.is_empty() {
            tracing::info!(message = "sessions closed", count = closed.len());
            metrics::SESSIONS_CLOSED.inc_by(closed.len() as u64);
            metrics::set_sessions_open(sessions);
            self.persist(sessions, &closed, Vec::new()).await;
        }
        for key in evicted {
            let log = &self.log;
            retry::until_ok("publish tombstone", || log.publish(Topic::SessionizerState, key.as_bytes(), Vec::new()))
                .await;
            sessions.remove(&key);
        }
    }
}
