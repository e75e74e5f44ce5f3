//! The archiver.
//!
//! Consumes: `playback.raw-batches` (group `archiver`).
//! Produces: zstd recording chunks in blob storage at
//! `{project}/{yyyy-mm-dd}/{session}/{window}-{first seq}-{last seq}`, and one
//! `recording_chunks` row each.
//! Guarantees: it buffers each tab's batches and commits, per partition, only offsets below the
//! oldest batch still in a buffer, so a crash replays exactly what was not yet in a chunk.
//! A chunk written again after a replay has the same key and replaces the old one; a reader
//! de-duplicates batches by `(window, seq)` across chunks, so overlapping chunks are harmless.
//! When a rebalance takes a partition away, the buffers of that partition are dropped; its new
//! owner reads their batches again from the committed offset.
//! A chunk starts at a FullSnapshot where it can: a batch that opens with Meta + FullSnapshot
//! closes the buffer before it.

pub mod metrics;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use playback_blobs::BlobStore;
use playback_log::{crash, owned_records, retry, Consumer, EventLog, LogError, Record, Topic};
use playback_schemas::{now_ms, AvroMessage, RawBatch};
use playback_warehouse::{ChunkRow, Warehouse};
use serde::{Deserialize, Serialize};

use playback_schemas::chunk::{self, encode_chunk, BatchEvents, Chunk};

/// The consumer group of the archiver.
pub const GROUP: &str = "archiver";

/// Archiver settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArchiverConfig {
    /// A tab's buffer is written once it holds this much event JSON (1 MiB).
    pub chunk_target_bytes: usize,
    /// ... or when no batch arrived for it for this long (5 s).
    pub flush_idle_ms: u64,
    /// ... or when its oldest batch is this old (60 s).
    pub max_buffer_age_ms: u64,
    /// zstd level (3).
    pub zstd_level: i32,
}

impl Default for ArchiverConfig {
    fn default() -> Self {
        ArchiverConfig { chunk_target_bytes: 1 << 20, flush_idle_ms: 5_000, max_buffer_age_ms: 60_000, zstd_level: 3 }
    }
}

/// One tab's batches waiting to be written.
struct Buffer {
    project_id: String,
    session_id: String,
    window_id: String,
    /// Receive time of the first batch: the date in the chunk key.
    first_received_ms: i64,
    batches: Vec<BatchEvents>,
    bytes: usize,
    /// Where the oldest buffered record sits in the log.
    partition: i32,
    first_offset: i64,
    opened: Instant,
    last_append: Instant,
}

/// What the archiver runs on.
pub struct Archiver {
    pub log: Arc<dyn EventLog>,
    pub warehouse: Arc<dyn Warehouse>,
    pub blobs: Arc<dyn BlobStore>,
    pub config: ArchiverConfig,
}

impl Archiver {
    /// Runs until the task is dropped.
    pub async fn run(self) -> Result<(), LogError> {
        let mut consumer = self.log.consumer(Topic::RawBatches, GROUP).await?;
        let mut buffers: HashMap<(String, String, String), Buffer> = HashMap::new();
        // Per partition: the offset after the last record polled.
        let mut polled: HashMap<i32, i64> = HashMap::new();
        let mut committed: HashMap<i32, i64> = HashMap::new();
        let mut lag_probe = metrics::lag_probe();
        loop {
            let records = match consumer.poll(500, Duration::from_millis(500)).await {
                Ok(records) => records,
                Err(error) => {
                    tracing::warn!(message = "poll failed", %error);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let records = match consumer.assignment().await {
                Ok(owned) => {
                    forget_revoked(&owned, &mut buffers, &mut polled, &mut committed);
                    owned_records(records, &owned)
                }
                Err(error) => {
                    tracing::warn!(message = "assignment unknown", %error);
                    records
                }
            };
            let mut due = Vec::new();
            for record in &records {
                polled.insert(record.partition, record.offset + 1);
                self.buffer_record(&mut buffers, record, &mut due);
            }
            let now = Instant::now();
            let mut ready = Vec::new();
            for (key, buffer) in &buffers {
                let idle = now.duration_since(buffer.last_append) >= Duration::from_millis(self.config.flush_idle_ms);
                let old = now.duration_since(buffer.opened) >= Duration::from_millis(self.config.max_buffer_age_ms);
                if idle || old || buffer.bytes >= self.config.chunk_target_bytes {
                    ready.push(key.clone());
                }
            }
            for key in ready {
                if let Some(buffer) = buffers.remove(&key) {
                    due.push(buffer);
                }
            }
            self.flush(due).await;
            metrics::BUFFERS_OPEN.set(buffers.len() as i64);
            self.commit_below_buffers(consumer.as_mut(), &buffers, &polled, &mut committed).await;
            if let Some(sample) = lag_probe.sample(consumer.as_mut()).await {
                metrics::record_lag(&sample);
            }
        }
    }

    fn buffer_record(
        &self,
        buffers: &mut HashMap<(String, String, String), Buffer>,
        record: &Record,
        due: &mut Vec<Buffer>,
    ) {
        let batch = match RawBatch::decode(&record.value) {
            Ok(batch) => batch,
            Err(error) => {
                metrics::BATCHES.with_label_values(&["undecodable"]).inc();
                tracing::error!(message = "undecodable raw batch skipped", %error, partition = record.partition, offset = record.offset);
                return;
            }
        };
        // Events the gateway would refuse (not a JSON array, or deeper than json::MAX_JSON_DEPTH)
        // would make the whole chunk unreadable.
        let events = match BatchEvents::new(batch.seq, batch.events_json) {
            Ok(events) => events,
            Err(error) => {
                metrics::BATCHES.with_label_values(&["undecodable"]).inc();
                tracing::error!(
                    message = "raw batch with unreadable events skipped",
                    %error,
                    partition = record.partition,
                    offset = record.offset,
                    session_id = %batch.session_id,
                    seq = batch.seq
                );
                return;
            }
        };
        metrics::BATCHES.with_label_values(&["buffered"]).inc();
        let key = (batch.project_id.clone(), batch.session_id.clone(), batch.window_id.clone());
        // Start a new chunk at a snapshot, so that seeking needs one chunk.
        if events.starts_with_snapshot {
            if let Some(open) = buffers.remove(&key) {
                due.push(open);
            }
        }
        let now = Instant::now();
        let buffer = buffers.entry(key).or_insert_with(|| Buffer {
            project_id: batch.project_id,
            session_id: batch.session_id,
            window_id: batch.window_id,
            first_received_ms: batch.received_at_ms,
            batches: Vec::new(),
            bytes: 0,
            partition: record.partition,
            first_offset: record.offset,
            opened: now,
            last_append: now,
        });
        buffer.last_append = now;
        // A batch sent twice (a client retry) is kept once per chunk.
        if buffer.batches.iter().any(|buffered| buffered.seq == events.seq) {
            return;
        }
        buffer.bytes += events.json.len();
        buffer.batches.push(events);
    }

    async fn flush(&self, buffers: Vec<Buffer>) {
        if buffers.is_empty() {
            return;
        }
        let mut rows = Vec::with_capacity(buffers.len());
        for buffer in buffers {
            let chunk = Chunk {
                project_id: buffer.project_id,
                session_id: buffer.session_id,
                window_id: buffer.window_id,
                batches: buffer.batches,
            };
            let level = self.config.zstd_level;
            let date = chunk::date_of(buffer.first_received_ms);
            let key = chunk.blob_key(&date);
            let encoded = tokio::task::spawn_blocking(move || {
                let bytes = encode_chunk(&chunk, level);
                (chunk, bytes)
            })
            .await;
            let (chunk, bytes) = match encoded {
                Ok((chunk, Ok(bytes))) => (chunk, bytes),
                Ok((_, Err(error))) => {
                    tracing::error!(message = "chunk not encodable", %error, key);
                    continue;
                }
                Err(error) => {
                    tracing::error!(message = "chunk encoder failed", %error, key);
                    continue;
                }
            };
            let size = bytes.len() as i64;
            let timer = metrics::FLUSH_SECONDS.with_label_values(&["blobs"]).start_timer();
            crash::point("archiver.before_put");
            retry::until_ok("put chunk", || self.blobs.put(&key, bytes.clone())).await;
            crash::point("archiver.after_put");
            timer.observe_duration();
            metrics::CHUNKS.inc();
            metrics::CHUNK_BYTES.inc_by(size as u64);
            rows.push(chunk_row(&chunk, key, size, now_ms()));
        }
        let warehouse = &self.warehouse;
        let timer = metrics::FLUSH_SECONDS.with_label_values(&["warehouse"]).start_timer();
        retry::until_ok("insert chunk rows", || warehouse.insert_chunks(rows.clone())).await;
        timer.observe_duration();
        metrics::ROWS_INSERTED.with_label_values(&["recording_chunks"]).inc_by(rows.len() as u64);
    }

    /// Commits each partition up to its oldest buffered record, or all it polled when nothing
    /// from it is buffered.
    async fn commit_below_buffers(
        &self,
        consumer: &mut dyn Consumer,
        buffers: &HashMap<(String, String, String), Buffer>,
        polled: &HashMap<i32, i64>,
        committed: &mut HashMap<i32, i64>,
    ) {
        let offsets =
            safe_offsets(buffers.values().map(|buffer| (buffer.partition, buffer.first_offset)), polled, committed);
        if offsets.is_empty() {
            return;
        }
        crash::point("archiver.before_commit");
        retry::commit(consumer, &offsets).await;
        crash::point("archiver.after_commit");
        committed.extend(offsets);
    }
}

/// The offsets to commit: per partition, the oldest offset still buffered (`buffered` yields the
/// partition and first offset of each open buffer), or the offset after the last record polled
/// when nothing of the partition is buffered; only those beyond what is already committed.
fn safe_offsets(
    buffered: impl Iterator<Item = (i32, i64)>,
    polled: &HashMap<i32, i64>,
    committed: &HashMap<i32, i64>,
) -> Vec<(i32, i64)> {
    let mut safe: HashMap<i32, i64> = polled.clone();
    for (partition, first_offset) in buffered {
        let entry = safe.entry(partition).or_insert(first_offset);
        *entry = (*entry).min(first_offset);
    }
    let mut offsets: Vec<(i32, i64)> = safe
        .into_iter()
        .filter(|(partition, offset)| committed.get(partition).is_none_or(|done| offset > done))
        .collect();
    offsets.sort_unstable();
    offsets
}

/// Drops what this member holds of partitions it no longer owns: their buffered batches were
/// never committed, so the partition's new owner reads them again.
fn forget_revoked(
    owned: &[i32],
    buffers: &mut HashMap<(String, String, String), Buffer>,
    polled: &mut HashMap<i32, i64>,
    committed: &mut HashMap<i32, i64>,
) {
    let before = buffers.len();
    buffers.retain(|_, buffer| owned.contains(&buffer.partition));
    polled.retain(|partition, _| owned.contains(partition));
    committed.retain(|partition, _| owned.contains(partition));
    if buffers.len() < before {
        tracing::info!(message = "buffers of revoked partitions dropped", count = before - buffers.len());
    }
}

/// The warehouse row of `chunk` stored under `blob_key`.
fn chunk_row(chunk: &Chunk, blob_key: String, bytes: i64, created_at_ms: i64) -> ChunkRow {
    let first = chunk.batches.first();
    ChunkRow {
        project_id: chunk.project_id.clone(),
        session_id: chunk.session_id.clone(),
        window_id: chunk.window_id.clone(),
        first_seq: chunk.batches.iter().map(|batch| batch.seq).min().unwrap_or(0),
        last_seq: chunk.batches.iter().map(|batch| batch.seq).max().unwrap_or(0),
        blob_key,
        first_ts_ms: chunk.batches.iter().map(|batch| batch.first_ts_ms).min().unwrap_or(0),
        last_ts_ms: chunk.batches.iter().map(|batch| batch.last_ts_ms).max().unwrap_or(0),
        events: chunk.batches.iter().map(|batch| batch.event_count as i32).sum(),
        bytes,
        full_snapshot: first.is_some_and(|batch| batch.starts_with_snapshot),
        created_at_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_stop_below_the_oldest_unflushed_buffer_of_each_partition() {
        // Partition 0 polled up to 100 with buffers from 40 and 70; partition 1 polled to 50
        // with nothing buffered; partition 2 polled to 9 but already committed there.
        let polled = HashMap::from([(0, 100), (1, 50), (2, 9)]);
        let committed = HashMap::from([(2, 9), (1, 20)]);
        let offsets = safe_offsets([(0, 70), (0, 40)].into_iter(), &polled, &committed);
        assert_eq!(offsets, vec![(0, 40), (1, 50)]);
        // Once the buffer at 40 is flushed, the commit moves up to the next one.
        let offsets = safe_offsets([(0, 70)].into_iter(), &polled, &HashMap::from([(0, 40), (1, 50), (2, 9)]));
        assert_eq!(offsets, vec![(0, 70)]);
        // Never backwards: a buffer older than the commit does not produce one.
        assert!(safe_offsets([(0, 30)].into_iter(), &HashMap::from([(0, 100)]), &HashMap::from([(0, 40)])).is_empty());
    }

    #[test]
    fn revoked_partitions_lose_their_buffers_and_offsets() {
        let buffer = |partition: i32, session: &str| {
            let now = Instant::now();
            let key = ("demo".to_string(), session.to_string(), "w".to_string());
            let buffer = Buffer {
                project_id: "demo".into(),
                session_id: session.into(),
                window_id: "w".into(),
                first_received_ms: 0,
                batches: Vec::new(),
                bytes: 0,
                partition,
                first_offset: 5,
                opened: now,
                last_append: now,
            };
            (key, buffer)
        };
        let mut buffers = HashMap::from([buffer(0, "a"), buffer(1, "b"), buffer(3, "c")]);
        let mut polled = HashMap::from([(0, 10), (1, 10), (3, 10)]);
        let mut committed = HashMap::from([(0, 5), (1, 5), (3, 5)]);
        forget_revoked(&[1, 2], &mut buffers, &mut polled, &mut committed);
        assert_eq!(buffers.keys().map(|key| key.1.as_str()).collect::<Vec<_>>(), vec!["b"]);
        assert_eq!(polled, HashMap::from([(1, 10)]));
        assert_eq!(committed, HashMap::from([(1, 5)]));
    }
}
