//! Deletion on request, end to end in process: two users' sessions go through the pipeline, one
//! user is deleted over the API, and then every read answers 404 for their sessions while the
//! other user's are served as before, `playback verify` finds nothing of them, and (embedded)
//! no file of the data dir holds their id, their page text or a note's text. Run over the
//! embedded adapters, and over Kafka, ClickHouse and S3 when the test stack is up.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{batch, now_ms, on_servers, session_events, start, Harness, ADMIN_TOKEN};
use playback::Config;
use playback_query_api::deletion::Target;
use playback_runtime::testsuite;
use serde_json::{json, Value};

const VIEWER: &str = "test-viewer-token-0123456789";
const DELETED_USER: &str = "ada-deleted@example.com";
const KEPT_USER: &str = "bob-kept@example.com";
/// Page text only the deleted user's sessions show.
const DELETED_TEXT: &str = "Ada's private order 4921-7733";
const NOTE_TEXT: &str = "note about ada's checkout 5512";

/// A session's reads that must answer 404 once it is deleted.
fn session_reads(session: &str, chunk_ids: &[String]) -> Vec<String> {
    let mut paths: Vec<String> = ["", "/events", "/recording", "/recording/manifest", "/similar", "/assets", "/shares"]
        .iter()
        .map(|suffix| format!("/v1/sessions/{session}{suffix}"))
        .collect();
    for chunk in chunk_ids {
        paths.push(format!("/v1/sessions/{session}/recording/chunks/{chunk}"));
    }
    paths
}

async fn call(
    harness: &Harness,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request.header("content-type", "application/json").body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let (status, body, _) = harness.send(request).await;
    (status, body)
}

/// Sends a session of `user` whose button reads `text`, and waits until it is scored and
/// archived whole; returns its chunk ids and transcript rows.
async fn record(harness: &Harness, session: &str, user: &str, text: &str, t0: i64) -> (Vec<String>, u64) {
    let (mut first, second, _) = session_events(t0);
    first[1]["data"]["node"]["childNodes"][0]["childNodes"][0]["textContent"] = json!(text);
    let identity = json!({"id": user, "traits": {"email": user, "plan": "pro"}});
    assert_eq!(harness.post("pk_demo", batch(session, "w1", 0, &first, Some(identity))).await.0, StatusCode::OK);
    assert_eq!(harness.post("pk_demo", batch(session, "w1", 1, &second, None)).await.0, StatusCode::OK);
    let path = format!("/v1/sessions/{session}");
    harness.wait_for(&path, |body| body["page_views"] == 2 && body["user"]["user_id"] == user).await;
    let manifest = harness.wait_for(&format!("{path}/recording/manifest"), |body| body["complete"] == true).await;
    let chunk_ids = manifest["windows"][0]["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chunk| chunk["id"].as_str().unwrap().to_string())
        .collect();
    let transcript = harness.get(&format!("{path}/events")).await.1;
    (chunk_ids, transcript["events"].as_array().unwrap().len() as u64)
}

/// Every file under `dir` that holds `needle` byte for byte.
fn files_holding(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                // A file holds the needle in its bytes or in its name (blobs are filed by session).
                let in_name =
                    path.display().to_string().as_bytes().windows(needle.len()).any(|window| window == needle);
                if in_name || bytes.windows(needle.len()).any(|window| window == needle) {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    found
}

async fn deleting_a_user_leaves_nothing_of_them(tune: impl FnOnce(&mut Config) + Send, on_servers: bool) {
    let mut kept_config = None;
    let harness = start(|config| {
        config.auth.tokens.push(playback_query_api::ApiToken {
            name: "vera".into(),
            token: VIEWER.into(),
            project: "demo".into(),
            role: playback_query_api::Role::Viewer,
        });
        tune(config);
        kept_config = Some(config.clone());
    })
    .await;
    let config = kept_config.unwrap();
    let admin = Some(ADMIN_TOKEN);

    let t0 = now_ms() - 120_000;
    let deleted: Vec<String> = (0..2).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let kept = uuid::Uuid::now_v7().to_string();
    let mut deleted_chunks = Vec::new();
    let mut deleted_events = 0;
    for (index, session) in deleted.iter().enumerate() {
        let (chunks, events) = record(&harness, session, DELETED_USER, DELETED_TEXT, t0 + index as i64 * 20_000).await;
        deleted_chunks.push(chunks);
        deleted_events += events;
    }
    record(&harness, &kept, KEPT_USER, "Buy", t0 + 40_000).await;
    let note = json!({"offset_ms": 1000, "text": NOTE_TEXT});
    let (status, _) =
        call(&harness, Method::POST, &format!("/v1/sessions/{}/notes", deleted[0]), admin, Some(note)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, share) =
        call(&harness, Method::POST, &format!("/v1/sessions/{}/shares", deleted[0]), admin, Some(json!({}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let share_token = share["url"].as_str().unwrap().trim_start_matches("/s/").to_string();

    let user_path = format!("/v1/users/{DELETED_USER}");
    assert_eq!(call(&harness, Method::DELETE, &user_path, Some(VIEWER), None).await.0, StatusCode::FORBIDDEN);
    let dry = playback::deletion::delete(&config, "demo", &Target::User(DELETED_USER.into()), true).await.unwrap();
    let dry = serde_json::to_value(dry.unwrap()).unwrap();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(harness.get(&user_path).await.0, StatusCode::OK, "a dry run removes nothing");

    let (status, receipt) = call(&harness, Method::DELETE, &user_path, admin, None).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    let mut expected_ids = deleted.clone();
    expected_ids.sort();
    assert_eq!(receipt["session_ids"], json!(expected_ids));
    assert_eq!(receipt["user_id"], DELETED_USER);
    let chunk_rows: u64 = deleted_chunks.iter().map(|chunks| chunks.len() as u64).sum();
    assert_eq!(
        receipt["warehouse"],
        json!({"sessions": 2, "events": deleted_events, "chunks": chunk_rows, "notes": 1, "shares": 1, "session_assets": 0})
    );
    assert_eq!(dry["warehouse"], receipt["warehouse"], "the dry run counted what the deletion removed");
    assert!(receipt["blobs"]["chunk_blobs"].as_u64().unwrap() >= chunk_rows, "{receipt}");
    assert_eq!(receipt["log"]["changelog_tombstones"], if on_servers { 2 } else { 0 });
    let pending: Vec<&str> =
        receipt["pending"].as_array().unwrap().iter().map(|entry| entry["store"].as_str().unwrap()).collect();
    if on_servers {
        assert_eq!(receipt["log"]["log_records"], 0, "Kafka removes no record");
        assert_eq!(pending, vec!["kafka_raw_batches", "kafka_session_updates", "kafka_changelog"]);
    } else {
        // Two raw batches per session, and the sessionizer's updates and changelog states.
        assert!(receipt["log"]["log_records"].as_u64().unwrap() >= 8, "{receipt}");
        assert_eq!(pending, Vec::<&str>::new(), "everything is gone at once on the embedded stores");
    }

    for (session, chunks) in deleted.iter().zip(&deleted_chunks) {
        for path in session_reads(session, chunks) {
            assert_eq!(harness.get(&path).await.0, StatusCode::NOT_FOUND, "{path}");
        }
    }
    assert_eq!(harness.get(&user_path).await.0, StatusCode::NOT_FOUND, "the user card");
    let (status, _) = call(&harness, Method::GET, &format!("/v1/shared/{share_token}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the share link");
    let (_, page) = harness.get("/v1/sessions?from=0&limit=500").await;
    let listed: Vec<&str> =
        page["sessions"].as_array().unwrap().iter().map(|session| session["session_id"].as_str().unwrap()).collect();
    assert_eq!(listed, vec![kept.as_str()], "the list has only the other user's session");
    assert_eq!(
        call(&harness, Method::DELETE, &user_path, admin, None).await.0,
        StatusCode::NOT_FOUND,
        "nothing is left"
    );
    let session_path = format!("/v1/sessions/{}", deleted[0]);
    assert_eq!(call(&harness, Method::DELETE, &session_path, admin, None).await.0, StatusCode::NOT_FOUND);

    for path in session_reads(&kept, &[]) {
        assert_eq!(harness.get(&path).await.0, StatusCode::OK, "{path} of the other user");
    }
    let (status, card) = harness.get(&format!("/v1/users/{KEPT_USER}")).await;
    assert_eq!((status, card["session_count"].as_i64()), (StatusCode::OK, Some(1)));

    let check = playback::verify::Deleted {
        project_id: "demo".into(),
        user_id: Some(DELETED_USER.into()),
        session_ids: deleted.clone(),
    };
    let report = playback::verify::run_deleted(&config, &check).await.unwrap();
    assert_eq!(report.readable, Vec::<String>::new(), "nothing is readable through the API, the warehouse or blobs");
    if on_servers {
        // The raw batches stay on Kafka until retention.ms, sealed under keys the deletion
        // destroyed: all four are there and none decodes.
        assert_eq!(report.raw_records_readable, 0, "{}", report.render());
        assert_eq!(report.raw_records_unreadable, 4, "{}", report.render());
    } else {
        assert!(report.clean(), "{}", report.render());
        assert_eq!(report.raw_records_unreadable, 0, "the embedded log removed the raw batches");
        for needle in [DELETED_USER, DELETED_TEXT, NOTE_TEXT, deleted[0].as_str(), deleted[1].as_str()] {
            let holding = files_holding(&config.data_dir, needle.as_bytes());
            assert_eq!(holding, Vec::<String>::new(), "files holding {needle:?}");
        }
        // Contents are sealed, but the kept session's chunks are filed under its id.
        assert!(!files_holding(&config.data_dir, kept.as_bytes()).is_empty(), "the search finds what is there");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_user_on_the_embedded_stores() {
    deleting_a_user_leaves_nothing_of_them(|_| {}, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_user_on_kafka_clickhouse_and_s3() {
    let Some(stack) = testsuite::stack("deletion") else { return };
    deleting_a_user_leaves_nothing_of_them(|config| on_servers(config, stack), true).await;
}
