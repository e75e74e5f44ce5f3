//! `make bench-cipher`: what SQLCipher costs the embedded warehouse. The same sessions are
//! inserted into, then listed from, a plaintext SQLite file and a SQLCipher file in the same run,
//! and both figures are printed with their ratio.
//!
//! The sessions are `playback seed`'s (`PLAYBACK_BENCH_SESSIONS`, 50 000 by default, ending
//! over the last 30 days, a fifth with transcripts), written in batches of 500. Each listing runs
//! `PLAYBACK_BENCH_RUNS` (30) times on the warehouse (not through the API), and its median is
//! printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use playback::seed::{seed, SeedOptions};
use playback_blobs::{BlobStore, LocalDir};
use playback_scorer::ScoreConfig;
use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::{SessionOrder, SessionQuery, Warehouse};

const PROJECT: &str = "demo";
const DAY_MS: i64 = 86_400_000;
/// Any 32 bytes: the figure does not depend on the key.
const KEY: [u8; 32] = [0x5a; 32];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The listings timed: a name and its query.
fn listings(now: i64) -> Vec<(&'static str, SessionQuery)> {
    let recency = playback_scorer::recency(&ScoreConfig::default(), now);
    let base = SessionQuery {
        project_id: Some(PROJECT.into()),
        end_from_ms: now - 7 * DAY_MS,
        end_to_ms: now + DAY_MS,
        recency,
        limit: 50,
        ..SessionQuery::default()
    };
    vec![
        ("newest first, last 7 days", base.clone()),
        (
            "newest first, 30 days",
            SessionQuery { end_from_ms: now - 30 * DAY_MS, order: SessionOrder::Recent, ..base.clone() },
        ),
        ("by score, 30 days", SessionQuery { end_from_ms: now - 30 * DAY_MS, order: SessionOrder::Score, ..base }),
    ]
}

struct Figures {
    insert: Duration,
    listings: Vec<Duration>,
}

async fn measure(encrypted: bool, sessions: u64, runs: usize, now: i64) -> Figures {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warehouse.db");
    let keys: &[[u8; 32]] = if encrypted { &[KEY] } else { &[] };
    let warehouse = Arc::new(SqliteWarehouse::open_encrypted(&path, keys).unwrap());
    warehouse.migrate().await.unwrap();
    let blobs: Arc<dyn BlobStore> = Arc::new(LocalDir::open(dir.path().join("blobs")).unwrap());
    let options = SeedOptions {
        project_id: PROJECT.into(),
        sessions,
        days: 30,
        recordings: 0,
        transcripts: 0.2,
        seed: 7,
        until_ms: now,
        batch: 500,
    };
    let started = Instant::now();
    seed(Arc::clone(&warehouse) as Arc<dyn Warehouse>, blobs, &options, &ScoreConfig::default(), |_| {}).await.unwrap();
    let insert = started.elapsed();
    let mut medians = Vec::new();
    for (_, query) in listings(now) {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            let hits = warehouse.list_sessions(&query).await.unwrap();
            times.push(started.elapsed());
            assert!(!hits.is_empty(), "the listing finds sessions");
        }
        times.sort();
        medians.push(times[times.len() / 2]);
    }
    Figures { insert, listings: medians }
}

fn row(name: &str, plain: Duration, cipher: Duration) {
    let ratio = cipher.as_secs_f64() / plain.as_secs_f64().max(1e-9);
    println!(
        "| {name:<34} | {:>12.2} ms | {:>12.2} ms | {ratio:>6.2}x |",
        plain.as_secs_f64() * 1e3,
        cipher.as_secs_f64() * 1e3
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sessions = env_number("PLAYBACK_BENCH_SESSIONS", 50_000);
    let runs = env_number("PLAYBACK_BENCH_RUNS", 30).max(1) as usize;
    let now = now_ms();
    let plain = measure(false, sessions, runs, now).await;
    let cipher = measure(true, sessions, runs, now).await;
    println!("SQLite against SQLCipher, {sessions} sessions (insert: all of them; listing: median of {runs})");
    println!("| {:<34} | {:>15} | {:>15} | {:>7} |", "operation", "plain SQLite", "SQLCipher", "ratio");
    println!("|{:-<36}|{:-<17}|{:-<17}|{:-<9}|", "", "", "", "");
    row(&format!("insert {sessions} sessions"), plain.insert, cipher.insert);
    for (index, (name, _)) in listings(now).iter().enumerate() {
        row(&format!("list: {name}"), plain.listings[index], cipher.listings[index]);
    }
}
