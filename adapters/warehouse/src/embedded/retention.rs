//! Retention on SQLite: the expired sessions of each project go with everything that hangs on
//! them, a few thousand rows per transaction, and then the asset rows that no remaining session
//! uses.
//!
//! A session expires when it ended before its project's cut-off. Its transcript, chunk rows,
//! notes, share links and asset sightings go in the same transaction as its row, so a reader
//! never sees a session without its recording. Each write call takes the writer connection for
//! about `batch_rows` rows only, so ingest waits at most that long behind the job.
//!
//! An asset row goes when it was fetched before the cut-off and no session left uses its URL;
//! its copy (`assets/{project}/{hash}`) goes when no remaining archived row of the project has
//! the same hash.

use std::collections::BTreeSet;

use rusqlite::{params, Connection};

use super::SqliteWarehouse;
use crate::WarehouseError;

use crate::{RetentionOutcome, RetentionPlan};

/// Migration 6: asset sightings by URL, for finding the assets no session uses.
pub(super) const MIGRATION: &str = "CREATE INDEX session_assets_by_url ON session_assets (project_id, url);";

/// The longest a session lasts: a kept session started at most this long before the cut-off,
/// so its chunks are dated from then on.
pub(super) const MAX_SESSION_MS: i64 = 86_400_000;

/// Expired sessions read per step.
const PAGE: usize = 500;

/// The tables a session's rows are removed from, in order, the session row last.
const SESSION_TABLES: [&str; 5] = ["events", "recording_chunks", "notes", "session_assets", "sessions"];

/// Every project with sessions or assets.
pub(super) fn projects(connection: &Connection) -> Result<Vec<String>, rusqlite::Error> {
    let mut statement =
        connection.prepare("SELECT project_id FROM sessions UNION SELECT project_id FROM assets ORDER BY 1")?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
    rows.collect()
}

/// Up to [`PAGE`] expired sessions of `project_id` after `after`, by end time and id.
pub(super) fn expired_page(
    connection: &Connection,
    project_id: &str,
    cutoff_ms: i64,
    after: Option<&(i64, String)>,
) -> Result<Vec<(i64, String)>, rusqlite::Error> {
    let (after_end, after_id) = match after {
        Some((end_ms, session_id)) => (*end_ms, session_id.clone()),
        None => (i64::MIN, String::new()),
    };
    let mut statement = connection.prepare_cached(
        "SELECT end_ms, session_id FROM sessions WHERE project_id = ?1 AND end_ms < ?2 \
         AND (end_ms > ?3 OR (end_ms = ?3 AND session_id > ?4)) ORDER BY end_ms, session_id LIMIT ?5",
    )?;
    let rows = statement.query_map(params![project_id, cutoff_ms, after_end, after_id, PAGE as i64], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    rows.collect()
}

/// The share links of the expired sessions of `project_id`: removed (or counted) once per
/// project, before the sessions, since share links are not keyed by session.
pub(super) fn shares(
    connection: &Connection,
    project_id: &str,
    cutoff_ms: i64,
    dry_run: bool,
) -> Result<u64, rusqlite::Error> {
    let expired = "SELECT session_id FROM sessions WHERE project_id = ?1 AND end_ms < ?2";
    if dry_run {
        let sql = format!("SELECT count(*) FROM shares WHERE project_id = ?1 AND session_id IN ({expired})");
        let count: i64 = connection.query_row(&sql, params![project_id, cutoff_ms], |row| row.get(0))?;
        return Ok(count as u64);
    }
    let sql = format!("DELETE FROM shares WHERE project_id = ?1 AND session_id IN ({expired})");
    Ok(connection.execute(&sql, params![project_id, cutoff_ms])? as u64)
}

/// Removes (or counts) the rows of `sessions` from the front, each session in one go, in
/// transactions of about `batch_rows` rows, until `batch_rows` rows went or the sessions are
/// done. Returns how many sessions it handled.
pub(super) fn remove_sessions(
    connection: &mut Connection,
    project_id: &str,
    sessions: &[String],
    plan: &RetentionPlan,
    outcome: &mut RetentionOutcome,
) -> Result<usize, rusqlite::Error> {
    let transaction = connection.transaction()?;
    let mut rows = 0u64;
    let mut handled = 0;
    for session_id in sessions {
        {
            let mut keys = transaction
                .prepare_cached("SELECT blob_key FROM recording_chunks WHERE project_id = ?1 AND session_id = ?2")?;
            let found = keys.query_map(params![project_id, session_id], |row| row.get::<_, String>(0))?;
            for key in found {
                outcome.chunk_blobs.push(key?);
            }
        }
        for table in SESSION_TABLES {
            let removed = if plan.dry_run {
                let sql = format!("SELECT count(*) FROM {table} WHERE project_id = ?1 AND session_id = ?2");
                let count: i64 =
                    transaction.prepare_cached(&sql)?.query_row(params![project_id, session_id], |row| row.get(0))?;
                count as u64
            } else {
                let sql = format!("DELETE FROM {table} WHERE project_id = ?1 AND session_id = ?2");
                transaction.prepare_cached(&sql)?.execute(params![project_id, session_id])? as u64
            };
            outcome.add(table, removed, if plan.dry_run { "would delete" } else { "deleted" });
            rows += removed;
        }
        outcome.sessions.push((project_id.to_string(), session_id.clone()));
        handled += 1;
        if rows >= plan.batch_rows.max(1) as u64 {
            break;
        }
    }
    if plan.dry_run {
        transaction.rollback()?;
    } else {
        transaction.commit()?;
    }
    Ok(handled)
}

/// The asset rows of `project_id` fetched before the cut-off that no kept session uses, as
/// `(url, hash, archived)`. A sighting whose session row is missing counts as a use: the asset
/// stage may record it before the sessionizer writes the session.
pub(super) fn unused_assets(
    connection: &Connection,
    project_id: &str,
    cutoff_ms: i64,
) -> Result<Vec<(String, String, bool)>, rusqlite::Error> {
    let mut statement = connection.prepare(
        "SELECT a.url, a.hash, a.status = 'archived' FROM assets a WHERE a.project_id = ?1 AND a.fetched_at_ms < ?2 \
         AND NOT EXISTS (SELECT 1 FROM session_assets s LEFT JOIN sessions ss \
             ON ss.project_id = s.project_id AND ss.session_id = s.session_id \
             WHERE s.project_id = a.project_id AND s.url = a.url AND (ss.session_id IS NULL OR ss.end_ms >= ?2)) \
         ORDER BY a.url",
    )?;
    let rows =
        statement.query_map(params![project_id, cutoff_ms], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    rows.collect()
}

/// Removes (or counts) `unused` asset rows of `project_id` and returns the copies that no
/// remaining archived row names.
pub(super) fn remove_assets(
    connection: &mut Connection,
    project_id: &str,
    unused: &[(String, String, bool)],
    dry_run: bool,
) -> Result<Vec<String>, rusqlite::Error> {
    let leaving: BTreeSet<&str> = unused.iter().map(|(url, _, _)| url.as_str()).collect();
    let mut hashes: BTreeSet<&str> = BTreeSet::new();
    for (_, hash, archived) in unused {
        if *archived && !hash.is_empty() {
            hashes.insert(hash.as_str());
        }
    }
    let mut copies = Vec::new();
    {
        let mut others = connection
            .prepare_cached("SELECT url FROM assets WHERE project_id = ?1 AND hash = ?2 AND status = 'archived'")?;
        for hash in hashes {
            let urls = others.query_map(params![project_id, hash], |row| row.get::<_, String>(0))?;
            let mut still_named = false;
            for url in urls {
                if !leaving.contains(url?.as_str()) {
                    still_named = true;
                }
            }
            if !still_named {
                copies.push(format!("assets/{project_id}/{hash}"));
            }
        }
    }
    if !dry_run {
        let transaction = connection.transaction()?;
        {
            let mut delete = transaction.prepare_cached("DELETE FROM assets WHERE project_id = ?1 AND url = ?2")?;
            for url in &leaving {
                delete.execute(params![project_id, url])?;
            }
        }
        transaction.commit()?;
    }
    Ok(copies)
}

impl SqliteWarehouse {
    /// [`crate::Warehouse::apply_retention`]: per project, its expired sessions page by page,
    /// each page in write calls of about `batch_rows` rows, then its unused assets.
    pub(super) async fn retention(&self, plan: &RetentionPlan) -> Result<RetentionOutcome, WarehouseError> {
        let mut outcome = RetentionOutcome::default();
        let projects = Self::with(&self.reader, |connection| projects(connection)).await?;
        let mut cutoffs: Vec<(String, i64)> = Vec::new();
        for project_id in projects {
            let cutoff_ms = plan.cutoff(&project_id);
            cutoffs.push((project_id, cutoff_ms));
        }
        for (project_id, cutoff_ms) in cutoffs {
            outcome.kept_from.push((project_id.clone(), cutoff_ms - MAX_SESSION_MS));
            let (project, dry_run) = (project_id.clone(), plan.dry_run);
            let connection = if dry_run { &self.reader } else { &self.writer };
            let removed =
                Self::with(connection, move |connection| shares(connection, &project, cutoff_ms, dry_run)).await?;
            outcome.add("shares", removed, if dry_run { "would delete" } else { "deleted" });
            let mut after: Option<(i64, String)> = None;
            loop {
                let (project, from) = (project_id.clone(), after.clone());
                let page = Self::with(&self.reader, move |connection| {
                    expired_page(connection, &project, cutoff_ms, from.as_ref())
                })
                .await?;
                let Some(last) = page.last().cloned() else { break };
                let mut sessions: Vec<String> = page.into_iter().map(|(_, session_id)| session_id).collect();
                while !sessions.is_empty() {
                    let (project, step_plan, batch) = (project_id.clone(), plan.clone(), sessions.clone());
                    let (handled, step) = Self::with(connection, move |connection| {
                        let mut step = RetentionOutcome::default();
                        let handled = remove_sessions(connection, &project, &batch, &step_plan, &mut step)?;
                        Ok((handled, step))
                    })
                    .await?;
                    merge(&mut outcome, step);
                    sessions.drain(..handled.max(1).min(sessions.len()));
                }
                after = Some(last);
            }
            let project = project_id.clone();
            let copies = Self::with(connection, move |connection| {
                let unused = unused_assets(connection, &project, cutoff_ms)?;
                let copies = remove_assets(connection, &project, &unused, dry_run)?;
                Ok((unused.len() as u64, copies))
            })
            .await?;
            outcome.add("assets", copies.0, if dry_run { "would delete" } else { "deleted" });
            outcome.asset_blobs.extend(copies.1);
        }
        Ok(outcome)
    }
}

/// Adds `step` to `outcome`.
fn merge(outcome: &mut RetentionOutcome, step: RetentionOutcome) {
    for table in step.tables {
        outcome.add(&table.table, table.rows, &table.how);
    }
    outcome.sessions.extend(step.sessions);
    outcome.chunk_blobs.extend(step.chunk_blobs);
    outcome.asset_blobs.extend(step.asset_blobs);
}
