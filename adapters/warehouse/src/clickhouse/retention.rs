//! Retention on ClickHouse: whole months go at once, and shorter retentions by mutation.
//!
//! The time-partitioned tables (`sessions` by the month of `start_time`, `events` of `ts`,
//! `recording_chunks` of `first_time`, `session_days` of `day`, `session_assets` of
//! `first_seen`) are shared by every project, so a month is dropped once it is wholly before
//! the earliest cut-off, the one of the longest retention. A project with a shorter retention
//! loses its expired sessions (those whose newest end is before its cut-off) by `ALTER TABLE …
//! DELETE` on every table, the `sessions` rows last since the other mutations select by them;
//! the job waits for each mutation to finish before the next. `notes` and `shares` are not
//! partitioned: the rows of the sessions in a dropped month go by mutation before the month.
//! `assets` and `asset_hashes` are not partitioned and keep their rows: the URLs of a project
//! are few, and a copy stays useful to newer sessions. `saved_filters` belong to the project,
//! not to a session, and stay.
//!
//! So a session of the longest retention lives up to a month past it, until its whole month
//! goes; `kept_from` tells the blob store from when rows are kept. Only statements that
//! 18.16 and current releases share: `DROP PARTITION` with the partition's value, and
//! `ALTER TABLE … DELETE WHERE … IN (subquery)`.

use std::time::Duration;

use super::sql::{Builder, Statement};
use super::ClickHouseWarehouse;
use crate::retention::{month_of, month_start_ms, next_month};
use crate::{RetentionOutcome, RetentionPlan, WarehouseError};

/// The tables partitioned by a month, each with the column whose month its partition is.
const PARTITIONED: [(&str, &str); 5] = [
    ("events", "ts"),
    ("recording_chunks", "first_time"),
    ("session_assets", "first_seen"),
    ("session_days", "day"),
    ("sessions", "start_time"),
];

/// The tables whose rows name a session, handled before `sessions` itself.
const BY_SESSION: [&str; 6] = ["events", "recording_chunks", "notes", "shares", "session_assets", "session_days"];

/// How long the job waits for one mutation.
const MUTATION_TIMEOUT: Duration = Duration::from_secs(600);

/// `"202401, 202402"`.
fn month_list(months: &[u32]) -> String {
    let texts: Vec<String> = months.iter().map(u32::to_string).collect();
    texts.join(", ")
}

/// ` AND toYYYYMM(column) NOT IN (…)` for a partitioned table with months dropped, else empty.
fn outside(table: &str, dropped: &[(String, Vec<u32>)]) -> String {
    let column = PARTITIONED.iter().find(|(name, _)| *name == table).map(|(_, column)| *column);
    let months = dropped.iter().find(|(name, _)| name == table).map(|(_, months)| months.as_slice());
    match (column, months) {
        (Some(column), Some(months)) if !months.is_empty() => {
            format!(" AND toYYYYMM({column}) NOT IN ({})", month_list(months))
        }
        _ => String::new(),
    }
}

/// The expired sessions of a project: `SELECT session_id …` with the project and the cut-off
/// as parameters, outside the dropped months.
fn expired_sessions(builder: &mut Builder, project_id: &str, cutoff_ms: i64, dropped: &[(String, Vec<u32>)]) {
    builder.text("SELECT session_id FROM sessions WHERE project_id = ").string(project_id);
    builder.text(&outside("sessions", dropped));
    builder.text(" GROUP BY session_id HAVING max(end_ms) < ").int(cutoff_ms);
}

impl ClickHouseWarehouse {
    async fn count(&self, statement: &Statement) -> Result<u64, WarehouseError> {
        let rows: Vec<u64> = self.fetch_all(statement).await?;
        Ok(rows.into_iter().next().unwrap_or(0))
    }

    /// The months of `table`'s partitions with their row counts (of the parts, before
    /// de-duplication).
    async fn partitions(&self, table: &str) -> Result<Vec<(u32, u64)>, WarehouseError> {
        let mut builder = Builder::default();
        builder.text("SELECT partition, toUInt64(sum(rows)) FROM system.parts WHERE database = ");
        builder.string(&self.config.database).text(" AND table = ").string(table);
        builder.text(" AND active GROUP BY partition ORDER BY partition");
        let rows: Vec<(String, u64)> = self.fetch_all(&builder.build()).await?;
        let mut months = Vec::new();
        for (partition, count) in rows {
            if let Ok(month) = partition.trim_matches('\'').parse::<u32>() {
                months.push((month, count));
            }
        }
        Ok(months)
    }

    /// Waits until no mutation of `table` is running.
    async fn await_mutations(&self, table: &str) -> Result<(), WarehouseError> {
        let deadline = tokio::time::Instant::now() + MUTATION_TIMEOUT;
        loop {
            let mut builder = Builder::default();
            builder.text("SELECT count() FROM system.mutations WHERE database = ").string(&self.config.database);
            builder.text(" AND table = ").string(table).text(" AND is_done = 0");
            if self.count(&builder.build()).await? == 0 {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(WarehouseError::unavailable(format!("a mutation of {table} is still running")));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Counts the rows of `table` that `condition` selects and, unless a dry run, deletes them
    /// by mutation and waits for it.
    async fn delete_where(
        &self,
        table: &str,
        condition: impl Fn(&mut Builder),
        dry_run: bool,
        outcome: &mut RetentionOutcome,
    ) -> Result<(), WarehouseError> {
        let mut count = Builder::default();
        count.text(&format!("SELECT count() FROM {table} WHERE "));
        condition(&mut count);
        let rows = self.count(&count.build()).await?;
        if rows == 0 {
            return Ok(());
        }
        if !dry_run {
            let mut delete = Builder::default();
            delete.text(&format!("ALTER TABLE {table} DELETE WHERE "));
            condition(&mut delete);
            self.execute(&self.client, &delete.build()).await?;
            self.await_mutations(table).await?;
        }
        outcome.add(table, rows, if dry_run { "would delete by mutation" } else { "deleted by mutation" });
        Ok(())
    }

    /// [`crate::Warehouse::apply_retention`].
    pub(super) async fn retention(&self, plan: &RetentionPlan) -> Result<RetentionOutcome, WarehouseError> {
        let mut outcome = RetentionOutcome::default();
        let earliest = plan.earliest_cutoff_ms();
        let kept_month = month_of(earliest);
        let dry_run = plan.dry_run;

        // The months wholly before the earliest cut-off, per table.
        let mut dropped: Vec<(String, Vec<u32>)> = Vec::new();
        let mut counts: Vec<(String, u64)> = Vec::new();
        for (table, _) in PARTITIONED {
            let mut months = Vec::new();
            let mut rows = 0;
            for (month, count) in self.partitions(table).await? {
                if month_start_ms(next_month(month)) <= earliest {
                    months.push(month);
                    rows += count;
                }
            }
            dropped.push((table.to_string(), months));
            counts.push((table.to_string(), rows));
        }
        let months_of = |table: &str| -> Vec<u32> {
            dropped.iter().find(|(name, _)| name == table).map(|(_, months)| months.clone()).unwrap_or_default()
        };

        let session_months = months_of("sessions");
        if !session_months.is_empty() {
            let list = month_list(&session_months);
            let mut sessions = Builder::default();
            sessions.text(&format!(
                "SELECT DISTINCT project_id, session_id FROM sessions WHERE toYYYYMM(start_time) IN ({list})"
            ));
            let found: Vec<(String, String)> = self.fetch_all(&sessions.build()).await?;
            outcome.sessions.extend(found);
            for table in ["notes", "shares"] {
                let condition = |builder: &mut Builder| {
                    builder.text(&format!(
                        "(project_id, session_id) IN (SELECT project_id, session_id FROM sessions \
                         WHERE toYYYYMM(start_time) IN ({list}))"
                    ));
                };
                self.delete_where(table, condition, dry_run, &mut outcome).await?;
            }
        }
        let chunk_months = months_of("recording_chunks");
        if !chunk_months.is_empty() {
            let mut keys = Builder::default();
            keys.text(&format!(
                "SELECT DISTINCT blob_key FROM recording_chunks WHERE toYYYYMM(first_time) IN ({})",
                month_list(&chunk_months)
            ));
            let found: Vec<String> = self.fetch_all(&keys.build()).await?;
            outcome.chunk_blobs.extend(found);
        }
        for ((table, months), (_, rows)) in dropped.iter().zip(&counts) {
            if months.is_empty() {
                continue;
            }
            if !dry_run {
                for month in months {
                    let drop =
                        Statement { sql: format!("ALTER TABLE {table} DROP PARTITION {month}"), params: Vec::new() };
                    self.execute(&self.client, &drop).await?;
                }
            }
            let verb = if dry_run { "would drop" } else { "dropped" };
            outcome.add(table, *rows, &format!("{verb} partitions {}", month_list(months)));
        }

        // Shorter retentions, by mutation.
        for cutoff in &plan.cutoffs {
            let (project_id, cutoff_ms) = (cutoff.project_id.as_str(), cutoff.cutoff_ms);
            if cutoff_ms <= earliest {
                outcome.kept_from.push((project_id.to_string(), month_start_ms(kept_month)));
                continue;
            }
            outcome.kept_from.push((project_id.to_string(), cutoff_ms - self.config.max_session_ms));
            let mut expired = Builder::default();
            expired_sessions(&mut expired, project_id, cutoff_ms, &dropped);
            let ids: Vec<String> = self.fetch_all(&expired.build()).await?;
            if ids.is_empty() {
                continue;
            }
            for session_id in ids {
                outcome.sessions.push((project_id.to_string(), session_id));
            }
            let of_expired = |table: &'static str| {
                let dropped = &dropped;
                move |builder: &mut Builder| {
                    builder.text("project_id = ").string(project_id).text(&outside(table, dropped));
                    builder.text(" AND session_id IN (");
                    expired_sessions(builder, project_id, cutoff_ms, dropped);
                    builder.text(")");
                }
            };
            let mut keys = Builder::default();
            keys.text("SELECT DISTINCT blob_key FROM recording_chunks WHERE ");
            of_expired("recording_chunks")(&mut keys);
            let found: Vec<String> = self.fetch_all(&keys.build()).await?;
            outcome.chunk_blobs.extend(found);
            for table in BY_SESSION {
                self.delete_where(table, of_expired(table), dry_run, &mut outcome).await?;
            }
            self.delete_where("sessions", of_expired("sessions"), dry_run, &mut outcome).await?;
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expired_sessions_of_a_project_skip_the_dropped_months() {
        let dropped = vec![("sessions".to_string(), vec![202401, 202402]), ("events".to_string(), Vec::new())];
        let mut builder = Builder::default();
        expired_sessions(&mut builder, "shop", 1_000, &dropped);
        let statement = builder.build();
        assert_eq!(
            statement.render(),
            "SELECT session_id FROM sessions WHERE project_id = 'shop' AND toYYYYMM(start_time) NOT IN (202401, 202402) \
             GROUP BY session_id HAVING max(end_ms) < 1000"
        );
        assert_eq!(outside("events", &dropped), "", "no month dropped");
        assert_eq!(outside("notes", &dropped), "", "not partitioned");
    }
}
