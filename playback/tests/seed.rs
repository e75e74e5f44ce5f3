//! `playback seed` on embedded storage: what it writes is what the query API lists, details,
//! transcribes and replays, and seeding again with the same options changes nothing.

#![allow(clippy::unwrap_used)]

mod common;

use common::{now_ms, start};
use playback::seed::SeedOptions;
use playback::Config;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_sessions_are_listed_and_replayable() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    let until_ms = now_ms();
    let options = SeedOptions {
        project_id: "demo".into(),
        sessions: 3_000,
        days: 30,
        recordings: 12,
        transcripts: 0.3,
        seed: 5,
        until_ms,
        batch: 700,
    };
    let report = playback::app::seed(config.clone(), options.clone()).await.unwrap();
    assert_eq!((report.sessions, report.recordings), (3_000, 12));
    let again = playback::app::seed(config, options).await.unwrap();
    assert_eq!(again.event_rows, report.event_rows, "the same options draw the same rows");

    let data_dir = dir.path().to_path_buf();
    let harness = start(|config| config.data_dir = data_dir).await;
    let from = until_ms - 31 * 86_400_000;
    let (_, all) = harness.get(&format!("/v1/sessions?from={from}&limit=500")).await;
    let mut count = all["sessions"].as_array().unwrap().len();
    let mut cursor = all["next_cursor"].as_str().map(str::to_string);
    while let Some(next) = cursor {
        let (_, page) = harness.get(&format!("/v1/sessions?from={from}&limit=500&cursor={next}")).await;
        count += page["sessions"].as_array().unwrap().len();
        cursor = page["next_cursor"].as_str().map(str::to_string);
    }
    assert_eq!(count, 3_000, "seeding twice leaves one row per session");

    let (_, newest) = harness.get("/v1/sessions?limit=12").await;
    let sessions = newest["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 12);
    let ends: Vec<i64> = sessions.iter().map(|session| session["end_time"].as_i64().unwrap()).collect();
    assert!(ends.windows(2).all(|pair| pair[0] >= pair[1]), "newest first");
    for session in sessions {
        let id = session["session_id"].as_str().unwrap();
        let (status, recording) = harness.get(&format!("/v1/sessions/{id}/recording")).await;
        assert_eq!(status, 200, "{recording}");
        let events = recording["windows"][0]["events"].as_array().unwrap();
        let types: Vec<i64> = events.iter().map(|event| event["type"].as_i64().unwrap()).collect();
        assert_eq!(types[..2], [4, 2], "a recording opens with Meta and FullSnapshot");
        let snapshots = types.iter().filter(|kind| **kind == 2).count() as i64;
        assert_eq!(snapshots, session["page_views"].as_i64().unwrap(), "one snapshot per page view");
        let (_, transcript) = harness.get(&format!("/v1/sessions/{id}/events")).await;
        let kinds: Vec<&str> =
            transcript["events"].as_array().unwrap().iter().map(|event| event["kind"].as_str().unwrap()).collect();
        let page_views = kinds.iter().filter(|kind| **kind == "page_view").count() as i64;
        assert_eq!(page_views, session["page_views"].as_i64().unwrap(), "a recorded session has its transcript");
    }

    let (_, identified) = harness.get(&format!("/v1/sessions?from={from}&limit=500")).await;
    let user = identified["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|session| session["user_id"].as_str())
        .unwrap()
        .to_string();
    let (_, of_user) = harness.get(&format!("/v1/sessions?from={from}&user={user}")).await;
    let of_user = of_user["sessions"].as_array().unwrap();
    assert!(of_user.iter().all(|session| session["user_id"] == Value::String(user.clone())));
    let (_, detail) = harness.get(&format!("/v1/sessions/{}", of_user[0]["session_id"].as_str().unwrap())).await;
    assert_eq!(detail["user"]["session_count"].as_u64(), Some(of_user.len() as u64));
    assert!(detail["score_breakdown"].as_array().unwrap().len() >= 5, "{detail}");
}
