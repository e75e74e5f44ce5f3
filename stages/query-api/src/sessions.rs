//! `GET /v1/sessions`, `/v1/sessions/{id}` and `/v1/sessions/{id}/events`.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use playback_warehouse::{Factor, PageAfter, Recency, SessionHit, SessionOrder, SessionQuery, SessionRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Caller;
use crate::wire::{
    Hidden, Mark, SessionDetail, SessionFields, SessionPage, SessionSummary, SessionUser, Transcript, TranscriptEvent,
};
use crate::{list_query, now_ms, QueryError, QueryState, RecencyConfig};

/// Marks per row of a listing, at most; a session with more is thinned evenly.
const MAX_MARKS: usize = 200;

const DEFAULT_RANGE_MS: i64 = 7 * 86_400_000;
const MAX_LIMIT: usize = 500;

/// The opaque paging cursor: where the last page ended, and for score order the time the
/// scores were computed at, so that every page ranks the same way.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    after: PageAfter,
    as_of_ms: Option<i64>,
}

/// A cursor of `order`, or a 400.
fn cursor_for(text: Option<&str>, order: SessionOrder) -> Result<Option<Cursor>, QueryError> {
    let Some(cursor) = text.map(decode_cursor).transpose()? else { return Ok(None) };
    match (&cursor.after, order) {
        (PageAfter::Recent { .. }, SessionOrder::Recent) | (PageAfter::Score { .. }, SessionOrder::Score) => {
            Ok(Some(cursor))
        }
        _ => Err(QueryError::BadRequest("cursor belongs to another sort".into())),
    }
}

fn encode_cursor(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode_cursor(text: &str) -> Result<Cursor, QueryError> {
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| QueryError::BadRequest("invalid cursor".into()))?;
    serde_json::from_slice(&bytes).map_err(|_| QueryError::BadRequest("invalid cursor".into()))
}

pub(crate) fn recency(config: &RecencyConfig, as_of_ms: i64) -> Recency {
    Recency::at(as_of_ms, config.weight, config.half_life_hours)
}

/// A stored JSON column as a value, `null` when it does not parse. Traits and event props come
/// from rrweb events and may nest deeper than serde_json parses by default.
pub(crate) fn parse_json(text: &str) -> Value {
    playback_schemas::json::from_str_deep(text).unwrap_or(Value::Null)
}

pub async fn list(
    State(state): State<QueryState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<SessionPage>, QueryError> {
    let request = list_query::parse(query.as_deref().unwrap_or(""), true)?;
    let now = now_ms();
    let to = request.to.unwrap_or(now + 86_400_000);
    let from = request.from.unwrap_or(now - DEFAULT_RANGE_MS);
    if from >= to {
        return Err(QueryError::BadRequest("from must be before to".into()));
    }
    let limit = request.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(QueryError::BadRequest(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let order = match request.sort.as_deref().unwrap_or("recent") {
        "score" => SessionOrder::Score,
        _ => SessionOrder::Recent,
    };
    let cursor = cursor_for(request.cursor.as_deref(), order)?;
    // Every page of one listing scores as of its first page.
    let as_of_ms = cursor.as_ref().and_then(|cursor| cursor.as_of_ms).unwrap_or(now);
    let query = SessionQuery {
        project_id: Some(caller.project_id.clone()),
        end_from_ms: from,
        end_to_ms: to,
        order,
        recency: recency(&state.recency, as_of_ms),
        filter: request.filter,
        after: cursor.map(|cursor| cursor.after),
        limit,
    };
    let hits = state.warehouse.list_sessions(&query).await?;
    let next_cursor =
        if hits.len() == limit { hits.last().map(|last| next_cursor(last, order, as_of_ms)) } else { None };
    let ids: Vec<String> = hits.iter().map(|hit| hit.row.session_id.clone()).collect();
    let mut marks: HashMap<String, Vec<Mark>> = HashMap::new();
    let starts: HashMap<&str, i64> = hits.iter().map(|hit| (hit.row.session_id.as_str(), hit.row.start_ms)).collect();
    for mark in state.warehouse.session_marks(&caller.project_id, &ids).await? {
        let start = starts.get(mark.session_id.as_str()).copied().unwrap_or(mark.ts_ms);
        marks
            .entry(mark.session_id)
            .or_default()
            .push(Mark { offset_ms: (mark.ts_ms - start).max(0), kind: mark.kind });
    }
    let mut sessions = Vec::with_capacity(hits.len());
    for hit in &hits {
        let row_marks = thin(marks.remove(&hit.row.session_id).unwrap_or_default(), MAX_MARKS);
        sessions.push(SessionSummary { fields: SessionFields::of(&hit.row, hit.score), marks: row_marks });
    }
    Ok(Json(SessionPage { sessions, next_cursor }))
}

/// At most `max` of `items`, evenly spread, the first and last kept.
fn thin<T>(items: Vec<T>, max: usize) -> Vec<T> {
    if items.len() <= max || max < 2 {
        return items;
    }
    let last = items.len() - 1;
    let wanted: Vec<usize> = (0..max).map(|index| index * last / (max - 1)).collect();
    items
        .into_iter()
        .enumerate()
        .filter(|(index, _)| wanted.binary_search(index).is_ok())
        .map(|(_, item)| item)
        .collect()
}

fn next_cursor(last: &SessionHit, order: SessionOrder, as_of_ms: i64) -> String {
    let after = if order == SessionOrder::Score {
        PageAfter::Score { score: last.score, session_id: last.row.session_id.clone() }
    } else {
        PageAfter::Recent { end_ms: last.row.end_ms, session_id: last.row.session_id.clone() }
    };
    encode_cursor(&Cursor { after, as_of_ms: Some(as_of_ms) })
}

/// The session `id` of `project_id`, or a 404: a session of another project is not found.
pub(crate) async fn find(state: &QueryState, project_id: &str, id: &str) -> Result<SessionRow, QueryError> {
    state
        .warehouse
        .get_session(Some(project_id), id)
        .await?
        .ok_or_else(|| QueryError::NotFound("session not found".into()))
}

/// A session's detail without its user: its fields with `urls`, `event_names` and
/// `score_breakdown`, the recency factor evaluated now.
pub(crate) fn detail(state: &QueryState, row: &SessionRow) -> SessionDetail {
    let recency = recency(&state.recency, now_ms()).factor(row.end_ms);
    let mut score_breakdown: Vec<Factor> = serde_json::from_str(&row.score_breakdown_json).unwrap_or_default();
    let score = row.base_score + recency.points;
    score_breakdown.push(recency);
    SessionDetail {
        fields: SessionFields::of(row, score),
        urls: serde_json::from_str(&row.urls_json).unwrap_or_default(),
        event_names: serde_json::from_str(&row.event_names_json).unwrap_or_default(),
        score_breakdown,
        user: Hidden::Shown(None),
    }
}

pub async fn get(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SessionDetail>, QueryError> {
    let row = find(&state, &caller.project_id, &id).await?;
    let mut body = detail(&state, &row);
    if !row.user_id.is_empty() {
        let sessions = state.warehouse.user_sessions(&row.project_id, &row.user_id).await?;
        let number =
            sessions.iter().position(|session| session.session_id == row.session_id).map_or(0, |index| index + 1);
        body.user = Hidden::Shown(Some(SessionUser {
            user_id: row.user_id.clone(),
            session_number: number,
            session_count: sessions.len(),
            first_seen: sessions.first().map_or(row.start_ms, |session| session.start_ms),
        }));
    }
    Ok(Json(body))
}

/// A session's transcript.
pub(crate) async fn transcript(state: &QueryState, row: &SessionRow) -> Result<Transcript, QueryError> {
    let rows = state.warehouse.session_events(&row.project_id, &row.session_id).await?;
    let mut events = Vec::with_capacity(rows.len());
    for event in rows {
        let props = parse_json(&event.props_json);
        events.push(TranscriptEvent {
            ts: event.ts_ms,
            offset_ms: (event.ts_ms - row.start_ms).max(0),
            window_id: event.window_id,
            kind: event.kind,
            title: crate::titles::title(event.kind, &event.name, &event.url, &event.target, &props),
            url: event.url,
            name: event.name,
            target: event.target,
            props,
        });
    }
    Ok(Transcript { events })
}

pub async fn events(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Transcript>, QueryError> {
    let row = find(&state, &caller.project_id, &id).await?;
    Ok(Json(transcript(&state, &row).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_json_parses_as_deep_as_events_may_nest() {
        let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        assert_eq!(parse_json(r#"{"plan":"pro"}"#), json!({"plan": "pro"}));
        let deep = nested(300);
        assert_eq!(parse_json(&deep).to_string(), deep);
        assert_eq!(parse_json(&nested(600)), Value::Null);
        assert_eq!(parse_json("not json"), Value::Null);
    }
}
