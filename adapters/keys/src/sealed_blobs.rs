//! [`SealedBlobs`]: a blob store whose chunks and asset copies are sealed.

use std::sync::Arc;

use async_trait::async_trait;
use playback_blobs::{BlobError, BlobStore};

use crate::{metrics, sealed_key_id, KeyError, Keyring, ASSET_SESSION};

/// Seals chunks (`{project}/{yyyy-mm-dd}/{session}/…`) under their session's key and asset
/// copies (`assets/{project}/…`) under the project's asset key; the wrapped keys (`keys/…`) and
/// any other blob pass as they are. A get of a blob whose key is destroyed answers `None`, as for
/// a missing blob; a blob that is not sealed (written before encryption) is read as it is.
pub struct SealedBlobs {
    inner: Arc<dyn BlobStore>,
    keyring: Arc<Keyring>,
}

impl SealedBlobs {
    /// `inner`, sealed with `keyring`, which keeps its wrapped keys in `inner` too.
    pub fn new(inner: Arc<dyn BlobStore>, keyring: Arc<Keyring>) -> Self {
        SealedBlobs { inner, keyring }
    }
}

/// `(project, session)` whose key seals the blob `key`, or `None` for a blob kept as it is.
fn owner(key: &str) -> Option<(&str, &str)> {
    let segments: Vec<&str> = key.split('/').collect();
    match segments.as_slice() {
        ["keys", ..] => None,
        ["assets", project, _, ..] => Some((project, ASSET_SESSION)),
        [project, _date, session, _, ..] => Some((project, session)),
        _ => None,
    }
}

fn aad(key: &str) -> Vec<u8> {
    [b"blob\0".as_slice(), key.as_bytes()].concat()
}

fn key_error(error: KeyError) -> BlobError {
    match error {
        KeyError::Storage(error) => error,
        other => BlobError::storage_from("cannot use the data keys", other),
    }
}

#[async_trait]
impl BlobStore for SealedBlobs {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        playback_blobs::validate_key(key)?;
        let Some((project, session)) = owner(key) else { return self.inner.put(key, bytes).await };
        let session_key = self.keyring.session_key(project, session).await.map_err(key_error)?;
        let sealed = session_key.seal(&aad(key), &bytes);
        metrics::SEALED.with_label_values(&["blobs"]).inc();
        self.inner.put(key, sealed).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let Some(bytes) = self.inner.get(key).await? else { return Ok(None) };
        let (Some((project, session)), Some(key_id)) = (owner(key), sealed_key_id(&bytes)) else {
            return Ok(Some(bytes));
        };
        let Some(session_key) = self.keyring.open(project, session, key_id).await.map_err(key_error)? else {
            metrics::SHREDDED.with_label_values(&["blobs"]).inc();
            return Ok(None);
        };
        let plain = session_key.open(&aad(key), &bytes).map_err(key_error)?;
        metrics::OPENED.with_label_values(&["blobs"]).inc();
        Ok(Some(plain))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.inner.delete(key).await?;
        // A data key deleted through this store (a deletion on request, retention) is forgotten
        // by this process at once, not when its cache entry expires.
        if let ["keys", project, session, _, ..] = key.split('/').collect::<Vec<_>>().as_slice() {
            self.keyring.forget(project, session);
        }
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        self.inner.list(prefix).await
    }

    async fn check(&self) -> Result<(), BlobError> {
        self.inner.check().await
    }
}
