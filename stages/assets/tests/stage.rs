//! The asset stage end to end on the embedded log and blob directory, against a local site on
//! 127.0.0.1 (listed in `allowed_origins`): a recording's stylesheet, its import, fonts and
//! images are stored, the stylesheet rewritten to their hashes; a 404 and a metadata address
//! are recorded with their reasons; nested URLs are recorded for every session that uses the
//! stylesheet; a redelivered batch changes nothing.
//!
//! It runs on an in-memory warehouse and on `SqliteWarehouse`.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use playback_assets::{asset_key, sha256_hex, AssetStage, AssetsConfig, ProjectAssetsConfig, GROUP};
use playback_blobs::{BlobStore, LocalDir};
use playback_log::embedded::{committed_offsets, SqliteLog};
use playback_log::{EventLog, Topic};
use playback_schemas::{session_key, AvroMessage, Device, RawBatch};
use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::{
    AssetRow, AssetStatus, ChunkRow, EventRow, Mark, NoteRow, SavedFilterRow, SessionAsset, SessionAssetRow,
    SessionHit, SessionQuery, SessionRow, ShareRow, UserSession, Warehouse, WarehouseError,
};

const SITE_CSS: &str = "@import \"theme.css\";\n\
body { background: url(../img/bg.png) }\n\
@font-face { font-family: A; src: url('/fonts/a.woff2') format(\"woff2\") }\n\
.gone { background: url(/missing.png) }\n\
.inline { background: url(data:image/png;base64,AAAA) }\n\
.sprite { mask: url(/img/sprite.svg#cart) }\n";
const THEME_CSS: &str = ".t { background: url(\"/img/t.png\") } @import url(\"/css/site.css\");";

/// The site's requests, by path.
#[derive(Default)]
struct Hits(Mutex<HashMap<String, usize>>);

impl Hits {
    fn total(&self) -> usize {
        self.0.lock().unwrap().values().sum()
    }
}

async fn site() -> (SocketAddr, Arc<Hits>) {
    async fn serve(UrlPath(path): UrlPath<String>, State(hits): State<Arc<Hits>>) -> Response {
        *hits.0.lock().unwrap().entry(path.clone()).or_default() += 1;
        let body = |kind: &'static str, body: Vec<u8>| ([(header::CONTENT_TYPE, kind)], body).into_response();
        match path.as_str() {
            "css/site.css" => body("text/css; charset=utf-8", SITE_CSS.into()),
            "css/theme.css" => body("text/css", THEME_CSS.into()),
            "img/bg.png" => body("image/png", b"bg-png".to_vec()),
            "img/t.png" => body("image/png", b"t-png".to_vec()),
            "img/sprite.svg" => body("image/svg+xml", b"<svg/>".to_vec()),
            "shop/logo.png" => body("image/png", b"logo-png".to_vec()),
            "shop/late.png" => body("image/png", b"late-png".to_vec()),
            "fonts/a.woff2" => body("font/woff2", b"wOF2-a".to_vec()),
            // A chain of imports: d/0.css imports d/1.css, which imports d/2.css...
            chain if chain.starts_with("d/") && chain.ends_with(".css") => {
                let level: u32 = chain["d/".len()..chain.len() - ".css".len()].parse().unwrap_or(0);
                let css = format!("@import \"{}.css\";\n.i{level} {{ background: url(img{level}.png) }}\n", level + 1);
                body("text/css", css.into_bytes())
            }
            image if image.starts_with("d/img") => body("image/png", image.as_bytes().to_vec()),
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    }
    let hits = Arc::new(Hits::default());
    let router = Router::new().route("/{*path}", get(serve)).with_state(Arc::clone(&hits));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (addr, hits)
}

fn batch(project_id: &str, session_id: &str, seq: i64, events: String, received_at_ms: i64) -> RawBatch {
    RawBatch {
        project_id: project_id.into(),
        session_id: session_id.into(),
        window_id: "w1".into(),
        seq,
        client_sent_at_ms: received_at_ms,
        received_at_ms,
        clock_offset_ms: 0,
        user: None,
        device: Device::default(),
        event_count: 2,
        events_json: events.into_bytes(),
    }
}

/// Meta + FullSnapshot of the shop page at `origin`.
fn page(origin: &str) -> String {
    format!(
        r#"[{{"type":4,"data":{{"href":"{origin}/shop/","width":1280,"height":800}},"timestamp":1000}},
{{"type":2,"data":{{"node":{{"type":0,"id":1,"childNodes":[{{"type":2,"tagName":"html","attributes":{{}},"id":2,"childNodes":[
 {{"type":2,"tagName":"head","attributes":{{}},"id":3,"childNodes":[
  {{"type":2,"tagName":"link","attributes":{{"rel":"stylesheet","href":"{origin}/css/site.css"}},"childNodes":[],"id":4}}]}},
 {{"type":2,"tagName":"body","attributes":{{}},"id":5,"childNodes":[
  {{"type":2,"tagName":"img","attributes":{{"src":"logo.png"}},"childNodes":[],"id":6}},
  {{"type":2,"tagName":"img","attributes":{{"src":"http://169.254.169.254/latest/x.png"}},"childNodes":[],"id":7}},
  {{"type":2,"tagName":"div","attributes":{{"style":"background: url({origin}/img/bg.png)"}},"childNodes":[],"id":8}}]}}]}}]}},"initialOffset":{{"left":0,"top":0}}}},"timestamp":1001}}]"#
    )
}

/// A later batch of the same tab: a mutation adds another image.
fn later(origin: &str) -> String {
    format!(
        r#"[{{"type":3,"data":{{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[{{"parentId":5,"nextId":null,"node":{{"type":2,"tagName":"img","attributes":{{"src":"{origin}/shop/late.png"}},"childNodes":[],"id":9}}}}]}},"timestamp":2000}}]"#
    )
}

/// A session's URL, when it was first seen, and its status and error once fetched.
type Used = (String, i64, Option<(AssetStatus, String)>);

struct World {
    log: Arc<SqliteLog>,
    log_path: std::path::PathBuf,
    blobs: Arc<LocalDir>,
    published: i64,
}

impl World {
    async fn publish(&mut self, batch: RawBatch) {
        let key = session_key(&batch.project_id, &batch.session_id);
        self.log.publish(Topic::RawBatches, key.as_bytes(), batch.encode().unwrap()).await.unwrap();
        self.published += 1;
    }

    async fn publish_raw(&mut self, key: &str, value: Vec<u8>) {
        self.log.publish(Topic::RawBatches, key.as_bytes(), value).await.unwrap();
        self.published += 1;
    }

    /// Waits until the stage committed everything published.
    async fn settled(&self) {
        for _ in 0..600 {
            let committed = committed_offsets(&self.log_path, GROUP, Topic::RawBatches).unwrap();
            if committed.iter().map(|(_, next)| next).sum::<i64>() == self.published {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the asset stage did not commit {} records", self.published);
    }
}

async fn stage_end_to_end(warehouse: Arc<dyn Warehouse>, dir: &Path) {
    let (addr, hits) = site().await;
    let origin = format!("http://{addr}");
    warehouse.migrate().await.unwrap();
    let log_path = dir.join("log.sqlite");
    let log = Arc::new(SqliteLog::open(&log_path, 2).unwrap());
    let blobs = Arc::new(LocalDir::open(dir.join("blobs")).unwrap());
    let config = AssetsConfig {
        allowed_origins: vec![origin.clone()],
        timeout_ms: 5_000,
        retries: 0,
        projects: BTreeMap::from([(
            "quiet".to_string(),
            ProjectAssetsConfig { enabled: Some(false), ..ProjectAssetsConfig::default() },
        )]),
        ..AssetsConfig::default()
    };
    let stage = AssetStage { log: log.clone(), warehouse: warehouse.clone(), blobs: blobs.clone(), config };
    let task = tokio::spawn(stage.run());
    let mut world = World { log, log_path, blobs, published: 0 };

    let (first, second) = ("0190a6f0-0000-7000-8000-00000000000a", "0190a6f0-0000-7000-8000-00000000000b");
    world.publish(batch("demo", first, 0, page(&origin), 1_764_000_000_000)).await;
    world.publish_raw(&session_key("demo", first), b"not avro".to_vec()).await;
    world.publish(batch("demo", first, 1, "{\"not\": \"an array\"}".into(), 1_764_000_000_500)).await;
    world.publish(batch("demo", first, 2, later(&origin), 1_764_000_001_000)).await;
    world.publish(batch("quiet", first, 0, page(&origin), 1_764_000_000_000)).await;
    world.settled().await;
    let dropped = playback_runtime::metrics::RECORDS_DROPPED.with_label_values(&[
        GROUP,
        "playback.raw-batches",
        "unreadable_events",
    ]);
    assert!(dropped.get() >= 1, "the batch whose events are not an array was dropped with its reason");

    let url = |path: &str| format!("{origin}{path}");
    let used = warehouse.session_assets("demo", first).await.unwrap();
    let summary: Vec<Used> = used
        .iter()
        .map(|used| {
            (used.url.clone(), used.first_seen_ms, used.asset.as_ref().map(|row| (row.status, row.error.clone())))
        })
        .collect();
    let archived = |path: &str, seen: i64| (url(path), seen, Some((AssetStatus::Archived, String::new())));
    let mut expected = vec![
        (
            "http://169.254.169.254/latest/x.png".to_string(),
            1_764_000_000_000,
            Some((AssetStatus::Refused, "refused: 169.254.169.254 is a link-local address".to_string())),
        ),
        archived("/css/site.css", 1_764_000_000_000),
        archived("/css/theme.css", 1_764_000_000_000),
        archived("/fonts/a.woff2", 1_764_000_000_000),
        archived("/img/bg.png", 1_764_000_000_000),
        archived("/img/sprite.svg", 1_764_000_000_000),
        archived("/img/t.png", 1_764_000_000_000),
        (url("/missing.png"), 1_764_000_000_000, Some((AssetStatus::Failed, "404 from 127.0.0.1".to_string()))),
        archived("/shop/late.png", 1_764_000_001_000),
        archived("/shop/logo.png", 1_764_000_000_000),
    ];
    expected.sort_by(|left, right| left.0.cmp(&right.0));
    assert_eq!(summary, expected);
    assert!(warehouse.session_assets("quiet", first).await.unwrap().is_empty(), "assets are off for quiet");

    // Every archived copy is stored under its hash; the stylesheets refer to their archived
    // targets by hash and to the rest by absolute URL.
    let rows: HashMap<String, AssetRow> =
        used.iter().filter_map(|used| used.asset.clone()).map(|row| (row.url.clone(), row)).collect();
    for row in rows.values().filter(|row| row.status == AssetStatus::Archived) {
        let stored = world.blobs.get(&asset_key("demo", &row.hash)).await.unwrap().unwrap();
        assert_eq!(sha256_hex(&stored), row.hash);
        assert_eq!(stored.len() as i64, row.bytes);
    }
    let hash = |path: &str| rows[&url(path)].hash.clone();
    assert_eq!(rows[&url("/fonts/a.woff2")].content_type, "font/woff2");
    assert_eq!(rows[&url("/css/site.css")].content_type, "text/css");
    let site_css = world.blobs.get(&asset_key("demo", &hash("/css/site.css"))).await.unwrap().unwrap();
    let expected_css = format!(
        "@import url(\"{theme}\");\n\
body {{ background: url(\"{bg}\") }}\n\
@font-face {{ font-family: A; src: url(\"{font}\") format(\"woff2\") }}\n\
.gone {{ background: url(\"{origin}/missing.png\") }}\n\
.inline {{ background: url(data:image/png;base64,AAAA) }}\n\
.sprite {{ mask: url(\"{sprite}#cart\") }}\n",
        theme = hash("/css/theme.css"),
        bg = hash("/img/bg.png"),
        font = hash("/fonts/a.woff2"),
        sprite = hash("/img/sprite.svg"),
    );
    assert_eq!(String::from_utf8(site_css).unwrap(), expected_css);
    // The import cycle back to site.css keeps its absolute URL.
    let theme_css = world.blobs.get(&asset_key("demo", &hash("/css/theme.css"))).await.unwrap().unwrap();
    assert_eq!(
        String::from_utf8(theme_css).unwrap(),
        format!(".t {{ background: url(\"{}\") }} @import url(\"{origin}/css/site.css\");", hash("/img/t.png"))
    );
    let fetched_once = hits.total();
    assert_eq!(fetched_once, 9, "each URL fetched once: {:?}", hits.0.lock().unwrap());

    // A second session with the same page: nothing is fetched again, and the stylesheet's
    // nested URLs are recorded for it too.
    world.publish(batch("demo", second, 0, page(&origin), 1_764_000_100_000)).await;
    // The first batch again (a redelivery).
    world.publish(batch("demo", first, 0, page(&origin), 1_764_000_000_000)).await;
    world.settled().await;
    assert_eq!(hits.total(), fetched_once);
    let second_urls: Vec<String> =
        warehouse.session_assets("demo", second).await.unwrap().into_iter().map(|used| used.url).collect();
    let page_urls: Vec<String> =
        expected.iter().map(|(url, _, _)| url.clone()).filter(|used| !used.ends_with("/late.png")).collect();
    assert_eq!(second_urls, page_urls);
    let again = warehouse.session_assets("demo", first).await.unwrap();
    assert_eq!(again, used, "a redelivered batch changes nothing");
    task.abort();
}

/// Imports past `max_import_depth` are not followed and keep their absolute URL; a row older
/// than `refresh_ms` is fetched again, a fresh one (even a failure) is not.
async fn depth_and_refresh(warehouse: Arc<dyn Warehouse>, dir: &Path) {
    let (addr, hits) = site().await;
    let origin = format!("http://{addr}");
    warehouse.migrate().await.unwrap();
    let url = |path: &str| format!("{origin}{path}");
    let held = |path: &str, fetched_at_ms: i64, status: AssetStatus, error: &str| AssetRow {
        project_id: "demo".into(),
        url: url(path),
        hash: if status == AssetStatus::Archived { "0".repeat(64) } else { String::new() },
        content_type: if status == AssetStatus::Archived { "image/png".into() } else { String::new() },
        bytes: 0,
        fetched_at_ms,
        status,
        error: error.into(),
        version: fetched_at_ms,
    };
    let now = playback_schemas::now_ms();
    warehouse
        .upsert_assets(vec![
            held("/d/img0.png", now - 2 * 86_400_000, AssetStatus::Archived, ""),
            held("/d/img1.png", now, AssetStatus::Failed, "403 from 127.0.0.1"),
        ])
        .await
        .unwrap();
    let log_path = dir.join("log.sqlite");
    let log = Arc::new(SqliteLog::open(&log_path, 1).unwrap());
    let blobs = Arc::new(LocalDir::open(dir.join("blobs")).unwrap());
    let config = AssetsConfig {
        allowed_origins: vec![origin.clone()],
        max_import_depth: 1,
        retries: 0,
        ..AssetsConfig::default()
    };
    let stage = AssetStage { log: log.clone(), warehouse: warehouse.clone(), blobs: blobs.clone(), config };
    let task = tokio::spawn(stage.run());
    let mut world = World { log, log_path, blobs, published: 0 };
    let events = format!(
        r#"[{{"type":4,"data":{{"href":"{origin}/d/","width":800,"height":600}},"timestamp":1}},
{{"type":3,"data":{{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[{{"parentId":1,"nextId":null,
"node":{{"type":2,"tagName":"link","attributes":{{"rel":"stylesheet","href":"0.css"}},"childNodes":[],"id":9}}}}]}},"timestamp":2}}]"#
    );
    let session = "0190a6f0-0000-7000-8000-00000000000c";
    world.publish(batch("demo", session, 0, events, 1_764_000_000_000)).await;
    world.settled().await;

    let used = warehouse.session_assets("demo", session).await.unwrap();
    let rows: BTreeMap<String, AssetRow> =
        used.iter().map(|used| (used.url.clone(), used.asset.clone().unwrap())).collect();
    assert_eq!(
        rows.keys().cloned().collect::<Vec<_>>(),
        vec![url("/d/0.css"), url("/d/1.css"), url("/d/img0.png"), url("/d/img1.png")]
    );
    let requested: BTreeMap<String, usize> = hits.0.lock().unwrap().clone().into_iter().collect();
    assert_eq!(
        requested,
        BTreeMap::from([("d/0.css".into(), 1), ("d/1.css".into(), 1), ("d/img0.png".into(), 1)]),
        "the stale row is fetched again, the fresh failure is not, 2.css is past the depth"
    );
    let img0 = &rows[&url("/d/img0.png")];
    assert_eq!((img0.status, img0.hash.clone()), (AssetStatus::Archived, sha256_hex(b"d/img0.png")));
    assert_eq!(rows[&url("/d/img1.png")].error, "403 from 127.0.0.1");
    let stored = |row: &AssetRow| {
        let blobs = world.blobs.clone();
        let key = asset_key("demo", &row.hash);
        async move { String::from_utf8(blobs.get(&key).await.unwrap().unwrap()).unwrap() }
    };
    assert_eq!(
        stored(&rows[&url("/d/0.css")]).await,
        format!("@import url(\"{}\");\n.i0 {{ background: url(\"{}\") }}\n", rows[&url("/d/1.css")].hash, img0.hash)
    );
    assert_eq!(
        stored(&rows[&url("/d/1.css")]).await,
        format!("@import url(\"{origin}/d/2.css\");\n.i1 {{ background: url(\"{origin}/d/img1.png\") }}\n")
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_and_refresh_on_an_in_memory_warehouse() {
    let dir = tempfile::tempdir().unwrap();
    depth_and_refresh(Arc::new(MemoryWarehouse::default()), dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_and_refresh_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    depth_and_refresh(sqlite_warehouse(dir.path()).await, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_end_to_end_on_an_in_memory_warehouse() {
    let dir = tempfile::tempdir().unwrap();
    stage_end_to_end(Arc::new(MemoryWarehouse::default()), dir.path()).await;
}

/// The same on SQLite: it needs the warehouse's asset tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_end_to_end_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    stage_end_to_end(sqlite_warehouse(dir.path()).await, dir.path()).await;
}

/// A migrated `SqliteWarehouse` in `dir`, checked to store assets.
async fn sqlite_warehouse(dir: &Path) -> Arc<dyn Warehouse> {
    let warehouse = Arc::new(SqliteWarehouse::open(&dir.join("warehouse.sqlite")).unwrap());
    warehouse.migrate().await.unwrap();
    if let Err(error) = warehouse.session_assets("demo", "probe").await {
        panic!("SqliteWarehouse does not store assets: {error}");
    }
    warehouse
}

/// The asset tables in memory, with the semantics of the trait: the highest version per
/// `(project, url)`, the first `session_assets` row per `(project, session, url)`. Everything
/// else is not stored.
#[derive(Default)]
struct MemoryWarehouse {
    assets: Mutex<BTreeMap<(String, String), AssetRow>>,
    session_assets: Mutex<BTreeMap<(String, String, String), SessionAssetRow>>,
}

fn not_stored<T>() -> Result<T, WarehouseError> {
    Err(WarehouseError::storage("not stored by the in-memory asset warehouse"))
}

#[async_trait]
impl Warehouse for MemoryWarehouse {
    async fn migrate(&self) -> Result<(), WarehouseError> {
        Ok(())
    }
    async fn insert_events(&self, _rows: Vec<EventRow>) -> Result<(), WarehouseError> {
        not_stored()
    }
    async fn upsert_sessions(&self, _rows: Vec<SessionRow>) -> Result<(), WarehouseError> {
        not_stored()
    }
    async fn insert_chunks(&self, _rows: Vec<ChunkRow>) -> Result<(), WarehouseError> {
        not_stored()
    }
    async fn delete_chunks(&self, _rows: Vec<ChunkRow>) -> Result<(), WarehouseError> {
        not_stored()
    }
    async fn list_sessions(&self, _query: &SessionQuery) -> Result<Vec<SessionHit>, WarehouseError> {
        not_stored()
    }
    async fn get_session(&self, _project: Option<&str>, _session: &str) -> Result<Option<SessionRow>, WarehouseError> {
        not_stored()
    }
    async fn session_events(&self, _project: &str, _session: &str) -> Result<Vec<EventRow>, WarehouseError> {
        not_stored()
    }
    async fn session_chunks(&self, _project: &str, _session: &str) -> Result<Vec<ChunkRow>, WarehouseError> {
        not_stored()
    }
    async fn session_marks(&self, _project: &str, _sessions: &[String]) -> Result<Vec<Mark>, WarehouseError> {
        not_stored()
    }
    async fn user_sessions(&self, _project: &str, _user: &str) -> Result<Vec<UserSession>, WarehouseError> {
        not_stored()
    }
    async fn upsert_notes(&self, _rows: Vec<NoteRow>) -> Result<(), WarehouseError> {
        not_stored()
    }
    async fn session_notes(&self, _project: &str, _session: &str) -> Result<Vec<NoteRow>, WarehouseError> {
        not_stored()
    }
    async fn upsert_saved_filters(&self, _rows: Vec<SavedFilterRow>) -> Result<(), WarehouseError> {
        not_stored()
    }
    async fn saved_filters(&self, _project: &str) -> Result<Vec<SavedFilterRow>, WarehouseError> {
        not_stored()
    }
    async fn upsert_shares(&self, _rows: Vec<ShareRow>) -> Result<(), WarehouseError> {
        not_stored()
    }
    async fn share(&self, _project: &str, _share: &str) -> Result<Option<ShareRow>, WarehouseError> {
        not_stored()
    }
    async fn session_shares(&self, _project: &str, _session: &str) -> Result<Vec<ShareRow>, WarehouseError> {
        not_stored()
    }

    async fn upsert_assets(&self, rows: Vec<AssetRow>) -> Result<(), WarehouseError> {
        let mut assets = self.assets.lock().unwrap();
        for row in rows {
            let key = (row.project_id.clone(), row.url.clone());
            match assets.get(&key) {
                Some(kept) if kept.version >= row.version => {}
                _ => {
                    assets.insert(key, row);
                }
            }
        }
        Ok(())
    }
    async fn assets(&self, project_id: &str, urls: &[String]) -> Result<Vec<AssetRow>, WarehouseError> {
        let assets = self.assets.lock().unwrap();
        Ok(urls.iter().filter_map(|url| assets.get(&(project_id.to_string(), url.clone())).cloned()).collect())
    }
    async fn asset_by_hash(&self, project_id: &str, hash: &str) -> Result<Option<AssetRow>, WarehouseError> {
        let assets = self.assets.lock().unwrap();
        let found = assets
            .values()
            .find(|row| row.project_id == project_id && row.hash == hash && row.status == AssetStatus::Archived);
        Ok(found.cloned())
    }
    async fn insert_session_assets(&self, rows: Vec<SessionAssetRow>) -> Result<(), WarehouseError> {
        let mut session_assets = self.session_assets.lock().unwrap();
        for row in rows {
            let key = (row.project_id.clone(), row.session_id.clone(), row.url.clone());
            session_assets.entry(key).or_insert(row);
        }
        Ok(())
    }
    async fn session_assets(&self, project_id: &str, session_id: &str) -> Result<Vec<SessionAsset>, WarehouseError> {
        let session_assets = self.session_assets.lock().unwrap();
        let assets = self.assets.lock().unwrap();
        Ok(session_assets
            .values()
            .filter(|row| row.project_id == project_id && row.session_id == session_id)
            .map(|row| SessionAsset {
                url: row.url.clone(),
                first_seen_ms: row.first_seen_ms,
                asset: assets.get(&(row.project_id.clone(), row.url.clone())).cloned(),
            })
            .collect())
    }
}
