//! Helpers for tests that run against real servers.

/// The value of a `PLAYBACK_TEST_*` variable that `scripts/test-stack up` writes to
/// `.stack/env`. Without it the test is skipped, unless `PLAYBACK_REQUIRE_REAL_BACKENDS=1`
/// (set by `make test`) makes a missing server a failure.
pub fn real_backend(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            let required = std::env::var("PLAYBACK_REQUIRE_REAL_BACKENDS").is_ok_and(|value| value == "1");
            assert!(
                !required,
                "{variable} is not set: start the servers with scripts/test-stack up and source .stack/env"
            );
            eprintln!("skipped: {variable} is not set (scripts/test-stack up, then source .stack/env)");
            None
        }
    }
}
