use playback_log::embedded::SqliteLog;
use playback_log::{conformance, partition_for, EventLog, Topic};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_log_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(dir.path().join("log.db"), 1).unwrap();
    conformance::run_all(&log, "embedded").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_log_with_partitions_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(dir.path().join("log.db"), 4).unwrap();
    conformance::run_all(&log, "partitioned").await;
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
