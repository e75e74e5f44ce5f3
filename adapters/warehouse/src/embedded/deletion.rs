//! Deleting sessions on SQLite: one transaction over every table that holds rows of a
//! session, on the writer connection, which has `secure_delete` on (`embedded.rs`), so the
//! freed cells and pages are overwritten with zeros; then a `TRUNCATE` checkpoint, so the write-ahead log, which still
//! holds the pages as they were, is emptied too.
//!
//! Each function runs on a connection inside [`super::SqliteWarehouse::with`], on the blocking
//! pool.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use crate::{DeleteOptions, SessionDeletion};

/// The tables with rows of a session, with what each counts: the distinct rows of a session
/// (one per identity on SQLite, where an upsert replaces).
const TABLES: [&str; 6] = ["sessions", "events", "recording_chunks", "notes", "shares", "session_assets"];

/// Counts, and unless `options.dry_run` deletes, the rows of `session_ids`.
pub(super) fn delete_sessions(
    connection: &mut Connection,
    project_id: &str,
    session_ids: &[String],
    options: DeleteOptions,
) -> Result<SessionDeletion, rusqlite::Error> {
    if session_ids.is_empty() {
        return Ok(SessionDeletion::default());
    }
    let condition = format!("project_id = ?1 AND session_id IN ({})", placeholders_after_first(session_ids.len()));
    let mut values: Vec<Value> = vec![Value::Text(project_id.to_string())];
    values.extend(session_ids.iter().map(|session_id| Value::Text(session_id.clone())));
    let transaction = connection.transaction()?;
    let mut counts = [0u64; TABLES.len()];
    for (index, table) in TABLES.iter().enumerate() {
        let count: i64 = transaction.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE {condition}"),
            params_from_iter(values.iter()),
            |row| row.get(0),
        )?;
        counts[index] = count.max(0) as u64;
        if !options.dry_run {
            transaction.execute(&format!("DELETE FROM {table} WHERE {condition}"), params_from_iter(values.iter()))?;
        }
    }
    transaction.commit()?;
    if !options.dry_run {
        // The log holds the pages from before the delete until it is checkpointed and reset.
        truncate_wal(connection)?;
    }
    let [sessions, events, chunks, notes, shares, session_assets] = counts;
    Ok(SessionDeletion { sessions, events, chunks, notes, shares, session_assets, in_progress: 0 })
}

/// `?2, ?3, …`: placeholders for `count` values after the project's `?1`.
fn placeholders_after_first(count: usize) -> String {
    let numbered: Vec<String> = (2..count + 2).map(|number| format!("?{number}")).collect();
    numbered.join(", ")
}

/// Checkpoints the write-ahead log and truncates it to nothing, retrying while a reader still
/// holds an older snapshot (for up to about a second; a later checkpoint then overwrites it).
fn truncate_wal(connection: &Connection) -> Result<(), rusqlite::Error> {
    for _ in 0..100 {
        let busy: i64 = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    tracing::warn!(message = "the write-ahead log is still read; deleted pages stay in it until the next checkpoint");
    Ok(())
}
