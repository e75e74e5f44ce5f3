//! Helpers shared by the tests that need real servers.

use std::future::Future;

use playback_warehouse::clickhouse::ClickHouseConfig;

/// The value of a `PLAYBACK_TEST_*` variable; `setup` says how to get it. Without it the test
/// is skipped, unless `PLAYBACK_REQUIRE_REAL_BACKENDS=1` makes a missing server a failure.
pub fn real_backend(variable: &str, setup: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            let required = std::env::var("PLAYBACK_REQUIRE_REAL_BACKENDS").is_ok_and(|value| value == "1");
            assert!(!required, "{variable} is not set: {setup}");
            eprintln!("skipped: {variable} is not set ({setup})");
            None
        }
    }
}

/// Runs `test` with the config of a database of its own on the test server, then drops the
/// database, also when `test` panics. Skips when no server is configured.
pub async fn with_database<Test, Run>(test: Test)
where
    Test: FnOnce(ClickHouseConfig) -> Run,
    Run: Future<Output = ()> + Send + 'static,
{
    let Some(database) = TestDatabase::new() else { return };
    let outcome = tokio::spawn(test(database.config.clone())).await;
    database.drop_now().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// A database of its own on the test server, dropped by [`TestDatabase::drop_now`].
pub struct TestDatabase {
    pub config: ClickHouseConfig,
    pub server: clickhouse::Client,
}

impl TestDatabase {
    pub fn new() -> Option<Self> {
        let url = real_backend("PLAYBACK_TEST_CLICKHOUSE_URL", "scripts/test-stack up clickhouse, then . .stack/env")?;
        let user = std::env::var("PLAYBACK_TEST_CLICKHOUSE_USER").unwrap_or_else(|_| "default".into());
        let password = std::env::var("PLAYBACK_TEST_CLICKHOUSE_PASSWORD").unwrap_or_default();
        let database = format!("test_{}", uuid::Uuid::new_v4().simple());
        let server = clickhouse::Client::default()
            .with_url(&url)
            .with_user(&user)
            .with_password(&password)
            .with_validation(false);
        let config = ClickHouseConfig { url, database, user, password, ..ClickHouseConfig::default() };
        Some(TestDatabase { config, server })
    }

    pub async fn drop_now(self) {
        let drop =
            self.server.query("DROP DATABASE IF EXISTS ?").bind(clickhouse::sql::Identifier(&self.config.database));
        drop.execute().await.expect("drop the test database");
    }
}
