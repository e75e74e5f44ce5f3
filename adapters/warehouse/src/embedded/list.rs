//! `list_sessions` on SQLite: the SQL of a page of sessions, shaped so that the planner walks an
//! index in the listing's order and stops after the page, whatever the table's size.
//!
//! - Newest first walks `sessions_by_project_end (project_id, end_ms, session_id, base_score)`
//!   backwards from the end of the range (or from the cursor) and stops after `limit` hits.
//! - By score, the order is `base_score + recency(end_ms)`, where recency lies between 0 and
//!   `points`, so no index holds it. Two statements on
//!   `sessions_by_project_score (project_id, base_score, end_ms)` answer it without sorting the
//!   table: the probe takes the first `limit` hits by base score and computes their scores;
//!   the lowest of them, `floor`, is a lower bound of the page's last score, since `limit`
//!   hits reach it. The page is then the best `limit` of the hits with a score of at least
//!   `floor`, and these all have `base_score >= floor - points`: an index range, with the score
//!   itself checked on the index entry before the row is read. Only the rows that can still be
//!   on the page are sorted.
//! - A user filter reads that user's few sessions on `sessions_by_user` and `sessions_by_email`,
//!   then each by rowid, and sorts only those.
//!
//! `INDEXED BY` names the index (and `NOT INDEXED` leaves only the rowid for a user's
//! sessions), so a new index or `ANALYZE` cannot move a listing off it; the plans are asserted
//! with `EXPLAIN QUERY PLAN`, with and without statistics, in the tests below.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use super::{filter_conditions, SCORE_SQL};
use crate::{PageAfter, SessionHit, SessionOrder, SessionQuery};
use crate::{SessionRow, Table};

/// The index of newest-first listings.
const BY_END: &str = "sessions_by_project_end";
/// The index of listings by score.
const BY_SCORE: &str = "sessions_by_project_score";

/// One statement with its parameters.
#[derive(Debug, Clone)]
pub(super) struct Statement {
    pub sql: String,
    pub values: Vec<Value>,
}

/// What a statement selects and how it orders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Shape {
    /// The page, newest first.
    Recent,
    /// The scores of the first `limit` hits by base score.
    ScoreProbe,
    /// The page by score, of the hits scoring at least `floor` when given.
    Score { floor: Option<f64> },
}

/// A margin for float rounding in bounds derived from the score, which only widens them.
fn slack(value: f64, points: f64) -> f64 {
    1e-9 * (1.0 + value.abs() + points.abs())
}

/// The statement of `shape` for `query`.
pub(super) fn statement(query: &SessionQuery, shape: Shape) -> Statement {
    // ?1..?3 are the recency parameters of the score expression.
    let recency = query.recency;
    let points = recency.points;
    let mut values: Vec<Value> = vec![
        recency.as_of_ms.into(),
        points.into(),
        recency.half_life_ms.max(1.0).into(),
        query.end_from_ms.into(),
        query.end_to_ms.into(),
    ];
    let mut conditions = vec!["end_ms >= ?4".to_string(), "end_ms < ?5".to_string()];
    let mut project = None;
    if let Some(project_id) = &query.project_id {
        values.push(project_id.clone().into());
        project = Some(values.len());
        conditions.push(format!("project_id = ?{}", values.len()));
    }
    filter_conditions(&query.filter, project, &mut values, &mut conditions);
    match &query.after {
        Some(PageAfter::Recent { end_ms, session_id }) if query.order == SessionOrder::Recent => {
            values.push((*end_ms).into());
            values.push(session_id.clone().into());
            let (end, id) = (values.len() - 1, values.len());
            // The first term is redundant; it starts the index range at the cursor.
            conditions.push(format!("end_ms <= ?{end}"));
            conditions.push(format!("(end_ms < ?{end} OR (end_ms = ?{end} AND session_id < ?{id}))"));
        }
        Some(PageAfter::Score { score, session_id }) if query.order == SessionOrder::Score => {
            values.push((*score).into());
            values.push(session_id.clone().into());
            let (value, id) = (values.len() - 1, values.len());
            conditions.push(format!("({SCORE_SQL} < ?{value} OR ({SCORE_SQL} = ?{value} AND session_id < ?{id}))"));
            // Redundant as well: a score at most `score` means a base score at most `score`
            // less the smallest recency.
            values.push((score - points.min(0.0) + slack(*score, points)).into());
            conditions.push(format!("base_score <= ?{}", values.len()));
        }
        _ => {}
    }
    if let Shape::Score { floor: Some(floor) } = shape {
        values.push((floor - points.max(0.0) - slack(floor, points)).into());
        conditions.push(format!("base_score >= ?{}", values.len()));
        values.push(floor.into());
        conditions.push(format!("{SCORE_SQL} >= ?{}", values.len()));
    }
    // One user's sessions are found by rowid (`NOT INDEXED` leaves only that way, besides a
    // scan); without a project the planner chooses.
    let by_user = project.is_some() && query.filter.user.is_some();
    let (index, select, order) = match shape {
        Shape::Recent => {
            (BY_END, format!("{}, {SCORE_SQL} AS score", SessionRow::column_list()), "end_ms DESC, session_id DESC")
        }
        Shape::ScoreProbe => (BY_SCORE, SCORE_SQL.to_string(), "base_score DESC"),
        Shape::Score { .. } => {
            (BY_SCORE, format!("{}, {SCORE_SQL} AS score", SessionRow::column_list()), "score DESC, session_id DESC")
        }
    };
    let from = match (project, by_user) {
        (None, _) => "sessions".to_string(),
        (Some(_), true) => "sessions NOT INDEXED".to_string(),
        (Some(_), false) => format!("sessions INDEXED BY {index}"),
    };
    values.push((query.limit as i64).into());
    let sql = format!(
        "SELECT {select} FROM {from} WHERE {} ORDER BY {order} LIMIT ?{}",
        conditions.join(" AND "),
        values.len()
    );
    Statement { sql, values }
}

fn hits(connection: &Connection, statement: Statement) -> rusqlite::Result<Vec<SessionHit>> {
    let mut prepared = connection.prepare_cached(&statement.sql)?;
    let rows = prepared.query_map(params_from_iter(statement.values), |row| {
        Ok(SessionHit { row: SessionRow::from_sqlite(row)?, score: row.get(SessionRow::COLUMNS.len())? })
    })?;
    rows.collect()
}

/// The statements that [`list`] runs for `query` on the current data, in order, with their
/// parameters; the probe's runs to find the floor.
pub(super) fn statements(connection: &Connection, query: &SessionQuery) -> rusqlite::Result<Vec<Statement>> {
    match query.order {
        SessionOrder::Recent => Ok(vec![statement(query, Shape::Recent)]),
        SessionOrder::Score if query.project_id.is_none() || query.filter.user.is_some() => {
            Ok(vec![statement(query, Shape::Score { floor: None })])
        }
        SessionOrder::Score => {
            let probe = statement(query, Shape::ScoreProbe);
            let floor = probe_floor(connection, &probe)?;
            let page = floor.map(|floor| statement(query, Shape::Score { floor: Some(floor) }));
            Ok([Some(probe), page].into_iter().flatten().collect())
        }
    }
}

/// The lowest of the probe's scores; with fewer than `limit` hits the probe saw them all.
fn probe_floor(connection: &Connection, probe: &Statement) -> rusqlite::Result<Option<f64>> {
    let mut prepared = connection.prepare_cached(&probe.sql)?;
    let scores: Vec<f64> =
        prepared.query_map(params_from_iter(probe.values.clone()), |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(scores.into_iter().reduce(f64::min))
}

/// A page of sessions.
pub(super) fn list(connection: &Connection, query: &SessionQuery) -> rusqlite::Result<Vec<SessionHit>> {
    if query.limit == 0 {
        return Ok(Vec::new());
    }
    match query.order {
        SessionOrder::Recent => hits(connection, statement(query, Shape::Recent)),
        SessionOrder::Score if query.project_id.is_none() || query.filter.user.is_some() => {
            hits(connection, statement(query, Shape::Score { floor: None }))
        }
        SessionOrder::Score => {
            let Some(floor) = probe_floor(connection, &statement(query, Shape::ScoreProbe))? else {
                return Ok(Vec::new());
            };
            hits(connection, statement(query, Shape::Score { floor: Some(floor) }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::session;
    use crate::{PropertyMatch, Recency, SessionFilter, Warehouse};

    /// The query plan of a statement, one line per step.
    fn plan(connection: &Connection, statement: &Statement) -> Vec<String> {
        let sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
        let mut prepared = connection.prepare(&sql).unwrap_or_else(|error| panic!("{error}: {sql}"));
        let rows = prepared
            .query_map(params_from_iter(statement.values.clone()), |row| row.get::<_, String>(3))
            .unwrap_or_else(|error| panic!("{error}"));
        // Whether the index covers the statement is not the point here.
        rows.map(|row| row.unwrap_or_else(|error| panic!("{error}")).replace("COVERING INDEX", "INDEX")).collect()
    }

    fn query(order: SessionOrder, filter: SessionFilter, after: Option<PageAfter>) -> SessionQuery {
        SessionQuery {
            project_id: Some("p".into()),
            end_from_ms: 0,
            end_to_ms: 1_000_000_000,
            order,
            recency: Recency { as_of_ms: 1_000_000_000, points: 20.0, half_life_ms: 86_400_000.0 },
            filter,
            after,
            limit: 50,
        }
    }

    /// Each listing with the steps its plan must have, and whether it may sort.
    fn listings() -> Vec<(&'static str, SessionQuery, Shape, Vec<&'static str>, bool)> {
        let main = "SEARCH sessions USING INDEX sessions_by_project_end (project_id=? AND end_ms>? AND end_ms<?)";
        let probe = "SEARCH sessions USING INDEX sessions_by_project_score (project_id=?)";
        let events = "SEARCH e USING PRIMARY KEY (project_id=? AND session_id=?)";
        let recent = |filter: SessionFilter| query(SessionOrder::Recent, filter, None);
        let three = SessionFilter {
            browser: Some("Chrome".into()),
            os: Some("Windows 10".into()),
            has_errors: true,
            ..SessionFilter::default()
        };
        let event = SessionFilter {
            event: Some(("purchase".into(), Some(PropertyMatch { key: "plan".into(), value: "pro".into() }))),
            ..SessionFilter::default()
        };
        let url = SessionFilter { url: Some(("/checkout".into(), false)), ..SessionFilter::default() };
        let user = SessionFilter { user: Some("ada@example.com".into()), ..SessionFilter::default() };
        let after = |end_ms: i64| Some(PageAfter::Recent { end_ms, session_id: "s".into() });
        let score_after = Some(PageAfter::Score { score: 50.0, session_id: "s".into() });
        vec![
            ("newest first", recent(SessionFilter::default()), Shape::Recent, vec![main], false),
            ("three filters", recent(three), Shape::Recent, vec![main], false),
            ("a visited url", recent(url), Shape::Recent, vec![main, events], false),
            ("an event with a property", recent(event), Shape::Recent, vec![main, events], false),
            ("second page", query(SessionOrder::Recent, SessionFilter::default(), after(900)), Shape::Recent, vec![main], false),
            ("tenth page", query(SessionOrder::Recent, SessionFilter::default(), after(500)), Shape::Recent, vec![main], false),
            (
                "a user",
                recent(user),
                Shape::Recent,
                vec![
                    "SEARCH sessions USING INDEX sessions_by_user (project_id=? AND user_id=?)",
                    "SEARCH sessions USING INDEX sessions_by_email (project_id=? AND <expr>=?)",
                    "SEARCH sessions USING INTEGER PRIMARY KEY (rowid=?)",
                ],
                true,
            ),
            ("score probe", query(SessionOrder::Score, SessionFilter::default(), None), Shape::ScoreProbe, vec![probe], false),
            (
                "score probe after a page",
                query(SessionOrder::Score, SessionFilter::default(), score_after.clone()),
                Shape::ScoreProbe,
                vec!["SEARCH sessions USING INDEX sessions_by_project_score (project_id=? AND base_score<?)"],
                false,
            ),
            (
                "by score above the floor",
                query(SessionOrder::Score, SessionFilter::default(), None),
                Shape::Score { floor: Some(60.0) },
                vec!["SEARCH sessions USING INDEX sessions_by_project_score (project_id=? AND base_score>?)"],
                true,
            ),
            (
                "by score above the floor after a page",
                query(SessionOrder::Score, SessionFilter::default(), score_after),
                Shape::Score { floor: Some(40.0) },
                vec!["SEARCH sessions USING INDEX sessions_by_project_score (project_id=? AND base_score>? AND base_score<?)"],
                true,
            ),
        ]
    }

    fn assert_plans(connection: &Connection, when: &str) {
        for (name, query, shape, steps, may_sort) in listings() {
            let lines = plan(connection, &statement(&query, shape));
            for step in steps {
                assert!(lines.iter().any(|line| line == step), "{when}, {name}: no step {step:?} in {lines:#?}");
            }
            let sorts = lines.iter().any(|line| line.contains("TEMP B-TREE"));
            assert!(may_sort || !sorts, "{when}, {name}: sorts the rows: {lines:#?}");
            assert!(
                lines.iter().all(|line| !line.starts_with("SCAN sessions")),
                "{when}, {name}: scans the table: {lines:#?}"
            );
        }
    }

    #[tokio::test]
    async fn every_listing_walks_its_index() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let path = dir.path().join("warehouse.db");
        let warehouse = crate::embedded::SqliteWarehouse::open(&path).unwrap_or_else(|error| panic!("{error}"));
        warehouse.migrate().await.unwrap_or_else(|error| panic!("{error}"));
        let connection = super::super::connect(&path).unwrap_or_else(|error| panic!("{error}"));
        assert_plans(&connection, "without statistics");

        // Statistics of a populated table (sessions ending late, users with a few sessions) must not
        // move a listing off its index.
        let rows: Vec<_> = (0..2_000)
            .map(|index| {
                let mut row = session("p", &format!("s{index:04}"), 999_000_000 + index, f64::from(index as i32 % 80));
                row.user_id = if index % 3 == 0 { String::new() } else { format!("u{}", index / 4) };
                row
            })
            .collect();
        warehouse.upsert_sessions(rows).await.unwrap_or_else(|error| panic!("{error}"));
        connection.execute_batch("ANALYZE; PRAGMA optimize;").unwrap_or_else(|error| panic!("{error}"));
        assert_plans(&connection, "after ANALYZE");
    }
}
