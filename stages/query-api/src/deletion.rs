//! Deletion on request: `DELETE /v1/sessions/{id}` and `DELETE /v1/users/{id}` (admin), and
//! [`delete`], which they and `playback delete` call.
//!
//! A deletion first destroys the sessions' data keys, so that whatever copy cannot be removed
//! at once (raw batches within Kafka's retention, parts a ClickHouse mutation has not rewritten
//! yet) is unreadable from then on; then removes the chunks from blob storage, the sessions'
//! records from the event log (on the embedded log; Kafka cannot, so there it publishes a
//! tombstone on the sessionizer's changelog), and last the warehouse rows, which are how a user's sessions are
//! found, so that a deletion that failed half-way finds the rest when it is asked again. It
//! answers with a [`DeletionReceipt`]. docs/guarantees.md says what is gone when.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use playback_blobs::BlobStore;
use playback_log::{EventLog, Topic};
use playback_schemas::chunk::date_of;
use playback_warehouse::{DeleteOptions, Warehouse};

use crate::auth::Caller;
use crate::wire::{BlobsRemoved, DeletionReceipt, LogRemoved, PendingRemoval, WarehouseRemoved};
use crate::{QueryError, QueryState};

/// How long a deletion waits for the warehouse's background deletions (ClickHouse mutations)
/// before it answers with them "in progress".
pub const MUTATION_WAIT: Duration = Duration::from_secs(30);

/// What to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One session.
    Session(String),
    /// Every session of a user.
    User(String),
}

/// The stores a deletion removes from.
#[derive(Clone, Copy)]
pub struct Stores<'a> {
    pub warehouse: &'a dyn Warehouse,
    pub blobs: &'a dyn BlobStore,
    pub log: &'a dyn EventLog,
}

/// The prefix of the blobs that hold a session's data keys.
pub fn session_keys_prefix(project_id: &str, session_id: &str) -> String {
    format!("keys/{project_id}/{session_id}/")
}

/// Destroys every data key of a session: the blobs under [`session_keys_prefix`]. Returns how
/// many there were (with `dry_run`, how many there are).
pub async fn destroy_session_keys(
    blobs: &dyn BlobStore,
    project_id: &str,
    session_id: &str,
    dry_run: bool,
) -> Result<u64, QueryError> {
    let keys = blobs.list(&session_keys_prefix(project_id, session_id)).await?;
    if !dry_run {
        for key in &keys {
            blobs.delete(key).await?;
        }
    }
    Ok(keys.len() as u64)
}

/// The record key of a session on every topic.
fn record_key(project_id: &str, session_id: &str) -> Vec<u8> {
    format!("{project_id}/{session_id}").into_bytes()
}

/// Every chunk blob of a session: those its chunk rows name, and any other under its folders
/// (`{project}/{date}/{session}/`) for each date its chunks or its time span may have.
async fn chunk_blobs(stores: Stores<'_>, project_id: &str, session_id: &str) -> Result<BTreeSet<String>, QueryError> {
    let mut blobs = BTreeSet::new();
    let mut dates = BTreeSet::new();
    for chunk in stores.warehouse.session_chunks(project_id, session_id).await? {
        if let Some(date) = chunk.blob_key.split('/').nth(1) {
            dates.insert(date.to_string());
        }
        blobs.insert(chunk.blob_key);
    }
    if let Some(session) = stores.warehouse.get_session(Some(project_id), session_id).await? {
        // A chunk is filed under the day its first batch was received: within a day of the
        // session's span.
        const DAY_MS: i64 = 86_400_000;
        let mut day = session.start_ms.saturating_sub(DAY_MS);
        while day <= session.end_ms.saturating_add(DAY_MS) {
            dates.insert(date_of(day));
            day += DAY_MS;
        }
    }
    for date in dates {
        for key in stores.blobs.list(&format!("{project_id}/{date}/{session_id}/")).await? {
            blobs.insert(key);
        }
    }
    Ok(blobs)
}

/// Deletes `target` in `project_id`, or with `dry_run` counts what would go; `None` when
/// nothing of it was found in any store.
pub async fn delete(
    stores: Stores<'_>,
    project_id: &str,
    target: &Target,
    dry_run: bool,
) -> Result<Option<DeletionReceipt>, QueryError> {
    let (user_id, session_ids) = match target {
        Target::Session(session_id) => (None, vec![session_id.clone()]),
        Target::User(user_id) => {
            let sessions = stores.warehouse.user_sessions(project_id, user_id).await?;
            let ids: BTreeSet<String> = sessions.into_iter().map(|session| session.session_id).collect();
            if ids.is_empty() {
                return Ok(None);
            }
            (Some(user_id.clone()), ids.into_iter().collect::<Vec<_>>())
        }
    };

    let mut blobs_removed = BlobsRemoved::default();
    let mut log_removed = LogRemoved::default();
    let mut not_removed: Vec<(Topic, String)> = Vec::new();
    let mut found_on_log = 0;
    for session_id in &session_ids {
        blobs_removed.keys += destroy_session_keys(stores.blobs, project_id, session_id, dry_run).await?;
        let chunks = chunk_blobs(stores, project_id, session_id).await?;
        if !dry_run {
            for key in &chunks {
                stores.blobs.delete(key).await?;
            }
        }
        blobs_removed.chunk_blobs += chunks.len() as u64;
        let key = record_key(project_id, session_id);
        for topic in Topic::ALL {
            let deletion = stores.log.delete_key(topic, &key, dry_run).await.map_err(internal)?;
            log_removed.log_records += deletion.removed;
            if topic != Topic::SessionizerState {
                // A changelog record may be the tombstone of an earlier deletion: not a find.
                found_on_log += deletion.removed;
            }
            if let Some(reason) = deletion.not_removed {
                if !not_removed.iter().any(|(seen, _)| *seen == topic) {
                    not_removed.push((topic, reason.into_owned()));
                }
            }
        }
    }

    let options = DeleteOptions { dry_run, wait: MUTATION_WAIT };
    let rows = stores.warehouse.delete_sessions(project_id, &session_ids, options).await?;
    let found = rows.found_any() || blobs_removed.chunk_blobs + blobs_removed.keys + found_on_log > 0;
    if !found && user_id.is_none() {
        return Ok(None);
    }
    // Where the changelog's records could not be removed (Kafka), a tombstone goes last: the
    // sessionizer's state of the session reads as gone from then on, and compaction removes the
    // older records. Where they were removed, there is nothing left for a tombstone to hide.
    let changelog_kept = not_removed.iter().any(|(topic, _)| *topic == Topic::SessionizerState);
    if changelog_kept {
        for session_id in &session_ids {
            if !dry_run {
                let key = record_key(project_id, session_id);
                stores.log.publish(Topic::SessionizerState, &key, Vec::new()).await.map_err(internal)?;
            }
            log_removed.changelog_tombstones += 1;
        }
    }

    let mut pending = Vec::new();
    for (topic, reason) in not_removed {
        pending.push(pending_on_log(topic, &reason, blobs_removed.keys > 0));
    }
    if rows.in_progress > 0 {
        pending.push(PendingRemoval {
            store: "clickhouse_mutations".into(),
            state: "in progress".into(),
            gone_by: format!(
                "when the {} mutation(s) finish (system.mutations), and the parts they replace after the \
                 server's old_parts_lifetime",
                rows.in_progress
            ),
        });
    }
    Ok(Some(DeletionReceipt {
        project_id: project_id.to_string(),
        user_id,
        session_ids,
        dry_run,
        warehouse: WarehouseRemoved {
            sessions: rows.sessions,
            events: rows.events,
            chunks: rows.chunks,
            notes: rows.notes,
            shares: rows.shares,
            session_assets: rows.session_assets,
        },
        blobs: blobs_removed,
        log: log_removed,
        pending,
    }))
}

/// What stays of the sessions on a topic of a log that cannot remove records.
fn pending_on_log(topic: Topic, reason: &str, keys_destroyed: bool) -> PendingRemoval {
    let store = match topic {
        Topic::RawBatches => "kafka_raw_batches",
        Topic::SessionUpdates => "kafka_session_updates",
        Topic::SessionizerState => "kafka_changelog",
    };
    let state = if topic == Topic::SessionizerState {
        "replaced by a tombstone".to_string()
    } else if keys_destroyed {
        "unreadable now: the data keys are destroyed".to_string()
    } else {
        format!("stored until removed: {reason}")
    };
    let gone_by = if topic.is_compacted() { "the topic's next compaction" } else { "the topic's retention.ms" };
    PendingRemoval { store: store.into(), state, gone_by: gone_by.into() }
}

fn internal(error: playback_log::LogError) -> QueryError {
    QueryError::Internal(error.to_string())
}

/// `DELETE /v1/sessions/{id}` (admin).
pub async fn delete_session(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DeletionReceipt>, QueryError> {
    caller.require_admin("deleting a session")?;
    let receipt = delete(state.stores(), &caller.project_id, &Target::Session(id), false).await?;
    receipt.map(Json).ok_or_else(|| QueryError::NotFound("session not found".into()))
}

/// `DELETE /v1/users/{id}` (admin).
pub async fn delete_user(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DeletionReceipt>, QueryError> {
    caller.require_admin("deleting a user")?;
    let receipt = delete(state.stores(), &caller.project_id, &Target::User(id), false).await?;
    receipt.map(Json).ok_or_else(|| QueryError::NotFound("user not found".into()))
}
