//! The chunk format: zstd-compressed JSON
//! `{"v":1,"project_id":…,"session_id":…,"window_id":…,"batches":[{"seq":N,"events":[…]}]}`,
//! where each `events` array is the batch's rrweb events byte for byte as the recorder sent
//! them.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::{self, DeepJsonError, MAX_JSON_DEPTH};

/// The levels a chunk adds around a batch's events array: the chunk object, its `batches`
/// array and the batch object.
const ENVELOPE_DEPTH: usize = 3;

/// One batch's events, kept as the original JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchEvents {
    pub seq: i64,
    pub json: Vec<u8>,
    pub event_count: usize,
    /// Client time of the first and last event.
    pub first_ts_ms: i64,
    pub last_ts_ms: i64,
    /// Whether the batch opens with Meta and FullSnapshot.
    pub starts_with_snapshot: bool,
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: u64,
    timestamp: f64,
}

impl BatchEvents {
    /// Reads the few facts the archiver needs from a batch's events array. Refuses text that is
    /// not a JSON array at most [`MAX_JSON_DEPTH`] levels deep, which would make the chunk
    /// unreadable; an element that is not an rrweb event is kept but has no timestamp.
    pub fn new(seq: i64, json: Vec<u8>) -> Result<Self, DeepJsonError> {
        let events: Vec<&RawValue> = json::from_slice_deep(&json)?;
        let mut heads: Vec<Head> = Vec::with_capacity(events.len());
        for event in &events {
            if let Ok(head) = json::from_str_deep(event.get()) {
                heads.push(head);
            }
        }
        let meta = crate::rrweb::EventType::Meta as u64;
        let full = crate::rrweb::EventType::FullSnapshot as u64;
        let starts_with_snapshot = match heads.as_slice() {
            [first, second, ..] => first.kind == meta && second.kind == full,
            _ => false,
        };
        let event_count = events.len();
        Ok(BatchEvents {
            seq,
            event_count,
            first_ts_ms: heads.iter().map(|head| head.timestamp as i64).min().unwrap_or(0),
            last_ts_ms: heads.iter().map(|head| head.timestamp as i64).max().unwrap_or(0),
            starts_with_snapshot,
            json,
        })
    }
}

/// Consecutive batches of one tab.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub project_id: String,
    pub session_id: String,
    pub window_id: String,
    pub batches: Vec<BatchEvents>,
}

impl Chunk {
    /// `{project}/{yyyy-mm-dd}/{session}/{window}-{first seq}-{last seq}`: the same batches
    /// always get the same key, and chunks that overlap after a redelivery do not collide.
    pub fn blob_key(&self, date: &str) -> String {
        let first_seq = self.batches.iter().map(|batch| batch.seq).min().unwrap_or(0);
        let last_seq = self.batches.iter().map(|batch| batch.seq).max().unwrap_or(0);
        format!(
            "{}/{}/{}/{}-{:010}-{:010}",
            self.project_id, date, self.session_id, self.window_id, first_seq, last_seq
        )
    }
}

/// `yyyy-mm-dd` of a time in ms since the epoch, UTC.
pub fn date_of(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Civil-from-days, after Howard Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// Compresses a chunk.
pub fn encode_chunk(chunk: &Chunk, level: i32) -> std::io::Result<Vec<u8>> {
    let mut json = Vec::with_capacity(chunk.batches.iter().map(|batch| batch.json.len() + 32).sum::<usize>() + 256);
    json.extend_from_slice(
        format!(
            "{{\"v\":1,\"project_id\":{},\"session_id\":{},\"window_id\":{},\"batches\":[",
            json_string(&chunk.project_id),
            json_string(&chunk.session_id),
            json_string(&chunk.window_id)
        )
        .as_bytes(),
    );
    for (index, batch) in chunk.batches.iter().enumerate() {
        if index > 0 {
            json.push(b',');
        }
        json.extend_from_slice(format!("{{\"seq\":{},\"events\":", batch.seq).as_bytes());
        json.extend_from_slice(&batch.json);
        json.push(b'}');
    }
    json.extend_from_slice(b"]}");
    zstd::encode_all(json.as_slice(), level)
}

/// A decoded chunk: the window and its batches with their events as raw JSON.
#[derive(Debug, Deserialize)]
pub struct DecodedChunk {
    pub v: u32,
    pub window_id: String,
    pub batches: Vec<DecodedBatch>,
}

/// One batch of a decoded chunk.
#[derive(Debug, Deserialize)]
pub struct DecodedBatch {
    pub seq: i64,
    pub events: Box<RawValue>,
}

/// Decompresses and parses a chunk: its batches' events may nest up to [`MAX_JSON_DEPTH`]
/// levels, inside the chunk's own.
pub fn decode_chunk(bytes: &[u8]) -> Result<DecodedChunk, String> {
    let json = zstd::decode_all(bytes).map_err(|error| format!("zstd: {error}"))?;
    json::from_slice_within(&json, MAX_JSON_DEPTH + ENVELOPE_DEPTH).map_err(|error| format!("chunk json: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(1_764_300_000_000), "2025-11-28");
        assert_eq!(date_of(951_782_400_000), "2000-02-29");
        assert_eq!(date_of(1_767_225_599_999), "2025-12-31");
    }

    #[test]
    fn chunk_round_trips_events_byte_for_byte() {
        let first = br#"[{"type":4,"data":{"href":"x"},"timestamp":10},{"type":2,"data":{},"timestamp":11}]"#.to_vec();
        let second = br#"[{"type":3,"data":{"source":2,"type":2,"id":5},"timestamp":20}]"#.to_vec();
        let chunk = Chunk {
            project_id: "demo".into(),
            session_id: "s".into(),
            window_id: "w".into(),
            batches: vec![BatchEvents::new(0, first.clone()).unwrap(), BatchEvents::new(1, second.clone()).unwrap()],
        };
        assert!(chunk.batches[0].starts_with_snapshot);
        assert!(!chunk.batches[1].starts_with_snapshot);
        assert_eq!((chunk.batches[0].first_ts_ms, chunk.batches[0].last_ts_ms), (10, 11));
        assert_eq!(chunk.blob_key("2026-11-28"), "demo/2026-11-28/s/w-0000000000-0000000001");
        let decoded = decode_chunk(&encode_chunk(&chunk, 3).unwrap()).unwrap();
        assert_eq!(decoded.window_id, "w");
        assert_eq!(decoded.batches.len(), 2);
        assert_eq!(decoded.batches[0].events.get().as_bytes(), first.as_slice());
        assert_eq!(decoded.batches[1].events.get().as_bytes(), second.as_slice());
    }

    /// A batch as deep as the gateway lets through: Meta, then a FullSnapshot whose DOM is
    /// `dom_levels` elements deep with a button at the bottom, then a custom event.
    fn deep_batch(dom_levels: usize) -> Vec<u8> {
        let mut node = r#"{"type":2,"id":1,"tagName":"button","attributes":{"id":"go"},"childNodes":[{"type":3,"id":2,"textContent":"Go"}]}"#.to_string();
        for id in 3..dom_levels + 2 {
            node = format!(r#"{{"type":2,"id":{id},"tagName":"div","attributes":{{}},"childNodes":[{node}]}}"#);
        }
        format!(
            r#"[{{"type":4,"data":{{"href":"x"}},"timestamp":10}},{{"type":2,"data":{{"node":{node}}},"timestamp":11}},{{"type":5,"data":{{"tag":"signup","payload":{{}}}},"timestamp":12}}]"#
        )
        .into_bytes()
    }

    #[test]
    fn deep_snapshot_batch_round_trips() {
        // 2 * 253 + 4 = 510 levels, 511 in the body the gateway accepted.
        let deep = deep_batch(253);
        assert_eq!(json::depth(&deep), 510);
        let batch = BatchEvents::new(4, deep.clone()).unwrap();
        assert_eq!(batch.event_count, 3);
        assert!(batch.starts_with_snapshot);
        assert_eq!((batch.first_ts_ms, batch.last_ts_ms), (10, 12));
        let chunk =
            Chunk { project_id: "demo".into(), session_id: "s".into(), window_id: "w".into(), batches: vec![batch] };
        let encoded = encode_chunk(&chunk, 3).unwrap();
        let decoded = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || decode_chunk(&encoded))
            .unwrap()
            .join()
            .expect("no stack overflow")
            .unwrap();
        assert_eq!(decoded.batches.len(), 1);
        assert_eq!(decoded.batches[0].seq, 4);
        assert_eq!(decoded.batches[0].events.get().as_bytes(), deep.as_slice());
    }

    #[test]
    fn refuses_events_that_would_make_the_chunk_unreadable() {
        let too_deep = format!("[{}{}]", "[".repeat(MAX_JSON_DEPTH), "]".repeat(MAX_JSON_DEPTH)).into_bytes();
        assert!(matches!(BatchEvents::new(0, too_deep), Err(DeepJsonError::TooDeep { .. })));
        assert!(matches!(BatchEvents::new(0, b"[1,".to_vec()), Err(DeepJsonError::Invalid(_))));
        assert!(matches!(BatchEvents::new(0, b"{}".to_vec()), Err(DeepJsonError::Invalid(_))));
        let not_events = BatchEvents::new(0, b"[1, {}]".to_vec()).unwrap();
        assert_eq!((not_events.event_count, not_events.first_ts_ms), (2, 0));
    }
}
