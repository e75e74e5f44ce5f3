use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::{conformance, Warehouse};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_warehouse_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = SqliteWarehouse::open(&dir.path().join("warehouse.db")).unwrap();
    warehouse.migrate().await.unwrap();
    conformance::run_all(&warehouse, "embedded").await;
}
