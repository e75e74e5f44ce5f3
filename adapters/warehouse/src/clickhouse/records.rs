//! The rows as they travel in RowBinary. Validation is off against old servers, so a field's
//! Rust type must be exactly its column's type (`i64` for Int64, `i32` for Int32, `u8` for
//! UInt8, `f64` for Float64, `String` for String) and the fields come in column order.
//! [`crate::SessionRow`] is its own record (see [`crate::columns`]); the event kind travels as
//! its name, since RowBinary has no unit variants.

use ::clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::{AssetRow, AssetStatus, ChunkRow, EventKind, EventRow, NoteRow, SavedFilterRow, ShareRow, WarehouseError};

/// A session of a listing: its project, id and score at query time.
pub(crate) type PageKeyRecord = (String, String, f64);

/// An `events` row; the fields follow [`super::schema::EVENT_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub(crate) struct EventRecord {
    pub project_id: String,
    pub session_id: String,
    pub window_id: String,
    pub batch_seq: i64,
    pub event_index: i32,
    pub kind: String,
    pub ts_ms: i64,
    pub url: String,
    pub name: String,
    pub target: String,
    pub props_json: String,
}

/// A `recording_chunks` row; the fields follow [`super::schema::CHUNK_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub(crate) struct ChunkRecord {
    pub project_id: String,
    pub session_id: String,
    pub window_id: String,
    pub first_seq: i64,
    pub last_seq: i64,
    pub blob_key: String,
    pub first_ts_ms: i64,
    pub last_ts_ms: i64,
    pub events: i32,
    pub bytes: i64,
    pub full_snapshot: u8,
    pub created_at_ms: i64,
}

impl From<EventRow> for EventRecord {
    fn from(row: EventRow) -> Self {
        EventRecord {
            project_id: row.project_id,
            session_id: row.session_id,
            window_id: row.window_id,
            batch_seq: row.batch_seq,
            event_index: row.event_index,
            kind: row.kind.as_str().to_string(),
            ts_ms: row.ts_ms,
            url: row.url,
            name: row.name,
            target: row.target,
            props_json: row.props_json,
        }
    }
}

impl TryFrom<EventRecord> for EventRow {
    type Error = WarehouseError;

    fn try_from(record: EventRecord) -> Result<Self, WarehouseError> {
        Ok(EventRow {
            project_id: record.project_id,
            session_id: record.session_id,
            window_id: record.window_id,
            batch_seq: record.batch_seq,
            event_index: record.event_index,
            kind: event_kind(&record.kind)?,
            ts_ms: record.ts_ms,
            url: record.url,
            name: record.name,
            target: record.target,
            props_json: record.props_json,
        })
    }
}

/// The kind stored as `name`, or a storage error.
pub(crate) fn event_kind(name: &str) -> Result<EventKind, WarehouseError> {
    EventKind::from_name(name).ok_or_else(|| WarehouseError::storage(format!("unknown event kind {name:?}")))
}

impl From<ChunkRow> for ChunkRecord {
    fn from(row: ChunkRow) -> Self {
        ChunkRecord {
            project_id: row.project_id,
            session_id: row.session_id,
            window_id: row.window_id,
            first_seq: row.first_seq,
            last_seq: row.last_seq,
            blob_key: row.blob_key,
            first_ts_ms: row.first_ts_ms,
            last_ts_ms: row.last_ts_ms,
            events: row.events,
            bytes: row.bytes,
            full_snapshot: u8::from(row.full_snapshot),
            created_at_ms: row.created_at_ms,
        }
    }
}

impl From<ChunkRecord> for ChunkRow {
    fn from(record: ChunkRecord) -> Self {
        ChunkRow {
            project_id: record.project_id,
            session_id: record.session_id,
            window_id: record.window_id,
            first_seq: record.first_seq,
            last_seq: record.last_seq,
            blob_key: record.blob_key,
            first_ts_ms: record.first_ts_ms,
            last_ts_ms: record.last_ts_ms,
            events: record.events,
            bytes: record.bytes,
            full_snapshot: record.full_snapshot != 0,
            created_at_ms: record.created_at_ms,
        }
    }
}

/// A `notes` row; the fields follow [`super::schema::NOTE_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub(crate) struct NoteRecord {
    pub project_id: String,
    pub session_id: String,
    pub note_id: String,
    pub offset_ms: i64,
    pub author: String,
    pub text: String,
    pub created_at_ms: i64,
    pub deleted: u8,
    pub version: i64,
}

impl From<NoteRow> for NoteRecord {
    fn from(row: NoteRow) -> Self {
        NoteRecord {
            project_id: row.project_id,
            session_id: row.session_id,
            note_id: row.note_id,
            offset_ms: row.offset_ms,
            author: row.author,
            // A tombstone keeps no text.
            text: if row.deleted { String::new() } else { row.text },
            created_at_ms: row.created_at_ms,
            deleted: u8::from(row.deleted),
            version: row.version,
        }
    }
}

impl From<NoteRecord> for NoteRow {
    fn from(record: NoteRecord) -> Self {
        NoteRow {
            project_id: record.project_id,
            session_id: record.session_id,
            note_id: record.note_id,
            offset_ms: record.offset_ms,
            author: record.author,
            text: record.text,
            created_at_ms: record.created_at_ms,
            deleted: record.deleted != 0,
            version: record.version,
        }
    }
}

/// A `saved_filters` row; the fields follow [`super::schema::SAVED_FILTER_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub(crate) struct SavedFilterRecord {
    pub project_id: String,
    pub filter_id: String,
    pub name: String,
    pub query: String,
    pub author: String,
    pub created_at_ms: i64,
    pub deleted: u8,
    pub version: i64,
}

impl From<SavedFilterRow> for SavedFilterRecord {
    fn from(row: SavedFilterRow) -> Self {
        SavedFilterRecord {
            project_id: row.project_id,
            filter_id: row.filter_id,
            name: row.name,
            query: row.query,
            author: row.author,
            created_at_ms: row.created_at_ms,
            deleted: u8::from(row.deleted),
            version: row.version,
        }
    }
}

impl From<SavedFilterRecord> for SavedFilterRow {
    fn from(record: SavedFilterRecord) -> Self {
        SavedFilterRow {
            project_id: record.project_id,
            filter_id: record.filter_id,
            name: record.name,
            query: record.query,
            author: record.author,
            created_at_ms: record.created_at_ms,
            deleted: record.deleted != 0,
            version: record.version,
        }
    }
}

/// A `shares` row; the fields follow [`super::schema::SHARE_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub(crate) struct ShareRecord {
    pub project_id: String,
    pub share_id: String,
    pub session_id: String,
    pub author: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked: u8,
    pub version: i64,
}

impl From<ShareRow> for ShareRecord {
    fn from(row: ShareRow) -> Self {
        ShareRecord {
            project_id: row.project_id,
            share_id: row.share_id,
            session_id: row.session_id,
            author: row.author,
            created_at_ms: row.created_at_ms,
            expires_at_ms: row.expires_at_ms,
            revoked: u8::from(row.revoked),
            version: row.version,
        }
    }
}

impl From<ShareRecord> for ShareRow {
    fn from(record: ShareRecord) -> Self {
        ShareRow {
            project_id: record.project_id,
            share_id: record.share_id,
            session_id: record.session_id,
            author: record.author,
            created_at_ms: record.created_at_ms,
            expires_at_ms: record.expires_at_ms,
            revoked: record.revoked != 0,
            version: record.version,
        }
    }
}

/// An `assets` row; the fields are [`AssetRow`]'s, with the status as its name.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub(crate) struct AssetRecord {
    pub project_id: String,
    pub url: String,
    pub hash: String,
    pub content_type: String,
    pub bytes: i64,
    pub fetched_at_ms: i64,
    pub status: String,
    pub error: String,
    pub version: i64,
}

impl From<AssetRow> for AssetRecord {
    fn from(row: AssetRow) -> Self {
        AssetRecord {
            project_id: row.project_id,
            url: row.url,
            hash: row.hash,
            content_type: row.content_type,
            bytes: row.bytes,
            fetched_at_ms: row.fetched_at_ms,
            status: row.status.as_str().to_string(),
            error: row.error,
            version: row.version,
        }
    }
}

impl TryFrom<AssetRecord> for AssetRow {
    type Error = WarehouseError;

    fn try_from(record: AssetRecord) -> Result<Self, WarehouseError> {
        let status = AssetStatus::from_name(&record.status)
            .ok_or_else(|| WarehouseError::storage(format!("unknown asset status {:?}", record.status)))?;
        Ok(AssetRow {
            project_id: record.project_id,
            url: record.url,
            hash: record.hash,
            content_type: record.content_type,
            bytes: record.bytes,
            fetched_at_ms: record.fetched_at_ms,
            status,
            error: record.error,
            version: record.version,
        })
    }
}

/// An `asset_hashes` row: a URL archived with these bytes.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub(crate) struct AssetHashRecord {
    pub project_id: String,
    pub hash: String,
    pub url: String,
}

/// A session's asset URL and its earliest sighting.
pub(crate) type SessionUrlRecord = (String, i64);

/// A transcript mark: session id, server time and kind.
pub(crate) type MarkRecord = (String, i64, String);

/// One of a user's sessions: id, start, end and traits.
pub(crate) type UserSessionRecord = (String, i64, i64, String);
