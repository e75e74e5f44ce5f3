//! Deleting sessions on request: what [`crate::Warehouse::delete_sessions`] removes and how
//! much of it.

use std::time::Duration;

/// How to delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeleteOptions {
    /// Count what would go and remove nothing.
    pub dry_run: bool,
    /// How long to wait for deletions that the warehouse applies in the background (ClickHouse
    /// mutations) before answering with [`SessionDeletion::in_progress`].
    pub wait: Duration,
}

/// What one deletion of sessions found, and removed unless it was a dry run: the number of
/// distinct rows of each table (a session's versions count once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionDeletion {
    /// `sessions` (the user card is made of these).
    pub sessions: u64,
    /// `events`: the transcript.
    pub events: u64,
    /// `recording_chunks`.
    pub chunks: u64,
    /// `notes`, deleted ones included.
    pub notes: u64,
    /// `shares`, revoked ones included.
    pub shares: u64,
    /// `session_assets`.
    pub session_assets: u64,
    /// Background deletions (ClickHouse mutations) that were not done within
    /// [`DeleteOptions::wait`]; reads already leave out what they have not removed yet only
    /// once they are done, so 0 means the rows are gone from every read.
    pub in_progress: u64,
}

impl SessionDeletion {
    /// Whether any row of the sessions was found.
    pub fn found_any(&self) -> bool {
        self.sessions + self.events + self.chunks + self.notes + self.shares + self.session_assets > 0
    }
}
