//! The asset stage on the runtime: per poll, read the batches' asset URLs, record them for
//! their sessions, fetch what is not held (or is stale), store the copies, record what became
//! of each fetch, then let the runtime commit.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use playback_blobs::{validate_key, BlobStore};
use playback_log::{EventLog, LogError, Topic};
use playback_runtime::metrics::{self as runtime_metrics, Sink};
use playback_runtime::{drop_record, retry, At, Commit, Decoded, DropReason, Poll, Stage, TopicOf, RAW_BATCHES};
use playback_schemas::asset::{asset_blob_key as asset_key, is_asset_hash};
use playback_schemas::{json, now_ms, RawBatch};
use playback_warehouse::{AssetRow, AssetStatus, SessionAssetRow, Warehouse};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use crate::bounded::Bounded;
use crate::collect::{collect, resolve, Collected, Window};
use crate::config::{AssetsConfig, ProjectAssetRules};
use crate::css::{self, RefKind};
use crate::failure::Failure;
use crate::fetch::Fetcher;
use crate::guard::{Guard, Resolver, SystemResolver};
use crate::metrics;

/// The consumer group of the asset stage.
pub const GROUP: &str = "assets";

/// Windows whose base URL and tracked elements are kept.
const MAX_WINDOWS: usize = 10_000;
/// `(project, session, url)` already recorded by this member, so later batches skip them.
const MAX_RECORDED: usize = 200_000;
/// Latest rows of URLs read or written recently.
const MAX_RECENT: usize = 50_000;
/// Stylesheets whose references are remembered.
const MAX_SHEETS: usize = 10_000;

/// The media type of stylesheets, whose references are followed and rewritten.
const CSS: &str = "text/css";

/// What the asset stage runs on.
pub struct AssetStage {
    pub log: Arc<dyn EventLog>,
    pub warehouse: Arc<dyn Warehouse>,
    pub blobs: Arc<dyn BlobStore>,
    pub config: AssetsConfig,
}

impl AssetStage {
    /// Runs until the task is dropped, resolving names with the system's resolver.
    pub async fn run(self) -> Result<(), LogError> {
        self.run_with_resolver(Arc::new(SystemResolver)).await
    }

    /// Runs until the task is dropped, resolving names with `resolver` (tests map names to
    /// addresses of their choice).
    pub async fn run_with_resolver(self, resolver: Arc<dyn Resolver>) -> Result<(), LogError> {
        let log = Arc::clone(&self.log);
        let fetcher = Arc::new(Fetcher::new(Guard::new(resolver), &self.config));
        let member = Running {
            warehouse: self.warehouse,
            blobs: self.blobs,
            config: self.config,
            fetcher,
            windows: Bounded::new(MAX_WINDOWS),
            recorded: Bounded::new(MAX_RECORDED),
            recent: Bounded::new(MAX_RECENT),
            sheets: Bounded::new(MAX_SHEETS),
        };
        playback_runtime::run(log.as_ref(), member).await
    }
}

type WindowKey = (String, String, String);
type ProjectUrl = (String, String);

/// A running member of the asset group: what the runtime drives.
pub(crate) struct Running {
    warehouse: Arc<dyn Warehouse>,
    blobs: Arc<dyn BlobStore>,
    config: AssetsConfig,
    fetcher: Arc<Fetcher>,
    windows: Bounded<WindowKey, Window>,
    recorded: Bounded<(String, String, String), ()>,
    recent: Bounded<ProjectUrl, AssetRow>,
    /// The references of stylesheets fetched: (kind, resolved target).
    sheets: Bounded<ProjectUrl, Vec<(RefKind, String)>>,
}

#[async_trait]
impl Stage for Running {
    const SINKS: &'static [Sink] = &[Sink::Blobs, Sink::Warehouse];
    const TABLES: &'static [&'static str] = &["assets", "session_assets"];
    const DROPS: &'static [(Topic, DropReason)] =
        &[(Topic::RawBatches, DropReason::Undecodable), (Topic::RawBatches, DropReason::UnreadableEvents)];
    type Message = RawBatch;
    const TOPIC: TopicOf<RawBatch> = RAW_BATCHES;
    const NAME: &'static str = GROUP;

    /// 100 records a poll: a poll waits for its fetches, and a smaller one keeps the time
    /// between polls well inside the log's poll interval even when sites are slow.
    fn poll(&self) -> Poll {
        Poll { records: 100, ..Poll::DEFAULT }
    }

    async fn process(&mut self, records: Vec<Decoded<RawBatch>>) -> Commit {
        let rules = self.rules_of(&records);
        let Some(uses) = self.read_batches(records, &rules).await else {
            return Commit::Nothing;
        };
        let new_uses = self.record_uses(uses).await;
        for (project_id, sessions) in new_uses {
            let Some(project_rules) = rules.get(&project_id) else {
                continue;
            };
            self.archive_project(&project_id, project_rules, sessions).await;
        }
        Commit::All
    }
}

/// Per session of one project, the URLs it used first in this poll, with the server time of
/// the batch where each was first seen.
type SessionUses = BTreeMap<String, BTreeMap<String, i64>>;

/// One batch's URLs, read on a blocking thread.
struct BatchUrls {
    project_id: String,
    session_id: String,
    received_at_ms: i64,
    urls: Collected,
}

impl Running {
    /// The rules of each project with records in this poll.
    fn rules_of(&self, records: &[Decoded<RawBatch>]) -> HashMap<String, ProjectAssetRules> {
        let mut rules = HashMap::new();
        for record in records {
            let project_id = &record.message.project_id;
            if !rules.contains_key(project_id) {
                rules.insert(project_id.clone(), self.config.for_project(project_id));
            }
        }
        rules
    }

    /// Parses each batch's events and collects their URLs (on a blocking thread: snapshots are
    /// big), updating the windows' state; a batch whose events are not a JSON array is dropped.
    /// `None` only when the blocking thread did not run (the runtime is shutting down).
    async fn read_batches(
        &mut self,
        records: Vec<Decoded<RawBatch>>,
        rules: &HashMap<String, ProjectAssetRules>,
    ) -> Option<Vec<BatchUrls>> {
        let enabled: BTreeSet<String> =
            rules.iter().filter(|(_, rules)| rules.enabled).map(|(project, _)| project.clone()).collect();
        let mut windows: HashMap<WindowKey, Window> = HashMap::new();
        for record in &records {
            let batch = &record.message;
            let key = (batch.project_id.clone(), batch.session_id.clone(), batch.window_id.clone());
            if enabled.contains(&batch.project_id) && !windows.contains_key(&key) {
                let window = self.windows.remove(&key).unwrap_or_default();
                windows.insert(key, window);
            }
        }
        let read = tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            for record in records {
                let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    batch_urls(&record, &enabled, &mut windows)
                }));
                match read {
                    Ok(Some(urls)) => found.push(urls),
                    Ok(None) => {}
                    Err(_) => {
                        let at = At::record(record.partition, record.offset, &record.key);
                        let error = "collecting its asset urls panicked";
                        drop_record(GROUP, Topic::RawBatches, at, DropReason::UnreadableEvents, &error);
                    }
                }
            }
            (found, windows)
        })
        .await;
        match read {
            Ok((found, windows)) => {
                for (key, window) in windows {
                    self.windows.insert(key, window);
                }
                Some(found)
            }
            Err(error) => {
                tracing::error!(message = "reading asset urls failed", %error);
                None
            }
        }
    }

    /// Inserts the `session_assets` rows of URLs this member has not recorded for their session
    /// yet, and returns them by project and session.
    async fn record_uses(&mut self, batches: Vec<BatchUrls>) -> BTreeMap<String, SessionUses> {
        let mut uses: BTreeMap<String, SessionUses> = BTreeMap::new();
        for batch in batches {
            let sessions = uses.entry(batch.project_id.clone()).or_default();
            let urls = sessions.entry(batch.session_id.clone()).or_default();
            for url in batch.urls.into_keys() {
                let key = (batch.project_id.clone(), batch.session_id.clone(), url.clone());
                if self.recorded.contains(&key) {
                    continue;
                }
                let first_seen = urls.entry(url).or_insert(batch.received_at_ms);
                *first_seen = (*first_seen).min(batch.received_at_ms);
            }
        }
        let mut rows = Vec::new();
        for (project_id, sessions) in &uses {
            for (session_id, urls) in sessions {
                for (url, first_seen_ms) in urls {
                    rows.push(SessionAssetRow {
                        project_id: project_id.clone(),
                        session_id: session_id.clone(),
                        url: url.clone(),
                        first_seen_ms: *first_seen_ms,
                    });
                }
            }
        }
        self.insert_session_assets(rows).await;
        uses
    }

    async fn insert_session_assets(&mut self, rows: Vec<SessionAssetRow>) {
        if rows.is_empty() {
            return;
        }
        let warehouse = &self.warehouse;
        let timer = runtime_metrics::flush_timer(GROUP, Sink::Warehouse);
        retry::until_ok("insert session assets", || warehouse.insert_session_assets(rows.clone())).await;
        timer.observe_duration();
        runtime_metrics::rows_inserted(GROUP, "session_assets", rows.len());
        metrics::SESSION_URLS.inc_by(rows.len() as u64);
        for row in rows {
            self.recorded.insert((row.project_id, row.session_id, row.url), ());
        }
    }

    /// Fetches what the project's sessions use and is not held fresh, follows stylesheets,
    /// stores the copies, writes their rows, and records nested URLs for the sessions.
    async fn archive_project(&mut self, project_id: &str, rules: &ProjectAssetRules, sessions: SessionUses) {
        if validate_key(&asset_key(project_id, "0")).is_err() {
            tracing::warn!(message = "assets not copied: the project id is not a blob key segment", project_id);
            return;
        }
        let tops: BTreeSet<String> = sessions.values().flat_map(|urls| urls.keys().cloned()).collect();
        if tops.is_empty() {
            return;
        }
        let graph = self.explore(project_id, rules, tops).await;
        let stored = graph.finish(project_id);
        self.store(project_id, &stored).await;
        let nested = graph.nested_uses(project_id, &sessions);
        for sheet in &graph.fetched_sheets {
            let key = (project_id.to_string(), sheet.clone());
            self.sheets.insert(key, graph.refs.get(sheet).cloned().unwrap_or_default());
        }
        self.insert_session_assets(nested).await;
    }

    /// Visits the URLs wave by wave: the sessions' URLs, then what their stylesheets refer to,
    /// fetching those not held fresh.
    async fn explore(&mut self, project_id: &str, rules: &ProjectAssetRules, tops: BTreeSet<String>) -> Graph {
        let max_depth = self.config.max_import_depth;
        let mut graph = Graph::default();
        let mut wave: Vec<String> = tops.into_iter().collect();
        for url in &wave {
            graph.depth.insert(url.clone(), 0);
        }
        while !wave.is_empty() {
            let fresh = self.fresh_rows(project_id, &wave).await;
            let due: Vec<String> = wave.iter().filter(|url| !fresh.contains_key(*url)).cloned().collect();
            let mut fetched = self.fetch_all(project_id, due, rules).await;
            let mut next = BTreeSet::new();
            for url in wave {
                let depth = graph.depth.get(&url).copied().unwrap_or(0);
                let node = match fresh.get(&url) {
                    Some(row) => Node::Held(row.clone()),
                    None => match fetched.remove(&url) {
                        Some((outcome, fetched_at_ms)) => Node::Fetched(outcome, fetched_at_ms),
                        None => continue,
                    },
                };
                let refs = match &node {
                    Node::Fetched(Ok(Got { body: Body::Sheet(bytes), .. }), _) if depth <= max_depth => {
                        graph.fetched_sheets.push(url.clone());
                        Some(sheet_refs(bytes, &url))
                    }
                    Node::Held(row)
                        if row.status == AssetStatus::Archived && row.content_type == CSS && depth <= max_depth =>
                    {
                        Some(self.held_sheet_refs(project_id, row).await)
                    }
                    _ => None,
                };
                if let Some(refs) = refs {
                    for (kind, target) in &refs {
                        let follow = *kind == RefKind::Url || depth < max_depth;
                        if follow && !graph.depth.contains_key(target) {
                            graph.depth.insert(target.clone(), depth + 1);
                            next.insert(target.clone());
                        }
                    }
                    let followed =
                        refs.into_iter().filter(|(kind, _)| *kind == RefKind::Url || depth < max_depth).collect();
                    graph.refs.insert(url.clone(), followed);
                }
                graph.nodes.insert(url, node);
            }
            wave = next.into_iter().collect();
        }
        graph
    }

    /// The rows of `urls` fetched less than `refresh_ms` ago: from memory, else the warehouse.
    async fn fresh_rows(&mut self, project_id: &str, urls: &[String]) -> HashMap<String, AssetRow> {
        let now = now_ms();
        let refresh_ms = i64::try_from(self.config.refresh_ms).unwrap_or(i64::MAX);
        let is_fresh = |row: &AssetRow| now.saturating_sub(row.fetched_at_ms) < refresh_ms;
        let mut fresh = HashMap::new();
        let mut ask = Vec::new();
        for url in urls {
            match self.recent.get(&(project_id.to_string(), url.clone())) {
                Some(row) if is_fresh(row) => {
                    fresh.insert(url.clone(), row.clone());
                }
                _ => ask.push(url.clone()),
            }
        }
        if ask.is_empty() {
            return fresh;
        }
        let warehouse = &self.warehouse;
        let rows = retry::until_ok("read asset rows", || warehouse.assets(project_id, &ask)).await;
        for row in rows {
            if is_fresh(&row) {
                fresh.insert(row.url.clone(), row.clone());
            }
            self.recent.insert((project_id.to_string(), row.url.clone()), row);
        }
        fresh
    }

    /// Fetches `urls` concurrently (the fetcher bounds what is in flight), each with the time
    /// its fetch finished. A body that is not a stylesheet is stored at once, so a wave never
    /// holds more bodies than are in flight; stylesheets are kept to be rewritten.
    async fn fetch_all(
        &self,
        project_id: &str,
        urls: Vec<String>,
        rules: &ProjectAssetRules,
    ) -> HashMap<String, (Result<Got, Failure>, i64)> {
        let mut tasks = tokio::task::JoinSet::new();
        for url in urls {
            let fetcher = Arc::clone(&self.fetcher);
            let blobs = Arc::clone(&self.blobs);
            let rules = rules.clone();
            let project_id = project_id.to_string();
            tasks.spawn(async move {
                let outcome = match Url::parse(&url) {
                    Ok(parsed) => fetcher.fetch(&parsed, &rules).await,
                    Err(_) => Err(Failure::Connection { host: String::new() }),
                };
                let fetched_at_ms = now_ms();
                let got = match outcome {
                    Ok(asset) if asset.content_type == CSS => {
                        Ok(Got { content_type: asset.content_type, body: Body::Sheet(asset.bytes) })
                    }
                    Ok(asset) => {
                        let hash = sha256_hex(&asset.bytes);
                        put_asset(blobs.as_ref(), &project_id, &hash, asset.bytes.clone()).await;
                        let bytes = asset.bytes.len() as i64;
                        Ok(Got { content_type: asset.content_type, body: Body::Stored { hash, bytes } })
                    }
                    Err(failure) => Err(failure),
                };
                (url, got, fetched_at_ms)
            });
        }
        let mut done = HashMap::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((url, outcome, fetched_at_ms)) => {
                    done.insert(url, (outcome, fetched_at_ms));
                }
                Err(error) => tracing::error!(message = "asset fetch task failed", %error),
            }
        }
        done
    }

    /// The references of a stylesheet held from an earlier fetch: remembered, or read from its
    /// stored copy (where archived targets are hashes, named again through the warehouse).
    async fn held_sheet_refs(&mut self, project_id: &str, row: &AssetRow) -> Vec<(RefKind, String)> {
        let key = (project_id.to_string(), row.url.clone());
        if let Some(refs) = self.sheets.get(&key) {
            return refs.clone();
        }
        let blobs = &self.blobs;
        let blob_key = asset_key(project_id, &row.hash);
        let Some(bytes) = retry::until_ok("read stored stylesheet", || blobs.get(&blob_key)).await else {
            return Vec::new();
        };
        let base = Url::parse(&row.url).ok();
        let mut refs = Vec::new();
        for reference in css::scan(&bytes) {
            let without_fragment = reference.value.split('#').next().unwrap_or_default();
            let target = if is_asset_hash(without_fragment) {
                let warehouse = &self.warehouse;
                let hash = without_fragment.to_string();
                let found = retry::until_ok("read asset by hash", || warehouse.asset_by_hash(project_id, &hash)).await;
                found.map(|row| row.url)
            } else {
                resolve(base.as_ref(), &reference.value)
            };
            if let Some(target) = target {
                refs.push((reference.kind, target));
            }
        }
        self.sheets.insert(key, refs.clone());
        refs
    }

    /// Puts the rewritten stylesheets (other copies were put as they arrived), then upserts
    /// every row.
    async fn store(&mut self, project_id: &str, stored: &[(AssetRow, Option<Vec<u8>>)]) {
        if stored.is_empty() {
            return;
        }
        for (row, bytes) in stored {
            if let Some(bytes) = bytes {
                put_asset(self.blobs.as_ref(), project_id, &row.hash, bytes.clone()).await;
            }
        }
        let rows: Vec<AssetRow> = stored.iter().map(|(row, _)| row.clone()).collect();
        let warehouse = &self.warehouse;
        let timer = runtime_metrics::flush_timer(GROUP, Sink::Warehouse);
        retry::until_ok("upsert assets", || warehouse.upsert_assets(rows.clone())).await;
        timer.observe_duration();
        runtime_metrics::rows_inserted(GROUP, "assets", rows.len());
        for row in rows {
            metrics::FETCHES.with_label_values(&[row.status.as_str()]).inc();
            self.recent.insert((project_id.to_string(), row.url.clone()), row);
        }
    }
}

/// Puts one copy under `assets/{project_id}/{hash}`, retrying until it is stored.
async fn put_asset(blobs: &dyn BlobStore, project_id: &str, hash: &str, bytes: Vec<u8>) {
    let key = asset_key(project_id, hash);
    let size = bytes.len() as u64;
    let timer = runtime_metrics::flush_timer(GROUP, Sink::Blobs);
    retry::until_ok("put asset", || blobs.put(&key, bytes.clone())).await;
    timer.observe_duration();
    metrics::STORED_BYTES.inc_by(size);
}

/// Reads one batch: its events' URLs, or `None` when the project's assets are off or the
/// events are unreadable (then the record is dropped with a reason).
fn batch_urls(
    record: &Decoded<RawBatch>,
    enabled: &BTreeSet<String>,
    windows: &mut HashMap<WindowKey, Window>,
) -> Option<BatchUrls> {
    let batch = &record.message;
    let events: Vec<Value> = match json::from_slice_deep(&batch.events_json) {
        Ok(events) => events,
        Err(error) => {
            let at = At::record(record.partition, record.offset, &record.key);
            drop_record(GROUP, Topic::RawBatches, at, DropReason::UnreadableEvents, &error);
            return None;
        }
    };
    metrics::BATCHES.inc();
    if !enabled.contains(&batch.project_id) {
        return None;
    }
    let key = (batch.project_id.clone(), batch.session_id.clone(), batch.window_id.clone());
    let window = windows.entry(key).or_default();
    let urls = collect(&events, window);
    Some(BatchUrls {
        project_id: batch.project_id.clone(),
        session_id: batch.session_id.clone(),
        received_at_ms: batch.received_at_ms,
        urls,
    })
}

/// What became of one URL in this poll.
enum Node {
    /// Held fresh from an earlier fetch: not fetched again.
    Held(AssetRow),
    /// Fetched now, finishing at the given time.
    Fetched(Result<Got, Failure>, i64),
}

/// An asset fetched now.
struct Got {
    content_type: String,
    body: Body,
}

enum Body {
    /// Already stored under its hash.
    Stored { hash: String, bytes: i64 },
    /// A stylesheet, stored once its references are rewritten.
    Sheet(Vec<u8>),
}

/// The URLs visited for one project in one poll and the stylesheet references between them.
#[derive(Default)]
struct Graph {
    nodes: HashMap<String, Node>,
    /// Depth of each URL: 0 for the sessions' own URLs, one more per stylesheet.
    depth: HashMap<String, u32>,
    /// Per stylesheet (fetched now or held), the targets it refers to that were followed.
    refs: HashMap<String, Vec<(RefKind, String)>>,
    /// Stylesheets fetched now, whose references were read from their bytes.
    fetched_sheets: Vec<String>,
}

impl Graph {
    /// The rows of what was fetched now, with the bytes to store for archived ones
    /// (stylesheets rewritten), in URL order.
    fn finish(&self, project_id: &str) -> Vec<(AssetRow, Option<Vec<u8>>)> {
        let mut finished = Finished::default();
        let mut urls: Vec<&String> = self.nodes.keys().collect();
        urls.sort();
        let mut stored = Vec::new();
        for url in urls {
            let Some(Node::Fetched(outcome, fetched_at_ms)) = self.nodes.get(url) else {
                continue;
            };
            let row = |status, error: String| AssetRow {
                project_id: project_id.to_string(),
                url: url.clone(),
                hash: String::new(),
                content_type: String::new(),
                bytes: 0,
                fetched_at_ms: *fetched_at_ms,
                status,
                error,
                version: *fetched_at_ms,
            };
            match outcome {
                Err(failure) => {
                    metrics::FAILURES.with_label_values(&[failure.label()]).inc();
                    stored.push((row(failure.status(), failure.to_string()), None));
                }
                Ok(asset) => {
                    let hash = self.final_hash(url, &mut finished).unwrap_or_default();
                    let (size, bytes) = match &asset.body {
                        Body::Stored { bytes, .. } => (*bytes, None),
                        Body::Sheet(_) => {
                            let rewritten = finished.bytes.remove(url).unwrap_or_default();
                            (rewritten.len() as i64, Some(rewritten))
                        }
                    };
                    let archived = AssetRow {
                        hash,
                        content_type: asset.content_type.clone(),
                        bytes: size,
                        ..row(AssetStatus::Archived, String::new())
                    };
                    stored.push((archived, bytes));
                }
            }
        }
        stored
    }

    /// The hash `url` is stored under once this poll is done, or `None` when it is not archived
    /// (or is a stylesheet still being rewritten: an import cycle keeps the absolute URL).
    /// Every stylesheet fetched now is rewritten, also past `max_import_depth`, where none of
    /// its targets were followed: its relative references become absolute.
    fn final_hash(&self, url: &str, finished: &mut Finished) -> Option<String> {
        if let Some(hash) = finished.hashes.get(url) {
            return hash.clone();
        }
        let hash = match self.nodes.get(url) {
            Some(Node::Held(row)) if row.status == AssetStatus::Archived => Some(row.hash.clone()),
            Some(Node::Fetched(Ok(Got { body: Body::Stored { hash, .. }, .. }), _)) => Some(hash.clone()),
            Some(Node::Fetched(Ok(Got { body: Body::Sheet(bytes), .. }), _)) => {
                if !finished.visiting.insert(url.to_string()) {
                    return None;
                }
                let rewritten = self.rewrite_sheet(url, bytes, finished);
                finished.visiting.remove(url);
                let hash = sha256_hex(&rewritten);
                finished.bytes.insert(url.to_string(), rewritten);
                Some(hash)
            }
            _ => None,
        };
        finished.hashes.insert(url.to_string(), hash.clone());
        hash
    }

    /// A fetched stylesheet with each reference to an archived target written as its hash
    /// (resolved next to the stylesheet's served copy), and every other one as its absolute URL.
    fn rewrite_sheet(&self, url: &str, bytes: &[u8], finished: &mut Finished) -> Vec<u8> {
        let base = Url::parse(url).ok();
        css::rewrite(bytes, |reference| {
            let absolute = base.as_ref().and_then(|base| base.join(reference.value.trim()).ok())?;
            if !matches!(absolute.scheme(), "http" | "https") || reference.value.trim().starts_with('#') {
                return None;
            }
            let fragment = absolute.fragment().map(|fragment| format!("#{fragment}")).unwrap_or_default();
            let mut key = absolute.clone();
            key.set_fragment(None);
            match self.final_hash(key.as_str(), finished) {
                Some(hash) => Some(format!("{hash}{fragment}")),
                None => Some(absolute.to_string()),
            }
        })
    }

    /// The `session_assets` rows of the URLs the sessions' stylesheets refer to (through
    /// imports too), seen when the stylesheet was.
    fn nested_uses(&self, project_id: &str, sessions: &SessionUses) -> Vec<SessionAssetRow> {
        let mut rows = Vec::new();
        for (session_id, urls) in sessions {
            let mut seen: BTreeMap<String, i64> = BTreeMap::new();
            let mut stack: Vec<(String, i64)> = urls.iter().map(|(url, first)| (url.clone(), *first)).collect();
            while let Some((url, first_seen_ms)) = stack.pop() {
                for (_, target) in self.refs.get(&url).map(Vec::as_slice).unwrap_or_default() {
                    if urls.contains_key(target) {
                        continue;
                    }
                    match seen.get(target) {
                        Some(earlier) if *earlier <= first_seen_ms => {}
                        _ => {
                            seen.insert(target.clone(), first_seen_ms);
                            stack.push((target.clone(), first_seen_ms));
                        }
                    }
                }
            }
            for (url, first_seen_ms) in seen {
                rows.push(SessionAssetRow {
                    project_id: project_id.to_string(),
                    session_id: session_id.clone(),
                    url,
                    first_seen_ms,
                });
            }
        }
        rows
    }
}

/// Rewrites under way: final hashes, rewritten bytes, and the stylesheets being rewritten.
#[derive(Default)]
struct Finished {
    hashes: HashMap<String, Option<String>>,
    bytes: HashMap<String, Vec<u8>>,
    visiting: std::collections::HashSet<String>,
}

/// The followable references of a fetched stylesheet at `url`: (kind, resolved target).
fn sheet_refs(bytes: &[u8], url: &str) -> Vec<(RefKind, String)> {
    let base = Url::parse(url).ok();
    let mut refs = Vec::new();
    for reference in css::scan(bytes) {
        if let Some(target) = resolve(base.as_ref(), &reference.value) {
            refs.push((reference.kind, target));
        }
    }
    refs
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}
