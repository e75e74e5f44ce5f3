//! `GET /v1/users/{user_id}`: the user's card.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::sessions::parse_json;
use crate::{QueryError, QueryState};

pub async fn get(
    State(state): State<QueryState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<Json<Value>, QueryError> {
    let sessions = state.warehouse.user_sessions(&caller.project_id, &user_id).await?;
    let (Some(first), Some(latest)) = (sessions.first(), sessions.iter().max_by_key(|session| session.end_ms)) else {
        return Err(QueryError::NotFound("user not found".into()));
    };
    Ok(Json(json!({
        "user_id": user_id,
        "traits": parse_json(&latest.user_traits_json),
        "session_count": sessions.len(),
        "first_seen": first.start_ms,
        "last_seen": latest.end_ms,
    })))
}
