//! `make bench-list`: `GET /v1/sessions` at a million sessions, on SQLite and on ClickHouse,
//! against the same SQL run straight on the store in the same run.
//!
//! Each backend is seeded by `playback seed`'s code with `PLAYBACK_BENCH_SESSIONS` sessions
//! (1 000 000 by default) ending over the last 365 days, with transcripts. Each listing is
//! requested through the query API's router (`oneshot`, so the figure holds the API's own work:
//! authentication, parsing, the listing, the timeline marks of the page and the JSON), and its
//! baseline is the listing's own SQL, as the warehouse sent it for that request: on SQLite the
//! same statements with the same parameters on a rusqlite connection to the same file, on
//! ClickHouse the same SQL text over ClickHouse's HTTP interface. ClickHouse runs when the
//! test stack's `PLAYBACK_TEST_CLICKHOUSE_URL` is set (`. .stack/env`).
//!
//! `PLAYBACK_BENCH_RUNS` (30) sets the timed requests per listing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::{BodyExt, Full};
use playback::seed::{seed, SeedOptions};
use playback_blobs::{BlobStore, LocalDir};
use playback_log::embedded::SqliteLog;
use playback_query_api::{ApiToken, QueryState, RecencyConfig, Role, ShareLifetimes, ShareSigner, Tokens};
use playback_scorer::ScoreConfig;
use playback_warehouse::clickhouse::{ClickHouseConfig, ClickHouseWarehouse};
use playback_warehouse::embedded::{open_connection, SqliteWarehouse};
use playback_warehouse::{SessionFilter, SessionOrder, SessionQuery, Warehouse};
use serde_json::Value;
use tower::ServiceExt;

const TOKEN: &str = "pb_bench_list_token_0123456789abcdef";
const PROJECT: &str = "demo";
const DAY_MS: i64 = 86_400_000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A listing of the benchmark: its name and its query string.
struct Listing {
    name: &'static str,
    query: String,
    /// Pages to walk first (untimed), to time the page after them.
    skip_pages: usize,
}

fn listings(from: i64) -> Vec<Listing> {
    let listing =
        |name, query: &str, skip_pages| Listing { name, query: format!("{query}&from={from}&limit=50"), skip_pages };
    vec![
        Listing { name: "newest first, last 7 days (default)", query: "limit=50".into(), skip_pages: 0 },
        listing("newest first, a year", "sort=recent", 0),
        listing("by score, a year", "sort=score", 0),
        listing("browser + os + has errors", "browser=Chrome&os=Windows%2010&has_errors=true", 0),
        listing("a user", "user=u-0001000", 0),
        listing("a visited url", "url=%2Fcheckout", 0),
        listing("an event with a property", "event=purchase&event_prop=plan%3Dpro", 0),
        listing("newest first, page 2", "sort=recent", 1),
        listing("newest first, page 10", "sort=recent", 9),
        listing("by score, page 10", "sort=score", 9),
    ]
}

fn state(warehouse: Arc<dyn Warehouse>, blobs: Arc<dyn BlobStore>) -> QueryState {
    let token = ApiToken { name: "bench".into(), token: TOKEN.into(), project: PROJECT.into(), role: Role::Viewer };
    let score = ScoreConfig::default();
    QueryState {
        warehouse,
        blobs,
        recency: RecencyConfig { weight: score.recency_weight, half_life_hours: score.recency_half_life_hours },
        tokens: Arc::new(Tokens::new(vec![token]).unwrap()),
        share_signer: ShareSigner::new(&[7u8; 32]).unwrap(),
        share_lifetimes: ShareLifetimes { default_hours: 24, max_hours: 24 * 30 },
        projects: Default::default(),
        // Listings never write to the log; it is there because the API also deletes.
        log: Arc::new(SqliteLog::open(tempfile::tempdir().unwrap().keep().join("log.db"), 1).unwrap()),
    }
}

async fn get(router: &Router, query: &str) -> Value {
    let request = Request::get(format!("/v1/sessions?{query}"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, StatusCode::OK, "{query}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// The query string of the timed request: after `skip_pages` pages, with that page's cursor.
async fn timed_query(router: &Router, listing: &Listing) -> String {
    let mut query = listing.query.clone();
    for _ in 0..listing.skip_pages {
        let page = get(router, &query).await;
        let cursor = page["next_cursor"].as_str().expect("a full page has a cursor").to_string();
        query = format!("{}&cursor={cursor}", listing.query);
    }
    query
}

/// The warehouse query that the API builds for a query string, for capturing its SQL. It
/// mirrors `stages/query-api/src/sessions.rs`: the same range defaults and the cursor's position.
fn session_query(query: &str, now: i64) -> SessionQuery {
    let mut session_query = SessionQuery {
        project_id: Some(PROJECT.into()),
        end_from_ms: now - 7 * DAY_MS,
        end_to_ms: now + DAY_MS,
        limit: 50,
        ..SessionQuery::default()
    };
    let score = ScoreConfig::default();
    session_query.recency = playback_scorer::recency(&score, now);
    let mut filter = SessionFilter::default();
    let mut cursor = None;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "from" => session_query.end_from_ms = value.parse().unwrap(),
            "sort" if value == "score" => session_query.order = SessionOrder::Score,
            "browser" => filter.browser = Some(value.into_owned()),
            "os" => filter.os = Some(value.into_owned()),
            "has_errors" => filter.has_errors = true,
            "user" => filter.user = Some(value.into_owned()),
            "url" => filter.url = Some((value.into_owned(), false)),
            "event" => filter.event = Some((value.into_owned(), None)),
            "event_prop" => {
                let (key, wanted) = value.split_once('=').unwrap();
                let property = playback_warehouse::PropertyMatch { key: key.into(), value: wanted.into() };
                filter.event.as_mut().unwrap().1 = Some(property);
            }
            "cursor" => cursor = Some(value.into_owned()),
            _ => {}
        }
    }
    session_query.filter = filter;
    if let Some(cursor) = cursor {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).unwrap();
        let cursor: Value = serde_json::from_slice(&bytes).unwrap();
        session_query.after = Some(serde_json::from_value(cursor["after"].clone()).unwrap());
        if let Some(as_of) = cursor["as_of_ms"].as_i64() {
            session_query.recency = playback_scorer::recency(&score, as_of);
        }
    }
    session_query
}

/// The baseline of one listing on one backend.
enum Baseline {
    Sqlite { connection: rusqlite::Connection, statements: Vec<(String, Vec<rusqlite::types::Value>)> },
    ClickHouse { http: Box<ClickHouseHttp>, statements: Vec<String> },
}

impl Baseline {
    async fn run(&mut self) {
        match self {
            Baseline::Sqlite { connection, statements } => {
                for (sql, values) in statements.iter() {
                    let mut statement = connection.prepare_cached(sql).unwrap();
                    let columns = statement.column_count();
                    let mut rows = statement.query(rusqlite::params_from_iter(values.iter())).unwrap();
                    while let Some(row) = rows.next().unwrap() {
                        for column in 0..columns {
                            std::hint::black_box(row.get::<_, rusqlite::types::Value>(column).unwrap());
                        }
                    }
                }
            }
            Baseline::ClickHouse { http, statements } => {
                for sql in statements.iter() {
                    std::hint::black_box(http.query(sql).await);
                }
            }
        }
    }
}

/// ClickHouse's HTTP interface, as the `clickhouse` crate uses it: the SQL as the body, the
/// rows back as RowBinary.
struct ClickHouseHttp {
    client: hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Full<bytes::Bytes>>,
    url: String,
    user: String,
    password: String,
}

impl ClickHouseHttp {
    async fn query(&self, sql: &str) -> bytes::Bytes {
        let request = Request::post(&self.url)
            .header("X-ClickHouse-User", &self.user)
            .header("X-ClickHouse-Key", &self.password)
            .body(Full::new(bytes::Bytes::from(format!("{sql} FORMAT RowBinary"))))
            .unwrap();
        let response = self.client.request(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(status.is_success(), "{status}: {}", String::from_utf8_lossy(&body));
        body
    }
}

fn percentile(samples: &mut [Duration], share: f64) -> Duration {
    samples.sort_unstable();
    let index = ((samples.len() as f64 - 1.0) * share).round() as usize;
    samples[index]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

struct Row {
    name: &'static str,
    hits: usize,
    statements: usize,
    api: (Duration, Duration),
    direct: (Duration, Duration),
}

/// Times every listing through the API and as its SQL, alternating the two.
async fn measure(
    router: &Router,
    runs: usize,
    from: i64,
    mut baseline_for: impl AsyncFnMut(&SessionQuery) -> Baseline,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for listing in listings(from) {
        let query = timed_query(router, &listing).await;
        let hits = get(router, &query).await["sessions"].as_array().map_or(0, Vec::len);
        let mut baseline = baseline_for(&session_query(&query, now_ms())).await;
        let statements = match &baseline {
            Baseline::Sqlite { statements, .. } => statements.len(),
            Baseline::ClickHouse { statements, .. } => statements.len(),
        };
        for _ in 0..3 {
            get(router, &query).await;
            baseline.run().await;
        }
        let (mut api, mut direct) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
        for _ in 0..runs {
            let started = Instant::now();
            std::hint::black_box(get(router, &query).await);
            api.push(started.elapsed());
            let started = Instant::now();
            baseline.run().await;
            direct.push(started.elapsed());
        }
        rows.push(Row {
            name: listing.name,
            hits,
            statements,
            api: (percentile(&mut api, 0.5), percentile(&mut api, 0.95)),
            direct: (percentile(&mut direct, 0.5), percentile(&mut direct, 0.95)),
        });
    }
    rows
}

fn print_table(title: &str, rows: &[Row]) {
    println!("\n{title}");
    println!(
        "{:<38} {:>5} {:>5} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "listing", "hits", "sql", "API p50", "API p95", "SQL p50", "SQL p95", "p95 ×"
    );
    for row in rows {
        println!(
            "{:<38} {:>5} {:>5} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>7.2}×",
            row.name,
            row.hits,
            row.statements,
            ms(row.api.0),
            ms(row.api.1),
            ms(row.direct.0),
            ms(row.direct.1),
            ms(row.api.1) / ms(row.direct.1).max(1e-6)
        );
    }
}

fn seed_options(sessions: u64, until_ms: i64) -> SeedOptions {
    SeedOptions {
        project_id: PROJECT.into(),
        sessions,
        days: 365,
        recordings: 0,
        transcripts: 1.0,
        seed: 1,
        until_ms,
        batch: 5_000,
    }
}

async fn seed_into(warehouse: Arc<dyn Warehouse>, blobs: Arc<dyn BlobStore>, options: &SeedOptions, backend: &str) {
    let report = seed(warehouse, blobs, options, &ScoreConfig::default(), |_| {}).await.unwrap();
    println!(
        "{backend}: seeded {} sessions and {} transcript rows in {:.1} s ({:.0} sessions/s)",
        report.sessions,
        report.event_rows,
        report.seconds,
        report.sessions as f64 / report.seconds
    );
}

async fn sqlite(dir: &Path, sessions: u64, runs: usize) {
    let path = dir.join("warehouse.db");
    let warehouse = Arc::new(SqliteWarehouse::open(&path).unwrap());
    warehouse.migrate().await.unwrap();
    let blobs: Arc<dyn BlobStore> = Arc::new(LocalDir::open(dir.join("blobs")).unwrap());
    let until = now_ms();
    seed_into(
        Arc::clone(&warehouse) as Arc<dyn Warehouse>,
        Arc::clone(&blobs),
        &seed_options(sessions, until),
        "sqlite",
    )
    .await;
    let router = playback_query_api::router(state(Arc::clone(&warehouse) as Arc<dyn Warehouse>, blobs));
    let rows = measure(&router, runs, until - 366 * DAY_MS, async |query: &SessionQuery| Baseline::Sqlite {
        connection: open_connection(&path).unwrap(),
        statements: warehouse.listing_statements(query).await.unwrap(),
    })
    .await;
    print_table(&format!("SQLite, {sessions} sessions: API (router) against the same SQL on rusqlite"), &rows);
}

async fn clickhouse(url: String, sessions: u64, runs: usize, dir: &Path) {
    let user = std::env::var("PLAYBACK_TEST_CLICKHOUSE_USER").unwrap_or_else(|_| "default".into());
    let password = std::env::var("PLAYBACK_TEST_CLICKHOUSE_PASSWORD").unwrap_or_default();
    let database = format!("playback_bench_list_{}", std::process::id());
    let config = ClickHouseConfig {
        url: url.clone(),
        database: database.clone(),
        user: user.clone(),
        password: password.clone(),
        ..ClickHouseConfig::default()
    };
    let warehouse = Arc::new(ClickHouseWarehouse::new(config).unwrap());
    warehouse.migrate().await.unwrap();
    let blobs: Arc<dyn BlobStore> = Arc::new(LocalDir::open(dir.join("clickhouse-blobs")).unwrap());
    let until = now_ms();
    seed_into(
        Arc::clone(&warehouse) as Arc<dyn Warehouse>,
        Arc::clone(&blobs),
        &seed_options(sessions, until),
        "clickhouse",
    )
    .await;
    let http = || {
        Box::new(ClickHouseHttp {
            client: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
            url: format!("{}/?database={database}", url.trim_end_matches('/')),
            user: user.clone(),
            password: password.clone(),
        })
    };
    let router = playback_query_api::router(state(Arc::clone(&warehouse) as Arc<dyn Warehouse>, blobs));
    let rows = measure(&router, runs, until - 366 * DAY_MS, async |query: &SessionQuery| Baseline::ClickHouse {
        http: http(),
        statements: warehouse.listing_statements(query).await.unwrap(),
    })
    .await;
    print_table(&format!("ClickHouse, {sessions} sessions: API (router) against the same SQL text over HTTP"), &rows);
    http().query(&format!("DROP DATABASE IF EXISTS {database}")).await;
}

#[tokio::main]
async fn main() {
    let sessions = env_number("PLAYBACK_BENCH_SESSIONS", 1_000_000);
    let runs = env_number("PLAYBACK_BENCH_RUNS", 30) as usize;
    let dir = tempfile::tempdir().unwrap();
    println!("list benchmark: {sessions} sessions over 365 days, {runs} timed requests per listing");
    sqlite(dir.path(), sessions, runs).await;
    match std::env::var("PLAYBACK_TEST_CLICKHOUSE_URL") {
        Ok(url) if !url.is_empty() => clickhouse(url, sessions, runs, dir.path()).await,
        _ => println!("\nClickHouse: skipped (PLAYBACK_TEST_CLICKHOUSE_URL is not set; `. .stack/env`)"),
    }
}
