//! Trains the chunk dictionary on real rrweb recordings and measures it on others.
//!
//! ```text
//! cargo run --release -p playback-schemas --example train-dictionary -- \
//!     --version 1 --size 112640 --out schemas/dictionaries/rrweb-1.zdict \
//!     --eval e2e/bench/archive-corpus/dashboard.jsonl.gz \
//!     e2e/bench/archive-corpus/{demo,ui,forms,table,svg,list}.jsonl.gz
//! ```
//!
//! The recordings are those `node e2e/bench/archive-record.mjs` writes: gzipped JSON lines
//! `{"at_ms":…,"batch":{"session_id","window_id","seq","events",…}}`. Each training sample is
//! the JSON of a one-batch chunk, which is what the archiver writes shortly after every batch.
//! The dictionary's header id is set to `chunk::dictionary_id(version)`. With `--eval`, it
//! prints, for recordings not trained on, the bytes of one-batch chunks and of chunks merged
//! per tab (cut at FullSnapshots, as the archiver cuts them), without and with the dictionary
//! at several levels, next to gzip -6 of the recording's events, and the time to compress.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Instant;

use playback_schemas::chunk::{self, BatchEvents, Chunk};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Line {
    batch: SentBatch,
}

#[derive(Deserialize)]
struct SentBatch {
    session_id: String,
    window_id: String,
    seq: i64,
    events: Box<RawValue>,
}

/// One recording's batches per tab, in seq order.
fn read_recording(path: &str) -> BTreeMap<String, Vec<(String, BatchEvents)>> {
    let file = std::fs::File::open(path).unwrap_or_else(|error| panic!("{path}: {error}"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).unwrap_or_else(|error| panic!("{path}: {error}"));
    let mut windows: BTreeMap<String, Vec<(String, BatchEvents)>> = BTreeMap::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let line: Line = serde_json::from_str(line).unwrap_or_else(|error| panic!("{path}: {error}"));
        let events = BatchEvents::new(line.batch.seq, line.batch.events.get().as_bytes().to_vec())
            .unwrap_or_else(|error| panic!("{path}: {error}"));
        windows.entry(line.batch.window_id).or_default().push((line.batch.session_id, events));
    }
    for batches in windows.values_mut() {
        batches.sort_by_key(|(_, batch)| batch.seq);
    }
    windows
}

fn one_batch_chunks(windows: &BTreeMap<String, Vec<(String, BatchEvents)>>) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for (window_id, batches) in windows {
        for (session_id, batch) in batches {
            chunks.push(Chunk {
                project_id: "demo".into(),
                session_id: session_id.clone(),
                window_id: window_id.clone(),
                batches: vec![batch.clone()],
            });
        }
    }
    chunks
}

/// A tab's batches in chunks that each start at a FullSnapshot, as the archiver merges them.
fn merged_chunks(windows: &BTreeMap<String, Vec<(String, BatchEvents)>>) -> Vec<Chunk> {
    let mut chunks: Vec<Chunk> = Vec::new();
    for (window_id, batches) in windows {
        let mut open: Option<Chunk> = None;
        for (session_id, batch) in batches {
            if batch.starts_with_snapshot {
                chunks.extend(open.take());
            }
            let chunk = open.get_or_insert_with(|| Chunk {
                project_id: "demo".into(),
                session_id: session_id.clone(),
                window_id: window_id.clone(),
                batches: Vec::new(),
            });
            chunk.batches.push(batch.clone());
        }
        chunks.extend(open);
    }
    chunks
}

fn gzip6(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip").len()
}

/// The recording as the API returns it, per tab: its events as one JSON array.
fn events_json(windows: &BTreeMap<String, Vec<(String, BatchEvents)>>) -> Vec<u8> {
    let mut json = b"[".to_vec();
    for batches in windows.values() {
        for (_, batch) in batches {
            let inner = &batch.json[1..batch.json.len() - 1];
            if inner.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if json.len() > 1 {
                json.push(b',');
            }
            json.extend_from_slice(inner);
        }
    }
    json.push(b']');
    json
}

fn measure(label: &str, chunks: &[Chunk], encode: impl Fn(&Chunk) -> Vec<u8>, baseline: usize) {
    let start = Instant::now();
    let mut bytes = 0;
    for chunk in chunks {
        bytes += encode(chunk).len();
    }
    let elapsed = start.elapsed();
    println!(
        "    {label:<28} {bytes:>10} B  {:>5.2}x gzip-6  {:>8.2} ms to compress {} chunks",
        bytes as f64 / baseline as f64,
        elapsed.as_secs_f64() * 1000.0,
        chunks.len()
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut version: u32 = 1;
    let mut size: usize = 112 * 1024;
    let mut out: Option<String> = None;
    let mut eval: Vec<String> = Vec::new();
    let mut train: Vec<String> = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--version" => version = args.next().and_then(|value| value.parse().ok()).expect("--version N"),
            "--size" => size = args.next().and_then(|value| value.parse().ok()).expect("--size BYTES"),
            "--out" => out = Some(args.next().expect("--out FILE")),
            "--eval" => eval.push(args.next().expect("--eval FILE")),
            _ => train.push(arg),
        }
    }
    let out = out.expect("--out FILE");
    assert!(!train.is_empty(), "no recordings to train on");
    assert!(eval.iter().all(|path| !train.contains(path)), "an evaluation recording is also in the training set");

    let mut samples: Vec<Vec<u8>> = Vec::new();
    for path in &train {
        let recording = read_recording(path);
        let before = samples.len();
        for chunk in one_batch_chunks(&recording) {
            samples.push(chunk::chunk_text(&chunk));
        }
        println!("train: {path}: {} samples", samples.len() - before);
    }
    let total: usize = samples.iter().map(Vec::len).sum();
    let mut dictionary = zstd::dict::from_samples(&samples, size).expect("zstd dictionary training");
    assert_eq!(&dictionary[..4], &[0x37, 0xa4, 0x30, 0xec], "a zstd dictionary starts with its magic number");
    let id = chunk::dictionary_id(version);
    dictionary[4..8].copy_from_slice(&id.to_le_bytes());
    std::fs::write(&out, &dictionary).unwrap_or_else(|error| panic!("{out}: {error}"));
    println!(
        "dictionary {out}: {} bytes, id {id:#x}, from {} samples of {total} bytes",
        dictionary.len(),
        samples.len()
    );

    for path in &eval {
        let recording = read_recording(path);
        let events = events_json(&recording);
        let gzip = gzip6(&events);
        let batches: usize = recording.values().map(Vec::len).sum();
        println!("eval: {path}: {batches} batches, events JSON {} B, gzip -6 {gzip} B", events.len());
        let single = one_batch_chunks(&recording);
        let merged = merged_chunks(&recording);
        for (kind, chunks) in [("one-batch chunks", &single), ("merged chunks", &merged)] {
            println!("  {kind}:");
            for level in [3, 9, 12, 15, 19] {
                measure(
                    &format!("plain zstd -{level}"),
                    chunks,
                    |chunk| zstd::encode_all(chunk::chunk_text(chunk).as_slice(), level).expect("zstd"),
                    gzip,
                );
                let prepared = zstd::dict::EncoderDictionary::copy(&dictionary, level);
                measure(
                    &format!("dictionary zstd -{level}"),
                    chunks,
                    |chunk| {
                        let mut compressor = zstd::bulk::Compressor::with_prepared_dictionary(&prepared).expect("zstd");
                        compressor.compress(&chunk::chunk_text(chunk)).expect("zstd")
                    },
                    gzip,
                );
            }
        }
    }
}
