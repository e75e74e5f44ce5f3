//! The dashboards' table and the Grafana dashboards in `helm/playback/dashboards/`:
//!
//! - `session_days` (migration 3) counts each closed session once, with its newest closed
//!   version, however often and in how many versions the scorer wrote it (on the 18.16 test
//!   server, sessions written through the `Warehouse` trait);
//! - every panel of `product.json` runs, with Grafana's macros and `$project` substituted, and
//!   returns the expected figures on the test server, and the same text on chDB (the current
//!   engine) when `PLAYBACK_TEST_CHDB_PYTHON` is set;
//! - every metric that a panel of `operations.json` queries is in the Metrics table of
//!   docs/operations.md.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{real_backend, with_database};
use playback_warehouse::clickhouse::{migration_statements, ClickHouseConfig, ClickHouseWarehouse};
use playback_warehouse::{SessionRow, Warehouse};
use serde_json::Value;

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}

fn dashboard(name: &str) -> Value {
    let path = repo_path(&format!("helm/playback/dashboards/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// Every panel, including those inside rows.
fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut found = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        found.push(panel);
        if let Some(inner) = panel["panels"].as_array() {
            found.extend(inner);
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Sample sessions.

/// 2026-03-01 10:00:00 UTC.
const DAY1: i64 = 1_772_359_200_000;
const DAY: i64 = 86_400_000;
const MINUTE: i64 = 60_000;

#[derive(Clone, Copy)]
struct Sample {
    session_id: &'static str,
    version: i64,
    closed: bool,
    start_ms: i64,
    score: f64,
    active_minutes: i64,
    errors: i32,
    entry: &'static str,
    exit: &'static str,
    device: (&'static str, &'static str, &'static str),
}

fn row(project_id: &str, sample: &Sample) -> SessionRow {
    SessionRow {
        project_id: project_id.into(),
        session_id: sample.session_id.into(),
        version: sample.version,
        closed: sample.closed,
        start_ms: sample.start_ms,
        end_ms: sample.start_ms + 20 * MINUTE,
        active_ms: sample.active_minutes * MINUTE,
        user_traits_json: "{}".into(),
        browser: sample.device.0.into(),
        os: sample.device.1.into(),
        device_type: sample.device.2.into(),
        errors: sample.errors,
        entry_url: format!("https://shop.test{}", sample.entry),
        exit_url: format!("https://shop.test{}", sample.exit),
        urls_json: "[]".into(),
        event_names_json: "[]".into(),
        base_score: sample.score,
        score_breakdown_json: "[]".into(),
        signature_json: "[]".into(),
        updated_at_ms: sample.start_ms + sample.version * MINUTE,
        ..SessionRow::default()
    }
}

const DESKTOP_CHROME: (&str, &str, &str) = ("Chrome", "Linux", "desktop");

/// `s1` with its version, closed flag, score, active minutes, errors and exit page.
fn s1(version: i64, closed: bool, score: f64, active_minutes: i64, errors: i32, exit: &'static str) -> Sample {
    Sample {
        session_id: "s1",
        version,
        closed,
        start_ms: DAY1,
        score,
        active_minutes,
        errors,
        entry: "/",
        exit,
        device: DESKTOP_CHROME,
    }
}

/// The inserts the scorer would make, in order, one `upsert_sessions` call each. In project
/// `shop`: `s1` is open, closes, is written again (a redelivery), reopens, and closes again
/// with new values; `s2` closes; `s3` starts the next day and is written twice; `s4` never
/// closes. Project `other` has a closed session that `shop` must not see.
fn inserts() -> Vec<Vec<SessionRow>> {
    let s2 = Sample {
        session_id: "s2",
        version: 1,
        closed: true,
        start_ms: DAY1 + 30 * MINUTE,
        score: 10.0,
        active_minutes: 1,
        errors: 0,
        entry: "/",
        exit: "/",
        device: ("Firefox", "Windows", "desktop"),
    };
    let s3 = Sample {
        session_id: "s3",
        version: 2,
        closed: true,
        start_ms: DAY1 + DAY,
        score: 70.0,
        active_minutes: 4,
        errors: 1,
        entry: "/sale",
        exit: "/done",
        device: ("Safari", "iOS", "mobile"),
    };
    let s4 = Sample { session_id: "s4", closed: false, score: 99.0, ..s1(1, false, 0.0, 9, 3, "/") };
    let elsewhere = Sample { score: 55.0, ..s1(1, true, 0.0, 5, 1, "/") };
    let shop = |samples: &[Sample]| samples.iter().map(|sample| row("shop", sample)).collect::<Vec<_>>();
    vec![
        shop(&[s1(1, false, 10.0, 1, 0, "/cart"), s4]),
        shop(&[s1(2, true, 20.0, 2, 1, "/cart"), s2]),
        shop(&[s1(2, true, 20.0, 2, 1, "/cart")]),
        shop(&[s1(3, false, 25.0, 2, 1, "/pay"), s3]),
        vec![row("other", &elsewhere)],
        shop(&[s1(4, true, 40.0, 3, 2, "/done"), s3]),
    ]
}

async fn seeded_warehouse(config: &ClickHouseConfig) -> clickhouse::Client {
    let warehouse = ClickHouseWarehouse::new(config.clone()).expect("config");
    warehouse.migrate().await.expect("migrate");
    for rows in inserts() {
        warehouse.upsert_sessions(rows).await.expect("insert");
    }
    client(config)
}

fn client(config: &ClickHouseConfig) -> clickhouse::Client {
    clickhouse::Client::default()
        .with_url(&config.url)
        .with_user(&config.user)
        .with_password(&config.password)
        .with_database(&config.database)
}

/// The result of `sql` as TabSeparatedWithNames text.
async fn fetch(client: &clickhouse::Client, sql: &str) -> String {
    let mut cursor = client.query_raw(sql).fetch_bytes("TabSeparatedWithNames").expect("query");
    let bytes = cursor.collect().await.unwrap_or_else(|error| panic!("{error}\n{sql}"));
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

// ---------------------------------------------------------------------------------------------
// session_days.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_days_counts_each_closed_session_once() {
    with_database(session_days_in).await;
}

async fn session_days_in(config: ClickHouseConfig) {
    let warehouse = ClickHouseWarehouse::new(config.clone()).expect("config");
    warehouse.migrate().await.expect("migrate");
    let client = client(&config);
    let newest = "SELECT session_id, version, base_score, errors, exit_url FROM session_days FINAL \
                  WHERE project_id = 'shop' ORDER BY session_id";
    let mut steps = inserts().into_iter();
    for rows in steps.by_ref().take(4) {
        warehouse.upsert_sessions(rows).await.expect("insert");
    }
    // s1 reopened (version 3, open): it keeps the values of its last close, version 2.
    assert_eq!(
        fetch(&client, newest).await,
        "session_id\tversion\tbase_score\terrors\texit_url\n\
         s1\t2\t20\t1\thttps://shop.test/cart\n\
         s2\t1\t10\t0\thttps://shop.test/\n\
         s3\t2\t70\t1\thttps://shop.test/done\n"
    );
    for rows in steps {
        warehouse.upsert_sessions(rows).await.expect("insert");
    }
    let expected = "session_id\tversion\tbase_score\terrors\texit_url\n\
                    s1\t4\t40\t2\thttps://shop.test/done\n\
                    s2\t1\t10\t0\thttps://shop.test/\n\
                    s3\t2\t70\t1\thttps://shop.test/done\n";
    assert_eq!(fetch(&client, newest).await, expected, "one row per closed session, its newest closed version");
    let open_versions = "SELECT count() AS rows FROM session_days \
                         WHERE project_id = 'shop' AND (session_id = 's4' OR (session_id = 's1' AND version IN (1, 3)))";
    assert_eq!(fetch(&client, open_versions).await, "rows\n0\n", "open versions never reach the view");

    // The daily query of docs/dashboards.md.
    let daily = "SELECT day, count() AS sessions, round(avg(base_score), 2) AS avg_score, \
                 round(quantile(0.5)(base_score), 2) AS p50_score, sum(active_ms) AS total_active_ms, \
                 sum(errors) AS total_errors, countIf(errors > 0) AS sessions_with_errors \
                 FROM session_days FINAL \
                 WHERE project_id = 'shop' AND day >= toDate('2026-03-01') AND day <= toDate('2026-03-31') \
                 GROUP BY day ORDER BY day";
    assert_eq!(
        fetch(&client, daily).await,
        "day\tsessions\tavg_score\tp50_score\ttotal_active_ms\ttotal_errors\tsessions_with_errors\n\
         2026-03-01\t2\t25\t25\t240000\t2\t1\n\
         2026-03-02\t1\t70\t70\t240000\t1\t1\n"
    );

    // The backfill of docs/dashboards.md rebuilds the table from `sessions`, and may repeat.
    client.query("ALTER TABLE session_days DROP PARTITION 202603").execute().await.expect("empty the table");
    assert_eq!(fetch(&client, newest).await, "session_id\tversion\tbase_score\terrors\texit_url\n");
    let backfill = documented_backfill().replace("202601", "202603");
    for _ in 0..2 {
        client.query_raw(&backfill).execute().await.unwrap_or_else(|error| panic!("{error}\n{backfill}"));
    }
    assert_eq!(fetch(&client, newest).await, expected, "the backfill gives what the view gave");

    // Merges collapse the copies for good; FINAL reads the same before and after.
    client.query("OPTIMIZE TABLE session_days FINAL").execute().await.expect("optimize");
    let copies = "SELECT count() AS rows FROM session_days WHERE project_id = 'shop'";
    assert_eq!(fetch(&client, copies).await, "rows\n3\n");
    assert_eq!(fetch(&client, newest).await, expected);
}

/// The backfill statement of docs/dashboards.md: the SQL block under "### Backfill".
fn documented_backfill() -> String {
    let doc = std::fs::read_to_string(repo_path("docs/dashboards.md")).expect("docs/dashboards.md");
    let section = doc.split("\n### Backfill\n").nth(1).expect("a Backfill section");
    let block = section.split("```sql\n").nth(1).expect("a SQL block");
    block.split("```").next().expect("the block ends").trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// product.json.

/// The panel SQL with `$project` and Grafana's macros replaced, as the ClickHouse data source
/// would for a range of whole UTC days `[from, to]` (`YYYY-MM-DD`).
fn substitute(sql: &str, project: &str, from: &str, to: &str) -> String {
    let mut text = sql.replace("${project}", project).replace("$project", project);
    while let Some(start) = text.find("$__dateFilter(") {
        let open = start + "$__dateFilter(".len();
        let close = open + text[open..].find(')').expect("macro closes");
        let column = text[open..close].trim().to_string();
        let filter = format!("{column} >= toDate('{from}') AND {column} <= toDate('{to}')");
        text.replace_range(start..=close, &filter);
    }
    assert!(!text.contains('$'), "a macro or variable is left after substitution:\n{text}");
    text
}

/// The ClickHouse SQL of every product panel, by title, substituted for project `shop` in
/// March 2026, and the `project` variable's query.
fn product_queries() -> Vec<(String, String)> {
    let product = dashboard("product");
    let mut queries = Vec::new();
    for panel in panels(&product) {
        let title = panel["title"].as_str().expect("title").to_string();
        for target in panel["targets"].as_array().expect("targets") {
            assert_eq!(target["datasource"]["type"], "grafana-clickhouse-datasource", "{title}");
            assert_eq!(target["editorType"], "sql", "{title}");
            let sql = target["rawSql"].as_str().expect("rawSql");
            assert!(sql.contains("FROM session_days FINAL"), "{title} reads session_days with FINAL");
            assert!(sql.contains("project_id = '$project'"), "{title} reads one project");
            queries.push((title.clone(), substitute(sql, "shop", "2026-03-01", "2026-03-31")));
        }
    }
    let variables = product["templating"]["list"].as_array().expect("variables");
    let project = variables.iter().find(|variable| variable["name"] == "project").expect("a project variable");
    queries.push(("$project".into(), project["query"].as_str().expect("query").to_string()));
    queries
}

/// What each panel shows for the sample sessions.
fn expected_panel(title: &str) -> &'static str {
    match title {
        "Sessions" => "sessions\n3\n",
        "Sessions per day" => "time\tsessions\n2026-03-01 00:00:00\t2\n2026-03-02 00:00:00\t1\n",
        "Score per day" => {
            "time\tmean\tp50\tp90\tp99\n2026-03-01 00:00:00\t25\t25\t37\t39.7\n2026-03-02 00:00:00\t70\t70\t70\t70\n"
        }
        "Active time per day" => {
            "time\tmean_active_minutes\ttotal_active_hours\n\
             2026-03-01 00:00:00\t2\t0.07\n2026-03-02 00:00:00\t4\t0.07\n"
        }
        "Errors per day" => {
            "time\tjs_errors\tsessions_with_errors\n2026-03-01 00:00:00\t2\t1\n2026-03-02 00:00:00\t1\t1\n"
        }
        "Sessions with errors" => "share\n0.6667\n",
        "Top entry URLs" => "url\tsessions\nhttps://shop.test/\t2\nhttps://shop.test/sale\t1\n",
        "Top exit URLs" => "url\tsessions\nhttps://shop.test/done\t2\nhttps://shop.test/\t1\n",
        "Browsers" => "browser_name\tsessions\nChrome\t1\nFirefox\t1\nSafari\t1\n",
        "Operating systems" => "os_name\tsessions\nLinux\t1\nWindows\t1\niOS\t1\n",
        "Devices" => "device\tsessions\ndesktop\t2\nmobile\t1\n",
        "$project" => "project_id\nother\nshop\n",
        other => panic!("no expected result for the panel {other:?}: add one"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn product_panels_show_the_expected_figures() {
    with_database(product_panels_in).await;
}

async fn product_panels_in(config: ClickHouseConfig) {
    let client = seeded_warehouse(&config).await;
    let queries = product_queries();
    let mut results = Vec::new();
    for (title, sql) in &queries {
        let result = fetch(&client, sql).await;
        assert_eq!(result, expected_panel(title), "panel {title:?}:\n{sql}");
        results.push(result);
    }
    let Some(python) =
        real_backend("PLAYBACK_TEST_CHDB_PYTHON", "export PLAYBACK_TEST_CHDB_PYTHON=$(scripts/chdb-venv)")
    else {
        return;
    };
    // chDB answers in TabSeparated, without the names.
    let without_names: Vec<String> =
        results.iter().map(|result| result.split_once('\n').map_or("", |(_, rows)| rows).to_string()).collect();
    let current = run_in_chdb(&python, &queries, &without_names);
    for (((title, _), old), current) in queries.iter().zip(&without_names).zip(&current) {
        assert_eq!(current, old, "chDB and the test server disagree on {title:?}");
    }
}

/// A SQL literal for a string.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The sample inserts as SQL, for chDB, which has no `Warehouse`.
fn inserts_sql() -> Vec<String> {
    let mut statements = Vec::new();
    for rows in inserts() {
        let mut values = Vec::new();
        for row in rows {
            values.push(format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                quoted(&row.project_id),
                quoted(&row.session_id),
                row.version,
                u8::from(row.closed),
                row.start_ms,
                row.end_ms,
                row.active_ms,
                row.base_score,
                row.errors,
                quoted(&row.entry_url),
                quoted(&row.exit_url),
                quoted(&row.browser),
                quoted(&row.os),
                quoted(&row.device_type),
                row.updated_at_ms,
                quoted(&row.user_traits_json),
                quoted(&row.urls_json),
                quoted(&row.score_breakdown_json),
                quoted(&row.signature_json),
            ));
        }
        statements.push(format!(
            "INSERT INTO sessions (project_id, session_id, version, closed, start_ms, end_ms, active_ms, base_score, \
             errors, entry_url, exit_url, browser, os, device_type, updated_at_ms, user_traits_json, urls_json, \
             score_breakdown_json, signature_json) VALUES {}",
            values.join(", ")
        ));
    }
    statements
}

/// Runs the migrations, the sample inserts and `queries` in chDB (`tests/chdb_check.py`), each
/// query expected to return as many lines as on the test server, and returns their text.
fn run_in_chdb(python: &str, queries: &[(String, String)], server_results: &[String]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("statements.json");
    let output = dir.path().join("results.json");
    let mut examples: Vec<Value> =
        inserts_sql().into_iter().map(|sql| serde_json::json!({ "sql": sql, "rows": 0 })).collect();
    for ((_, sql), result) in queries.iter().zip(server_results) {
        examples.push(serde_json::json!({ "sql": sql, "rows": result.lines().count() }));
    }
    let spec = serde_json::json!({ "migrations": migration_statements(), "examples": examples });
    std::fs::write(&input, serde_json::to_vec_pretty(&spec).expect("json")).expect("write the statements");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/chdb_check.py");
    let result = Command::new(python).arg(&script).arg(&input).arg(&output).output().expect("run the chDB check");
    assert!(
        result.status.success(),
        "the chDB check failed:\n{}\n{}",
        String::from_utf8_lossy(&result.stderr),
        String::from_utf8_lossy(&result.stdout)
    );
    let all: Vec<String> = serde_json::from_slice(&std::fs::read(&output).expect("results")).expect("JSON");
    all[all.len() - queries.len()..].to_vec()
}

// ---------------------------------------------------------------------------------------------
// operations.json.

/// The metric names of the Metrics table in docs/operations.md, with their types.
fn documented_metrics() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(repo_path("docs/operations.md")).expect("docs/operations.md");
    let section = doc.split("\n## Metrics\n").nth(1).expect("a Metrics section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut metrics = Vec::new();
    for line in section.lines().filter(|line| line.starts_with("| `playback_")) {
        let cells: Vec<&str> = line.split('|').skip(1).collect();
        let name = cells[0].trim().trim_matches('`').to_string();
        metrics.push((name, cells[1].trim().to_string()));
    }
    metrics
}

/// The `playback_…` names in a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(start) = rest.find("playback_") {
        let tail = &rest[start..];
        let end = tail.find(|char: char| !(char.is_ascii_alphanumeric() || char == '_')).unwrap_or(tail.len());
        names.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    names
}

#[test]
fn operations_panels_query_documented_metrics() {
    let documented = documented_metrics();
    assert!(documented.len() > 20, "the Metrics table was read");
    let known = |name: &str| -> bool {
        documented.iter().any(|(metric, kind)| {
            metric == name
                || (kind == "histogram"
                    && ["_bucket", "_sum", "_count"].iter().any(|suffix| format!("{metric}{suffix}") == name))
        })
    };
    let operations = dashboard("operations");
    let mut used = BTreeSet::new();
    for panel in panels(&operations) {
        if panel["type"] == "row" {
            continue;
        }
        let title = panel["title"].as_str().expect("title");
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title} has a query");
        for target in targets {
            assert_eq!(target["datasource"]["type"], "prometheus", "{title}");
            let expr = target["expr"].as_str().expect("expr");
            let names = metric_names(expr);
            assert!(!names.is_empty(), "{title} queries a Playback metric: {expr}");
            for name in names {
                assert!(known(&name), "{title} queries {name}, which docs/operations.md does not list");
                used.insert(name);
            }
        }
    }
    for needed in [
        "playback_gateway_requests_total",
        "playback_gateway_publish_seconds_bucket",
        "playback_consumer_lag_records",
        "playback_flush_seconds_bucket",
        "playback_records_dropped_total",
        "playback_sessionizer_sessions_open",
        "playback_query_api_request_seconds_bucket",
    ] {
        assert!(used.contains(needed), "the operations dashboard charts {needed}");
    }
}

#[test]
fn dashboards_have_unique_ids_and_a_datasource_variable() {
    for (name, plugin) in [("operations", "prometheus"), ("product", "grafana-clickhouse-datasource")] {
        let dashboard = dashboard(name);
        assert!(dashboard["uid"].as_str().is_some_and(|uid| uid.starts_with("playback-")), "{name}");
        let variables = dashboard["templating"]["list"].as_array().expect("variables");
        let datasource = variables.iter().find(|variable| variable["type"] == "datasource").expect("datasource");
        assert_eq!(datasource["query"], plugin, "{name}");
        let ids: Vec<i64> = panels(&dashboard).iter().map(|panel| panel["id"].as_i64().expect("id")).collect();
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{name}: panel ids are unique");
        for panel in panels(&dashboard) {
            if panel["type"] != "row" {
                assert_eq!(panel["datasource"]["uid"], "${datasource}", "{name}: {}", panel["title"]);
            }
        }
    }
}
