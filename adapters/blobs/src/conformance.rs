//! The conformance suite that every [`BlobStore`] implementation passes.

use crate::{BlobError, BlobStore};

/// Runs every check against `store` under the key prefix `unique`.
pub async fn run_all(store: &dyn BlobStore, unique: &str) {
    put_get_replace_delete(store, unique).await;
    list_by_prefix(store, unique).await;
    rejects_unsafe_keys(store).await;
}

/// A put is readable, a second put replaces it, a delete removes it and is idempotent.
pub async fn put_get_replace_delete(store: &dyn BlobStore, unique: &str) {
    let key = format!("{unique}/2026-01-01/session/0-0");
    assert_eq!(store.get(&key).await.expect("get"), None);
    store.put(&key, b"first".to_vec()).await.expect("put");
    assert_eq!(store.get(&key).await.expect("get"), Some(b"first".to_vec()));
    store.put(&key, b"second".to_vec()).await.expect("put");
    assert_eq!(store.get(&key).await.expect("get"), Some(b"second".to_vec()));
    store.delete(&key).await.expect("delete");
    assert_eq!(store.get(&key).await.expect("get"), None);
    store.delete(&key).await.expect("deleting a missing blob is fine");
}

/// `list` returns exactly the keys under a prefix, sorted.
pub async fn list_by_prefix(store: &dyn BlobStore, unique: &str) {
    let keys = [format!("{unique}/list/a/1"), format!("{unique}/list/a/2"), format!("{unique}/list/b/1")];
    for key in &keys {
        store.put(key, vec![1, 2, 3]).await.expect("put");
    }
    let under_a = store.list(&format!("{unique}/list/a/")).await.expect("list");
    assert_eq!(under_a, keys[..2].to_vec());
    let all = store.list(&format!("{unique}/list/")).await.expect("list");
    assert_eq!(all, keys.to_vec());
}

/// Keys that could escape the namespace are refused.
pub async fn rejects_unsafe_keys(store: &dyn BlobStore) {
    for key in ["../escape", "a//b", "/absolute", "a/./b", "sp ace"] {
        let result = store.put(key, vec![0]).await;
        assert!(matches!(result, Err(BlobError::InvalidKey(_))), "{key:?} is refused");
    }
}
