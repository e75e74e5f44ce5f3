//! Deleting sessions on ClickHouse: a count of the distinct rows of each table, then one
//! `ALTER TABLE … DELETE` mutation per table, then a wait (bounded) until `system.mutations`
//! reports them done.
//!
//! The mutations name the project and the session ids, never a user id: ClickHouse keeps the
//! text of every mutation on disk (`mutation_*.txt` in the table's directory). A mutation
//! rewrites the parts that hold the rows; the parts it replaced stay on disk, unreadable by
//! queries, for the server's `old_parts_lifetime` (480 s by default), then are removed
//! (docs/guarantees.md, "Deletion").

use std::time::{Duration, Instant};

use super::sql::{Builder, Statement};
use super::ClickHouseWarehouse;
use crate::{DeleteOptions, SessionDeletion, WarehouseError};

/// Each table with rows of a session, and the identity of one of its rows: what a count
/// counts once, however many versions or copies of it the parts hold.
const COUNTED: [(&str, &str); 6] = [
    ("sessions", "session_id"),
    ("events", "session_id, window_id, batch_seq, event_index, kind"),
    ("recording_chunks", "session_id, window_id, first_seq, last_seq"),
    ("notes", "session_id, note_id"),
    ("shares", "share_id"),
    ("session_assets", "session_id, url"),
];

/// Tables with rows of a session that the receipt does not count: the dashboards' copy of the
/// closed sessions.
const ALSO_DELETED: [&str; 1] = ["session_days"];

/// How often `system.mutations` is read while waiting.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// `project_id = ? AND has([?, …], session_id)`.
fn condition(builder: &mut Builder, project_id: &str, session_ids: &[String]) {
    builder.text("project_id = ").string(project_id).text(" AND has([");
    for (index, session_id) in session_ids.iter().enumerate() {
        if index > 0 {
            builder.text(", ");
        }
        builder.string(session_id);
    }
    builder.text("], session_id)");
}

/// The distinct rows of `session_ids` in `table`, by `identity`.
pub(crate) fn count(table: &str, identity: &str, project_id: &str, session_ids: &[String]) -> Statement {
    let mut builder = Builder::default();
    builder.text(&format!("SELECT uniqExact({identity}) FROM {table} WHERE "));
    condition(&mut builder, project_id, session_ids);
    builder.build()
}

/// The mutation that deletes the rows of `session_ids` from `table`.
pub(crate) fn delete(table: &str, project_id: &str, session_ids: &[String]) -> Statement {
    let mut builder = Builder::default();
    builder.text(&format!("ALTER TABLE {table} DELETE WHERE "));
    condition(&mut builder, project_id, session_ids);
    builder.build()
}

/// How many mutations of `database` that name `session_id` are not done yet.
pub(crate) fn unfinished(database: &str, session_id: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text("SELECT count() FROM system.mutations WHERE database = ").string(database);
    builder.text(" AND is_done = 0 AND position(command, ").string(session_id).text(") > 0");
    builder.build()
}

impl ClickHouseWarehouse {
    pub(crate) async fn delete_session_rows(
        &self,
        project_id: &str,
        session_ids: &[String],
        options: DeleteOptions,
    ) -> Result<SessionDeletion, WarehouseError> {
        let Some(first) = session_ids.first() else {
            return Ok(SessionDeletion::default());
        };
        let mut counts = [0u64; COUNTED.len()];
        for (index, (table, identity)) in COUNTED.iter().enumerate() {
            let statement = count(table, identity, project_id, session_ids);
            counts[index] = self.bounded(statement.query(&self.client).fetch_one::<u64>()).await?;
        }
        let [sessions, events, chunks, notes, shares, session_assets] = counts;
        let mut deletion = SessionDeletion { sessions, events, chunks, notes, shares, session_assets, in_progress: 0 };
        if options.dry_run {
            return Ok(deletion);
        }
        for table in COUNTED.iter().map(|(table, _)| *table).chain(ALSO_DELETED) {
            self.execute(&self.client, &delete(table, project_id, session_ids)).await?;
        }
        let started = Instant::now();
        loop {
            let statement = unfinished(&self.config.database, first);
            let left = self.bounded(statement.query(&self.client).fetch_one::<u64>()).await?;
            if left == 0 || started.elapsed() >= options.wait {
                deletion.in_progress = left;
                return Ok(deletion);
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}
