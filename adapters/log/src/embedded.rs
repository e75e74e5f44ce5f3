//! The embedded event log: one SQLite file in WAL mode.
//!
//! A single writer thread owns the write connection and commits whatever publishes are waiting
//! in one transaction (group commit), with `synchronous=FULL`, so a publish that returned is on
//! disk. Consumers read through their own connections and are woken by a watch channel when
//! something is appended.
//!
//! Trimming ([`EventLog::trim`]) goes through the same writer thread, one batch of deletions
//! per turn, so a publish waits at most one batch behind it. The newest record of every
//! partition stays, since the next offset of a partition is read back from it on open. The
//! file is in `auto_vacuum=INCREMENTAL` mode, so freed pages go back to the file system
//! after a trim; a log created before that mode is converted by one `VACUUM` on its first trim.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use playback_schemas::now_ms;
use rusqlite::{params, Connection};
use tokio::sync::{mpsc, oneshot, watch};

use crate::{
    partition_for, Consumer, EventLog, KeyDeletion, KeyValues, LogError, Record, Topic, TrimOptions, TrimReport,
};

const MAX_GROUP_COMMIT: usize = 512;

/// Work on the write connection outside the publish transaction: one batch of a trim.
type Maintenance = Box<dyn FnOnce(&mut Connection) -> Result<u64, rusqlite::Error> + Send>;

enum WriteOp {
    Publish { topic: Topic, key: Vec<u8>, value: Vec<u8>, done: oneshot::Sender<Result<(), LogError>> },
    Commit { group: String, topic: Topic, offsets: Vec<(i32, i64)>, done: oneshot::Sender<Result<(), LogError>> },
    Maintain { work: Maintenance, done: oneshot::Sender<Result<u64, LogError>> },
}

/// The embedded event log.
pub struct SqliteLog {
    path: PathBuf,
    /// SQLCipher keys of the file, the current first; none for a plaintext file.
    keys: Arc<[[u8; 32]]>,
    partitions: i32,
    writes: mpsc::Sender<WriteOp>,
    appended: watch::Receiver<u64>,
}

fn storage(error: rusqlite::Error) -> LogError {
    LogError::storage_from("sqlite call failed", error)
}

/// A blocking SQLite call that did not finish (it panicked or the runtime shut down).
fn blocking_call_failed(error: tokio::task::JoinError) -> LogError {
    LogError::storage_from("blocking sqlite call failed", error)
}

fn open(path: &Path, keys: &[[u8; 32]]) -> Result<Connection, LogError> {
    let connection = playback_sqlcipher::open(path, keys).map_err(storage)?;
    connection
        .execute_batch(
            "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA secure_delete=ON;
             CREATE TABLE IF NOT EXISTS log (
                 topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
                 key BLOB NOT NULL, value BLOB NOT NULL, ts INTEGER NOT NULL,
                 PRIMARY KEY (topic, partition, offset)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS committed (
                 grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
                 next_offset INTEGER NOT NULL, PRIMARY KEY (grp, topic, partition)) WITHOUT ROWID;",
        )
        .map_err(storage)?;
    Ok(connection)
}

impl SqliteLog {
    /// Opens (or creates) the log at `path` with `partitions` partitions per topic, a plaintext
    /// SQLite file.
    pub fn open(path: impl Into<PathBuf>, partitions: i32) -> Result<Self, LogError> {
        Self::open_encrypted(path, partitions, &[])
    }

    /// Opens (or creates) the log at `path`, encrypted with SQLCipher under `keys[0]` (a file
    /// under a later key is rekeyed; a plaintext file is encrypted in place).
    pub fn open_encrypted(path: impl Into<PathBuf>, partitions: i32, keys: &[[u8; 32]]) -> Result<Self, LogError> {
        let path = path.into();
        let keys: Arc<[[u8; 32]]> = Arc::from(keys);
        let connection = open(&path, &keys)?;
        let mut next: HashMap<(Topic, i32), i64> = HashMap::new();
        {
            let mut statement = connection
                .prepare("SELECT topic, partition, MAX(offset) FROM log GROUP BY topic, partition")
                .map_err(storage)?;
            let rows = statement
                .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i32>(1)?, row.get::<_, i64>(2)?)))
                .map_err(storage)?;
            for row in rows {
                let (name, partition, max_offset) = row.map_err(storage)?;
                if let Some(topic) = Topic::from_name(&name) {
                    next.insert((topic, partition), max_offset + 1);
                }
            }
            // Records may have been deleted from the end of a partition (deletion on request):
            // offsets are never given out again below what a group has committed.
            let mut committed_statement = connection
                .prepare("SELECT topic, partition, MAX(next_offset) FROM committed GROUP BY topic, partition")
                .map_err(storage)?;
            let committed_rows = committed_statement
                .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i32>(1)?, row.get::<_, i64>(2)?)))
                .map_err(storage)?;
            for row in committed_rows {
                let (name, partition, committed) = row.map_err(storage)?;
                if let Some(topic) = Topic::from_name(&name) {
                    let entry = next.entry((topic, partition)).or_insert(0);
                    *entry = (*entry).max(committed);
                }
            }
        }
        let partitions = partitions.max(1);
        let (writes, receiver) = mpsc::channel::<WriteOp>(4096);
        let (appended_tx, appended) = watch::channel(0u64);
        std::thread::Builder::new()
            .name("playback-log-writer".into())
            .spawn(move || writer_loop(connection, receiver, next, partitions, appended_tx))
            .map_err(|error| LogError::storage_from("cannot start the log writer", error))?;
        Ok(SqliteLog { path, keys, partitions, writes, appended })
    }

    async fn submit(&self, op: WriteOp, done: oneshot::Receiver<Result<(), LogError>>) -> Result<(), LogError> {
        self.writes.send(op).await.map_err(|_| LogError::unavailable("log writer stopped"))?;
        done.await.map_err(|_| LogError::unavailable("log writer stopped"))?
    }
}

fn writer_loop(
    mut connection: Connection,
    mut receiver: mpsc::Receiver<WriteOp>,
    mut next: HashMap<(Topic, i32), i64>,
    partitions: i32,
    appended: watch::Sender<u64>,
) {
    while let Some(first) = receiver.blocking_recv() {
        let mut ops = vec![first];
        while ops.len() < MAX_GROUP_COMMIT {
            match receiver.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        // A trim's batch runs on its own, outside the publish transaction.
        let mut writes = Vec::with_capacity(ops.len());
        for op in ops {
            match op {
                WriteOp::Maintain { work, done } => {
                    let _ = done.send(work(&mut connection).map_err(storage));
                }
                other => writes.push(other),
            }
        }
        let ops = writes;
        if ops.is_empty() {
            continue;
        }
        let mut assigned = next.clone();
        let result = write_ops(&mut connection, &ops, &mut assigned, partitions);
        let published = ops.iter().any(|op| matches!(op, WriteOp::Publish { .. }));
        if result.is_ok() {
            next = assigned;
        }
        for op in ops {
            // One error answers every op of the batch, so each gets its message.
            let reply =
                result.as_ref().map(|_| ()).map_err(|error| LogError::storage_from("write failed", error.to_string()));
            match op {
                WriteOp::Publish { done, .. } | WriteOp::Commit { done, .. } => {
                    let _ = done.send(reply);
                }
                WriteOp::Maintain { done, .. } => {
                    let _ = done.send(Err(LogError::storage("maintenance in a publish batch")));
                }
            }
        }
        if published && result.is_ok() {
            appended.send_modify(|count| *count += 1);
        }
    }
}

fn write_ops(
    connection: &mut Connection,
    ops: &[WriteOp],
    next: &mut HashMap<(Topic, i32), i64>,
    partitions: i32,
) -> Result<(), rusqlite::Error> {
    let transaction = connection.transaction()?;
    let timestamp = now_ms();
    for op in ops {
        match op {
            WriteOp::Publish { topic, key, value, .. } => {
                let partition = partition_for(key, partitions);
                let offset = next.entry((*topic, partition)).or_insert(0);
                transaction.execute(
                    "INSERT INTO log (topic, partition, offset, key, value, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![topic.name(), partition, *offset, key, value, timestamp],
                )?;
                *offset += 1;
            }
            WriteOp::Maintain { .. } => {}
            WriteOp::Commit { group, topic, offsets, .. } => {
                for (partition, next_offset) in offsets {
                    transaction.execute(
                        "INSERT INTO committed (grp, topic, partition, next_offset) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (grp, topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
                        params![group, topic.name(), partition, next_offset],
                    )?;
                }
            }
        }
    }
    transaction.commit()
}

#[async_trait]
impl EventLog for SqliteLog {
    async fn publish(&self, topic: Topic, key: &[u8], value: Vec<u8>) -> Result<(), LogError> {
        let (done, wait) = oneshot::channel();
        self.submit(WriteOp::Publish { topic, key: key.to_vec(), value, done }, wait).await
    }

    async fn consumer(&self, topic: Topic, group: &str) -> Result<Box<dyn Consumer>, LogError> {
        let path = self.path.clone();
        let keys = Arc::clone(&self.keys);
        let group_name = group.to_string();
        let (connection, positions) = tokio::task::spawn_blocking(move || -> Result<_, LogError> {
            let connection = open(&path, &keys)?;
            let mut positions = HashMap::new();
            {
                let mut statement = connection
                    .prepare("SELECT partition, next_offset FROM committed WHERE grp = ?1 AND topic = ?2")
                    .map_err(storage)?;
                let rows = statement
                    .query_map(params![group_name, topic.name()], |row| {
                        Ok((row.get::<_, i32>(0)?, row.get::<_, i64>(1)?))
                    })
                    .map_err(storage)?;
                for row in rows {
                    let (partition, next_offset) = row.map_err(storage)?;
                    positions.insert(partition, next_offset);
                }
            }
            Ok((connection, positions))
        })
        .await
        .map_err(blocking_call_failed)??;
        Ok(Box::new(SqliteConsumer {
            topic,
            group: group.to_string(),
            connection: Arc::new(Mutex::new(connection)),
            positions,
            partitions: self.partitions,
            writes: self.writes.clone(),
            appended: self.appended.clone(),
        }))
    }

    async fn partitions(&self, _topic: Topic) -> Result<i32, LogError> {
        Ok(self.partitions)
    }

    async fn trim(&self, options: &TrimOptions) -> Result<TrimReport, LogError> {
        let mut report = TrimReport { bytes_before: self.bytes_on_disk(), ..TrimReport::default() };
        let batch = options.batch_rows.max(1);
        for topic in Topic::ALL {
            let mut removed = 0u64;
            for (partition, offsets) in self.trimmable(topic, options.before_ms).await? {
                if options.dry_run {
                    removed += offsets.len() as u64;
                    continue;
                }
                for step in offsets.chunks(batch) {
                    let step = step.to_vec();
                    removed += self
                        .maintain(move |connection| {
                            let transaction = connection.transaction()?;
                            let mut count = 0;
                            {
                                let mut delete = transaction.prepare_cached(
                                    "DELETE FROM log WHERE topic = ?1 AND partition = ?2 AND offset = ?3",
                                )?;
                                for offset in step {
                                    count += delete.execute(params![topic.name(), partition, offset])? as u64;
                                }
                            }
                            transaction.commit()?;
                            Ok(count)
                        })
                        .await?;
                }
            }
            report.removed.push((topic, removed));
        }
        if !options.dry_run {
            self.maintain(reclaim).await?;
        }
        report.bytes_after = self.bytes_on_disk();
        Ok(report)
    }

    async fn delete_key(&self, topic: Topic, key: &[u8], dry_run: bool) -> Result<KeyDeletion, LogError> {
        let path = self.path.clone();
        let keys = Arc::clone(&self.keys);
        let key = key.to_vec();
        tokio::task::spawn_blocking(move || -> Result<KeyDeletion, LogError> {
            let connection = open(&path, &keys)?;
            // Freed cells and pages are overwritten with zeros (`secure_delete`, set by `open`),
            // and the write-ahead log, which holds the pages as they were, is emptied after.
            let removed = if dry_run {
                connection
                    .query_row(
                        "SELECT COUNT(*) FROM log WHERE topic = ?1 AND key = ?2",
                        params![topic.name(), key],
                        |row| row.get::<_, i64>(0),
                    )
                    .map_err(storage)?
                    .max(0) as u64
            } else {
                let removed = connection
                    .execute("DELETE FROM log WHERE topic = ?1 AND key = ?2", params![topic.name(), key])
                    .map_err(storage)? as u64;
                truncate_wal(&connection).map_err(storage)?;
                removed
            };
            Ok(KeyDeletion { removed, not_removed: None })
        })
        .await
        .map_err(blocking_call_failed)?
    }

    async fn read_compacted(&self, topic: Topic) -> Result<KeyValues, LogError> {
        let path = self.path.clone();
        let keys = Arc::clone(&self.keys);
        tokio::task::spawn_blocking(move || -> Result<_, LogError> {
            let connection = open(&path, &keys)?;
            let mut statement = connection
                .prepare("SELECT key, value FROM log WHERE topic = ?1 ORDER BY partition, offset")
                .map_err(storage)?;
            let rows = statement
                .query_map(params![topic.name()], |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?)))
                .map_err(storage)?;
            let mut newest: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            for row in rows {
                let (key, value) = row.map_err(storage)?;
                if value.is_empty() {
                    newest.remove(&key);
                } else {
                    newest.insert(key, value);
                }
            }
            Ok(newest.into_iter().collect())
        })
        .await
        .map_err(blocking_call_failed)?
    }
}

impl SqliteLog {
    /// Runs `work` on the writer thread, between publish batches.
    async fn maintain(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<u64, rusqlite::Error> + Send + 'static,
    ) -> Result<u64, LogError> {
        let (done, wait) = oneshot::channel();
        let op = WriteOp::Maintain { work: Box::new(work), done };
        self.writes.send(op).await.map_err(|_| LogError::unavailable("log writer stopped"))?;
        wait.await.map_err(|_| LogError::unavailable("log writer stopped"))?
    }

    /// The size of the log's file and its write-ahead log.
    fn bytes_on_disk(&self) -> u64 {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let size = |path: &Path| std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0);
        size(&self.path) + size(Path::new(&wal))
    }

    /// The offsets of `topic` that a trim removes, per partition, in ascending order.
    async fn trimmable(&self, topic: Topic, before_ms: i64) -> Result<Vec<(i32, Vec<i64>)>, LogError> {
        let path = self.path.clone();
        let keys = Arc::clone(&self.keys);
        tokio::task::spawn_blocking(move || {
            let connection = open(&path, &keys)?;
            trimmable_offsets(&connection, topic, before_ms).map_err(storage)
        })
        .await
        .map_err(blocking_call_failed)?
    }
}

/// Per partition of `topic`: the offsets of the records that were appended before
/// `before_ms`, that every group committed past, that are not the partition's newest, and, on
/// a compacted topic, that a newer record of their key replaces (or that are a tombstone).
/// A topic no group reads keeps everything, unless it is compacted.
fn trimmable_offsets(
    connection: &Connection,
    topic: Topic,
    before_ms: i64,
) -> Result<Vec<(i32, Vec<i64>)>, rusqlite::Error> {
    let mut groups: Vec<String> = Vec::new();
    {
        let mut statement = connection.prepare("SELECT DISTINCT grp FROM committed WHERE topic = ?1")?;
        for group in statement.query_map(params![topic.name()], |row| row.get::<_, String>(0))? {
            groups.push(group?);
        }
    }
    if groups.is_empty() && !topic.is_compacted() {
        return Ok(Vec::new());
    }
    let mut partitions: Vec<(i32, i64)> = Vec::new();
    {
        let mut statement =
            connection.prepare("SELECT partition, MAX(offset) FROM log WHERE topic = ?1 GROUP BY partition")?;
        for row in statement.query_map(params![topic.name()], |row| Ok((row.get(0)?, row.get(1)?)))? {
            partitions.push(row?);
        }
    }
    let mut committed =
        connection.prepare("SELECT next_offset FROM committed WHERE grp = ?1 AND topic = ?2 AND partition = ?3")?;
    let mut trimmable = Vec::new();
    for (partition, newest) in partitions {
        // Below every group's committed offset, and below the newest record.
        let mut bound = newest;
        for group in &groups {
            let next: Option<i64> =
                committed.query_map(params![group, topic.name(), partition], |row| row.get(0))?.next().transpose()?;
            bound = bound.min(next.unwrap_or(0));
        }
        let mut offsets = Vec::new();
        if topic.is_compacted() {
            let mut statement = connection.prepare_cached(
                "SELECT offset, key, length(value) = 0, ts FROM log WHERE topic = ?1 AND partition = ?2 \
                 AND offset < ?3 ORDER BY offset",
            )?;
            let rows = statement.query_map(params![topic.name(), partition, bound], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?, row.get::<_, bool>(2)?, row.get::<_, i64>(3)?))
            })?;
            let mut records = Vec::new();
            for row in rows {
                records.push(row?);
            }
            // The newest offset of each key in the whole partition, not only below the bound.
            let mut newest_of_key: HashMap<Vec<u8>, i64> = HashMap::new();
            let mut keys = connection
                .prepare_cached("SELECT key, MAX(offset) FROM log WHERE topic = ?1 AND partition = ?2 GROUP BY key")?;
            for row in keys.query_map(params![topic.name(), partition], |row| Ok((row.get(0)?, row.get(1)?)))? {
                let (key, offset) = row?;
                newest_of_key.insert(key, offset);
            }
            for (offset, key, tombstone, ts) in records {
                let replaced = newest_of_key.get(&key).is_some_and(|newest| *newest > offset);
                if ts < before_ms && (replaced || tombstone) {
                    offsets.push(offset);
                }
            }
        } else {
            let mut statement = connection.prepare_cached(
                "SELECT offset FROM log WHERE topic = ?1 AND partition = ?2 AND offset < ?3 AND ts < ?4 ORDER BY offset",
            )?;
            for offset in statement.query_map(params![topic.name(), partition, bound, before_ms], |row| row.get(0))? {
                offsets.push(offset?);
            }
        }
        if !offsets.is_empty() {
            trimmable.push((partition, offsets));
        }
    }
    Ok(trimmable)
}

/// Gives freed pages back to the file system: converts a log created before incremental
/// auto-vacuum with one `VACUUM`, then truncates the write-ahead log.
fn reclaim(connection: &mut Connection) -> Result<u64, rusqlite::Error> {
    let mode: i64 = connection.query_row("PRAGMA auto_vacuum", [], |row| row.get(0))?;
    if mode == 0 {
        connection.execute_batch("PRAGMA auto_vacuum=INCREMENTAL; VACUUM;")?;
    } else {
        // Each step of the statement frees pages; it is done when it returns no more rows.
        let mut statement = connection.prepare("PRAGMA incremental_vacuum")?;
        let mut rows = statement.query([])?;
        while rows.next()?.is_some() {}
    }
    connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(0)
}

/// A consumer of the embedded log. Every consumer of a group reads every partition: the
/// embedded log runs one process, so a group has one member.
struct SqliteConsumer {
    topic: Topic,
    group: String,
    /// Shared with the blocking task of a read, so a poll that is cancelled (dropped while it
    /// waits) leaves the consumer usable; its records are read again by the next poll.
    connection: Arc<Mutex<Connection>>,
    /// Next offset to read, per partition.
    positions: HashMap<i32, i64>,
    /// Every partition of the topic, all owned by this consumer.
    partitions: i32,
    writes: mpsc::Sender<WriteOp>,
    appended: watch::Receiver<u64>,
}

impl SqliteConsumer {
    async fn read(&mut self, max_records: usize) -> Result<Vec<Record>, LogError> {
        let connection = Arc::clone(&self.connection);
        let topic = self.topic;
        let positions = self.positions.clone();
        let records = tokio::task::spawn_blocking(move || {
            let connection = connection.lock().map_err(|_| LogError::storage("consumer connection poisoned"))?;
            read_after(&connection, topic, &positions, max_records).map_err(storage)
        })
        .await
        .map_err(blocking_call_failed)??;
        for record in &records {
            self.positions.insert(record.partition, record.offset + 1);
        }
        Ok(records)
    }
}

fn read_after(
    connection: &Connection,
    topic: Topic,
    positions: &HashMap<i32, i64>,
    max_records: usize,
) -> Result<Vec<Record>, rusqlite::Error> {
    let mut partitions: Vec<i32> = Vec::new();
    {
        let mut statement = connection.prepare_cached("SELECT DISTINCT partition FROM log WHERE topic = ?1")?;
        let rows = statement.query_map(params![topic.name()], |row| row.get::<_, i32>(0))?;
        for row in rows {
            partitions.push(row?);
        }
    }
    let mut records = Vec::new();
    let mut statement = connection.prepare_cached(
        "SELECT offset, key, value, ts FROM log WHERE topic = ?1 AND partition = ?2 AND offset >= ?3
         ORDER BY offset LIMIT ?4",
    )?;
    for partition in partitions {
        if records.len() >= max_records {
            break;
        }
        let from = positions.get(&partition).copied().unwrap_or(0);
        let remaining = (max_records - records.len()) as i64;
        let rows = statement.query_map(params![topic.name(), partition, from, remaining], |row| {
            Ok(Record {
                partition,
                offset: row.get(0)?,
                key: row.get(1)?,
                value: row.get(2)?,
                timestamp_ms: row.get(3)?,
            })
        })?;
        for row in rows {
            records.push(row?);
        }
    }
    Ok(records)
}

#[async_trait]
impl Consumer for SqliteConsumer {
    async fn poll(&mut self, max_records: usize, timeout: Duration) -> Result<Vec<Record>, LogError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            self.appended.borrow_and_update();
            let records = self.read(max_records.max(1)).await?;
            if !records.is_empty() {
                return Ok(records);
            }
            // Woken by an append in this process; the timeout also covers other processes
            // writing the same file.
            let wake = tokio::time::timeout_at(
                deadline.min(tokio::time::Instant::now() + Duration::from_millis(500)),
                self.appended.changed(),
            )
            .await;
            if tokio::time::Instant::now() >= deadline {
                return Ok(Vec::new());
            }
            if let Ok(Err(_)) = wake {
                return Err(LogError::unavailable("log writer stopped"));
            }
        }
    }

    async fn commit(&mut self, next_offsets: &[(i32, i64)]) -> Result<(), LogError> {
        let (done, wait) = oneshot::channel();
        let op = WriteOp::Commit { group: self.group.clone(), topic: self.topic, offsets: next_offsets.to_vec(), done };
        self.writes.send(op).await.map_err(|_| LogError::unavailable("log writer stopped"))?;
        wait.await.map_err(|_| LogError::unavailable("log writer stopped"))?
    }

    async fn assignment(&mut self) -> Result<Vec<i32>, LogError> {
        Ok((0..self.partitions).collect())
    }

    async fn lag(&mut self) -> Result<Vec<(i32, i64)>, LogError> {
        let connection = Arc::clone(&self.connection);
        let topic = self.topic;
        let partitions = self.partitions;
        let ends = tokio::task::spawn_blocking(move || {
            let connection = connection.lock().map_err(|_| LogError::storage("consumer connection poisoned"))?;
            end_offsets(&connection, topic, partitions).map_err(storage)
        })
        .await
        .map_err(blocking_call_failed)??;
        let mut lag = Vec::with_capacity(ends.len());
        for (partition, end) in ends {
            let position = self.positions.get(&partition).copied().unwrap_or(0);
            lag.push((partition, (end - position).max(0)));
        }
        Ok(lag)
    }
}

/// Per partition, the offset the next record gets: `MAX(offset) + 1`, or 0 when it is empty.
/// One query per partition, so each is a single lookup at the end of the primary key.
fn end_offsets(connection: &Connection, topic: Topic, partitions: i32) -> Result<Vec<(i32, i64)>, rusqlite::Error> {
    let mut statement = connection.prepare_cached("SELECT MAX(offset) FROM log WHERE topic = ?1 AND partition = ?2")?;
    let mut ends = Vec::with_capacity(partitions.max(0) as usize);
    for partition in 0..partitions {
        let max_offset: Option<i64> = statement.query_row(params![topic.name(), partition], |row| row.get(0))?;
        ends.push((partition, max_offset.map_or(0, |offset| offset + 1)));
    }
    Ok(ends)
}

/// Checkpoints the write-ahead log and truncates it to nothing, retrying while a reader still
/// holds an older snapshot (for up to about a second; a later checkpoint then overwrites it).
fn truncate_wal(connection: &Connection) -> Result<(), rusqlite::Error> {
    for _ in 0..100 {
        let busy: i64 = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    tracing::warn!(message = "the write-ahead log is still read; deleted records stay in it until the next checkpoint");
    Ok(())
}

/// Reads a group's committed offsets; for tools and tests.
pub fn committed_offsets(path: &Path, group: &str, topic: Topic) -> Result<Vec<(i32, i64)>, LogError> {
    let connection = open(path, &[])?;
    let mut statement = connection
        .prepare("SELECT partition, next_offset FROM committed WHERE grp = ?1 AND topic = ?2 ORDER BY partition")
        .map_err(storage)?;
    let rows =
        statement.query_map(params![group, topic.name()], |row| Ok((row.get(0)?, row.get(1)?))).map_err(storage)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(storage)?);
    }
    Ok(out)
}
