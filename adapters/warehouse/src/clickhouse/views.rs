//! Migration 3: `session_days`, the table the product dashboards read, filled by the
//! materialized view `session_days_mv` from every `sessions` insert.
//!
//! A materialized view sees each inserted block, not the table's state, so it sees every
//! version of a session, and the same version again whenever the scorer writes it again (a
//! retried insert, a redelivered update: delivery is at least once). Aggregate states
//! (`avgState`, `quantilesState`, `sumState`, SummingMergeTree) would add each of those rows
//! and count a session as often as it was written: 18.16 does not de-duplicate inserts into a
//! non-replicated table, and block de-duplication, where a server has it, catches only a block
//! sent again byte for byte. So the view keeps rows, not sums:
//!
//! - it passes on only the versions with `closed = 1`: a session appears once it has closed;
//! - `session_days` is a ReplacingMergeTree on `version` sorted by `(project_id, day,
//!   session_id)`, with `day` the UTC date of the session's start, so every copy of a
//!   session's closed versions has one key and reads with `FINAL` see one row per session:
//!   the highest closed version, the session as of its last close. A late batch that reopens
//!   a session writes an open version, which the view skips, so the session keeps its last
//!   closed values until it closes again and its new closed version replaces them;
//! - a late event that moves a session's start across midnight (UTC) gives its later closed
//!   versions another key, and the session then counts on both days.
//!
//! Dashboards aggregate over `session_days FINAL` by project and day (docs/dashboards.md).
//! The view only sees inserts made after it exists; docs/dashboards.md has the statement that
//! fills it from older `sessions` rows, month by month.

use super::sql::{Builder, Statement};
use super::ExampleQuery;

pub(crate) const CREATE_SESSION_DAYS: &str = "CREATE TABLE IF NOT EXISTS session_days (
    project_id String,
    day Date,
    session_id String,
    version Int64,
    updated_at_ms Int64,
    start_ms Int64,
    end_ms Int64,
    active_ms Int64,
    base_score Float64,
    user_id String,
    events Int64,
    page_views Int32,
    clicks Int32,
    errors Int32,
    rage_clicks Int32,
    dead_clicks Int32,
    entry_url String,
    exit_url String,
    browser String,
    os String,
    device_type String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, day, session_id)";

/// The rows of `sessions` that `session_days` holds, for the view and the backfill. `day` is
/// computed from `start_ms`, a column every insert carries, rather than read from the
/// MATERIALIZED `start_time`.
macro_rules! closed_versions {
    () => {
        "SELECT
    project_id,
    toDate(toDateTime(intDiv(start_ms, 1000), 'UTC'), 'UTC') AS day,
    session_id,
    version,
    updated_at_ms,
    start_ms,
    end_ms,
    active_ms,
    base_score,
    user_id,
    events,
    page_views,
    clicks,
    errors,
    rage_clicks,
    dead_clicks,
    entry_url,
    exit_url,
    browser,
    os,
    device_type
FROM sessions
WHERE closed = 1"
    };
}

pub(crate) const CREATE_SESSION_DAYS_MV: &str =
    concat!("CREATE MATERIALIZED VIEW IF NOT EXISTS session_days_mv\nTO session_days\nAS ", closed_versions!());

/// Fills `session_days` from the `sessions` rows that started in `month` (`YYYYMM`), for rows
/// written before the view existed (docs/dashboards.md, Backfill).
fn backfill(month: i64) -> Statement {
    let mut builder = Builder::default();
    builder.text(concat!("INSERT INTO session_days ", closed_versions!(), " AND toYYYYMM(start_time) = "));
    builder.int(month);
    builder.build()
}

/// 2026-02-01 00:02:00 UTC, as in the other examples.
const T0: i64 = 1_769_904_120_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

/// One sample version of a session.
struct Version {
    session_id: &'static str,
    version: i64,
    closed: bool,
    start_ms: i64,
    active_ms: i64,
    base_score: i64,
    errors: i64,
    entry_url: &'static str,
    exit_url: &'static str,
    browser: &'static str,
    os: &'static str,
}

fn insert_versions(project_id: &str, versions: &[Version]) -> Statement {
    let mut builder = Builder::default();
    builder.text(
        "INSERT INTO sessions (project_id, session_id, version, closed, start_ms, end_ms, active_ms, base_score, \
         errors, entry_url, exit_url, browser, os, updated_at_ms, user_traits_json, urls_json) VALUES ",
    );
    for (index, row) in versions.iter().enumerate() {
        builder.text(if index > 0 { ", (" } else { "(" });
        builder.string(project_id).text(", ").string(row.session_id).text(", ").int(row.version);
        builder.text(", ").int(i64::from(row.closed)).text(", ").int(row.start_ms);
        builder.text(", ").int(row.start_ms + 10 * MINUTE).text(", ").int(row.active_ms);
        builder.text(", ").int(row.base_score).text(", ").int(row.errors);
        builder.text(", ").string(row.entry_url).text(", ").string(row.exit_url);
        builder.text(", ").string(row.browser).text(", ").string(row.os);
        builder.text(", ").int(row.start_ms + row.version).text(", '{}', '[]')");
    }
    builder.build()
}

/// A dashboard query over one project's days `[from, to]` (`YYYY-MM-DD`).
fn per_project(select: &str, project_id: &str, from: &str, to: &str, rest: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text(select).text(" FROM session_days FINAL WHERE project_id = ").string(project_id);
    builder.text(" AND day >= toDate(").string(from).text(") AND day <= toDate(").string(to).text(") ");
    builder.text(rest);
    builder.build()
}

/// Closed and open versions of sessions, written twice where a redelivery would, and the
/// dashboard queries over them. Project `dash`: `a` closes, is written again, reopens and
/// closes with new values; `b` closes; `c` closes the next day; `d` never closes. Project
/// `dash-other` must not show.
pub(super) fn examples() -> Vec<ExampleQuery> {
    let a = |version: i64, closed: bool, score: i64, errors: i64, exit_url: &'static str| Version {
        session_id: "a",
        version,
        closed,
        start_ms: T0,
        active_ms: 30_000 * version,
        base_score: score,
        errors,
        entry_url: "https://shop.test/",
        exit_url,
        browser: "Chrome",
        os: "Linux",
    };
    let closed = |session_id, start_ms, score, entry_url, exit_url, browser, os| Version {
        session_id,
        version: 1,
        closed: true,
        start_ms,
        active_ms: 30_000,
        base_score: score,
        errors: 0,
        entry_url,
        exit_url,
        browser,
        os,
    };
    let first = [
        a(1, false, 10, 0, "https://shop.test/cart"),
        a(2, true, 20, 1, "https://shop.test/cart"),
        closed("b", T0 + MINUTE, 10, "https://shop.test/", "https://shop.test/", "Firefox", "Windows"),
        closed("c", T0 + DAY, 50, "https://shop.test/sale", "https://shop.test/done", "Chrome", "macOS"),
        Version { closed: false, ..closed("d", T0, 99, "https://shop.test/", "https://shop.test/", "Chrome", "Linux") },
    ];
    let redelivered = [a(2, true, 20, 1, "https://shop.test/cart")];
    let reopened = [a(3, false, 25, 1, "https://shop.test/pay"), a(4, true, 30, 2, "https://shop.test/done")];
    let other = [closed("a", T0, 70, "https://other.test/", "https://other.test/", "Safari", "iOS")];
    let daily = per_project(
        "SELECT day, count() AS sessions, round(avg(base_score), 2) AS avg_score, \
         round(quantile(0.5)(base_score), 2) AS p50_score, sum(active_ms) AS total_active_ms, sum(errors) AS total_errors, \
         countIf(errors > 0) AS sessions_with_errors",
        "dash",
        "2026-02-01",
        "2026-02-02",
        "GROUP BY day ORDER BY day",
    );
    let top = |column: &str| {
        per_project(
            &format!("SELECT {column}, count() AS sessions"),
            "dash",
            "2026-02-01",
            "2026-02-02",
            &format!("GROUP BY {column} ORDER BY sessions DESC, {column} LIMIT 10"),
        )
    };
    let statements = [
        (insert_versions("dash", &first), 0),
        (insert_versions("dash", &redelivered), 0),
        (insert_versions("dash", &reopened), 0),
        (insert_versions("dash-other", &other), 0),
        // 2026-02-01: a (its version 4) and b; 2026-02-02: c.
        (daily.clone(), 2),
        (top("entry_url"), 2),
        (top("exit_url"), 2),
        (top("browser"), 2),
        (top("os"), 3),
        // Backfilling what the view already holds changes nothing.
        (backfill(202602), 0),
        (daily, 2),
    ];
    statements.into_iter().map(|(statement, rows)| ExampleQuery { sql: statement.render(), rows }).collect()
}
