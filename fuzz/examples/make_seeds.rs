//! Writes the seed corpus under `fuzz/corpus/`: the real rrweb recording from
//! `e2e/fixtures/` (whole, split in two, gzipped), one synthetic batch with every transcript
//! kind, and the Avro values the code makes of them. Deterministic; run it again after a
//! schema or fixture change:
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example make_seeds

use std::fs;
use std::path::{Path, PathBuf};

use playback_fuzz::{gzip, raw_batch};
use playback_ingest_gateway::{parse_batch, Limits};
use playback_schemas::{AvroMessage, RawBatch};
use playback_sessionizer::{Session, SessionizerConfig};
use playback_warehouse::EventKind;
use serde_json::{json, Value};

const T0: i64 = 1_764_299_000_000;

fn synthetic_batch() -> Value {
    let click = |id: i64, at: i64| json!({"type": 3, "timestamp": T0 + at, "data": {"source": 2, "type": 2, "id": id, "x": 10, "y": 20}});
    json!({
        "session_id": "0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5f",
        "window_id": "tab-1",
        "seq": 3,
        "sent_at": T0 + 9_000,
        "user": {"id": "user-42", "traits": {"plan": "pro", "email": "a@b.test"}},
        "events": [
            {"type": 4, "timestamp": T0, "data": {"href": "https://shop.test/cart?x=1#top", "width": 1280, "height": 720}},
            {"type": 2, "timestamp": T0 + 1, "data": {"node": {"type": 0, "id": 1, "childNodes": [
                {"type": 2, "id": 2, "tagName": "button", "attributes": {"id": "buy", "aria-label": "Buy now"},
                 "childNodes": [{"type": 3, "id": 3, "textContent": "Buy"}]},
                {"type": 2, "id": 4, "tagName": "input", "attributes": {"type": "email", "name": "email"}, "childNodes": []},
                {"type": 2, "id": 5, "tagName": "div", "attributes": {"role": "button", "onclick": "go()"},
                 "childNodes": [{"type": 3, "id": 6, "textContent": "Go there"}]}]}}},
            {"type": 5, "timestamp": T0 + 2, "data": {"tag": "$pageview", "payload": {"href": "https://shop.test/cart"}}},
            {"type": 5, "timestamp": T0 + 3, "data": {"tag": "$identify", "payload": {"id": "user-42"}}},
            click(2, 100),
            click(2, 200),
            click(2, 300),
            {"type": 3, "timestamp": T0 + 400, "data": {"source": 0, "adds": [
                {"parentId": 1, "nextId": null, "node": {"type": 2, "id": 7, "tagName": "a", "attributes": {"href": "/next"},
                 "childNodes": [{"type": 3, "id": 8, "textContent": "Next page"}]}}],
                "removes": [{"parentId": 1, "id": 5}], "texts": [{"id": 3, "value": "Bought"}], "attributes": []}},
            {"type": 3, "timestamp": T0 + 500, "data": {"source": 5, "id": 4, "text": "*****", "isChecked": false}},
            {"type": 3, "timestamp": T0 + 600, "data": {"source": 5, "id": 4, "text": "******", "isChecked": false}},
            {"type": 3, "timestamp": T0 + 700, "data": {"source": 3, "id": 1, "x": 0, "y": 300}},
            click(7, 800),
            {"type": 3, "timestamp": T0 + 900, "data": {"source": 2, "type": 5, "id": 4}},
            {"type": 5, "timestamp": T0 + 1_000, "data": {"tag": "checkout started", "payload": {"total": 12.5, "items": [1, 2]}}},
            {"type": 5, "timestamp": T0 + 1_100, "data": {"tag": "$exception", "payload": {"message": "TypeError: x is undefined", "stack": "at f (app.js:1:2)"}}},
            click(6, 1_200),
            {"type": 3, "timestamp": T0 + 4_000, "data": {"source": 1, "positions": [{"x": 1, "y": 2, "id": 1, "timeOffset": -10}]}},
            {"type": 4, "timestamp": T0 + 5_000, "data": {"href": "https://shop.test/thanks", "width": 1280, "height": 720}}
        ]
    })
}

/// The real recording split before its first interaction: a snapshot batch and an action batch.
fn split(real: &Value) -> (Value, Value) {
    let events = real["events"].as_array().expect("the fixture has events");
    let cut = events.iter().position(|event| event["type"] == 3).unwrap_or(events.len() / 2).max(1);
    let mut first = real.clone();
    first["events"] = Value::Array(events[..cut].to_vec());
    let mut second = real.clone();
    second["events"] = Value::Array(events[cut..].to_vec());
    second["seq"] = json!(1);
    (first, second)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::create_dir_all(dir).expect("create corpus dir");
    fs::write(dir.join(name), bytes).expect("write seed");
    println!("{} ({} bytes)", dir.join(name).display(), bytes.len());
}

fn main() {
    let fuzz_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = fuzz_dir.join("corpus");
    let real_text = fs::read(fuzz_dir.join("../e2e/fixtures/rrweb-2.0.0-alpha.4-batch.json")).expect("read fixture");
    let real: Value = serde_json::from_slice(&real_text).expect("the fixture is JSON");
    let (snapshot_part, action_part) = split(&real);
    let synthetic = synthetic_batch().to_string().into_bytes();

    let mut bodies: Vec<(&str, Vec<u8>)> = vec![
        ("rrweb-alpha4.json", real_text.clone()),
        ("rrweb-alpha4-snapshot.json", snapshot_part.to_string().into_bytes()),
        ("rrweb-alpha4-actions.json", action_part.to_string().into_bytes()),
        ("synthetic-all-kinds.json", synthetic.clone()),
    ];
    for (name, body) in &bodies {
        write(&corpus.join("batch_parser"), name, body);
        write(&corpus.join("session_classifier"), name, body);
    }
    write(&corpus.join("batch_parser"), "rrweb-alpha4-actions.json.gz", &gzip(&bodies[2].1));
    let bare_events = synthetic_batch()["events"].to_string().into_bytes();
    write(&corpus.join("session_classifier"), "bare-events-array.json", &bare_events);

    // Avro values as the gateway and the sessionizer make them.
    let config = SessionizerConfig::default();
    let limits = Limits::default();
    let avro = corpus.join("avro_decode");
    bodies.remove(0);
    let mut session: Option<Session> = None;
    for (name, body) in &bodies {
        let parsed = parse_batch(body, false, &limits).expect("seed batches are valid");
        let batch: RawBatch = raw_batch(parsed);
        write(&avro, &format!("raw-batch-{}.avro", name.trim_end_matches(".json")), &batch.encode().expect("encodes"));
        if batch.session_id != session.as_ref().map(|s| s.update().session_id.clone()).unwrap_or_default() {
            session = Some(Session::new(&batch));
        }
        let current = session.as_mut().expect("a session");
        let rows = current.apply(&batch, &config, batch.received_at_ms + 1_000).rows;
        if name.starts_with("synthetic") {
            for wanted in EventKind::ALL {
                assert!(rows.iter().any(|row| row.kind == wanted), "the synthetic batch has no {wanted} row");
            }
        }
        let stem = name.trim_end_matches(".json");
        write(&avro, &format!("session-update-{stem}.avro"), &current.update().encode().expect("encodes"));
        write(&avro, &format!("session-state-{stem}.avro"), &current.state.encode().expect("encodes"));
    }
    if let Some(mut last) = session {
        last.close(T0 + 3_600_000);
        write(&avro, "session-state-closed.avro", &last.state.encode().expect("encodes"));
    }
}
