use playback_schemas::codec::MAGIC;
use playback_schemas::rrweb::{EventType, IncrementalSource, MouseInteraction};
use playback_schemas::*;

fn device() -> Device {
    Device {
        user_agent: "Mozilla/5.0".into(),
        browser: "Chrome".into(),
        browser_version: "156.0".into(),
        os: "Linux".into(),
        os_version: "".into(),
        device_type: "desktop".into(),
        screen_width: 1280,
        screen_height: 720,
        viewport_width: 1264,
        viewport_height: 640,
    }
}

fn update() -> SessionUpdate {
    SessionUpdate {
        project_id: "demo".into(),
        session_id: "0192d3a4-0000-7000-8000-000000000001".into(),
        version: 3,
        closed: false,
        start_ms: 1_700_000_000_000,
        end_ms: 1_700_000_060_000,
        active_ms: 12_000,
        user: Some(User { id: Some("u1".into()), traits_json: r#"{"plan":"pro"}"#.into() }),
        device: device(),
        windows: 1,
        events: 120,
        page_views: 2,
        clicks: 7,
        inputs: 3,
        errors: 1,
        custom_events: 1,
        rage_clicks: 0,
        dead_clicks: 1,
        entry_url: "http://a/".into(),
        exit_url: "http://a/two".into(),
        urls: vec!["http://a/".into(), "http://a/two".into()],
        event_names: vec!["signup".into()],
        path_sequence: vec!["/".into(), "/two".into()],
        action_sequence: vec!["page_view".into(), "click".into()],
        updated_at_ms: 1_700_000_061_000,
    }
}

#[test]
fn raw_batch_round_trips() {
    let batch = RawBatch {
        project_id: "demo".into(),
        session_id: "s".into(),
        window_id: "w".into(),
        seq: 4,
        client_sent_at_ms: 10,
        received_at_ms: 25,
        clock_offset_ms: 15,
        user: None,
        device: device(),
        event_count: 2,
        events_json: br#"[{"type":4,"data":{},"timestamp":1},{"type":2,"data":{},"timestamp":2}]"#.to_vec(),
    };
    let bytes = batch.encode().unwrap();
    assert_eq!(bytes[..2], MAGIC);
    assert_eq!(RawBatch::decode(&bytes).unwrap(), batch);

    let identified = RawBatch { user: Some(User { id: Some("u".into()), traits_json: "{}".into() }), ..batch };
    assert_eq!(RawBatch::decode(&identified.encode().unwrap()).unwrap(), identified);
}

#[test]
fn session_update_round_trips() {
    let value = update();
    assert_eq!(SessionUpdate::decode(&value.encode().unwrap()).unwrap(), value);
}

#[test]
fn session_state_round_trips() {
    let click = ClickMark {
        ts_ms: 5,
        node_id: 9,
        batch_seq: 1,
        index: 3,
        url: "u".into(),
        target: "button".into(),
        label: "Save".into(),
        element: "button".into(),
    };
    let state = SessionState {
        update: update(),
        last_received_ms: 77,
        entry_ts_ms: 1,
        exit_ts_ms: 2,
        windows: vec![WindowState {
            window_id: "w".into(),
            seen: vec![SeqRange { first: 0, last: 4 }],
            current_url: "http://a/two".into(),
            last_input_node: 12,
            recent_clicks: vec![click.clone()],
            pending_clicks: vec![click],
            last_reaction_ms: 3,
            clock_offset_ms: Some(-1_500),
            last_sent_at_ms: 1_764_300_000_000,
        }],
        active_intervals: vec![Interval { start_ms: 1, end_ms: 2 }],
    };
    assert_eq!(SessionState::decode(&state.encode().unwrap()).unwrap(), state);
}

#[test]
fn decoding_rejects_foreign_values() {
    assert!(matches!(RawBatch::decode(b"{}"), Err(CodecError::NoMarker)));
    let other = update().encode().unwrap();
    assert!(matches!(RawBatch::decode(&other), Err(CodecError::UnknownSchema(_))));
}

/// Found by the `avro_decode` fuzz target: a corrupt array count made apache-avro reserve
/// gigabytes up front, past what the machine has, and abort the process.
#[test]
fn a_huge_array_count_is_an_error_not_an_abort() {
    // A SessionUpdate whose fields are all zero or empty up to `urls`, which claims 536 million
    // items: under apache-avro's own budget, so it asked for 30 GB before reading the first one,
    // and the process aborted.
    let zero_fields = 27;
    let count: u64 = 536_000_000;
    let mut zigzag = count << 1;
    let mut datum = vec![0u8; zero_fields];
    while zigzag >= 0x80 {
        datum.push((zigzag as u8 & 0x7f) | 0x80);
        zigzag >>= 7;
    }
    datum.push(zigzag as u8);
    let framed = [MAGIC.as_slice(), SessionUpdate::compiled().fingerprint.as_slice(), &datum].concat();
    assert!(matches!(SessionUpdate::decode(&framed), Err(CodecError::Avro(_))));
}

#[test]
fn wire_enums_match_rrweb() {
    assert_eq!(EventType::from_wire(2), Some(EventType::FullSnapshot));
    assert_eq!(EventType::from_wire(6), Some(EventType::Plugin));
    assert_eq!(EventType::from_wire(7), None);
    assert_eq!(IncrementalSource::from_wire(5), Some(IncrementalSource::Input));
    assert_eq!(IncrementalSource::ALL.len(), 17);
    assert_eq!(MouseInteraction::from_wire(2), Some(MouseInteraction::Click));
    for (wire, source) in IncrementalSource::ALL.iter().enumerate() {
        assert_eq!(*source as usize, wire);
    }
}
