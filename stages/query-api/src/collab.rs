//! Notes on a session's timeline and saved filters of a project.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use playback_warehouse::{NoteRow, SavedFilterRow};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::JsonBody;
use crate::sessions::find;
use crate::{list_query, now_ms, QueryError, QueryState};

const MAX_NOTE_CHARS: usize = 2000;
const MAX_NAME_CHARS: usize = 200;

/// A new id: a UUIDv7, so ids sort by creation.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn note_json(note: &NoteRow) -> Value {
    json!({
        "note_id": note.note_id,
        "session_id": note.session_id,
        "offset_ms": note.offset_ms,
        "author": note.author,
        "text": note.text,
        "created_at": note.created_at_ms,
    })
}

/// `GET /v1/sessions/{id}/notes`.
pub async fn list_notes(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, QueryError> {
    let session = find(&state, &caller.project_id, &id).await?;
    let notes = state.warehouse.session_notes(&caller.project_id, &session.session_id).await?;
    Ok(Json(json!({ "notes": notes.iter().map(note_json).collect::<Vec<_>>() })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    offset_ms: i64,
    text: String,
}

/// `POST /v1/sessions/{id}/notes`.
pub async fn add_note(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(new): JsonBody<NewNote>,
) -> Result<(StatusCode, Json<Value>), QueryError> {
    let session = find(&state, &caller.project_id, &id).await?;
    let text = new.text.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Err(QueryError::BadRequest(format!("text must have 1 to {MAX_NOTE_CHARS} characters")));
    }
    let duration = (session.end_ms - session.start_ms).max(0);
    if new.offset_ms < 0 || new.offset_ms > duration {
        return Err(QueryError::BadRequest(format!("offset_ms must be between 0 and the duration, {duration}")));
    }
    let note = NoteRow {
        project_id: caller.project_id.clone(),
        session_id: session.session_id,
        note_id: new_id(),
        offset_ms: new.offset_ms,
        author: caller.name.clone(),
        text: text.to_string(),
        created_at_ms: now_ms(),
        deleted: false,
        version: 1,
    };
    state.warehouse.upsert_notes(vec![note.clone()]).await?;
    Ok((StatusCode::CREATED, Json(note_json(&note))))
}

/// `DELETE /v1/sessions/{id}/notes/{note_id}`.
pub async fn delete_note(
    State(state): State<QueryState>,
    caller: Caller,
    Path((id, note_id)): Path<(String, String)>,
) -> Result<StatusCode, QueryError> {
    let session = find(&state, &caller.project_id, &id).await?;
    let notes = state.warehouse.session_notes(&caller.project_id, &session.session_id).await?;
    let mut note = notes
        .into_iter()
        .find(|note| note.note_id == note_id)
        .ok_or_else(|| QueryError::NotFound("note not found".into()))?;
    caller.require_author(&note.author, "deleting another's note")?;
    // The tombstone keeps no text, and the warehouse removes the versions it replaces.
    note.text.clear();
    note.deleted = true;
    note.version += 1;
    state.warehouse.upsert_notes(vec![note]).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn filter_json(filter: &SavedFilterRow) -> Value {
    json!({
        "filter_id": filter.filter_id,
        "name": filter.name,
        "query": filter.query,
        "author": filter.author,
        "created_at": filter.created_at_ms,
    })
}

/// `GET /v1/saved-filters`.
pub async fn list_filters(State(state): State<QueryState>, caller: Caller) -> Result<Json<Value>, QueryError> {
    let filters = state.warehouse.saved_filters(&caller.project_id).await?;
    Ok(Json(json!({ "filters": filters.iter().map(filter_json).collect::<Vec<_>>() })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFilter {
    name: String,
    query: String,
}

/// `POST /v1/saved-filters`: the query is checked like the list's parameters.
pub async fn save_filter(
    State(state): State<QueryState>,
    caller: Caller,
    JsonBody(new): JsonBody<NewFilter>,
) -> Result<(StatusCode, Json<Value>), QueryError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(QueryError::BadRequest(format!("name must have 1 to {MAX_NAME_CHARS} characters")));
    }
    let query = new.query.trim().trim_start_matches('?');
    list_query::parse(query, false)?;
    let filter = SavedFilterRow {
        project_id: caller.project_id.clone(),
        filter_id: new_id(),
        name: name.to_string(),
        query: query.to_string(),
        author: caller.name.clone(),
        created_at_ms: now_ms(),
        deleted: false,
        version: 1,
    };
    state.warehouse.upsert_saved_filters(vec![filter.clone()]).await?;
    Ok((StatusCode::CREATED, Json(filter_json(&filter))))
}

/// `DELETE /v1/saved-filters/{filter_id}`.
pub async fn delete_filter(
    State(state): State<QueryState>,
    caller: Caller,
    Path(filter_id): Path<String>,
) -> Result<StatusCode, QueryError> {
    let filters = state.warehouse.saved_filters(&caller.project_id).await?;
    let mut filter = filters
        .into_iter()
        .find(|filter| filter.filter_id == filter_id)
        .ok_or_else(|| QueryError::NotFound("saved filter not found".into()))?;
    caller.require_author(&filter.author, "deleting another's saved filter")?;
    filter.deleted = true;
    filter.version += 1;
    state.warehouse.upsert_saved_filters(vec![filter]).await?;
    Ok(StatusCode::NO_CONTENT)
}
