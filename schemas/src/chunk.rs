//! The chunk format: one zstd frame of JSON
//! `{"v":2,"project_id":…,"session_id":…,"window_id":…,"batches":[{"seq":N,"events":[…]}]}`,
//! where each `events` array is the batch's rrweb events byte for byte as the recorder sent
//! them.
//!
//! Versions:
//! - **v2** (written now): compressed with a zstd dictionary trained on rrweb recordings and
//!   shipped in the binary (`schemas/dictionaries/`). The frame header carries the dictionary's
//!   id, which names the dictionary version: `0x5042_0000 + n` for `rrweb-n.zdict`. A reader
//!   picks the dictionary by that id and refuses an id it does not know. A new dictionary is a
//!   new file with the next id, added to [`DICTIONARIES`]; the old ones stay, so every chunk
//!   stays readable.
//! - **v1**: plain zstd, no dictionary (the frame has no dictionary id). Still read.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, LazyLock, Mutex};

use serde::Deserialize;
use serde_json::value::RawValue;
use zstd::dict::{DecoderDictionary, EncoderDictionary};

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

/// The format version that [`encode_chunk`] writes.
pub const CHUNK_VERSION: u32 = 2;

/// The id of the `n`-th rrweb dictionary: outside the range zstd reserves (below 32 768 and
/// from 2^31 on), and recognisable in a frame header ("PB").
pub const fn dictionary_id(n: u32) -> u32 {
    0x5042_0000 + n
}

/// One version of the rrweb dictionary.
pub struct Dictionary {
    /// The id in its header and in the header of every frame compressed with it.
    pub id: u32,
    /// The dictionary as zstd's trainer wrote it, its header id set to `id`.
    pub bytes: &'static [u8],
}

/// Every dictionary a chunk may name; the last one is the one chunks are written with.
pub const DICTIONARIES: [Dictionary; 1] =
    [Dictionary { id: dictionary_id(1), bytes: include_bytes!("../dictionaries/rrweb-1.zdict") }];

/// The dictionary new chunks are written with.
pub fn current_dictionary() -> &'static Dictionary {
    &DICTIONARIES[DICTIONARIES.len() - 1]
}

/// The prepared decoder of each dictionary, by id.
static DECODERS: LazyLock<HashMap<u32, DecoderDictionary<'static>>> = LazyLock::new(|| {
    DICTIONARIES.iter().map(|dictionary| (dictionary.id, DecoderDictionary::copy(dictionary.bytes))).collect()
});

/// The prepared encoder of the current dictionary, by level (a prepared dictionary holds its
/// level; the archiver uses one).
static ENCODERS: LazyLock<Mutex<HashMap<i32, Arc<EncoderDictionary<'static>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn encoder(level: i32) -> Arc<EncoderDictionary<'static>> {
    let mut encoders = ENCODERS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let prepared =
        encoders.entry(level).or_insert_with(|| Arc::new(EncoderDictionary::copy(current_dictionary().bytes, level)));
    Arc::clone(prepared)
}

/// The JSON that [`encode_chunk`] compresses: what the dictionary is trained on.
pub fn chunk_text(chunk: &Chunk) -> Vec<u8> {
    chunk_json(chunk, CHUNK_VERSION)
}

/// The chunk's JSON, as format `version` writes it.
fn chunk_json(chunk: &Chunk, version: u32) -> Vec<u8> {
    let mut json = Vec::with_capacity(chunk.batches.iter().map(|batch| batch.json.len() + 32).sum::<usize>() + 256);
    json.extend_from_slice(
        format!(
            "{{\"v\":{version},\"project_id\":{},\"session_id\":{},\"window_id\":{},\"batches\":[",
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
    json
}

/// Compresses a chunk at `level` with the current dictionary: format v2.
pub fn encode_chunk(chunk: &Chunk, level: i32) -> std::io::Result<Vec<u8>> {
    let json = chunk_json(chunk, CHUNK_VERSION);
    let prepared = encoder(level);
    let mut compressor = zstd::bulk::Compressor::with_prepared_dictionary(&prepared)?;
    compressor.compress(&json)
}

/// Compresses a chunk as format v1 did: plain zstd, no dictionary. Only to test that such
/// chunks stay readable, and to measure what the dictionary saves.
pub fn encode_chunk_v1(chunk: &Chunk, level: i32) -> std::io::Result<Vec<u8>> {
    zstd::encode_all(chunk_json(chunk, 1).as_slice(), level)
}

/// Decompresses one chunk frame with the dictionary its header names, or none (v1).
fn decompress(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let Some(id) = zstd::zstd_safe::get_dict_id_from_frame(bytes) else {
        return zstd::decode_all(bytes).map_err(|error| format!("zstd: {error}"));
    };
    let Some(prepared) = DECODERS.get(&id.get()) else {
        return Err(format!("zstd: the chunk names dictionary {:#x}, which this build does not have", id.get()));
    };
    let mut decoder = zstd::stream::read::Decoder::with_prepared_dictionary(bytes, prepared)
        .map_err(|error| format!("zstd: {error}"))?;
    let mut json = Vec::with_capacity(bytes.len() * 8);
    decoder.read_to_end(&mut json).map_err(|error| format!("zstd: {error}"))?;
    Ok(json)
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
    let json = decompress(bytes)?;
    json::from_slice_within(&json, MAX_JSON_DEPTH + ENVELOPE_DEPTH).map_err(|error| format!("chunk json: {error}"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

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

    fn two_batch_chunk() -> Chunk {
        let first = br#"[{"type":4,"data":{"href":"x"},"timestamp":10},{"type":2,"data":{},"timestamp":11}]"#.to_vec();
        let second = br#"[{"type":3,"data":{"source":2,"type":2,"id":5},"timestamp":20}]"#.to_vec();
        Chunk {
            project_id: "demo".into(),
            session_id: "s".into(),
            window_id: "w".into(),
            batches: vec![BatchEvents::new(0, first).unwrap(), BatchEvents::new(1, second).unwrap()],
        }
    }

    #[test]
    fn chunks_name_the_dictionary_they_were_written_with() {
        let chunk = two_batch_chunk();
        for level in [3, 9, 15] {
            let encoded = encode_chunk(&chunk, level).unwrap();
            let id = zstd::zstd_safe::get_dict_id_from_frame(&encoded).map(|id| id.get());
            assert_eq!(id, Some(dictionary_id(1)));
            assert_eq!(current_dictionary().id, dictionary_id(1));
            let decoded = decode_chunk(&encoded).unwrap();
            assert_eq!(decoded.v, CHUNK_VERSION);
            assert_eq!(decoded.batches.len(), 2);
            assert_eq!(decoded.batches[1].events.get().as_bytes(), chunk.batches[1].json.as_slice());
            // Without its dictionary the frame does not decode.
            assert!(zstd::decode_all(encoded.as_slice()).is_err());
        }
    }

    #[test]
    fn each_dictionary_carries_its_own_id() {
        let mut ids = HashSet::new();
        for dictionary in &DICTIONARIES {
            assert!(dictionary.bytes.len() >= 16 * 1024, "dictionary {:#x} is not a trained one", dictionary.id);
            assert_eq!(
                zstd::zstd_safe::get_dict_id_from_dict(dictionary.bytes).map(|id| id.get()),
                Some(dictionary.id)
            );
            assert!(ids.insert(dictionary.id), "two dictionaries share the id {:#x}", dictionary.id);
        }
    }

    #[test]
    fn v1_chunks_stay_readable() {
        // A chunk as format v1 wrote it: plain zstd, no dictionary id in the frame.
        let text = br#"{"v":1,"project_id":"demo","session_id":"s","window_id":"w","batches":[{"seq":3,"events":[{"type":4,"data":{"href":"x"},"timestamp":10},{"type":2,"data":{},"timestamp":11}]},{"seq":4,"events":[]}]}"#;
        let v1 = zstd::encode_all(text.as_slice(), 3).unwrap();
        assert_eq!(zstd::zstd_safe::get_dict_id_from_frame(&v1), None);
        let decoded = decode_chunk(&v1).unwrap();
        assert_eq!((decoded.v, decoded.window_id.as_str(), decoded.batches.len()), (1, "w", 2));
        assert_eq!(
            decoded.batches[0].events.get(),
            r#"[{"type":4,"data":{"href":"x"},"timestamp":10},{"type":2,"data":{},"timestamp":11}]"#
        );
        // encode_chunk_v1 writes the same format.
        let again = decode_chunk(&encode_chunk_v1(&two_batch_chunk(), 3).unwrap()).unwrap();
        assert_eq!((again.v, again.batches.len()), (1, 2));
    }

    #[test]
    fn a_chunk_naming_an_unknown_dictionary_is_refused() {
        let mut foreign = current_dictionary().bytes.to_vec();
        foreign[4..8].copy_from_slice(&dictionary_id(999).to_le_bytes());
        let mut compressor = zstd::bulk::Compressor::with_dictionary(3, &foreign).unwrap();
        let encoded = compressor.compress(&chunk_text(&two_batch_chunk())).unwrap();
        let error = decode_chunk(&encoded).unwrap_err();
        assert!(error.contains("0x504203e7"), "{error}");
        assert!(decode_chunk(b"not zstd").is_err());
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
