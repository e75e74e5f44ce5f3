//! The conformance suite that every [`EventLog`] implementation passes.
//!
//! [`log_conformance_suite!`](crate::log_conformance_suite) expands to one test per check, so
//! one failing check does not hide the others. Each test builds its own log through a world
//! function, and each check names its keys and groups after a unique prefix, so the suite can
//! run against a shared server. Compiled for tests only (the `testsuite` feature).

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::{next_offsets, partition_for, EventLog, Record, Topic};

const WAIT: Duration = Duration::from_secs(10);

/// One check of the suite, handed to a world function: it runs against the log it is given,
/// naming its keys and groups after the unique prefix.
pub type Check = Box<dyn FnOnce(Arc<dyn EventLog>, String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// One `#[tokio::test]` per check of the suite.
///
/// `$world` is an async function that takes a [`Check`], builds a fresh log (its own file, or
/// its own topics on a shared broker), runs the check on it and cleans up. Without its server
/// it returns without running the check, or fails when `PLAYBACK_REQUIRE_REAL_BACKENDS=1`.
/// Expand it once per implementation, each in a module of its own:
///
/// ```ignore
/// mod one_partition {
///     playback_log::log_conformance_suite!(super::one_partition);
/// }
/// ```
#[macro_export]
macro_rules! log_conformance_suite {
    ($world:expr) => {
        $crate::log_conformance_suite!(@tests $world;
            publish_then_consume_in_key_order,
            uncommitted_records_are_delivered_again,
            groups_are_independent,
            compacted_read_keeps_newest_value,
            keys_land_in_their_partitions,
            lag_counts_records_after_the_position,
        );
    };
    (@tests $world:expr; $($check:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let check: $crate::conformance::Check = ::std::boxed::Box::new(|log, unique| {
                    ::std::boxed::Box::pin(async move { $crate::conformance::$check(&*log, &unique).await })
                });
                ($world)(check).await;
            }
        )+
    };
}

/// Polls until `enough` holds for what arrived, then returns it; gives up after [`WAIT`].
async fn drain(consumer: &mut dyn crate::Consumer, enough: impl Fn(&[Record]) -> bool) -> Vec<Record> {
    let mut records = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !enough(&records) && tokio::time::Instant::now() < deadline {
        let batch = consumer.poll(1000, Duration::from_millis(500)).await.expect("poll");
        records.extend(batch);
    }
    records
}

/// How many of `records` carry `key`.
fn count_key(records: &[Record], key: &str) -> usize {
    records.iter().filter(|record| record.key == key.as_bytes()).count()
}

/// Records of one key come back in publish order, each exactly once per poll sequence.
pub async fn publish_then_consume_in_key_order(log: &dyn EventLog, unique: &str) {
    let key = format!("{unique}-order");
    for index in 0..20u32 {
        log.publish(Topic::SessionUpdates, key.as_bytes(), index.to_be_bytes().to_vec()).await.expect("publish");
    }
    let mut consumer = log.consumer(Topic::SessionUpdates, &format!("{unique}-order-group")).await.expect("consumer");
    let records: Vec<Record> = drain(consumer.as_mut(), |records| count_key(records, &key) >= 20)
        .await
        .into_iter()
        .filter(|record| record.key == key.as_bytes())
        .collect();
    let values: Vec<u32> =
        records.iter().map(|record| u32::from_be_bytes(record.value[..4].try_into().expect("4 bytes"))).collect();
    assert_eq!(values, (0..20).collect::<Vec<_>>(), "one key's records arrive once, in publish order");
    let offsets: HashSet<(i32, i64)> = records.iter().map(|record| (record.partition, record.offset)).collect();
    assert_eq!(offsets.len(), records.len(), "offsets are unique");
}

/// A consumer that did not commit gets the same records again; after a commit it does not.
pub async fn uncommitted_records_are_delivered_again(log: &dyn EventLog, unique: &str) {
    let topic = Topic::RawBatches;
    let group = format!("{unique}-redelivery");
    let key = format!("{unique}-redelivery-key");
    for index in 0..5u8 {
        log.publish(topic, key.as_bytes(), vec![index + 1]).await.expect("publish");
    }
    let mine = |records: Vec<Record>| -> Vec<Record> {
        records.into_iter().filter(|record| record.key == key.as_bytes()).collect()
    };

    let mut first = log.consumer(topic, &group).await.expect("consumer");
    let seen = mine(drain(first.as_mut(), |records| count_key(records, &key) >= 5).await);
    assert_eq!(seen.len(), 5);
    drop(first);

    let mut second = log.consumer(topic, &group).await.expect("consumer");
    let again = drain(second.as_mut(), |records| count_key(records, &key) >= 5).await;
    let again_mine = mine(again.clone());
    assert_eq!(again_mine, seen, "uncommitted records are delivered again");
    second.commit(&next_offsets(&again)).await.expect("commit");
    drop(second);

    log.publish(topic, key.as_bytes(), vec![99]).await.expect("publish");
    let mut third = log.consumer(topic, &group).await.expect("consumer");
    let after_commit = mine(drain(third.as_mut(), |records| count_key(records, &key) >= 1).await);
    // Anything more would be a redelivery of committed records.
    let extra = mine(third.poll(1000, Duration::from_millis(300)).await.expect("poll"));
    assert!(extra.is_empty(), "nothing else arrives after the new record");
    let values: Vec<Vec<u8>> = after_commit.into_iter().map(|record| record.value).collect();
    assert_eq!(values, vec![vec![99]], "committed records are not delivered again");
}

/// Two groups each see every record.
pub async fn groups_are_independent(log: &dyn EventLog, unique: &str) {
    let key = format!("{unique}-groups");
    log.publish(Topic::SessionUpdates, key.as_bytes(), b"x".to_vec()).await.expect("publish");
    for name in ["a", "b"] {
        let mut consumer =
            log.consumer(Topic::SessionUpdates, &format!("{unique}-groups-{name}")).await.expect("consumer");
        let mut records = drain(consumer.as_mut(), |records| count_key(records, &key) >= 1).await;
        records.extend(consumer.poll(1000, Duration::from_millis(300)).await.expect("poll"));
        let count = count_key(&records, &key);
        assert_eq!(count, 1, "group {name} sees the record once");
    }
}

/// A compacted read yields the newest value per key and drops tombstoned keys.
pub async fn compacted_read_keeps_newest_value(log: &dyn EventLog, unique: &str) {
    let topic = Topic::SessionizerState;
    let kept = format!("{unique}-kept");
    let deleted = format!("{unique}-deleted");
    log.publish(topic, kept.as_bytes(), b"v1".to_vec()).await.expect("publish");
    log.publish(topic, deleted.as_bytes(), b"v1".to_vec()).await.expect("publish");
    log.publish(topic, kept.as_bytes(), b"v2".to_vec()).await.expect("publish");
    log.publish(topic, deleted.as_bytes(), Vec::new()).await.expect("publish");
    let values = log.read_compacted(topic).await.expect("read");
    let kept_values: Vec<&Vec<u8>> =
        values.iter().filter(|(key, _)| key == kept.as_bytes()).map(|(_, value)| value).collect();
    assert_eq!(kept_values, vec![&b"v2".to_vec()]);
    assert!(values.iter().all(|(key, _)| key != deleted.as_bytes()), "a tombstone removes the key");
}

/// A record with key `k` lands in partition `partition_for(k, partitions)` of every topic, and
/// the only member of a group owns every partition.
pub async fn keys_land_in_their_partitions(log: &dyn EventLog, unique: &str) {
    let topic = Topic::RawBatches;
    let partitions = log.partitions(topic).await.expect("partitions");
    assert!(partitions > 0, "a topic has partitions");
    let keys: Vec<String> = (0..16).map(|index| format!("{unique}-project/session-{index}")).collect();
    for key in &keys {
        log.publish(topic, key.as_bytes(), b"x".to_vec()).await.expect("publish");
    }
    let mut consumer = log.consumer(topic, &format!("{unique}-partitions")).await.expect("consumer");
    let records: Vec<Record> =
        drain(consumer.as_mut(), |records| keys.iter().all(|key| count_key(records, key) >= 1)).await;
    let mut seen_partitions = HashSet::new();
    for key in &keys {
        let record = records.iter().find(|record| record.key == key.as_bytes()).expect("every key arrives");
        assert_eq!(record.partition, partition_for(key.as_bytes(), partitions), "partition of {key}");
        seen_partitions.insert(record.partition);
    }
    if partitions > 1 {
        assert!(seen_partitions.len() > 1, "16 keys spread over more than one of {partitions} partitions");
    }
    let assigned = consumer.assignment().await.expect("assignment");
    assert_eq!(assigned, (0..partitions).collect::<Vec<_>>(), "a lone member owns every partition");
}

/// The lag of one partition in `lag`; panics when the member does not report it.
fn lag_of(lag: &[(i32, i64)], partition: i32) -> i64 {
    lag.iter().find(|(owned, _)| *owned == partition).map(|(_, records)| *records).expect("lag of an owned partition")
}

/// Lag is, per owned partition, the records after the member's position: 0 once it has read a
/// partition to its end, then one more per record published, one less per record polled, and
/// unchanged by a commit.
pub async fn lag_counts_records_after_the_position(log: &dyn EventLog, unique: &str) {
    let topic = Topic::SessionUpdates;
    let key = format!("{unique}-lag");
    let partition = partition_for(key.as_bytes(), log.partitions(topic).await.expect("partitions"));
    log.publish(topic, key.as_bytes(), b"first".to_vec()).await.expect("publish");
    let mut consumer = log.consumer(topic, &format!("{unique}-lag-group")).await.expect("consumer");
    // Reading up to the key's record reads its partition to the end: nothing was published after it.
    drain(consumer.as_mut(), |records| count_key(records, &key) >= 1).await;
    let lag = consumer.lag().await.expect("lag");
    let owned: Vec<i32> = lag.iter().map(|(partition, _)| *partition).collect();
    assert_eq!(owned, consumer.assignment().await.expect("assignment"), "lag covers every owned partition, in order");
    assert_eq!(lag_of(&lag, partition), 0, "a partition read to its end has no lag");

    for index in 0..3u8 {
        log.publish(topic, key.as_bytes(), vec![index]).await.expect("publish");
    }
    assert_eq!(lag_of(&consumer.lag().await.expect("lag"), partition), 3, "three records published since");

    // One record at a time, until one of the key's arrives (other partitions may hold records).
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut polled = Vec::new();
    while count_key(&polled, &key) == 0 && tokio::time::Instant::now() < deadline {
        polled.extend(consumer.poll(1, Duration::from_millis(500)).await.expect("poll"));
    }
    assert_eq!(count_key(&polled, &key), 1);
    assert_eq!(lag_of(&consumer.lag().await.expect("lag"), partition), 2, "a polled record is no longer lag");
    consumer.commit(&next_offsets(&polled)).await.expect("commit");
    assert_eq!(lag_of(&consumer.lag().await.expect("lag"), partition), 2, "a commit does not move the position");
}
