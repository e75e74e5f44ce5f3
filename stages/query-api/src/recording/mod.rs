//! A session's recording, read by time: `GET /v1/sessions/{id}/recording/manifest` lists the
//! chunks of each tab, `…/recording/chunks/{chunk_id}` returns one of them, and
//! `GET /v1/sessions/{id}/recording` streams the whole recording chunk by chunk.

mod manifest;
pub mod merge;
mod stream;

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use playback_blobs::BlobStore;
use playback_schemas::chunk::{decode_chunk, DecodedChunk};
use playback_schemas::json::from_str_deep;
use playback_warehouse::{ChunkRow, SessionRow, Warehouse};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::auth::Caller;
use crate::sessions::find;
use crate::{QueryError, QueryState};

pub use manifest::{archived_events, chunk_id};
pub(crate) use manifest::{not_modified, IMMUTABLE};

#[derive(Debug, Deserialize)]
pub struct RecordingParams {
    pub(crate) window_id: Option<String>,
}

/// One tab of a recording as readers get it: its batches by seq, each once, however many chunks
/// hold it.
#[derive(Debug, Default)]
pub struct WindowRecording {
    pub window_id: String,
    /// Client time of the window's first event, which orders the windows.
    pub first_ts_ms: i64,
    /// The JSON array text of each batch's rrweb events, by seq.
    pub batches: BTreeMap<i64, String>,
    /// How many copies of batches the chunks held beyond the first: the archiver writes a batch
    /// again when it crashed before committing it.
    pub redundant_copies: u64,
}

/// Reads and decodes the chunk of `row` from blob storage.
pub(crate) async fn load_chunk(blobs: &dyn BlobStore, row: &ChunkRow) -> Result<DecodedChunk, QueryError> {
    let Some(bytes) = blobs.get(&row.blob_key).await? else {
        return Err(QueryError::Internal(format!("chunk {} is missing from blob storage", row.blob_key)));
    };
    tokio::task::spawn_blocking(move || decode_chunk(&bytes))
        .await
        .map_err(|error| QueryError::Internal(error.to_string()))?
        .map_err(|error| QueryError::Internal(format!("chunk {}: {error}", row.blob_key)))
}

/// Reads the chunks of a session (of one window when `window_id` is given) and merges them into
/// the windows that readers get, ordered by their first event, all in memory. A batch found in
/// two chunks is kept once. The HTTP routes stream instead; `playback verify` uses this.
pub async fn assemble(
    warehouse: &dyn Warehouse,
    blobs: &dyn BlobStore,
    project_id: &str,
    session_id: &str,
    window_id: Option<&str>,
) -> Result<Vec<WindowRecording>, QueryError> {
    let chunks = warehouse.session_chunks(project_id, session_id).await?;
    let mut windows: BTreeMap<String, WindowRecording> = BTreeMap::new();
    for chunk in chunks {
        if window_id.is_some_and(|wanted| wanted != chunk.window_id) {
            continue;
        }
        let decoded = load_chunk(blobs, &chunk).await?;
        let window = windows.entry(decoded.window_id.clone()).or_insert_with(|| WindowRecording {
            window_id: decoded.window_id.clone(),
            first_ts_ms: chunk.first_ts_ms,
            ..WindowRecording::default()
        });
        window.first_ts_ms = window.first_ts_ms.min(chunk.first_ts_ms);
        for batch in decoded.batches {
            match window.batches.entry(batch.seq) {
                Entry::Vacant(entry) => {
                    entry.insert(batch.events.get().to_string());
                }
                Entry::Occupied(_) => window.redundant_copies += 1,
            }
        }
    }
    let mut ordered: Vec<WindowRecording> = windows.into_values().collect();
    ordered.sort_by(|a, b| (a.first_ts_ms, &a.window_id).cmp(&(b.first_ts_ms, &b.window_id)));
    Ok(ordered)
}

/// Who reads a recording: the project's own team sees it as recorded; a share link's reader gets
/// it without `$identify` events, so the recording does not say who the user is any more than
/// the shared summary does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    Team,
    Shared,
}

impl Audience {
    /// The events of one batch (a JSON array text) as this audience gets them.
    pub(crate) fn events(self, events: Box<RawValue>) -> Box<RawValue> {
        if self == Audience::Team {
            return events;
        }
        let text = events.get();
        // A tag is `$identify` or an escaped spelling of it; without either, nothing to drop.
        if !text.contains("identify") && !text.contains('\\') {
            return events;
        }
        let Ok(items) = from_str_deep::<Vec<&RawValue>>(text) else {
            return events;
        };
        let kept: Vec<&str> = items.iter().filter(|event| !is_identify(event)).map(|event| event.get()).collect();
        if kept.len() == items.len() {
            return events;
        }
        RawValue::from_string(format!("[{}]", kept.join(","))).unwrap_or(events)
    }
}

/// Whether an rrweb event is the custom event `$identify`.
fn is_identify(event: &RawValue) -> bool {
    #[derive(Deserialize)]
    struct Head<'a> {
        #[serde(rename = "type")]
        kind: Option<u8>,
        #[serde(borrow)]
        data: Option<&'a RawValue>,
    }
    #[derive(Deserialize)]
    struct Data {
        tag: Option<String>,
    }
    let Ok(head) = from_str_deep::<Head<'_>>(event.get()) else {
        return false;
    };
    if head.kind != Some(5) {
        return false;
    }
    let tag = head.data.and_then(|data| from_str_deep::<Data>(data.get()).ok()).and_then(|data| data.tag);
    tag.as_deref() == Some("$identify")
}

pub(crate) fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// `GET /v1/sessions/{id}/recording`.
pub async fn get(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<RecordingParams>,
) -> Result<Response, QueryError> {
    let session = find(&state, &caller.project_id, &id).await?;
    response(&state, &session, params.window_id.as_deref(), Audience::Team).await
}

/// `GET /v1/sessions/{id}/recording/manifest`.
pub async fn manifest(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, QueryError> {
    let session = find(&state, &caller.project_id, &id).await?;
    Ok(Json(manifest::manifest(&state, &session).await?))
}

/// `GET /v1/sessions/{id}/recording/chunks/{chunk_id}`.
pub async fn chunk(
    State(state): State<QueryState>,
    caller: Caller,
    Path((id, chunk_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, QueryError> {
    let session = find(&state, &caller.project_id, &id).await?;
    manifest::chunk_response(&state, &session, &chunk_id, &headers, Audience::Team).await
}

/// The recording of `session`, of one window when `window_id` is given, streamed.
pub(crate) async fn response(
    state: &QueryState,
    session: &SessionRow,
    window_id: Option<&str>,
    audience: Audience,
) -> Result<Response, QueryError> {
    stream::response(state, session, window_id, audience).await
}

/// The manifest of `session`.
pub(crate) async fn manifest_of(state: &QueryState, session: &SessionRow) -> Result<Value, QueryError> {
    manifest::manifest(state, session).await
}

/// Chunk `chunk_id` of `session`.
pub(crate) async fn chunk_of(
    state: &QueryState,
    session: &SessionRow,
    chunk_id: &str,
    headers: &HeaderMap,
    audience: Audience,
) -> Result<Response, QueryError> {
    manifest::chunk_response(state, session, chunk_id, headers, audience).await
}
