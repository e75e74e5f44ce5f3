//! The scorer.
//!
//! Consumes: `playback.session-updates` (group `scorer`).
//! Produces: one upserted `sessions` row per update, with the score, its per-factor breakdown
//! and the similarity signature.
//! Guarantees: rows are written before offsets are committed, and the warehouse keeps the
//! highest version of each session, so a redelivered or reordered update changes nothing.
//! It is a [`playback_runtime::Stage`]: the runtime polls, decodes (an undecodable update is
//! dropped with a reason), and commits after [`Scorer`] says the rows are durable; the scorer
//! only turns a poll's updates into rows.
//!
//! The formula, published in docs/scoring.md: each factor is normalized to `[0, 1]`, multiplied
//! by its weight, and the points are summed. Recency depends on the time of the query, so the
//! stored `base_score` leaves it out and the query API adds it (see [`recency`]).

pub mod metrics;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use playback_log::{EventLog, LogError};
use playback_runtime::metrics::{self as runtime_metrics, Sink};
use playback_runtime::{crash, retry, Commit, Decoded, Stage, TopicOf, SESSION_UPDATES};
use playback_schemas::SessionUpdate;
use playback_warehouse::{Recency, SessionRow, Warehouse};

pub use playback_warehouse::Factor;
use serde::{Deserialize, Serialize};

pub use playback_schemas::signature::{jaccard, minhash, shingles, SIGNATURE_LEN};

/// The consumer group of the scorer.
pub const GROUP: &str = "scorer";

/// Weights (points) and scales of the score. A factor with value `x` and scale `s` is
/// normalized to `1 - exp(-x / s)`: 0 for nothing, 0.63 at `x = s`, approaching 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreConfig {
    pub clicks_weight: f64,
    pub clicks_scale: f64,
    pub urls_weight: f64,
    pub urls_scale: f64,
    pub inputs_weight: f64,
    pub inputs_scale: f64,
    /// Points for a session that was active all along; inactivity takes its share off.
    pub activity_weight: f64,
    /// Points for a session that just ended, halving every `recency_half_life_hours`.
    pub recency_weight: f64,
    pub recency_half_life_hours: f64,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            clicks_weight: 25.0,
            clicks_scale: 10.0,
            urls_weight: 20.0,
            urls_scale: 3.0,
            inputs_weight: 20.0,
            inputs_scale: 5.0,
            activity_weight: 15.0,
            recency_weight: 20.0,
            recency_half_life_hours: 24.0,
        }
    }
}

fn saturate(value: f64, scale: f64) -> f64 {
    if value <= 0.0 || scale <= 0.0 {
        return 0.0;
    }
    1.0 - (-value / scale).exp()
}

fn factor(name: &str, raw: f64, normalized: f64, weight: f64) -> Factor {
    Factor { factor: name.into(), raw, normalized, weight, points: normalized * weight }
}

/// The factors that do not depend on the time of the query.
pub fn base_factors(update: &SessionUpdate, config: &ScoreConfig) -> Vec<Factor> {
    let duration = (update.end_ms - update.start_ms).max(0) as f64;
    let activity = if duration > 0.0 { (update.active_ms as f64 / duration).clamp(0.0, 1.0) } else { 0.0 };
    vec![
        factor(
            "clicks",
            update.clicks as f64,
            saturate(update.clicks as f64, config.clicks_scale),
            config.clicks_weight,
        ),
        factor(
            "urls",
            update.urls.len() as f64,
            saturate(update.urls.len() as f64, config.urls_scale),
            config.urls_weight,
        ),
        factor(
            "inputs",
            update.inputs as f64,
            saturate(update.inputs as f64, config.inputs_scale),
            config.inputs_weight,
        ),
        factor("activity", activity, activity, config.activity_weight),
    ]
}

/// The recency factor's parameters for a query at `as_of_ms`.
pub fn recency(config: &ScoreConfig, as_of_ms: i64) -> Recency {
    Recency::at(as_of_ms, config.recency_weight, config.recency_half_life_hours)
}

/// The session row for an update.
pub fn session_row(update: &SessionUpdate, config: &ScoreConfig) -> SessionRow {
    let factors = base_factors(update, config);
    let base_score: f64 = factors.iter().map(|factor| factor.points).sum();
    let signature = minhash(&shingles(&update.path_sequence, &update.action_sequence));
    let (user_id, user_traits_json) = match &update.user {
        Some(user) => (user.id.clone().unwrap_or_default(), user.traits_json.clone()),
        None => (String::new(), "{}".to_string()),
    };
    SessionRow {
        project_id: update.project_id.clone(),
        session_id: update.session_id.clone(),
        version: update.version,
        closed: update.closed,
        start_ms: update.start_ms,
        end_ms: update.end_ms,
        active_ms: update.active_ms,
        user_id,
        user_traits_json,
        browser: update.device.browser.clone(),
        browser_version: update.device.browser_version.clone(),
        os: update.device.os.clone(),
        os_version: update.device.os_version.clone(),
        device_type: update.device.device_type.clone(),
        screen_width: update.device.screen_width,
        screen_height: update.device.screen_height,
        windows: update.windows,
        events: update.events,
        page_views: update.page_views,
        clicks: update.clicks,
        inputs: update.inputs,
        errors: update.errors,
        custom_events: update.custom_events,
        rage_clicks: update.rage_clicks,
        dead_clicks: update.dead_clicks,
        entry_url: update.entry_url.clone(),
        exit_url: update.exit_url.clone(),
        urls_json: serde_json::to_string(&update.urls).unwrap_or_else(|_| "[]".into()),
        event_names_json: serde_json::to_string(&update.event_names).unwrap_or_else(|_| "[]".into()),
        base_score,
        score_breakdown_json: serde_json::to_string(&factors).unwrap_or_else(|_| "[]".into()),
        signature_json: serde_json::to_string(&signature).unwrap_or_else(|_| "[]".into()),
        updated_at_ms: update.updated_at_ms,
        viewport_width: update.device.viewport_width,
        viewport_height: update.device.viewport_height,
    }
}

/// What the scorer runs on.
pub struct Scorer {
    pub log: Arc<dyn EventLog>,
    pub warehouse: Arc<dyn Warehouse>,
    pub config: ScoreConfig,
}

impl Scorer {
    /// Runs until the task is dropped.
    pub async fn run(self) -> Result<(), LogError> {
        let log = Arc::clone(&self.log);
        playback_runtime::run(log.as_ref(), self).await
    }
}

#[async_trait]
impl Stage for Scorer {
    type Message = SessionUpdate;
    const NAME: &'static str = GROUP;
    const TOPIC: TopicOf<SessionUpdate> = SESSION_UPDATES;
    const SINKS: &'static [Sink] = &[Sink::Warehouse];
    const TABLES: &'static [&'static str] = &["sessions"];

    /// Upserts one row per session, the newest update of each in the poll, then lets the
    /// runtime commit everything read.
    async fn process(&mut self, records: Vec<Decoded<SessionUpdate>>) -> Commit {
        // Within one poll only the newest version of a session matters.
        let mut newest: HashMap<(String, String), SessionUpdate> = HashMap::new();
        for record in records {
            let update = record.message;
            let key = (update.project_id.clone(), update.session_id.clone());
            let keep = newest.get(&key).is_none_or(|known| known.version <= update.version);
            if keep {
                newest.insert(key, update);
            }
        }
        let rows: Vec<SessionRow> = newest.values().map(|update| session_row(update, &self.config)).collect();
        metrics::SCORES.inc_by(rows.len() as u64);
        let warehouse = &self.warehouse;
        let timer = runtime_metrics::flush_timer(GROUP, Sink::Warehouse);
        crash::point("scorer.before_upsert");
        retry::until_ok("upsert sessions", || warehouse.upsert_sessions(rows.clone())).await;
        runtime_metrics::observe_unless_empty(timer, rows.is_empty());
        runtime_metrics::rows_inserted(GROUP, "sessions", rows.len());
        Commit::All
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update() -> SessionUpdate {
        SessionUpdate {
            start_ms: 0,
            end_ms: 100_000,
            active_ms: 25_000,
            clicks: 10,
            inputs: 0,
            urls: vec!["a".into(), "b".into(), "c".into()],
            ..SessionUpdate::default()
        }
    }

    #[test]
    fn breakdown_adds_up_to_the_base_score() {
        let config = ScoreConfig::default();
        let row = session_row(&update(), &config);
        let factors: Vec<Factor> = serde_json::from_str(&row.score_breakdown_json).unwrap();
        let names: Vec<&str> = factors.iter().map(|factor| factor.factor.as_str()).collect();
        assert_eq!(names, vec!["clicks", "urls", "inputs", "activity"]);
        let expected_clicks = 25.0 * (1.0 - (-1.0f64).exp());
        assert!((factors[0].points - expected_clicks).abs() < 1e-9);
        assert!((factors[1].points - expected_clicks * 20.0 / 25.0).abs() < 1e-9, "3 urls at scale 3");
        assert_eq!(factors[2].points, 0.0);
        assert!((factors[3].points - 15.0 * 0.25).abs() < 1e-9);
        let sum: f64 = factors.iter().map(|factor| factor.points).sum();
        assert!((row.base_score - sum).abs() < 1e-9);
    }

    #[test]
    fn more_engagement_scores_higher() {
        let config = ScoreConfig::default();
        let quiet = session_row(&SessionUpdate { clicks: 1, ..update() }, &config);
        let busy = session_row(&SessionUpdate { clicks: 30, inputs: 6, ..update() }, &config);
        assert!(busy.base_score > quiet.base_score);
        let empty = session_row(&SessionUpdate::default(), &config);
        assert_eq!(empty.base_score, 0.0);
    }

    #[test]
    fn recency_halves_every_half_life() {
        let config = ScoreConfig::default();
        let hour = 3_600_000;
        assert_eq!(recency(&config, 10 * hour).factor(10 * hour).points, 20.0);
        assert!((recency(&config, 24 * hour).factor(0).points - 10.0).abs() < 1e-9);
        assert!((recency(&config, 48 * hour).factor(0).points - 5.0).abs() < 1e-9);
        assert_eq!(recency(&config, 48 * hour).factor(0).raw, 48.0);
    }
}
