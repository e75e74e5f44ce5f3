//! The whole embedded pipeline in one process: batches in through the gateway's router,
//! sessions, transcript and recording out through the query API's.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{batch, batch_text, deep_snapshot_events, gzip, now_ms, session_events, start};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_become_a_scored_session_with_transcript_and_recording() {
    let harness = start(|_| {}).await;
    let session = uuid::Uuid::now_v7().to_string();
    let t0 = now_ms() - 10_000;
    let (first, second, other_tab) = session_events(t0);
    let user = json!({"id": "ada@example.com", "traits": {"plan": "pro"}});

    // Our recorder sends the device's screen with each batch; the viewport is in the Meta event.
    let mut first_body: Value = serde_json::from_slice(&batch(&session, "w1", 0, &first, None)).unwrap();
    first_body["screen"] = json!({"width": 1280, "height": 800});
    assert_eq!(
        harness.post("pk_demo", serde_json::to_vec(&first_body).unwrap()).await,
        (StatusCode::OK, json!({"accepted": 7}))
    );
    let gzipped = gzip(&batch(&session, "w1", 1, &second, Some(user)));
    assert_eq!(harness.post("pk_demo", gzipped).await.0, StatusCode::OK, "gzip found by its magic bytes");
    assert_eq!(harness.post("pk_demo", batch(&session, "w2", 0, &other_tab, None)).await.0, StatusCode::OK);
    // A retried batch is accepted again and changes nothing.
    assert_eq!(harness.post("pk_demo", batch(&session, "w1", 0, &first, None)).await.0, StatusCode::OK);

    let path = format!("/v1/sessions/{session}");
    let detail = harness.wait_for(&path, |body| body["page_views"] == 3 && body["errors"] == 1).await;
    assert_eq!(detail["clicks"], 1);
    assert_eq!(detail["inputs"], 1, "keystrokes in one field are one input change");
    assert_eq!(detail["custom_events"], 1);
    assert_eq!(detail["windows"], 2);
    assert_eq!(detail["user_id"], "ada@example.com");
    assert_eq!(detail["user_traits"], json!({"plan": "pro"}));
    assert_eq!(
        (detail["browser"].as_str(), detail["os"].as_str(), detail["device_type"].as_str()),
        (Some("Chrome"), Some("Linux"), Some("desktop"))
    );
    assert_eq!((detail["screen_width"].as_i64(), detail["screen_height"].as_i64()), (Some(1280), Some(800)));
    assert_eq!((detail["viewport_width"].as_i64(), detail["viewport_height"].as_i64()), (Some(1280), Some(720)));
    assert_eq!(detail["entry_url"], "https://shop.test/");
    assert_eq!(detail["exit_url"], "https://shop.test/done");
    assert!(detail["score"].as_f64().unwrap() > 0.0);
    let factors: Vec<&str> =
        detail["score_breakdown"].as_array().unwrap().iter().map(|f| f["factor"].as_str().unwrap()).collect();
    assert_eq!(factors, vec!["clicks", "urls", "inputs", "activity", "recency"]);
    let points: f64 = detail["score_breakdown"].as_array().unwrap().iter().map(|f| f["points"].as_f64().unwrap()).sum();
    assert!((points - detail["score"].as_f64().unwrap()).abs() < 0.1, "the breakdown adds up to the score");

    let transcript = harness.get(&format!("{path}/events")).await.1;
    let kinds: Vec<&str> =
        transcript["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["page_view", "page_view", "click", "input", "exception", "custom", "page_view"]);
    let click = &transcript["events"][2];
    assert_eq!(click["target"], "button#buy \"Buy\"");
    assert_eq!(transcript["events"][4]["name"], "checkout failed");
    assert_eq!(transcript["events"][5]["props"], json!({"code": "SPRING"}));

    let recording = harness
        .wait_for(&format!("{path}/recording"), |body| {
            body["windows"].as_array().is_some_and(|windows| {
                windows.len() == 2 && windows[0]["events"].as_array().is_some_and(|events| events.len() == 11)
            })
        })
        .await;
    let mut expected_w1 = first.as_array().unwrap().clone();
    expected_w1.extend(second.as_array().unwrap().iter().cloned());
    assert_eq!(recording["windows"][0]["window_id"], "w1");
    assert_eq!(recording["windows"][0]["events"], Value::Array(expected_w1), "events as sent, each once, in order");
    assert_eq!(recording["windows"][1]["events"], other_tab);
    let one_tab = harness.get(&format!("{path}/recording?window_id=w2")).await.1;
    assert_eq!(one_tab["windows"].as_array().unwrap().len(), 1);

    let listed = harness.get("/v1/sessions").await.1;
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(listed["sessions"][0]["session_id"], session.as_str());
    assert_eq!(harness.get(&format!("/v1/sessions/{}", uuid::Uuid::now_v7())).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_by_end_time_and_by_score() {
    let harness = start(|_| {}).await;
    let t0 = now_ms() - 60_000;
    let mut sessions = Vec::new();
    for index in 0..5i64 {
        let session = uuid::Uuid::now_v7().to_string();
        let mut events = vec![json!({"type": 4, "data": {"href": "https://a.test/"}, "timestamp": t0 + index * 1_000})];
        for click in 0..index * 3 {
            events.push(
                json!({"type": 3, "data": {"source": 2, "type": 2, "id": 1}, "timestamp": t0 + index * 1_000 + click}),
            );
        }
        assert_eq!(
            harness.post("pk_demo", batch(&session, "w", 0, &Value::Array(events), None)).await.0,
            StatusCode::OK
        );
        sessions.push(session);
    }
    harness.wait_for("/v1/sessions?limit=500", |body| body["sessions"].as_array().is_some_and(|s| s.len() == 5)).await;

    for (sort, expected) in [
        ("recent", sessions.iter().rev().cloned().collect::<Vec<_>>()),
        ("score", sessions.iter().rev().cloned().collect()),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/v1/sessions?sort={sort}&limit=2");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page = harness.get(&path).await.1;
            for row in page["sessions"].as_array().unwrap() {
                seen.push(row["session_id"].as_str().unwrap().to_string());
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{sort} order visits every session once");
    }
    let (status, body) = harness.get("/v1/sessions?sort=sideways").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("sideways"));
    assert_eq!(harness.get("/v1/sessions?cursor=%%%").await.0, StatusCode::BAD_REQUEST);
}

/// A FullSnapshot nests two JSON levels per DOM level: a DOM 200 elements deep is accepted,
/// classified and recorded whole; 300 elements deep (over 512 levels) is refused with a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_dom_is_accepted_classified_and_recorded() {
    let harness = start(|_| {}).await;
    let session = uuid::Uuid::now_v7().to_string();
    let t0 = now_ms() - 10_000;
    let events = deep_snapshot_events(t0, 200);
    assert_eq!(playback_schemas::json::depth(events.as_bytes()), 404);
    let accepted = harness.post("pk_demo", gzip(&batch_text(&session, "w1", 0, &events))).await;
    assert_eq!(accepted, (StatusCode::OK, json!({"accepted": 4})));

    let path = format!("/v1/sessions/{session}");
    let detail = harness.wait_for(&path, |body| body["custom_events"] == 1).await;
    assert_eq!((detail["page_views"].as_i64(), detail["clicks"].as_i64()), (Some(1), Some(1)));
    let transcript = harness.get(&format!("{path}/events")).await.1;
    let kinds: Vec<&str> =
        transcript["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["page_view", "click", "custom"]);
    assert_eq!(transcript["events"][1]["target"], "button#go \"Go\"");
    assert_eq!(transcript["events"][2]["props"], json!({"plan": "pro"}));

    let recording = harness
        .wait_for(&format!("{path}/recording"), |body| {
            body["windows"][0]["events"].as_array().is_some_and(|events| events.len() == 4)
        })
        .await;
    let sent: Value = playback_schemas::json::from_str_deep(&events).unwrap();
    assert_eq!(recording["windows"][0]["events"], sent, "the deep snapshot comes back as sent");

    let too_deep = batch_text(&session, "w1", 1, &deep_snapshot_events(t0, 300));
    let (status, body) = harness.post("pk_demo", too_deep).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("json nested deeper than 512 levels")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_statuses() {
    let harness = start(|config| {
        config.gateway.rate_limit_per_sec = 1.0;
        config.gateway.rate_limit_burst = 3.0;
        config.projects.push(playback_ingest_gateway::Project {
            enabled: false,
            ..playback_ingest_gateway::Project::new("off", "pk_off")
        });
    })
    .await;
    let session = uuid::Uuid::now_v7().to_string();
    let good = batch(&session, "w", 0, &json!([{"type": 4, "data": {}, "timestamp": now_ms()}]), None);

    let (status, body) = harness.post("pk_demo", b"{\"session_id\":".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().starts_with("invalid batch json"));
    assert_eq!(harness.post("pk_wrong", good.clone()).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = harness.post("pk_off", good.clone()).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("project is disabled")));
    assert_eq!(harness.post("pk_demo", vec![b' '; 2 << 20]).await.0, StatusCode::PAYLOAD_TOO_LARGE);

    let (status, config, _) =
        harness.send(Request::get("/v1/projects/pk_off/config").body(Body::empty()).unwrap()).await;
    assert_eq!((status, &config["enabled"]), (StatusCode::OK, &json!(false)));
    assert_eq!(harness.get("/v1/projects/pk_nope/config").await.0, StatusCode::UNAUTHORIZED);

    // The bucket (burst 3) is spent by the requests above that reached the limiter.
    let mut limited = None;
    for _ in 0..5 {
        let request = Request::post("/v1/batches?key=pk_demo").body(Body::from(good.clone())).unwrap();
        let (status, _, headers) = harness.send(request).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(headers);
            break;
        }
    }
    let headers = limited.expect("the rate limit answers 429");
    assert!(headers.get("retry-after").is_some());

    let preflight = Request::options("/v1/batches")
        .header("origin", "https://shop.test")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-playback-key,content-encoding")
        .body(Body::empty())
        .unwrap();
    let (_, _, headers) = harness.send(preflight).await;
    assert_eq!(headers.get("access-control-allow-origin").unwrap(), "*");
}
