//! The archiver.
//!
//! Consumes: `playback.raw-batches` (group `archiver`).
//! Produces: zstd recording chunks (format v2, with the rrweb dictionary) in blob storage at
//! `{project}/{yyyy-mm-dd}/{session}/{window}-{first seq}-{last seq}`, and one
//! `recording_chunks` row each.
//! Guarantees: it buffers each tab's batches and commits, per partition, only offsets below the
//! oldest batch still in a buffer, so a crash replays exactly what was not yet in a chunk.
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
        let mut consumer = self.log.consumer(Topic::RawBatches, GROUP).await?;
        let mut buffers: HashMap<TabKey, Buffer> = HashMap::new();
        let mut series: HashMap<TabKey, Series> = HashMap::new();
        let mut retired: Vec<Retired> = Vec::new();
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
                    series.retain(|_, open| owned.contains(&open.partition));
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
            let written = self.flush(due).await;
            let to_merge = extend_series(&mut series, written, &self.config, Instant::now());
            self.merge(to_merge, &mut retired).await;
            self.delete_retired_blobs(&mut retired).await;
            metrics::BUFFERS_OPEN.set(buffers.len() as i64);
            self.commit_below_buffers(consumer.as_mut(), &buffers, &polled, &mut committed).await;
            if let Some(sample) = lag_probe.sample(consumer.as_mut()).await {
                metrics::record_lag(&sample);
            }
        }
    }

    fn buffer_record(&self, buffers: &mut HashMap<TabKey, Buffer>, record: &Record, due: &mut Vec<Buffer>) {
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
            let Some((chunk, row)) = self.put_chunk(chunk, buffer.first_received_ms, level).await else {
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
    /// stored; `None` when it cannot be encoded (logged).
    async fn put_chunk(&self, chunk: Chunk, first_received_ms: i64, level: i32) -> Option<(Chunk, ChunkRow)> {
        let date = chunk::date_of(first_received_ms);
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
                return None;
            }
            Err(error) => {
                tracing::error!(message = "chunk encoder failed", %error, key);
                return None;
            }
        };
        let size = bytes.len() as i64;
        let timer = metrics::FLUSH_SECONDS.with_label_values(&["blobs"]).start_timer();
        crash::point("archiver.before_put");
        retry::until_ok("put chunk", || self.blobs.put(&key, bytes.clone())).await;
        timer.observe_duration();
        metrics::CHUNKS.inc();
        metrics::CHUNK_BYTES.inc_by(size as u64);
        let row = chunk_row(&chunk, key, size, now_ms());
        Some((chunk, row))
    }

    async fn insert_rows(&self, rows: Vec<ChunkRow>) {
        if rows.is_empty() {
            return;
        }
        let warehouse = &self.warehouse;
        let timer = metrics::FLUSH_SECONDS.with_label_values(&["warehouse"]).start_timer();
        retry::until_ok("insert chunk rows", || warehouse.insert_chunks(rows.clone())).await;
        timer.observe_duration();
        metrics::ROWS_INSERTED.with_label_values(&["recording_chunks"]).inc_by(rows.len() as u64);
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
            let Some((_, row)) = self.put_chunk(chunk, open.first_received_ms, self.config.merge_zstd_level).await
            else {
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

    /// Commits each partition up to its oldest buffered record, or all it polled when nothing
    /// from it is buffered.
    async fn commit_below_buffers(
        &self,
        consumer: &mut dyn Consumer,
        buffers: &HashMap<TabKey, Buffer>,
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
    buffers: &mut HashMap<TabKey, Buffer>,
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
