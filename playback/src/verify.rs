//! `playback verify`: the loss and duplicate checker. It compares every batch the gateway
//! acknowledged (a JSON-lines file that a load generator or a recorder proxy writes, one line per
//! batch answered 200) with what readers get from the warehouse and the blob store:
//!
//! - **sessions**: one row per session (read with argMax over versions), whose event count is
//!   the number of acknowledged events: fewer means lost events, more means an event counted twice;
//! - **transcript**: the `events` rows (read with FINAL) of every event the acknowledgement says
//!   must have one, exactly once, in time order within each tab;
//! - **recording**: every acknowledged batch in the merged chunks, with all its events, no event
//!   text in two batches of one tab, and batches in time order.
//!
//! With the sessions (or the user) of a deletion on request, it checks instead that nothing
//! of them is readable any more ([`check_deleted`]): through the query API, in the warehouse,
//! in the blob store, or as a decodable raw batch on the event log.
//!
//! docs/guarantees.md says which promise each figure checks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use playback_blobs::BlobStore;
use playback_log::{EventLog, Topic};
use playback_query_api::recording::assemble;
use playback_query_api::{ApiToken, QueryState, RecencyConfig, Role, ShareLifetimes, ShareSigner, Tokens};
use playback_schemas::json::from_str_deep;
use playback_schemas::{AvroMessage, RawBatch};
use playback_warehouse::Warehouse;
use serde::Deserialize;
use serde_json::value::RawValue;
use tower::ServiceExt;

/// One batch the gateway answered 200.
#[derive(Debug, Clone, Deserialize)]
pub struct Acknowledged {
    pub project_id: String,
    pub session_id: String,
    pub window_id: String,
    pub seq: i64,
    /// How many rrweb events the batch held.
    pub events: i64,
    /// The index of every event of the batch that must have a transcript row.
    #[serde(default)]
    pub transcript: Vec<i32>,
}

/// Reads an acknowledgement file; a batch acknowledged twice (a retry whose first answer was
/// lost, or a deliberate duplicate) counts once.
pub fn read_acknowledged(path: &Path) -> anyhow::Result<Vec<Acknowledged>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut seen = HashSet::new();
    let mut batches = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let batch: Acknowledged = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not an acknowledged batch", path.display(), number + 1))?;
        let identity = (batch.project_id.clone(), batch.session_id.clone(), batch.window_id.clone(), batch.seq);
        if seen.insert(identity) {
            batches.push(batch);
        }
    }
    Ok(batches)
}

/// The figures of one check.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub sessions: u64,
    pub batches: u64,
    pub events: u64,
    /// Sessions without a row.
    pub sessions_lost: u64,
    /// Acknowledged events missing from a session's count, and counted beyond it.
    pub session_events_lost: u64,
    pub session_events_duplicated: u64,
    pub transcript_rows: u64,
    pub transcript_lost: u64,
    pub transcript_duplicated: u64,
    pub transcript_out_of_order: u64,
    /// Rows of batches that were never acknowledged (sent, but the answer never came).
    pub transcript_unacknowledged: u64,
    pub recording_batches_lost: u64,
    /// Acknowledged batches present with another number of events.
    pub recording_batches_altered: u64,
    pub recording_events_duplicated: u64,
    pub recording_out_of_order: u64,
    /// Copies of batches in more than one chunk, collapsed on read (not an error).
    pub recording_redundant_copies: u64,
}

impl Report {
    pub fn lost(&self) -> u64 {
        self.sessions_lost
            + self.session_events_lost
            + self.transcript_lost
            + self.recording_batches_lost
            + self.recording_batches_altered
    }

    pub fn duplicated(&self) -> u64 {
        self.session_events_duplicated + self.transcript_duplicated + self.recording_events_duplicated
    }

    pub fn out_of_order(&self) -> u64 {
        self.transcript_out_of_order + self.recording_out_of_order
    }

    pub fn clean(&self) -> bool {
        self.lost() == 0 && self.duplicated() == 0 && self.out_of_order() == 0
    }

    /// The report, the last line being the one-line verdict that tests read.
    pub fn render(&self) -> String {
        format!(
            "acknowledged: {sessions} sessions, {batches} batches, {events} events\n\
             sessions:     {sessions_lost} lost; events counted: {sel} lost, {sed} duplicated\n\
             transcript:   {rows} rows; {tl} lost, {td} duplicated, {to} out of order, {tu} from unacknowledged batches\n\
             recording:    {rl} batches lost, {ra} altered, {rd} events duplicated, {ro} out of order \
             ({rc} redundant copies collapsed on read)\n\
             playback verify: sessions={sessions} batches={batches} events={events} lost={lost} duplicated={dup} out_of_order={ooo}",
            sessions = self.sessions,
            batches = self.batches,
            events = self.events,
            sessions_lost = self.sessions_lost,
            sel = self.session_events_lost,
            sed = self.session_events_duplicated,
            rows = self.transcript_rows,
            tl = self.transcript_lost,
            td = self.transcript_duplicated,
            to = self.transcript_out_of_order,
            tu = self.transcript_unacknowledged,
            rl = self.recording_batches_lost,
            ra = self.recording_batches_altered,
            rd = self.recording_events_duplicated,
            ro = self.recording_out_of_order,
            rc = self.recording_redundant_copies,
            lost = self.lost(),
            dup = self.duplicated(),
            ooo = self.out_of_order(),
        )
    }
}

/// The acknowledged batches of one session, by tab and seq.
type SessionBatches<'a> = BTreeMap<(&'a str, i64), &'a Acknowledged>;

/// Checks every acknowledged batch once.
pub async fn check(
    warehouse: &dyn Warehouse,
    blobs: &dyn BlobStore,
    acknowledged: &[Acknowledged],
) -> anyhow::Result<Report> {
    let mut sessions: BTreeMap<(&str, &str), SessionBatches<'_>> = BTreeMap::new();
    for batch in acknowledged {
        sessions
            .entry((batch.project_id.as_str(), batch.session_id.as_str()))
            .or_default()
            .insert((batch.window_id.as_str(), batch.seq), batch);
    }
    let mut report = Report {
        sessions: sessions.len() as u64,
        batches: acknowledged.len() as u64,
        events: acknowledged.iter().map(|batch| batch.events.max(0) as u64).sum(),
        ..Report::default()
    };
    for ((project_id, session_id), batches) in &sessions {
        check_session_row(warehouse, project_id, session_id, batches, &mut report).await?;
        check_transcript(warehouse, project_id, session_id, batches, &mut report).await?;
        check_recording(warehouse, blobs, project_id, session_id, batches, &mut report).await?;
    }
    Ok(report)
}

async fn check_session_row(
    warehouse: &dyn Warehouse,
    project_id: &str,
    session_id: &str,
    batches: &SessionBatches<'_>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let expected: i64 = batches.values().map(|batch| batch.events).sum();
    match warehouse.get_session(Some(project_id), session_id).await? {
        None => {
            report.sessions_lost += 1;
            report.session_events_lost += expected.max(0) as u64;
        }
        Some(row) if row.events < expected => report.session_events_lost += (expected - row.events) as u64,
        Some(row) => report.session_events_duplicated += (row.events - expected) as u64,
    }
    Ok(())
}

async fn check_transcript(
    warehouse: &dyn Warehouse,
    project_id: &str,
    session_id: &str,
    batches: &SessionBatches<'_>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let rows = warehouse.session_events(project_id, session_id).await?;
    report.transcript_rows += rows.len() as u64;
    let mut found: HashMap<(&str, i64, i32, &str), u64> = HashMap::new();
    // Rows come in time order: within a tab, the batches must not go back.
    let mut latest_seq: HashMap<&str, i64> = HashMap::new();
    for row in &rows {
        *found.entry((row.window_id.as_str(), row.batch_seq, row.event_index, row.kind.as_str())).or_default() += 1;
        let latest = latest_seq.entry(row.window_id.as_str()).or_insert(row.batch_seq);
        if row.batch_seq < *latest {
            report.transcript_out_of_order += 1;
        }
        *latest = (*latest).max(row.batch_seq);
        if !batches.contains_key(&(row.window_id.as_str(), row.batch_seq)) {
            report.transcript_unacknowledged += 1;
        }
    }
    let mut per_event: HashMap<(&str, i64, i32), u64> = HashMap::new();
    for ((window_id, seq, index, _kind), count) in &found {
        *per_event.entry((window_id, *seq, *index)).or_default() += 1;
        // One row per event and kind: more means the same event was written under two keys
        // that FINAL could not collapse.
        report.transcript_duplicated += count - 1;
    }
    for batch in batches.values() {
        for index in &batch.transcript {
            if !per_event.contains_key(&(batch.window_id.as_str(), batch.seq, *index)) {
                report.transcript_lost += 1;
            }
        }
    }
    Ok(())
}

/// The text and timestamp of each rrweb event in a batch's JSON array.
fn batch_events(events_json: &str) -> Vec<(&str, Option<i64>)> {
    #[derive(Deserialize)]
    struct Head {
        timestamp: Option<serde_json::Number>,
    }
    let events: Vec<&RawValue> = from_str_deep(events_json).unwrap_or_default();
    events
        .into_iter()
        .map(|event| {
            let timestamp = from_str_deep::<Head>(event.get())
                .ok()
                .and_then(|head| head.timestamp)
                .and_then(|number| number.as_i64().or_else(|| number.as_f64().map(|value| value as i64)));
            (event.get(), timestamp)
        })
        .collect()
}

async fn check_recording(
    warehouse: &dyn Warehouse,
    blobs: &dyn BlobStore,
    project_id: &str,
    session_id: &str,
    batches: &SessionBatches<'_>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let windows = assemble(warehouse, blobs, project_id, session_id, None)
        .await
        .map_err(|error| anyhow::anyhow!("recording of {session_id}: {error}"))?;
    let by_window: HashMap<&str, _> = windows.iter().map(|window| (window.window_id.as_str(), window)).collect();
    for batch in batches.values() {
        let served = by_window.get(batch.window_id.as_str()).and_then(|window| window.batches.get(&batch.seq));
        match served {
            None => report.recording_batches_lost += 1,
            Some(events_json) if batch_events(events_json).len() as i64 != batch.events => {
                report.recording_batches_altered += 1
            }
            Some(_) => {}
        }
    }
    for window in &windows {
        report.recording_redundant_copies += window.redundant_copies;
        let mut seen: HashMap<&str, i64> = HashMap::new();
        let mut latest_ts: Option<i64> = None;
        for (seq, events_json) in &window.batches {
            let events = batch_events(events_json);
            for (text, _) in &events {
                if let Some(other) = seen.insert(text, *seq) {
                    if other != *seq {
                        report.recording_events_duplicated += 1;
                    }
                }
            }
            let first = events.iter().filter_map(|(_, timestamp)| *timestamp).min();
            if let (Some(first), Some(latest)) = (first, latest_ts) {
                if first < latest {
                    report.recording_out_of_order += 1;
                }
            }
            if let Some(last) = events.iter().filter_map(|(_, timestamp)| *timestamp).max() {
                latest_ts = Some(latest_ts.map_or(last, |latest| latest.max(last)));
            }
        }
    }
    Ok(())
}

/// Checks until the report is clean or `wait` has passed (the consumers may still be catching
/// up), printing progress, then prints the final report.
pub async fn run(
    warehouse: &dyn Warehouse,
    blobs: &dyn BlobStore,
    acknowledged: &[Acknowledged],
    wait: Duration,
) -> anyhow::Result<Report> {
    let deadline = Instant::now() + wait;
    let mut last_progress = Instant::now();
    loop {
        let report = check(warehouse, blobs, acknowledged).await?;
        if report.clean() || Instant::now() >= deadline {
            println!("{}", report.render());
            return Ok(report);
        }
        if last_progress.elapsed() >= Duration::from_secs(10) {
            println!(
                "waiting for the pipeline: lost={} duplicated={} out_of_order={}",
                report.lost(),
                report.duplicated(),
                report.out_of_order()
            );
            last_progress = Instant::now();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Sessions, or a user, deleted on request: what [`check_deleted`] looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub project_id: String,
    /// The user deleted, if it was a user (their sessions are in `session_ids` when known).
    pub user_id: Option<String>,
    pub session_ids: Vec<String>,
}

/// What of deleted sessions can still be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletedReport {
    pub sessions: u64,
    /// Each read that still answered with something of them: `GET /v1/sessions/…: 200`,
    /// `warehouse: events`, `blob: {key}`.
    pub readable: Vec<String>,
    /// Records of the sessions on the raw topic that a consumer can still decode, and those it
    /// cannot (a value shredded by the destruction of its key, or removed to a tombstone).
    pub raw_records_readable: u64,
    pub raw_records_unreadable: u64,
}

impl DeletedReport {
    pub fn clean(&self) -> bool {
        self.readable.is_empty() && self.raw_records_readable == 0
    }

    /// The report, the last line being the one-line verdict that tests read.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for what in &self.readable {
            text.push_str(&format!("still readable: {what}\n"));
        }
        text.push_str(&format!(
            "playback verify deleted: sessions={} readable={} raw_readable={} raw_unreadable={}",
            self.sessions,
            self.readable.len(),
            self.raw_records_readable,
            self.raw_records_unreadable
        ));
        text
    }
}

/// The query API over the adapters, with a token of its own for `project_id`.
fn query_router(
    warehouse: &Arc<dyn Warehouse>,
    blobs: &Arc<dyn BlobStore>,
    log: &Arc<dyn EventLog>,
    project_id: &str,
    token: &str,
) -> anyhow::Result<axum::Router> {
    let tokens = Tokens::new(vec![ApiToken {
        name: "playback-verify".into(),
        token: token.into(),
        project: project_id.into(),
        role: Role::Admin,
    }])
    .map_err(anyhow::Error::msg)?;
    let key = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let state = QueryState {
        warehouse: Arc::clone(warehouse),
        blobs: Arc::clone(blobs),
        recency: RecencyConfig::default(),
        tokens: Arc::new(tokens),
        share_signer: ShareSigner::new(key.as_bytes()).map_err(anyhow::Error::msg)?,
        share_lifetimes: ShareLifetimes::default(),
        projects: Arc::default(),
        log: Arc::clone(log),
    };
    Ok(playback_query_api::router(state))
}

/// The status and body of `GET path` on `router`.
async fn api_get(router: &axum::Router, token: &str, path: &str) -> anyhow::Result<(u16, serde_json::Value)> {
    let request = axum::http::Request::get(path)
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::empty())?;
    let response = router.clone().oneshot(request).await?;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20).await?;
    Ok((status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)))
}

/// Checks that nothing of `deleted` is readable: through every read of the query API (run in
/// process over the same adapters), in the warehouse, in the blob store, and as a decodable
/// record on the raw topic (read from the start by a consumer group of its own).
pub async fn check_deleted(
    warehouse: &Arc<dyn Warehouse>,
    blobs: &Arc<dyn BlobStore>,
    log: &Arc<dyn EventLog>,
    deleted: &Deleted,
) -> anyhow::Result<DeletedReport> {
    let project = deleted.project_id.as_str();
    let mut report = DeletedReport { sessions: deleted.session_ids.len() as u64, ..DeletedReport::default() };
    let token = format!("pb_verify_{}", uuid::Uuid::new_v4().simple());
    let router = query_router(warehouse, blobs, log, project, &token)?;

    let mut paths = Vec::new();
    for session_id in &deleted.session_ids {
        for suffix in ["", "/events", "/recording", "/recording/manifest", "/similar", "/assets", "/shares", "/notes"] {
            paths.push(format!("/v1/sessions/{session_id}{suffix}"));
        }
    }
    if let Some(user_id) = &deleted.user_id {
        paths.push(format!("/v1/users/{user_id}"));
    }
    for path in paths {
        let (status, _) = api_get(&router, &token, &path).await?;
        if status != 404 {
            report.readable.push(format!("GET {path}: {status}"));
        }
    }
    let mut listings = vec!["/v1/sessions?from=0&limit=500".to_string()];
    if let Some(user_id) = &deleted.user_id {
        let user: String = form_urlencoded::byte_serialize(user_id.as_bytes()).collect();
        listings.push(format!("/v1/sessions?from=0&limit=500&user={user}"));
    }
    for path in listings {
        let (_, page) = api_get(&router, &token, &path).await?;
        for session in page["sessions"].as_array().into_iter().flatten() {
            let listed = session["session_id"].as_str().unwrap_or_default();
            let user_listed = deleted.user_id.as_deref().is_some_and(|user| session["user_id"] == user);
            if deleted.session_ids.iter().any(|id| id == listed) || user_listed {
                report.readable.push(format!("GET {path}: lists {listed}"));
            }
        }
    }

    for session_id in &deleted.session_ids {
        let mut found = Vec::new();
        if warehouse.get_session(None, session_id).await?.is_some() {
            found.push("sessions");
        }
        if !warehouse.session_events(project, session_id).await?.is_empty() {
            found.push("events");
        }
        if !warehouse.session_chunks(project, session_id).await?.is_empty() {
            found.push("recording_chunks");
        }
        if !warehouse.session_notes(project, session_id).await?.is_empty() {
            found.push("notes");
        }
        if !warehouse.session_shares(project, session_id).await?.is_empty() {
            found.push("shares");
        }
        if !warehouse.session_assets(project, session_id).await?.is_empty() {
            found.push("session_assets");
        }
        for table in found {
            report.readable.push(format!("warehouse {table}: {session_id}"));
        }
    }
    if let Some(user_id) = &deleted.user_id {
        for session in warehouse.user_sessions(project, user_id).await? {
            report.readable.push(format!("warehouse sessions of the user: {}", session.session_id));
        }
    }
    let folders: Vec<String> = deleted.session_ids.iter().map(|id| format!("/{id}/")).collect();
    for key in blobs.list(&format!("{project}/")).await? {
        if folders.iter().any(|folder| key.contains(folder.as_str())) {
            report.readable.push(format!("blob {key}"));
        }
    }
    for session_id in &deleted.session_ids {
        for key in blobs.list(&playback_query_api::deletion::session_keys_prefix(project, session_id)).await? {
            report.readable.push(format!("blob {key}"));
        }
    }

    let (readable, unreadable) = raw_records(log.as_ref(), project, &deleted.session_ids).await?;
    report.raw_records_readable = readable;
    report.raw_records_unreadable = unreadable;
    Ok(report)
}

/// How many records of `session_ids` on the raw topic decode as a batch, and how many do not,
/// read from the start by a consumer group of its own until it has caught up.
pub async fn raw_records(log: &dyn EventLog, project_id: &str, session_ids: &[String]) -> anyhow::Result<(u64, u64)> {
    let keys: HashSet<Vec<u8>> = session_ids.iter().map(|id| format!("{project_id}/{id}").into_bytes()).collect();
    if keys.is_empty() {
        return Ok((0, 0));
    }
    let group = format!("playback-verify-{}", uuid::Uuid::new_v4().simple());
    let mut consumer = log.consumer(Topic::RawBatches, &group).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut readable, mut unreadable) = (0, 0);
    loop {
        let records = consumer.poll(1_000, Duration::from_millis(500)).await?;
        for record in &records {
            if keys.contains(&record.key) {
                match RawBatch::decode(&record.value) {
                    Ok(_) => readable += 1,
                    Err(_) => unreadable += 1,
                }
            }
        }
        if records.is_empty() {
            let owned = consumer.assignment().await?;
            let lag = consumer.lag().await?;
            if !owned.is_empty() && lag.iter().all(|(_, behind)| *behind == 0) {
                return Ok((readable, unreadable));
            }
        }
        if Instant::now() >= deadline {
            anyhow::bail!("the raw topic was not read to its end within 120 s");
        }
    }
}

/// `playback verify --deleted-project …`: [`check_deleted`] on the adapters that config names,
/// printing the report.
pub async fn run_deleted(config: &crate::Config, deleted: &Deleted) -> anyhow::Result<DeletedReport> {
    let adapters = crate::app::open_adapters(config).await?;
    let report = check_deleted(&adapters.warehouse, &adapters.blobs, &adapters.log, deleted).await?;
    println!("{}", report.render());
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledged_twice_counts_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acks.jsonl");
        let line = r#"{"project_id":"demo","session_id":"s","window_id":"w","seq":3,"events":4,"transcript":[1]}"#;
        std::fs::write(&path, format!("{line}\n\n{line}\n")).unwrap();
        let batches = read_acknowledged(&path).unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!((batches[0].seq, batches[0].events, batches[0].transcript.clone()), (3, 4, vec![1]));
        std::fs::write(&path, "{\"seq\":1}\n").unwrap();
        let error = read_acknowledged(&path).unwrap_err();
        assert!(format!("{error:#}").contains("acks.jsonl:1"), "{error:#}");
    }

    #[test]
    fn batch_events_splits_the_array_with_timestamps() {
        let events = batch_events(r#"[{"type":4,"timestamp":10},{"type":3,"timestamp":12.5},{"type":5}]"#);
        assert_eq!(events.len(), 3);
        assert_eq!(events.iter().map(|(_, ts)| *ts).collect::<Vec<_>>(), vec![Some(10), Some(12), None]);
    }

    #[test]
    fn a_report_is_clean_only_without_loss_duplicates_or_disorder() {
        let clean = Report { sessions: 1, batches: 2, events: 5, recording_redundant_copies: 3, ..Report::default() };
        assert!(clean.clean());
        assert!(clean.render().ends_with("lost=0 duplicated=0 out_of_order=0"));
        for broken in [
            Report { transcript_lost: 1, ..clean.clone() },
            Report { session_events_duplicated: 1, ..clean.clone() },
            Report { recording_out_of_order: 1, ..clean.clone() },
            Report { recording_batches_altered: 1, ..clean.clone() },
        ] {
            assert!(!broken.clean(), "{broken:?}");
        }
    }
}
