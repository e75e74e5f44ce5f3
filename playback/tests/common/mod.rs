//! What the in-process pipeline tests share: a Playback built from config and driven through
//! its router, and a realistic session's batches.

#![allow(clippy::unwrap_used, dead_code)]

use std::io::Write;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use playback::app::{all_in_one, Stages};
use playback::Config;
use playback_schemas::json::{from_slice_within, MAX_JSON_DEPTH};
use serde_json::{json, Value};
use tower::ServiceExt;

const UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

pub struct Harness {
    pub router: Router,
    _stages: Stages,
    _dir: tempfile::TempDir,
}

/// The demo project's admin token in every harness.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// Runs every adapter on the test stack's servers.
#[cfg(all(feature = "kafka", feature = "clickhouse", feature = "s3"))]
pub fn on_servers(config: &mut Config, stack: playback_runtime::testsuite::Stack) {
    use playback::config::Backend;
    config.log.backend = Backend::Server;
    config.log.kafka = stack.kafka;
    config.warehouse.backend = Backend::Server;
    config.warehouse.clickhouse = stack.clickhouse;
    config.blobs.backend = Backend::Server;
    config.blobs.s3 = stack.s3;
    // Every process on servers needs a master key; this is any 32 bytes.
    config.encryption.keys = vec![playback::config::MasterKeyConfig {
        id: "test".into(),
        key_file: None,
        key: Some("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=".into()),
    }];
}

pub async fn start(tune: impl FnOnce(&mut Config)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    config.auth.tokens = vec![playback_query_api::ApiToken {
        name: "test-admin".into(),
        token: ADMIN_TOKEN.into(),
        project: "demo".into(),
        role: playback_query_api::Role::Admin,
    }];
    config.archiver.flush_idle_ms = 200;
    config.paths.demo_dir = Some("".into());
    tune(&mut config);
    playback::app::migrate(config.clone()).await.unwrap();
    let (router, stages) = all_in_one(&config).await.unwrap();
    Harness { router, _stages: stages, _dir: dir }
}

/// Adds project `id` (recorder key `pk_{id}`) with an admin token `token` named `name`.
pub fn add_project(config: &mut Config, id: &str, name: &str, token: &str) {
    config.projects.push(playback_ingest_gateway::Project::new(id, format!("pk_{id}")));
    config.auth.tokens.push(playback_query_api::ApiToken {
        name: name.into(),
        token: token.into(),
        project: id.into(),
        role: playback_query_api::Role::Admin,
    });
}

impl Harness {
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        // A recording holds events up to MAX_JSON_DEPTH levels deep, a few levels down.
        let body = from_slice_within(&bytes, MAX_JSON_DEPTH + 4).unwrap_or(Value::Null);
        (status, body, headers)
    }

    /// The answer's status, bytes and headers, for bodies that are not JSON.
    pub async fn send_raw(&self, request: Request<Body>) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec(), headers)
    }

    pub async fn post(&self, key: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let request = Request::post("/v1/batches")
            .header("x-playback-key", key)
            .header("user-agent", UA)
            .body(Body::from(body))
            .unwrap();
        let (status, body, _) = self.send(request).await;
        (status, body)
    }

    /// GET with the admin token.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let request =
            Request::get(path).header("authorization", format!("Bearer {ADMIN_TOKEN}")).body(Body::empty()).unwrap();
        let (status, body, _) = self.send(request).await;
        (status, body)
    }

    /// Polls `path` until `ready` holds, for up to 20 s.
    pub async fn wait_for(&self, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = self.get(path).await;
            if status == StatusCode::OK && ready(&body) {
                return body;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting on {path}: {status} {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

pub fn batch(session: &str, window: &str, seq: i64, events: &Value, user: Option<Value>) -> Vec<u8> {
    let mut body =
        json!({"session_id": session, "window_id": window, "seq": seq, "sent_at": now_ms(), "events": events});
    if let Some(user) = user {
        body["user"] = user;
    }
    serde_json::to_vec(&body).unwrap()
}

/// Meta, a FullSnapshot whose DOM is `dom_levels` elements deep with `button#go "Go"` at the
/// bottom, a click on the button's text and a custom event, as JSON text (a `Value` built as
/// deep would be dropped recursively): `2 * dom_levels + 4` levels.
pub fn deep_snapshot_events(t0: i64, dom_levels: usize) -> String {
    let mut node = r#"{"type":2,"id":1,"tagName":"button","attributes":{"id":"go"},"childNodes":[{"type":3,"id":2,"textContent":"Go"}]}"#.to_string();
    for id in 3..dom_levels + 2 {
        node = format!(r#"{{"type":2,"id":{id},"tagName":"div","attributes":{{}},"childNodes":[{node}]}}"#);
    }
    format!(
        r#"[{{"type":4,"data":{{"href":"https://deep.test/","width":1280,"height":720}},"timestamp":{t0}}},{{"type":2,"data":{{"node":{node},"initialOffset":{{"top":0,"left":0}}}},"timestamp":{}}},{{"type":3,"data":{{"source":2,"type":2,"id":2,"x":5,"y":5}},"timestamp":{}}},{{"type":5,"data":{{"tag":"signup","payload":{{"plan":"pro"}}}},"timestamp":{}}}]"#,
        t0 + 1,
        t0 + 1_000,
        t0 + 2_000
    )
}

/// A batch body around events given as JSON text.
pub fn batch_text(session: &str, window: &str, seq: i64, events: &str) -> Vec<u8> {
    format!(
        r#"{{"session_id":"{session}","window_id":"{window}","seq":{seq},"sent_at":{},"events":{events}}}"#,
        now_ms()
    )
    .into_bytes()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

pub fn session_events(t0: i64) -> (Value, Value, Value) {
    let first = json!([
        {"type": 4, "data": {"href": "https://shop.test/", "width": 1280, "height": 720}, "timestamp": t0},
        {"type": 2, "data": {"node": {"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "button", "attributes": {"id": "buy"}, "childNodes": [{"type": 3, "id": 3, "textContent": "Buy"}]},
            {"type": 2, "id": 4, "tagName": "input", "attributes": {"id": "email"}, "childNodes": []}]}}, "timestamp": t0 + 1},
        {"type": 5, "data": {"tag": "$pageview", "payload": {"href": "https://shop.test/"}}, "timestamp": t0 + 2},
        {"type": 3, "data": {"source": 2, "type": 2, "id": 2, "x": 5, "y": 5}, "timestamp": t0 + 1_000},
        {"type": 3, "data": {"source": 0, "adds": [], "removes": [], "texts": [], "attributes": []}, "timestamp": t0 + 1_100},
        {"type": 3, "data": {"source": 5, "id": 4, "text": "********", "isChecked": false}, "timestamp": t0 + 2_000},
        {"type": 3, "data": {"source": 5, "id": 4, "text": "********", "isChecked": false}, "timestamp": t0 + 2_100}
    ]);
    let second = json!([
        {"type": 5, "data": {"tag": "$exception", "payload": {"message": "checkout failed", "stack": "at pay"}}, "timestamp": t0 + 3_000},
        {"type": 5, "data": {"tag": "coupon_applied", "payload": {"code": "SPRING"}}, "timestamp": t0 + 3_500},
        {"type": 5, "data": {"tag": "$pageview", "payload": {"href": "https://shop.test/done"}}, "timestamp": t0 + 4_000},
        {"type": 3, "data": {"source": 3, "id": 1, "x": 0, "y": 300}, "timestamp": t0 + 4_500}
    ]);
    let other_tab = json!([
        {"type": 4, "data": {"href": "https://shop.test/help", "width": 1280, "height": 720}, "timestamp": t0 + 500},
        {"type": 2, "data": {"node": {"type": 0, "id": 1, "childNodes": []}}, "timestamp": t0 + 501}
    ]);
    (first, second, other_tab)
}
