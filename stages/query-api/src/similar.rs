//! `GET /v1/sessions/{id}/similar`: the sessions most like one session, with the reasons.
//!
//! `similarity = 0.7 × J + 0.15 × D + 0.15 × S`: `J` estimates the Jaccard similarity of the
//! two sessions' shingle sets (page paths, consecutive path pairs and runs of three actions)
//! from their MinHash signatures; `D` is the share of device type, browser and OS that match;
//! `S` is `1 − |score difference| / 100`. Sessions with `J = 0` share nothing and are left out.

use axum::extract::{Path, Query, State};
use axum::Json;
use playback_schemas::signature::jaccard;
use playback_warehouse::{SessionOrder, SessionQuery, SessionRow};
use serde::Deserialize;

use crate::auth::Caller;
use crate::sessions::{find, recency};
use crate::wire::{SessionFields, SimilarSession, SimilarSessions};
use crate::{now_ms, QueryError, QueryState};

const PATH_WEIGHT: f64 = 0.7;
const DEVICE_WEIGHT: f64 = 0.15;
const SCORE_WEIGHT: f64 = 0.15;
/// Candidates end at most this long before the session, or after it.
const WINDOW_MS: i64 = 30 * 86_400_000;
/// Candidates compared, at most: the most recent ones.
const MAX_CANDIDATES: usize = 2000;
const MAX_LIMIT: usize = 20;

#[derive(Debug, Deserialize)]
pub struct SimilarParams {
    limit: Option<usize>,
}

fn signature(row: &SessionRow) -> Vec<u32> {
    serde_json::from_str(&row.signature_json).unwrap_or_default()
}

/// Why `candidate` resembles `session`, and how much.
fn compare(
    session: &SessionRow,
    score: f64,
    candidate: &SessionRow,
    candidate_score: f64,
) -> Option<(f64, Vec<String>)> {
    let paths = jaccard(&signature(session), &signature(candidate));
    if paths <= 0.0 {
        return None;
    }
    let same = |left: &str, right: &str| !left.is_empty() && left.eq_ignore_ascii_case(right);
    let matching: Vec<&str> = [
        (same(&session.device_type, &candidate.device_type), candidate.device_type.as_str()),
        (same(&session.browser, &candidate.browser), candidate.browser.as_str()),
        (same(&session.os, &candidate.os), candidate.os.as_str()),
    ]
    .into_iter()
    .filter_map(|(matches, value)| matches.then_some(value))
    .collect();
    let device = matching.len() as f64 / 3.0;
    let closeness = (1.0 - (score - candidate_score).abs() / 100.0).clamp(0.0, 1.0);
    let mut reasons = vec![format!("page paths and actions {:.0}% alike", paths * 100.0)];
    match matching.len() {
        3 => reasons.push(format!("same device: {}", matching.join(", "))),
        0 => {}
        _ => reasons.push(format!("same {}", matching.join(", "))),
    }
    reasons.push(format!("score {:.0} vs {:.0}", candidate_score, score));
    Some((PATH_WEIGHT * paths + DEVICE_WEIGHT * device + SCORE_WEIGHT * closeness, reasons))
}

pub async fn get(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<SimilarParams>,
) -> Result<Json<SimilarSessions>, QueryError> {
    let limit = params.limit.unwrap_or(5);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(QueryError::BadRequest(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let session = find(&state, &caller.project_id, &id).await?;
    let now = now_ms();
    let recency = recency(&state.recency, now);
    let score = session.base_score + recency.points_for(session.end_ms);
    let query = SessionQuery {
        project_id: Some(caller.project_id.clone()),
        end_from_ms: session.end_ms - WINDOW_MS,
        end_to_ms: now.max(session.end_ms) + 86_400_000,
        order: SessionOrder::Recent,
        recency,
        limit: MAX_CANDIDATES,
        ..SessionQuery::default()
    };
    let candidates = state.warehouse.list_sessions(&query).await?;
    let mut ranked: Vec<(f64, SimilarSession)> = Vec::new();
    for hit in candidates.iter().filter(|hit| hit.row.session_id != session.session_id) {
        let Some((similarity, reasons)) = compare(&session, score, &hit.row, hit.score) else { continue };
        let body = SimilarSession {
            fields: SessionFields::of(&hit.row, hit.score),
            similarity: (similarity * 1000.0).round() / 1000.0,
            reasons,
        };
        ranked.push((similarity, body));
    }
    ranked.sort_by(|left, right| right.0.total_cmp(&left.0));
    let sessions: Vec<SimilarSession> = ranked.into_iter().take(limit).map(|(_, body)| body).collect();
    Ok(Json(SimilarSessions { sessions }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use playback_schemas::signature::{minhash, shingles};

    fn session(paths: &[&str], device: (&str, &str, &str)) -> SessionRow {
        let paths: Vec<String> = paths.iter().map(|path| path.to_string()).collect();
        let signature = minhash(&shingles(&paths, &[]));
        SessionRow {
            device_type: device.0.into(),
            browser: device.1.into(),
            os: device.2.into(),
            signature_json: serde_json::to_string(&signature).unwrap_or_default(),
            ..SessionRow::default()
        }
    }

    #[test]
    fn closer_paths_and_devices_rank_higher() {
        let desktop = ("desktop", "Chrome", "Linux");
        let phone = ("mobile", "Safari", "iOS");
        let base = session(&["/", "/pricing", "/checkout"], desktop);
        let twin = session(&["/", "/pricing", "/checkout"], desktop);
        let same_paths_phone = session(&["/", "/pricing", "/checkout"], phone);
        let other = session(&["/blog", "/about"], desktop);
        let (twin_score, twin_reasons) = compare(&base, 50.0, &twin, 50.0).unwrap_or_default();
        let (phone_score, _) = compare(&base, 50.0, &same_paths_phone, 50.0).unwrap_or_default();
        assert!((twin_score - 1.0).abs() < 1e-9, "identical sessions: {twin_score}");
        assert!(phone_score < twin_score && phone_score > 0.8, "another device: {phone_score}");
        assert!(compare(&base, 50.0, &other, 50.0).is_none(), "nothing in common");
        assert_eq!(
            twin_reasons,
            vec!["page paths and actions 100% alike", "same device: desktop, Chrome, Linux", "score 50 vs 50"]
        );
    }
}
