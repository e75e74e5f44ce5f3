//! The conformance suite against a local directory.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use playback_blobs::{conformance, LocalDir};

/// Runs `check` on a store in a directory of its own.
async fn own_directory(check: conformance::Check) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalDir::open(dir.path()).unwrap();
    check(Arc::new(store), "project".into()).await;
}

mod conformance_suite {
    playback_blobs::blob_conformance_suite!(super::own_directory);
}
