//! The bodies the query API answers with, as types: handlers serialize these, and
//! `openapi.rs` derives the document's component schemas from them, so the two cannot differ.
//! `web/openapi.json` is that document, and `web/src/generated/api.ts` its TypeScript.

use playback_warehouse::{EventKind, Factor, SessionRow};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A session as every view shows it: its stored row for the reader, and its score at query
/// time.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SessionFields {
    pub session_id: String,
    pub project_id: String,
    /// `null` for an anonymous visitor; left out of a shared session.
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    #[schema(value_type = Option<String>)]
    pub user_id: Hidden<String>,
    /// The traits object of `identify`; left out of a shared session.
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    #[schema(value_type = Option<Value>)]
    pub user_traits: Hidden<Value>,
    /// ms UTC.
    pub start_time: i64,
    /// ms UTC.
    pub end_time: i64,
    pub duration_ms: i64,
    pub active_ms: i64,
    pub inactive_ms: i64,
    pub page_views: i32,
    pub clicks: i32,
    pub inputs: i32,
    pub errors: i32,
    pub custom_events: i32,
    pub rage_clicks: i32,
    pub dead_clicks: i32,
    pub windows: i32,
    pub events: i64,
    pub entry_url: String,
    pub exit_url: String,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub os_version: String,
    pub device_type: String,
    /// The device's screen (`screen.width/height`) in CSS pixels; 0 when the recorder did not
    /// send it.
    pub screen_width: i32,
    pub screen_height: i32,
    /// The page's viewport (the rrweb Meta size) in CSS pixels; 0 when unknown.
    pub viewport_width: i32,
    pub viewport_height: i32,
    pub closed: bool,
    /// The base score plus recency, to one decimal.
    pub score: f64,
}

/// A value that a shared session leaves out; `null` when shown but absent.
#[derive(Debug, Clone, PartialEq)]
pub enum Hidden<T> {
    Shown(Option<T>),
    Hidden,
}

impl<T> Hidden<T> {
    fn is_hidden(&self) -> bool {
        matches!(self, Hidden::Hidden)
    }
}

impl<T: Serialize> Serialize for Hidden<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Hidden::Shown(value) => value.serialize(serializer),
            Hidden::Hidden => serializer.serialize_none(),
        }
    }
}

impl SessionFields {
    /// The view of `row` with its `score` at query time.
    pub fn of(row: &SessionRow, score: f64) -> Self {
        let duration_ms = (row.end_ms - row.start_ms).max(0);
        let user_id = if row.user_id.is_empty() { None } else { Some(row.user_id.clone()) };
        let traits = crate::sessions::parse_json(&row.user_traits_json);
        SessionFields {
            session_id: row.session_id.clone(),
            project_id: row.project_id.clone(),
            user_id: Hidden::Shown(user_id),
            user_traits: Hidden::Shown(Some(traits).filter(|traits| !traits.is_null())),
            start_time: row.start_ms,
            end_time: row.end_ms,
            duration_ms,
            active_ms: row.active_ms.min(duration_ms),
            inactive_ms: (duration_ms - row.active_ms).max(0),
            page_views: row.page_views,
            clicks: row.clicks,
            inputs: row.inputs,
            errors: row.errors,
            custom_events: row.custom_events,
            rage_clicks: row.rage_clicks,
            dead_clicks: row.dead_clicks,
            windows: row.windows,
            events: row.events,
            entry_url: row.entry_url.clone(),
            exit_url: row.exit_url.clone(),
            browser: row.browser.clone(),
            browser_version: row.browser_version.clone(),
            os: row.os.clone(),
            os_version: row.os_version.clone(),
            device_type: row.device_type.clone(),
            screen_width: row.screen_width,
            screen_height: row.screen_height,
            viewport_width: row.viewport_width,
            viewport_height: row.viewport_height,
            closed: row.closed,
            score: (score * 10.0).round() / 10.0,
        }
    }
}

/// A transcript event reduced to its time and kind, for the list's timeline bars.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Mark {
    /// ms since the session's start.
    pub offset_ms: i64,
    pub kind: EventKind,
}

/// A session of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SessionSummary {
    #[serde(flatten)]
    pub fields: SessionFields,
    /// At most 200, evenly thinned.
    pub marks: Vec<Mark>,
}

/// A page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SessionPage {
    pub sessions: Vec<SessionSummary>,
    /// `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Who the visitor of a session is, across their sessions.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SessionUser {
    pub user_id: String,
    /// This session's place among the user's sessions by start time, from 1.
    pub session_number: usize,
    pub session_count: usize,
    /// ms UTC.
    pub first_seen: i64,
}

/// One session with its pages, event names, score breakdown and user.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SessionDetail {
    #[serde(flatten)]
    pub fields: SessionFields,
    pub urls: Vec<String>,
    pub event_names: Vec<String>,
    /// The stored factors, then recency as of the request.
    pub score_breakdown: Vec<Factor>,
    /// `null` for an anonymous visitor; left out of a shared session.
    #[serde(skip_serializing_if = "Hidden::is_hidden")]
    #[schema(value_type = Option<SessionUser>)]
    pub user: Hidden<SessionUser>,
}

/// A session like another one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SimilarSession {
    #[serde(flatten)]
    pub fields: SessionFields,
    /// 0 to 1, to three decimals.
    pub similarity: f64,
    pub reasons: Vec<String>,
}

/// The sessions most like one session, most alike first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SimilarSessions {
    pub sessions: Vec<SimilarSession>,
}

/// One transcript event.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TranscriptEvent {
    /// Server time, ms UTC.
    pub ts: i64,
    /// ms since the session's start.
    pub offset_ms: i64,
    pub window_id: String,
    pub kind: EventKind,
    /// What happened, in words: `Clicked "Password" field`, `Changed "Plan"`,
    /// `Viewed "Checkout · Demo shop"`, `Identified as ada@example.com` (docs/transcript.md).
    pub title: String,
    pub url: String,
    /// The custom event's name, or the exception's message.
    pub name: String,
    /// A description of the element, such as `button "Save"`.
    pub target: String,
    /// Custom event properties or exception details; for clicks and inputs the element's
    /// `label` and `element` kind, for page views the `page_title`, for identify the `user_id`.
    pub props: Value,
}

/// A session's transcript in time order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Transcript {
    pub events: Vec<TranscriptEvent>,
}

#[cfg(test)]
mod tests {
    use playback_warehouse::Table;

    use super::*;

    /// The session row's columns that the API serves under another name or not at all, and why.
    const NOT_SERVED_AS_IS: [(&str, &str); 10] = [
        ("version", "internal: the sessionizer's version"),
        ("start_ms", "served as start_time"),
        ("end_ms", "served as end_time"),
        ("user_traits_json", "served parsed, as user_traits"),
        ("urls_json", "served parsed, as urls"),
        ("event_names_json", "served parsed, as event_names"),
        ("base_score", "served with recency, as score"),
        ("score_breakdown_json", "served parsed with recency, as score_breakdown"),
        ("signature_json", "internal: used by the similar sessions"),
        ("updated_at_ms", "internal: picks the newest version"),
    ];

    /// The property names of a derived schema, with those of the schemas it is made of.
    fn properties(name: &str) -> Vec<String> {
        let document = crate::openapi::document();
        let schema = &document["components"]["schemas"][name];
        let mut names: Vec<String> = Vec::new();
        let parts = schema["allOf"].as_array().cloned().unwrap_or_else(|| vec![schema.clone()]);
        for part in parts {
            let part = match part["$ref"].as_str() {
                Some(reference) => {
                    document["components"]["schemas"][reference.trim_start_matches("#/components/schemas/")].clone()
                }
                None => part,
            };
            names.extend(part["properties"].as_object().into_iter().flatten().map(|(key, _)| key.clone()));
        }
        names
    }

    /// A column added to the session row is served (and so in web/openapi.json and the
    /// generated TypeScript), or listed above with the reason it is not.
    #[test]
    fn every_session_column_is_served_or_listed_as_not() {
        let served = properties("SessionDetail");
        for column in SessionRow::COLUMNS {
            let listed = NOT_SERVED_AS_IS.iter().any(|(name, _)| *name == column.name);
            assert!(
                listed || served.iter().any(|property| property == column.name),
                "the session column {} is neither in the SessionDetail schema nor in NOT_SERVED_AS_IS",
                column.name
            );
            assert!(!(listed && served.iter().any(|property| property == column.name)), "{} is served", column.name);
        }
        for (name, _) in NOT_SERVED_AS_IS {
            assert!(SessionRow::COLUMNS.iter().any(|column| column.name == name), "{name} is no column");
        }
    }

    #[test]
    fn a_shared_session_leaves_out_the_user() {
        let row =
            SessionRow { user_id: "ada".into(), user_traits_json: r#"{"plan":"pro"}"#.into(), ..SessionRow::default() };
        let mut fields = SessionFields::of(&row, 1.0);
        let shown = serde_json::to_value(&fields).unwrap();
        assert_eq!((shown["user_id"].clone(), shown["user_traits"]["plan"].clone()), ("ada".into(), "pro".into()));
        fields.user_id = Hidden::Hidden;
        fields.user_traits = Hidden::Hidden;
        let hidden = serde_json::to_value(&fields).unwrap();
        assert!(hidden.get("user_id").is_none() && hidden.get("user_traits").is_none(), "{hidden}");
    }
}

/// The caller's project as its recorders know it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProjectInfo {
    pub project_id: String,
    /// The key a recorder sends (`data-key`); `null` when no project of the config has this id.
    pub public_key: Option<String>,
    /// Where recorders send batches and load `/recorder.js` (`query.ingest_url`); `null` when
    /// not configured, which means the UI's own origin (as with `playback up`).
    pub ingest_url: Option<String>,
}

/// One asset URL a session's pages use, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AssetEntry {
    /// The absolute URL, resolved against the page's base URL.
    pub url: String,
    /// `archived`, `failed`, `refused` (by the SSRF guard or the project's origin rules) or
    /// `pending` (seen, not fetched yet).
    pub status: String,
    /// SHA-256 of the copy, lowercase hex: load it from the listing's `base` + `hash`. Empty
    /// unless archived.
    pub hash: String,
    /// The copy's media type; empty unless archived.
    pub content_type: String,
    /// The copy's size; 0 unless archived.
    pub bytes: i64,
    /// Why it is not archived, such as `403 from cdn.example.com`; empty when archived.
    pub error: String,
}

/// A session's assets.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AssetListing {
    /// The path under which this listing's copies load, without credentials: it carries its own
    /// capability for this session's assets only.
    pub base: String,
    /// By URL. Empty when the asset stage did not run for the session.
    pub assets: Vec<AssetEntry>,
}

/// What `DELETE /v1/sessions/{id}` or `DELETE /v1/users/{id}` removed, store by store, and
/// what is not gone yet (docs/guarantees.md, "Deletion").
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeletionReceipt {
    pub project_id: String,
    /// The user whose sessions these were; `null` for the deletion of one session.
    pub user_id: Option<String>,
    /// Every session deleted.
    pub session_ids: Vec<String>,
    /// Counted only, nothing removed (`playback delete --dry-run`).
    pub dry_run: bool,
    pub warehouse: WarehouseRemoved,
    pub blobs: BlobsRemoved,
    pub log: LogRemoved,
    /// What is not gone yet, and when it will be; empty when everything is gone.
    pub pending: Vec<PendingRemoval>,
}

/// Rows removed from the warehouse, each identity once (a session's versions count once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
pub struct WarehouseRemoved {
    /// Session rows; the user card is made of them.
    pub sessions: u64,
    /// Transcript rows.
    pub events: u64,
    /// Recording chunk rows.
    pub chunks: u64,
    pub notes: u64,
    pub shares: u64,
    pub session_assets: u64,
}

/// Objects removed from blob storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
pub struct BlobsRemoved {
    /// Recording chunks.
    pub chunk_blobs: u64,
    /// The sessions' data keys (`keys/{project}/{session}/…`): what is still stored elsewhere
    /// under them can no longer be decrypted.
    pub keys: u64,
}

/// What the event log removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
pub struct LogRemoved {
    /// Records with the sessions' keys, on every topic (0 on Kafka, which cannot remove them).
    pub log_records: u64,
    /// Tombstones published on the sessionizer's changelog, one per session, on a log that
    /// cannot remove its records (Kafka); 0 where the records themselves were removed.
    pub changelog_tombstones: u64,
}

/// Something of the deleted sessions that is not gone yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PendingRemoval {
    /// `kafka_raw_batches`, `kafka_session_updates`, `kafka_changelog` or `clickhouse_mutations`.
    pub store: String,
    /// Its state now, such as `unreadable now` or `in progress`.
    pub state: String,
    /// When it will be gone, such as `by the topic's retention.ms`.
    pub gone_by: String,
}
