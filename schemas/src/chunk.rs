//! The chunk format: zstd-compressed JSON
//! `{"v":1,"project_id":…,"session_id":…,"window_id":…,"batches":[{"seq":N,"events":[…]}]}`,
//! where each `events` array is the batch's rrweb events byte for byte as the recorder sent
//! them.

use serde::Deserialize;
use serde_json::value::RawValue;

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
    /// Reads the few facts the archiver needs from a batch's events array.
    pub fn new(seq: i64, json: Vec<u8>) -> Self {
        let events: Vec<&RawValue> = serde_json::from_slice(&json).unwrap_or_default();
        let heads: Vec<Head> = events.iter().filter_map(|event| serde_json::from_str(event.get()).ok()).collect();
        let meta = crate::rrweb::EventType::Meta as u64;
        let full = crate::rrweb::EventType::FullSnapshot as u64;
        let starts_with_snapshot = match heads.as_slice() {
            [first, second, ..] => first.kind == meta && second.kind == full,
            _ => false,
        };
        BatchEvents {
            seq,
            event_count: events.len(),
            first_ts_ms: heads.iter().map(|head| head.timestamp as i64).min().unwrap_or(0),
            last_ts_ms: heads.iter().map(|head| head.timestamp as i64).max().unwrap_or(0),
            starts_with_snapshot,
            json,
        }
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

/// Decompresses and parses a chunk.
pub fn decode_chunk(bytes: &[u8]) -> Result<DecodedChunk, String> {
    let json = zstd::decode_all(bytes).map_err(|error| format!("zstd: {error}"))?;
    serde_json::from_slice(&json).map_err(|error| format!("chunk json: {error}"))
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
            batches: vec![BatchEvents::new(0, first.clone()), BatchEvents::new(1, second.clone())],
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
}
