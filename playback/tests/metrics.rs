//! `/metrics` exports exactly the metrics that docs/operations.md lists, with the documented
//! types and labels, and traffic through the pipeline moves them: once on the embedded
//! adapters, and once on Kafka, ClickHouse and S3 (`scripts/test-stack up`), where the consumer
//! lag comes from the brokers.
//!
//! Metrics live in one registry per process, so the tests here run one at a time and compare
//! values before and after their own traffic.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{batch, gzip, now_ms, on_servers, session_events, start, Harness};
use http_body_util::BodyExt;
use playback_runtime::testsuite;
use tower::ServiceExt;

/// One test at a time: they share the process's registry.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A metric as docs/operations.md documents it.
#[derive(Debug)]
struct Documented {
    name: String,
    kind: String,
    labels: BTreeSet<String>,
}

/// The texts between backticks in `cell`.
fn backticked(cell: &str) -> Vec<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// The rows of the table in the "Metrics" section of docs/operations.md.
fn documented() -> Vec<Documented> {
    let doc = include_str!("../../docs/operations.md");
    let section = doc.split("\n## Metrics\n").nth(1).expect("docs/operations.md has a Metrics section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut metrics = Vec::new();
    for line in section.lines().filter(|line| line.starts_with("| `playback_")) {
        let cells: Vec<&str> = line.split('|').skip(1).collect();
        assert!(cells.len() >= 4, "a metric row has name, type, labels and meaning: {line}");
        let name = backticked(cells[0]).into_iter().next().unwrap();
        metrics.push(Documented {
            name,
            kind: cells[1].trim().to_string(),
            labels: backticked(cells[2]).into_iter().collect(),
        });
    }
    assert!(metrics.len() > 20, "the Metrics table was found: {} rows", metrics.len());
    metrics
}

/// One sample of the text exposition.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The `# TYPE` of each family and every sample, from Prometheus' text format.
#[derive(Debug, Default)]
struct Exposition {
    types: BTreeMap<String, String>,
    samples: Vec<Sample>,
}

impl Exposition {
    fn parse(text: &str) -> Exposition {
        let mut exposition = Exposition::default();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                exposition.types.insert(name.to_string(), kind.to_string());
            } else if !line.starts_with('#') && !line.is_empty() {
                exposition.samples.push(parse_sample(line));
            }
        }
        exposition
    }

    /// The sum of the samples named `name` whose labels include `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|sample| sample.value).sum()
    }

    fn matching<'a>(&'a self, name: &'a str, labels: &'a [(&str, &str)]) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |sample| {
            sample.name == name
                && labels.iter().all(|(key, value)| sample.labels.get(*key).is_some_and(|found| found == value))
        })
    }

    /// The samples of family `family`: a histogram's `_bucket`, `_sum` and `_count` too.
    fn family<'a>(&'a self, family: &'a str) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |sample| {
            sample.name == family
                || ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|suffix| sample.name.strip_suffix(suffix).is_some_and(|base| base == family))
        })
    }
}

/// `name{key="value",…} value`, with `\"`, `\\` and `\n` escapes in label values.
fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).unwrap();
    let name = line[..name_end].to_string();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices();
        let mut key = String::new();
        let mut end = 0;
        while let Some((index, char)) = chars.next() {
            match char {
                '}' => {
                    end = index + 1;
                    break;
                }
                ',' => {}
                '=' => {
                    assert_eq!(chars.next().map(|(_, quote)| quote), Some('"'), "{line}");
                    let mut value = String::new();
                    while let Some((_, char)) = chars.next() {
                        match char {
                            '"' => break,
                            '\\' => match chars.next().map(|(_, escaped)| escaped) {
                                Some('n') => value.push('\n'),
                                Some(escaped) => value.push(escaped),
                                None => {}
                            },
                            other => value.push(other),
                        }
                    }
                    labels.insert(std::mem::take(&mut key), value);
                }
                other => key.push(other),
            }
        }
        rest = &body[end..];
    }
    let value = rest.split_whitespace().next().unwrap();
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        number => number.parse().unwrap(),
    };
    Sample { name, labels, value }
}

async fn scrape(harness: &Harness) -> Exposition {
    let request = Request::get("/metrics").body(Body::empty()).unwrap();
    let response = harness.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Exposition::parse(std::str::from_utf8(&bytes).unwrap())
}

/// Every exported `playback_` metric is documented, with its type and labels; with `complete`,
/// every documented metric is exported too (a labelled metric has no series before its first
/// label value, so only after traffic).
fn assert_matches_the_docs(exposition: &Exposition, complete: bool) {
    let documented = documented();
    for metric in &documented {
        let kind = exposition.types.get(&metric.name);
        if kind.is_none() && !complete {
            continue;
        }
        assert_eq!(kind, Some(&metric.kind), "{} is exported as a {}", metric.name, metric.kind);
        for sample in exposition.family(&metric.name) {
            let labels: BTreeSet<String> =
                sample.labels.keys().filter(|label| label.as_str() != "le").cloned().collect();
            assert_eq!(labels, metric.labels, "labels of {sample:?}");
        }
    }
    for name in exposition.types.keys().filter(|name| name.starts_with("playback_")) {
        assert!(documented.iter().any(|metric| &metric.name == name), "{name} is not in docs/operations.md");
    }
}

/// Labels a sample must carry.
type Labels = &'static [(&'static str, &'static str)];

/// What traffic must have moved: a sample name, labels it must carry, and the least increase.
const MOVED: &[(&str, Labels, f64)] = &[
    ("playback_gateway_requests_total", &[("status", "200")], 4.0),
    ("playback_gateway_requests_total", &[("status", "400")], 1.0),
    ("playback_gateway_requests_total", &[("status", "401")], 1.0),
    ("playback_gateway_events_accepted_total", &[], 11.0),
    ("playback_gateway_received_bytes_total", &[], 1.0),
    ("playback_gateway_publish_seconds_count", &[], 4.0),
    ("playback_gateway_batch_events_count", &[], 4.0),
    ("playback_gateway_batch_events_sum", &[], 11.0),
    ("playback_gateway_batch_bytes_count", &[], 4.0),
    ("playback_gateway_batch_bytes_sum", &[], 100.0),
    ("playback_records_read_total", &[("stage", "sessionizer"), ("topic", "playback.raw-batches")], 4.0),
    ("playback_records_read_total", &[("stage", "scorer"), ("topic", "playback.session-updates")], 1.0),
    ("playback_records_read_total", &[("stage", "archiver"), ("topic", "playback.raw-batches")], 4.0),
    ("playback_sessionizer_batches_total", &[("outcome", "applied")], 3.0),
    ("playback_sessionizer_batches_total", &[("outcome", "duplicate")], 1.0),
    ("playback_rows_inserted_total", &[("stage", "sessionizer"), ("table", "events")], 7.0),
    ("playback_flush_seconds_count", &[("stage", "sessionizer"), ("sink", "warehouse")], 1.0),
    ("playback_flush_seconds_count", &[("stage", "sessionizer"), ("sink", "log")], 1.0),
    ("playback_scorer_scores_total", &[], 1.0),
    ("playback_rows_inserted_total", &[("stage", "scorer"), ("table", "sessions")], 1.0),
    ("playback_flush_seconds_count", &[("stage", "scorer"), ("sink", "warehouse")], 1.0),
    ("playback_archiver_batches_total", &[], 4.0),
    ("playback_archiver_chunks_total", &[], 2.0),
    ("playback_archiver_chunk_bytes_total", &[], 100.0),
    ("playback_rows_inserted_total", &[("stage", "archiver"), ("table", "recording_chunks")], 2.0),
    ("playback_flush_seconds_count", &[("stage", "archiver"), ("sink", "blobs")], 2.0),
    ("playback_flush_seconds_count", &[("stage", "archiver"), ("sink", "warehouse")], 1.0),
    (
        "playback_query_api_request_seconds_count",
        &[("method", "GET"), ("route", "/v1/sessions/{id}"), ("status", "2xx")],
        1.0,
    ),
    (
        "playback_query_api_request_seconds_count",
        &[("method", "GET"), ("route", "/v1/sessions/{id}"), ("status", "4xx")],
        1.0,
    ),
    (
        "playback_query_api_request_seconds_count",
        &[("method", "GET"), ("route", "/v1/sessions/{id}/recording"), ("status", "2xx")],
        1.0,
    ),
];

/// Sends one session's batches (one of them twice), a malformed batch and a wrong key, then
/// reads the session and its recording back, and a session that does not exist.
async fn traffic(harness: &Harness) {
    let session = uuid::Uuid::now_v7().to_string();
    let (first, second, other_tab) = session_events(now_ms() - 10_000);
    for body in [
        batch(&session, "w1", 0, &first, None),
        gzip(&batch(&session, "w1", 1, &second, None)),
        batch(&session, "w2", 0, &other_tab, None),
        batch(&session, "w1", 0, &first, None),
    ] {
        assert_eq!(harness.post("pk_demo", body).await.0, StatusCode::OK);
    }
    assert_eq!(harness.post("pk_demo", b"{".to_vec()).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(harness.post("pk_nope", batch(&session, "w1", 2, &second, None)).await.0, StatusCode::UNAUTHORIZED);
    let path = format!("/v1/sessions/{session}");
    harness.wait_for(&path, |body| body["page_views"] == 3 && body["errors"] == 1).await;
    harness
        .wait_for(&format!("{path}/recording"), |body| {
            body["windows"].as_array().is_some_and(|windows| windows.len() == 2)
        })
        .await;
    assert_eq!(harness.get(&format!("/v1/sessions/{}", uuid::Uuid::now_v7())).await.0, StatusCode::NOT_FOUND);
}

/// Scrapes until `done` holds for the exposition, for up to 30 s; returns the last scrape.
async fn scrape_until(harness: &Harness, what: &str, done: impl Fn(&Exposition) -> bool) -> Exposition {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let exposition = scrape(harness).await;
        if done(&exposition) {
            return exposition;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Each consumer stage reports the lag of every partition it owns, and it drains to 0.
async fn assert_lag_drains(harness: &Harness, partitions: i32) {
    let expected: BTreeSet<String> = (0..partitions).map(|partition| partition.to_string()).collect();
    let stages = ["sessionizer", "scorer", "archiver"];
    let drained = scrape_until(harness, "every consumer's lag to drain", |exposition| {
        stages.iter().all(|stage| {
            let name = "playback_consumer_lag_records";
            let labels = [("stage", *stage)];
            let reported: BTreeSet<String> = exposition
                .matching(name, &labels)
                .filter_map(|sample| sample.labels.get("partition").cloned())
                .collect();
            let assigned = exposition.sum("playback_partitions_assigned", &labels);
            reported == expected && exposition.sum(name, &labels) == 0.0 && assigned == f64::from(partitions)
        })
    })
    .await;
    assert_matches_the_docs(&drained, true);
}

/// Runs the traffic and checks every documented metric and every increase it must cause.
async fn check_traffic(harness: &Harness) {
    let before = scrape(harness).await;
    assert_matches_the_docs(&before, false);
    traffic(harness).await;
    // The archiver writes chunks once a buffer is idle; wait for both tabs' rows.
    let after = scrape_until(harness, "the traffic's metrics", |exposition| {
        MOVED.iter().all(|(name, labels, least)| exposition.sum(name, labels) - before.sum(name, labels) >= *least)
    })
    .await;
    // Lag gauges appear at the stages' next lag reading: `assert_lag_drains` checks them.
    assert_matches_the_docs(&after, false);
    for (name, labels, least) in MOVED {
        let moved = after.sum(name, labels) - before.sum(name, labels);
        assert!(moved >= *least, "{name}{labels:?} moved by {moved}, expected at least {least}");
    }
    assert!(after.sum("playback_sessionizer_sessions_open", &[]) >= 1.0, "the session is open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_pipeline_exports_every_documented_metric() {
    let _serial = SERIAL.lock().await;
    let harness = start(|config| config.log.partitions = 2).await;
    check_traffic(&harness).await;
    assert_lag_drains(&harness, 2).await;
    drop(harness);

    // Sessions close after a short idle time here; the open gauge follows.
    let closing = start(|config| {
        config.sessionizer.idle_timeout_ms = 300;
        config.sessionizer.close_check_interval_ms = 100;
    })
    .await;
    let before = scrape(&closing).await;
    let session = uuid::Uuid::now_v7().to_string();
    let (first, _, _) = session_events(now_ms() - 1_000);
    assert_eq!(closing.post("pk_demo", batch(&session, "w1", 0, &first, None)).await.0, StatusCode::OK);
    let closed = scrape_until(&closing, "the session to close", |exposition| {
        exposition.sum("playback_sessionizer_sessions_closed_total", &[])
            > before.sum("playback_sessionizer_sessions_closed_total", &[])
            && exposition.sum("playback_sessionizer_sessions_open", &[]) == 0.0
    })
    .await;
    assert_matches_the_docs(&closed, true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_backends_export_every_documented_metric_and_kafka_lag() {
    let Some(stack) = testsuite::stack("metrics") else { return };
    let _serial = SERIAL.lock().await;
    let harness = start(|config| on_servers(config, stack)).await;
    check_traffic(&harness).await;
    assert_lag_drains(&harness, 4).await;
}
