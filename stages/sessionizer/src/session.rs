//! One session's aggregate and how a batch changes it. Pure: no IO, no clock reads.

use std::collections::HashMap;

use playback_schemas::json::{from_slice_deep, from_str_deep};
use playback_schemas::rrweb::{EventType, IncrementalSource, MouseInteraction};
use playback_schemas::{Interval, RawBatch, SeqRange, SessionState, SessionUpdate, WindowState};
use playback_warehouse::{EventKind, EventRow};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::event_data::parse_data;
use crate::labels::NodeLabels;
use crate::SessionizerConfig;

const MAX_URLS: usize = 200;
const MAX_EVENT_NAMES: usize = 100;
const MAX_SEQUENCE: usize = 500;
const MAX_PROPS_BYTES: usize = 4096;

/// A session held by the sessionizer: the durable state, per-window node labels, and the
/// batches that wait for an earlier batch of their tab.
#[derive(Debug)]
pub struct Session {
    pub state: SessionState,
    labels: HashMap<String, NodeLabels>,
    held: Vec<Held>,
}

/// A batch that arrived before the batch before it in its tab, and where the log has it: the
/// sessionizer commits no offset past a held batch, so a crash reads it again.
#[derive(Debug)]
struct Held {
    batch: RawBatch,
    position: LogPosition,
}

/// A record's place in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogPosition {
    pub partition: i32,
    pub offset: i64,
}

#[derive(Deserialize)]
struct EventHead<'a> {
    #[serde(rename = "type")]
    kind: u64,
    timestamp: f64,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

/// What applying a batch produced.
#[derive(Debug, Default)]
pub struct Applied {
    pub rows: Vec<EventRow>,
    /// False when the batch had been applied before.
    pub changed: bool,
    /// Events whose timestamp was far outside their batch: kept, but moving neither the
    /// session's start or end nor its active time.
    pub outliers: u64,
    /// Batches applied.
    pub batches: u64,
    /// Of those, batches applied past the reorder grace without the batch before them.
    pub out_of_order: u64,
}

impl Applied {
    fn absorb(&mut self, other: Applied) {
        self.rows.extend(other.rows);
        self.changed |= other.changed;
        self.outliers += other.outliers;
        self.batches += other.batches;
        self.out_of_order += other.out_of_order;
    }
}

/// What offering a batch did.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Offered {
    /// Applied, with any held batches of its tab that it made ready.
    Applied,
    /// Applied before (or already held): nothing changed.
    Duplicate,
    /// Held until the batch before it arrives or the reorder grace elapses.
    Held,
}

/// The client timestamps the gateway accepts: 2000-01-01 to 2100-01-01.
const MIN_TIMESTAMP_MS: f64 = 946_684_800_000.0;
const MAX_TIMESTAMP_MS: f64 = 4_102_444_800_000.0;

/// Whether the gateway would accept `client_timestamp`. An event with a timestamp it refuses,
/// should one reach the log anyway, is skipped rather than overflowing the session's times.
fn plausible(client_timestamp: f64) -> bool {
    (MIN_TIMESTAMP_MS..MAX_TIMESTAMP_MS).contains(&client_timestamp)
}

/// The client times the events of a batch are read at, and which of them are outliers.
struct BatchTimes {
    /// Per event: the client time it is classified at (`None`: skipped), and whether its own
    /// timestamp was an outlier, replaced by the time of the event before it.
    times: Vec<Option<(i64, bool)>>,
}

/// Reads the events' client times. An event is an outlier when its timestamp is more than
/// `outlier_ms` from the batch's median timestamp, or more than `outlier_ms` after the batch
/// was sent (the client cannot record an event after sending it). An outlier is read at the
/// time of the closest plausible event before it (or the median for the first events).
fn batch_times(heads: &[Option<EventHead<'_>>], client_sent_at_ms: i64, outlier_ms: i64) -> BatchTimes {
    let mut plausible_times: Vec<i64> =
        heads.iter().flatten().filter(|head| plausible(head.timestamp)).map(|head| head.timestamp as i64).collect();
    plausible_times.sort_unstable();
    let median = plausible_times.get(plausible_times.len().saturating_sub(1) / 2).copied().unwrap_or(0);
    // A batch whose median is itself after its sent-at has a clock that disagrees with the
    // envelope, not outlying events: the median event is never an outlier, so every batch with
    // a plausible timestamp moves the session's start and end.
    let sent_at_bound = client_sent_at_ms.saturating_add(outlier_ms);
    let sent_at_bound = if median > sent_at_bound { i64::MAX } else { sent_at_bound };
    let mut previous: Option<i64> = None;
    let mut times = Vec::with_capacity(heads.len());
    for head in heads {
        let Some(head) = head.as_ref().filter(|head| plausible(head.timestamp)) else {
            times.push(None);
            continue;
        };
        let client_ms = head.timestamp as i64;
        let outlier = (client_ms - median).abs() > outlier_ms || client_ms > sent_at_bound;
        if outlier {
            times.push(Some((previous.unwrap_or(median), true)));
        } else {
            previous = Some(client_ms);
            times.push(Some((client_ms, false)));
        }
    }
    BatchTimes { times }
}

fn seq_seen(ranges: &[SeqRange], seq: i64) -> bool {
    ranges.iter().any(|range| range.first <= seq && seq <= range.last)
}

/// Inserts `seq` into sorted disjoint ranges, merging neighbours.
fn add_seq(ranges: &mut Vec<SeqRange>, seq: i64) {
    ranges.push(SeqRange { first: seq, last: seq });
    ranges.sort_by_key(|range| range.first);
    let mut merged: Vec<SeqRange> = Vec::with_capacity(ranges.len());
    for range in ranges.drain(..) {
        match merged.last_mut() {
            Some(last) if range.first <= last.last + 1 => last.last = last.last.max(range.last),
            _ => merged.push(range),
        }
    }
    *ranges = merged;
}

/// Adds `[start, end)` to sorted disjoint intervals, merging overlaps.
fn add_interval(intervals: &mut Vec<Interval>, start_ms: i64, end_ms: i64) {
    if let Some(last) = intervals.last_mut() {
        // The common case: actions arrive in time order.
        if start_ms >= last.start_ms && start_ms <= last.end_ms {
            last.end_ms = last.end_ms.max(end_ms);
            return;
        }
        if start_ms > last.end_ms {
            intervals.push(Interval { start_ms, end_ms });
            return;
        }
    }
    intervals.push(Interval { start_ms, end_ms });
    intervals.sort_by_key(|interval| interval.start_ms);
    let mut merged: Vec<Interval> = Vec::with_capacity(intervals.len());
    for interval in intervals.drain(..) {
        match merged.last_mut() {
            Some(last) if interval.start_ms <= last.end_ms => last.end_ms = last.end_ms.max(interval.end_ms),
            _ => merged.push(interval),
        }
    }
    *intervals = merged;
}

/// Active time: the sum of gaps between user actions, each gap capped at `cap`. Each action
/// covers `[t, t + cap)`; the union of those intervals measures the capped gaps plus one `cap`
/// for the last action of the session, which is taken off again.
pub fn active_ms(intervals: &[Interval], cap: i64) -> i64 {
    let covered: i64 = intervals.iter().map(|interval| interval.end_ms - interval.start_ms).sum();
    (covered - cap).max(0)
}

fn path_of(url: &str) -> String {
    let without_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    let path = without_scheme.find('/').map(|index| &without_scheme[index..]).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    if path.is_empty() {
        "/".to_string()
    } else {
        path.to_string()
    }
}

fn clip_json(value: Option<&Value>) -> String {
    let text = value.map(Value::to_string).unwrap_or_else(|| "{}".to_string());
    if text.len() <= MAX_PROPS_BYTES {
        text
    } else {
        serde_json::json!({ "truncated": true }).to_string()
    }
}

fn push_capped(list: &mut Vec<String>, value: String, cap: usize) {
    if list.len() < cap {
        list.push(value);
    }
}

impl Session {
    /// A new, empty session.
    pub fn new(batch: &RawBatch) -> Self {
        let update = SessionUpdate {
            project_id: batch.project_id.clone(),
            session_id: batch.session_id.clone(),
            start_ms: i64::MAX,
            end_ms: i64::MIN,
            device: batch.device.clone(),
            ..SessionUpdate::default()
        };
        Session::restore(SessionState {
            update,
            last_received_ms: 0,
            entry_ts_ms: 0,
            exit_ts_ms: 0,
            windows: Vec::new(),
            active_intervals: Vec::new(),
        })
    }

    /// A session from its changelog state.
    pub fn restore(state: SessionState) -> Self {
        Session { state, labels: HashMap::new(), held: Vec::new() }
    }

    /// Whether batches wait for an earlier batch of their tab.
    pub fn has_held(&self) -> bool {
        !self.held.is_empty()
    }

    /// Where the held batches are in the log.
    pub fn held_positions(&self) -> impl Iterator<Item = LogPosition> + '_ {
        self.held.iter().map(|held| held.position)
    }

    fn applied_seq(&self, window_id: &str, seq: i64) -> bool {
        self.state.windows.iter().any(|window| window.window_id == window_id && seq_seen(&window.seen, seq))
    }

    /// A tab's batch is ready when it is its tab's first (seq 0) or the one before it was applied.
    fn ready(&self, batch: &RawBatch) -> bool {
        batch.seq <= 0 || self.applied_seq(&batch.window_id, batch.seq - 1)
    }

    /// Takes a batch as the log delivers it: a batch whose predecessor in its tab was not
    /// applied yet is held (see `release_due`); otherwise it is applied, and then every held
    /// batch of its tab that is now ready, in seq order. So batches that arrive out of order
    /// within the grace give the same rows and state as in order.
    pub fn offer(
        &mut self,
        batch: RawBatch,
        position: LogPosition,
        config: &SessionizerConfig,
        now_ms: i64,
        applied: &mut Applied,
    ) -> Offered {
        let held_before =
            self.held.iter().any(|held| held.batch.window_id == batch.window_id && held.batch.seq == batch.seq);
        if held_before || self.applied_seq(&batch.window_id, batch.seq) {
            return Offered::Duplicate;
        }
        if !self.ready(&batch) {
            self.held.push(Held { batch, position });
            return Offered::Held;
        }
        let window_id = batch.window_id.clone();
        applied.absorb(self.apply(&batch, config, now_ms));
        self.apply_ready(&window_id, config, now_ms, applied);
        Offered::Applied
    }

    /// Applies the held batches of `window_id` that are ready, in seq order.
    fn apply_ready(&mut self, window_id: &str, config: &SessionizerConfig, now_ms: i64, applied: &mut Applied) {
        loop {
            let next = self.held.iter().position(|held| held.batch.window_id == window_id && self.ready(&held.batch));
            let Some(index) = next else { return };
            let held = self.held.remove(index);
            applied.absorb(self.apply(&held.batch, config, now_ms));
        }
    }

    /// Applies the held batches received at least `reorder_grace_ms` before `watermark_ms` (the
    /// receive time of a later record in the same partition, so a replay decides the same),
    /// lowest seq first, each followed by the held batches it made ready.
    pub fn release_due(&mut self, watermark_ms: i64, config: &SessionizerConfig, now_ms: i64, applied: &mut Applied) {
        loop {
            let due = self
                .held
                .iter()
                .enumerate()
                .filter(|(_, held)| held.batch.received_at_ms.saturating_add(config.reorder_grace_ms) <= watermark_ms)
                .min_by(|(_, a), (_, b)| (&a.batch.window_id, a.batch.seq).cmp(&(&b.batch.window_id, b.batch.seq)))
                .map(|(index, _)| index);
            let Some(index) = due else { return };
            let held = self.held.remove(index);
            applied.out_of_order += 1;
            applied.absorb(self.apply(&held.batch, config, now_ms));
            self.apply_ready(&held.batch.window_id, config, now_ms, applied);
        }
    }

    /// The update to publish for the current state.
    pub fn update(&self) -> &SessionUpdate {
        &self.state.update
    }

    fn window_index(&mut self, window_id: &str) -> usize {
        if let Some(index) = self.state.windows.iter().position(|window| window.window_id == window_id) {
            return index;
        }
        self.state.windows.push(WindowState {
            window_id: window_id.to_string(),
            seen: Vec::new(),
            current_url: String::new(),
            last_input_node: -1,
            recent_clicks: Vec::new(),
            pending_clicks: Vec::new(),
            last_reaction_ms: 0,
            clock_offset_ms: None,
            last_sent_at_ms: 0,
        });
        self.state.windows.len() - 1
    }

    /// The tab's clock offset (server time minus client time) for `batch`, before its seq is
    /// marked applied. A tab has one offset: `received_at - sent_at` of its first batch (or the
    /// smallest of those held with it), the bound nearest the true difference that a send gives. It changes only when the client
    /// clock jumped by more than `clock_jump_ms`: forward (a batch shows a delay smaller by
    /// more than that, which the network cannot do; this also corrects a first batch that was
    /// that slow) or back (a delay larger by more than that, on a batch whose sent-at is before
    /// the sent-at of the tab's previous batch). Network delay alone never moves it, so the
    /// intervals between a tab's events stay as the client recorded them.
    fn window_offset(&mut self, window: usize, batch: &RawBatch, config: &SessionizerConfig) -> i64 {
        let delay = batch.clock_offset_ms;
        // The tab's first offset is the smallest delay known: of this batch and of the later
        // batches of its tab that arrived first and wait for it.
        let first_delay = self
            .held
            .iter()
            .filter(|held| held.batch.window_id == batch.window_id)
            .map(|held| held.batch.clock_offset_ms)
            .fold(delay, i64::min);
        let state = &mut self.state.windows[window];
        let newest = state.seen.last().is_none_or(|range| batch.seq > range.last);
        let offset = match state.clock_offset_ms {
            None => first_delay,
            Some(offset) if delay < offset.saturating_sub(config.clock_jump_ms) => delay,
            Some(offset)
                if delay > offset.saturating_add(config.clock_jump_ms)
                    && newest
                    && batch.client_sent_at_ms < state.last_sent_at_ms =>
            {
                delay
            }
            Some(offset) => offset,
        };
        state.clock_offset_ms = Some(offset);
        if newest {
            state.last_sent_at_ms = batch.client_sent_at_ms;
        }
        offset
    }

    /// Applies one batch; a batch applied before changes nothing.
    pub fn apply(&mut self, batch: &RawBatch, config: &SessionizerConfig, now_ms: i64) -> Applied {
        let window = self.window_index(&batch.window_id);
        if seq_seen(&self.state.windows[window].seen, batch.seq) {
            return Applied::default();
        }
        let offset = self.window_offset(window, batch, config);
        add_seq(&mut self.state.windows[window].seen, batch.seq);

        let mut rows = Vec::new();
        let mut outliers = 0;
        // Snapshots nest two JSON levels per DOM level, deeper than serde_json parses by default.
        let events: Vec<&RawValue> = from_slice_deep(&batch.events_json).unwrap_or_default();
        let heads: Vec<Option<EventHead<'_>>> =
            events.iter().map(|raw| from_str_deep::<EventHead<'_>>(raw.get()).ok()).collect();
        let times = batch_times(&heads, batch.client_sent_at_ms, config.outlier_ms);
        for (index, (head, time)) in heads.iter().zip(times.times).enumerate() {
            let (Some(head), Some((client_ms, outlier))) = (head, time) else { continue };
            let ts = client_ms.saturating_add(offset);
            self.state.update.events += 1;
            if outlier {
                outliers += 1;
            } else {
                self.state.update.start_ms = self.state.update.start_ms.min(ts);
                self.state.update.end_ms = self.state.update.end_ms.max(ts);
            }
            let data = head.data.map_or(Value::Null, |data| parse_data(data.get()));
            self.expire_pending_clicks(window, ts, config, &mut rows);
            let mut context = EventContext { batch, window, index: index as i32, ts, outlier, config, rows: &mut rows };
            self.classify(head.kind, &data, &mut context);
        }

        self.absorb_envelope(batch, now_ms);
        self.state.update.version += 1;
        self.state.update.closed = false;
        self.state.update.active_ms = active_ms(&self.state.active_intervals, config.active_idle_cap_ms);
        Applied { rows, changed: true, outliers, batches: 1, out_of_order: 0 }
    }

    fn absorb_envelope(&mut self, batch: &RawBatch, now_ms: i64) {
        let update = &mut self.state.update;
        if let Some(user) = &batch.user {
            if user.id.as_ref().is_some_and(|id| !id.is_empty()) || update.user.is_none() {
                update.user = Some(user.clone());
            }
        }
        // A batch without a Meta event (or from a recorder that sends no screen) keeps the
        // sizes known from earlier batches.
        let screen = (update.device.screen_width, update.device.screen_height);
        let viewport = (update.device.viewport_width, update.device.viewport_height);
        update.device = batch.device.clone();
        if batch.device.screen_width == 0 {
            (update.device.screen_width, update.device.screen_height) = screen;
        }
        if batch.device.viewport_width == 0 {
            (update.device.viewport_width, update.device.viewport_height) = viewport;
        }
        update.windows = self.state.windows.len() as i32;
        update.updated_at_ms = now_ms;
        self.state.last_received_ms = self.state.last_received_ms.max(batch.received_at_ms);
    }

    fn classify(&mut self, event_type: u64, data: &Value, context: &mut EventContext<'_>) {
        match EventType::from_wire(event_type) {
            Some(EventType::Meta) => {
                let href = data.get("href").and_then(Value::as_str).unwrap_or("");
                self.page_view(href, "", context);
            }
            Some(EventType::FullSnapshot) => {
                let labels = self.labels.entry(context.batch.window_id.clone()).or_default();
                labels.clear();
                if let Some(node) = data.get("node") {
                    labels.add_tree(node, None);
                }
                // The Meta event before the snapshot opened the page view; the snapshot has its title.
                if let Some(title) = labels.page_title() {
                    context.title_page_view(title);
                }
            }
            Some(EventType::IncrementalSnapshot) => self.incremental(data, context),
            Some(EventType::Custom) => self.custom(data, context),
            _ => {}
        }
    }

    fn incremental(&mut self, data: &Value, context: &mut EventContext<'_>) {
        let Some(source) = data.get("source").and_then(Value::as_u64).and_then(IncrementalSource::from_wire) else {
            return;
        };
        if source.is_user_action() && !context.outlier {
            add_interval(&mut self.state.active_intervals, context.ts, context.ts + context.config.active_idle_cap_ms);
        }
        match source {
            IncrementalSource::Mutation => {
                self.labels.entry(context.batch.window_id.clone()).or_default().add_mutations(data);
                self.reaction(context);
            }
            IncrementalSource::Scroll => self.reaction(context),
            IncrementalSource::MouseInteraction => {
                let interaction = data.get("type").and_then(Value::as_u64).and_then(MouseInteraction::from_wire);
                match interaction {
                    Some(MouseInteraction::Click) => self.click(data, context),
                    Some(MouseInteraction::Focus) => self.reaction(context),
                    _ => {}
                }
            }
            IncrementalSource::Input => self.input(data, context),
            _ => {}
        }
    }

    /// An input change. Typing fires an Input event per keystroke (with a fixed mask, per
    /// masked value): consecutive events on one text field, with no click, page view or other
    /// field between them, are one change. A select, checkbox or radio button sends one event
    /// per change of its value, and each is an input.
    fn input(&mut self, data: &Value, context: &mut EventContext<'_>) {
        self.reaction(context);
        let node = data.get("id").and_then(Value::as_i64).unwrap_or(-1);
        let named = self.named(context, node);
        let choice = matches!(named.element, "select" | "checkbox" | "radio");
        let window = &mut self.state.windows[context.window];
        if window.last_input_node == node && !choice {
            return;
        }
        window.last_input_node = node;
        self.state.update.inputs += 1;
        push_capped(&mut self.state.update.action_sequence, EventKind::Input.as_str().into(), MAX_SEQUENCE);
        let props = Value::Object(clicks::element_props(&named.label, named.element)).to_string();
        let url = self.state.windows[context.window].current_url.clone();
        context.push(EventKind::Input, &url, "", &named.target, props);
    }
}

struct EventContext<'a> {
    batch: &'a RawBatch,
    window: usize,
    index: i32,
    ts: i64,
    /// The event's own timestamp was an outlier; `ts` is that of the event before it.
    outlier: bool,
    config: &'a SessionizerConfig,
    rows: &'a mut Vec<EventRow>,
}

impl EventContext<'_> {
    /// Gives `title` to this tab's page view written last in this batch, when it has none.
    fn title_page_view(&mut self, title: &str) {
        if title.is_empty() {
            return;
        }
        let window_id = &self.batch.window_id;
        let last =
            self.rows.iter_mut().rev().find(|row| row.kind == EventKind::PageView && row.window_id == *window_id);
        let Some(row) = last else { return };
        let untitled = serde_json::from_str::<Value>(&row.props_json)
            .ok()
            .is_none_or(|props| props.get("page_title").and_then(Value::as_str).unwrap_or("").is_empty());
        if untitled {
            row.props_json = serde_json::json!({ "page_title": title }).to_string();
        }
    }

    fn push(&mut self, kind: EventKind, url: &str, name: &str, target: &str, props_json: String) {
        self.rows.push(EventRow {
            project_id: self.batch.project_id.clone(),
            session_id: self.batch.session_id.clone(),
            window_id: self.batch.window_id.clone(),
            batch_seq: self.batch.seq,
            event_index: self.index,
            kind,
            ts_ms: self.ts,
            url: url.to_string(),
            name: name.to_string(),
            target: target.to_string(),
            props_json,
        });
    }
}

mod clicks;
mod pages;
#[cfg(test)]
mod tests;
