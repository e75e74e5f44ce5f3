//! Encryption at rest: per-session data keys (DEKs), wrapped by a project key (KEK), and the
//! decorators that seal what Playback stores with them.
//!
//! - A **master key** (32 bytes, `[encryption] keys`) is configured per deployment, each with an
//!   id; one is `current`.
//! - A **project key** (KEK) is `HKDF-SHA256(master, info = project id)`. It is never stored.
//! - A **data key** (DEK) is 32 random bytes per session, stored wrapped by its project's KEK
//!   (AES-256-GCM) as one blob under `keys/{project}/{session}/{key_id}`. The wrapped blob names
//!   the master it was wrapped under, so adding a master and making it current leaves old data
//!   readable. A session may have several data keys (two processes that create a session's first
//!   key at once each write their own); all of them stay valid.
//! - **Destroying** a session's keys ([`Keyring::destroy`]) deletes every blob under that prefix:
//!   whatever was sealed under them, wherever it still lies (a Kafka topic, a backup), no longer
//!   opens. Processes forget a key at most `cache_ttl_ms` after they last read it.
//!
//! [`SealedLog`] seals every record value of an [`EventLog`](playback_log::EventLog) under the
//! key of its record key `{project}/{session}`; [`SealedBlobs`] seals chunks under their
//! session's key and asset copies under a per-project asset key (`keys/{project}/_assets/…`).
//! Stages see neither: they are wired around the real adapters by the binary.
//!
//! A sealed value is `MAGIC | key id length | key id | nonce (96 bits) | AES-256-GCM ciphertext`,
//! with associated data that binds it to where it lives (topic and record key, or blob key), so a
//! ciphertext copied elsewhere does not open. A value without the magic is passed through as is:
//! data written before encryption was configured stays readable.

use std::borrow::Cow;

mod cipher;
mod config;
mod keyring;
pub mod metrics;
mod sealed_blobs;
mod sealed_log;

pub use cipher::{sealed_key_id, SessionKey, MAGIC};
pub use config::{EncryptionConfig, MasterKey, MasterKeyConfig, MasterKeys};
pub use keyring::{session_prefix, Keyring, ASSET_SESSION};
pub use sealed_blobs::SealedBlobs;
pub use sealed_log::SealedLog;

/// An error about data keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The blob store that keeps the wrapped keys failed; the caller may retry.
    #[error("key storage: {0}")]
    Storage(#[from] playback_blobs::BlobError),
    /// A wrapped key names a master key that is not configured: add it back to `[encryption] keys`.
    #[error("data key {blob} is wrapped by master key {master:?}, which is not configured")]
    UnknownMaster {
        /// The blob key of the wrapped data key.
        blob: String,
        /// The id of the master key it names.
        master: String,
    },
    /// A sealed value or a wrapped key that does not open with its key: it was altered, or
    /// belongs somewhere else.
    #[error("{0} does not open: altered, truncated or moved")]
    Corrupt(Cow<'static, str>),
    /// The keys config cannot be used.
    #[error("encryption config: {0}")]
    Config(Cow<'static, str>),
}
