//! The conformance suite that every [`Warehouse`] implementation passes.
//!
//! [`warehouse_conformance_suite!`](crate::warehouse_conformance_suite) expands to one test
//! per check, so one failing check does not hide the others. Each test gets a migrated
//! warehouse of its own from a world function (its own file, or its own database on a shared
//! server), and each check writes under its own project id (`{unique}-…`). Compiled for tests
//! only (the `testsuite` feature).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

mod assets;
mod deletion;
mod retention;

pub use assets::{
    asset_upsert_keeps_the_highest_version, assets_are_found_by_hash, assets_are_read_by_url,
    session_assets_join_their_latest_fetch, session_assets_keep_the_earliest_sighting,
};
pub use deletion::sessions_are_deleted_with_every_row;
pub use retention::retention_removes_expired_sessions_with_their_rows;

use crate::{
    ChunkRow, EventKind, EventRow, NoteRow, PageAfter, PropertyMatch, Recency, SavedFilterRow, SessionFilter,
    SessionOrder, SessionQuery, SessionRow, ShareRow, Warehouse,
};

/// One check of the suite, handed to a world function: it runs against the migrated
/// warehouse it is given, writing under project ids that start with the unique prefix.
pub type Check = Box<dyn FnOnce(Arc<dyn Warehouse>, String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// One `#[tokio::test]` per check of the suite.
///
/// `$world` is an async function that takes a [`Check`], builds and migrates a fresh
/// warehouse, runs the check on it and cleans up (also when the check panics). Without its
/// server it returns without running the check, or fails when
/// `PLAYBACK_REQUIRE_REAL_BACKENDS=1`. Expand it once per implementation, each in a module of
/// its own.
#[macro_export]
macro_rules! warehouse_conformance_suite {
    ($world:expr) => {
        $crate::warehouse_conformance_suite!(@tests $world;
            migrating_again_is_harmless,
            events_are_idempotent_on_identity,
            session_upsert_keeps_highest_version,
            chunks_are_idempotent_on_identity,
            chunks_are_deleted_by_identity,
            listing_pages_by_end_time,
            listing_pages_by_score_with_recency,
            listing_by_score_matches_a_full_sort,
            listing_newest_first_over_a_year,
            listing_filters,
            marks_and_user_sessions,
            notes_saved_filters_and_shares_keep_the_newest_version,
            asset_upsert_keeps_the_highest_version,
            assets_are_read_by_url,
            assets_are_found_by_hash,
            session_assets_keep_the_earliest_sighting,
            session_assets_join_their_latest_fetch,
            sessions_are_deleted_with_every_row,
            retention_removes_expired_sessions_with_their_rows,
        );
    };
    (@tests $world:expr; $($check:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let check: $crate::conformance::Check = ::std::boxed::Box::new(|warehouse, unique| {
                    ::std::boxed::Box::pin(async move { $crate::conformance::$check(&*warehouse, &unique).await })
                });
                ($world)(check).await;
            }
        )+
    };
}

/// Migrating a migrated warehouse again changes nothing and fails nothing.
pub async fn migrating_again_is_harmless(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-migrate");
    warehouse.upsert_sessions(vec![session(&project, "s1", 10_000, 1.0)]).await.expect("upsert");
    warehouse.migrate().await.expect("migrating twice is harmless");
    warehouse.check().await.expect("the schema is current after migrating again");
    let stored = warehouse.get_session(Some(&project), "s1").await.expect("get");
    assert_eq!(stored, Some(session(&project, "s1", 10_000, 1.0)), "rows survive a second migration");
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
        screen_width: 1280,
        screen_height: 800,
        viewport_width: 1264,
        viewport_height: 657,
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
        kind: EventKind::Click,
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

/// Deleting chunk rows removes exactly those identities; deleting again is no error.
pub async fn chunks_are_deleted_by_identity(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-chunk-deletes");
    let chunk = |session_id: &str, first_seq: i64, last_seq: i64| ChunkRow {
        project_id: project.clone(),
        session_id: session_id.into(),
        window_id: "w1".into(),
        first_seq,
        last_seq,
        blob_key: format!("{project}/2026-01-01/{session_id}/w1-{first_seq}-{last_seq}"),
        first_ts_ms: first_seq,
        last_ts_ms: last_seq,
        events: 3,
        bytes: 100,
        full_snapshot: first_seq == 0,
        created_at_ms: 1,
    };
    let small = vec![chunk("s1", 0, 0), chunk("s1", 1, 1), chunk("s1", 2, 2)];
    warehouse.insert_chunks(small.clone()).await.expect("insert");
    warehouse.insert_chunks(vec![chunk("s1", 0, 2), chunk("s2", 0, 0)]).await.expect("insert");
    warehouse.delete_chunks(small.clone()).await.expect("delete");
    warehouse.delete_chunks(small).await.expect("delete again");
    // ClickHouse applies a delete as a mutation, shortly after the statement returns.
    let mut ranges = Vec::new();
    for _ in 0..100 {
        let stored = warehouse.session_chunks(&project, "s1").await.expect("read");
        ranges = stored.iter().map(|row| (row.first_seq, row.last_seq)).collect::<Vec<_>>();
        if ranges.len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(ranges, vec![(0, 2)]);
    let other = warehouse.session_chunks(&project, "s2").await.expect("read");
    assert_eq!(other.len(), 1, "a delete touches only the rows it names");
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
        ..SessionQuery::default()
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
        order: SessionOrder::Score,
        recency,
        after: None,
        limit: 1,
        ..SessionQuery::default()
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

/// Paging by score over many sessions, where recency reorders them, with and without a filter,
/// gives exactly the order of a sort of every session.
pub async fn listing_by_score_matches_a_full_sort(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-score-sort");
    let minute = 60_000;
    let as_of = 1_000 * 24 * 60 * minute;
    let recency = Recency { as_of_ms: as_of, points: 20.0, half_life_ms: 60.0 * minute as f64 };
    let rows: Vec<SessionRow> = (0..150i64)
        .map(|index| {
            let base = (index * 37 % 100) as f64 * 0.6 + index as f64 * 0.001;
            let mut row = session(&project, &format!("s{index:03}"), as_of - (index * 7919 % 150) * 10 * minute, base);
            row.errors = i32::from(index % 3 == 0);
            row
        })
        .collect();
    warehouse.upsert_sessions(rows.clone()).await.expect("upsert");
    for has_errors in [false, true] {
        let mut expected: Vec<(f64, String)> = rows
            .iter()
            .filter(|row| !has_errors || row.errors > 0)
            .map(|row| (row.base_score + recency.points_for(row.end_ms), row.session_id.clone()))
            .collect();
        expected.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
        let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
        let mut query = SessionQuery {
            project_id: Some(project.clone()),
            end_from_ms: 0,
            end_to_ms: as_of + 1,
            order: SessionOrder::Score,
            recency,
            filter: SessionFilter { has_errors, ..SessionFilter::default() },
            after: None,
            limit: 7,
        };
        let mut seen = Vec::new();
        loop {
            let page = warehouse.list_sessions(&query).await.expect("list");
            let Some(last) = page.last() else { break };
            query.after = Some(PageAfter::Score { score: last.score, session_id: last.row.session_id.clone() });
            seen.extend(page.into_iter().map(|hit| hit.row.session_id));
        }
        assert_eq!(seen, expected, "has_errors: {has_errors}");
    }
}

/// Newest-first pages over sessions a few days apart across more than a year, with and
/// without a filter that leaves few of them, visit each session in the range once, in order.
pub async fn listing_newest_first_over_a_year(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-year");
    let day = 86_400_000;
    // 2026-06-01 UTC, and sessions every 3 days and 5 hours before it.
    let until = 1_780_272_000_000;
    let rows: Vec<SessionRow> = (0..140i64)
        .map(|index| {
            let mut row = session(&project, &format!("s{index:03}"), until - index * (3 * day + 5 * 3_600_000), 1.0);
            row.errors = i32::from(index % 25 == 7);
            row
        })
        .collect();
    warehouse.upsert_sessions(rows.clone()).await.expect("upsert");
    let from = until - 400 * day;
    for has_errors in [false, true] {
        let expected: Vec<String> = rows
            .iter()
            .filter(|row| row.end_ms >= from && (!has_errors || row.errors > 0))
            .map(|row| row.session_id.clone())
            .collect();
        let mut query = SessionQuery {
            project_id: Some(project.clone()),
            end_from_ms: from,
            end_to_ms: until + 1,
            order: SessionOrder::Recent,
            filter: SessionFilter { has_errors, ..SessionFilter::default() },
            after: None,
            limit: 4,
            ..SessionQuery::default()
        };
        let mut seen = Vec::new();
        loop {
            let page = warehouse.list_sessions(&query).await.expect("list");
            let Some(last) = page.last() else { break };
            query.after = Some(PageAfter::Recent { end_ms: last.row.end_ms, session_id: last.row.session_id.clone() });
            seen.extend(page.into_iter().map(|hit| hit.row.session_id));
        }
        assert_eq!(seen, expected, "has_errors: {has_errors}");
    }
}

/// An event row of `session_id` in `project_id`.
fn event_of(
    project_id: &str,
    session_id: &str,
    kind: EventKind,
    index: i32,
    url: &str,
    name: &str,
    props: &str,
) -> EventRow {
    EventRow {
        project_id: project_id.into(),
        session_id: session_id.into(),
        window_id: "w1".into(),
        batch_seq: 0,
        event_index: index,
        kind,
        ts_ms: 1_000_000 + i64::from(index),
        url: url.into(),
        name: name.into(),
        target: String::new(),
        props_json: props.into(),
    }
}

/// Every filter narrows the listing to the sessions that meet it.
pub async fn listing_filters(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-filters");
    let end = 2_000_000;
    let mut ada = session(&project, "ada", end, 40.0);
    ada.user_id = "ada@example.com".into();
    ada.user_traits_json = r#"{"plan":"pro","seats":3,"email":"ada@example.com"}"#.into();
    ada.errors = 1;
    ada.page_views = 3;
    ada.start_ms = end - 600_000;
    ada.active_ms = 120_000;
    let mut bob = session(&project, "bob", end - 10, 10.0);
    bob.user_id = "u-42".into();
    bob.user_traits_json = r#"{"plan":"free","email":"bob@example.com"}"#.into();
    bob.browser = "Safari".into();
    bob.os = "iOS".into();
    bob.device_type = "mobile".into();
    bob.rage_clicks = 2;
    bob.dead_clicks = 1;
    bob.page_views = 1;
    let anon = session(&project, "anon", end - 20, 20.0);
    warehouse.upsert_sessions(vec![ada, bob, anon]).await.expect("upsert");
    warehouse
        .insert_events(vec![
            event_of(&project, "ada", EventKind::PageView, 0, "https://shop.test/checkout?step=2", "", "{}"),
            event_of(
                &project,
                "ada",
                EventKind::Custom,
                1,
                "https://shop.test/",
                "purchase",
                r#"{"plan":"pro","qty":2}"#,
            ),
            event_of(&project, "bob", EventKind::PageView, 0, "https://shop.test/", "", "{}"),
            event_of(&project, "bob", EventKind::Custom, 1, "https://shop.test/", "purchase", r#"{"plan":"free"}"#),
            event_of(&project, "anon", EventKind::PageView, 0, "https://shop.test/pricing", "", "{}"),
        ])
        .await
        .expect("insert events");
    let listed = |filter: SessionFilter| {
        let query = SessionQuery {
            project_id: Some(project.clone()),
            end_from_ms: 0,
            end_to_ms: end + 1,
            recency: Recency { as_of_ms: end, points: 10.0, half_life_ms: 3_600_000.0 },
            filter,
            limit: 10,
            ..SessionQuery::default()
        };
        async move {
            let mut ids: Vec<String> = warehouse
                .list_sessions(&query)
                .await
                .expect("list")
                .into_iter()
                .map(|hit| hit.row.session_id)
                .collect();
            ids.sort();
            ids
        }
    };
    let prop = |key: &str, value: &str| PropertyMatch { key: key.into(), value: value.into() };
    let cases: Vec<(&str, SessionFilter, Vec<&str>)> = vec![
        ("no filter", SessionFilter::default(), vec!["ada", "anon", "bob"]),
        ("event", SessionFilter { event: Some(("purchase".into(), None)), ..Default::default() }, vec!["ada", "bob"]),
        (
            "event property",
            SessionFilter { event: Some(("purchase".into(), Some(prop("plan", "pro")))), ..Default::default() },
            vec!["ada"],
        ),
        (
            "numeric event property",
            SessionFilter { event: Some(("purchase".into(), Some(prop("qty", "2")))), ..Default::default() },
            vec!["ada"],
        ),
        ("user property", SessionFilter { user_props: vec![prop("plan", "free")], ..Default::default() }, vec!["bob"]),
        (
            "numeric user property",
            SessionFilter { user_props: vec![prop("seats", "3")], ..Default::default() },
            vec!["ada"],
        ),
        ("user id", SessionFilter { user: Some("u-42".into()), ..Default::default() }, vec!["bob"]),
        ("user email", SessionFilter { user: Some("ada@example.com".into()), ..Default::default() }, vec!["ada"]),
        ("url contains", SessionFilter { url: Some(("/checkout".into(), false)), ..Default::default() }, vec!["ada"]),
        (
            "url exact",
            SessionFilter { url: Some(("https://shop.test/".into(), true)), ..Default::default() },
            vec!["bob"],
        ),
        ("browser", SessionFilter { browser: Some("safari".into()), ..Default::default() }, vec!["bob"]),
        ("os", SessionFilter { os: Some("IOS".into()), ..Default::default() }, vec!["bob"]),
        ("device", SessionFilter { device_type: Some("desktop".into()), ..Default::default() }, vec!["ada", "anon"]),
        ("duration", SessionFilter { duration_ms: (Some(300_000), None), ..Default::default() }, vec!["ada"]),
        ("active time", SessionFilter { active_ms: (None, Some(60_000)), ..Default::default() }, vec!["anon", "bob"]),
        ("pages", SessionFilter { page_views: (Some(2), Some(5)), ..Default::default() }, vec!["ada"]),
        ("min score", SessionFilter { min_score: Some(25.0), ..Default::default() }, vec!["ada", "anon"]),
        ("errors", SessionFilter { has_errors: true, ..Default::default() }, vec!["ada"]),
        ("rage clicks", SessionFilter { has_rage_clicks: true, ..Default::default() }, vec!["bob"]),
        ("dead clicks", SessionFilter { has_dead_clicks: true, ..Default::default() }, vec!["bob"]),
        (
            "two filters",
            SessionFilter { device_type: Some("desktop".into()), has_errors: true, ..Default::default() },
            vec!["ada"],
        ),
    ];
    for (name, filter, expected) in cases {
        assert_eq!(listed(filter).await, expected, "filter: {name}");
    }
}

/// Marks come by session and time; a user's sessions come by start time.
pub async fn marks_and_user_sessions(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-users");
    let mut first = session(&project, "first", 5_000_000, 1.0);
    first.user_id = "ada".into();
    let mut second = session(&project, "second", 9_000_000, 1.0);
    second.user_id = "ada".into();
    second.user_traits_json = r#"{"plan":"pro"}"#.into();
    let other = session(&project, "other", 9_000_000, 1.0);
    warehouse.upsert_sessions(vec![second, first, other]).await.expect("upsert");
    let sessions = warehouse.user_sessions(&project, "ada").await.expect("user sessions");
    let ids: Vec<&str> = sessions.iter().map(|session| session.session_id.as_str()).collect();
    assert_eq!(ids, vec!["first", "second"]);
    assert_eq!(sessions[1].user_traits_json, r#"{"plan":"pro"}"#);
    assert!(warehouse.user_sessions(&project, "nobody").await.expect("user sessions").is_empty());

    let rows = vec![
        event_of(&project, "second", EventKind::Click, 1, "", "", "{}"),
        event_of(&project, "first", EventKind::PageView, 0, "", "", "{}"),
        event_of(&project, "second", EventKind::PageView, 0, "", "", "{}"),
        event_of(&project, "other", EventKind::PageView, 0, "", "", "{}"),
    ];
    warehouse.insert_events(rows.clone()).await.expect("insert");
    warehouse.insert_events(rows).await.expect("insert again");
    let marks = warehouse.session_marks(&project, &["second".into(), "first".into()]).await.expect("marks");
    let seen: Vec<(&str, &str)> = marks.iter().map(|mark| (mark.session_id.as_str(), mark.kind.as_str())).collect();
    assert_eq!(seen, vec![("first", "page_view"), ("second", "page_view"), ("second", "click")]);
}

/// Notes, saved filters and shares keep the newest version of each; deleted ones are hidden.
pub async fn notes_saved_filters_and_shares_keep_the_newest_version(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-collab");
    let note = |note_id: &str, offset_ms: i64, text: &str, deleted: bool, version: i64| NoteRow {
        project_id: project.clone(),
        session_id: "s1".into(),
        note_id: note_id.into(),
        offset_ms,
        author: "ada".into(),
        text: text.into(),
        created_at_ms: 1,
        deleted,
        version,
    };
    warehouse
        .upsert_notes(vec![note("n2", 900, "later", false, 1), note("n1", 100, "first", false, 1)])
        .await
        .expect("notes");
    warehouse.upsert_notes(vec![note("n1", 100, "first, edited", false, 2)]).await.expect("edit");
    warehouse.upsert_notes(vec![note("n2", 900, "later", true, 2)]).await.expect("delete");
    warehouse.upsert_notes(vec![note("n1", 100, "stale", false, 1)]).await.expect("stale write");
    let notes = warehouse.session_notes(&project, "s1").await.expect("read notes");
    let texts: Vec<&str> = notes.iter().map(|note| note.text.as_str()).collect();
    assert_eq!(texts, vec!["first, edited"], "the newest version wins and deleted notes are hidden");

    let filter = |filter_id: &str, created_at_ms: i64, deleted: bool, version: i64| SavedFilterRow {
        project_id: project.clone(),
        filter_id: filter_id.into(),
        name: format!("filter {filter_id}"),
        query: "has_errors=true&url=%2Fcheckout".into(),
        author: "ada".into(),
        created_at_ms,
        deleted,
        version,
    };
    warehouse.upsert_saved_filters(vec![filter("f1", 10, false, 1), filter("f2", 20, false, 1)]).await.expect("save");
    warehouse.upsert_saved_filters(vec![filter("f1", 10, true, 2)]).await.expect("delete");
    let filters = warehouse.saved_filters(&project).await.expect("read filters");
    let ids: Vec<&str> = filters.iter().map(|filter| filter.filter_id.as_str()).collect();
    assert_eq!(ids, vec!["f2"]);
    assert_eq!(filters[0].query, "has_errors=true&url=%2Fcheckout");

    let share = |share_id: &str, session_id: &str, created_at_ms: i64, revoked: bool, version: i64| ShareRow {
        project_id: project.clone(),
        share_id: share_id.into(),
        session_id: session_id.into(),
        author: "ada".into(),
        created_at_ms,
        expires_at_ms: created_at_ms + 1_000,
        revoked,
        version,
    };
    warehouse
        .upsert_shares(vec![
            share("a", "s1", 1, false, 1),
            share("b", "s1", 2, false, 1),
            share("c", "s2", 3, false, 1),
        ])
        .await
        .expect("share");
    warehouse.upsert_shares(vec![share("a", "s1", 1, true, 2)]).await.expect("revoke");
    let revoked = warehouse.share(&project, "a").await.expect("read share").expect("present");
    assert!(revoked.revoked);
    assert_eq!(warehouse.share(&project, "missing").await.expect("read share"), None);
    assert_eq!(warehouse.share("another-project", "a").await.expect("read share"), None);
    let of_s1 = warehouse.session_shares(&project, "s1").await.expect("session shares");
    let seen: Vec<(&str, bool)> = of_s1.iter().map(|share| (share.share_id.as_str(), share.revoked)).collect();
    assert_eq!(seen, vec![("b", false), ("a", true)]);
}
