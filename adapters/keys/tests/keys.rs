//! Data keys: sealing, destruction, several keys per session, master key rotation, and the
//! sealing log and blob store over the embedded log (and Kafka when the test stack runs).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use playback_blobs::{BlobStore, LocalDir};
use playback_keys::{sealed_key_id, Keyring, MasterKey, MasterKeys, SealedBlobs, SealedLog};
use playback_log::embedded::SqliteLog;
use playback_log::{EventLog, Topic};

const TTL: Duration = Duration::from_secs(30);

fn masters(keys: &[(&str, u8)], current: &str) -> MasterKeys {
    let keys = keys.iter().map(|(id, byte)| MasterKey::new(*id, [*byte; 32]).unwrap()).collect();
    MasterKeys::new(keys, current).unwrap()
}

/// A keyring as a fresh process has it: nothing cached.
fn keyring(blobs: &Arc<dyn BlobStore>, masters: MasterKeys) -> Arc<Keyring> {
    Arc::new(Keyring::new(Arc::clone(blobs), masters, TTL, 100))
}

fn local_blobs(dir: &tempfile::TempDir) -> Arc<dyn BlobStore> {
    Arc::new(LocalDir::open(dir.path().join("blobs")).unwrap())
}

#[tokio::test]
async fn a_sealed_value_opens_with_its_aad_only() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keyring(&local_blobs(&dir), masters(&[("a", 1)], "a"));
    let key = keys.session_key("p", "s1").await.unwrap();
    let sealed = key.seal(b"here", b"page text");
    assert_eq!(sealed_key_id(&sealed), Some(key.key_id()));
    assert!(!sealed.windows(9).any(|window| window == b"page text"));
    assert_eq!(key.open(b"here", &sealed).unwrap(), b"page text");
    assert!(key.open(b"elsewhere", &sealed).is_err());
    let mut altered = sealed.clone();
    *altered.last_mut().unwrap() ^= 1;
    assert!(key.open(b"here", &altered).is_err());
    assert_ne!(key.seal(b"here", b"page text"), sealed, "every seal has its own nonce");
}

#[tokio::test]
async fn a_destroyed_key_opens_nothing_in_a_fresh_process() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = local_blobs(&dir);
    let keys = keyring(&blobs, masters(&[("a", 1)], "a"));
    let key = keys.session_key("p", "s1").await.unwrap();
    let other = keys.session_key("p", "s2").await.unwrap();
    assert_eq!(blobs.list("keys/p/s1/").await.unwrap(), vec![format!("keys/p/s1/{}", key.key_id())]);

    assert_eq!(keys.destroy("p", "s1").await.unwrap(), 1);
    assert!(blobs.list("keys/p/s1/").await.unwrap().is_empty());
    assert!(keys.open("p", "s1", key.key_id()).await.unwrap().is_none(), "forgotten in this process");
    let fresh = keyring(&blobs, masters(&[("a", 1)], "a"));
    assert!(fresh.open("p", "s1", key.key_id()).await.unwrap().is_none());
    assert!(fresh.open("p", "s2", other.key_id()).await.unwrap().is_some(), "other sessions keep theirs");
    assert_eq!(keys.destroy("p", "s1").await.unwrap(), 0);
}

#[tokio::test]
async fn two_processes_creating_a_first_key_at_once_each_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = local_blobs(&dir);
    let first = keyring(&blobs, masters(&[("a", 1)], "a"));
    let second = keyring(&blobs, masters(&[("a", 1)], "a"));
    let (one, two) = tokio::join!(first.session_key("p", "s"), second.session_key("p", "s"));
    let (one, two) = (one.unwrap(), two.unwrap());
    let sealed_one = one.seal(b"x", b"one");
    let sealed_two = two.seal(b"x", b"two");
    let reader = keyring(&blobs, masters(&[("a", 1)], "a"));
    for (sealed, plain) in [(sealed_one, b"one"), (sealed_two, b"two")] {
        let key = reader.open("p", "s", sealed_key_id(&sealed).unwrap()).await.unwrap().unwrap();
        assert_eq!(key.open(b"x", &sealed).unwrap(), plain);
    }
    let stored = blobs.list("keys/p/s/").await.unwrap().len();
    assert!((1..=2).contains(&stored), "one key per process at most, {stored} stored");
    assert_eq!(reader.destroy("p", "s").await.unwrap(), stored);
}

#[tokio::test]
async fn after_rotation_old_data_opens_and_new_data_uses_the_new_master() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = local_blobs(&dir);
    let before = keyring(&blobs, masters(&[("old", 1)], "old"));
    let old_key = before.session_key("p", "s").await.unwrap();
    let old_sealed = old_key.seal(b"x", b"before");

    let after = keyring(&blobs, masters(&[("old", 1), ("new", 2)], "new"));
    let opened = after.open("p", "s", old_key.key_id()).await.unwrap().unwrap();
    assert_eq!(opened.open(b"x", &old_sealed).unwrap(), b"before");
    let new_key = after.session_key("p", "s").await.unwrap();
    assert_ne!(new_key.key_id(), old_key.key_id(), "new data is sealed under a key wrapped by the new master");

    let without_old = keyring(&blobs, masters(&[("new", 2)], "new"));
    assert!(without_old.open("p", "s", old_key.key_id()).await.is_err(), "the old master is still needed");
    assert_eq!(after.rewrap("p").await.unwrap(), 1);
    let rewrapped = without_old.open("p", "s", old_key.key_id()).await.unwrap().unwrap();
    assert_eq!(rewrapped.open(b"x", &old_sealed).unwrap(), b"before");
}

#[tokio::test]
async fn sealed_blobs_seal_chunks_and_assets_and_read_a_shredded_chunk_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let inner = local_blobs(&dir);
    let keys = keyring(&inner, masters(&[("a", 1)], "a"));
    let sealed = SealedBlobs::new(Arc::clone(&inner), Arc::clone(&keys));
    let chunk = "p/2026-12-04/s1/w-0-3";
    let asset = "assets/p/0123abcd";
    sealed.put(chunk, b"chunk text".to_vec()).await.unwrap();
    sealed.put(asset, b"asset text".to_vec()).await.unwrap();
    for (key, plain) in [(chunk, b"chunk text"), (asset, b"asset text")] {
        let stored = inner.get(key).await.unwrap().unwrap();
        assert!(sealed_key_id(&stored).is_some(), "{key} is sealed");
        assert_eq!(sealed.get(key).await.unwrap().unwrap(), plain);
    }
    assert_eq!(inner.list("keys/p/_assets/").await.unwrap().len(), 1, "assets have the project's asset key");
    inner.put("p/2026-12-04/s1/plain", b"from before".to_vec()).await.unwrap();
    assert_eq!(sealed.get("p/2026-12-04/s1/plain").await.unwrap().unwrap(), b"from before");

    keys.destroy("p", "s1").await.unwrap();
    let fresh = SealedBlobs::new(Arc::clone(&inner), keyring(&inner, masters(&[("a", 1)], "a")));
    assert_eq!(fresh.get(chunk).await.unwrap(), None);
    assert_eq!(fresh.get(asset).await.unwrap().unwrap(), b"asset text", "a session's deletion keeps assets");
}

/// Publishes a batch, destroys the session's keys, and reads the raw records with a fresh keyring.
async fn destroyed_records_no_longer_open(log: Arc<dyn EventLog>, blobs: Arc<dyn BlobStore>, group: &str) {
    let keys = keyring(&blobs, masters(&[("a", 1)], "a"));
    let sealed = SealedLog::new(Arc::clone(&log), Arc::clone(&keys));
    sealed.publish(Topic::RawBatches, b"p/gone", b"secret batch".to_vec()).await.unwrap();
    sealed.publish(Topic::RawBatches, b"p/kept", b"kept batch".to_vec()).await.unwrap();
    sealed.publish(Topic::SessionizerState, b"p/gone", b"secret state".to_vec()).await.unwrap();
    sealed.publish(Topic::SessionizerState, b"p/kept", b"kept state".to_vec()).await.unwrap();

    let raw = poll_all(log.as_ref(), &format!("{group}-raw"), 2).await;
    for (_, value) in &raw {
        assert!(sealed_key_id(value).is_some(), "stored sealed");
        assert!(!value.windows(5).any(|window| window == b"batch"));
    }
    assert_eq!(keys.destroy("p", "gone").await.unwrap(), 1);

    let fresh = SealedLog::new(Arc::clone(&log), keyring(&blobs, masters(&[("a", 1)], "a")));
    let mut read = poll_all(&fresh, &format!("{group}-fresh"), 2).await;
    read.sort();
    assert_eq!(read, vec![(b"p/gone".to_vec(), Vec::new()), (b"p/kept".to_vec(), b"kept batch".to_vec())]);
    let compacted = fresh.read_compacted(Topic::SessionizerState).await.unwrap();
    assert_eq!(compacted, vec![(b"p/kept".to_vec(), b"kept state".to_vec())]);
}

async fn poll_all(log: &dyn EventLog, group: &str, count: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut consumer = log.consumer(Topic::RawBatches, group).await.unwrap();
    let mut read = Vec::new();
    for _ in 0..100 {
        for record in consumer.poll(100, Duration::from_millis(200)).await.unwrap() {
            read.push((record.key, record.value));
        }
        if read.len() >= count {
            break;
        }
    }
    assert_eq!(read.len(), count, "{read:?}");
    read
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_of_destroyed_keys_no_longer_open_on_the_embedded_log() {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(SqliteLog::open(dir.path().join("log.db"), 2).unwrap());
    destroyed_records_no_longer_open(log, local_blobs(&dir), "g").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_of_destroyed_keys_no_longer_open_on_kafka() {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let Some(config) = playback_runtime::testsuite::kafka(&format!("test-{unique}")) else { return };
    let kafka = playback_log::kafka::KafkaLog::connect(config).unwrap();
    kafka.create_topics().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    destroyed_records_no_longer_open(Arc::new(kafka), local_blobs(&dir), "g").await;
}

#[tokio::test]
async fn a_key_deleted_through_the_sealed_store_is_forgotten_by_its_process_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let inner = local_blobs(&dir);
    let sealed = SealedBlobs::new(Arc::clone(&inner), keyring(&inner, masters(&[("a", 1)], "a")));
    let chunk = "p/2026-12-04/s1/w-0-3";
    sealed.put(chunk, b"chunk text".to_vec()).await.unwrap();
    assert_eq!(sealed.get(chunk).await.unwrap().unwrap(), b"chunk text", "the key is cached now");

    for key in sealed.list("keys/p/s1/").await.unwrap() {
        sealed.delete(&key).await.unwrap();
    }
    assert_eq!(sealed.get(chunk).await.unwrap(), None, "the same process no longer opens the chunk");
}
