//! The read queries, built as SQL text with `?` placeholders plus their parameters in order.
//! Values are always bound by the client (`Query::bind`), never pasted into the text.

use ::clickhouse::query::Query;
use ::clickhouse::Client;

use super::schema::{CHUNK_COLUMNS, EVENT_COLUMNS, NOTE_COLUMNS, SAVED_FILTER_COLUMNS, SHARE_COLUMNS};
use crate::{
    ChunkRow, NoteRow, PageAfter, PropertyMatch, Recency, SessionFilter, SessionOrder, SessionQuery, SessionRow, Table,
};

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Int(i64),
    UInt(u64),
    Text(String),
}

/// SQL text with its parameters, in the order of the `?` in the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub sql: String,
    pub params: Vec<Param>,
}

impl Statement {
    /// The query with every parameter bound.
    pub fn query(&self, client: &Client) -> Query {
        let mut query = client.query(&self.sql);
        for param in &self.params {
            query = match param {
                Param::Int(value) => query.bind(value),
                Param::UInt(value) => query.bind(value),
                Param::Text(value) => query.bind(value.as_str()),
            };
        }
        query
    }

    /// The SQL text with the parameters as the client renders them.
    pub fn render(&self) -> String {
        self.query(&Client::default()).sql_display().to_string()
    }
}

/// Appends text and parameters together, so they cannot get out of order.
#[derive(Default)]
pub(crate) struct Builder {
    sql: String,
    params: Vec<Param>,
}

impl Builder {
    pub(crate) fn text(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    pub(crate) fn int(&mut self, value: i64) -> &mut Self {
        self.sql.push('?');
        self.params.push(Param::Int(value));
        self
    }

    pub(crate) fn uint(&mut self, value: u64) -> &mut Self {
        self.sql.push('?');
        self.params.push(Param::UInt(value));
        self
    }

    pub(crate) fn string(&mut self, value: &str) -> &mut Self {
        self.sql.push('?');
        self.params.push(Param::Text(value.to_string()));
        self
    }

    /// A Float64 passed as its eight bytes, so that the server gets exactly this value. A
    /// decimal literal would also round-trip, but the shortest decimal form of a tiny score
    /// is longer than the 18.16 parser accepts.
    pub(crate) fn float(&mut self, value: f64) -> &mut Self {
        let hex: String = value.to_le_bytes().iter().map(|byte| format!("{byte:02X}")).collect();
        self.sql.push_str("reinterpretAsFloat64(unhex(?))");
        self.params.push(Param::Text(hex));
        self
    }

    pub(crate) fn build(self) -> Statement {
        Statement { sql: self.sql, params: self.params }
    }
}

/// The lower bound on `start_time`, in whole seconds, that narrows a listing by end time
/// `[from, to)` before de-duplication, so that ClickHouse reads only the partitions that can
/// hold such sessions; `None` when it would not narrow anything.
///
/// A session that lasts at most `max_session_ms` and ends at or after `from` started at or
/// after `from - max_session_ms`. Filtering versions before the newest one is picked is safe
/// here: if the newest version fails the bound, it ends before `from`, and since a session's
/// end never decreases from one version to the next, so does every older version.
pub(crate) fn start_lower_bound_secs(end_from_ms: i64, max_session_ms: i64) -> Option<i64> {
    let secs = end_from_ms.saturating_sub(max_session_ms).div_euclid(1000);
    (1..=i64::from(u32::MAX)).contains(&secs).then_some(secs)
}

/// `SELECT` of the newest version of each session that passes `filter`, with `columns` (none
/// of the key) renamed `latest_<column>`. The newest is the highest `(version, updated_at_ms)`.
fn latest_sessions(builder: &mut Builder, columns: &[&str], filter: impl FnOnce(&mut Builder)) {
    builder.text("SELECT project_id, session_id");
    for column in columns {
        builder.text(&format!(", argMax({column}, tuple(version, updated_at_ms)) AS latest_{column}"));
    }
    builder.text(" FROM sessions WHERE ");
    filter(builder);
    builder.text(" GROUP BY project_id, session_id");
}

/// The key and `columns` under their own names, from [`latest_sessions`].
fn session_fields(builder: &mut Builder, columns: &[&str]) {
    builder.text("project_id, session_id");
    for column in columns {
        builder.text(&format!(", latest_{column} AS {column}"));
    }
}

/// Every column of `sessions` but the key `(project_id, session_id)`, in [`SessionRow`] order.
fn all_columns() -> Vec<&'static str> {
    let columns: Vec<&'static str> = SessionRow::COLUMNS.iter().map(|column| column.name).collect();
    debug_assert_eq!(columns[..2], ["project_id", "session_id"]);
    columns[2..].to_vec()
}

/// The columns that a listing orders and filters on: the end time and base score, and those
/// of the filters in use. A listing reads only these of every session in its range, and the
/// other columns only of the sessions on its page.
fn listing_columns(filter: &SessionFilter) -> Vec<&'static str> {
    let mut columns = vec!["end_ms", "base_score"];
    let mut wanted = |used: bool, names: &[&'static str]| {
        if used {
            columns.extend_from_slice(names);
        }
    };
    wanted(filter.duration_ms != (None, None), &["start_ms"]);
    wanted(filter.active_ms != (None, None), &["active_ms"]);
    wanted(filter.page_views != (None, None), &["page_views"]);
    wanted(filter.user.is_some(), &["user_id"]);
    wanted(filter.user.is_some() || !filter.user_props.is_empty(), &["user_traits_json"]);
    wanted(filter.browser.is_some(), &["browser"]);
    wanted(filter.os.is_some(), &["os"]);
    wanted(filter.device_type.is_some(), &["device_type"]);
    wanted(filter.has_errors, &["errors"]);
    wanted(filter.has_rage_clicks, &["rage_clicks"]);
    wanted(filter.has_dead_clicks, &["dead_clicks"]);
    columns.sort_unstable();
    columns.dedup();
    columns
}

/// The score at query time over [`latest_sessions`]:
/// `base_score + points * 2^(-(as_of - end) / half_life)`, and `base_score + points` for a
/// session that ends at or after `as_of`. Paging compares the score that the previous page
/// returned with this same expression, so both must be computed the same way: they are, by
/// the same SQL on the same stored values.
fn score(builder: &mut Builder, recency: &Recency) {
    builder.text("latest_base_score + if(").int(recency.as_of_ms).text(" - latest_end_ms <= 0, ");
    builder.float(recency.points).text(", ").float(recency.points).text(" * exp2(-((");
    builder.int(recency.as_of_ms).text(" - latest_end_ms) / ").float(recency.half_life_ms.max(1.0)).text(")))");
}

/// `column`'s value at `property.key`, as JSON text, is one of the property's forms.
/// `visitParamExtractRaw` finds the first `"key":` in the text, which is the top-level key for
/// the flat objects that traits and event properties are.
fn property_condition(builder: &mut Builder, column: &str, property: &PropertyMatch) {
    let [quoted, raw] = property.json_forms();
    builder.text(&format!("visitParamExtractRaw({column}, ")).string(&property.key).text(") IN (");
    builder.string(&quoted).text(", ").string(&raw).text(")");
}

/// ` AND ...` for each condition of `filter`, on the columns of the newest session version
/// and its `score`.
fn filter_conditions(builder: &mut Builder, filter: &SessionFilter, project_id: Option<&str>) {
    let events_of_project = |builder: &mut Builder| {
        builder.text("(project_id, session_id) IN (SELECT project_id, session_id FROM events WHERE ");
        if let Some(project_id) = project_id {
            builder.text("project_id = ").string(project_id).text(" AND ");
        }
    };
    if let Some((name, property)) = &filter.event {
        builder.text(" AND ");
        events_of_project(builder);
        builder.text("kind = 'custom' AND name = ").string(name);
        if let Some(property) = property {
            builder.text(" AND ");
            property_condition(builder, "props_json", property);
        }
        builder.text(")");
    }
    for property in &filter.user_props {
        builder.text(" AND ");
        property_condition(builder, "user_traits_json", property);
    }
    if let Some(user) = &filter.user {
        builder.text(" AND (user_id = ").string(user);
        builder.text(" OR visitParamExtractString(user_traits_json, 'email') = ").string(user).text(")");
    }
    if let Some((url, exact)) = &filter.url {
        builder.text(" AND ");
        events_of_project(builder);
        builder.text("kind = 'page_view' AND ");
        if *exact {
            builder.text("url = ").string(url);
        } else {
            builder.text("position(url, ").string(url).text(") > 0");
        }
        builder.text(")");
    }
    for (column, value) in [("browser", &filter.browser), ("os", &filter.os), ("device_type", &filter.device_type)] {
        if let Some(value) = value {
            builder.text(&format!(" AND lower({column}) = lower(")).string(value).text(")");
        }
    }
    let ranges = [
        ("(end_ms - start_ms)", filter.duration_ms),
        ("active_ms", filter.active_ms),
        ("page_views", filter.page_views),
    ];
    for (expression, (min, max)) in ranges {
        if let Some(min) = min {
            builder.text(&format!(" AND {expression} >= ")).int(min);
        }
        if let Some(max) = max {
            builder.text(&format!(" AND {expression} <= ")).int(max);
        }
    }
    if let Some(min_score) = filter.min_score {
        builder.text(" AND score >= ").float(min_score);
    }
    for (column, wanted) in [
        ("errors", filter.has_errors),
        ("rage_clicks", filter.has_rage_clicks),
        ("dead_clicks", filter.has_dead_clicks),
    ] {
        if wanted {
            builder.text(&format!(" AND {column} > 0"));
        }
    }
}

/// The keys and scores of a page of sessions, in page order: the newest version of each,
/// filtered, ordered and paged after it was picked, since its end time and score are those of
/// the newest version. Only [`listing_columns`] are aggregated; [`sessions_by_id`] then reads
/// the page's rows.
pub(crate) fn list_sessions(query: &SessionQuery, max_session_ms: i64) -> Statement {
    let start_bound = start_lower_bound_secs(query.end_from_ms, max_session_ms);
    let columns = listing_columns(&query.filter);
    let mut builder = Builder::default();
    builder.text("SELECT project_id, session_id, score FROM (SELECT ");
    session_fields(&mut builder, &columns);
    builder.text(", ");
    score(&mut builder, &query.recency);
    builder.text(" AS score FROM (");
    latest_sessions(&mut builder, &columns, |filter| {
        filter.text("1");
        if let Some(project_id) = &query.project_id {
            filter.text(" AND project_id = ").string(project_id);
        }
        if let Some(min_secs) = start_bound {
            filter.text(" AND start_time >= toDateTime(").int(min_secs).text(")");
        }
    });
    builder.text(")) WHERE end_ms >= ").int(query.end_from_ms).text(" AND end_ms < ").int(query.end_to_ms);
    filter_conditions(&mut builder, &query.filter, query.project_id.as_deref());
    let order = match (&query.order, &query.after) {
        (SessionOrder::Recent, after) => {
            if let Some(PageAfter::Recent { end_ms, session_id }) = after {
                builder.text(" AND (end_ms < ").int(*end_ms).text(" OR (end_ms = ").int(*end_ms);
                builder.text(" AND session_id < ").string(session_id).text("))");
            }
            "end_ms DESC, session_id DESC"
        }
        (SessionOrder::Score, after) => {
            if let Some(PageAfter::Score { score, session_id }) = after {
                builder.text(" AND (score < ").float(*score).text(" OR (score = ").float(*score);
                builder.text(" AND session_id < ").string(session_id).text("))");
            }
            "score DESC, session_id DESC"
        }
    };
    builder.text(" ORDER BY ").text(order).text(" LIMIT ").uint(query.limit as u64);
    builder.build()
}

/// The newest versions of the sessions `session_ids` (of `project_id` when given), read on the
/// sorting key.
pub(crate) fn sessions_by_id(project_id: Option<&str>, session_ids: &[String]) -> Statement {
    let mut builder = Builder::default();
    builder.text("SELECT ");
    session_fields(&mut builder, &all_columns());
    builder.text(" FROM (");
    latest_sessions(&mut builder, &all_columns(), |filter| {
        if let Some(project_id) = project_id {
            filter.text("project_id = ").string(project_id).text(" AND ");
        }
        filter.text("session_id IN (");
        for (index, session_id) in session_ids.iter().enumerate() {
            if index > 0 {
                filter.text(", ");
            }
            filter.string(session_id);
        }
        filter.text(")");
    });
    builder.text(") ORDER BY project_id, session_id");
    builder.build()
}

/// The newest version of one session; without a project, the most recently updated of the
/// sessions with that id.
pub(crate) fn get_session(project_id: Option<&str>, session_id: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text("SELECT ");
    session_fields(&mut builder, &all_columns());
    builder.text(" FROM (");
    latest_sessions(&mut builder, &all_columns(), |filter| {
        filter.text("session_id = ").string(session_id);
        if let Some(project_id) = project_id {
            filter.text(" AND project_id = ").string(project_id);
        }
    });
    builder.text(") ORDER BY updated_at_ms DESC LIMIT 1");
    builder.build()
}

/// A session's transcript in time order, one row per event identity.
pub(crate) fn session_events(project_id: &str, session_id: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text(&format!("SELECT {EVENT_COLUMNS} FROM events FINAL WHERE project_id = ")).string(project_id);
    builder.text(" AND session_id = ").string(session_id);
    builder.text(" ORDER BY ts_ms, window_id, batch_seq, event_index, kind");
    builder.build()
}

/// A session's chunks, one row per chunk identity.
pub(crate) fn session_chunks(project_id: &str, session_id: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text(&format!("SELECT {CHUNK_COLUMNS} FROM recording_chunks FINAL WHERE project_id = ")).string(project_id);
    builder.text(" AND session_id = ").string(session_id);
    builder.text(" ORDER BY window_id, first_seq, last_seq");
    builder.build()
}

/// The mutation that removes the versions a note tombstone replaces, so that a deleted note's
/// text does not wait for a merge that may never come; `None` when no row is a tombstone.
pub(crate) fn delete_replaced_notes(rows: &[NoteRow]) -> Option<Statement> {
    let tombstones: Vec<&NoteRow> = rows.iter().filter(|row| row.deleted).collect();
    if tombstones.is_empty() {
        return None;
    }
    let mut builder = Builder::default();
    builder.text("ALTER TABLE notes DELETE WHERE ");
    for (index, row) in tombstones.iter().enumerate() {
        if index > 0 {
            builder.text(" OR ");
        }
        builder.text("(project_id = ").string(&row.project_id);
        builder.text(" AND session_id = ").string(&row.session_id);
        builder.text(" AND note_id = ").string(&row.note_id);
        builder.text(" AND version < ").int(row.version).text(")");
    }
    Some(builder.build())
}

/// Mutations that remove chunk rows by identity, one per session.
pub(crate) fn delete_chunks(rows: &[ChunkRow]) -> Vec<Statement> {
    let mut by_session: std::collections::BTreeMap<(&str, &str), Vec<&ChunkRow>> = std::collections::BTreeMap::new();
    for row in rows {
        by_session.entry((row.project_id.as_str(), row.session_id.as_str())).or_default().push(row);
    }
    let mut statements = Vec::with_capacity(by_session.len());
    for ((project_id, session_id), rows) in by_session {
        let mut builder = Builder::default();
        builder.text("ALTER TABLE recording_chunks DELETE WHERE project_id = ").string(project_id);
        builder.text(" AND session_id = ").string(session_id).text(" AND (");
        for (index, row) in rows.iter().enumerate() {
            if index > 0 {
                builder.text(" OR ");
            }
            builder.text("(window_id = ").string(&row.window_id);
            builder.text(" AND first_seq = ").int(row.first_seq).text(" AND last_seq = ").int(row.last_seq).text(")");
        }
        builder.text(")");
        statements.push(builder.build());
    }
    statements
}

/// The transcript marks of some sessions, by session and time.
pub(crate) fn session_marks(project_id: &str, session_ids: &[String]) -> Statement {
    let mut builder = Builder::default();
    builder.text("SELECT session_id, ts_ms, kind FROM events FINAL WHERE project_id = ").string(project_id);
    builder.text(" AND session_id IN (");
    for (index, session_id) in session_ids.iter().enumerate() {
        if index > 0 {
            builder.text(", ");
        }
        builder.string(session_id);
    }
    builder.text(") ORDER BY session_id, ts_ms, window_id, batch_seq, event_index, kind");
    builder.build()
}

/// A user's sessions by start time: those whose newest version carries `user_id`.
pub(crate) fn user_sessions(project_id: &str, user_id: &str) -> Statement {
    let mut builder = Builder::default();
    let columns = ["start_ms", "end_ms", "user_id", "user_traits_json"];
    builder.text("SELECT session_id, start_ms, end_ms, user_traits_json FROM (SELECT ");
    session_fields(&mut builder, &columns);
    builder.text(" FROM (");
    latest_sessions(&mut builder, &columns, |filter| {
        filter.text("project_id = ").string(project_id);
    });
    builder.text(")) WHERE user_id = ").string(user_id).text(" ORDER BY start_ms, session_id");
    builder.build()
}

/// The newest row of each identity of a versioned table (`notes`, `saved_filters`, `shares`)
/// that passes `filter`, with its columns under their own names; the version decides.
fn latest_rows(builder: &mut Builder, table: &str, key: &[&str], columns: &[&str], filter: impl FnOnce(&mut Builder)) {
    let values: Vec<&str> = columns.iter().copied().filter(|column| !key.contains(column)).collect();
    let outer: Vec<String> = columns
        .iter()
        .map(|column| if key.contains(column) { column.to_string() } else { format!("latest_{column} AS {column}") })
        .collect();
    builder.text("SELECT ").text(&outer.join(", ")).text(" FROM (SELECT ").text(&key.join(", "));
    for column in values {
        builder.text(&format!(", argMax({column}, version) AS latest_{column}"));
    }
    builder.text(&format!(" FROM {table} WHERE "));
    filter(builder);
    builder.text(" GROUP BY ").text(&key.join(", ")).text(")");
}

/// A session's notes that are not deleted, by offset.
pub(crate) fn session_notes(project_id: &str, session_id: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text("SELECT * FROM (");
    latest_rows(&mut builder, "notes", &NOTE_COLUMNS[..3], &NOTE_COLUMNS, |filter| {
        filter.text("project_id = ").string(project_id).text(" AND session_id = ").string(session_id);
    });
    builder.text(") WHERE deleted = 0 ORDER BY offset_ms, created_at_ms, note_id");
    builder.build()
}

/// A project's saved filters that are not deleted, newest first.
pub(crate) fn saved_filters(project_id: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text("SELECT * FROM (");
    latest_rows(&mut builder, "saved_filters", &SAVED_FILTER_COLUMNS[..2], &SAVED_FILTER_COLUMNS, |filter| {
        filter.text("project_id = ").string(project_id);
    });
    builder.text(") WHERE deleted = 0 ORDER BY created_at_ms DESC, filter_id DESC");
    builder.build()
}

/// Share links of a project, by id or by session, newest first.
pub(crate) fn shares(project_id: &str, share_id: Option<&str>, session_id: Option<&str>) -> Statement {
    let mut builder = Builder::default();
    builder.text("SELECT * FROM (");
    latest_rows(&mut builder, "shares", &SHARE_COLUMNS[..2], &SHARE_COLUMNS, |filter| {
        filter.text("project_id = ").string(project_id);
        if let Some(share_id) = share_id {
            filter.text(" AND share_id = ").string(share_id);
        }
    });
    builder.text(")");
    if let Some(session_id) = session_id {
        builder.text(" WHERE session_id = ").string(session_id);
    }
    builder.text(" ORDER BY created_at_ms DESC, share_id DESC");
    builder.build()
}

/// Whether a database exists: one row with its count.
pub(crate) fn database_exists(database: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text("SELECT count() FROM system.databases WHERE name = ").string(database);
    builder.build()
}

/// Whether `table` of `database` has the column `column`: 1 or 0.
pub(crate) fn column_exists(database: &str, table: &str, column: &str) -> Statement {
    let mut builder = Builder::default();
    builder.text("SELECT count() FROM system.columns WHERE database = ").string(database);
    builder.text(" AND table = ").string(table).text(" AND name = ").string(column);
    builder.build()
}

/// The highest migration applied; 0 when none was.
pub(crate) fn applied_migration() -> Statement {
    Statement { sql: "SELECT toInt64(max(version)) FROM schema_migrations".into(), params: Vec::new() }
}

/// Records that migration `version` ran.
pub(crate) fn record_migration(version: i64) -> Statement {
    let mut builder = Builder::default();
    builder.text("INSERT INTO schema_migrations (version, applied_at) VALUES (").int(version).text(", now())");
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_follow_the_placeholders() {
        let query = SessionQuery {
            project_id: Some("p'1".into()),
            end_from_ms: 100 * 86_400_000,
            end_to_ms: 101 * 86_400_000,
            order: SessionOrder::Score,
            recency: crate::Recency { as_of_ms: 5, points: 10.0, half_life_ms: 2.5 },
            filter: SessionFilter {
                event: Some(("buy?".into(), Some(PropertyMatch { key: "k'".into(), value: "v?".into() }))),
                user: Some("u'?".into()),
                url: Some(("/a?b".into(), false)),
                ..SessionFilter::default()
            },
            after: Some(PageAfter::Score { score: 1.5, session_id: "s?".into() }),
            limit: 3,
        };
        let statement = list_sessions(&query, 86_400_000);
        assert_eq!(statement.sql.matches('?').count(), statement.params.len());
        let rendered = statement.render();
        assert!(rendered.contains("project_id = 'p\\'1'"), "{rendered}");
        assert!(rendered.contains("session_id < 's?'"), "{rendered}");
        assert!(rendered.contains("reinterpretAsFloat64(unhex('000000000000F83F'))"), "{rendered}");
        assert!(rendered.ends_with("LIMIT 3"), "{rendered}");
    }

    #[test]
    fn the_start_bound_covers_the_longest_session() {
        let day = 86_400_000;
        assert_eq!(start_lower_bound_secs(10 * day + 1_500, day), Some(9 * 86_400 + 1));
        assert_eq!(start_lower_bound_secs(day + 999, day), None);
        assert_eq!(start_lower_bound_secs(i64::MIN, day), None);
        assert_eq!(start_lower_bound_secs(i64::MAX, day), None);
    }
}
