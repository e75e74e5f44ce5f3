//! The same batches through the embedded adapters and through Kafka, ClickHouse and S3
//! (`scripts/test-stack up`) give the same sessions, transcript and recording.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{batch, gzip, now_ms, on_servers, session_events, start, Harness};
use playback_blobs::s3::Encryption;
use playback_runtime::testsuite;
use serde_json::{json, Value};

/// What a run produced, without what legitimately differs between runs (receive times).
async fn outcome(harness: &Harness, session: &str) -> Value {
    let path = format!("/v1/sessions/{session}");
    let mut detail = harness.wait_for(&path, |body| body["page_views"] == 3 && body["errors"] == 1).await;
    let recording = harness
        .wait_for(&format!("{path}/recording"), |body| {
            body["windows"].as_array().is_some_and(|windows| {
                windows.len() == 2 && windows[0]["events"].as_array().is_some_and(|events| events.len() == 11)
            })
        })
        .await;
    let transcript = harness.get(&format!("{path}/events")).await.1;
    let rows: Vec<Value> = transcript["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| json!([row["kind"], row["window_id"], row["url"], row["name"], row["target"], row["props"]]))
        .collect();
    let object = detail.as_object_mut().unwrap();
    for volatile in ["start_time", "end_time", "duration_ms", "active_ms", "inactive_ms", "score", "score_breakdown"] {
        object.remove(volatile);
    }
    // The user's first visit starts at the first session's start, which depends on receive times.
    if let Some(user) = object.get_mut("user").and_then(Value::as_object_mut) {
        user.remove("first_seen");
    }
    let base_factors: Vec<Value> =
        detail_factors(harness, &path).await.into_iter().filter(|factor| factor["factor"] != "recency").collect();
    json!({ "detail": detail, "factors": base_factors, "transcript": rows, "recording": recording })
}

async fn detail_factors(harness: &Harness, path: &str) -> Vec<Value> {
    let detail = harness.get(path).await.1;
    detail["score_breakdown"]
        .as_array()
        .unwrap()
        .iter()
        // Active time depends on each batch's clock offset, which varies by a few ms per run:
        // the activity factor is compared with a tolerance in the test itself.
        .map(|factor| {
            let raw = if factor["factor"] == "activity" { Value::Null } else { factor["raw"].clone() };
            json!({"factor": factor["factor"], "raw": raw})
        })
        .collect()
}

/// Active time over duration, as the API reports them.
async fn activity(harness: &Harness, path: &str) -> f64 {
    let detail = harness.get(path).await.1;
    detail["active_ms"].as_f64().unwrap() / detail["duration_ms"].as_f64().unwrap()
}

async fn run(harness: &Harness, session: &str, t0: i64) -> Value {
    let (first, second, other_tab) = session_events(t0);
    let user = json!({"id": "ada@example.com", "traits": {"plan": "pro"}});
    assert_eq!(harness.post("pk_demo", batch(session, "w1", 0, &first, None)).await.0, StatusCode::OK);
    assert_eq!(harness.post("pk_demo", gzip(&batch(session, "w1", 1, &second, Some(user)))).await.0, StatusCode::OK);
    assert_eq!(harness.post("pk_demo", batch(session, "w2", 0, &other_tab, None)).await.0, StatusCode::OK);
    assert_eq!(harness.post("pk_demo", batch(session, "w1", 0, &first, None)).await.0, StatusCode::OK);
    outcome(harness, session).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_backends_give_the_same_results_as_embedded() {
    let Some(mut stack) = testsuite::stack("eq") else { return };
    stack.s3.encryption = Encryption::SseC { key_base64: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into() };
    let session = uuid::Uuid::now_v7().to_string();

    let t0 = now_ms() - 10_000;
    let embedded = start(|_| {}).await;
    let expected = run(&embedded, &session, t0).await;

    let servers = start(|config| on_servers(config, stack)).await;
    let actual = run(&servers, &session, t0).await;
    let path = format!("/v1/sessions/{session}");
    let (embedded_activity, server_activity) = (activity(&embedded, &path).await, activity(&servers, &path).await);
    assert!((embedded_activity - server_activity).abs() < 0.02, "{embedded_activity} vs {server_activity}");
    assert_eq!(actual, expected, "Kafka + ClickHouse + S3 agree with the embedded adapters");
}
