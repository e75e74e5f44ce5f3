//! `make bench-archive`: the bytes a real recording takes in the archive, against gzip -6 and
//! zstd -3 of the same recording as one file.
//!
//! The recording is one made in Chromium by the real recorder (`e2e/bench/archive-record.mjs`),
//! by default `e2e/bench/archive-corpus/dashboard.jsonl.gz`, which the chunk dictionary was not
//! trained on. Its batches are posted to `playback up`'s router (embedded adapters, default
//! archiver settings) with the spacing they had when recorded, so the archiver's timers see
//! what they would see live: a batch every 5 s. Once the tab is idle and the archiver has
//! merged and retired its small chunks, the bench adds up the chunk blobs and the
//! `recording_chunks` rows (as ClickHouse's RowBinary stores them: strings with a length byte,
//! 8-byte integers), fetches the recording from `GET /v1/sessions/{id}/recording`, and
//! compresses that body with gzip -6 and zstd -3. It also prints what format v1 with the old
//! timers (5 s idle, 60 s age, plain zstd -3) would have stored, and the compression time of
//! both.
//!
//! `cargo bench -p playback --bench archive [-- RECORDING.jsonl.gz]`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use playback::app::all_in_one;
use playback::Config;
use playback_archiver::ArchiverConfig;
use playback_blobs::{BlobStore, LocalDir};
use playback_schemas::chunk::{encode_chunk, encode_chunk_v1, BatchEvents, Chunk};
use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::{ChunkRow, Warehouse};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tower::ServiceExt;

const TOKEN: &str = "bench-archive-token-0123456789";
const UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

#[derive(Deserialize)]
struct Line<'a> {
    at_ms: u64,
    #[serde(borrow)]
    batch: &'a RawValue,
}

#[derive(Deserialize)]
struct SentBody<'a> {
    session_id: String,
    window_id: String,
    seq: i64,
    #[serde(borrow)]
    events: &'a RawValue,
}

/// One batch as the recorder sent it (the request body, byte for byte), and when, from the
/// recording's first batch.
struct Sent {
    at_ms: u64,
    body: Vec<u8>,
    session_id: String,
    window_id: String,
    events: BatchEvents,
}

fn read_recording(path: &str) -> Vec<Sent> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("recording")).read_to_string(&mut text).unwrap();
    let mut sent: Vec<Sent> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let line: Line = serde_json::from_str(line).unwrap();
            let body: SentBody = serde_json::from_str(line.batch.get()).unwrap();
            Sent {
                at_ms: line.at_ms,
                body: line.batch.get().as_bytes().to_vec(),
                session_id: body.session_id,
                window_id: body.window_id,
                events: BatchEvents::new(body.seq, body.events.get().as_bytes().to_vec()).unwrap(),
            }
        })
        .collect();
    sent.sort_by_key(|batch| batch.at_ms);
    sent
}

fn gzip(bytes: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A `recording_chunks` row's size in ClickHouse's RowBinary: strings with their length,
/// Int64 columns 8 bytes, `events` 4, `full_snapshot` 1.
fn row_bytes(row: &ChunkRow) -> usize {
    let strings = [&row.project_id, &row.session_id, &row.window_id, &row.blob_key];
    strings.iter().map(|text| text.len() + 1).sum::<usize>() + 6 * 8 + 4 + 1
}

/// The chunks of a tab's buffer written after `idle_ms` without a batch, `age_ms` after its
/// first, or before a batch that opens with a FullSnapshot: format v1's cuts with its timers
/// (5 s, 60 s), or the merged chunks with `merge_idle_ms` and no age limit.
fn cut(sent: &[Sent], idle_ms: u64, age_ms: u64) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut open: BTreeMap<String, (u64, u64, Chunk)> = BTreeMap::new();
    for batch in sent {
        let due: Vec<String> = open
            .iter()
            .filter(|(window, (opened, last, _))| {
                batch.at_ms - last >= idle_ms
                    || batch.at_ms - opened >= age_ms
                    || (**window == batch.window_id && batch.events.starts_with_snapshot)
            })
            .map(|(window, _)| window.clone())
            .collect();
        for window in due {
            chunks.push(open.remove(&window).unwrap().2);
        }
        let entry = open.entry(batch.window_id.clone()).or_insert_with(|| {
            let chunk = Chunk {
                project_id: "demo".into(),
                session_id: batch.session_id.clone(),
                window_id: batch.window_id.clone(),
                batches: Vec::new(),
            };
            (batch.at_ms, batch.at_ms, chunk)
        });
        entry.1 = batch.at_ms;
        entry.2.batches.push(batch.events.clone());
    }
    chunks.extend(open.into_values().map(|(_, _, chunk)| chunk));
    chunks
}

async fn call(router: &axum::Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (status, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/bench/archive-corpus/dashboard.jsonl.gz");
    let path = std::env::args().skip(1).find(|arg| arg.ends_with(".jsonl.gz")).unwrap_or_else(|| default.to_string());
    let sent = read_recording(&path);
    let session_id = sent[0].session_id.clone();

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    config.auth.tokens = vec![playback_query_api::ApiToken {
        name: "bench".into(),
        token: TOKEN.into(),
        project: "demo".into(),
        role: playback_query_api::Role::Admin,
    }];
    config.paths.demo_dir = Some("".into());
    let archiver = ArchiverConfig::default();
    config.archiver = archiver.clone();
    playback::app::migrate(config.clone()).await.unwrap();
    let (router, _stages) = all_in_one(&config).await.unwrap();

    let recorded_ms = sent.last().map(|batch| batch.at_ms).unwrap_or(0);
    println!(
        "archive: {} ({} batches over {:.0} s, sent with their recorded spacing)",
        path.rsplit('/').next().unwrap_or(&path),
        sent.len(),
        recorded_ms as f64 / 1000.0
    );
    let start = Instant::now();
    for batch in &sent {
        let wait = Duration::from_millis(batch.at_ms).saturating_sub(start.elapsed());
        tokio::time::sleep(wait).await;
        let request = Request::post("/v1/batches")
            .header("x-playback-key", "pk_demo")
            .header("user-agent", UA)
            .header("content-encoding", "gzip")
            .body(Body::from(gzip(&batch.body, 6)))
            .unwrap();
        let (status, answer) = call(&router, request).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&answer));
    }

    // Wait for the merge (the tab idle for merge_idle_ms) and the retired blobs' deletion.
    let masters = playback_keys::MasterKeys::local(&dir.path().join("master.key")).unwrap();
    let warehouse =
        SqliteWarehouse::open_encrypted(&dir.path().join("warehouse.db"), &masters.database_keys("warehouse.db"))
            .unwrap();
    let blobs = LocalDir::open(dir.path().join("blobs")).unwrap();
    let patience = Duration::from_millis(archiver.merge_idle_ms + 3 * archiver.retire_grace_ms + 30_000);
    let settle_start = Instant::now();
    let (rows, keys, windows_seen) = loop {
        let rows = warehouse.session_chunks("demo", &session_id).await.unwrap();
        let keys = blobs.list("demo/").await.unwrap();
        let mut windows_seen: Vec<String> = rows.iter().map(|row| row.window_id.clone()).collect();
        windows_seen.dedup();
        let merged = rows.len() == windows_seen.len() || rows.iter().all(|row| row.full_snapshot);
        if (merged && keys.len() == rows.len() && !rows.is_empty()) || settle_start.elapsed() > patience {
            break (rows, keys, windows_seen);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    println!(
        "  settled {:.0} s after the last batch: {} chunk rows, {} blobs, {} tab(s)",
        settle_start.elapsed().as_secs_f64(),
        rows.len(),
        keys.len(),
        windows_seen.len()
    );
    let mut blob_bytes = 0;
    for key in &keys {
        blob_bytes += blobs.get(key).await.unwrap().expect("listed blob").len();
    }
    let index_bytes: usize = rows.iter().map(row_bytes).sum();
    let stored = blob_bytes + index_bytes;

    let request =
        Request::get(format!("/v1/sessions/{session_id}/recording")).header("authorization", format!("Bearer {TOKEN}"));
    let (status, recording) = call(&router, request.body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let returned: Value = playback_schemas::json::from_slice_deep(&recording).unwrap();
    let returned_events: usize =
        returned["windows"].as_array().unwrap().iter().map(|window| window["events"].as_array().unwrap().len()).sum();
    let sent_events: usize = sent.iter().map(|batch| batch.events.event_count).sum();
    assert_eq!(returned_events, sent_events, "the recording returns every event sent");

    let gzip6 = gzip(&recording, 6).len();
    let zstd3 = zstd::encode_all(recording.as_slice(), 3).unwrap().len();
    let old = cut(&sent, 5_000, 60_000);
    let timer = Instant::now();
    let old_blobs: usize = old.iter().map(|chunk| encode_chunk_v1(chunk, 3).unwrap().len()).sum();
    let old_cpu = timer.elapsed();
    let old_rows: usize = old.len() * (row_bytes(&rows[0]));
    let old_stored = old_blobs + old_rows;

    // What the archiver compressed: each small chunk at zstd_level, then the merged chunks.
    let small: Vec<Chunk> = sent
        .iter()
        .map(|batch| Chunk {
            project_id: "demo".into(),
            session_id: session_id.clone(),
            window_id: batch.window_id.clone(),
            batches: vec![batch.events.clone()],
        })
        .collect();
    let merged = cut(&sent, archiver.merge_idle_ms, u64::MAX);
    let timer = Instant::now();
    for chunk in &small {
        encode_chunk(chunk, archiver.zstd_level).unwrap();
    }
    let small_cpu = timer.elapsed();
    let timer = Instant::now();
    for chunk in &merged {
        encode_chunk(chunk, archiver.merge_zstd_level).unwrap();
    }
    let merge_cpu = timer.elapsed();

    let ratio = |bytes: usize, baseline: usize| bytes as f64 / baseline as f64;
    println!("  recording as the API returns it:  {:>8} B JSON, {returned_events} events", recording.len());
    println!("  gzip -6 of it (baseline):         {gzip6:>8} B");
    println!("  zstd -3 of it:                    {zstd3:>8} B  {:>5.2}x gzip-6", ratio(zstd3, gzip6));
    println!(
        "  archive, v2 + merge:              {stored:>8} B  {:>5.2}x gzip-6  ({blob_bytes} B in {} blobs + {index_bytes} B in {} rows)",
        ratio(stored, gzip6),
        keys.len(),
        rows.len()
    );
    println!(
        "  archive, v1 and old timers:       {old_stored:>8} B  {:>5.2}x gzip-6  ({old_blobs} B in {} chunks + {old_rows} B of rows)",
        ratio(old_stored, gzip6),
        old.len()
    );
    println!("  ratio v2/v1:                      {:>8.2}", ratio(stored, old_stored));
    println!(
        "  compression CPU: v2 {:.1} ms ({} small chunks at -{} {:.1} ms + merged at -{} {:.1} ms), v1 {:.1} ms; ratio {:.1}",
        (small_cpu + merge_cpu).as_secs_f64() * 1000.0,
        small.len(),
        archiver.zstd_level,
        small_cpu.as_secs_f64() * 1000.0,
        archiver.merge_zstd_level,
        merge_cpu.as_secs_f64() * 1000.0,
        old_cpu.as_secs_f64() * 1000.0,
        (small_cpu + merge_cpu).as_secs_f64() / old_cpu.as_secs_f64()
    );
}
