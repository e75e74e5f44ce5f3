//! `GET /v1/sessions`, `/v1/sessions/{id}` and `/v1/sessions/{id}/events`.

use axum::extract::{Path, Query, State};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use playback_warehouse::{PageAfter, Recency, SessionHit, SessionOrder, SessionQuery, SessionRow};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{now_ms, QueryError, QueryState, RecencyConfig};

const DEFAULT_RANGE_MS: i64 = 7 * 86_400_000;
const MAX_LIMIT: usize = 500;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    from: Option<i64>,
    to: Option<i64>,
    sort: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
    project: Option<String>,
}

/// The opaque paging cursor: where the last page ended, and for score order the time the
/// scores were computed at, so that every page ranks the same way.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    after: PageAfter,
    as_of_ms: Option<i64>,
}

fn encode_cursor(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode_cursor(text: &str) -> Result<Cursor, QueryError> {
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| QueryError::BadRequest("invalid cursor".into()))?;
    serde_json::from_slice(&bytes).map_err(|_| QueryError::BadRequest("invalid cursor".into()))
}

fn recency(config: &RecencyConfig, as_of_ms: i64) -> Recency {
    Recency { as_of_ms, points: config.weight, half_life_ms: config.half_life_hours * 3_600_000.0 }
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The list view of a session.
fn summary(row: &SessionRow, score: f64) -> Value {
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
    Query(params): Query<ListParams>,
) -> Result<Json<Value>, QueryError> {
    let now = now_ms();
    let to = params.to.unwrap_or(now + 86_400_000);
    let from = params.from.unwrap_or(now - DEFAULT_RANGE_MS);
    if from >= to {
        return Err(QueryError::BadRequest("from must be before to".into()));
    }
    let limit = params.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(QueryError::BadRequest(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let cursor = params.cursor.as_deref().map(decode_cursor).transpose()?;
    let (order, after) = match params.sort.as_deref().unwrap_or("recent") {
        "recent" => {
            let after = match cursor {
                Some(Cursor { after: after @ PageAfter::Recent { .. }, .. }) => Some(after),
                Some(_) => return Err(QueryError::BadRequest("cursor belongs to another sort".into())),
                None => None,
            };
            (SessionOrder::Recent, after)
        }
        "score" => match cursor {
            Some(Cursor { after: after @ PageAfter::Score { .. }, as_of_ms }) => {
                (SessionOrder::Score(recency(&state.recency, as_of_ms.unwrap_or(now))), Some(after))
            }
            Some(_) => return Err(QueryError::BadRequest("cursor belongs to another sort".into())),
            None => (SessionOrder::Score(recency(&state.recency, now)), None),
        },
        other => return Err(QueryError::BadRequest(format!("unknown sort {other:?}: use recent or score"))),
    };
    let query = SessionQuery { project_id: params.project, end_from_ms: from, end_to_ms: to, order, after, limit };
    let hits = state.warehouse.list_sessions(&query).await?;
    let next_cursor = if hits.len() == limit { hits.last().map(|last| next_cursor(last, &order)) } else { None };
    let sessions: Vec<Value> =
        hits.iter().map(|hit| summary(&hit.row, score_now(hit, &order, &state.recency, now))).collect();
    Ok(Json(json!({ "sessions": sessions, "next_cursor": next_cursor })))
}

fn score_now(hit: &SessionHit, order: &SessionOrder, config: &RecencyConfig, now: i64) -> f64 {
    match order {
        SessionOrder::Score(_) => hit.score,
        SessionOrder::Recent => hit.row.base_score + recency(config, now).points_for(hit.row.end_ms),
    }
}

fn next_cursor(last: &SessionHit, order: &SessionOrder) -> String {
    let cursor = match order {
        SessionOrder::Recent => Cursor {
            after: PageAfter::Recent { end_ms: last.row.end_ms, session_id: last.row.session_id.clone() },
            as_of_ms: None,
        },
        SessionOrder::Score(recency) => Cursor {
            after: PageAfter::Score { score: last.score, session_id: last.row.session_id.clone() },
            as_of_ms: Some(recency.as_of_ms),
        },
    };
    encode_cursor(&cursor)
}

pub(crate) async fn find(state: &QueryState, id: &str) -> Result<SessionRow, QueryError> {
    state.warehouse.get_session(None, id).await?.ok_or_else(|| QueryError::NotFound("session not found".into()))
}

pub async fn get(State(state): State<QueryState>, Path(id): Path<String>) -> Result<Json<Value>, QueryError> {
    let row = find(&state, &id).await?;
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
    let mut body = summary(&row, row.base_score + recency_points);
    body["urls"] = parse_json(&row.urls_json);
    body["event_names"] = parse_json(&row.event_names_json);
    body["score_breakdown"] = Value::Array(breakdown);
    Ok(Json(body))
}

pub async fn events(State(state): State<QueryState>, Path(id): Path<String>) -> Result<Json<Value>, QueryError> {
    let row = find(&state, &id).await?;
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
    Ok(Json(json!({ "events": events })))
}
