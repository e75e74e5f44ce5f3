//! The asset tables: what became of each asset URL a project's recordings use, and which
//! sessions use which URLs.

use serde::{Deserialize, Serialize};

/// What became of fetching one asset URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    /// A copy is stored under `assets/{project}/{hash}`.
    Archived,
    /// The fetch failed: an HTTP status, a timeout, a size or content-type refusal.
    Failed,
    /// The URL was not fetched: the SSRF guard or the project's origin rules refused it.
    Refused,
}

impl AssetStatus {
    /// Every status.
    pub const ALL: [AssetStatus; 3] = [AssetStatus::Archived, AssetStatus::Failed, AssetStatus::Refused];

    /// The stored name, as serde writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            AssetStatus::Archived => "archived",
            AssetStatus::Failed => "failed",
            AssetStatus::Refused => "refused",
        }
    }

    /// The status stored as `name`, if it is one.
    pub fn from_name(name: &str) -> Option<AssetStatus> {
        AssetStatus::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

/// The latest fetch of one asset URL of a project. Upserts keep the highest `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRow {
    pub project_id: String,
    /// The absolute URL, as the WHATWG URL parser serialises it after resolving it against the
    /// document's base URL.
    pub url: String,
    /// Lowercase hex SHA-256 of the stored bytes (for a stylesheet, after its `url()`s were
    /// rewritten); empty unless `status` is [`AssetStatus::Archived`].
    pub hash: String,
    /// The response's media type, such as `text/css` or `font/woff2`; empty when not archived.
    pub content_type: String,
    /// Size of the stored bytes; 0 when not archived.
    pub bytes: i64,
    /// When the fetch finished, ms since the epoch.
    pub fetched_at_ms: i64,
    pub status: AssetStatus,
    /// Why it is not archived, for people: `403 from cdn.example.com`, `timed out after 10 s`,
    /// `refused: 10.0.0.7 is a private address`. Empty when archived.
    pub error: String,
    /// The writer's version, `fetched_at_ms` in practice: an upsert keeps the highest.
    pub version: i64,
}

/// One asset URL used by one session: by its DOM, its inline styles, or a stylesheet it loads.
/// Inserting the same `(project, session, url)` again changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAssetRow {
    pub project_id: String,
    pub session_id: String,
    pub url: String,
    /// Server time of the batch where the URL was first seen for this session, ms since the epoch.
    pub first_seen_ms: i64,
}

/// An asset URL a session uses, with the latest fetch of it when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionAsset {
    pub url: String,
    pub first_seen_ms: i64,
    /// `None` while the asset stage has not fetched it yet.
    pub asset: Option<AssetRow>,
}
