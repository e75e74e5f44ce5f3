//! The chunk manifest of a session and its chunks one by one.
//!
//! A chunk id is a digest of the chunk row, so it names nothing outside Playback's own rows: a
//! request resolves it only among the chunk rows of the session it names, never as a blob key.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use playback_blobs::BlobStore;
use playback_schemas::json::from_str_deep;
use playback_warehouse::{ChunkRow, SessionRow};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{json_string, load_chunk};
use crate::{QueryError, QueryState};

/// Chunks never change once written: a new grouping of batches is a new chunk row.
pub(crate) const IMMUTABLE: &str = "private, max-age=31536000, immutable";

/// The opaque, URL-safe id of a chunk: 22 characters of base64url over a digest of the row's
/// window, seq range, blob key, event count and size, so a rewritten chunk gets a new id.
pub fn chunk_id(row: &ChunkRow) -> String {
    let mut hasher = Sha256::new();
    for text in [row.window_id.as_str(), row.blob_key.as_str()] {
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    for number in [row.first_seq, row.last_seq, i64::from(row.events), row.bytes] {
        hasher.update(number.to_le_bytes());
    }
    let digest = hasher.finalize();
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The events in `rows`, each batch once. Chunks of a tab whose seq ranges do not meet hold
/// different batches, so their row counts add up; where ranges meet (a redelivered batch
/// written again, or late batches in a chunk such as `[0, 1, 5]` next to `[2, 3, 4]`), those
/// chunks are read to count each seq once.
pub async fn archived_events(blobs: &dyn BlobStore, rows: &[ChunkRow]) -> Result<i64, QueryError> {
    let mut by_window: BTreeMap<&str, Vec<&ChunkRow>> = BTreeMap::new();
    for row in rows {
        by_window.entry(row.window_id.as_str()).or_default().push(row);
    }
    let mut total = 0i64;
    for (_, mut window_rows) in by_window {
        window_rows.sort_by_key(|row| (row.first_seq, row.last_seq));
        let mut group: Vec<&ChunkRow> = Vec::new();
        let mut group_last_seq = i64::MIN;
        for row in window_rows {
            if !group.is_empty() && row.first_seq > group_last_seq {
                total += group_events(blobs, &group).await?;
                group.clear();
            }
            group_last_seq = if group.is_empty() { row.last_seq } else { group_last_seq.max(row.last_seq) };
            group.push(row);
        }
        total += group_events(blobs, &group).await?;
    }
    Ok(total)
}

/// The events of chunks whose seq ranges overlap, each seq once.
async fn group_events(blobs: &dyn BlobStore, group: &[&ChunkRow]) -> Result<i64, QueryError> {
    if let [only] = group {
        return Ok(i64::from(only.events));
    }
    let mut per_seq: BTreeMap<i64, i64> = BTreeMap::new();
    for row in group {
        let decoded = load_chunk(blobs, row).await?;
        for batch in decoded.batches {
            if let Entry::Vacant(entry) = per_seq.entry(batch.seq) {
                let events: Vec<&RawValue> = from_str_deep(batch.events.get())
                    .map_err(|error| QueryError::Internal(format!("chunk {}: {error}", row.blob_key)))?;
                entry.insert(events.len() as i64);
            }
        }
    }
    Ok(per_seq.values().sum())
}

/// Whether every batch the sessionizer counted for `session` is in a chunk: the chunks hold at
/// least the session's events, each batch once, in at least its windows. The archiver keeps
/// every element of a batch and the sessionizer counts only the rrweb events among them, so a
/// complete recording may hold more; a recording with no chunks is never complete.
pub fn is_complete(session: &SessionRow, windows: usize, archived_events: i64) -> bool {
    windows > 0 && windows as i64 >= i64::from(session.windows) && archived_events >= session.events
}

/// The manifest of `session`: its windows by first event, each with its chunks by time.
pub(crate) async fn manifest(state: &QueryState, session: &SessionRow) -> Result<Value, QueryError> {
    let rows = state.warehouse.session_chunks(&session.project_id, &session.session_id).await?;
    let archived = archived_events(state.blobs.as_ref(), &rows).await?;
    let mut by_window: BTreeMap<&str, Vec<&ChunkRow>> = BTreeMap::new();
    for row in &rows {
        by_window.entry(row.window_id.as_str()).or_default().push(row);
    }
    let mut windows: Vec<(i64, &str, Value)> = Vec::new();
    for (window_id, mut window_rows) in by_window {
        window_rows.sort_by_key(|row| (row.first_ts_ms, row.first_seq, row.last_seq));
        let first_ts_ms = window_rows.iter().map(|row| row.first_ts_ms).min().unwrap_or(0);
        let last_ts_ms = window_rows.iter().map(|row| row.last_ts_ms).max().unwrap_or(0);
        let chunks: Vec<Value> = window_rows
            .iter()
            .map(|row| {
                json!({
                    "id": chunk_id(row),
                    "first_seq": row.first_seq,
                    "last_seq": row.last_seq,
                    "first_ts_ms": row.first_ts_ms,
                    "last_ts_ms": row.last_ts_ms,
                    "snapshot": row.full_snapshot,
                    "events": row.events,
                    "bytes": row.bytes,
                })
            })
            .collect();
        let window =
            json!({ "window_id": window_id, "first_ts_ms": first_ts_ms, "last_ts_ms": last_ts_ms, "chunks": chunks });
        windows.push((first_ts_ms, window_id, window));
    }
    windows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    Ok(json!({
        "session_id": session.session_id,
        "complete": is_complete(session, windows.len(), archived),
        "session_events": session.events,
        "archived_events": archived,
        "windows": windows.into_iter().map(|(_, _, window)| window).collect::<Vec<_>>(),
    }))
}

/// Whether `If-None-Match` names `etag`.
pub(crate) fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag))
}

/// Chunk `chunk_id` of `session`: `{"window_id", "batches": [{"seq", "events"}]}` by seq, each
/// seq once, cached as immutable. 404 for an id that is not one of the session's chunks.
pub(crate) async fn chunk_response(
    state: &QueryState,
    session: &SessionRow,
    chunk_id_wanted: &str,
    headers: &HeaderMap,
    audience: super::Audience,
) -> Result<Response, QueryError> {
    let rows = state.warehouse.session_chunks(&session.project_id, &session.session_id).await?;
    let row = rows
        .into_iter()
        .find(|row| chunk_id(row) == chunk_id_wanted)
        .ok_or_else(|| QueryError::NotFound("chunk not found".into()))?;
    let etag = format!("\"{chunk_id_wanted}\"");
    let etag_value = HeaderValue::from_str(&etag).map_err(|error| QueryError::Internal(error.to_string()))?;
    let cache_headers = [(header::ETAG, etag_value), (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE))];
    if not_modified(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache_headers).into_response());
    }
    let decoded = load_chunk(state.blobs.as_ref(), &row).await?;
    let mut batches: BTreeMap<i64, Box<RawValue>> = BTreeMap::new();
    for batch in decoded.batches {
        batches.entry(batch.seq).or_insert_with(|| audience.events(batch.events));
    }
    let mut body = Vec::with_capacity(batches.values().map(|events| events.get().len() + 24).sum::<usize>() + 64);
    body.extend_from_slice(format!("{{\"window_id\":{},\"batches\":[", json_string(&row.window_id)).as_bytes());
    for (position, (seq, events)) in batches.iter().enumerate() {
        if position > 0 {
            body.push(b',');
        }
        body.extend_from_slice(format!("{{\"seq\":{seq},\"events\":").as_bytes());
        body.extend_from_slice(events.get().as_bytes());
        body.push(b'}');
    }
    body.extend_from_slice(b"]}");
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], cache_headers, body)
        .into_response())
}
