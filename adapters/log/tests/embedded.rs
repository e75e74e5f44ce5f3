//! The embedded log: the conformance suite with one and with four partitions, and durability.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use playback_log::embedded::SqliteLog;
use playback_log::{conformance, partition_for, EventLog, Topic};

/// Runs `check` on a log of its own, in a file of its own, with `partitions` partitions.
async fn in_own_file(partitions: i32, check: conformance::Check) {
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(dir.path().join("log.db"), partitions).unwrap();
    check(Arc::new(log), format!("embedded-{partitions}")).await;
}

async fn one_partition(check: conformance::Check) {
    in_own_file(1, check).await;
}

async fn four_partitions(check: conformance::Check) {
    in_own_file(4, check).await;
}

mod conformance_one_partition {
    playback_log::log_conformance_suite!(super::one_partition);
}

mod conformance_four_partitions {
    playback_log::log_conformance_suite!(super::four_partitions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_records_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db");
    {
        let log = SqliteLog::open(&path, 1).unwrap();
        for index in 0..10u8 {
            log.publish(Topic::RawBatches, b"k", vec![index]).await.unwrap();
        }
    }
    let log = SqliteLog::open(&path, 1).unwrap();
    log.publish(Topic::RawBatches, b"k", vec![10]).await.unwrap();
    let mut consumer = log.consumer(Topic::RawBatches, "g").await.unwrap();
    let records = consumer.poll(100, std::time::Duration::from_secs(1)).await.unwrap();
    let values: Vec<u8> = records.iter().map(|record| record.value[0]).collect();
    assert_eq!(values, (0..=10).collect::<Vec<u8>>());
    let offsets: Vec<i64> = records.iter().map(|record| record.offset).collect();
    assert_eq!(offsets, (0..=10).collect::<Vec<i64>>(), "offsets continue after reopen");
}

#[test]
fn partitioning_is_stable() {
    assert_eq!(partition_for(b"session-1", 1), 0);
    let first = partition_for(b"session-1", 8);
    assert_eq!(first, partition_for(b"session-1", 8));
    assert!((0..8).contains(&first));
}

fn trim_all(dry_run: bool) -> playback_log::TrimOptions {
    playback_log::TrimOptions { before_ms: i64::MAX, dry_run, batch_rows: 3 }
}

fn removed(report: &playback_log::TrimReport, topic: Topic) -> u64 {
    report.removed.iter().filter(|(of, _)| *of == topic).map(|(_, count)| *count).sum()
}

#[tokio::test]
async fn a_trim_keeps_what_a_group_has_not_read_and_the_newest_value_of_each_key() {
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(dir.path().join("log.db"), 1).unwrap();
    for index in 0..10 {
        log.publish(Topic::RawBatches, b"p/s", format!("batch {index}").into_bytes()).await.unwrap();
    }
    let mut ahead = log.consumer(Topic::RawBatches, "ahead").await.unwrap();
    ahead.commit(&[(0, 10)]).await.unwrap();
    let mut behind = log.consumer(Topic::RawBatches, "behind").await.unwrap();
    behind.commit(&[(0, 4)]).await.unwrap();
    for (key, value) in [("p/a", "1"), ("p/b", "1"), ("p/a", "2"), ("p/b", ""), ("p/c", "1")] {
        log.publish(Topic::SessionizerState, key.as_bytes(), value.as_bytes().to_vec()).await.unwrap();
    }

    let dry = log.trim(&trim_all(true)).await.unwrap();
    let real = log.trim(&trim_all(false)).await.unwrap();
    assert_eq!(dry.removed, real.removed, "a dry run counts what the trim removes");
    assert_eq!(removed(&real, Topic::RawBatches), 4, "only what the slower group has read");
    assert_eq!(removed(&real, Topic::SessionizerState), 3, "replaced values and the tombstone");
    let mut state = log.read_compacted(Topic::SessionizerState).await.unwrap();
    state.sort();
    assert_eq!(state, vec![(b"p/a".to_vec(), b"2".to_vec()), (b"p/c".to_vec(), b"1".to_vec())]);

    let mut late = log.consumer(Topic::RawBatches, "behind").await.unwrap();
    let records = late.poll(100, std::time::Duration::from_millis(500)).await.unwrap();
    let offsets: Vec<i64> = records.iter().map(|record| record.offset).collect();
    assert_eq!(offsets, (4..10).collect::<Vec<i64>>(), "the slower group reads on where it was");
    let none = log.trim(&playback_log::TrimOptions { before_ms: 0, ..trim_all(false) }).await.unwrap();
    assert_eq!(removed(&none, Topic::RawBatches), 0, "nothing is older than the epoch");
}

#[tokio::test]
async fn a_log_from_before_incremental_vacuum_is_converted_and_shrinks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db");
    {
        // The tables as an older Playback created them, without auto_vacuum.
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .execute_batch(
                "PRAGMA journal_mode=WAL;
                 CREATE TABLE log (topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
                     key BLOB NOT NULL, value BLOB NOT NULL, ts INTEGER NOT NULL,
                     PRIMARY KEY (topic, partition, offset)) WITHOUT ROWID;
                 CREATE TABLE committed (grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
                     next_offset INTEGER NOT NULL, PRIMARY KEY (grp, topic, partition)) WITHOUT ROWID;",
            )
            .unwrap();
    }
    let log = SqliteLog::open(&path, 1).unwrap();
    for _ in 0..500 {
        log.publish(Topic::RawBatches, b"p/s", vec![b'x'; 4_096]).await.unwrap();
    }
    let mut consumer = log.consumer(Topic::RawBatches, "reader").await.unwrap();
    consumer.commit(&[(0, 500)]).await.unwrap();
    let report = log.trim(&trim_all(false)).await.unwrap();
    assert_eq!(removed(&report, Topic::RawBatches), 499);
    assert!(report.bytes_after * 10 < report.bytes_before, "{} bytes of {}", report.bytes_after, report.bytes_before);
    let connection = rusqlite::Connection::open(&path).unwrap();
    let mode: i64 = connection.query_row("PRAGMA auto_vacuum", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, 2, "incremental from now on");
}
