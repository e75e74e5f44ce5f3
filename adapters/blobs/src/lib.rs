//! Blob storage for recording chunks.
//!
//! Stages see only [`BlobStore`]. [`LocalDir`] keeps blobs as files for `playback up`; S3 is
//! the deployed implementation. Keys are `/`-separated paths of safe segments; a put replaces
//! any blob with the same key, so a retried write is harmless.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

#[cfg(any(test, feature = "testsuite"))]
pub mod conformance;
#[cfg(feature = "s3")]
pub mod s3;

/// An error from blob storage.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The key has an empty, `.` or `..` segment or a character outside `[A-Za-z0-9._=-]`.
    #[error("invalid blob key {0:?}")]
    InvalidKey(String),
    /// The store failed; the caller may retry.
    #[error("blob storage: {reason}{}", caused_by(.source))]
    Storage {
        /// What could not be done, lowercase.
        reason: Cow<'static, str>,
        #[source]
        source: Option<Cause>,
    },
}

/// What went wrong underneath a [`BlobError`]: the library's own error, kept for
/// [`std::error::Error::source`], or a message where there is none.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

impl BlobError {
    /// [`BlobError::Storage`] with no cause underneath.
    pub fn storage(reason: impl Into<Cow<'static, str>>) -> Self {
        BlobError::Storage { reason: reason.into(), source: None }
    }

    /// [`BlobError::Storage`] because of `source`.
    pub fn storage_from(reason: impl Into<Cow<'static, str>>, source: impl Into<Cause>) -> Self {
        BlobError::Storage { reason: reason.into(), source: Some(source.into()) }
    }
}

/// `": {source}"`, or nothing without a source: the tail of an error message.
fn caused_by(source: &Option<Cause>) -> String {
    source.as_ref().map(|source| format!(": {source}")).unwrap_or_default()
}

/// A flat namespace of immutable-by-convention blobs.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`, durably, replacing what was there.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError>;
    /// The blob under `key`, or `None`.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError>;
    /// Removes the blob; removing a missing blob is not an error.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    /// Every key that starts with `prefix`, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError>;

    /// Whether the store can serve now: for readiness probes.
    async fn check(&self) -> Result<(), BlobError> {
        Ok(())
    }
}

/// Checks that a key is a relative path of safe segments.
pub fn validate_key(key: &str) -> Result<(), BlobError> {
    let valid_segment = |segment: &str| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-' | b'='))
    };
    if key.split('/').all(valid_segment) {
        Ok(())
    } else {
        Err(BlobError::InvalidKey(key.to_string()))
    }
}

/// Blobs as files under a directory. Writes go to a temporary file that is synced and then
/// renamed into place, so a crash leaves either the old blob or the new one.
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// Uses (and creates) `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        std::fs::create_dir_all(&root)
            .map_err(|error| BlobError::storage_from("cannot create the blob directory", error))?;
        Ok(LocalDir { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }
}

fn io(error: std::io::Error) -> BlobError {
    BlobError::storage_from("file system call failed", error)
}

/// A blocking file system call that did not finish (it panicked or the runtime shut down).
fn blocking_call_failed(error: tokio::task::JoinError) -> BlobError {
    BlobError::storage_from("blocking file system call failed", error)
}

fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let unique = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = parent.join(format!(".tmp-{}-{unique}", std::process::id()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    std::fs::File::open(parent)?.sync_all()
}

fn list_under(root: &Path, dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            list_under(root, &path, prefix, out)?;
            continue;
        }
        let Ok(relative) = path.strip_prefix(root) else { continue };
        let key = relative.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/");
        if key.starts_with(prefix) && !key.rsplit('/').next().is_some_and(|name| name.starts_with(".tmp-")) {
            out.push(key);
        }
    }
    Ok(())
}

#[async_trait]
impl BlobStore for LocalDir {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || write_durably(&path, &bytes))
            .await
            .map_err(blocking_call_failed)?
            .map_err(io)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io(error)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(io(error)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        tokio::task::spawn_blocking(move || {
            let mut keys = Vec::new();
            list_under(&root, &root, &prefix, &mut keys)?;
            keys.sort();
            Ok::<_, std::io::Error>(keys)
        })
        .await
        .map_err(blocking_call_failed)?
        .map_err(io)
    }
}
