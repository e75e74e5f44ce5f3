//! `GET /v1/sessions/{id}/recording`, streamed: the body is written chunk by chunk, so the
//! server holds a few chunks of a session, never the whole recording.
//!
//! The first chunk is read before the status is sent, so a missing or unreadable first chunk
//! is still a 500. A later failure cannot change the status any more: it is logged and the body
//! is aborted, so the client sees a broken transfer rather than truncated JSON.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use playback_blobs::BlobStore;
use playback_warehouse::{ChunkRow, SessionRow};
use serde_json::value::RawValue;

use super::merge::SeqMerge;
use super::{json_string, load_chunk, Audience};
use crate::{QueryError, QueryState};

/// One tab's chunks, in the order they are read.
#[derive(Debug)]
struct WindowPlan {
    window_id: String,
    first_ts_ms: i64,
    /// By first seq, then last seq.
    chunks: VecDeque<ChunkRow>,
}

/// The tabs of a recording in the order readers get them (by first event), each with its chunks
/// by first seq: the order in which a [`SeqMerge`] writes each batch once, in seq order.
fn plan(rows: Vec<ChunkRow>, window_id: Option<&str>) -> VecDeque<WindowPlan> {
    let mut windows: BTreeMap<String, WindowPlan> = BTreeMap::new();
    for row in rows {
        if window_id.is_some_and(|wanted| wanted != row.window_id) {
            continue;
        }
        let window = windows.entry(row.window_id.clone()).or_insert_with(|| WindowPlan {
            window_id: row.window_id.clone(),
            first_ts_ms: row.first_ts_ms,
            chunks: VecDeque::new(),
        });
        window.first_ts_ms = window.first_ts_ms.min(row.first_ts_ms);
        window.chunks.push_back(row);
    }
    let mut ordered: Vec<WindowPlan> = windows.into_values().collect();
    for window in &mut ordered {
        window.chunks.make_contiguous().sort_by_key(|row| (row.first_seq, row.last_seq));
    }
    ordered.sort_by(|a, b| (a.first_ts_ms, &a.window_id).cmp(&(b.first_ts_ms, &b.window_id)));
    ordered.into()
}

/// The tab being written.
struct OpenWindow {
    audience: Audience,
    chunks: VecDeque<ChunkRow>,
    merge: SeqMerge<Box<RawValue>>,
    wrote_event: bool,
}

impl OpenWindow {
    /// Appends the events of `batches` to the window's `events` array.
    fn write(&mut self, out: &mut Vec<u8>, batches: Vec<(i64, Box<RawValue>)>) {
        for (_, events) in batches {
            let events = self.audience.events(events);
            let items = array_items(events.get());
            if items.is_empty() {
                continue;
            }
            if self.wrote_event {
                out.push(b',');
            }
            out.extend_from_slice(items.as_bytes());
            self.wrote_event = true;
        }
    }
}

/// The inside of a JSON array text, without the brackets; empty for `[]`.
fn array_items(array: &str) -> &str {
    let trimmed = array.trim();
    let inner = trimmed.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')).unwrap_or("");
    inner.trim()
}

/// Writes `{"session_id", "windows": [{"window_id", "events": […]}]}` one chunk at a time.
pub(crate) struct RecordingWriter {
    blobs: Arc<dyn BlobStore>,
    session_id: String,
    audience: Audience,
    windows: VecDeque<WindowPlan>,
    open: Option<OpenWindow>,
    windows_opened: usize,
    started: bool,
    finished: bool,
}

impl RecordingWriter {
    fn new(blobs: Arc<dyn BlobStore>, session_id: String, audience: Audience, windows: VecDeque<WindowPlan>) -> Self {
        RecordingWriter {
            blobs,
            session_id,
            audience,
            windows,
            open: None,
            windows_opened: 0,
            started: false,
            finished: false,
        }
    }

    /// The next piece of the body: what can be written before the next chunk is read, then that
    /// chunk is read and held. `None` after the closing bracket.
    pub(crate) async fn next_piece(&mut self) -> Result<Option<Bytes>, QueryError> {
        if self.finished {
            return Ok(None);
        }
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            out.extend_from_slice(
                format!("{{\"session_id\":{},\"windows\":[", json_string(&self.session_id)).as_bytes(),
            );
        }
        loop {
            let Some(open) = self.open.as_mut() else {
                let Some(window) = self.windows.pop_front() else {
                    out.extend_from_slice(b"]}");
                    self.finished = true;
                    return Ok(Some(out.into()));
                };
                if self.windows_opened > 0 {
                    out.push(b',');
                }
                self.windows_opened += 1;
                out.extend_from_slice(
                    format!("{{\"window_id\":{},\"events\":[", json_string(&window.window_id)).as_bytes(),
                );
                self.open = Some(OpenWindow {
                    audience: self.audience,
                    chunks: window.chunks,
                    merge: SeqMerge::default(),
                    wrote_event: false,
                });
                continue;
            };
            let Some(row) = open.chunks.pop_front() else {
                let rest = open.merge.release_all();
                open.write(&mut out, rest);
                out.extend_from_slice(b"]}");
                self.open = None;
                continue;
            };
            let ready = open.merge.release_before(row.first_seq);
            open.write(&mut out, ready);
            let decoded = load_chunk(self.blobs.as_ref(), &row).await?;
            for batch in decoded.batches {
                if batch.seq < row.first_seq || batch.seq > row.last_seq {
                    return Err(QueryError::Internal(format!(
                        "chunk {} holds seq {} outside its row's range",
                        row.blob_key, batch.seq
                    )));
                }
                open.merge.hold(batch.seq, batch.events).map_err(|seq| {
                    QueryError::Internal(format!("chunk {} holds seq {seq} below what was written", row.blob_key))
                })?;
            }
            return Ok(Some(out.into()));
        }
    }
}

/// The streamed recording of `session`, of one window when `window_id` is given.
pub(crate) async fn response(
    state: &QueryState,
    session: &SessionRow,
    window_id: Option<&str>,
    audience: Audience,
) -> Result<Response, QueryError> {
    let rows = state.warehouse.session_chunks(&session.project_id, &session.session_id).await?;
    let plan = plan(rows, window_id);
    let mut writer = RecordingWriter::new(state.blobs.clone(), session.session_id.clone(), audience, plan);
    // Reads the first chunk while an error can still be the status.
    let first = writer.next_piece().await?;
    let session_id = session.session_id.clone();
    let pieces =
        futures_util::stream::unfold((writer, first, session_id), |(mut writer, pending, session_id)| async move {
            if let Some(piece) = pending {
                return Some((Ok(piece), (writer, None, session_id)));
            }
            match writer.next_piece().await {
                Ok(Some(piece)) => Some((Ok(piece), (writer, None, session_id))),
                Ok(None) => None,
                Err(error) => {
                    let detail = match &error {
                        QueryError::Internal(detail) => detail.clone(),
                        other => other.to_string(),
                    };
                    tracing::error!(message = "recording stream aborted", %detail, session_id);
                    writer.finished = true;
                    Some((Err(std::io::Error::other(detail)), (writer, None, session_id)))
                }
            }
        });
    Ok(([(header::CONTENT_TYPE, "application/json")], Body::from_stream(pieces)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(window_id: &str, first_seq: i64, last_seq: i64, first_ts_ms: i64) -> ChunkRow {
        ChunkRow {
            project_id: "demo".into(),
            session_id: "s1".into(),
            window_id: window_id.into(),
            first_seq,
            last_seq,
            blob_key: format!("{window_id}-{first_seq}-{last_seq}"),
            first_ts_ms,
            last_ts_ms: first_ts_ms + 10,
            events: 1,
            bytes: 1,
            full_snapshot: false,
            created_at_ms: 0,
        }
    }

    #[test]
    fn windows_by_first_event_and_chunks_by_first_seq() {
        let rows = vec![
            row("b", 4, 6, 500),
            row("b", 0, 3, 100),
            row("a", 0, 9, 300),
            row("a", 2, 2, 200),
            row("c", 0, 0, 900),
        ];
        let planned = plan(rows.clone(), None);
        let order: Vec<(&str, Vec<(i64, i64)>)> = planned
            .iter()
            .map(|window| {
                (window.window_id.as_str(), window.chunks.iter().map(|row| (row.first_seq, row.last_seq)).collect())
            })
            .collect();
        assert_eq!(order, vec![("b", vec![(0, 3), (4, 6)]), ("a", vec![(0, 9), (2, 2)]), ("c", vec![(0, 0)])]);
        let only_a = plan(rows, Some("a"));
        assert_eq!(only_a.len(), 1);
        assert_eq!(only_a[0].first_ts_ms, 200);
    }
}
