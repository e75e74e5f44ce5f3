//! Time inside a tab is the client's: the same recording gives the same transcript, counts and
//! dead clicks whatever the network did to its batches (other delays, another order) and
//! whatever one wild timestamp says.
//!
//! The recording is e2e/fixtures/demo-session-batches.json: one visit of the demo site made by
//! Playback's recorder in Chromium (e2e/fixtures/record-demo-session.mjs), four batches of one
//! tab: page 1's Meta and FullSnapshot, the visit's clicks, typing, scrolls and custom events,
//! then page 2's Meta and FullSnapshot, and a click there.
//!
//! `deliver` plays the sessionizer's loop over a log (`Sessionizer::apply_records`): before
//! each record, the held batches its receive time makes due; then the record; at the end, what
//! is still held (the quiet-partition release), and the close.
//!
//! The same recording also shows what the transcript calls the visit's clicks, inputs and
//! pages: the labels and page titles its titles are made of.

#![allow(clippy::unwrap_used)]

use playback_schemas::{Device, RawBatch, SessionUpdate};
use playback_sessionizer::{Applied, LogPosition, Offered, Session, SessionizerConfig};
use playback_warehouse::EventRow;
use serde_json::Value;

/// The delay of a batch sent over a quiet network: received_at - sent_at with equal clocks.
const BASE_DELAY_MS: i64 = 20;

fn fixture() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../e2e/fixtures/demo-session-batches.json");
    let fixture: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    fixture["batches"].as_array().unwrap().clone()
}

/// The RawBatch the gateway would publish for a fixture batch received `delay_ms` after it was
/// sent.
fn raw_batch(batch: &Value, delay_ms: i64) -> RawBatch {
    let sent_at = batch["sent_at"].as_i64().unwrap();
    let events = batch["events"].as_array().unwrap();
    RawBatch {
        project_id: "demo".into(),
        session_id: batch["session_id"].as_str().unwrap().into(),
        window_id: batch["window_id"].as_str().unwrap().into(),
        seq: batch["seq"].as_i64().unwrap(),
        client_sent_at_ms: sent_at,
        received_at_ms: sent_at + delay_ms,
        clock_offset_ms: delay_ms,
        user: None,
        device: Device { browser: "Chrome".into(), ..Device::default() },
        event_count: events.len() as i32,
        events_json: serde_json::to_vec(events).unwrap(),
    }
}

/// The fixture's batches in the order sent, each with `delays[seq]`.
fn with_delays(delays: &[i64]) -> Vec<RawBatch> {
    let batches = fixture();
    assert_eq!(batches.len(), delays.len());
    batches.iter().map(|batch| raw_batch(batch, delays[batch["seq"].as_u64().unwrap() as usize])).collect()
}

/// The fixture's batches in the log order `seqs`: each is received when it was sent plus the
/// base delay, or just after the record before it in the log, whichever is later (a log's
/// receive times grow with its order).
fn in_log_order(seqs: &[i64]) -> Vec<RawBatch> {
    let batches = fixture();
    let mut log = Vec::new();
    let mut last_received = i64::MIN;
    for seq in seqs {
        let batch = batches.iter().find(|batch| batch["seq"].as_i64() == Some(*seq)).unwrap();
        let sent_at = batch["sent_at"].as_i64().unwrap();
        let received = (sent_at + BASE_DELAY_MS).max(last_received + 1);
        last_received = received;
        log.push(raw_batch(batch, received - sent_at));
    }
    log
}

/// What a delivery produced.
#[derive(Debug)]
struct Outcome {
    /// Transcript rows in the order written.
    rows: Vec<EventRow>,
    update: SessionUpdate,
    outliers: u64,
    out_of_order: u64,
}

const NOW_MS: i64 = 1_800_000_000_000;

fn deliver(log: &[RawBatch], config: &SessionizerConfig) -> Outcome {
    let mut session = Session::new(&log[0]);
    let mut applied = Applied::default();
    let mut watermark = i64::MIN;
    for (offset, batch) in log.iter().enumerate() {
        watermark = watermark.max(batch.received_at_ms);
        session.release_due(watermark, config, NOW_MS, &mut applied);
        let position = LogPosition { partition: 0, offset: offset as i64 };
        let offered = session.offer(batch.clone(), position, config, NOW_MS, &mut applied);
        assert_ne!(offered, Offered::Duplicate, "batch {} offered once", batch.seq);
    }
    session.release_due(i64::MAX, config, NOW_MS, &mut applied);
    assert!(!session.has_held());
    session.close(NOW_MS);
    Outcome {
        rows: applied.rows,
        update: session.update().clone(),
        outliers: applied.outliers,
        out_of_order: applied.out_of_order,
    }
}

/// The default settings, under which no click of the visit is dead (the click on the link to
/// page 2 has its reaction, page 2's page view, 236 ms later in the next batch), and a
/// dead-click window of 50 ms, under which that click is dead.
fn configs() -> [SessionizerConfig; 2] {
    [SessionizerConfig::default(), SessionizerConfig { dead_click_window_ms: 50, ..SessionizerConfig::default() }]
}

fn plain(config: &SessionizerConfig) -> Outcome {
    deliver(&with_delays(&[BASE_DELAY_MS; 4]), config)
}

fn summary(rows: &[EventRow]) -> Vec<(String, i64, String, String)> {
    rows.iter().map(|row| (row.kind.to_string(), row.ts_ms, row.url.clone(), row.target.clone())).collect()
}

/// Same rows (kinds, times, urls, targets, identities, order), same counts and times.
fn assert_same(outcome: &Outcome, expected: &Outcome, what: &str) {
    assert_eq!(summary(&outcome.rows), summary(&expected.rows), "{what}: transcript");
    assert_eq!(outcome.rows, expected.rows, "{what}: rows");
    assert_eq!(outcome.update, expected.update, "{what}: session aggregate");
}

#[test]
fn the_plain_send_has_the_visits_transcript() {
    let [default, tight] = configs();
    let outcome = plain(&default);
    let update = &outcome.update;
    assert_eq!((update.events, update.clicks, update.page_views), (81, 10, 2));
    assert_eq!((update.dead_clicks, update.rage_clicks), (0, 0));
    let page_two = outcome.rows.iter().find(|row| row.kind == "page_view" && row.url.ends_with("/demo/page2.html"));
    assert!(page_two.is_some(), "{:?}", summary(&outcome.rows));
    let clicks: Vec<&EventRow> = outcome.rows.iter().filter(|row| row.kind == "click").collect();
    assert!(clicks.iter().all(|row| !row.url.is_empty() && !row.target.starts_with("node #")), "{clicks:?}");
    assert!(clicks.iter().any(|row| row.target.contains("Browse the spring collection")), "{clicks:?}");
    let to_page_two = clicks.iter().find(|row| row.target.starts_with("a#to-page2")).unwrap();
    let reaction = page_two.unwrap().ts_ms - to_page_two.ts_ms;
    assert!(reaction > 50 && reaction < 1_000, "page 2 shows {reaction} ms after the click");
    let inputs = outcome.rows.iter().filter(|row| row.kind == "input").count();
    assert!(inputs >= 2, "the name and password fields: {inputs}");

    let tight = plain(&tight);
    let dead: Vec<&EventRow> = tight.rows.iter().filter(|row| row.kind == "dead_click").collect();
    assert_eq!(dead.len(), 1, "{:?}", summary(&tight.rows));
    assert!(dead[0].target.starts_with("a#to-page2"), "{:?}", dead[0]);
}

#[test]
fn network_delays_do_not_move_events_within_a_tab() {
    for config in configs() {
        let expected = plain(&config);
        // The big batch of clicks takes 1.5 s to upload, page 2's snapshot 300 ms, the last
        // click 4 s (a retry); the first batch is small and fast, as on a quiet network.
        let slow = deliver(&with_delays(&[BASE_DELAY_MS, 1_520, 320, 4_020]), &config);
        assert_same(&slow, &expected, "slow uploads");
        let jittery = deliver(&with_delays(&[BASE_DELAY_MS, 900, 45, 2_600]), &config);
        assert_same(&jittery, &expected, "jitter");

        // A slower first batch shifts the whole tab by the same amount, nothing else.
        let shift = 700;
        let shifted = deliver(&with_delays(&[BASE_DELAY_MS + shift, 1_520, 320, 4_020]), &config);
        let moved: Vec<EventRow> =
            expected.rows.iter().map(|row| EventRow { ts_ms: row.ts_ms + shift, ..row.clone() }).collect();
        assert_eq!(shifted.rows, moved, "every row moves by the first batch's extra delay");
        let update = &shifted.update;
        assert_eq!(
            (update.start_ms, update.end_ms),
            (expected.update.start_ms + shift, expected.update.end_ms + shift)
        );
        let unshifted =
            SessionUpdate { start_ms: update.start_ms - shift, end_ms: update.end_ms - shift, ..update.clone() };
        assert_eq!(unshifted, expected.update, "counts, dead clicks and active time do not change");
    }
}

#[test]
fn a_client_clock_jump_moves_the_offset_once() {
    let config = SessionizerConfig::default();
    let expected = plain(&config);
    // The client clock jumps 1 h ahead between batches 1 and 2: its later events and sent-ats
    // are an hour ahead, and their delays an hour shorter. The tab's offset follows the jump,
    // so the events stay where they happened in server time.
    let hour = 3_600_000;
    let mut log = with_delays(&[BASE_DELAY_MS; 4]);
    for batch in log.iter_mut().filter(|batch| batch.seq >= 2) {
        let events: Vec<Value> = serde_json::from_slice(&batch.events_json).unwrap();
        let ahead: Vec<Value> = events
            .into_iter()
            .map(|mut event| {
                event["timestamp"] = Value::from(event["timestamp"].as_i64().unwrap() + hour);
                event
            })
            .collect();
        batch.events_json = serde_json::to_vec(&ahead).unwrap();
        batch.client_sent_at_ms += hour;
        batch.clock_offset_ms -= hour;
    }
    let jumped = deliver(&log, &config);
    assert_same(&jumped, &expected, "clock jump");
}

#[test]
fn batches_in_another_order_give_the_same_transcript() {
    for config in configs() {
        let expected = plain(&config);
        assert_eq!(expected.out_of_order, 0);
        for order in [[1, 0, 2, 3], [2, 0, 3, 1], [3, 2, 1, 0], [1, 3, 2, 0]] {
            let log = in_log_order(&order);
            let outcome = deliver(&log, &config);
            assert_same(&outcome, &expected, &format!("log order {order:?}"));
            assert_eq!(outcome.out_of_order, 0, "{order:?}: every batch waited for the one before it");
        }
    }
}

#[test]
fn a_batch_past_the_grace_is_applied_without_its_predecessor() {
    let config = SessionizerConfig::default();
    let expected = plain(&config);
    // Batch 0 arrives 10 s after batch 1: past the 5 s grace, batch 1 is applied without it.
    let mut log = in_log_order(&[1, 2, 3]);
    let mut first = with_delays(&[BASE_DELAY_MS; 4]).remove(0);
    first.received_at_ms = log[2].received_at_ms + 10_000;
    first.clock_offset_ms = first.received_at_ms - first.client_sent_at_ms;
    log.push(first);
    let late = deliver(&log, &config);
    assert_eq!(late.out_of_order, 1);
    let counts = |update: &SessionUpdate| (update.events, update.clicks, update.inputs, update.page_views);
    assert_eq!(counts(&late.update), counts(&expected.update), "every event is counted once");
    let mut kinds: Vec<&str> = late.rows.iter().map(|row| row.kind.as_str()).collect();
    let mut expected_kinds: Vec<&str> = expected.rows.iter().map(|row| row.kind.as_str()).collect();
    kinds.sort_unstable();
    expected_kinds.sort_unstable();
    assert_eq!(kinds, expected_kinds);
}

/// One digit too many, as in rrweb's own `video-playback` fixture: seven months later.
const WILD_MS: i64 = 17_100_000_000;

fn with_wild_timestamp(seq: i64, pick: impl Fn(&Value) -> bool) -> Vec<RawBatch> {
    let mut log = with_delays(&[BASE_DELAY_MS; 4]);
    let batch = log.iter_mut().find(|batch| batch.seq == seq).unwrap();
    let mut events: Vec<Value> = serde_json::from_slice(&batch.events_json).unwrap();
    let event = events.iter_mut().rev().find(|event| pick(event)).unwrap();
    event["timestamp"] = Value::from(event["timestamp"].as_i64().unwrap() + WILD_MS);
    batch.events_json = serde_json::to_vec(&events).unwrap();
    log
}

fn is_mouse_move(event: &Value) -> bool {
    event["type"] == 3 && event["data"]["source"] == 1
}

#[test]
fn one_wild_timestamp_does_not_stretch_the_session() {
    for config in configs() {
        let expected = plain(&config);
        // A mouse move in the middle of the visit, and the last event of the last batch.
        for (seq, pick) in [(1, is_mouse_move as fn(&Value) -> bool), (3, |_: &Value| true)] {
            let outcome = deliver(&with_wild_timestamp(seq, pick), &config);
            assert_eq!(outcome.outliers, 1);
            assert_eq!(outcome.update.events, expected.update.events, "the event is kept");
            if seq == 1 {
                assert_eq!(outcome.update.end_ms, expected.update.end_ms, "the end does not move seven months ahead");
                assert_same(&outcome, &expected, "a wild mouse move");
            } else {
                // The wild event is a mutation, the reaction to page 2's click; it is read at the
                // time of the event before it, so the click is still not dead, and the session
                // ends with the event before it, 1 ms earlier.
                assert_eq!(outcome.update.end_ms, expected.update.end_ms - 1);
                assert_eq!(outcome.update.start_ms, expected.update.start_ms);
                assert_eq!(outcome.update.dead_clicks, expected.update.dead_clicks);
                assert_eq!(outcome.update.active_ms, expected.update.active_ms);
                assert_eq!(outcome.rows.len(), expected.rows.len());
            }
        }
    }
}

/// The label, element kind and target of each click and input of the visit, and each page
/// view's title: the words of the transcript's titles (demo/index.html, demo/page2.html).
#[test]
fn the_visits_clicks_inputs_and_pages_are_named_in_words() {
    let outcome = plain(&SessionizerConfig::default());
    let named = |kind: &str| -> Vec<(String, String)> {
        outcome
            .rows
            .iter()
            .filter(|row| row.kind == kind)
            .map(|row| {
                let props: Value = serde_json::from_str(&row.props_json).unwrap();
                let text = |key: &str| props[key].as_str().unwrap_or("").to_string();
                (text("label"), text("element"))
            })
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(label, element)| (label.to_string(), element.to_string())).collect()
    };
    assert_eq!(
        named("click"),
        pairs(&[
            ("Full name", "field"),
            ("Password", "field"),
            ("Send me the weekly newsletter", "checkbox"),
            ("Create account", "button"),
            ("Add an item", "button"),
            ("Sign in as Ada", "button"),
            ("Browse the spring collection", "button"),
            ("Check out", "button"),
            ("Shipping & returns", "link"),
            ("Estimate my delivery date", "button"),
        ])
    );
    assert_eq!(
        named("input"),
        pairs(&[
            ("Full name", "field"),
            ("Password", "field"),
            ("Send me the weekly newsletter", "checkbox"),
            ("Plan", "select"),
        ])
    );
    let titles: Vec<String> = outcome
        .rows
        .iter()
        .filter(|row| row.kind == "page_view")
        .map(|row| serde_json::from_str::<Value>(&row.props_json).unwrap()["page_title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(titles, ["Acme Store", "Shipping & returns · Acme Store"]);
    let identify: Vec<&EventRow> = outcome.rows.iter().filter(|row| row.kind == "identify").collect();
    assert_eq!(identify.len(), 1);
    assert_eq!(identify[0].props_json, r#"{"user_id":"ada@example.com"}"#);
}
