//! Deleting the records of one key from the embedded log.

use std::time::Duration;

use playback_log::embedded::SqliteLog;
use playback_log::{EventLog, Topic};

/// Every byte of the files of the log at `path` (the database and its write-ahead log).
fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).expect("read the log");
    let wal = path.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        bytes.extend(more);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_records_of_a_key_are_deleted_and_leave_no_bytes_behind() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("log.db");
    let log = SqliteLog::open(&path, 1).expect("open");
    let secret = b"secret-value-of-the-deleted-session".to_vec();
    log.publish(Topic::RawBatches, b"p/kept", b"kept-1".to_vec()).await.expect("publish");
    log.publish(Topic::RawBatches, b"p/gone", secret.clone()).await.expect("publish");
    log.publish(Topic::RawBatches, b"p/kept", b"kept-2".to_vec()).await.expect("publish");
    log.publish(Topic::RawBatches, b"p/gone", secret.clone()).await.expect("publish");
    let mut consumer = log.consumer(Topic::RawBatches, "g").await.expect("consumer");
    let read = consumer.poll(10, Duration::from_secs(5)).await.expect("poll");
    assert_eq!(read.len(), 4);
    consumer.commit(&playback_log::next_offsets(&read)).await.expect("commit");

    let counted = log.delete_key(Topic::RawBatches, b"p/gone", true).await.expect("dry run");
    assert_eq!((counted.removed, counted.not_removed), (2, None), "a dry run counts");
    let removed = log.delete_key(Topic::RawBatches, b"p/gone", false).await.expect("delete");
    assert_eq!((removed.removed, removed.not_removed), (2, None));
    assert!(!contains(&file_bytes(&path), &secret), "the deleted value is not in the files");
    let again = log.delete_key(Topic::RawBatches, b"p/gone", false).await.expect("delete again");
    assert_eq!(again.removed, 0);

    let mut fresh = log.consumer(Topic::RawBatches, "fresh").await.expect("consumer");
    let left = fresh.poll(10, Duration::from_secs(5)).await.expect("poll");
    let values: Vec<&[u8]> = left.iter().map(|record| record.value.as_slice()).collect();
    assert_eq!(values, vec![b"kept-1".as_slice(), b"kept-2".as_slice()], "the other key keeps its records");
    drop((consumer, fresh, log));

    // The deleted record was the last of its partition: a reopened log does not give its offset
    // out again, which the group has committed past.
    let reopened = SqliteLog::open(&path, 1).expect("reopen");
    reopened.publish(Topic::RawBatches, b"p/kept", b"kept-3".to_vec()).await.expect("publish");
    let mut resumed = reopened.consumer(Topic::RawBatches, "g").await.expect("consumer");
    let next = resumed.poll(10, Duration::from_secs(5)).await.expect("poll");
    let values: Vec<&[u8]> = next.iter().map(|record| record.value.as_slice()).collect();
    assert_eq!(values, vec![b"kept-3".as_slice()], "the group reads the record published after the deletion");
    assert_eq!(next[0].offset, 4);
}
