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
