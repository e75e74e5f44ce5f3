//! `make bench-memory`: the query API's memory while it serves a ~100 MB recording, whole
//! (`GET /v1/sessions/{id}/recording`, streamed) and chunk by chunk (the manifest, then every
//! `…/recording/chunks/{chunk_id}`).
//!
//! The session is built from a real rrweb recording (e2e/fixtures, 68 events), repeated with
//! moved timestamps and varied coordinates, grouped into chunks as the archiver groups them (a
//! new chunk at each full snapshot and at 1 MiB of event JSON), and written through the real
//! write paths of the embedded store: the blobs, `insert_chunks` and a session row. Then the
//! real `playback up` runs as a child process on that data dir, once per way of reading, and
//! its peak resident memory (VmHWM, reset to the current RSS just before the requests) is read
//! from /proc next to its idle RSS just before the requests and to the recording's size.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use playback_blobs::{BlobStore, LocalDir};
use playback_keys::{Keyring, MasterKeys, SealedBlobs};
use playback_schemas::chunk::{encode_chunk, BatchEvents, Chunk};
use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::{ChunkRow, SessionRow, Warehouse};
use serde_json::Value;

/// The recording's size: the event JSON of every batch.
const TARGET_BYTES: usize = 100 << 20;
/// A quarter of it, for a second session that shows whether memory grows with the session.
const SMALL_TARGET_BYTES: usize = 25 << 20;
/// The archiver's default chunk target.
const CHUNK_TARGET_BYTES: usize = 1 << 20;
/// A full snapshot every this many batches, as the recorder re-snapshots every few minutes.
const SNAPSHOT_EVERY: i64 = 300;
const PROJECT: &str = "demo";
const SESSION: &str = "0190c0de-0000-7000-8000-00000000b0b0";
const SMALL_SESSION: &str = "0190c0de-0000-7000-8000-0000000025b0";
const WINDOW: &str = "bench-window";
const TOKEN: &str = "pb_bench_memory_admin_token_0123456789";

/// A small deterministic generator for the varied coordinates.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn fixture() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/fixtures/rrweb-2.0.0-alpha.4-batch.json");
    let body: Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("fixture json");
    body["events"].as_array().expect("events").clone()
}

/// Moves every number named `x`, `y` or `id` inside `value` to a new value.
fn vary(value: &mut Value, random: &mut Lcg) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                if matches!(key.as_str(), "x" | "y") && inner.is_number() {
                    *inner = Value::from(random.next(1_600));
                } else if key == "timeOffset" && inner.is_number() {
                    *inner = Value::from(-(random.next(500) as i64));
                } else {
                    vary(inner, random);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| vary(item, random)),
        _ => {}
    }
}

/// Batch `seq`: the fixture's events moved by `seq` times the fixture's span; only every
/// [`SNAPSHOT_EVERY`]th batch keeps the Meta and FullSnapshot.
fn batch(template: &[Value], seq: i64, random: &mut Lcg) -> BatchEvents {
    let start = template.iter().filter_map(|event| event["timestamp"].as_i64()).min().unwrap();
    let end = template.iter().filter_map(|event| event["timestamp"].as_i64()).max().unwrap();
    let shift = seq * (end - start + 1_000);
    let snapshot = seq % SNAPSHOT_EVERY == 0;
    let mut events = Vec::with_capacity(template.len());
    for event in template {
        let kind = event["type"].as_i64().unwrap_or(-1);
        // DomContentLoaded, Load, Meta and FullSnapshot open a page.
        if !snapshot && matches!(kind, 0 | 1 | 2 | 4) {
            continue;
        }
        let mut event = event.clone();
        event["timestamp"] = Value::from(event["timestamp"].as_i64().unwrap() + shift);
        if kind == 3 {
            vary(&mut event["data"], random);
        }
        events.push(event);
    }
    if snapshot {
        // The page opens with Meta then FullSnapshot, which is what starts a chunk.
        events.sort_by_key(|event| match event["type"].as_i64() {
            Some(4) => 0,
            Some(2) => 1,
            _ => 2,
        });
    }
    BatchEvents::new(seq, serde_json::to_vec(&events).unwrap()).unwrap()
}

/// The chunk row the archiver writes for `chunk`.
fn chunk_row(chunk: &Chunk, blob_key: String, bytes: i64) -> ChunkRow {
    ChunkRow {
        project_id: chunk.project_id.clone(),
        session_id: chunk.session_id.clone(),
        window_id: chunk.window_id.clone(),
        first_seq: chunk.batches.iter().map(|batch| batch.seq).min().unwrap(),
        last_seq: chunk.batches.iter().map(|batch| batch.seq).max().unwrap(),
        blob_key,
        first_ts_ms: chunk.batches.iter().map(|batch| batch.first_ts_ms).min().unwrap(),
        last_ts_ms: chunk.batches.iter().map(|batch| batch.last_ts_ms).max().unwrap(),
        events: chunk.batches.iter().map(|batch| batch.event_count as i32).sum(),
        bytes,
        full_snapshot: chunk.batches[0].starts_with_snapshot,
        created_at_ms: playback_schemas::now_ms(),
    }
}

/// What was written.
struct Written {
    session: &'static str,
    /// The exact length of the whole recording's JSON body.
    recording_bytes: usize,
    events_bytes: usize,
    events: i64,
    batches: i64,
    chunks: usize,
    stored_bytes: i64,
    largest_chunk_json: usize,
}

async fn write_session(data_dir: &Path, session: &'static str, target_bytes: usize) -> Written {
    // Written as `playback up` writes: the warehouse under the data dir's master key, the
    // chunks sealed.
    let masters = MasterKeys::local(&data_dir.join("master.key")).unwrap();
    let warehouse =
        SqliteWarehouse::open_encrypted(&data_dir.join("warehouse.db"), &masters.database_keys("warehouse.db"))
            .unwrap();
    warehouse.migrate().await.unwrap();
    let stored: Arc<dyn BlobStore> = Arc::new(LocalDir::open(data_dir.join("blobs")).unwrap());
    let keyring = Arc::new(Keyring::new(Arc::clone(&stored), masters, Duration::from_secs(30), 100));
    let blobs = SealedBlobs::new(stored, keyring);
    let template = fixture();
    let mut random = Lcg(42);
    let mut written = Written {
        session,
        recording_bytes: 0,
        events_bytes: 0,
        events: 0,
        batches: 0,
        chunks: 0,
        stored_bytes: 0,
        largest_chunk_json: 0,
    };
    let mut items_bytes = 0usize;
    let mut item_batches = 0usize;
    let mut buffer: Vec<BatchEvents> = Vec::new();
    let mut buffer_bytes = 0usize;
    let mut first_ts = i64::MAX;
    let mut last_ts = i64::MIN;
    let mut seq = 0i64;
    loop {
        let done = written.events_bytes >= target_bytes;
        let next = if done { None } else { Some(batch(&template, seq, &mut random)) };
        let starts_chunk = next.as_ref().is_some_and(|batch| batch.starts_with_snapshot);
        if !buffer.is_empty() && (done || starts_chunk || buffer_bytes >= CHUNK_TARGET_BYTES) {
            let chunk = Chunk {
                project_id: PROJECT.into(),
                session_id: session.into(),
                window_id: WINDOW.into(),
                batches: std::mem::take(&mut buffer),
            };
            let bytes = encode_chunk(&chunk, 3).unwrap();
            let key = chunk.blob_key(&playback_schemas::chunk::date_of(first_ts));
            let row = chunk_row(&chunk, key.clone(), bytes.len() as i64);
            written.stored_bytes += row.bytes;
            written.chunks += 1;
            written.largest_chunk_json = written.largest_chunk_json.max(buffer_bytes);
            blobs.put(&key, bytes).await.unwrap();
            warehouse.insert_chunks(vec![row]).await.unwrap();
            buffer_bytes = 0;
        }
        let Some(batch) = next else { break };
        first_ts = first_ts.min(batch.first_ts_ms);
        last_ts = last_ts.max(batch.last_ts_ms);
        written.events_bytes += batch.json.len();
        written.events += batch.event_count as i64;
        written.batches += 1;
        // The inside of the batch's array, as the recording joins them.
        items_bytes += batch.json.len() - 2;
        item_batches += 1;
        buffer_bytes += batch.json.len();
        buffer.push(batch);
        seq += 1;
    }
    let head = format!("{{\"session_id\":\"{session}\",\"windows\":[{{\"window_id\":\"{WINDOW}\",\"events\":[");
    written.recording_bytes = head.len() + items_bytes + (item_batches - 1) + "]}]}".len();
    let row = SessionRow {
        project_id: PROJECT.into(),
        session_id: session.into(),
        version: 1,
        closed: true,
        start_ms: first_ts,
        end_ms: last_ts,
        windows: 1,
        events: written.events,
        browser: "Chrome".into(),
        os: "Linux".into(),
        device_type: "desktop".into(),
        updated_at_ms: playback_schemas::now_ms(),
        ..SessionRow::default()
    };
    warehouse.upsert_sessions(vec![row]).await.unwrap();
    written
}

/// `playback up` on `data_dir`, and the address it listens on.
fn start_server(data_dir: &Path) -> (Child, String) {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_playback"));
    for (name, _) in std::env::vars() {
        if name.starts_with("PLAYBACK_") {
            command.env_remove(name);
        }
    }
    let mut child = command
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .current_dir(workspace)
        .env("PLAYBACK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("playback up starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines.next().expect("playback up prints its address").unwrap();
        if let Some(address) = line.strip_prefix("playback listening on ") {
            break address.to_string();
        }
    };
    // Keeps draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, address)
}

/// A field of /proc/<pid>/status, in kB.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap_or_else(|| panic!("no {field}"));
    line.trim_start_matches(field).trim_start_matches(':').trim().trim_end_matches("kB").trim().parse().unwrap()
}

/// Resets the peak RSS of `pid` to its current RSS (Linux 4.0+); whether it could.
fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

/// GETs `path` and reads the body as it arrives; returns the status and the body's length, and
/// the body itself when `keep` (for the small manifest).
async fn get(client: &HttpClient, base: &str, path: &str, keep: bool) -> (u16, usize, Vec<u8>) {
    let request = hyper::Request::get(format!("{base}{path}"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Empty::new())
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut length = 0usize;
    let mut kept = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.expect("the body arrives whole").into_data() {
            length += data.len();
            if keep {
                kept.extend_from_slice(&data);
            }
        }
    }
    (status, length, kept)
}

/// What one way of reading cost the server.
struct Measured {
    idle_kb: u64,
    peak_kb: u64,
    served_bytes: usize,
    requests: usize,
    seconds: f64,
}

async fn measure(data_dir: &Path, read: Reading, written: &Written) -> Measured {
    let (mut child, base) = start_server(data_dir);
    let pid = child.id();
    let session = written.session;
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    // Warm-up: one small request, then let the stages settle.
    let (status, _, _) = get(&client, &base, &format!("/v1/sessions/{session}"), false).await;
    assert_eq!(status, 200, "the session is there");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(reset_peak(pid), "cannot reset the peak RSS through /proc/{pid}/clear_refs");
    let idle_kb = status_kb(pid, "VmRSS");
    let started = Instant::now();
    let (served_bytes, requests) = match read {
        Reading::Whole => {
            let (status, length, _) = get(&client, &base, &format!("/v1/sessions/{session}/recording"), false).await;
            assert_eq!(status, 200);
            assert_eq!(length, written.recording_bytes, "the whole recording, each batch once");
            (length, 1)
        }
        Reading::Chunks => {
            let path = format!("/v1/sessions/{session}/recording/manifest");
            let (status, mut total, manifest) = get(&client, &base, &path, true).await;
            assert_eq!(status, 200);
            let manifest: Value = serde_json::from_slice(&manifest).unwrap();
            assert_eq!(manifest["complete"], true);
            let chunks = manifest["windows"][0]["chunks"].as_array().unwrap().clone();
            assert_eq!(chunks.len(), written.chunks);
            for chunk in &chunks {
                let path = format!("/v1/sessions/{session}/recording/chunks/{}", chunk["id"].as_str().unwrap());
                let (status, length, _) = get(&client, &base, &path, false).await;
                assert_eq!(status, 200);
                total += length;
            }
            (total, chunks.len() + 1)
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let peak_kb = status_kb(pid, "VmHWM");
    child.kill().unwrap();
    child.wait().unwrap();
    Measured { idle_kb, peak_kb, served_bytes, requests, seconds }
}

#[derive(Clone, Copy)]
enum Reading {
    Whole,
    Chunks,
}

fn mb(bytes: f64) -> f64 {
    bytes / 1_048_576.0
}

fn report(name: &str, measured: &Measured, written: &Written) {
    let grown = measured.peak_kb.saturating_sub(measured.idle_kb) as f64 * 1024.0;
    println!(
        "  {name:<22} idle {:>7.1} MB   peak {:>7.1} MB   peak-idle {:>6.1} MB   served {:>6.1} MB in {} requests, {:.1} s",
        mb(measured.idle_kb as f64 * 1024.0),
        mb(measured.peak_kb as f64 * 1024.0),
        mb(grown),
        mb(measured.served_bytes as f64),
        measured.requests,
        measured.seconds,
    );
    println!(
        "  {:<22} (peak-idle)/recording {:.3}   (peak-idle)/largest chunk {:.2}",
        "",
        grown / written.recording_bytes as f64,
        grown / written.largest_chunk_json as f64,
    );
}

fn describe(written: &Written, seconds: f64) {
    println!(
        "session {}: {} batches, {} rrweb events, {} chunks ({:.1} MB stored, largest chunk {:.2} MB of JSON), written in {:.1} s",
        written.session,
        written.batches,
        written.events,
        written.chunks,
        mb(written.stored_bytes as f64),
        mb(written.largest_chunk_json as f64),
        seconds,
    );
    println!(
        "  recording size:        {:.1} MB of JSON (the baseline of the ratios)",
        mb(written.recording_bytes as f64)
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let tokens = serde_json::json!([{ "name": "bench", "token": TOKEN, "project": PROJECT, "role": "admin" }]);
    std::fs::write(data_dir.join("tokens.json"), tokens.to_string()).unwrap();
    println!("recording memory: {} up, serving from the embedded store", env!("CARGO_BIN_EXE_playback"));
    let started = Instant::now();
    let written = write_session(&data_dir, SESSION, TARGET_BYTES).await;
    describe(&written, started.elapsed().as_secs_f64());
    let whole = measure(&data_dir, Reading::Whole, &written).await;
    report("GET /recording", &whole, &written);
    let chunks = measure(&data_dir, Reading::Chunks, &written).await;
    report("manifest + chunks", &chunks, &written);

    let started = Instant::now();
    let small = write_session(&data_dir, SMALL_SESSION, SMALL_TARGET_BYTES).await;
    describe(&small, started.elapsed().as_secs_f64());
    let small_whole = measure(&data_dir, Reading::Whole, &small).await;
    report("GET /recording", &small_whole, &small);
    let grown = |measured: &Measured| measured.peak_kb.saturating_sub(measured.idle_kb) as f64;
    println!(
        "  peak-idle of the {:.0} MB recording / of the {:.0} MB one: {:.2} (recording sizes {:.2})",
        mb(written.recording_bytes as f64),
        mb(small.recording_bytes as f64),
        grown(&whole) / grown(&small_whole).max(1.0),
        written.recording_bytes as f64 / small.recording_bytes as f64,
    );
}
