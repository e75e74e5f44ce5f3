//! The event log: a trait with an embedded SQLite implementation
