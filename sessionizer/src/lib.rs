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
//! A session closes after `idle_timeout_ms` without a batch, or `max_session_ms` after it
//! started; a late batch reopens it. Closed sessions stay in memory for `evict_after_ms`
//! and are then removed from the changelog.

mod event_data;
mod labels;
pub mod metrics;
mod session;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use playback_log::{crash, next_offsets, owned_records, partition_for, retry, EventLog, LogError, Record, Topic};
use playback_schemas::{now_ms, session_key, AvroMessage, RawBatch, SessionState};
use playback_warehouse::{EventRow, Warehouse};
use serde::{Deserialize, Serialize};

pub use session::{active_ms, Session};

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
    /// Records per poll (500).
    pub poll_records: usize,
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
        }
    }
}

/// The partitions this member owns and the sessions they hold.
struct Owned {
    /// Partitions of the raw-batch topic: a session's partition is `partition_for(key, partitions)`.
    partitions: i32,
    assigned: Vec<i32>,
    sessions: HashMap<String, Session>,
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
        let mut consumer = self.log.consumer(Topic::RawBatches, GROUP).await?;
        let partitions = self.log.partitions(Topic::RawBatches).await?;
        let mut owned = Owned { partitions, assigned: Vec::new(), sessions: HashMap::new() };
        let close_every = Duration::from_millis(self.config.close_check_interval_ms.max(100));
        let mut next_close_check = tokio::time::Instant::now() + close_every;
        let mut lag_probe = metrics::lag_probe();
        loop {
            // Polls are never cancelled: the close check runs between them.
            let polled = consumer.poll(self.config.poll_records, Duration::from_secs(1)).await;
            // A rebalance happens only inside a poll, after this member committed its work.
            match consumer.assignment().await {
                Ok(assigned) if assigned != owned.assigned => self.reassign(&mut owned, assigned).await,
                Ok(_) => {}
                Err(error) => tracing::warn!(message = "assignment unknown", %error),
            }
            match polled {
                Ok(records) => {
                    let records = owned_records(records, &owned.assigned);
                    if !records.is_empty() {
                        let touched = self.apply_records(&mut owned.sessions, &records).await;
                        self.persist(&owned.sessions, &touched, Vec::new()).await;
                        crash::point("sessionizer.before_commit");
                        retry::commit(consumer.as_mut(), &next_offsets(&records)).await;
                        crash::point("sessionizer.after_commit");
                    }
                }
                Err(error) => {
                    tracing::warn!(message = "poll failed", %error);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            if tokio::time::Instant::now() >= next_close_check {
                self.close_idle(&mut owned.sessions, now_ms()).await;
                next_close_check = tokio::time::Instant::now() + close_every;
            }
            if let Some(sample) = lag_probe.sample(consumer.as_mut()).await {
                metrics::record_lag(&sample);
            }
        }
    }

    /// Takes on a new assignment: forgets the sessions of partitions given up (their next
    /// owner restores them from the changelog) and restores those of partitions gained.
    async fn reassign(&self, owned: &mut Owned, assigned: Vec<i32>) {
        let gained: Vec<i32> =
            assigned.iter().copied().filter(|partition| !owned.assigned.contains(partition)).collect();
        let partitions = owned.partitions;
        let before = owned.sessions.len();
        owned.sessions.retain(|key, _| assigned.contains(&partition_for(key.as_bytes(), partitions)));
        let dropped = before - owned.sessions.len();
        let mut restored = 0;
        if !gained.is_empty() {
            let log = &self.log;
            let entries = retry::until_ok("read the changelog", || log.read_compacted(Topic::SessionizerState)).await;
            for (key, value) in entries {
                if !gained.contains(&partition_for(&key, partitions)) {
                    continue;
                }
                match SessionState::decode(&value) {
                    Ok(state) => {
                        owned.sessions.insert(String::from_utf8_lossy(&key).into_owned(), Session::restore(state));
                        restored += 1;
                    }
                    Err(error) => tracing::error!(message = "unreadable changelog entry skipped", %error),
                }
            }
        }
        tracing::info!(message = "partitions assigned", partitions = ?assigned, restored, dropped);
        metrics::PARTITIONS_ASSIGNED.set(assigned.len() as i64);
        metrics::set_sessions_open(&owned.sessions);
        owned.assigned = assigned;
    }

    /// Applies records to the sessions and writes their event rows; returns the changed keys.
    async fn apply_records(&self, sessions: &mut HashMap<String, Session>, records: &[Record]) -> Vec<String> {
        let mut rows: Vec<EventRow> = Vec::new();
        let mut touched: Vec<String> = Vec::new();
        let now = now_ms();
        for record in records {
            let batch = match RawBatch::decode(&record.value) {
                Ok(batch) => batch,
                Err(error) => {
                    metrics::BATCHES.with_label_values(&["undecodable"]).inc();
                    tracing::error!(message = "undecodable raw batch skipped", %error, partition = record.partition, offset = record.offset);
                    continue;
                }
            };
            let key = session_key(&batch.project_id, &batch.session_id);
            let session = sessions.entry(key.clone()).or_insert_with(|| Session::new(&batch));
            let applied = session.apply(&batch, &self.config, now);
            let outcome = if applied.changed { "applied" } else { "duplicate" };
            metrics::BATCHES.with_label_values(&[outcome]).inc();
            if applied.changed && !touched.contains(&key) {
                touched.push(key);
            }
            rows.extend(applied.rows);
        }
        let warehouse = &self.warehouse;
        let timer = metrics::FLUSH_SECONDS.with_label_values(&["warehouse"]).start_timer();
        retry::until_ok("insert events", || warehouse.insert_events(rows.clone())).await;
        crash::point("sessionizer.after_events");
        metrics::rows_inserted(&rows, timer);
        metrics::set_sessions_open(sessions);
        touched
    }

    /// Publishes the updates, then the changelog, of `touched` sessions, after writing `rows`.
    async fn persist(&self, sessions: &HashMap<String, Session>, touched: &[String], rows: Vec<EventRow>) {
        if !rows.is_empty() {
            let warehouse = &self.warehouse;
            let timer = metrics::FLUSH_SECONDS.with_label_values(&["warehouse"]).start_timer();
            retry::until_ok("insert events", || warehouse.insert_events(rows.clone())).await;
            metrics::rows_inserted(&rows, timer);
        }
        let publish_timer = metrics::FLUSH_SECONDS.with_label_values(&["log"]).start_timer();
        for key in touched {
            let Some(session) = sessions.get(key) else { continue };
            let update = match session.update().encode() {
                Ok(bytes) => bytes,
                Err(error) => {
                    tracing::error!(message = "session update not encodable", %error, key);
                    continue;
                }
            };
            let log = &self.log;
            retry::until_ok("publish session update", || {
                log.publish(Topic::SessionUpdates, key.as_bytes(), update.clone())
            })
            .await;
        }
        if !touched.is_empty() {
            crash::point("sessionizer.after_updates");
        }
        for key in touched {
            let Some(session) = sessions.get(key) else { continue };
            let Ok(state) = session.state.encode() else { continue };
            let log = &self.log;
            retry::until_ok("publish changelog", || {
                log.publish(Topic::SessionizerState, key.as_bytes(), state.clone())
            })
            .await;
        }
        metrics::observe_unless_empty(publish_timer, touched.is_empty());
    }

    /// Closes sessions past the idle timeout or the maximum length, and forgets long-closed ones.
    async fn close_idle(&self, sessions: &mut HashMap<String, Session>, now: i64) {
        let mut closed = Vec::new();
        let mut rows = Vec::new();
        let mut evicted = Vec::new();
        for (key, session) in sessions.iter_mut() {
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
                rows.extend(session.close(now));
                closed.push(key.clone());
            }
        }
        if !closed.is_empty() {
            tracing::info!(message = "sessions closed", count = closed.len());
            metrics::SESSIONS_CLOSED.inc_by(closed.len() as u64);
            metrics::set_sessions_open(sessions);
            self.persist(sessions, &closed, rows).await;
        }
        for key in evicted {
            let log = &self.log;
            retry::until_ok("publish tombstone", || log.publish(Topic::SessionizerState, key.as_bytes(), Vec::new()))
                .await;
            sessions.remove(&key);
        }
    }
}
