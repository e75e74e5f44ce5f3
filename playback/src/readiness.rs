//! `GET /readyz`: whether the adapters this process uses answer.
//!
//! The answer names the parts that fail (`{"ready": false, "failing": ["log", "warehouse"]}`)
//! and nothing more: the backends' errors may carry hosts, users or paths, so they go to the
//! log of the process, not to whoever can reach the probe.

use axum::http::StatusCode;
use axum::Json;
use playback_blobs::BlobStore;
use playback_log::EventLog;
use playback_warehouse::Warehouse;

/// The readiness answer: 200 when every adapter answers its check, 503 naming the ones that
/// do not. Each failure is logged with its error.
pub async fn readiness(
    log: &dyn EventLog,
    warehouse: &dyn Warehouse,
    blobs: &dyn BlobStore,
) -> (StatusCode, Json<serde_json::Value>) {
    let mut failing = Vec::new();
    if let Err(error) = log.check().await {
        tracing::warn!(message = "not ready", part = "log", %error);
        failing.push("log");
    }
    if let Err(error) = warehouse.check().await {
        tracing::warn!(message = "not ready", part = "warehouse", %error);
        failing.push("warehouse");
    }
    if let Err(error) = blobs.check().await {
        tracing::warn!(message = "not ready", part = "blobs", %error);
        failing.push("blobs");
    }
    answer(&failing)
}

/// The answer for the parts in `failing`, in check order.
fn answer(failing: &[&'static str]) -> (StatusCode, Json<serde_json::Value>) {
    if failing.is_empty() {
        (StatusCode::OK, Json(serde_json::json!({ "ready": true })))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "ready": false, "failing": failing })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use playback_blobs::{BlobError, LocalDir};
    use playback_log::embedded::SqliteLog;
    use playback_warehouse::embedded::SqliteWarehouse;

    /// A blob store whose check fails with an error naming a secret host.
    struct UnreachableBlobs;

    #[async_trait]
    impl BlobStore for UnreachableBlobs {
        async fn put(&self, _key: &str, _bytes: Vec<u8>) -> Result<(), BlobError> {
            Err(BlobError::storage("unreachable"))
        }
        async fn get(&self, _key: &str) -> Result<Option<Vec<u8>>, BlobError> {
            Err(BlobError::storage("unreachable"))
        }
        async fn delete(&self, _key: &str) -> Result<(), BlobError> {
            Err(BlobError::storage("unreachable"))
        }
        async fn list(&self, _prefix: &str) -> Result<Vec<String>, BlobError> {
            Err(BlobError::storage("unreachable"))
        }
        async fn check(&self) -> Result<(), BlobError> {
            Err(BlobError::storage_from("cannot reach the bucket", "dns error: s3.internal.example.com"))
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn names_the_failing_parts_without_their_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = SqliteLog::open(dir.path().join("log.db"), 1).expect("log");
        let warehouse = SqliteWarehouse::open(&dir.path().join("warehouse.db")).expect("warehouse");
        let blobs = LocalDir::open(dir.path().join("blobs")).expect("blobs");

        let (status, Json(body)) = readiness(&log, &warehouse, &blobs).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, serde_json::json!({ "ready": true }));

        let (status, Json(body)) = readiness(&log, &warehouse, &UnreachableBlobs).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, serde_json::json!({ "ready": false, "failing": ["blobs"] }));
        assert!(!body.to_string().contains("internal.example.com"), "no backend detail: {body}");
    }

    #[test]
    fn lists_every_failing_part_in_check_order() {
        let (status, Json(body)) = answer(&["log", "warehouse"]);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, serde_json::json!({ "ready": false, "failing": ["log", "warehouse"] }));
    }
}
