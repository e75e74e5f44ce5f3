//! The archiver.
//!
//! Consumes: `playback.raw-batches` (group `archiver`).
//! Produces: zstd recording chunks (format v2, with the rrweb dictionary) in blob storage at
//! `{project}/{yyyy-mm-dd}/{session}/{window}-{first seq}-{last seq}`, and one
//! `recording_chunks` row each.
//! Guarantees: it buffers each tab's batches and commits, per partition, only offsets below the
//! oldest batch still in a buffer, so a crash replays exactly what was not yet in a chunk.
//! It is a [`playback_runtime::Stage`]: the runtime polls, decodes, drops what does not decode
//! and commits what the archiver allows ([`playback_runtime::Commit::Below`] its buffers);
//! the archiver buffers records and writes chunks on its timers ([`Stage::tick`]). A batch
//! whose events are unreadable, or a chunk that does not encode, is dropped with a reason.
//! A buffer is written about a second after its tab's last batch, so a recording is playable
//! soon after the gateway's 200. The small chunks of a tab since its last FullSnapshot form a
//! series, kept in memory; when the tab goes idle, or the series reaches its size or count
//! limit, or a new FullSnapshot starts the next one, the series is written again as one merged
//! chunk and the small chunks are retired: merged blob, merged row, then the small rows are
//! deleted, and their blobs only once the warehouse no longer lists them and a grace period
//! has passed. At every step each batch is in a listed chunk whose blob exists.
//! A chunk written again after a replay has the same key and replaces the old one; a reader
//! de-duplicates batches by `(window, seq)` across chunks, so overlapping chunks are harmless.
//! When a rebalance takes a partition away, the buffers of that partition are dropped; its new
//! owner reads their batches again from the committed offset.
//! A chunk starts at a FullSnapshot where it can: a batch that opens with Meta + FullSnapshot
//! closes the buffer before it.

pub mod metrics;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use playback_blobs::BlobStore;
use playback_log::{EventLog, LogError, Topic};
use playback_runtime::metrics::{self as runtime_metrics, Sink};
use playback_runtime::{crash, drop_record, retry, At, Commit, Decoded, DropReason, Poll, Stage, TopicOf, RAW_BATCHES};
use playback_schemas::{now_ms, session_key, RawBatch};
use playback_warehouse::{ChunkRow, Warehouse};
use serde::{Deserialize, Serialize};

use playback_schemas::chunk::{self, encode_chunk, BatchEvents, Chunk};

/// The consumer group of the archiver.
pub const GROUP: &str = "archiver";

/// Archiver settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArchiverConfig {
    /// A tab's buffer is written once it holds this much event JSON (1 MiB); a merged chunk
    /// holds at most this much too.
    pub chunk_target_bytes: usize,
    /// ... or when no batch arrived for it for this long (1 s).
    pub flush_idle_ms: u64,
    /// ... or when its oldest batch is this old (3 s).
    pub max_buffer_age_ms: u64,
    /// zstd level of the chunks written after each batch (3): they are short-lived.
    pub zstd_level: i32,
    /// zstd level of merged chunks (15): they are what stays, and are written once a series.
    pub merge_zstd_level: i32,
    /// A tab's small chunks are merged into one once no batch arrived for it for this long
    /// (30 s)...
    pub merge_idle_ms: u64,
    /// ... or once there are this many of them (60, five minutes of batches every 5 s). At 1 or
    /// less, chunks are never merged.
    pub merge_max_chunks: usize,
    /// The blob of a retired chunk is deleted this long after its row (30 s), and only once
    /// the warehouse no longer lists it, so a reader that listed it can still read it.
    pub retire_grace_ms: u64,
}

impl Default for ArchiverConfig {
    fn default() -> Self {
        ArchiverConfig {
            chunk_target_bytes: 1 << 20,
            flush_idle_ms: 1_000,
            max_buffer_age_ms: 3_000,
            zstd_level: 3,
            merge_zstd_level: 15,
            merge_idle_ms: 30_000,
            merge_max_chunks: 60,
            retire_grace_ms: 30_000,
        }
    }
}

type TabKey = (String, String, String);

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

/// The batches of a tab already written in small chunks since its series began (at a
/// FullSnapshot, or after the previous merge), kept to write them again as one chunk.
struct Series {
    project_id: String,
    session_id: String,
    window_id: String,
    /// Receive time of the first batch: the date in the merged chunk's key.
    first_received_ms: i64,
    partition: i32,
    batches: Vec<BatchEvents>,
    bytes: usize,
    /// The rows of the chunks that hold `batches` now.
    chunks: Vec<ChunkRow>,
    last_append: Instant,
}

/// A chunk just written, with its row.
struct Written {
    chunk: Chunk,
    first_received_ms: i64,
    partition: i32,
    row: ChunkRow,
}

/// Blobs of retired chunks, to delete once their rows are gone from the warehouse.
struct Retired {
    due: Instant,
    project_id: String,
    session_id: String,
    blob_keys: Vec<String>,
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
        let log = Arc::clone(&self.log);
        let member = Running {
            stage: self,
            buffers: HashMap::new(),
            due: Vec::new(),
            series: HashMap::new(),
            retired: Vec::new(),
        };
        playback_runtime::run(log.as_ref(), member).await
    }
}

/// A running member of the archiver group: what the runtime drives.
struct Running {
    stage: Archiver,
    buffers: HashMap<TabKey, Buffer>,
    /// Buffers closed by a snapshot batch, to write at the next tick.
    due: Vec<Buffer>,
    series: HashMap<TabKey, Series>,
    retired: Vec<Retired>,
}

impl Running {
    /// What may be committed: per partition, only below the oldest buffered record.
    fn commit(&self) -> Commit {
        let open = self.buffers.values().chain(&self.due);
        Commit::Below(open.map(|buffer| (buffer.partition, buffer.first_offset)).collect())
    }
}

#[async_trait]
impl Stage for Running {
    const SINKS: &'static [Sink] = &[Sink::Blobs, Sink::Warehouse];
    const TABLES: &'static [&'static str] = &["recording_chunks"];
    const DROPS: &'static [(Topic, DropReason)] = &[
        (Topic::RawBatches, DropReason::Undecodable),
        (Topic::RawBatches, DropReason::UnreadableEvents),
        (Topic::RawBatches, DropReason::NotEncodable),
    ];
    type Message = RawBatch;
    const TOPIC: TopicOf<RawBatch> = RAW_BATCHES;
    const NAME: &'static str = GROUP;

    /// Half the default timeout: buffers are written on idle timers of about a second
    /// (`flush_idle_ms`), which run between polls, so a batch is playable soon after its 200.
    fn poll(&self) -> Poll {
        Poll { timeout: Duration::from_millis(500), ..Poll::DEFAULT }
    }

    /// Drops the buffers of partitions given up: they were never committed, so the partition's
    /// new owner reads their batches again.
    async fn on_assign(&mut self, assigned: &[i32]) {
        forget_revoked(assigned, &mut self.buffers, &mut self.due);
        self.series.retain(|_, open| assigned.contains(&open.partition));
    }

    async fn process(&mut self, records: Vec<Decoded<RawBatch>>) -> Commit {
        for record in records {
            self.stage.buffer_record(&mut self.buffers, record, &mut self.due);
        }
        self.commit()
    }

    /// Writes the buffers that are due, merges series, deletes retired blobs.
    async fn tick(&mut self) -> Commit {
        let config = &self.stage.config;
        let now = Instant::now();
        let mut ready = Vec::new();
        for (key, buffer) in &self.buffers {
            let idle = now.duration_since(buffer.last_append) >= Duration::from_millis(config.flush_idle_ms);
            let old = now.duration_since(buffer.opened) >= Duration::from_millis(config.max_buffer_age_ms);
            if idle || old || buffer.bytes >= config.chunk_target_bytes {
                ready.push(key.clone());
            }
        }
        let mut due = std::mem::take(&mut self.due);
        for key in ready {
            due.extend(self.buffers.remove(&key));
        }
        let written = self.stage.flush(due).await;
        let to_merge = extend_series(&mut self.series, written, &self.stage.config, Instant::now());
        self.stage.merge(to_merge, &mut self.retired).await;
        self.stage.delete_retired_blobs(&mut self.retired).await;
        metrics::BUFFERS_OPEN.set(self.buffers.len() as i64);
        self.commit()
    }
}

impl Archiver {
    fn buffer_record(&self, buffers: &mut HashMap<TabKey, Buffer>, record: Decoded<RawBatch>, due: &mut Vec<Buffer>) {
        let batch = record.message;
        // Events the gateway would refuse (not a JSON array, or deeper than json::MAX_JSON_DEPTH)
        // would make the whole chunk unreadable.
        let events = match BatchEvents::new(batch.seq, batch.events_json) {
            Ok(events) => events,
            Err(error) => {
                let at = At::record(record.partition, record.offset, &record.key);
                drop_record(GROUP, Topic::RawBatches, at, DropReason::UnreadableEvents, &error);
                return;
            }
        };
        metrics::BATCHES.inc();
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

    /// Writes each buffer as a chunk, then inserts their rows.
    async fn flush(&self, buffers: Vec<Buffer>) -> Vec<Written> {
        let mut written = Vec::with_capacity(buffers.len());
        for buffer in buffers {
            let chunk = Chunk {
                project_id: buffer.project_id,
                session_id: buffer.session_id,
                window_id: buffer.window_id,
                batches: buffer.batches,
            };
            let level = self.config.zstd_level;
            let at = (buffer.partition, Some(buffer.first_offset));
            let Some((chunk, row)) = self.put_chunk(chunk, buffer.first_received_ms, level, at).await else {
                continue;
            };
            crash::point("archiver.after_put");
            written.push(Written {
                chunk,
                first_received_ms: buffer.first_received_ms,
                partition: buffer.partition,
                row,
            });
        }
        self.insert_rows(written.iter().map(|written| written.row.clone()).collect()).await;
        written
    }

    /// Compresses `chunk` and puts it in blob storage under its key, retrying until it is
    /// stored; `None` when it cannot be encoded: its records (the oldest at `at`, a partition and
    /// perhaps an offset) are dropped.
    async fn put_chunk(
        &self,
        chunk: Chunk,
        first_received_ms: i64,
        level: i32,
        at: (i32, Option<i64>),
    ) -> Option<(Chunk, ChunkRow)> {
        let date = chunk::date_of(first_received_ms);
        let key = chunk.blob_key(&date);
        let record_key = session_key(&chunk.project_id, &chunk.session_id);
        let encoded = tokio::task::spawn_blocking(move || {
            let bytes = encode_chunk(&chunk, level);
            (chunk, bytes)
        })
        .await;
        let failed: Box<dyn std::fmt::Display> = match encoded {
            Ok((chunk, Ok(bytes))) => return Some(self.put_encoded(chunk, key, bytes).await),
            Ok((_, Err(error))) => Box::new(error),
            Err(error) => Box::new(error),
        };
        let at = At { partition: Some(at.0), offset: at.1, key: record_key.as_bytes() };
        drop_record(GROUP, Topic::RawBatches, at, DropReason::NotEncodable, &failed);
        None
    }

    /// Puts an encoded chunk under `key`, retrying until it is stored.
    async fn put_encoded(&self, chunk: Chunk, key: String, bytes: Vec<u8>) -> (Chunk, ChunkRow) {
        let size = bytes.len() as i64;
        let timer = runtime_metrics::flush_timer(GROUP, Sink::Blobs);
        crash::point("archiver.before_put");
        retry::until_ok("put chunk", || self.blobs.put(&key, bytes.clone())).await;
        timer.observe_duration();
        metrics::CHUNKS.inc();
        metrics::CHUNK_BYTES.inc_by(size as u64);
        let row = chunk_row(&chunk, key, size, now_ms());
        (chunk, row)
    }

    async fn insert_rows(&self, rows: Vec<ChunkRow>) {
        if rows.is_empty() {
            return;
        }
        let warehouse = &self.warehouse;
        let timer = runtime_metrics::flush_timer(GROUP, Sink::Warehouse);
        retry::until_ok("insert chunk rows", || warehouse.insert_chunks(rows.clone())).await;
        timer.observe_duration();
        runtime_metrics::rows_inserted(GROUP, "recording_chunks", rows.len());
    }

    /// Writes each series as one chunk and retires the small chunks it replaces: the merged
    /// blob, the merged rows, then the small rows are deleted; their blobs are deleted later
    /// ([`Self::delete_retired_blobs`]). A crash between any two steps leaves every batch in a
    /// listed chunk, at worst in two (which readers collapse).
    async fn merge(&self, to_merge: Vec<Series>, retired: &mut Vec<Retired>) {
        if to_merge.is_empty() {
            return;
        }
        let mut merged_rows = Vec::with_capacity(to_merge.len());
        let mut replaced: Vec<(ChunkRow, Vec<ChunkRow>)> = Vec::with_capacity(to_merge.len());
        for open in to_merge {
            let chunk = Chunk {
                project_id: open.project_id,
                session_id: open.session_id,
                window_id: open.window_id,
                batches: open.batches,
            };
            let at = (open.partition, None);
            let level = self.config.merge_zstd_level;
            let Some((_, row)) = self.put_chunk(chunk, open.first_received_ms, level, at).await else {
                continue;
            };
            merged_rows.push(row.clone());
            replaced.push((row, open.chunks));
        }
        crash::point("archiver.after_merge_put");
        self.insert_rows(merged_rows).await;
        crash::point("archiver.after_merge_rows");
        let mut delete_rows = Vec::new();
        for (merged, small) in replaced {
            let retire = retired_by(&merged, small);
            if retire.is_empty() {
                continue;
            }
            retired.push(Retired {
                due: Instant::now() + Duration::from_millis(self.config.retire_grace_ms),
                project_id: merged.project_id.clone(),
                session_id: merged.session_id.clone(),
                blob_keys: retire.iter().map(|row| row.blob_key.clone()).collect(),
            });
            delete_rows.extend(retire);
        }
        let count = delete_rows.len() as u64;
        let warehouse = &self.warehouse;
        retry::until_ok("delete retired chunk rows", || warehouse.delete_chunks(delete_rows.clone())).await;
        crash::point("archiver.after_retire_rows");
        metrics::CHUNKS_RETIRED.inc_by(count);
    }

    /// Deletes the blobs of retired chunks whose grace period is over, once the warehouse no
    /// longer lists them (a ClickHouse delete applies a little later); others wait another
    /// grace period. A blob left by a crash before this step has no row and is never read; the
    /// bucket's lifecycle rule removes it.
    async fn delete_retired_blobs(&self, retired: &mut Vec<Retired>) {
        let now = Instant::now();
        let mut waiting = Vec::with_capacity(retired.len());
        for mut entry in retired.drain(..) {
            if entry.due > now {
                waiting.push(entry);
                continue;
            }
            let listed: HashSet<String> =
                match self.warehouse.session_chunks(&entry.project_id, &entry.session_id).await {
                    Ok(rows) => rows.into_iter().map(|row| row.blob_key).collect(),
                    Err(error) => {
                        tracing::warn!(message = "retired chunks not checked", %error, session_id = %entry.session_id);
                        entry.due = now + Duration::from_millis(self.config.retire_grace_ms);
                        waiting.push(entry);
                        continue;
                    }
                };
            let mut left = Vec::new();
            for key in entry.blob_keys {
                if listed.contains(&key) {
                    left.push(key);
                    continue;
                }
                if let Err(error) = self.blobs.delete(&key).await {
                    tracing::warn!(message = "retired chunk blob not deleted", %error, key);
                    left.push(key);
                }
            }
            if !left.is_empty() {
                entry.blob_keys = left;
                entry.due = now + Duration::from_millis(self.config.retire_grace_ms);
                waiting.push(entry);
            }
        }
        *retired = waiting;
    }
}

/// Drops what this member holds of partitions it no longer owns: their buffered batches were
/// never committed, so the partition's new owner reads them again.
fn forget_revoked(owned: &[i32], buffers: &mut HashMap<TabKey, Buffer>, due: &mut Vec<Buffer>) {
    let before = buffers.len() + due.len();
    buffers.retain(|_, buffer| owned.contains(&buffer.partition));
    due.retain(|buffer| owned.contains(&buffer.partition));
    let dropped = before - buffers.len() - due.len();
    if dropped > 0 {
        tracing::info!(message = "buffers of revoked partitions dropped", count = dropped);
    }
}

/// Adds the chunks just written to their tabs' series, and takes out the series due for a
/// merge: a series ends where a written chunk starts at a FullSnapshot, or would pass
/// `chunk_target_bytes`; it is merged when it ends, when its tab has been idle for
/// `merge_idle_ms`, or when it has `merge_max_chunks` chunks. A series of one chunk needs no
/// merge and is dropped.
fn extend_series(
    series: &mut HashMap<TabKey, Series>,
    written: Vec<Written>,
    config: &ArchiverConfig,
    now: Instant,
) -> Vec<Series> {
    let mut ended = Vec::new();
    if config.merge_max_chunks <= 1 {
        return ended;
    }
    for written in written {
        let chunk = written.chunk;
        let key = (chunk.project_id.clone(), chunk.session_id.clone(), chunk.window_id.clone());
        let bytes: usize = chunk.batches.iter().map(|batch| batch.json.len()).sum();
        let starts_snapshot = chunk.batches.first().is_some_and(|batch| batch.starts_with_snapshot);
        if let Some(open) = series.get(&key) {
            if starts_snapshot || open.bytes + bytes > config.chunk_target_bytes {
                ended.extend(series.remove(&key));
            }
        }
        let open = series.entry(key).or_insert_with(|| Series {
            project_id: chunk.project_id,
            session_id: chunk.session_id,
            window_id: chunk.window_id,
            first_received_ms: written.first_received_ms,
            partition: written.partition,
            batches: Vec::new(),
            bytes: 0,
            chunks: Vec::new(),
            last_append: now,
        });
        open.last_append = now;
        for batch in chunk.batches {
            // A batch sent twice may sit in two small chunks; the merged chunk has it once.
            if open.batches.iter().any(|kept| kept.seq == batch.seq) {
                continue;
            }
            open.bytes += batch.json.len();
            open.batches.push(batch);
        }
        open.chunks.push(written.row);
    }
    let idle = Duration::from_millis(config.merge_idle_ms);
    let due: Vec<TabKey> = series
        .iter()
        .filter(|(_, open)| {
            open.chunks.len() >= config.merge_max_chunks || now.duration_since(open.last_append) >= idle
        })
        .map(|(key, _)| key.clone())
        .collect();
    for key in due {
        ended.extend(series.remove(&key));
    }
    ended.retain(|open| open.chunks.len() > 1);
    for open in &mut ended {
        open.batches.sort_by_key(|batch| batch.seq);
    }
    ended
}

/// The small chunks a merged chunk retires: all but one with the merged chunk's own identity
/// (which the merged row replaced in place).
fn retired_by(merged: &ChunkRow, small: Vec<ChunkRow>) -> Vec<ChunkRow> {
    small
        .into_iter()
        .filter(|row| {
            (row.window_id.as_str(), row.first_seq, row.last_seq)
                != (merged.window_id.as_str(), merged.first_seq, merged.last_seq)
        })
        .collect()
}

/// The warehouse row of `chunk` stored under `blob_key`: what the archiver inserts for a chunk
/// it wrote, and what `playback seed` inserts for its synthetic recordings.
pub fn chunk_row(chunk: &Chunk, blob_key: String, bytes: i64, created_at_ms: i64) -> ChunkRow {
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

    fn batch(seq: i64, snapshot: bool) -> BatchEvents {
        let json = if snapshot {
            format!(r#"[{{"type":4,"data":{{}},"timestamp":{seq}}},{{"type":2,"data":{{}},"timestamp":{seq}}}]"#)
        } else {
            format!(r#"[{{"type":3,"data":{{"source":1}},"timestamp":{seq}}}]"#)
        };
        BatchEvents::new(seq, json.into_bytes()).unwrap()
    }

    /// A small chunk of window `w` of session `s` just written, holding `seqs`.
    fn written(seqs: &[i64], snapshot_first: bool) -> Written {
        let batches: Vec<BatchEvents> =
            seqs.iter().enumerate().map(|(index, seq)| batch(*seq, snapshot_first && index == 0)).collect();
        let chunk = Chunk { project_id: "demo".into(), session_id: "s".into(), window_id: "w".into(), batches };
        let key = chunk.blob_key("2026-12-03");
        let row = chunk_row(&chunk, key, 10, 0);
        Written { chunk, first_received_ms: 0, partition: 0, row }
    }

    fn seqs(series: &Series) -> Vec<i64> {
        series.batches.iter().map(|batch| batch.seq).collect()
    }

    #[test]
    fn small_chunks_merge_when_the_tab_goes_idle() {
        let config = ArchiverConfig::default();
        let mut series = HashMap::new();
        let start = Instant::now();
        let mut now = start;
        for seq in 0..4 {
            now = start + Duration::from_secs(5 * seq as u64);
            assert!(extend_series(&mut series, vec![written(&[seq], seq == 0)], &config, now).is_empty());
        }
        // Not yet idle long enough.
        assert!(extend_series(&mut series, Vec::new(), &config, now + Duration::from_secs(29)).is_empty());
        let merged = extend_series(&mut series, Vec::new(), &config, now + Duration::from_secs(30));
        assert_eq!(merged.len(), 1);
        assert_eq!(seqs(&merged[0]), vec![0, 1, 2, 3]);
        assert_eq!(
            merged[0].chunks.iter().map(|row| (row.first_seq, row.last_seq)).collect::<Vec<_>>(),
            vec![(0, 0), (1, 1), (2, 2), (3, 3)]
        );
        assert!(merged[0].batches[0].starts_with_snapshot, "a merged chunk starts where its series did");
        assert!(series.is_empty());
        // Later batches of the tab start a new series; one chunk alone is not merged again.
        let later = now + Duration::from_secs(60);
        assert!(extend_series(&mut series, vec![written(&[4], false)], &config, later).is_empty());
        assert!(extend_series(&mut series, Vec::new(), &config, later + Duration::from_secs(30)).is_empty());
        assert!(series.is_empty());
    }

    #[test]
    fn a_full_snapshot_ends_the_series_before_it() {
        let config = ArchiverConfig::default();
        let mut series = HashMap::new();
        let now = Instant::now();
        extend_series(&mut series, vec![written(&[0, 1], true), written(&[2], false)], &config, now);
        let merged = extend_series(&mut series, vec![written(&[3], true), written(&[4], false)], &config, now);
        assert_eq!(merged.len(), 1);
        assert_eq!(seqs(&merged[0]), vec![0, 1, 2]);
        assert_eq!(seqs(&series[&("demo".to_string(), "s".to_string(), "w".to_string())]), vec![3, 4]);
    }

    #[test]
    fn series_are_bounded_by_count_and_size() {
        let config = ArchiverConfig { merge_max_chunks: 3, ..ArchiverConfig::default() };
        let mut series = HashMap::new();
        let now = Instant::now();
        assert!(extend_series(&mut series, vec![written(&[0], true), written(&[1], false)], &config, now).is_empty());
        let merged = extend_series(&mut series, vec![written(&[2], false)], &config, now);
        assert_eq!(merged.iter().map(seqs).collect::<Vec<_>>(), vec![vec![0, 1, 2]]);

        let one_batch = batch(0, false).json.len();
        let config = ArchiverConfig { chunk_target_bytes: 2 * one_batch, ..ArchiverConfig::default() };
        let mut series = HashMap::new();
        extend_series(&mut series, vec![written(&[5], false), written(&[6], false)], &config, now);
        let merged = extend_series(&mut series, vec![written(&[7], false)], &config, now);
        assert_eq!(merged.iter().map(seqs).collect::<Vec<_>>(), vec![vec![5, 6]]);

        let off = ArchiverConfig { merge_max_chunks: 1, ..ArchiverConfig::default() };
        let mut series = HashMap::new();
        let later = now + Duration::from_secs(3600);
        assert!(extend_series(&mut series, vec![written(&[0], true), written(&[1], false)], &off, now).is_empty());
        assert!(extend_series(&mut series, Vec::new(), &off, later).is_empty());
        assert!(series.is_empty(), "with merging off nothing is kept");
    }

    #[test]
    fn a_batch_in_two_small_chunks_is_merged_once_and_the_merged_row_is_not_retired() {
        let config = ArchiverConfig::default();
        let mut series = HashMap::new();
        let now = Instant::now();
        // A client retry put seq 1 in a second chunk, after the chunk that spans the series.
        extend_series(&mut series, vec![written(&[0, 1, 2], true), written(&[1], false)], &config, now);
        let merged = extend_series(&mut series, Vec::new(), &config, now + Duration::from_secs(30));
        assert_eq!(seqs(&merged[0]), vec![0, 1, 2]);
        let open = &merged[0];
        let chunk = Chunk {
            project_id: open.project_id.clone(),
            session_id: open.session_id.clone(),
            window_id: open.window_id.clone(),
            batches: open.batches.clone(),
        };
        let merged_row = chunk_row(&chunk, chunk.blob_key("2026-12-03"), 10, 1);
        let retired = retired_by(&merged_row, open.chunks.clone());
        assert_eq!(retired.iter().map(|row| (row.first_seq, row.last_seq)).collect::<Vec<_>>(), vec![(1, 1)]);
    }

    #[test]
    fn revoked_partitions_lose_their_buffers() {
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
        let mut due = vec![buffer(3, "d").1, buffer(2, "e").1];
        forget_revoked(&[1, 2], &mut buffers, &mut due);
        assert_eq!(buffers.keys().map(|key| key.1.as_str()).collect::<Vec<_>>(), vec!["b"]);
        assert_eq!(due.iter().map(|buffer| buffer.session_id.as_str()).collect::<Vec<_>>(), vec!["e"]);
    }
}
