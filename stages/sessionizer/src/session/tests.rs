use super::*;
use playback_schemas::{Device, User};
use serde_json::json;

const T0: i64 = 1_764_300_000_000;

fn batch(window: &str, seq: i64, events: Value) -> RawBatch {
    RawBatch {
        project_id: "demo".into(),
        session_id: "0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5f".into(),
        window_id: window.into(),
        seq,
        client_sent_at_ms: T0,
        received_at_ms: T0 + 1_000,
        clock_offset_ms: 1_000,
        user: None,
        device: Device { browser: "Chrome".into(), ..Device::default() },
        event_count: events.as_array().map(Vec::len).unwrap_or(0) as i32,
        events_json: events.to_string().into_bytes(),
    }
}

fn meta(href: &str, at: i64) -> Value {
    json!({"type": 4, "data": {"href": href, "width": 1280, "height": 720}, "timestamp": T0 + at})
}

fn snapshot(at: i64) -> Value {
    json!({"type": 2, "timestamp": T0 + at, "data": {"node": {"type": 0, "id": 1, "childNodes": [
        {"type": 2, "id": 2, "tagName": "button", "attributes": {"id": "go"}, "childNodes": [{"type": 3, "id": 3, "textContent": "Go"}]},
        {"type": 2, "id": 4, "tagName": "input", "attributes": {"id": "name"}, "childNodes": []},
        {"type": 2, "id": 5, "tagName": "p", "attributes": {}, "childNodes": [{"type": 3, "id": 6, "textContent": "text"}]}]}}})
}

fn click(node: i64, at: i64) -> Value {
    json!({"type": 3, "data": {"source": 2, "type": 2, "id": node, "x": 1, "y": 1}, "timestamp": T0 + at})
}

fn input(node: i64, at: i64) -> Value {
    json!({"type": 3, "data": {"source": 5, "id": node, "text": "********", "isChecked": false}, "timestamp": T0 + at})
}

fn mouse_move(at: i64) -> Value {
    json!({"type": 3, "data": {"source": 1, "positions": [{"x": 5, "y": 5, "id": 1, "timeOffset": 0}]}, "timestamp": T0 + at})
}

fn mutation(at: i64) -> Value {
    json!({"type": 3, "data": {"source": 0, "adds": [], "removes": [], "texts": [], "attributes": []}, "timestamp": T0 + at})
}

fn custom(tag: &str, payload: Value, at: i64) -> Value {
    json!({"type": 5, "data": {"tag": tag, "payload": payload}, "timestamp": T0 + at})
}

fn kinds(rows: &[EventRow]) -> Vec<&str> {
    rows.iter().map(|row| row.kind.as_str()).collect()
}

#[test]
fn classifies_page_views_clicks_inputs_errors_and_custom_events() {
    let config = SessionizerConfig::default();
    let events = json!([
        meta("https://shop.test/", 0),
        custom("$pageview", json!({"href": "https://shop.test/"}), 1),
        snapshot(2),
        click(3, 100),
        mutation(150),
        input(4, 200),
        input(4, 300),
        input(4, 400),
        custom("$exception", json!({"message": "boom", "stack": "at x"}), 500),
        custom("signup", json!({"plan": "pro"}), 600),
        custom("$identify", json!({"user_id": "u"}), 700),
        custom("$pageview", json!({"href": "https://shop.test/two?x=1"}), 800),
    ]);
    let mut session = Session::new(&batch("w1", 0, events.clone()));
    let applied = session.apply(&batch("w1", 0, events), &config, T0 + 2_000);
    assert_eq!(
        kinds(&applied.rows),
        vec!["page_view", "click", "input", "exception", "custom", "identify", "page_view"]
    );
    let click_row = &applied.rows[1];
    assert_eq!(click_row.target, "button#go \"Go\"");
    assert_eq!(click_row.ts_ms, T0 + 100 + 1_000, "server time adds the clock offset");
    assert_eq!(click_row.url, "https://shop.test/");
    assert_eq!(applied.rows[3].name, "boom");
    assert_eq!(applied.rows[4].name, "signup");
    assert_eq!(applied.rows[4].props_json, r#"{"plan":"pro"}"#);
    assert_eq!(applied.rows[5].props_json, r#"{"user_id":"u"}"#);
    let update = session.update();
    assert_eq!((update.page_views, update.clicks, update.inputs, update.errors, update.custom_events), (2, 1, 1, 1, 1));
    assert_eq!(update.entry_url, "https://shop.test/");
    assert_eq!(update.exit_url, "https://shop.test/two?x=1");
    assert_eq!(update.path_sequence, vec!["/", "/two"]);
    assert_eq!(update.event_names, vec!["signup"]);
    assert_eq!(update.start_ms, T0 + 1_000);
    assert_eq!(update.end_ms, T0 + 800 + 1_000);
    assert_eq!(update.version, 1);
}

#[test]
fn redelivered_batch_changes_nothing() {
    let config = SessionizerConfig::default();
    let first = batch("w1", 0, json!([meta("https://a.test/", 0), click(2, 10)]));
    let mut session = Session::new(&first);
    assert!(session.apply(&first, &config, T0).changed);
    let before = session.update().clone();
    let again = session.apply(&first, &config, T0 + 5);
    assert!(!again.changed);
    assert!(again.rows.is_empty());
    assert_eq!(session.update(), &before);
    // A later batch of the same window still applies, and so does an earlier one that was late.
    assert!(session.apply(&batch("w1", 2, json!([click(2, 5_000)])), &config, T0).changed);
    assert!(session.apply(&batch("w1", 1, json!([click(2, 3_000)])), &config, T0).changed);
    assert_eq!(session.state.windows[0].seen, vec![SeqRange { first: 0, last: 2 }]);
    assert_eq!(session.update().clicks, 3);
}

#[test]
fn a_late_batch_reopens_a_closed_session_and_extends_it_back_in_time() {
    let config = SessionizerConfig::default();
    let first = batch("w1", 1, json!([meta("https://a.test/", 60_000), click(2, 61_000)]));
    let mut session = Session::new(&first);
    session.apply(&first, &config, T0);
    session.close(T0 + 31 * 60_000);
    assert!(session.update().closed);
    let version = session.update().version;

    // Batch 0 of the same tab arrives after the close, with earlier events: it belongs to this
    // session, which opens again with its start moved back and every event counted once.
    let late = batch("w1", 0, json!([meta("https://a.test/", 0), custom("signup", json!({}), 1_000)]));
    let applied = session.apply(&late, &config, T0 + 32 * 60_000);
    assert!(applied.changed);
    assert!(applied.rows.iter().any(|row| row.kind == "custom" && row.batch_seq == 0 && row.event_index == 1));
    let update = session.update();
    assert!(!update.closed);
    assert!(update.version > version, "a higher version, so the warehouse keeps this state");
    assert_eq!(update.events, 4);
    assert_eq!(update.start_ms, T0 + 1_000, "server time: client time plus the batch's clock offset");
    assert_eq!(update.end_ms, T0 + 62_000);
}

#[test]
fn rage_and_dead_clicks() {
    let config = SessionizerConfig::default();
    // Three quick clicks on the paragraph, which never reacts; then one on the button, which does.
    let events = json!([
        meta("https://a.test/", 0),
        snapshot(1),
        click(6, 100),
        click(6, 300),
        click(6, 500),
        click(3, 3_000),
        mutation(3_100),
        mutation(9_000)
    ]);
    let mut session = Session::new(&batch("w1", 0, events.clone()));
    let applied = session.apply(&batch("w1", 0, events), &config, T0);
    assert_eq!(
        kinds(&applied.rows),
        vec!["page_view", "click", "click", "click", "rage_click", "dead_click", "dead_click", "dead_click", "click"]
    );
    assert_eq!(applied.rows[1].target, "p", "a click on a paragraph's text is named by the paragraph");
    assert_eq!(applied.rows[8].target, "button#go \"Go\"");
    let update = session.update();
    assert_eq!((update.clicks, update.rage_clicks, update.dead_clicks), (4, 1, 3));
}

#[test]
fn a_click_the_recording_ends_within_its_window_of_is_not_dead() {
    let config = SessionizerConfig::default();
    let events = json!([meta("https://a.test/", 0), snapshot(1), click(6, 100), mouse_move(900)]);
    let mut session = Session::new(&batch("w1", 0, events.clone()));
    let applied = session.apply(&batch("w1", 0, events), &config, T0);
    assert_eq!(kinds(&applied.rows), vec!["page_view", "click"]);
    session.close(T0 + 10);
    assert!(session.update().closed);
    assert_eq!(session.update().dead_clicks, 0, "the recording ended 800 ms after the click: nobody saw");
    assert!(session.state.windows[0].pending_clicks.is_empty());
}

#[test]
fn a_click_is_dead_once_its_tab_recorded_past_the_window_without_a_reaction() {
    let config = SessionizerConfig::default();
    let first = batch("w1", 0, json!([meta("https://a.test/", 0), snapshot(1), click(6, 100)]));
    let mut session = Session::new(&first);
    assert_eq!(kinds(&session.apply(&first, &config, T0).rows), vec!["page_view", "click"]);
    // Only a mouse move, 1.2 s later: the page did not answer the click.
    let later = session.apply(&batch("w1", 1, json!([mouse_move(1_300)])), &config, T0);
    assert_eq!(kinds(&later.rows), vec!["dead_click"]);
    assert_eq!(later.rows[0].ts_ms, T0 + 100 + 1_000, "at the click's time");
    assert_eq!(later.rows[0].props_json, r#"{"element":"text","label":"text"}"#);
    assert_eq!(session.update().dead_clicks, 1);
}

#[test]
fn active_time_caps_idle_gaps_across_tabs() {
    let config = SessionizerConfig { active_idle_cap_ms: 10_000, ..SessionizerConfig::default() };
    let mut session = Session::new(&batch("w1", 0, json!([])));
    // Tab 1: actions at 0s, 4s, then 64s (a 60 s idle gap counts 10 s).
    session.apply(&batch("w1", 0, json!([click(1, 0), click(1, 4_000), click(1, 64_000)])), &config, T0);
    // Tab 2 acts at 2 s, inside tab 1's activity: no extra time.
    session.apply(&batch("w2", 0, json!([click(1, 2_000)])), &config, T0);
    assert_eq!(session.update().active_ms, 4_000 + 10_000);
    assert_eq!(session.update().windows, 2);
}

#[test]
fn user_and_screen_come_from_the_envelope() {
    let config = SessionizerConfig::default();
    let mut first = batch("w1", 0, json!([meta("https://a.test/", 0)]));
    first.device.screen_width = 1280;
    first.device.screen_height = 720;
    first.device.viewport_width = 1264;
    first.device.viewport_height = 600;
    let mut session = Session::new(&first);
    session.apply(&first, &config, T0);
    let mut second = batch("w1", 1, json!([click(1, 10)]));
    second.user = Some(User { id: Some("ada@example.com".into()), traits_json: r#"{"plan":"pro"}"#.into() });
    session.apply(&second, &config, T0);
    let update = session.update();
    assert_eq!(update.user.as_ref().and_then(|user| user.id.as_deref()), Some("ada@example.com"));
    assert_eq!((update.device.screen_width, update.device.screen_height), (1280, 720), "kept from the first batch");
    assert_eq!((update.device.viewport_width, update.device.viewport_height), (1264, 600), "kept from the Meta batch");
}

#[test]
fn intervals_and_ranges_merge() {
    let mut ranges = Vec::new();
    for seq in [3, 1, 2, 7, 0] {
        add_seq(&mut ranges, seq);
    }
    assert_eq!(ranges, vec![SeqRange { first: 0, last: 3 }, SeqRange { first: 7, last: 7 }]);
    let mut intervals = Vec::new();
    add_interval(&mut intervals, 100, 200);
    add_interval(&mut intervals, 0, 50);
    add_interval(&mut intervals, 40, 120);
    add_interval(&mut intervals, 300, 400);
    assert_eq!(intervals, vec![Interval { start_ms: 0, end_ms: 200 }, Interval { start_ms: 300, end_ms: 400 }]);
    assert_eq!(active_ms(&intervals, 100), 200);
    assert_eq!(path_of("https://a.test/two/three?x#y"), "/two/three");
    assert_eq!(path_of("https://a.test"), "/");
}

/// Found by the `session_classifier` fuzz target (fuzz/regressions/): a timestamp the gateway
/// refuses overflowed `timestamp + clock_offset` when such a batch reached the log anyway.
#[test]
fn events_with_implausible_timestamps_are_skipped() {
    let config = SessionizerConfig::default();
    let wild = |timestamp: f64| json!({"type": 3, "data": {"source": 2, "type": 2, "id": 1}, "timestamp": timestamp});
    let events = json!([wild(1e300), wild(-1e300), wild(-5.0), click(1, 0)]);
    let mut session = Session::new(&batch("w1", 0, events.clone()));
    let applied = session.apply(&batch("w1", 0, events), &config, T0);
    assert_eq!(kinds(&applied.rows), vec!["click"]);
    assert_eq!(session.update().events, 1);
    assert_eq!((session.update().start_ms, session.update().end_ms), (T0 + 1_000, T0 + 1_000));
}

/// Meta, a FullSnapshot whose DOM is `dom_levels` elements deep with `button#go "Go"` at the
/// bottom, a click on the button's text and a custom event, as JSON text: building it as a
/// `Value` would nest as deep. `2 * dom_levels + 4` JSON levels.
fn deep_snapshot_batch(seq: i64, dom_levels: usize) -> RawBatch {
    let mut node = r#"{"type":2,"id":1,"tagName":"button","attributes":{"id":"go"},"childNodes":[{"type":3,"id":2,"textContent":"Go"}]}"#.to_string();
    for id in 3..dom_levels + 2 {
        node = format!(r#"{{"type":2,"id":{id},"tagName":"div","attributes":{{}},"childNodes":[{node}]}}"#);
    }
    let snapshot =
        format!(r#"{{"type":2,"data":{{"node":{node},"initialOffset":{{"top":0,"left":0}}}},"timestamp":{}}}"#, T0 + 1);
    let events = format!(
        "[{},{snapshot},{},{}]",
        meta("https://deep.test/", 0),
        click(2, 100),
        custom("signup", json!({"plan": "pro"}), 200)
    );
    RawBatch { events_json: events.into_bytes(), event_count: 4, ..batch("w1", seq, json!([])) }
}

#[test]
fn every_event_of_a_batch_with_a_deep_snapshot_counts() {
    let deep = deep_snapshot_batch(0, 200);
    assert_eq!(playback_schemas::json::depth(&deep.events_json), 404);
    let config = SessionizerConfig::default();
    let mut session = Session::new(&deep);
    let applied = session.apply(&deep, &config, T0 + 2_000);
    assert_eq!(session.update().events, 4);
    assert_eq!(kinds(&applied.rows), vec!["page_view", "click", "custom"]);
    assert_eq!(applied.rows[1].target, "button#go \"Go\"", "the click target is named from the deep snapshot");
    assert_eq!((applied.rows[2].name.as_str(), applied.rows[2].props_json.as_str()), ("signup", r#"{"plan":"pro"}"#));
    assert_eq!(session.update().custom_events, 1);
}

/// The deepest batch the gateway accepts is parsed, walked and dropped on a thread with a
/// tokio worker's stack.
#[test]
fn deepest_snapshot_fits_a_worker_thread_stack() {
    let deepest = deep_snapshot_batch(0, 253);
    assert_eq!(playback_schemas::json::depth(&deepest.events_json), 510);
    let worker = std::thread::Builder::new().stack_size(2 << 20).spawn(move || {
        let mut session = Session::new(&deepest);
        let applied = session.apply(&deepest, &SessionizerConfig::default(), T0);
        (session.update().events, applied.rows[1].target.clone())
    });
    let (events, target) = worker.unwrap().join().expect("no stack overflow");
    assert_eq!((events, target.as_str()), (4, "button#go \"Go\""));
}

/// A page with a title, a labelled text field, a select and a checkbox inside its label.
fn form_snapshot(at: i64) -> Value {
    json!({"type": 2, "timestamp": T0 + at, "data": {"node": {"type": 0, "id": 1, "childNodes": [
        {"type": 2, "id": 2, "tagName": "head", "attributes": {}, "childNodes": [
            {"type": 2, "id": 3, "tagName": "title", "attributes": {}, "childNodes": [{"type": 3, "id": 4, "textContent": "Sign up · Shop"}]}]},
        {"type": 2, "id": 10, "tagName": "label", "attributes": {"for": "name"}, "childNodes": [{"type": 3, "id": 11, "textContent": "Full name"}]},
        {"type": 2, "id": 12, "tagName": "input", "attributes": {"id": "name", "type": "text"}, "childNodes": []},
        {"type": 2, "id": 13, "tagName": "label", "attributes": {"for": "plan"}, "childNodes": [{"type": 3, "id": 14, "textContent": "Plan"}]},
        {"type": 2, "id": 15, "tagName": "select", "attributes": {"id": "plan", "value": "********"}, "childNodes": []},
        {"type": 2, "id": 16, "tagName": "label", "attributes": {}, "childNodes": [
            {"type": 2, "id": 17, "tagName": "input", "attributes": {"type": "checkbox"}, "childNodes": []},
            {"type": 3, "id": 18, "textContent": "Newsletter"}]}]}}})
}

fn props(row: &EventRow) -> Value {
    serde_json::from_str(&row.props_json).unwrap()
}

#[test]
fn each_change_of_a_select_is_an_input_and_typing_in_a_field_is_one() {
    let config = SessionizerConfig::default();
    let events = json!([
        meta("https://shop.test/signup", 0),
        form_snapshot(1),
        input(12, 100),
        input(12, 150),
        input(12, 200),
        input(15, 1_000),
        input(15, 1_500),
        input(17, 2_000),
        input(17, 2_400),
        input(12, 3_000),
    ]);
    let mut session = Session::new(&batch("w1", 0, events.clone()));
    let applied = session.apply(&batch("w1", 0, events), &config, T0);
    let inputs: Vec<(String, i64)> = applied
        .rows
        .iter()
        .filter(|row| row.kind == EventKind::Input)
        .map(|row| (props(row)["label"].as_str().unwrap_or("").to_string(), row.ts_ms - T0 - 1_000))
        .collect();
    let expected = [
        ("Full name", 100),
        ("Plan", 1_000),
        ("Plan", 1_500),
        ("Newsletter", 2_000),
        ("Newsletter", 2_400),
        ("Full name", 3_000),
    ];
    assert_eq!(inputs, expected.map(|(label, at)| (label.to_string(), at)));
    assert_eq!(session.update().inputs, 6);
    let plan = applied.rows.iter().find(|row| row.kind == EventKind::Input && row.target == "select#plan").unwrap();
    assert_eq!(props(plan), json!({"label": "Plan", "element": "select"}), "no value, only what names the field");
}

#[test]
fn clicks_carry_the_label_and_kind_of_the_element() {
    let config = SessionizerConfig::default();
    let events = json!([
        meta("https://shop.test/signup", 0),
        form_snapshot(1),
        click(12, 100),
        click(3, 200),
        click(3, 300),
        click(3, 400),
        mutation(450)
    ]);
    let mut session = Session::new(&batch("w1", 0, events.clone()));
    let applied = session.apply(&batch("w1", 0, events), &config, T0);
    assert_eq!(kinds(&applied.rows), vec!["page_view", "click", "click", "click", "click", "rage_click"]);
    assert_eq!(props(&applied.rows[1]), json!({"label": "Full name", "element": "field"}));
    assert_eq!(applied.rows[1].target, "input[type=text]#name");
    assert_eq!(props(&applied.rows[5]), json!({"label": "", "element": "", "clicks": 3}));
}

#[test]
fn a_page_view_has_the_title_of_its_snapshot_or_of_the_recorders_page_view() {
    let config = SessionizerConfig::default();
    let events = json!([
        meta("https://shop.test/signup", 0),
        form_snapshot(1),
        custom("$pageview", json!({"href": "https://shop.test/signup", "title": "Other"}), 2),
        custom("$pageview", json!({"href": "https://shop.test/done", "title": "Thanks · Shop"}), 500),
        custom("$pageview", json!({"href": "https://shop.test/plain"}), 900),
    ]);
    let mut session = Session::new(&batch("w1", 0, events.clone()));
    let applied = session.apply(&batch("w1", 0, events), &config, T0);
    let titles: Vec<Value> = applied.rows.iter().map(|row| props(row)["page_title"].clone()).collect();
    assert_eq!(titles, vec![json!("Sign up · Shop"), json!("Thanks · Shop"), json!("")]);
    assert_eq!(session.update().page_views, 3);
}

#[test]
fn identify_is_a_transcript_event_with_the_user_id() {
    let config = SessionizerConfig::default();
    let events = json!([
        meta("https://shop.test/", 0),
        custom("$identify", json!({"user_id": "ada@example.com", "traits": {"plan": "pro"}}), 10),
        custom("$identify", json!({"traits": {}}), 20),
    ]);
    let mut session = Session::new(&batch("w1", 0, events.clone()));
    let applied = session.apply(&batch("w1", 0, events), &config, T0);
    assert_eq!(kinds(&applied.rows), vec!["page_view", "identify"]);
    assert_eq!(props(&applied.rows[1]), json!({"user_id": "ada@example.com"}), "the traits stay on the session");
    assert_eq!(applied.rows[1].url, "https://shop.test/");
    assert_eq!(session.update().custom_events, 0, "identify is no custom event");
}
