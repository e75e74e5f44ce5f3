//! `GET /v1/sessions`, `/v1/sessions/{id}` and `/v1/sessions/{id}/events`.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use playback_warehouse::{PageAfter, Recency, SessionHit, SessionOrder, SessionQuery, SessionRow};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
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
    Recency { as_of_ms, points: config.weight, half_life_ms: config.half_life_hours * 3_600_000.0 }
}

/// A stored JSON column as a value, `null` when it does not parse. Traits and event props come
/// from rrweb events and may nest deeper than serde_json parses by default.
pub(crate) fn parse_json(text: &str) -> Value {
    playback_schemas::json::from_str_deep(text).unwrap_or(Value::Null)
}

/// The list view of a session.
pub(crate) fn summary(row: &SessionRow, score: f64) -> Value {
    let duration_ms = (row.end_ms - row.start_ms).max(0);
    json!({
        "session_id": row.session_id,
        "project_id": row.project_id,
        "user_id": if row.user_id.is_empty() { Value::Null } else { Value::String(row.user_id.clone()) },
        "user_traits": parse_json(&row.user_traits_json),
        "start_time": row.start_ms,
        "end_time": row.end_ms,
        "duration_ms": duration_ms,
        "active_ms": row.active_ms.min(duration_ms),
        "inactive_ms": (duration_ms - row.active_ms).max(0),
        "page_views": row.page_views,
        "clicks": row.clicks,
        "inputs": row.inputs,
        "errors": row.errors,
        "custom_events": row.custom_events,
        "rage_clicks": row.rage_clicks,
        "dead_clicks": row.dead_clicks,
        "windows": row.windows,
        "events": row.events,
        "entry_url": row.entry_url,
        "exit_url": row.exit_url,
        "browser": row.browser,
        "browser_version": row.browser_version,
        "os": row.os,
        "os_version": row.os_version,
        "device_type": row.device_type,
        "screen_width": row.screen_width,
        "screen_height": row.screen_height,
        "closed": row.closed,
        "score": (score * 10.0).round() / 10.0,
    })
}

pub async fn list(
    State(state): State<QueryState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, QueryError> {
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
    let mut marks: HashMap<String, Vec<Value>> = HashMap::new();
    let starts: HashMap<&str, i64> = hits.iter().map(|hit| (hit.row.session_id.as_str(), hit.row.start_ms)).collect();
    for mark in state.warehouse.session_marks(&caller.project_id, &ids).await? {
        let start = starts.get(mark.session_id.as_str()).copied().unwrap_or(mark.ts_ms);
        marks
            .entry(mark.session_id)
            .or_default()
            .push(json!({"offset_ms": (mark.ts_ms - start).max(0), "kind": mark.kind}));
    }
    let sessions: Vec<Value> = hits
        .iter()
        .map(|hit| {
            let mut body = summary(&hit.row, hit.score);
            body["marks"] = Value::Array(thin(marks.remove(&hit.row.session_id).unwrap_or_default(), MAX_MARKS));
            body
        })
        .collect();
    Ok(Json(json!({ "sessions": sessions, "next_cursor": next_cursor })))
}

/// At most `max` of `items`, evenly spread, the first and last kept.
fn thin(items: Vec<Value>, max: usize) -> Vec<Value> {
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

/// A session's detail: its summary with `urls`, `event_names` and `score_breakdown`, the
/// recency factor evaluated now.
pub(crate) fn detail(state: &QueryState, row: &SessionRow) -> Value {
    let now = now_ms();
    let recency_points = recency(&state.recency, now).points_for(row.end_ms);
    let mut breakdown: Vec<Value> = serde_json::from_str(&row.score_breakdown_json).unwrap_or_default();
    let age_hours = (now - row.end_ms).max(0) as f64 / 3_600_000.0;
    let normalized = if state.recency.weight > 0.0 { recency_points / state.recency.weight } else { 0.0 };
    breakdown.push(json!({
        "factor": "recency",
        "raw": (age_hours * 100.0).round() / 100.0,
        "normalized": normalized,
        "weight": state.recency.weight,
        "points": recency_points,
    }));
    let mut body = summary(row, row.base_score + recency_points);
    body["urls"] = parse_json(&row.urls_json);
    body["event_names"] = parse_json(&row.event_names_json);
    body["score_breakdown"] = Value::Array(breakdown);
    body
}

pub async fn get(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, QueryError> {
    let row = find(&state, &caller.project_id, &id).await?;
    let mut body = detail(&state, &row);
    body["user"] = if row.user_id.is_empty() {
        Value::Null
    } else {
        let sessions = state.warehouse.user_sessions(&row.project_id, &row.user_id).await?;
        let number =
            sessions.iter().position(|session| session.session_id == row.session_id).map_or(0, |index| index + 1);
        json!({
            "user_id": row.user_id,
            "session_number": number,
            "session_count": sessions.len(),
            "first_seen": sessions.first().map_or(row.start_ms, |session| session.start_ms),
        })
    };
    Ok(Json(body))
}

/// A session's transcript.
pub(crate) async fn transcript(state: &QueryState, row: &SessionRow) -> Result<Value, QueryError> {
    let rows = state.warehouse.session_events(&row.project_id, &row.session_id).await?;
    let events: Vec<Value> = rows
        .iter()
        .map(|event| {
            json!({
                "ts": event.ts_ms,
                "offset_ms": (event.ts_ms - row.start_ms).max(0),
                "window_id": event.window_id,
                "kind": event.kind,
                "url": event.url,
                "name": event.name,
                "target": event.target,
                "props": parse_json(&event.props_json),
            })
        })
        .collect();
    Ok(json!({ "events": events }))
}

pub async fn events(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, QueryError> {
    let row = find(&state, &caller.project_id, &id).await?;
    Ok(Json(transcript(&state, &row).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

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
