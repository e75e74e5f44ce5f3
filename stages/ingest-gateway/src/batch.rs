//! Parsing and validation of one recorder batch.

use std::cell::Cell;
use std::fmt;
use std::io::Read;

use playback_schemas::json::{from_slice_deep, from_str_deep, DeepJsonError};
use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{GatewayError, PrivacyRules};

/// Size limits, applied before and after decompression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The request body as sent (compressed or not).
    pub max_body_bytes: usize,
    /// The JSON text after decompression.
    pub max_decompressed_bytes: usize,
    /// One rrweb event's JSON text.
    pub max_event_bytes: usize,
    /// Events in one batch.
    pub max_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_decompressed_bytes: 16 << 20,
            max_event_bytes: 8 << 20,
            max_events: 10_000,
        }
    }
}

/// The earliest and latest timestamps accepted: 2000-01-01 and 2100-01-01.
const MIN_TIMESTAMP_MS: i64 = 946_684_800_000;
const MAX_TIMESTAMP_MS: i64 = 4_102_444_800_000;
const MAX_WINDOW_ID_LEN: usize = 64;
const MAX_USER_ID_LEN: usize = 512;
const MAX_TRAITS_BYTES: usize = 16 << 10;
/// A batch that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedBatch {
    pub session_id: String,
    pub window_id: String,
    pub seq: i64,
    pub sent_at_ms: i64,
    pub user_id: Option<String>,
    /// The traits object as JSON text, `{}` when absent.
    pub user_traits_json: Option<String>,
    pub event_count: usize,
    /// The events array exactly as sent.
    pub events_json: Vec<u8>,
    /// The device's screen size as the recorder sent it (`screen`), if it did.
    pub screen: Option<(i32, i32)>,
    /// Viewport size from the last Meta event of the batch, if it has one.
    pub viewport: Option<(i32, i32)>,
}

#[derive(Deserialize)]
struct Body<'a> {
    session_id: String,
    window_id: String,
    seq: i64,
    sent_at: i64,
    #[serde(default)]
    user: Option<UserBody<'a>>,
    /// `{"width": …, "height": …}`, sent by our recorder; other recorders leave it out.
    #[serde(default, borrow)]
    screen: Option<&'a RawValue>,
    #[serde(borrow)]
    events: &'a RawValue,
}

#[derive(Deserialize)]
struct UserBody<'a> {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, borrow)]
    traits: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct EventHead<'a> {
    #[serde(rename = "type")]
    kind: u8,
    timestamp: f64,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

/// A width and height: the data of a Meta event, or the batch's `screen`.
#[derive(Deserialize)]
struct Size {
    #[serde(default)]
    width: Option<f64>,
    #[serde(default)]
    height: Option<f64>,
}

/// A size in CSS pixels, when `raw` has a numeric width and height; clamped to 0..=100 000.
fn size_of(raw: &RawValue) -> Option<(i32, i32)> {
    let size = from_str_deep::<Size>(raw.get()).ok()?;
    let (width, height) = (size.width?, size.height?);
    let pixels = |value: f64| if value.is_finite() { value.clamp(0.0, 100_000.0) as i32 } else { 0 };
    Some((pixels(width), pixels(height)))
}

/// Reads the events array, stopping at the first event past `max`: an array of millions of
/// tiny events (a few MiB of `0,`) is refused before it is collected.
struct BoundedEvents<'c> {
    max: usize,
    over: &'c Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for BoundedEvents<'_> {
    type Value = Vec<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BoundedEvents<'_> {
    type Value = Vec<&'de RawValue>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an array of rrweb events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut events = Vec::new();
        while let Some(event) = seq.next_element::<&'de RawValue>()? {
            if events.len() == self.max {
                self.over.set(true);
                return Err(serde::de::Error::custom("too many events"));
            }
            events.push(event);
        }
        Ok(events)
    }
}

/// The events of a batch, at most `max` of them.
fn parse_events(text: &str, max: usize) -> Result<Vec<&RawValue>, GatewayError> {
    let over = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    // The whole body was checked against `json::MAX_JSON_DEPTH` already.
    deserializer.disable_recursion_limit();
    let parsed = BoundedEvents { max, over: &over }.deserialize(&mut deserializer).and_then(|events| {
        deserializer.end()?;
        Ok(events)
    });
    match parsed {
        Ok(events) => Ok(events),
        Err(_) if over.get() => Err(GatewayError::TooLarge(format!("more than {max} events in one batch"))),
        Err(_) => Err(bad("events must be an array of rrweb events")),
    }
}

fn bad(reason: impl Into<String>) -> GatewayError {
    GatewayError::BadRequest(reason.into())
}

/// Inflates a gzip body, refusing to go past `limit` bytes.
fn inflate(body: &[u8], limit: usize) -> Result<Vec<u8>, GatewayError> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let decoder = flate2::read::MultiGzDecoder::new(body);
    decoder.take(limit as u64 + 1).read_to_end(&mut out).map_err(|error| bad(format!("invalid gzip body: {error}")))?;
    if out.len() > limit {
        return Err(GatewayError::TooLarge(format!("body inflates to more than {limit} bytes")));
    }
    Ok(out)
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}

/// Decompresses (when gzip) and validates a batch body.
pub fn parse_batch(body: &[u8], gzip_header: bool, limits: &Limits) -> Result<ParsedBatch, GatewayError> {
    if body.len() > limits.max_body_bytes {
        return Err(GatewayError::TooLarge(format!("body above {} bytes", limits.max_body_bytes)));
    }
    let is_gzip = gzip_header || body.starts_with(&[0x1f, 0x8b]);
    let inflated;
    let json = if is_gzip {
        inflated = inflate(body, limits.max_decompressed_bytes)?;
        inflated.as_slice()
    } else {
        body
    };
    // A FullSnapshot nests two levels per DOM level: bodies up to `json::MAX_JSON_DEPTH` levels
    // deep are parsed, deeper ones refused.
    let parsed: Body<'_> = from_slice_deep(json).map_err(|error| match error {
        DeepJsonError::TooDeep { .. } => bad(error.to_string()),
        DeepJsonError::Invalid(error) => bad(format!("invalid batch json: {error}")),
    })?;

    if !is_uuid(&parsed.session_id) {
        return Err(bad("session_id must be a uuid"));
    }
    let window_ok = !parsed.window_id.is_empty()
        && parsed.window_id.len() <= MAX_WINDOW_ID_LEN
        && parsed.window_id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if !window_ok {
        return Err(bad("window_id must be 1 to 64 characters of [A-Za-z0-9_-]"));
    }
    if parsed.seq < 0 || parsed.seq > i64::from(u32::MAX) {
        return Err(bad("seq must be between 0 and 4294967295"));
    }
    if !(MIN_TIMESTAMP_MS..MAX_TIMESTAMP_MS).contains(&parsed.sent_at) {
        return Err(bad("sent_at is not a plausible epoch time in milliseconds"));
    }

    let (user_id, user_traits_json) = match parsed.user {
        None => (None, None),
        Some(user) => {
            if user.id.as_ref().is_some_and(|id| id.len() > MAX_USER_ID_LEN) {
                return Err(bad("user.id is longer than 512 bytes"));
            }
            let traits = match user.traits {
                None => "{}".to_string(),
                Some(raw) => {
                    let text = raw.get();
                    if !text.trim_start().starts_with('{') {
                        return Err(bad("user.traits must be an object"));
                    }
                    if text.len() > MAX_TRAITS_BYTES {
                        return Err(GatewayError::TooLarge("user.traits above 16 KiB".into()));
                    }
                    text.to_string()
                }
            };
            (user.id, Some(traits))
        }
    };

    let events = parse_events(parsed.events.get(), limits.max_events)?;
    if events.is_empty() {
        return Err(bad("events is empty"));
    }
    // A screen that is not a size is left out, like a recorder that does not send one.
    let screen = parsed.screen.and_then(size_of);
    let mut viewport = None;
    for (index, event) in events.iter().enumerate() {
        let text = event.get();
        if text.len() > limits.max_event_bytes {
            return Err(GatewayError::TooLarge(format!("event {index} above {} bytes", limits.max_event_bytes)));
        }
        let head: EventHead<'_> =
            from_str_deep(text).map_err(|error| bad(format!("event {index} is not an rrweb event: {error}")))?;
        if !head.timestamp.is_finite() || !(MIN_TIMESTAMP_MS as f64..MAX_TIMESTAMP_MS as f64).contains(&head.timestamp)
        {
            return Err(bad(format!("event {index} has an implausible timestamp")));
        }
        if head.kind == playback_schemas::rrweb::EventType::Meta as u8 {
            if let Some(size) = head.data.and_then(size_of) {
                viewport = Some(size);
            }
        }
    }

    Ok(ParsedBatch {
        session_id: parsed.session_id,
        window_id: parsed.window_id,
        seq: parsed.seq,
        sent_at_ms: parsed.sent_at,
        user_id,
        user_traits_json,
        event_count: events.len(),
        events_json: parsed.events.get().as_bytes().to_vec(),
        screen,
        viewport,
    })
}

/// Applies the project's privacy rules to a parsed batch: each event that holds something the
/// rules forbid is written anew without it, the others are kept byte for byte. Returns how many
/// events changed.
pub fn scrub_batch(batch: &mut ParsedBatch, rules: &PrivacyRules) -> Result<usize, GatewayError> {
    let text = std::str::from_utf8(&batch.events_json).map_err(|_| bad("events are not utf-8"))?;
    let events = parse_events(text, usize::MAX)?;
    let mut out = String::with_capacity(text.len());
    let mut changed = 0;
    out.push('[');
    for (index, event) in events.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let text = event.get();
        // JavaScript strings may hold a lone surrogate, which JSON.stringify writes as `\ud800`:
        // valid JSON text, but not a string Rust can hold. The event is read with the
        // replacement character in its place, and kept as sent unless it is scrubbed. An event
        // that still cannot be held as a value (a number such as `1e400`, which no browser's
        // JSON.stringify writes) is kept as sent.
        let parsed = from_str_deep::<serde_json::Value>(text)
            .or_else(|_| from_str_deep::<serde_json::Value>(&without_lone_surrogates(text)));
        let Ok(mut value) = parsed else {
            out.push_str(text);
            continue;
        };
        if rules.scrub_event(&mut value) {
            changed += 1;
            out.push_str(&value.to_string());
        } else {
            out.push_str(event.get());
        }
    }
    out.push(']');
    if changed > 0 {
        batch.events_json = out.into_bytes();
    }
    Ok(changed)
}

/// `text` with every `\uXXXX` escape of a lone UTF-16 surrogate replaced by `\ufffd`, the
/// replacement character a browser shows for it.
fn without_lone_surrogates(text: &str) -> String {
    let surrogate_at = |at: usize| -> Option<u16> {
        let escape = text.get(at..at + 6)?;
        let hex = escape.strip_prefix("\\u")?;
        let unit = u16::from_str_radix(hex, 16).ok()?;
        (0xD800..=0xDFFF).contains(&unit).then_some(unit)
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    let mut at = 0;
    let bytes = text.as_bytes();
    while at < bytes.len() {
        if bytes[at] != b'\\' {
            at += 1;
            continue;
        }
        match surrogate_at(at) {
            Some(0xD800..=0xDBFF) if surrogate_at(at + 6).is_some_and(|low| low >= 0xDC00) => at += 12,
            Some(_) => {
                out.push_str(&text[rest..at]);
                out.push_str("\\ufffd");
                at += 6;
                rest = at;
            }
            // Any other escape: the backslash and the character it escapes.
            None => at += 2,
        }
    }
    out.push_str(&text[rest.min(text.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn an_event_with_a_lone_surrogate_is_kept_as_sent_or_scrubbed_with_the_replacement_character() {
        assert_eq!(without_lone_surrogates(r#""a\ud800b""#), r#""a\ufffdb""#);
        assert_eq!(
            without_lone_surrogates(r#""\udc00\\ud800""#),
            r#""\ufffd\\ud800""#,
            "an escaped backslash is no escape"
        );
        assert_eq!(without_lone_surrogates(r#""\ud83d\ude00 ok""#), r#""\ud83d\ude00 ok""#, "a pair stays");
        assert_eq!(without_lone_surrogates(r#""\ud83d\u0041""#), r#""\ufffd\u0041""#);
        let events = r#"[{"type":3,"data":{"source":5,"id":7,"text":"ada@example.com \ud800","isChecked":false},"timestamp":1764300000002}]"#;
        let mut parsed = parse_batch(body(events).as_bytes(), false, &Limits::default()).unwrap();
        let rules = crate::Project::new("demo", "pk_demo").privacy_rules().unwrap();
        assert_eq!(scrub_batch(&mut parsed, &rules).unwrap(), 1);
        let value: serde_json::Value = serde_json::from_slice(&parsed.events_json).unwrap();
        assert_eq!(value[0]["data"]["text"], "*************** \u{fffd}");
        let clean =
            r#"[{"type":5,"data":{"tag":"note","payload":{"text":"broken \ud800 text"}},"timestamp":1764300000002}]"#;
        let mut parsed = parse_batch(body(clean).as_bytes(), false, &Limits::default()).unwrap();
        assert_eq!(scrub_batch(&mut parsed, &rules).unwrap(), 0);
        assert_eq!(parsed.events_json, clean.as_bytes(), "nothing to scrub: kept byte for byte");
        let huge = r#"[{"type":5,"data":{"tag":"n","payload":{"n":1e400}},"timestamp":1764300000002}]"#;
        let mut parsed = parse_batch(body(huge).as_bytes(), false, &Limits::default()).unwrap();
        assert_eq!(scrub_batch(&mut parsed, &rules).unwrap(), 0, "an out-of-range number is kept as sent");
        assert_eq!(parsed.events_json, huge.as_bytes());
    }

    const SESSION: &str = "0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5f";

    fn body(events: &str) -> String {
        format!(r#"{{"session_id":"{SESSION}","window_id":"w-1","seq":0,"sent_at":1764300000000,"events":{events}}}"#)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn keeps_events_verbatim_and_reads_the_viewport_from_meta() {
        let events = r#"[{"type":4,"data":{"href":"https://a.test/","width":1280,"height":720},"timestamp":1764300000000},
            {"type":2,"data":{"node":{}},"timestamp":1764300000001}]"#;
        let parsed = parse_batch(body(events).as_bytes(), false, &Limits::default()).unwrap();
        assert_eq!(parsed.events_json, events.as_bytes());
        assert_eq!(parsed.event_count, 2);
        assert_eq!(parsed.viewport, Some((1280, 720)));
        assert_eq!(parsed.screen, None, "a batch without a screen, as foreign recorders send");
        assert_eq!(parsed.user_id, None);
    }

    #[test]
    fn reads_the_screen_our_recorder_sends() {
        let events =
            r#"[{"type":4,"data":{"href":"https://a.test/","width":390,"height":664},"timestamp":1764300000000}]"#;
        let with_screen = |screen: &str| body(events).replace("\"events\"", &format!("\"screen\":{screen},\"events\""));
        let parsed =
            parse_batch(with_screen(r#"{"width":390,"height":844}"#).as_bytes(), false, &Limits::default()).unwrap();
        assert_eq!((parsed.screen, parsed.viewport), (Some((390, 844)), Some((390, 664))));
        let huge =
            parse_batch(with_screen(r#"{"width":1e9,"height":-5}"#).as_bytes(), false, &Limits::default()).unwrap();
        assert_eq!(huge.screen, Some((100_000, 0)), "clamped");
        for not_a_size in [r#""390x844""#, r#"{"width":390}"#, "null", r#"{"width":"390","height":844}"#] {
            let parsed = parse_batch(with_screen(not_a_size).as_bytes(), false, &Limits::default()).unwrap();
            assert_eq!(parsed.screen, None, "{not_a_size} is left out");
        }
    }

    #[test]
    fn scrubbing_rewrites_only_the_events_that_hold_something_forbidden() {
        let events = r#"[{"type":4,"data":{"href":"https://a.test/?reset_token=abc","width":1,"height":1},"timestamp":1764300000000},
            {"type":3,"data":{"source":2,"type":2,"id":2,"x":1.50,"y":1},"timestamp":1764300000001},
            {"type":3,"data":{"source":5,"id":7,"text":"ada@example.com","isChecked":false},"timestamp":1764300000002}]"#;
        let mut parsed = parse_batch(body(events).as_bytes(), false, &Limits::default()).unwrap();
        let rules = crate::Project::new("demo", "pk_demo").privacy_rules().unwrap();
        assert_eq!(scrub_batch(&mut parsed, &rules).unwrap(), 2);
        let text = String::from_utf8(parsed.events_json.clone()).unwrap();
        assert!(
            text.contains(r#"{"type":3,"data":{"source":2,"type":2,"id":2,"x":1.50,"y":1},"timestamp":1764300000001}"#),
            "{text}"
        );
        assert!(text.contains("reset_token=redacted") && !text.contains("abc"), "{text}");
        assert!(text.contains(r#""text":"***************""#) && !text.contains("ada@"), "{text}");
        let scrubbed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(scrubbed.as_array().map(Vec::len), Some(3));
        let again = parsed.events_json.clone();
        assert_eq!(scrub_batch(&mut parsed, &rules).unwrap(), 0, "a scrubbed batch is scrubbed");
        assert_eq!(parsed.events_json, again);
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes() {
        let plain = body(r#"[{"type":3,"data":{"source":2},"timestamp":1764300000000}]"#);
        let parsed = parse_batch(&gzip(plain.as_bytes()), false, &Limits::default()).unwrap();
        assert_eq!(parsed.event_count, 1);
    }

    #[test]
    fn gzip_bomb_is_too_large() {
        let mut huge = body(r#"[{"type":3,"data":{"source":2},"timestamp":1764300000000}]"#);
        huge.push_str(&" ".repeat(40 << 20));
        let compressed = gzip(huge.as_bytes());
        assert!(compressed.len() < 100_000);
        let result = parse_batch(&compressed, true, &Limits::default());
        assert!(matches!(result, Err(GatewayError::TooLarge(_))), "{result:?}");
    }

    #[test]
    fn refuses_malformed_input_with_reasons() {
        let limits = Limits::default();
        let event = r#"[{"type":3,"data":{},"timestamp":1764300000000}]"#;
        let cases: Vec<(String, &str)> = vec![
            ("{".into(), "invalid batch json"),
            (body("[]"), "events is empty"),
            (body("{}"), "events must be an array"),
            (body(r#"[{"data":{}}]"#), "not an rrweb event"),
            (body(r#"[{"type":3,"timestamp":-5}]"#), "implausible timestamp"),
            (body(r#"[{"type":3,"timestamp":1e300}]"#), "implausible timestamp"),
            (body(event).replace(SESSION, "not-a-uuid"), "session_id must be a uuid"),
            (body(event).replace("w-1", "w 1"), "window_id"),
            (body(event).replace("\"seq\":0", "\"seq\":-1"), "seq must be"),
            (body(event).replace("\"seq\":0", "\"seq\":\"0\""), "invalid batch json"),
            (body(event).replace("1764300000000,\"events", "99,\"events"), "sent_at"),
            (body(event).replace("\"events\"", "\"user\":{\"traits\":[1]},\"events\""), "traits must be an object"),
        ];
        for (input, reason) in cases {
            match parse_batch(input.as_bytes(), false, &limits) {
                Err(GatewayError::BadRequest(message)) => assert!(message.contains(reason), "{message} for {input}"),
                other => panic!("expected 400 for {input}, got {other:?}"),
            }
        }
        let invalid_utf8 = [body(event).as_bytes(), &[0xff, 0xfe]].concat();
        assert!(matches!(parse_batch(&invalid_utf8, false, &limits), Err(GatewayError::BadRequest(_))));
        let nested = |levels: usize| {
            body(&format!(
                "[{{\"type\":3,\"timestamp\":1764300000000,\"data\":{}{}}}]",
                "[".repeat(levels),
                "]".repeat(levels)
            ))
        };
        assert!(parse_batch(nested(50).as_bytes(), false, &limits).is_ok(), "50 levels are fine");
        match parse_batch(nested(600).as_bytes(), false, &limits) {
            Err(GatewayError::BadRequest(message)) => assert!(message.contains("nested deeper")),
            other => panic!("expected 400 for deep nesting, got {other:?}"),
        }
    }

    /// Meta, a FullSnapshot whose DOM is `dom_levels` elements deep with a button at the
    /// bottom, a click on the button's text and a custom event: `2 * dom_levels + 4` levels, one
    /// more in a body.
    fn deep_snapshot_events(dom_levels: usize) -> String {
        let mut node = r#"{"type":2,"id":1,"tagName":"button","attributes":{"id":"go"},"childNodes":[{"type":3,"id":2,"textContent":"Go"}]}"#.to_string();
        for id in 3..dom_levels + 2 {
            node = format!(r#"{{"type":2,"id":{id},"tagName":"div","attributes":{{}},"childNodes":[{node}]}}"#);
        }
        format!(
            r#"[{{"type":4,"data":{{"href":"https://a.test/","width":800,"height":600}},"timestamp":1764300000000}},
            {{"type":2,"data":{{"node":{node},"initialOffset":{{"top":0,"left":0}}}},"timestamp":1764300000001}},
            {{"type":3,"data":{{"source":2,"type":2,"id":2,"x":1,"y":1}},"timestamp":1764300000002}},
            {{"type":5,"data":{{"tag":"signup","payload":{{"plan":"pro"}}}},"timestamp":1764300000003}}]"#
        )
    }

    #[test]
    fn accepts_a_snapshot_of_a_deep_dom() {
        let events = deep_snapshot_events(200);
        let text = body(&events);
        assert_eq!(playback_schemas::json::depth(text.as_bytes()), 405);
        let parsed = parse_batch(text.as_bytes(), false, &Limits::default()).unwrap();
        assert_eq!(parsed.event_count, 4);
        assert_eq!(parsed.events_json, events.as_bytes());
        assert_eq!(parsed.viewport, Some((800, 600)));
        let deepest = body(&deep_snapshot_events(253));
        assert_eq!(playback_schemas::json::depth(deepest.as_bytes()), 511);
        assert_eq!(parse_batch(deepest.as_bytes(), false, &Limits::default()).unwrap().event_count, 4);
    }

    #[test]
    fn refuses_a_snapshot_deeper_than_the_limit_with_a_reason() {
        let text = body(&deep_snapshot_events(298));
        assert_eq!(playback_schemas::json::depth(text.as_bytes()), 601);
        for input in [text.as_bytes().to_vec(), gzip(text.as_bytes())] {
            let error = parse_batch(&input, false, &Limits::default()).unwrap_err();
            assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST);
            assert_eq!(error.to_string(), "json nested deeper than 512 levels");
        }
    }

    #[test]
    fn limits_apply_to_body_event_and_count() {
        let small = Limits { max_body_bytes: 200, max_decompressed_bytes: 400, max_event_bytes: 100, max_events: 2 };
        let big_event = format!(r#"[{{"type":3,"data":"{}","timestamp":1764300000000}}]"#, "x".repeat(150));
        assert!(matches!(parse_batch(body(&big_event).as_bytes(), false, &small), Err(GatewayError::TooLarge(_))));
        let three = r#"[{"type":3,"timestamp":1764300000000},{"type":3,"timestamp":1764300000000},{"type":3,"timestamp":1764300000000}]"#;
        let roomy = Limits { max_body_bytes: 1000, ..small };
        assert!(matches!(parse_batch(body(three).as_bytes(), false, &roomy), Err(GatewayError::TooLarge(_))));
        assert!(matches!(parse_batch(&vec![b' '; 201], false, &small), Err(GatewayError::TooLarge(_))));
    }

    #[test]
    fn events_past_the_count_limit_are_refused_before_they_are_collected() {
        let limits = Limits { max_events: 3, ..Limits::default() };
        let event = r#"{"type":3,"timestamp":1764300000000}"#;
        let three = format!("[{event},{event},{event}]");
        assert_eq!(parse_batch(body(&three).as_bytes(), false, &limits).unwrap().event_count, 3);
        // The count stops the parse before the elements are looked at as events.
        let four_and_more = format!("[{event},{event},{event},0,0,0]");
        match parse_batch(body(&four_and_more).as_bytes(), false, &limits) {
            Err(GatewayError::TooLarge(message)) => assert_eq!(message, "more than 3 events in one batch"),
            other => panic!("expected 413, got {other:?}"),
        }
        // Millions of tiny elements inflated from a small gzip body: 413, not a 100 MB vector.
        let tiny = format!("[{}0]", "0,".repeat(7_000_000));
        let compressed = gzip(body(&tiny).as_bytes());
        assert!(compressed.len() < Limits::default().max_body_bytes);
        match parse_batch(&compressed, true, &Limits::default()) {
            Err(GatewayError::TooLarge(message)) => assert!(message.contains("more than 10000 events"), "{message}"),
            other => panic!("expected 413, got {other:?}"),
        }
        for not_an_array in ["{}", "\"x\"", "null", "7"] {
            match parse_batch(body(not_an_array).as_bytes(), false, &limits) {
                Err(GatewayError::BadRequest(message)) => assert!(message.contains("events must be an array")),
                other => panic!("expected 400 for {not_an_array}, got {other:?}"),
            }
        }
    }
}
