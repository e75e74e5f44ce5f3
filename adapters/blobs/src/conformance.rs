//! The conformance suite that every [`BlobStore`] implementation passes.
//!
//! [`blob_conformance_suite!`](crate::blob_conformance_suite) expands to one test per check,
//! so one failing check does not hide the others. Each test gets a store of its own from a
//! world function (its own directory, or its own key prefix in a shared bucket), and each check
//! writes under the unique prefix. Compiled for tests only (the `testsuite` feature).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{BlobError, BlobStore};

/// One check of the suite, handed to a world function: it runs against the store it is
/// given, under keys that start with the unique prefix.
pub type Check = Box<dyn FnOnce(Arc<dyn BlobStore>, String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// One `#[tokio::test]` per check of the suite.
///
/// `$world` is an async function that takes a [`Check`], builds a fresh store, runs the check
/// on it and cleans up. Without its server it returns without running the check, or fails
/// when `PLAYBACK_REQUIRE_REAL_BACKENDS=1`. Expand it once per implementation, each in a
/// module of its own.
#[macro_export]
macro_rules! blob_conformance_suite {
    ($world:expr) => {
        $crate::blob_conformance_suite!(@tests $world;
            put_get_replace_delete,
            list_by_prefix,
            rejects_unsafe_keys,
        );
    };
    (@tests $world:expr; $($check:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let check: $crate::conformance::Check = ::std::boxed::Box::new(|store, unique| {
                    ::std::boxed::Box::pin(async move { $crate::conformance::$check(&*store, &unique).await })
                });
                ($world)(check).await;
            }
        )+
    };
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

/// Keys that could escape the namespace are refused, whatever the prefix.
pub async fn rejects_unsafe_keys(store: &dyn BlobStore, _unique: &str) {
    for key in ["../escape", "a//b", "/absolute", "a/./b", "sp ace"] {
        let result = store.put(key, vec![0]).await;
        assert!(matches!(result, Err(BlobError::InvalidKey(_))), "{key:?} is refused");
    }
}
