//! What the fuzz targets share: the envelope the gateway puts around a batch, and the
//! invariants each target asserts. A failed assertion is a crash to libFuzzer, so every check
//! here is a property that must hold for any input, not only for well-formed ones.

use std::io::Write;

use playback_ingest_gateway::{parse_batch, parse_device, scrub_batch, GatewayError, Limits, ParsedBatch};
use playback_schemas::json::{from_slice_deep, from_str_deep};
use playback_schemas::{AvroMessage, RawBatch, User};

pub mod session;

/// The project every fuzzed batch belongs to.
pub const PROJECT_ID: &str = "fuzz-project";
/// The server time at which every fuzzed batch "arrives" (2025-11-28).
pub const RECEIVED_AT_MS: i64 = 1_764_300_000_000;
/// A real Chrome user agent, so the device fields are the usual ones.
pub const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// The envelope the gateway publishes for an accepted batch. A copy of the private
/// `raw_batch` in `stages/ingest-gateway/src/routes.rs`: keep the two in step.
pub fn raw_batch(parsed: ParsedBatch) -> RawBatch {
    let mut device = parse_device(USER_AGENT);
    if let Some((width, height)) = parsed.screen {
        device.screen_width = width;
        device.screen_height = height;
    }
    if let Some((width, height)) = parsed.viewport {
        device.viewport_width = width;
        device.viewport_height = height;
    }
    let user = parsed.user_traits_json.map(|traits_json| User { id: parsed.user_id, traits_json });
    RawBatch {
        project_id: PROJECT_ID.to_string(),
        session_id: parsed.session_id,
        window_id: parsed.window_id,
        seq: parsed.seq,
        client_sent_at_ms: parsed.sent_at_ms,
        received_at_ms: RECEIVED_AT_MS,
        clock_offset_ms: RECEIVED_AT_MS - parsed.sent_at_ms,
        user,
        device,
        event_count: parsed.event_count as i32,
        events_json: parsed.events_json,
    }
}

/// Gzip, as the recorder sends it.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

/// The earliest and latest event and `sent_at` times the gateway accepts (its private bounds).
const MIN_TIMESTAMP_MS: i64 = 946_684_800_000;
const MAX_TIMESTAMP_MS: i64 = 4_102_444_800_000;

fn is_uuid_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|window| window == needle)
}

/// Checks one outcome of `parse_batch(body, gzip_header, limits)`.
pub fn check_parse_outcome(
    body: &[u8],
    gzip_header: bool,
    outcome: &Result<ParsedBatch, GatewayError>,
    limits: &Limits,
) {
    let parsed = match outcome {
        Ok(parsed) => parsed,
        Err(GatewayError::BadRequest(reason)) | Err(GatewayError::TooLarge(reason)) => {
            assert!(!reason.is_empty(), "a refusal says why");
            return;
        }
        Err(other) => panic!("parse_batch can only answer 400 or 413, got {other:?}"),
    };
    let decompressed = gzip_header || body.starts_with(&[0x1f, 0x8b]);

    assert!(is_uuid_text(&parsed.session_id), "session_id {:?} is not a uuid", parsed.session_id);
    let window_ok = (1..=64).contains(&parsed.window_id.len())
        && parsed.window_id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    assert!(window_ok, "window_id {:?} passed", parsed.window_id);
    assert!((0..=i64::from(u32::MAX)).contains(&parsed.seq), "seq {} passed", parsed.seq);
    assert!((MIN_TIMESTAMP_MS..MAX_TIMESTAMP_MS).contains(&parsed.sent_at_ms), "sent_at {} passed", parsed.sent_at_ms);
    if let Some(id) = &parsed.user_id {
        assert!(id.len() <= 512, "user id of {} bytes passed", id.len());
    }
    if let Some(traits) = &parsed.user_traits_json {
        assert!(traits.len() <= 16 << 10, "traits of {} bytes passed", traits.len());
        let value: serde_json::Value = from_str_deep(traits).expect("traits are JSON");
        assert!(value.is_object(), "traits {traits} are not an object");
    }
    if let Some((width, height)) = parsed.screen {
        assert!((0..=100_000).contains(&width) && (0..=100_000).contains(&height), "screen {width}x{height}");
    }

    // The events are kept verbatim, and each one has the head the sessionizer reads.
    if !decompressed {
        assert!(contains(body, &parsed.events_json), "events_json is not a slice of the body");
    }
    assert!(
        (1..=limits.max_events).contains(&parsed.event_count),
        "{} events passed (limit {})",
        parsed.event_count,
        limits.max_events
    );
    let events: Vec<&serde_json::value::RawValue> =
        from_slice_deep(&parsed.events_json).expect("events_json is a JSON array");
    assert_eq!(events.len(), parsed.event_count, "event_count matches the array");
    for event in events {
        assert!(event.get().len() <= limits.max_event_bytes, "an event above max_event_bytes passed");
    }

    // The project's privacy rules apply to every accepted batch: they never refuse it, keep
    // its events, and leave nothing more to do when applied again.
    let rules = playback_ingest_gateway::Project::new("fuzz", "pk_fuzz").privacy_rules().expect("default rules compile");
    let mut scrubbed = parsed.clone();
    scrub_batch(&mut scrubbed, &rules).expect("an accepted batch can be scrubbed");
    let kept: Vec<&serde_json::value::RawValue> =
        from_slice_deep(&scrubbed.events_json).expect("scrubbed events are a JSON array");
    assert_eq!(kept.len(), parsed.event_count, "scrubbing keeps every event");
    let mut again = scrubbed.clone();
    assert_eq!(scrub_batch(&mut again, &rules).expect("scrubbed twice"), 0, "scrubbing twice changes nothing");

    // The gateway encodes what it accepted; the sessionizer and archiver decode it.
    let raw = raw_batch(parsed.clone());
    let encoded = raw.encode().expect("an accepted batch encodes as Avro");
    let decoded = RawBatch::decode(&encoded).expect("an encoded batch decodes");
    assert_eq!(decoded, raw, "RawBatch round trip");
}

/// Parses `body` both as sent plain and as flagged gzip, and, when it is not gzip already,
/// also its gzip compression, which must give the same answer as the plain body.
pub fn check_parse(body: &[u8]) {
    let limits = Limits::default();
    let plain = parse_batch(body, false, &limits);
    check_parse_outcome(body, false, &plain, &limits);

    let flagged = parse_batch(body, true, &limits);
    check_parse_outcome(body, true, &flagged, &limits);
    let is_gzip = body.starts_with(&[0x1f, 0x8b]);
    if !is_gzip {
        assert!(flagged.is_err(), "a plain body flagged as gzip was accepted");
    }
    if is_gzip {
        return;
    }
    let compressed = gzip(body);
    if compressed.len() > limits.max_body_bytes || body.len() > limits.max_body_bytes {
        return;
    }
    let via_gzip = parse_batch(&compressed, true, &limits);
    check_parse_outcome(&compressed, true, &via_gzip, &limits);
    match (&plain, &via_gzip) {
        (Ok(plain), Ok(via_gzip)) => assert_eq!(plain, via_gzip, "gzip changed the batch"),
        (Err(plain), Err(via_gzip)) => {
            assert_eq!(plain.status(), via_gzip.status(), "gzip changed the refusal: {plain} / {via_gzip}");
        }
        (plain, via_gzip) => panic!("gzip changed the answer: plain {plain:?}, gzip {via_gzip:?}"),
    }
}
