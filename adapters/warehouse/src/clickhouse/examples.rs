//! Sample data and one of each statement, for running the SQL on another engine.
//!
//! The sample covers what de-duplication must get right: a session whose newer version started
//! in the previous month (so its two versions sit in two partitions), a session whose newest
//! version ends outside the listed range while an older one is inside it, a session id used by
//! two projects, and events and chunks written twice.

use super::sql::{self, Builder, Statement};
use super::ExampleQuery;
use crate::{PageAfter, PropertyMatch, Recency, SessionFilter, SessionOrder, SessionQuery};

/// 2026-02-01 00:02:00 UTC.
const T0: i64 = 1_769_904_120_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

struct SampleSession {
    project_id: &'static str,
    session_id: &'static str,
    version: i64,
    start_ms: i64,
    end_ms: i64,
    base_score: i64,
}

fn insert_sessions(sessions: &[SampleSession]) -> Statement {
    let mut builder = Builder::default();
    builder.text(
        "INSERT INTO sessions (project_id, session_id, version, start_ms, end_ms, base_score, updated_at_ms, \
         user_traits_json, urls_json) VALUES ",
    );
    for (index, session) in sessions.iter().enumerate() {
        if index > 0 {
            builder.text(", ");
        }
        builder.text("(").string(session.project_id).text(", ").string(session.session_id);
        builder.text(", ").int(session.version).text(", ").int(session.start_ms).text(", ").int(session.end_ms);
        builder.text(", ").int(session.base_score).text(", ").int(session.end_ms);
        builder.text(", ").string("{\"plan\":\"it's free\"}").text(", ").string("[\"https://example.test/?q=1\"]");
        builder.text(")");
    }
    builder.build()
}

fn insert_events() -> Statement {
    let mut builder = Builder::default();
    builder.text(
        "INSERT INTO events (project_id, session_id, window_id, batch_seq, event_index, kind, ts_ms, url, name, \
         target, props_json) VALUES ",
    );
    for (index, (batch_seq, event_index, ts_ms)) in
        [(0, 1, T0 + 2_000), (0, 0, T0 + 1_000), (1, 0, T0 + 3_000)].into_iter().enumerate()
    {
        if index > 0 {
            builder.text(", ");
        }
        builder.text("(").string("example").text(", ").string("s1").text(", ").string("w1");
        builder
            .text(", ")
            .int(batch_seq)
            .text(", ")
            .int(event_index)
            .text(", ")
            .string(crate::EventKind::Click.as_str());
        builder.text(", ").int(ts_ms).text(", ").string("https://example.test/").text(", ").string("");
        builder.text(", ").string("button \"Go\"").text(", ").string("{}").text(")");
    }
    builder.build()
}

fn insert_chunks(ranges: &[(i64, i64)]) -> Statement {
    let mut builder = Builder::default();
    builder.text(
        "INSERT INTO recording_chunks (project_id, session_id, window_id, first_seq, last_seq, blob_key, \
         first_ts_ms, last_ts_ms, events, bytes, full_snapshot, created_at_ms) VALUES ",
    );
    for (index, (first_seq, last_seq)) in ranges.iter().enumerate() {
        if index > 0 {
            builder.text(", ");
        }
        builder.text("(").string("example").text(", ").string("s1").text(", ").string("w1");
        builder.text(", ").int(*first_seq).text(", ").int(*last_seq);
        builder.text(", ").string(&format!("example/2026-02-01/s1/w1-{first_seq}-{last_seq}"));
        builder.text(", ").int(T0 + first_seq).text(", ").int(T0 + last_seq).text(", ").int(3).text(", ").int(100);
        builder.text(", ").int(i64::from(*first_seq == 0)).text(", ").int(T0).text(")");
    }
    builder.build()
}

/// Rows of a versioned table (`notes`, `saved_filters`, `shares`): the text values, then a
/// time, the deleted (or revoked) flag and the version, in the order `columns` names them.
fn insert_versioned(table: &str, columns: &str, rows: &[(&[&str], i64, i64)]) -> Statement {
    let mut builder = Builder::default();
    builder.text(&format!("INSERT INTO {table} ({columns}) VALUES "));
    for (index, (texts, flag, version)) in rows.iter().enumerate() {
        builder.text(if index > 0 { ", (" } else { "(" });
        for text in texts.iter() {
            builder.string(text).text(", ");
        }
        builder.int(T0).text(", ").int(*flag).text(", ").int(*version).text(")");
    }
    builder.build()
}

fn filtered(filter: SessionFilter) -> Statement {
    let query = SessionQuery {
        project_id: Some("example".into()),
        end_from_ms: T0,
        end_to_ms: T0 + HOUR,
        recency: Recency { as_of_ms: T0 + HOUR, points: 10.0, half_life_ms: HOUR as f64 },
        filter,
        limit: 10,
        ..SessionQuery::default()
    };
    sql::list_sessions(&query, DAY)
}

fn listing(project_id: Option<&str>, order: SessionOrder, after: Option<PageAfter>) -> Statement {
    let query = SessionQuery {
        project_id: project_id.map(str::to_string),
        end_from_ms: T0,
        end_to_ms: T0 + HOUR,
        order,
        recency: Recency { as_of_ms: T0 + HOUR, points: 10.0, half_life_ms: HOUR as f64 },
        after,
        limit: 10,
        ..SessionQuery::default()
    };
    sql::list_sessions(&query, DAY)
}

pub(super) fn queries() -> Vec<ExampleQuery> {
    let sessions = [
        SampleSession {
            project_id: "example",
            session_id: "s1",
            version: 1,
            start_ms: T0,
            end_ms: T0 + 10 * MINUTE,
            base_score: 5,
        },
        // A late event moved the start into January: another partition.
        SampleSession {
            project_id: "example",
            session_id: "s1",
            version: 2,
            start_ms: T0 - 5 * MINUTE,
            end_ms: T0 + 20 * MINUTE,
            base_score: 6,
        },
        SampleSession {
            project_id: "example",
            session_id: "s2",
            version: 1,
            start_ms: T0,
            end_ms: T0 + 15 * MINUTE,
            base_score: 9,
        },
        // Listed by neither page: its newest version ends after the range.
        SampleSession {
            project_id: "example",
            session_id: "s3",
            version: 1,
            start_ms: T0,
            end_ms: T0 + 30 * MINUTE,
            base_score: 1,
        },
        SampleSession {
            project_id: "example",
            session_id: "s3",
            version: 2,
            start_ms: T0,
            end_ms: T0 + 3 * HOUR,
            base_score: 1,
        },
        SampleSession {
            project_id: "other",
            session_id: "s1",
            version: 1,
            start_ms: T0,
            end_ms: T0 + 5 * MINUTE,
            base_score: 2,
        },
    ];
    let statements = [
        (insert_sessions(&sessions[..3]), 0),
        (insert_sessions(&sessions[3..]), 0),
        (insert_events(), 0),
        (insert_events(), 0),
        (insert_chunks(&[(3, 4), (0, 2)]), 0),
        (insert_chunks(&[(3, 4)]), 0),
        (sql::database_exists("system"), 1),
        (sql::record_migration(1), 0),
        (sql::applied_migration(), 1),
        (listing(Some("example"), SessionOrder::Recent, None), 2),
        (
            listing(
                Some("example"),
                SessionOrder::Recent,
                Some(PageAfter::Recent { end_ms: T0 + 20 * MINUTE, session_id: "s1".into() }),
            ),
            1,
        ),
        (listing(None, SessionOrder::Recent, None), 3),
        (listing(Some("example"), SessionOrder::Score, None), 2),
        (
            listing(
                Some("example"),
                SessionOrder::Score,
                Some(PageAfter::Score { score: 13.0, session_id: "s2".into() }),
            ),
            1,
        ),
        (sql::sessions_by_id(Some("example"), &["s1".into(), "s2".into(), "s3".into()]), 3),
        (sql::sessions_by_id(None, &["s1".into()]), 2),
        (sql::get_session(Some("example"), "s1"), 1),
        (sql::get_session(None, "s1"), 1),
        (sql::get_session(Some("example"), "missing"), 0),
        (sql::session_events("example", "s1"), 3),
        (sql::session_chunks("example", "s1"), 2),
        (
            filtered(SessionFilter {
                user_props: vec![PropertyMatch { key: "plan".into(), value: "it's free".into() }],
                ..SessionFilter::default()
            }),
            2,
        ),
        (
            filtered(SessionFilter {
                user_props: vec![PropertyMatch { key: "plan".into(), value: "pro".into() }],
                ..SessionFilter::default()
            }),
            0,
        ),
        (filtered(SessionFilter { url: Some(("example.test".into(), false)), ..SessionFilter::default() }), 0),
        (
            filtered(SessionFilter {
                event: Some(("purchase".into(), Some(PropertyMatch { key: "qty".into(), value: "2".into() }))),
                user: Some("ada@example.com".into()),
                url: Some(("https://example.test/".into(), true)),
                browser: Some("Chrome".into()),
                os: Some("Linux".into()),
                device_type: Some("desktop".into()),
                duration_ms: (Some(1), Some(HOUR)),
                active_ms: (Some(0), Some(HOUR)),
                page_views: (Some(1), Some(9)),
                min_score: Some(1.5),
                has_errors: true,
                has_rage_clicks: true,
                has_dead_clicks: true,
                ..SessionFilter::default()
            }),
            0,
        ),
        (filtered(SessionFilter { min_score: Some(13.0), ..SessionFilter::default() }), 1),
        (sql::session_marks("example", &["s1".into(), "s2".into()]), 3),
        (sql::user_sessions("example", ""), 3),
        (
            insert_versioned(
                "notes",
                "project_id, session_id, note_id, author, text, offset_ms, deleted, version",
                &[
                    (&["example", "s1", "n1", "ada", "it's here"], 0, 1),
                    (&["example", "s1", "n2", "ada", "gone"], 0, 1),
                ],
            ),
            0,
        ),
        (
            insert_versioned(
                "notes",
                "project_id, session_id, note_id, author, text, offset_ms, deleted, version",
                &[(&["example", "s1", "n2", "ada", "gone"], 1, 2)],
            ),
            0,
        ),
        (sql::session_notes("example", "s1"), 1),
        (
            insert_versioned(
                "saved_filters",
                "project_id, filter_id, name, query, author, created_at_ms, deleted, version",
                &[(&["example", "f1", "Errors", "has_errors=true", "ada"], 0, 1)],
            ),
            0,
        ),
        (sql::saved_filters("example"), 1),
        (
            insert_versioned(
                "shares",
                "project_id, share_id, session_id, author, expires_at_ms, revoked, version",
                &[(&["example", "sh1", "s1", "ada"], 0, 1), (&["example", "sh1", "s1", "ada"], 1, 2)],
            ),
            0,
        ),
        (sql::shares("example", Some("sh1"), None), 1),
        (sql::shares("example", None, Some("s1")), 1),
        (sql::shares("example", None, Some("s2")), 0),
    ];
    let mut queries: Vec<ExampleQuery> =
        statements.into_iter().map(|(statement, rows)| ExampleQuery { sql: statement.render(), rows }).collect();
    queries.extend(super::views::examples());
    queries.extend(super::assets::examples());
    queries
}
