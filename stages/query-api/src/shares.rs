//! Share links: an admin creates a signed, expiring link to one session; anyone with the link
//! reads that session's summary, transcript and recording, until it expires or is revoked.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use playback_warehouse::{SessionRow, ShareRow};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::collab::new_id;
use crate::recording::{self, Audience, RecordingParams};
use crate::sessions::{detail, find, transcript};
use crate::share_token::ShareClaims;
use crate::wire::{Hidden, SessionDetail, Transcript};
use crate::{now_ms, QueryError, QueryState};

/// How long share links live.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShareLifetimes {
    pub default_hours: u32,
    pub max_hours: u32,
}

impl Default for ShareLifetimes {
    fn default() -> Self {
        ShareLifetimes { default_hours: 168, max_hours: 720 }
    }
}

fn share_json(share: &ShareRow, url: Option<String>) -> Value {
    let mut body = json!({
        "share_id": share.share_id,
        "session_id": share.session_id,
        "created_at": share.created_at_ms,
        "expires_at": share.expires_at_ms,
        "revoked": share.revoked,
        "author": share.author,
    });
    if let Some(url) = url {
        body["url"] = Value::String(url);
    }
    body
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    expires_in_hours: Option<u32>,
}

/// `POST /v1/sessions/{id}/shares` (admin).
pub async fn create(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Option<Json<NewShare>>,
) -> Result<(StatusCode, Json<Value>), QueryError> {
    caller.require_admin("sharing a session")?;
    let session = find(&state, &caller.project_id, &id).await?;
    let lifetimes = state.share_lifetimes;
    let hours = body.and_then(|Json(new)| new.expires_in_hours).unwrap_or(lifetimes.default_hours);
    if hours == 0 || hours > lifetimes.max_hours {
        return Err(QueryError::BadRequest(format!("expires_in_hours must be between 1 and {}", lifetimes.max_hours)));
    }
    let now = now_ms();
    let share = ShareRow {
        project_id: caller.project_id.clone(),
        share_id: new_id(),
        session_id: session.session_id.clone(),
        author: caller.name.clone(),
        created_at_ms: now,
        expires_at_ms: now + i64::from(hours) * 3_600_000,
        revoked: false,
        version: 1,
    };
    state.warehouse.upsert_shares(vec![share.clone()]).await?;
    let token = state.share_signer.sign(&ShareClaims {
        share_id: share.share_id.clone(),
        project_id: share.project_id.clone(),
        session_id: share.session_id.clone(),
        expires_at_ms: share.expires_at_ms,
    });
    Ok((StatusCode::CREATED, Json(share_json(&share, Some(format!("/s/{token}"))))))
}

/// `GET /v1/sessions/{id}/shares` (admin).
pub async fn list(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, QueryError> {
    caller.require_admin("listing share links")?;
    let session = find(&state, &caller.project_id, &id).await?;
    let shares = state.warehouse.session_shares(&caller.project_id, &session.session_id).await?;
    Ok(Json(json!({ "shares": shares.iter().map(|share| share_json(share, None)).collect::<Vec<_>>() })))
}

/// `DELETE /v1/shares/{share_id}` (admin): the link stops working at once.
pub async fn revoke(
    State(state): State<QueryState>,
    caller: Caller,
    Path(share_id): Path<String>,
) -> Result<StatusCode, QueryError> {
    caller.require_admin("revoking a share link")?;
    let mut share = state
        .warehouse
        .share(&caller.project_id, &share_id)
        .await?
        .ok_or_else(|| QueryError::NotFound("share link not found".into()))?;
    if !share.revoked {
        share.revoked = true;
        share.version += 1;
        state.warehouse.upsert_shares(vec![share]).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The session a share token opens: 404 when the token does not verify, 410 when the link
/// expired or was revoked.
pub(crate) async fn shared_session(state: &QueryState, token: &str) -> Result<SessionRow, QueryError> {
    let not_found = || QueryError::NotFound("share link not found".into());
    let claims = state.share_signer.verify(token).ok_or_else(not_found)?;
    let share = state.warehouse.share(&claims.project_id, &claims.share_id).await?.ok_or_else(not_found)?;
    if share.session_id != claims.session_id {
        return Err(not_found());
    }
    if share.revoked {
        return Err(QueryError::Gone("this share link was revoked".into()));
    }
    if now_ms() >= share.expires_at_ms.min(claims.expires_at_ms) {
        return Err(QueryError::Gone("this share link expired".into()));
    }
    find(state, &claims.project_id, &claims.session_id).await
}

/// `GET /v1/shared/{token}`: the session's detail, without who the user is.
pub async fn session(
    State(state): State<QueryState>,
    Path(token): Path<String>,
) -> Result<Json<SessionDetail>, QueryError> {
    let row = shared_session(&state, &token).await?;
    let mut body = detail(&state, &row);
    body.fields.user_id = Hidden::Hidden;
    body.fields.user_traits = Hidden::Hidden;
    body.user = Hidden::Hidden;
    Ok(Json(body))
}

/// `GET /v1/shared/{token}/events`.
pub async fn events(
    State(state): State<QueryState>,
    Path(token): Path<String>,
) -> Result<Json<Transcript>, QueryError> {
    let row = shared_session(&state, &token).await?;
    let mut body = transcript(&state, &row).await?;
    // A shared session leaves out who the visitor is, here as in its summary.
    for event in &mut body.events {
        if event.kind == playback_warehouse::EventKind::Identify {
            event.props = serde_json::json!({});
            event.title = "Identified".into();
        }
    }
    Ok(Json(body))
}

/// `GET /v1/shared/{token}/recording`.
pub async fn recording(
    State(state): State<QueryState>,
    Path(token): Path<String>,
    Query(params): Query<RecordingParams>,
) -> Result<Response, QueryError> {
    let row = shared_session(&state, &token).await?;
    recording::response(&state, &row, params.window_id.as_deref(), Audience::Shared).await
}

/// `GET /v1/shared/{token}/recording/manifest`.
pub async fn recording_manifest(
    State(state): State<QueryState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, QueryError> {
    let row = shared_session(&state, &token).await?;
    Ok(Json(recording::manifest_of(&state, &row).await?))
}

/// `GET /v1/shared/{token}/recording/chunks/{chunk_id}`: only a chunk of the shared session.
pub async fn recording_chunk(
    State(state): State<QueryState>,
    Path((token, chunk_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, QueryError> {
    let row = shared_session(&state, &token).await?;
    recording::chunk_of(&state, &row, &chunk_id, &headers, Audience::Shared).await
}
