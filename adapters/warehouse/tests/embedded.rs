//! The conformance suite against the embedded SQLite warehouse.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::{conformance, Warehouse};

/// Runs `check` on a migrated warehouse in a file of its own.
async fn in_own_file(check: conformance::Check) {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = SqliteWarehouse::open(&dir.path().join("warehouse.db")).unwrap();
    warehouse.migrate().await.unwrap();
    check(Arc::new(warehouse), "embedded".into()).await;
}

mod conformance_suite {
    playback_warehouse::warehouse_conformance_suite!(super::in_own_file);
}
