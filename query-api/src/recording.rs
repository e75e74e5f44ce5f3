//! `GET /v1/sessions/{id}/recording`: the rrweb events of each tab, from the chunks.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use playback_blobs::BlobStore;
use playback_schemas::chunk::decode_chunk;
use playback_warehouse::{SessionRow, Warehouse};
use serde::Deserialize;

use crate::auth::Caller;
use crate::sessions::find;
use crate::{QueryError, QueryState};

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

/// Reads the chunks of a session (of one window when `window_id` is given) and merges them into
/// the windows that readers get, ordered by their first event. A batch found in two chunks is
/// kept once.
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
        let Some(bytes) = blobs.get(&chunk.blob_key).await? else {
            return Err(QueryError::Internal(format!("chunk {} is missing from blob storage", chunk.blob_key)));
        };
        let decoded = tokio::task::spawn_blocking(move || decode_chunk(&bytes))
            .await
            .map_err(|error| QueryError::Internal(error.to_string()))?
            .map_err(|error| QueryError::Internal(format!("chunk {}: {error}", chunk.blob_key)))?;
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

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// The inside of a JSON array text, without the brackets; empty for `[]`.
fn array_items(array: &str) -> &str {
    let trimmed = array.trim();
    let inner = trimmed.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')).unwrap_or("");
    inner.trim()
}

pub async fn get(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<RecordingParams>,
) -> Result<Response, QueryError> {
    let session = find(&state, &caller.project_id, &id).await?;
    response(&state, &session, params.window_id.as_deref()).await
}

/// The recording of `session`, of one window when `window_id` is given.
pub(crate) async fn response(
    state: &QueryState,
    session: &SessionRow,
    window_id: Option<&str>,
) -> Result<Response, QueryError> {
    let windows =
        assemble(state.warehouse.as_ref(), state.blobs.as_ref(), &session.project_id, &session.session_id, window_id)
            .await?;
    let mut body = format!("{{\"session_id\":{},\"windows\":[", json_string(&session.session_id));
    for (position, window) in windows.iter().enumerate() {
        if position > 0 {
            body.push(',');
        }
        body.push_str(&format!("{{\"window_id\":{},\"events\":[", json_string(&window.window_id)));
        let mut first = true;
        for events_json in window.batches.values() {
            let items = array_items(events_json);
            if items.is_empty() {
                continue;
            }
            if !first {
                body.push(',');
            }
            body.push_str(items);
            first = false;
        }
        body.push_str("]}");
    }
    body.push_str("]}");
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
