//! The sessionizer's invariants over any batch: what `Session::apply` and `Session::close` may
//! produce, and that a redelivered batch changes nothing.

use playback_schemas::json::{from_slice_deep, from_str_deep};
use playback_schemas::{AvroMessage, RawBatch, SessionState};
use playback_sessionizer::{Session, SessionizerConfig};
use playback_warehouse::{EventKind, EventRow};

/// The sessionizer's clock while it applies the fuzzed batches.
const NOW_MS: i64 = crate::RECEIVED_AT_MS + 5_000;

/// Transcript rows produced so far, by kind, in `EventKind::ALL` order.
#[derive(Debug, Default)]
struct RowCounts([i64; EventKind::ALL.len()]);

impl RowCounts {
    fn add(&mut self, rows: &[EventRow]) {
        for row in rows {
            let position = EventKind::ALL.iter().position(|known| *known == row.kind);
            let Some(position) = position else { panic!("row kind {:?} is not in EventKind::ALL", row.kind) };
            self.0[position] += 1;
        }
    }

    fn of(&self, wanted: EventKind) -> i64 {
        let position = EventKind::ALL.iter().position(|known| *known == wanted).expect("a known kind");
        self.0[position]
    }
}

/// The number of events in a batch as the sessionizer reads them (0 when not a JSON array).
fn events_in(batch: &RawBatch) -> usize {
    from_slice_deep::<Vec<&serde_json::value::RawValue>>(&batch.events_json).map(|events| events.len()).unwrap_or(0)
}

/// Rows from applying `batch`: each is a known kind, names the batch's session, points at an
/// event of the batch (or, for a dead click, at an earlier batch of the window) and never
/// carries what was typed into an input.
fn check_rows(rows: &[EventRow], batch: &RawBatch, applied_seqs: &[(String, i64)]) {
    let events = events_in(batch);
    for row in rows {
        assert!(EventKind::ALL.contains(&row.kind), "row kind {:?} is not in EventKind::ALL", row.kind);
        assert_eq!(row.project_id, batch.project_id);
        assert_eq!(row.session_id, batch.session_id);
        assert!(row.event_index >= 0, "negative event index in {row:?}");
        if row.kind == EventKind::DeadClick {
            let known = applied_seqs.iter().any(|(window, seq)| *window == row.window_id && *seq == row.batch_seq);
            assert!(known, "dead click {row:?} points at a batch never applied");
        } else {
            assert_eq!(row.window_id, batch.window_id);
            assert_eq!(row.batch_seq, batch.seq);
            assert!((row.event_index as usize) < events, "event index {} of {events} events", row.event_index);
        }
        if row.kind == EventKind::Input {
            // The props name the field (its label and kind), never its value.
            let props: serde_json::Value = from_str_deep(&row.props_json).expect("props_json is JSON");
            let mut keys: Vec<&str> =
                props.as_object().map(|props| props.keys().map(String::as_str).collect()).unwrap_or_default();
            keys.sort_unstable();
            assert!(row.name.is_empty() && keys == ["element", "label"], "an input row carries a value: {row:?}");
        }
        if row.kind == EventKind::PageView {
            assert!(!row.url.is_empty(), "a page view without a url");
        }
        from_str_deep::<serde_json::Value>(&row.props_json).expect("props_json is JSON");
    }
}

fn sorted_disjoint(ranges: &[(i64, i64)], what: &str) {
    for range in ranges {
        assert!(range.0 <= range.1, "{what}: empty or reversed {range:?} in {ranges:?}");
    }
    for pair in ranges.windows(2) {
        assert!(pair[0].1 < pair[1].0, "{what}: {ranges:?} are not sorted and disjoint");
    }
}

/// The aggregate agrees with the rows produced so far and with itself.
fn check_state(state: &SessionState, counts: &RowCounts) {
    let update = &state.update;
    let counters = [
        ("page_views", update.page_views, EventKind::PageView),
        ("clicks", update.clicks, EventKind::Click),
        ("inputs", update.inputs, EventKind::Input),
        ("errors", update.errors, EventKind::Exception),
        ("custom_events", update.custom_events, EventKind::Custom),
        ("rage_clicks", update.rage_clicks, EventKind::RageClick),
        ("dead_clicks", update.dead_clicks, EventKind::DeadClick),
    ];
    for (name, value, row_kind) in counters {
        assert!(value >= 0, "{name} is negative: {value}");
        assert_eq!(i64::from(value), counts.of(row_kind), "{name} does not match the {row_kind} rows");
    }
    assert!(update.events >= 0 && update.windows >= 0 && update.active_ms >= 0, "negative count in {update:?}");
    assert_eq!(update.windows as usize, state.windows.len());
    if update.events > 0 {
        assert!(update.start_ms <= update.end_ms, "start {} after end {}", update.start_ms, update.end_ms);
        let span = update.end_ms.checked_sub(update.start_ms);
        if let Some(span) = span {
            assert!(update.active_ms <= span, "active {} ms in a session of {span} ms", update.active_ms);
        }
    }
    assert_eq!(update.page_views > 0, !update.entry_url.is_empty(), "entry url without page views or back");
    assert_eq!(update.page_views > 0, !update.exit_url.is_empty(), "exit url without page views or back");
    if update.page_views > 0 && update.urls.len() < 200 {
        assert!(update.urls.contains(&update.entry_url), "entry url not among urls");
        assert!(update.urls.contains(&update.exit_url), "exit url not among urls");
    }
    assert!(update.urls.len() <= 200 && update.event_names.len() <= 100, "lists past their caps");
    assert!(update.path_sequence.len() <= 500 && update.action_sequence.len() <= 500, "sequences past their caps");
    for (index, url) in update.urls.iter().enumerate() {
        assert!(!update.urls[..index].contains(url), "url {url} listed twice");
    }
    for (index, name) in update.event_names.iter().enumerate() {
        assert!(!update.event_names[..index].contains(name), "event name {name} listed twice");
    }
    for window in &state.windows {
        let seen: Vec<(i64, i64)> = window.seen.iter().map(|range| (range.first, range.last)).collect();
        sorted_disjoint(&seen, "seen seqs");
        for pair in seen.windows(2) {
            assert!(pair[0].1.saturating_add(1) < pair[1].0, "seen seqs {seen:?} are not merged");
        }
    }
    let intervals: Vec<(i64, i64)> =
        state.active_intervals.iter().map(|interval| (interval.start_ms, interval.end_ms)).collect();
    sorted_disjoint(&intervals, "active intervals");
}

/// Applies `batch` to a new session, then again (a redelivery), after a changelog round trip,
/// as the window's next batch and in a second window, then closes the session; checks the
/// rows and the aggregate after each step.
pub fn exercise(batch: &RawBatch) {
    let config = SessionizerConfig::default();
    let mut session = Session::new(batch);
    let mut counts = RowCounts::default();
    let mut applied: Vec<(String, i64)> = Vec::new();

    let first = session.apply(batch, &config, NOW_MS);
    assert!(first.changed, "a new session takes its first batch");
    applied.push((batch.window_id.clone(), batch.seq));
    check_rows(&first.rows, batch, &applied);
    counts.add(&first.rows);
    check_state(&session.state, &counts);
    assert_eq!(session.update().version, 1);

    // A redelivered batch changes nothing, also after a restart from the changelog.
    let after_first = session.state.clone();
    let again = session.apply(batch, &config, NOW_MS + 1);
    assert!(!again.changed && again.rows.is_empty(), "a redelivered batch produced {:?}", again.rows);
    assert_eq!(session.state, after_first, "a redelivered batch changed the state");
    let changelog = session.state.encode().expect("the state encodes");
    let restored_state = SessionState::decode(&changelog).expect("the changelog entry decodes");
    assert_eq!(restored_state, session.state, "changelog round trip");
    let mut restored = Session::restore(restored_state);
    let replayed = restored.apply(batch, &config, NOW_MS + 1);
    assert!(!replayed.changed && replayed.rows.is_empty(), "a restored session applied a batch twice");
    let update = session.update().encode().expect("the update encodes");
    assert_eq!(&playback_schemas::SessionUpdate::decode(&update).expect("the update decodes"), session.update());

    // The same events again as the window's next batch, then in a second window.
    let next_seq = if batch.seq < i64::from(u32::MAX) { batch.seq + 1 } else { batch.seq - 1 };
    let next = RawBatch { seq: next_seq, received_at_ms: batch.received_at_ms + 1_000, ..batch.clone() };
    let second = session.apply(&next, &config, NOW_MS + 2);
    assert!(second.changed, "the next batch of a window was taken for a duplicate");
    applied.push((next.window_id.clone(), next.seq));
    check_rows(&second.rows, &next, &applied);
    counts.add(&second.rows);
    check_state(&session.state, &counts);

    let other_window = format!("{}-other", batch.window_id);
    let other = RawBatch { window_id: other_window, ..batch.clone() };
    let third = session.apply(&other, &config, NOW_MS + 3);
    assert!(third.changed, "a batch of another window was taken for a duplicate");
    applied.push((other.window_id.clone(), other.seq));
    check_rows(&third.rows, &other, &applied);
    counts.add(&third.rows);
    check_state(&session.state, &counts);
    assert_eq!(session.update().version, 3);

    // Closing writes nothing: a click still waiting had no event of its tab past its window.
    session.close(NOW_MS + 4);
    check_state(&session.state, &counts);
    assert!(session.update().closed);
    assert!(session.state.windows.iter().all(|window| window.pending_clicks.is_empty()), "clicks still pending");
}
