//! The recording routes over the embedded warehouse and a local blob directory, with chunk
//! sets as the archiver writes them after redeliveries and out-of-order batches.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use playback_blobs::{BlobStore, LocalDir};
use playback_query_api::recording::chunk_id;
use playback_query_api::{router, ApiToken, QueryState, RecencyConfig, Role, ShareLifetimes, ShareSigner, Tokens};
use playback_schemas::chunk::{encode_chunk, BatchEvents, Chunk};
use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::{ChunkRow, SessionRow, Warehouse};
use serde_json::{json, Value};
use tower::ServiceExt;

const ADMIN: &str = "recording-admin-token-0123456789";
const OTHER: &str = "recording-other-token-0123456789";

struct World {
    router: Router,
    warehouse: Arc<dyn Warehouse>,
    blobs: Arc<dyn BlobStore>,
    _dir: tempfile::TempDir,
}

/// The events of batch `seq` of `window`: a Meta and FullSnapshot when `snapshot`, then two
/// incremental events, each marked with its window, seq and index.
fn events(window: &str, seq: i64, snapshot: bool) -> Vec<Value> {
    let ts = 1_700_000_000_000 + seq * 1_000 + if window == "w2" { 60_000 } else { 0 };
    let mut events = Vec::new();
    if snapshot {
        events.push(
            json!({"type": 4, "data": {"href": "https://shop.example/", "width": 800, "height": 600}, "timestamp": ts}),
        );
        events.push(json!({"type": 2, "data": {"node": {"type": 0, "childNodes": [], "id": 1}, "initialOffset": {"left": 0, "top": 0}}, "timestamp": ts}));
    }
    for index in 0..2 {
        events.push(json!({"type": 3, "data": {"source": 2, "type": 2, "id": 1, "x": 1, "y": 2, "mark": format!("{window}-{seq}-{index}")}, "timestamp": ts + index}));
    }
    events
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let warehouse: Arc<dyn Warehouse> = Arc::new(SqliteWarehouse::open(&dir.path().join("warehouse.db")).unwrap());
        warehouse.migrate().await.unwrap();
        let blobs: Arc<dyn BlobStore> = Arc::new(LocalDir::open(dir.path().join("blobs")).unwrap());
        let token = |name: &str, token: &str, project: &str| ApiToken {
            name: name.into(),
            token: token.into(),
            project: project.into(),
            role: Role::Admin,
        };
        let state = QueryState {
            warehouse: warehouse.clone(),
            blobs: blobs.clone(),
            recency: RecencyConfig::default(),
            tokens: Arc::new(Tokens::new(vec![token("ada", ADMIN, "demo"), token("otto", OTHER, "other")]).unwrap()),
            share_signer: ShareSigner::new(&[7u8; 32]).unwrap(),
            share_lifetimes: ShareLifetimes::default(),
            projects: Default::default(),
            log: Arc::new(playback_log::embedded::SqliteLog::open(dir.path().join("log.db"), 1).unwrap()),
        };
        World { router: router(state), warehouse, blobs, _dir: dir }
    }

    /// Writes a chunk of `seqs` of `window` as the archiver does: the blob, then its row.
    async fn chunk(&self, project: &str, session: &str, window: &str, seqs: &[i64]) -> ChunkRow {
        let batches =
            seqs.iter().map(|&seq| (seq, serde_json::to_string(&events(window, seq, seq == 0)).unwrap())).collect();
        self.chunk_of(project, session, window, batches).await
    }

    /// Writes a chunk of these batches (seq, events JSON text) of `window`, as [`World::chunk`]
    /// does.
    async fn chunk_of(&self, project: &str, session: &str, window: &str, batches: Vec<(i64, String)>) -> ChunkRow {
        let seqs: Vec<i64> = batches.iter().map(|(seq, _)| *seq).collect();
        let batches: Vec<BatchEvents> =
            batches.into_iter().map(|(seq, events)| BatchEvents::new(seq, events.into_bytes()).unwrap()).collect();
        let chunk = Chunk {
            project_id: project.into(),
            session_id: session.into(),
            window_id: window.into(),
            batches: batches.clone(),
        };
        let bytes = encode_chunk(&chunk, 3).unwrap();
        let key = chunk.blob_key("2023-11-14");
        let row = ChunkRow {
            project_id: project.into(),
            session_id: session.into(),
            window_id: window.into(),
            first_seq: *seqs.iter().min().unwrap(),
            last_seq: *seqs.iter().max().unwrap(),
            blob_key: key.clone(),
            first_ts_ms: batches.iter().map(|batch| batch.first_ts_ms).min().unwrap(),
            last_ts_ms: batches.iter().map(|batch| batch.last_ts_ms).max().unwrap(),
            events: batches.iter().map(|batch| batch.event_count as i32).sum(),
            bytes: bytes.len() as i64,
            full_snapshot: batches[0].starts_with_snapshot,
            created_at_ms: 1,
        };
        self.blobs.put(&key, bytes).await.unwrap();
        self.warehouse.insert_chunks(vec![row.clone()]).await.unwrap();
        row
    }

    /// Creates a share link to `session` of project demo; returns its token.
    async fn share(&self, session: &str) -> String {
        let request = Request::post(format!("/v1/sessions/{session}/shares"))
            .header("authorization", format!("Bearer {ADMIN}"))
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let share: Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
        share["url"].as_str().unwrap().trim_start_matches("/s/").to_string()
    }

    async fn session(&self, project: &str, session: &str, events: i64, windows: i32) {
        let row = SessionRow {
            project_id: project.into(),
            session_id: session.into(),
            version: 1,
            start_ms: 1_700_000_000_000,
            end_ms: 1_700_000_100_000,
            events,
            windows,
            updated_at_ms: 1,
            ..SessionRow::default()
        };
        self.warehouse.upsert_sessions(vec![row]).await.unwrap();
    }

    async fn send(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = Request::get(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, headers, body)
    }

    async fn json(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let (status, _, body) = self.send(path, token, &[]).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

/// The marks of a window's events, in order.
fn marks(events: &Value) -> Vec<String> {
    events.as_array().unwrap().iter().filter_map(|event| event["data"]["mark"].as_str().map(str::to_string)).collect()
}

fn expected_marks(window: &str, seqs: std::ops::RangeInclusive<i64>) -> Vec<String> {
    seqs.flat_map(|seq| (0..2).map(move |index| format!("{window}-{seq}-{index}"))).collect()
}

/// Tab w1: batches 2 to 4 arrived after 5, then a redelivery wrote 3 to 6 again grouped
/// differently. Tab w2 starts a minute later. 26 events: each tab opens with a Meta and
/// FullSnapshot, then w1 holds 9 batches of 2 events, w2 2 batches.
async fn overlapping_session(world: &World, session: &str) -> Vec<ChunkRow> {
    vec![
        world.chunk("demo", session, "w2", &[0, 1]).await,
        world.chunk("demo", session, "w1", &[0, 1, 5]).await,
        world.chunk("demo", session, "w1", &[2, 3, 4]).await,
        world.chunk("demo", session, "w1", &[3, 4, 5, 6]).await,
        world.chunk("demo", session, "w1", &[7, 8]).await,
    ]
}

#[tokio::test]
async fn the_streamed_recording_has_each_batch_once_in_seq_order() {
    let world = World::new().await;
    overlapping_session(&world, "s1").await;
    world.session("demo", "s1", 26, 2).await;

    let (status, headers, body) = world.send("/v1/sessions/s1/recording", Some(ADMIN), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(headers.get(header::CONTENT_LENGTH).is_none(), "the recording is streamed");
    let recording: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(recording["session_id"], "s1");
    let windows = recording["windows"].as_array().unwrap();
    let ids: Vec<&str> = windows.iter().map(|window| window["window_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["w1", "w2"], "windows by first event");
    let w1 = &windows[0]["events"];
    assert_eq!(w1[0]["type"], 4, "the tab opens with its Meta event");
    assert_eq!(w1.as_array().unwrap().len(), 2 + 9 * 2);
    assert_eq!(marks(w1), expected_marks("w1", 0..=8));
    assert_eq!(marks(&windows[1]["events"]), expected_marks("w2", 0..=1));

    let (_, one_tab) = world.json("/v1/sessions/s1/recording?window_id=w2", Some(ADMIN)).await;
    assert_eq!(one_tab["windows"].as_array().unwrap().len(), 1);
    assert_eq!(marks(&one_tab["windows"][0]["events"]), expected_marks("w2", 0..=1));
}

#[tokio::test]
async fn the_manifest_lists_chunks_by_time_and_counts_each_batch_once() {
    let world = World::new().await;
    let rows = overlapping_session(&world, "s1").await;
    world.session("demo", "s1", 26, 2).await;

    let (status, manifest) = world.json("/v1/sessions/s1/recording/manifest", Some(ADMIN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(manifest["session_id"], "s1");
    assert_eq!((manifest["session_events"].as_i64(), manifest["archived_events"].as_i64()), (Some(26), Some(26)));
    assert_eq!(manifest["complete"], true);
    let windows = manifest["windows"].as_array().unwrap();
    assert_eq!(windows[0]["window_id"], "w1");
    assert_eq!(windows[1]["window_id"], "w2");
    assert_eq!(windows[0]["first_ts_ms"], 1_700_000_000_000i64);
    assert_eq!(windows[0]["last_ts_ms"], 1_700_000_008_001i64);
    let w1_chunks: Vec<(i64, i64)> = windows[0]["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chunk| (chunk["first_seq"].as_i64().unwrap(), chunk["last_seq"].as_i64().unwrap()))
        .collect();
    assert_eq!(w1_chunks, vec![(0, 5), (2, 4), (3, 6), (7, 8)], "chunks by first event, then first seq");
    let first = &windows[0]["chunks"][0];
    assert_eq!(first["snapshot"], true);
    assert_eq!(windows[0]["chunks"][1]["snapshot"], false);
    assert_eq!(first["events"], 8);
    let row = rows.iter().find(|row| row.window_id == "w1" && row.first_seq == 0).unwrap();
    assert_eq!(first["bytes"].as_i64(), Some(row.bytes));
    assert_eq!(first["id"].as_str().unwrap(), chunk_id(row));

    // Every chunk read through the chunk route, de-duplicated by (window, seq), is the recording.
    let (_, recording) = world.json("/v1/sessions/s1/recording", Some(ADMIN)).await;
    for (index, window) in windows.iter().enumerate() {
        let mut batches = BTreeMap::new();
        for chunk in window["chunks"].as_array().unwrap() {
            let path = format!("/v1/sessions/s1/recording/chunks/{}", chunk["id"].as_str().unwrap());
            let (status, body) = world.json(&path, Some(ADMIN)).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body["window_id"], window["window_id"]);
            let seqs: Vec<i64> =
                body["batches"].as_array().unwrap().iter().map(|batch| batch["seq"].as_i64().unwrap()).collect();
            let mut sorted = seqs.clone();
            sorted.sort_unstable();
            assert_eq!(seqs, sorted, "batches in seq order");
            assert_eq!(seqs.first().copied(), chunk["first_seq"].as_i64());
            for batch in body["batches"].as_array().unwrap() {
                batches.entry(batch["seq"].as_i64().unwrap()).or_insert(batch["events"].clone());
            }
        }
        let events: Vec<Value> = batches.into_values().flat_map(|events| events.as_array().unwrap().clone()).collect();
        assert_eq!(Value::Array(events), recording["windows"][index]["events"]);
    }
}

#[tokio::test]
async fn a_session_still_being_archived_is_not_complete() {
    let world = World::new().await;
    world.session("demo", "empty", 6, 1).await;
    let (status, manifest) = world.json("/v1/sessions/empty/recording/manifest", Some(ADMIN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(manifest["windows"], json!([]));
    assert_eq!((manifest["complete"].as_bool(), manifest["archived_events"].as_i64()), (Some(false), Some(0)));
    let (status, recording) = world.json("/v1/sessions/empty/recording", Some(ADMIN)).await;
    assert_eq!((status, recording), (StatusCode::OK, json!({"session_id": "empty", "windows": []})));

    // The sessionizer counted batches 0 to 2; the archiver wrote 0 and 1, and 1 again.
    world.chunk("demo", "partial", "w1", &[0, 1]).await;
    world.chunk("demo", "partial", "w1", &[1]).await;
    world.session("demo", "partial", 8, 1).await;
    let (_, manifest) = world.json("/v1/sessions/partial/recording/manifest", Some(ADMIN)).await;
    assert_eq!((manifest["complete"].as_bool(), manifest["archived_events"].as_i64()), (Some(false), Some(6)));
    world.chunk("demo", "partial", "w1", &[2]).await;
    let (_, manifest) = world.json("/v1/sessions/partial/recording/manifest", Some(ADMIN)).await;
    assert_eq!((manifest["complete"].as_bool(), manifest["archived_events"].as_i64()), (Some(true), Some(8)));

    // All of one tab archived, none of the other: the events may add up, the windows do not.
    world.chunk("demo", "tabs", "w1", &[0, 1]).await;
    world.session("demo", "tabs", 6, 2).await;
    let (_, manifest) = world.json("/v1/sessions/tabs/recording/manifest", Some(ADMIN)).await;
    assert_eq!((manifest["complete"].as_bool(), manifest["archived_events"].as_i64()), (Some(false), Some(6)));
}

#[tokio::test]
async fn a_chunk_is_cached_as_immutable_and_revalidated_by_its_etag() {
    let world = World::new().await;
    let row = world.chunk("demo", "s1", "w1", &[0, 1]).await;
    world.session("demo", "s1", 6, 1).await;
    let id = chunk_id(&row);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{id} is URL-safe");
    let path = format!("/v1/sessions/s1/recording/chunks/{id}");
    let (status, headers, body) = world.send(&path, Some(ADMIN), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "private, max-age=31536000, immutable");
    let etag = headers[header::ETAG].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{id}\""));
    let chunk: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(chunk["batches"][0]["events"], json!(events("w1", 0, true)));
    let (status, headers, body) = world.send(&path, Some(ADMIN), &[("if-none-match", &etag)]).await;
    assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));
    assert_eq!(headers[header::ETAG].to_str().unwrap(), etag);
    let (status, _, _) = world.send(&path, Some(ADMIN), &[("if-none-match", "\"another\"")]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_chunk_id_reaches_only_its_own_sessions_chunks() {
    let world = World::new().await;
    let mine = world.chunk("demo", "s1", "w1", &[0, 1]).await;
    let neighbour = world.chunk("demo", "s2", "w1", &[0, 1]).await;
    let foreign = world.chunk("other", "s3", "w1", &[0]).await;
    world.session("demo", "s1", 6, 1).await;
    world.session("demo", "s2", 6, 1).await;
    world.session("other", "s3", 4, 1).await;
    let chunk_path =
        |session: &str, row: &ChunkRow| format!("/v1/sessions/{session}/recording/chunks/{}", chunk_id(row));

    assert_eq!(world.json(&chunk_path("s1", &mine), Some(ADMIN)).await.0, StatusCode::OK);
    for (path, token, what) in [
        (chunk_path("s1", &neighbour), ADMIN, "another session's chunk"),
        (chunk_path("s1", &foreign), ADMIN, "another project's chunk"),
        (chunk_path("s3", &foreign), ADMIN, "a session of another project"),
        (chunk_path("s1", &mine), OTHER, "a token of another project"),
        ("/v1/sessions/s1/recording/chunks/not-a-chunk".to_string(), ADMIN, "an unknown id"),
        (format!("/v1/sessions/s1/recording/chunks/{}", mine.blob_key.replace('/', "%2F")), ADMIN, "a blob key"),
        ("/v1/sessions/nope/recording/manifest".to_string(), ADMIN, "an unknown session's manifest"),
        ("/v1/sessions/s3/recording/manifest".to_string(), ADMIN, "another project's manifest"),
        ("/v1/sessions/s3/recording".to_string(), ADMIN, "another project's recording"),
    ] {
        let (status, body) = world.json(&path, Some(token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{what}: {path}");
        assert!(body.get("batches").is_none() && body.get("windows").is_none(), "{what}: no data");
    }
    assert_eq!(world.json("/v1/sessions/s1/recording/manifest", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(world.json(&chunk_path("s1", &mine), None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_share_link_reads_the_manifest_and_chunks_of_its_session_only() {
    let world = World::new().await;
    let mine = world.chunk("demo", "s1", "w1", &[0, 1]).await;
    let neighbour = world.chunk("demo", "s2", "w1", &[0, 1]).await;
    world.session("demo", "s1", 6, 1).await;
    world.session("demo", "s2", 6, 1).await;
    let token = world.share("s1").await;

    let (status, manifest) = world.json(&format!("/v1/shared/{token}/recording/manifest"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((manifest["session_id"].as_str(), manifest["complete"].as_bool()), (Some("s1"), Some(true)));
    let id = manifest["windows"][0]["chunks"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(id, chunk_id(&mine));
    let (status, headers, _) = world.send(&format!("/v1/shared/{token}/recording/chunks/{id}"), None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "private, max-age=31536000, immutable");
    let neighbour_path = format!("/v1/shared/{token}/recording/chunks/{}", chunk_id(&neighbour));
    let (status, body) = world.json(&neighbour_path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a share link reaches only its session's chunks");
    assert!(body.get("batches").is_none());
    let (status, _) = world.json(&format!("/v1/shared/{token}x/recording/manifest"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_shared_recording_has_no_identify_events() {
    let world = World::new().await;
    let mut first = events("w1", 0, true);
    let identify = |tag: &str| json!({"type": 5, "timestamp": 1_700_000_000_500_i64, "data": {"tag": tag, "payload": {"user_id": "ada@example.com", "traits": {"plan": "pro"}}}});
    first.push(identify("$identify"));
    let mut second = events("w1", 1, false);
    second.push(
        json!({"type": 5, "timestamp": 1_700_000_001_500_i64, "data": {"tag": "signup", "payload": {"plan": "pro"}}}),
    );
    // The same tag, escaped as a foreign client may send it.
    let escaped = identify("$identify").to_string().replace("$identify", "\\u0024identify");
    let second_text = serde_json::to_string(&second).unwrap();
    let second_text = format!("{},{escaped}]", second_text.strip_suffix(']').unwrap());
    let row =
        world.chunk_of("demo", "s1", "w1", vec![(0, serde_json::to_string(&first).unwrap()), (1, second_text)]).await;
    world.session("demo", "s1", 9, 1).await;
    let token = world.share("s1").await;

    let (status, own) = world.json("/v1/sessions/s1/recording", Some(ADMIN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["windows"][0]["events"].as_array().unwrap().len(), 9, "the team sees the recording as recorded");
    let chunk_path = format!("/v1/shared/{token}/recording/chunks/{}", chunk_id(&row));
    for path in [format!("/v1/shared/{token}/recording"), chunk_path] {
        let (status, _, body) = world.send(&path, None, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let text = String::from_utf8(body).unwrap();
        assert!(!text.contains("ada@example.com") && !text.contains("identify"), "{path}: {text}");
        assert!(text.contains("signup") && text.contains("w1-1-1"), "{path}: the other events stay");
    }
}

#[tokio::test]
async fn a_missing_chunk_is_a_500_before_the_body_and_an_aborted_body_after() {
    let world = World::new().await;
    let first = world.chunk("demo", "s1", "w1", &[0, 1]).await;
    let later = world.chunk("demo", "s1", "w1", &[2, 3]).await;
    world.session("demo", "s1", 10, 1).await;

    world.blobs.delete(&later.blob_key).await.unwrap();
    let request = Request::get("/v1/sessions/s1/recording")
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Body::empty())
        .unwrap();
    let response = world.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the first chunk was readable");
    assert!(response.into_body().collect().await.is_err(), "the body ends with an error, not truncated JSON");

    world.blobs.delete(&first.blob_key).await.unwrap();
    let (status, body) = world.json("/v1/sessions/s1/recording", Some(ADMIN)).await;
    assert_eq!((status, body), (StatusCode::INTERNAL_SERVER_ERROR, json!({"error": "internal error"})));
}
