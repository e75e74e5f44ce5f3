//! The conformance suite that every [`Warehouse`] implementation passes.
//!
//! Each check writes under its own project id (`{unique}-…`), so the suite can share a server.

use crate::{kind, ChunkRow, EventRow, PageAfter, Recency, SessionOrder, SessionQuery, SessionRow, Warehouse};

/// Runs every check against a migrated `warehouse`.
pub async fn run_all(warehouse: &dyn Warehouse, unique: &str) {
    warehouse.migrate().await.expect("migrating twice is harmless");
    events_are_idempotent_on_identity(warehouse, unique).await;
    session_upsert_keeps_highest_version(warehouse, unique).await;
    chunks_are_idempotent_on_identity(warehouse, unique).await;
    listing_pages_by_end_time(warehouse, unique).await;
    listing_pages_by_score_with_recency(warehouse, unique).await;
}

/// A session row with the given identity and times; other fields are plausible defaults.
pub fn session(project_id: &str, session_id: &str, end_ms: i64, base_score: f64) -> SessionRow {
    SessionRow {
        project_id: project_id.into(),
        session_id: session_id.into(),
        version: 1,
        start_ms: end_ms - 60_000,
        end_ms,
        active_ms: 20_000,
        user_traits_json: "{}".into(),
        browser: "Chrome".into(),
        os: "Linux".into(),
        device_type: "desktop".into(),
        urls_json: "[]".into(),
        event_names_json: "[]".into(),
        base_score,
        score_breakdown_json: "[]".into(),
        signature_json: "[]".into(),
        ..SessionRow::default()
    }
}

fn event(project_id: &str, batch_seq: i64, event_index: i32, ts_ms: i64) -> EventRow {
    EventRow {
        project_id: project_id.into(),
        session_id: "s1".into(),
        window_id: "w1".into(),
        batch_seq,
        event_index,
        kind: kind::CLICK.into(),
        ts_ms,
        url: "https://example.test/".into(),
        name: String::new(),
        target: "button \"Go\"".into(),
        props_json: "{}".into(),
    }
}

/// Writing the same events twice leaves one copy, in time order.
pub async fn events_are_idempotent_on_identity(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-events");
    let rows = vec![event(&project, 0, 1, 2_000), event(&project, 0, 0, 1_000), event(&project, 1, 0, 3_000)];
    warehouse.insert_events(rows.clone()).await.expect("insert");
    warehouse.insert_events(rows).await.expect("insert again");
    let stored = warehouse.session_events(&project, "s1").await.expect("read");
    let times: Vec<i64> = stored.iter().map(|row| row.ts_ms).collect();
    assert_eq!(times, vec![1_000, 2_000, 3_000], "one copy of each event, in time order");
}

/// An older version never overwrites a newer one.
pub async fn session_upsert_keeps_highest_version(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-versions");
    let mut newer = session(&project, "s1", 10_000, 5.0);
    newer.version = 3;
    newer.clicks = 30;
    let mut older = newer.clone();
    older.version = 2;
    older.clicks = 20;
    warehouse.upsert_sessions(vec![newer.clone()]).await.expect("upsert");
    warehouse.upsert_sessions(vec![older]).await.expect("upsert older");
    let stored = warehouse.get_session(Some(&project), "s1").await.expect("get").expect("present");
    assert_eq!(stored.clicks, 30);
    assert_eq!(stored.version, 3);
    assert_eq!(warehouse.get_session(Some("another-project"), "s1").await.expect("get"), None);
}

/// Chunks upsert on (session, window, first seq, last seq) and come back ordered.
pub async fn chunks_are_idempotent_on_identity(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-chunks");
    let chunk = |first_seq: i64, last_seq: i64| ChunkRow {
        project_id: project.clone(),
        session_id: "s1".into(),
        window_id: "w1".into(),
        first_seq,
        last_seq,
        blob_key: format!("{project}/2026-01-01/s1/w1-{first_seq}"),
        first_ts_ms: first_seq,
        last_ts_ms: last_seq,
        events: 3,
        bytes: 100,
        full_snapshot: first_seq == 0,
        created_at_ms: 1,
    };
    warehouse.insert_chunks(vec![chunk(3, 4), chunk(0, 2)]).await.expect("insert");
    warehouse.insert_chunks(vec![chunk(3, 4)]).await.expect("insert again");
    warehouse.insert_chunks(vec![chunk(3, 5)]).await.expect("an overlapping chunk");
    let stored = warehouse.session_chunks(&project, "s1").await.expect("read");
    let ranges: Vec<(i64, i64)> = stored.iter().map(|row| (row.first_seq, row.last_seq)).collect();
    assert_eq!(ranges, vec![(0, 2), (3, 4), (3, 5)]);
}

/// Newest-first paging visits every session in the range once.
pub async fn listing_pages_by_end_time(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-recent");
    let rows: Vec<SessionRow> =
        (0..7).map(|index| session(&project, &format!("s{index}"), 1_000_000 + (index / 2) * 1_000, 1.0)).collect();
    warehouse.upsert_sessions(rows).await.expect("upsert");
    let mut query = SessionQuery {
        project_id: Some(project.clone()),
        end_from_ms: 1_000_000,
        end_to_ms: 1_003_000,
        order: SessionOrder::Recent,
        after: None,
        limit: 2,
    };
    let mut seen = Vec::new();
    loop {
        let page = warehouse.list_sessions(&query).await.expect("list");
        let Some(last) = page.last() else { break };
        query.after = Some(PageAfter::Recent { end_ms: last.row.end_ms, session_id: last.row.session_id.clone() });
        seen.extend(page.into_iter().map(|hit| hit.row.session_id));
    }
    // s6 ends at 1_003_000, outside the half-open range.
    assert_eq!(seen, vec!["s5", "s4", "s3", "s2", "s1", "s0"]);
}

/// Score order adds the recency factor at query time and pages stably.
pub async fn listing_pages_by_score_with_recency(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-score");
    let hour = 3_600_000;
    let as_of = 100 * hour;
    // "old" has the higher base score but ended long ago; recency lifts "fresh" above it.
    let rows = vec![
        session(&project, "old", as_of - 48 * hour, 30.0),
        session(&project, "fresh", as_of, 25.0),
        session(&project, "low", as_of, 1.0),
    ];
    warehouse.upsert_sessions(rows).await.expect("upsert");
    let recency = Recency { as_of_ms: as_of, points: 10.0, half_life_ms: 24.0 * hour as f64 };
    let mut query = SessionQuery {
        project_id: Some(project),
        end_from_ms: 0,
        end_to_ms: as_of + 1,
        order: SessionOrder::Score(recency),
        after: None,
        limit: 1,
    };
    let mut seen = Vec::new();
    loop {
        let page = warehouse.list_sessions(&query).await.expect("list");
        let Some(last) = page.last() else { break };
        query.after = Some(PageAfter::Score { score: last.score, session_id: last.row.session_id.clone() });
        seen.extend(page.into_iter().map(|hit| (hit.row.session_id, (hit.score * 1000.0).round() / 1000.0)));
    }
    assert_eq!(seen, vec![("fresh".into(), 35.0), ("old".into(), 32.5), ("low".into(), 11.0)]);
}
