//! `GET /v1/sessions/{id}/recording`: the rrweb events of each tab, from the chunks.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use playback_schemas::chunk::decode_chunk;
use playback_warehouse::SessionRow;
use serde::Deserialize;

use crate::auth::Caller;
use crate::sessions::find;
use crate::{QueryError, QueryState};

#[derive(Debug, Deserialize)]
pub struct RecordingParams {
    pub(crate) window_id: Option<String>,
}

/// One tab's batches by seq; a batch found in two chunks is kept once.
#[derive(Default)]
struct WindowEvents {
    first_ts_ms: i64,
    batches: BTreeMap<i64, String>,
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
    let chunks = state.warehouse.session_chunks(&session.project_id, &session.session_id).await?;
    let mut windows: BTreeMap<String, WindowEvents> = BTreeMap::new();
    for chunk in chunks {
        if window_id.is_some_and(|wanted| wanted != chunk.window_id) {
            continue;
        }
        let Some(bytes) = state.blobs.get(&chunk.blob_key).await? else {
            return Err(QueryError::Internal(format!("chunk {} is missing from blob storage", chunk.blob_key)));
        };
        let decoded = tokio::task::spawn_blocking(move || decode_chunk(&bytes))
            .await
            .map_err(|error| QueryError::Internal(error.to_string()))?
            .map_err(|error| QueryError::Internal(format!("chunk {}: {error}", chunk.blob_key)))?;
        let window = windows
            .entry(decoded.window_id.clone())
            .or_insert_with(|| WindowEvents { first_ts_ms: chunk.first_ts_ms, batches: BTreeMap::new() });
        window.first_ts_ms = window.first_ts_ms.min(chunk.first_ts_ms);
        for batch in decoded.batches {
            window.batches.entry(batch.seq).or_insert_with(|| batch.events.get().to_string());
        }
    }
    let mut ordered: Vec<(String, WindowEvents)> = windows.into_iter().collect();
    ordered.sort_by_key(|(window_id, events)| (events.first_ts_ms, window_id.clone()));

    let mut body = format!("{{\"session_id\":{},\"windows\":[", json_string(&session.session_id));
    for (position, (window_id, events)) in ordered.iter().enumerate() {
        if position > 0 {
            body.push(',');
        }
        body.push_str(&format!("{{\"window_id\":{},\"events\":[", json_string(window_id)));
        let mut first = true;
        for events_json in events.batches.values() {
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
