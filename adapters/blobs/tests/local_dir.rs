use playback_blobs::{conformance, LocalDir};

#[tokio::test]
async fn local_dir_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalDir::open(dir.path()).unwrap();
    conformance::run_all(&store, "project").await;
}
