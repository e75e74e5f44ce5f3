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
//! docs/guarantees.md says which promise each figure checks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use playback_blobs::BlobStore;
use playback_query_api::recording::assemble;
use playback_schemas::json::from_str_deep;
use playback_warehouse::Warehouse;
use serde::Deserialize;
use serde_json::value::RawValue;

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
