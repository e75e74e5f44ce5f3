//! Archived assets: the copies of the stylesheets, fonts and images a session's pages used,
//! which the asset stage keeps under `assets/{project}/{hash}`, and each session's listing of
//! them.
//!
//! A replay loads assets as plain browser requests, which carry no bearer token, so a listing
//! names a `base` that carries its own capability: an asset grant for a caller with a token
//! (`/v1/asset-grants/{grant}/`), the share token for a shared session
//! (`/v1/shared/{token}/assets/`). Either reaches only the assets of its session. A token reaches
//! every asset of its project at `/v1/assets/{hash}`. Copies are immutable: served with a year
//! of caching, their hash as ETag, `nosniff`, and a CSP that sandboxes a copy opened on its own.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use playback_schemas::asset::{asset_blob_key, is_asset_hash};
use playback_warehouse::{AssetStatus, SessionRow};

use crate::auth::Caller;
use crate::recording::{not_modified, IMMUTABLE};
use crate::sessions::find;
use crate::share_token::AssetGrant;
use crate::shares::shared_session;
use crate::wire::{AssetEntry, AssetListing};
use crate::{now_ms, QueryError, QueryState};

/// How long the grant of a listing lets the replay load its assets: a long viewing, not a link
/// to keep.
const GRANT_LIFETIME_MS: i64 = 12 * 3_600_000;

/// The CSP of a served copy: an SVG or HTML body opened on its own runs nothing and loads
/// nothing.
const ASSET_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

fn no_such_asset() -> QueryError {
    QueryError::NotFound("asset not found".into())
}

/// The asset listing of `session`, loading copies from `base`.
async fn listing(state: &QueryState, session: &SessionRow, base: String) -> Result<AssetListing, QueryError> {
    let used = state.warehouse.session_assets(&session.project_id, &session.session_id).await?;
    let assets = used
        .into_iter()
        .map(|used| match used.asset {
            Some(asset) => AssetEntry {
                url: used.url,
                status: asset.status.as_str().into(),
                hash: asset.hash,
                content_type: asset.content_type,
                bytes: asset.bytes,
                error: asset.error,
            },
            None => AssetEntry {
                url: used.url,
                status: "pending".into(),
                hash: String::new(),
                content_type: String::new(),
                bytes: 0,
                error: String::new(),
            },
        })
        .collect();
    Ok(AssetListing { base, assets })
}

/// `GET /v1/sessions/{id}/assets`.
pub async fn session_listing(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AssetListing>, QueryError> {
    let session = find(&state, &caller.project_id, &id).await?;
    let grant = state.share_signer.sign_grant(&AssetGrant {
        project_id: session.project_id.clone(),
        session_id: session.session_id.clone(),
        expires_at_ms: now_ms() + GRANT_LIFETIME_MS,
    });
    Ok(Json(listing(&state, &session, format!("/v1/asset-grants/{grant}/")).await?))
}

/// `GET /v1/shared/{token}/assets`.
pub async fn shared_listing(
    State(state): State<QueryState>,
    Path(token): Path<String>,
) -> Result<Json<AssetListing>, QueryError> {
    let session = shared_session(&state, &token).await?;
    Ok(Json(listing(&state, &session, format!("/v1/shared/{token}/assets/")).await?))
}

/// `GET /v1/assets/{hash}`: any archived asset of the token's project.
pub async fn by_hash(
    State(state): State<QueryState>,
    caller: Caller,
    Path(hash): Path<String>,
    headers: HeaderMap,
) -> Result<Response, QueryError> {
    if !is_asset_hash(&hash) {
        return Err(no_such_asset());
    }
    let asset = state.warehouse.asset_by_hash(&caller.project_id, &hash).await?.ok_or_else(no_such_asset)?;
    serve(&state, &caller.project_id, &hash, &asset.content_type, &headers).await
}

/// `GET /v1/asset-grants/{grant}/{hash}`: an archived asset of the grant's session.
pub async fn granted(
    State(state): State<QueryState>,
    Path((grant, hash)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, QueryError> {
    let grant = state.share_signer.verify_grant(&grant).ok_or_else(no_such_asset)?;
    if now_ms() >= grant.expires_at_ms {
        return Err(QueryError::Gone("this asset grant expired: reload the session".into()));
    }
    let session = find(&state, &grant.project_id, &grant.session_id).await?;
    of_session(&state, &session, &hash, &headers).await
}

/// `GET /v1/shared/{token}/assets/{hash}`: an archived asset of the shared session only.
pub async fn shared_asset(
    State(state): State<QueryState>,
    Path((token, hash)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, QueryError> {
    let session = shared_session(&state, &token).await?;
    of_session(&state, &session, &hash, &headers).await
}

/// The copy `hash` when `session` uses it; 404 otherwise, as for a hash that does not exist.
async fn of_session(
    state: &QueryState,
    session: &SessionRow,
    hash: &str,
    headers: &HeaderMap,
) -> Result<Response, QueryError> {
    if !is_asset_hash(hash) {
        return Err(no_such_asset());
    }
    let used = state.warehouse.session_assets(&session.project_id, &session.session_id).await?;
    let asset = used
        .into_iter()
        .filter_map(|used| used.asset)
        .find(|asset| asset.status == AssetStatus::Archived && asset.hash == hash)
        .ok_or_else(no_such_asset)?;
    serve(state, &session.project_id, hash, &asset.content_type, headers).await
}

async fn serve(
    state: &QueryState,
    project_id: &str,
    hash: &str,
    content_type: &str,
    headers: &HeaderMap,
) -> Result<Response, QueryError> {
    let etag = format!("\"{hash}\"");
    let etag_value = HeaderValue::from_str(&etag).map_err(|error| QueryError::Internal(error.to_string()))?;
    let fixed = [
        (header::ETAG, etag_value),
        (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ASSET_CSP)),
    ];
    if not_modified(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, fixed).into_response());
    }
    let bytes = state.blobs.get(&asset_blob_key(project_id, hash)).await?.ok_or_else(|| {
        QueryError::Internal(format!("asset {hash} of project {project_id} is listed but its copy is missing"))
    })?;
    let content_type =
        HeaderValue::from_str(content_type).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    Ok((StatusCode::OK, fixed, [(header::CONTENT_TYPE, content_type)], bytes).into_response())
}
