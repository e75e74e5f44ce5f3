//! `playback retention`: one job that removes what is past each project's `retention_days`
//! from every store, in step, so that no row points at a blob that is gone:
//!
//! 1. the warehouse removes the expired sessions with their transcript, chunk rows, notes,
//!    shares and asset sightings, and the asset rows no session uses any more
//!    ([`Warehouse::apply_retention`]); it names the chunk and asset blobs of what it removed;
//! 2. the blob store loses those blobs after their rows, then every chunk blob dated before
//!    what the warehouse keeps (a blob whose row never came, or a chunk merged into another),
//!    and the session keys (`keys/{project}/{session}/`) of the removed sessions;
//! 3. the event log drops the records every consumer group has read that are older than
//!    `[retention] log_max_age_hours`, and gives the space back (Kafka trims by itself).
//!
//! With `--dry-run` every step counts what it would remove and removes nothing.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use playback_blobs::BlobStore;
use playback_log::{EventLog, TrimOptions, TrimReport};
use playback_schemas::chunk::date_of;
use playback_warehouse::{ProjectCutoff, RetentionOutcome, RetentionPlan, Warehouse};

use crate::Config;

const DAY_MS: i64 = 86_400_000;

/// How far back before what the warehouse keeps the job looks for chunk blobs by date, day by
/// day; older ones are left to the bucket's lifecycle rule (or were removed by an earlier run).
const SWEEP_DAYS: i64 = 400;

/// What one run removed, or would remove.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RetentionReport {
    pub dry_run: bool,
    /// The cut-off of each configured project.
    pub cutoffs: Vec<ProjectCutoff>,
    pub warehouse: RetentionOutcome,
    /// Chunk blobs of removed chunk rows.
    pub chunk_blobs: u64,
    /// Chunk blobs found by the date in their key, without a row.
    pub swept_chunk_blobs: u64,
    /// Asset copies that no remaining asset row names.
    pub asset_blobs: u64,
    /// Session key blobs of removed sessions.
    pub key_blobs: u64,
    pub log: TrimReport,
}

impl RetentionReport {
    /// Sessions removed from the warehouse.
    pub fn sessions(&self) -> u64 {
        self.warehouse.sessions.len() as u64
    }

    /// The report as lines a person reads, one per store and table.
    pub fn lines(&self) -> Vec<String> {
        let verb = if self.dry_run { "would remove" } else { "removed" };
        let mut lines = Vec::new();
        for cutoff in &self.cutoffs {
            lines.push(format!(
                "project {}: sessions that ended before {} expire",
                cutoff.project_id,
                date_of(cutoff.cutoff_ms)
            ));
        }
        lines.push(format!("warehouse: {verb} {} sessions", self.sessions()));
        for table in &self.warehouse.tables {
            if table.rows > 0 {
                lines.push(format!("warehouse {}: {} rows ({})", table.table, table.rows, table.how));
            }
        }
        lines.push(format!(
            "blobs: {verb} {} chunks of removed rows, {} chunks without a row, {} asset copies, {} session keys",
            self.chunk_blobs, self.swept_chunk_blobs, self.asset_blobs, self.key_blobs
        ));
        match &self.log.note {
            Some(note) => lines.push(format!("log: {note}")),
            None => {
                for (topic, records) in &self.log.removed {
                    lines.push(format!("log {}: {verb} {records} records", topic.name()));
                }
                if self.dry_run {
                    lines.push(format!("log file: {} bytes", self.log.bytes_before));
                } else {
                    lines.push(format!(
                        "log file: {} bytes before, {} after",
                        self.log.bytes_before, self.log.bytes_after
                    ));
                }
            }
        }
        lines
    }
}

/// The cut-off of every configured project at `now_ms`.
pub fn plan(config: &Config, dry_run: bool, now_ms: i64) -> RetentionPlan {
    let mut cutoffs = Vec::new();
    for project in &config.projects {
        let cutoff_ms = now_ms - i64::from(project.retention_days) * DAY_MS;
        cutoffs.push(ProjectCutoff { project_id: project.id.clone(), cutoff_ms });
    }
    let default_cutoff_ms = cutoffs.iter().map(|cutoff| cutoff.cutoff_ms).min().unwrap_or(now_ms - 365 * DAY_MS);
    RetentionPlan { cutoffs, default_cutoff_ms, dry_run, batch_rows: config.retention.batch_rows }
}

/// The longest `retention_days` of any project (365 without projects).
pub fn longest_retention_days(config: &Config) -> u32 {
    config.projects.iter().map(|project| project.retention_days).max().unwrap_or(365)
}

/// Runs the job over the given adapters as of `now_ms`.
pub async fn apply(
    config: &Config,
    log: &dyn EventLog,
    warehouse: &dyn Warehouse,
    blobs: &dyn BlobStore,
    dry_run: bool,
    now_ms: i64,
) -> anyhow::Result<RetentionReport> {
    use anyhow::Context;
    let plan = plan(config, dry_run, now_ms);
    let outcome = warehouse.apply_retention(&plan).await.context("warehouse retention failed")?;
    let mut report = RetentionReport { dry_run, cutoffs: plan.cutoffs.clone(), ..RetentionReport::default() };

    let removed: BTreeSet<&str> = outcome.chunk_blobs.iter().map(String::as_str).collect();
    for key in &removed {
        if !dry_run {
            blobs.delete(key).await.with_context(|| format!("cannot remove chunk {key}"))?;
        }
        report.chunk_blobs += 1;
    }

    // Chunk blobs by the date in their key (`{project}/{yyyy-mm-dd}/{session}/…`), a day of
    // clock skew before the first row the warehouse keeps.
    let mut kept_from: BTreeMap<String, i64> = BTreeMap::new();
    for cutoff in &plan.cutoffs {
        kept_from.insert(cutoff.project_id.clone(), cutoff.cutoff_ms - DAY_MS);
    }
    for (project_id, from_ms) in &outcome.kept_from {
        kept_from.insert(project_id.clone(), *from_ms);
    }
    for (project_id, from_ms) in &kept_from {
        let last_day_ms = from_ms - DAY_MS;
        let mut day_ms = last_day_ms - SWEEP_DAYS * DAY_MS;
        while date_of(day_ms) < date_of(last_day_ms) {
            let prefix = format!("{project_id}/{}/", date_of(day_ms));
            for key in blobs.list(&prefix).await.with_context(|| format!("cannot list {prefix}"))? {
                if removed.contains(key.as_str()) {
                    continue;
                }
                if !dry_run {
                    blobs.delete(&key).await.with_context(|| format!("cannot remove chunk {key}"))?;
                }
                report.swept_chunk_blobs += 1;
            }
            day_ms += DAY_MS;
        }
    }

    for key in &outcome.asset_blobs {
        if !dry_run {
            blobs.delete(key).await.with_context(|| format!("cannot remove asset copy {key}"))?;
        }
        report.asset_blobs += 1;
    }

    // The keys of the removed sessions: one listing per project.
    let mut by_project: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for (project_id, session_id) in &outcome.sessions {
        by_project.entry(project_id.as_str()).or_default().insert(session_id.as_str());
    }
    for (project_id, sessions) in by_project {
        let prefix = format!("keys/{project_id}/");
        for key in blobs.list(&prefix).await.with_context(|| format!("cannot list {prefix}"))? {
            let session_id = key[prefix.len()..].split('/').next().unwrap_or_default();
            if !sessions.contains(session_id) {
                continue;
            }
            if !dry_run {
                blobs.delete(&key).await.with_context(|| format!("cannot remove key {key}"))?;
            }
            report.key_blobs += 1;
        }
    }

    let max_age_ms = i64::from(config.retention.log_max_age_hours) * 3_600_000;
    let trim = TrimOptions { before_ms: now_ms - max_age_ms, dry_run, batch_rows: config.retention.batch_rows };
    report.log = log.trim(&trim).await.context("cannot trim the event log")?;
    report.warehouse = outcome;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_project_expires_after_its_own_days_and_others_after_the_longest() {
        let mut config = Config::default();
        config.projects[0].retention_days = 30;
        let mut shop = config.projects[0].clone();
        shop.id = "shop".into();
        shop.retention_days = 400;
        config.projects.push(shop);
        let now = 1_000 * DAY_MS;
        let plan = plan(&config, true, now);
        assert_eq!(plan.cutoff("demo"), 970 * DAY_MS);
        assert_eq!(plan.cutoff("shop"), 600 * DAY_MS);
        assert_eq!(plan.cutoff("gone"), 600 * DAY_MS, "a project no longer configured keeps the longest retention");
        assert_eq!(longest_retention_days(&config), 400);
    }
}
