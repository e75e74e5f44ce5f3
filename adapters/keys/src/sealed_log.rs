//! [`SealedLog`]: an event log whose record values are sealed under their session's key.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use playback_log::{Consumer, EventLog, KeyDeletion, KeyValues, LogError, Record, Topic, TrimOptions, TrimReport};

use crate::{metrics, sealed_key_id, KeyError, Keyring};

/// Seals every value published (not an empty tombstone) under the key of its record key
/// `{project}/{session}`, and opens what is read. A record whose session keys are destroyed is
/// read with an empty value: a tombstone on a compacted topic, a record the stage runtime drops
/// elsewhere. A value that is not sealed (written before encryption) is read as it is.
pub struct SealedLog {
    inner: Arc<dyn EventLog>,
    keyring: Arc<Keyring>,
}

impl SealedLog {
    /// `inner`, sealed with `keyring`.
    pub fn new(inner: Arc<dyn EventLog>, keyring: Arc<Keyring>) -> Self {
        SealedLog { inner, keyring }
    }
}

/// Where a value lives, as the associated data of its ciphertext.
fn aad(topic: Topic, key: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(topic.name().len() + key.len() + 5);
    aad.extend_from_slice(b"log\0");
    aad.extend_from_slice(topic.name().as_bytes());
    aad.push(0);
    aad.extend_from_slice(key);
    aad
}

/// `(project, session)` of a record key `{project}/{session}`.
fn session_of(key: &[u8]) -> Option<(&str, &str)> {
    std::str::from_utf8(key).ok()?.split_once('/')
}

fn key_error(error: KeyError) -> LogError {
    match error {
        KeyError::Storage(_) => LogError::unavailable_from("cannot reach the data keys", error),
        _ => LogError::storage_from("cannot use the data keys", error),
    }
}

/// The plaintext of `value` read from `topic` under `key`; empty when its key is destroyed.
async fn open_value(keyring: &Keyring, topic: Topic, key: &[u8], value: Vec<u8>) -> Result<Vec<u8>, LogError> {
    let Some(key_id) = sealed_key_id(&value) else { return Ok(value) };
    let Some((project, session)) = session_of(key) else {
        tracing::warn!(message = "sealed record under a key that names no session", topic = topic.name());
        return Ok(Vec::new());
    };
    match keyring.open(project, session, key_id).await.map_err(key_error)? {
        Some(session_key) => match session_key.open(&aad(topic, key), &value) {
            Ok(plain) => {
                metrics::OPENED.with_label_values(&["log"]).inc();
                Ok(plain)
            }
            Err(error) => {
                tracing::warn!(message = "sealed record does not open", topic = topic.name(), project, session, %error);
                Ok(Vec::new())
            }
        },
        None => {
            metrics::SHREDDED.with_label_values(&["log"]).inc();
            Ok(Vec::new())
        }
    }
}

#[async_trait]
impl EventLog for SealedLog {
    async fn publish(&self, topic: Topic, key: &[u8], value: Vec<u8>) -> Result<(), LogError> {
        if value.is_empty() {
            return self.inner.publish(topic, key, value).await;
        }
        let Some((project, session)) = session_of(key) else {
            return Err(LogError::storage("a record key is {project}/{session}; this one names no session"));
        };
        let session_key = self.keyring.session_key(project, session).await.map_err(key_error)?;
        let sealed = session_key.seal(&aad(topic, key), &value);
        metrics::SEALED.with_label_values(&["log"]).inc();
        self.inner.publish(topic, key, sealed).await
    }

    async fn consumer(&self, topic: Topic, group: &str) -> Result<Box<dyn Consumer>, LogError> {
        let inner = self.inner.consumer(topic, group).await?;
        Ok(Box::new(SealedConsumer { inner, topic, keyring: Arc::clone(&self.keyring) }))
    }

    async fn read_compacted(&self, topic: Topic) -> Result<KeyValues, LogError> {
        let mut opened = Vec::new();
        for (key, value) in self.inner.read_compacted(topic).await? {
            let plain = open_value(&self.keyring, topic, &key, value).await?;
            if !plain.is_empty() {
                opened.push((key, plain));
            }
        }
        Ok(opened)
    }

    async fn trim(&self, options: &TrimOptions) -> Result<TrimReport, LogError> {
        self.inner.trim(options).await
    }

    async fn delete_key(&self, topic: Topic, key: &[u8], dry_run: bool) -> Result<KeyDeletion, LogError> {
        self.inner.delete_key(topic, key, dry_run).await
    }

    async fn partitions(&self, topic: Topic) -> Result<i32, LogError> {
        self.inner.partitions(topic).await
    }

    async fn check(&self) -> Result<(), LogError> {
        self.inner.check().await
    }
}

struct SealedConsumer {
    inner: Box<dyn Consumer>,
    topic: Topic,
    keyring: Arc<Keyring>,
}

#[async_trait]
impl Consumer for SealedConsumer {
    async fn poll(&mut self, max_records: usize, timeout: Duration) -> Result<Vec<Record>, LogError> {
        let records = self.inner.poll(max_records, timeout).await?;
        let mut opened = Vec::with_capacity(records.len());
        for mut record in records {
            let value = std::mem::take(&mut record.value);
            // The records are polled already: a key store that is down is waited for, not
            // answered with an error that would lose them until the next rebalance.
            loop {
                match open_value(&self.keyring, self.topic, &record.key, value.clone()).await {
                    Ok(plain) => {
                        record.value = plain;
                        break;
                    }
                    Err(error @ LogError::Unavailable { .. }) => {
                        tracing::warn!(message = "cannot open a record, retrying", topic = self.topic.name(), %error);
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Err(error) => return Err(error),
                }
            }
            opened.push(record);
        }
        Ok(opened)
    }

    async fn commit(&mut self, next_offsets: &[(i32, i64)]) -> Result<(), LogError> {
        self.inner.commit(next_offsets).await
    }

    async fn assignment(&mut self) -> Result<Vec<i32>, LogError> {
        self.inner.assignment().await
    }

    async fn lag(&mut self) -> Result<Vec<(i32, i64)>, LogError> {
        self.inner.lag().await
    }
}
