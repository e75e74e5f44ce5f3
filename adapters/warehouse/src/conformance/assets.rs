//! The checks of the asset tables: `assets` keyed by `(project, url)` and versioned,
//! `session_assets` keyed by `(project, session, url)`.

use crate::{AssetRow, AssetStatus, SessionAsset, SessionAssetRow, Warehouse};

/// The SHA-256 hex of some bytes, made up from one character.
fn hash(of: char) -> String {
    of.to_string().repeat(64)
}

/// An archived copy of `url` with the bytes `hash`, fetched at `version`.
fn archived(project_id: &str, url: &str, hash: &str, version: i64) -> AssetRow {
    AssetRow {
        project_id: project_id.into(),
        url: url.into(),
        hash: hash.into(),
        content_type: "text/css".into(),
        bytes: 2_048,
        fetched_at_ms: version,
        status: AssetStatus::Archived,
        error: String::new(),
        version,
    }
}

/// A fetch of `url` at `version` that ended with `status` and `error`.
fn not_archived(project_id: &str, url: &str, status: AssetStatus, error: &str, version: i64) -> AssetRow {
    AssetRow {
        project_id: project_id.into(),
        url: url.into(),
        hash: String::new(),
        content_type: String::new(),
        bytes: 0,
        fetched_at_ms: version,
        status,
        error: error.into(),
        version,
    }
}

fn used(project_id: &str, session_id: &str, url: &str, first_seen_ms: i64) -> SessionAssetRow {
    SessionAssetRow { project_id: project_id.into(), session_id: session_id.into(), url: url.into(), first_seen_ms }
}

/// The latest rows of `urls`, by URL.
async fn latest(warehouse: &dyn Warehouse, project_id: &str, urls: &[&str]) -> Vec<AssetRow> {
    let urls: Vec<String> = urls.iter().map(|url| url.to_string()).collect();
    let mut rows = warehouse.assets(project_id, &urls).await.expect("read assets");
    rows.sort_by(|a, b| a.url.cmp(&b.url));
    rows
}

/// An older fetch never replaces a newer one; at an equal version the later write wins.
pub async fn asset_upsert_keeps_the_highest_version(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-asset-versions");
    let url = "https://cdn.example.com/site.css";
    warehouse.upsert_assets(Vec::new()).await.expect("nothing to upsert");
    let newer = archived(&project, url, &hash('b'), 2_000);
    warehouse.upsert_assets(vec![newer.clone()]).await.expect("upsert");
    let older = not_archived(&project, url, AssetStatus::Failed, "403 from cdn.example.com", 1_000);
    warehouse.upsert_assets(vec![older]).await.expect("upsert an older fetch");
    assert_eq!(latest(warehouse, &project, &[url]).await, vec![newer], "the older fetch is ignored");

    let refused =
        not_archived(&project, url, AssetStatus::Refused, "refused: origin https://cdn.example.com is denied", 3_000);
    warehouse.upsert_assets(vec![refused]).await.expect("upsert a newer fetch");
    let timed_out =
        not_archived(&project, url, AssetStatus::Failed, "timed out after 10 s from cdn.example.com", 3_000);
    warehouse.upsert_assets(vec![timed_out.clone()]).await.expect("upsert at the same version");
    assert_eq!(latest(warehouse, &project, &[url]).await, vec![timed_out], "the later write of a version wins");
}

/// `assets` returns the latest row of each requested URL that has one, once, and nothing of
/// the URLs not asked for or of another project.
pub async fn assets_are_read_by_url(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-asset-urls");
    let other_project = format!("{unique}-asset-urls-other");
    let css = "https://cdn.example.com/site.css";
    let font = "https://cdn.example.com/fonts/inter.woff2?v=4";
    let logo = "https://example.com/logo.png";
    warehouse
        .upsert_assets(vec![
            archived(&project, css, &hash('a'), 1_000),
            not_archived(&project, font, AssetStatus::Failed, "connection failed to cdn.example.com", 1_000),
            archived(&project, logo, &hash('c'), 1_000),
            archived(&other_project, css, &hash('d'), 9_000),
        ])
        .await
        .expect("upsert");
    let font_archived = AssetRow { content_type: "font/woff2".into(), ..archived(&project, font, &hash('e'), 2_000) };
    warehouse.upsert_assets(vec![font_archived.clone()]).await.expect("refetch the font");

    let missing = "https://cdn.example.com/missing.css";
    let rows = latest(warehouse, &project, &[font, css, missing, font]).await;
    assert_eq!(rows, vec![font_archived, archived(&project, css, &hash('a'), 1_000)], "requested URLs only, once each");
    assert!(latest(warehouse, &project, &[]).await.is_empty());
    assert!(latest(warehouse, &format!("{unique}-asset-urls-none"), &[css]).await.is_empty());
    assert_eq!(
        latest(warehouse, &other_project, &[css, logo]).await,
        vec![archived(&other_project, css, &hash('d'), 9_000)]
    );
}

/// `asset_by_hash` finds the latest archived fetch with those bytes: not a URL whose latest
/// fetch failed or holds other bytes, and nothing of another project.
pub async fn assets_are_found_by_hash(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-asset-hashes");
    let other_project = format!("{unique}-asset-hashes-other");
    let shared = hash('a');
    let first = archived(&project, "https://cdn.example.com/a.css", &shared, 5_000);
    // The same bytes under another URL, fetched later.
    let copy = archived(&project, "https://example.com/static/a.css", &shared, 7_000);
    let gone = archived(&project, "https://cdn.example.com/gone.png", &hash('b'), 1_000);
    let changed = archived(&project, "https://cdn.example.com/changed.png", &hash('c'), 1_000);
    warehouse.upsert_assets(vec![first, copy.clone(), gone.clone(), changed.clone()]).await.expect("upsert");
    warehouse
        .upsert_assets(vec![
            not_archived(&project, &gone.url, AssetStatus::Failed, "403 from cdn.example.com", 2_000),
            archived(&project, &changed.url, &hash('d'), 2_000),
            archived(&other_project, "https://other.example/x.css", &hash('e'), 1_000),
        ])
        .await
        .expect("upsert newer fetches");
    // A failed row that carries a hash is not an archived copy either.
    let failed_with_hash = AssetRow {
        hash: hash('f'),
        ..not_archived(&project, "https://cdn.example.com/f.css", AssetStatus::Failed, "too large: over 20 MiB", 1_000)
    };
    warehouse.upsert_assets(vec![failed_with_hash]).await.expect("upsert a failure");

    let by_hash = |project_id: String, hash: String| async move {
        warehouse.asset_by_hash(&project_id, &hash).await.expect("read by hash")
    };
    assert_eq!(by_hash(project.clone(), shared.clone()).await, Some(copy), "the newest URL with those bytes");
    assert_eq!(by_hash(project.clone(), hash('b')).await, None, "the URL's latest fetch failed");
    assert_eq!(by_hash(project.clone(), hash('c')).await, None, "the URL's latest fetch has other bytes");
    assert_eq!(by_hash(project.clone(), hash('d')).await.map(|row| row.url), Some(changed.url));
    assert_eq!(by_hash(project.clone(), hash('e')).await, None, "another project's bytes");
    assert_eq!(by_hash(project.clone(), hash('f')).await, None, "a failed fetch");
    assert_eq!(by_hash(project.clone(), String::new()).await, None);
    assert_eq!(by_hash(other_project, shared).await, None);
}

/// Recording a session's URL again keeps its earliest sighting.
pub async fn session_assets_keep_the_earliest_sighting(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-session-asset-sightings");
    let css = "https://cdn.example.com/site.css";
    let font = "https://cdn.example.com/inter.woff2";
    warehouse.insert_session_assets(Vec::new()).await.expect("nothing to insert");
    let first = vec![used(&project, "s1", css, 1_000), used(&project, "s1", font, 3_000)];
    warehouse.insert_session_assets(first.clone()).await.expect("insert");
    warehouse.insert_session_assets(first).await.expect("insert the same rows again");
    warehouse
        .insert_session_assets(vec![used(&project, "s1", css, 2_000), used(&project, "s1", font, 2_500)])
        .await
        .expect("insert other sightings");
    let stored = warehouse.session_assets(&project, "s1").await.expect("read");
    let seen: Vec<(&str, i64)> = stored.iter().map(|asset| (asset.url.as_str(), asset.first_seen_ms)).collect();
    assert_eq!(seen, vec![(font, 2_500), (css, 1_000)], "one row per URL, with its earliest sighting");
}

/// A session's assets are its URLs only, by URL, each with the latest fetch of that URL in the
/// same project, or none while it is pending.
pub async fn session_assets_join_their_latest_fetch(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-session-assets");
    let other_project = format!("{unique}-session-assets-other");
    let css = "https://cdn.example.com/site.css";
    let font = "https://cdn.example.com/inter.woff2";
    let pending = "https://example.com/hero.jpg";
    let elsewhere = "https://example.com/only-in-s2.png";
    warehouse
        .insert_session_assets(vec![
            used(&project, "s1", pending, 1_200),
            used(&project, "s1", css, 1_000),
            used(&project, "s1", font, 1_100),
            used(&project, "s2", elsewhere, 1_000),
            used(&other_project, "s1", "https://other.example/x.css", 1_000),
        ])
        .await
        .expect("insert");
    let css_row = archived(&project, css, &hash('a'), 2_000);
    let font_row = not_archived(&project, font, AssetStatus::Failed, "403 from cdn.example.com", 2_000);
    warehouse
        .upsert_assets(vec![
            archived(&project, css, &hash('9'), 1_500),
            css_row.clone(),
            font_row.clone(),
            archived(&project, elsewhere, &hash('b'), 2_000),
            // The pending URL has a copy only in another project.
            archived(&other_project, pending, &hash('c'), 2_000),
        ])
        .await
        .expect("upsert");
    let stored = warehouse.session_assets(&project, "s1").await.expect("read");
    let expected = vec![
        SessionAsset { url: font.into(), first_seen_ms: 1_100, asset: Some(font_row) },
        SessionAsset { url: css.into(), first_seen_ms: 1_000, asset: Some(css_row) },
        SessionAsset { url: pending.into(), first_seen_ms: 1_200, asset: None },
    ];
    assert_eq!(stored, expected, "by URL, the latest fetch of the same project, pending without one");
    assert!(warehouse.session_assets(&project, "s3").await.expect("read").is_empty());
    assert!(warehouse.session_assets(&format!("{unique}-session-assets-none"), "s1").await.expect("read").is_empty());
}
