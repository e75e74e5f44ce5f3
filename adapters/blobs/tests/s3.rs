//! The conformance suite, lifecycle and encryption against a real S3 store
//! (Garage from `scripts/test-stack up`).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use playback_blobs::s3::{Encryption, S3Config, S3Store};
use playback_blobs::{conformance, BlobStore};
use playback_runtime::testsuite;

fn config(encryption: Encryption) -> Option<S3Config> {
    let config = testsuite::s3(&format!("test-{}/", uuid::Uuid::new_v4().simple()))?;
    Some(S3Config { encryption, ..config })
}

fn customer_key() -> String {
    let key: Vec<u8> = (0..32u8).map(|byte| byte.wrapping_mul(7).wrapping_add(3)).collect();
    STANDARD.encode(key)
}

/// Runs `check` on an SSE-C store under a key prefix of its own; skips without a server.
async fn own_prefix_with_sse_c(check: conformance::Check) {
    let Some(config) = config(Encryption::SseC { key_base64: customer_key() }) else { return };
    let store = S3Store::new(config).unwrap();
    store.check().await.unwrap();
    check(Arc::new(store), "project".into()).await;
}

mod conformance_with_sse_c {
    playback_blobs::blob_conformance_suite!(super::own_prefix_with_sse_c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_c_objects_cannot_be_read_without_the_key() {
    let Some(config) = config(Encryption::SseC { key_base64: customer_key() }) else { return };
    let store = S3Store::new(config).unwrap();
    let key = "demo/2026-11-28/session/w-0000000000-0000000001";
    store.put(key, b"secret chunk".to_vec()).await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), Some(b"secret chunk".to_vec()));
    let without = store.get_without_key(key).await;
    assert!(without.is_err(), "a GET without the SSE-C key must fail, got {without:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_rule_is_set_and_verified() {
    let Some(config) = config(Encryption::None) else { return };
    let store = S3Store::new(S3Config { expire_days: 365, abort_multipart_days: 7, ..config }).unwrap();
    store.apply_lifecycle().await.unwrap();
    assert_eq!(store.lifecycle().await.unwrap(), (Some(365), Some(7)));
}
