//! The warehouse's DDL and queries on the current ClickHouse engine, through chDB in Python
//! (`export PLAYBACK_TEST_CHDB_PYTHON=$(scripts/chdb-venv)`). When the 18.16 test server is
//! up as well, the same statements run there and both engines must return the same rows.

mod common;

use std::path::Path;
use std::process::Command;

use common::{real_backend, with_database};
use playback_warehouse::clickhouse::{example_queries, migration_statements, ClickHouseConfig, ExampleQuery};

/// Runs the migrations and examples in chDB and returns each example's TabSeparated result.
fn run_in_chdb(python: &str, migrations: &[String], examples: &[ExampleQuery]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("statements.json");
    let output = dir.path().join("results.json");
    let examples_json: Vec<serde_json::Value> =
        examples.iter().map(|example| serde_json::json!({ "sql": example.sql, "rows": example.rows })).collect();
    let spec = serde_json::json!({ "migrations": migrations, "examples": examples_json });
    std::fs::write(&input, serde_json::to_vec_pretty(&spec).expect("json")).expect("write the statements");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/chdb_check.py");
    let result = Command::new(python).arg(&script).arg(&input).arg(&output).output().expect("run the chDB check");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "the chDB check failed ({}):\n{stderr}\n{stdout}", result.status);
    eprintln!("{}", stdout.trim());
    serde_json::from_slice(&std::fs::read(&output).expect("read the results")).expect("results are JSON")
}

/// Runs the same statements on the test server, in the database of `config`.
async fn run_on_server(config: &ClickHouseConfig, migrations: &[String], examples: &[ExampleQuery]) -> Vec<String> {
    let server =
        clickhouse::Client::default().with_url(&config.url).with_user(&config.user).with_password(&config.password);
    let name = clickhouse::sql::Identifier(&config.database);
    server.query("CREATE DATABASE ?").bind(name).execute().await.expect("create the database");
    let client = server.with_database(&config.database);
    for again in [false, true] {
        for statement in migrations {
            match client.query_raw(statement).execute().await {
                Ok(()) => {}
                // 18.16 has no `ADD COLUMN IF NOT EXISTS`: the warehouse checks system.columns.
                Err(error)
                    if again && statement.contains(" ADD COLUMN ") && error.to_string().contains("already exists") => {}
                Err(error) => panic!("{error}\n{statement}"),
            }
        }
    }
    let mut results = Vec::new();
    for example in examples {
        let mut cursor = client.query_raw(&example.sql).fetch_bytes("TabSeparated").expect("query");
        let bytes = cursor.collect().await.unwrap_or_else(|error| panic!("{error}\n{}", example.sql));
        results.push(String::from_utf8(bytes.to_vec()).expect("utf-8"));
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sql_runs_on_the_current_engine_too() {
    let Some(python) =
        real_backend("PLAYBACK_TEST_CHDB_PYTHON", "export PLAYBACK_TEST_CHDB_PYTHON=$(scripts/chdb-venv)")
    else {
        return;
    };
    let migrations = migration_statements();
    let examples = example_queries();
    let current = run_in_chdb(&python, &migrations, &examples);
    assert_eq!(current.len(), examples.len());

    with_database(move |config| async move {
        let old = run_on_server(&config, &migrations, &examples).await;
        for ((example, current), old) in examples.iter().zip(&current).zip(&old) {
            assert_eq!(current, old, "chDB and the test server disagree on\n{}", example.sql);
        }
    })
    .await;
}
