//! Contracts between Playback stages.
//!
//! - [`RawBatch`]: what the gateway publishes to `playback.raw-batches`.
//! - [`SessionUpdate`]: what the sessionizer publishes to `playback.session-updates`.
//! - [`SessionState`]: the sessionizer's changelog, `playback.sessionizer-state`.
//! - [`rrweb`]: the numeric enums of the rrweb wire format.
//! - [`chunk`]: the recording chunk format, written by the archiver and read by the query API.
//! - [`asset`]: where archived assets live in blob storage, written by the asset stage and read
//!   by the query API.
//! - [`signature`]: the similarity signature, written by the scorer and compared by the query API.
//! - [`json`]: parsing of rrweb event JSON, which nests deeper than serde_json allows by default.
//!
//! Every value on the event log is Avro in single-object encoding (see [`codec`]): a two-byte
//! marker, the 8-byte Rabin fingerprint of the writer schema, then the Avro datum. This crate
//! does no IO and depends on no other Playback crate.

pub mod asset;
pub mod chunk;
pub mod codec;
pub mod json;
pub mod rrweb;
pub mod signature;
mod types;

pub use codec::{AvroMessage, CodecError};

/// The wall clock in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// The key of a session's records on every topic: `{project_id}/{session_id}`. With one key per
/// session, its raw batches, updates and changelog entries sit in partitions of the same number,
/// so the member that owns a raw-batch partition also owns the matching changelog entries.
pub fn session_key(project_id: &str, session_id: &str) -> String {
    format!("{project_id}/{session_id}")
}

pub use types::*;
