//! Rust types matching `avro/*.avsc` field for field.

use serde::{Deserialize, Serialize};

/// The identified visitor, as the recorder's `identify(userId, traits)` set it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Option<String>,
    /// The traits object as JSON text (Avro has no type for arbitrary JSON).
    pub traits_json: String,
}

/// The visitor's device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub user_agent: String,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub os_version: String,
    /// `desktop`, `mobile`, `tablet`, `bot` or `other`.
    pub device_type: String,
    /// The device's screen (`screen.width/height`) in CSS pixels, as our recorder sends it
    /// with its batches; 0 when the recorder does not send it.
    pub screen_width: i32,
    pub screen_height: i32,
    /// The page's viewport in CSS pixels, from the rrweb Meta event; 0 when unknown. Values
    /// written before these fields existed read as 0.
    #[serde(default)]
    pub viewport_width: i32,
    #[serde(default)]
    pub viewport_height: i32,
}

/// One batch of rrweb events as the gateway accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawBatch {
    pub project_id: String,
    pub session_id: String,
    pub window_id: String,
    /// Batch sequence number within the window, from 0.
    pub seq: i64,
    pub client_sent_at_ms: i64,
    pub received_at_ms: i64,
    /// `received_at_ms - client_sent_at_ms`: add it to a client timestamp to get server time.
    pub clock_offset_ms: i64,
    pub user: Option<User>,
    pub device: Device,
    pub event_count: i32,
    /// The JSON array of rrweb events exactly as the recorder sent it.
    #[serde(with = "serde_bytes_vec")]
    pub events_json: Vec<u8>,
}

/// The aggregate of one session after the sessionizer applied a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUpdate {
    pub project_id: String,
    pub session_id: String,
    /// Grows with every applied batch; sinks keep the highest.
    pub version: i64,
    pub closed: bool,
    pub start_ms: i64,
    pub end_ms: i64,
    pub active_ms: i64,
    pub user: Option<User>,
    pub device: Device,
    pub windows: i32,
    pub events: i64,
    pub page_views: i32,
    pub clicks: i32,
    pub inputs: i32,
    pub errors: i32,
    pub custom_events: i32,
    pub rage_clicks: i32,
    pub dead_clicks: i32,
    pub entry_url: String,
    pub exit_url: String,
    pub urls: Vec<String>,
    pub event_names: Vec<String>,
    pub path_sequence: Vec<String>,
    pub action_sequence: Vec<String>,
    pub updated_at_ms: i64,
}

/// An inclusive range of batch sequence numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqRange {
    pub first: i64,
    pub last: i64,
}

/// A half-open time interval in server milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// A click remembered for rage- and dead-click detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickMark {
    pub ts_ms: i64,
    pub node_id: i64,
    pub batch_seq: i64,
    pub index: i32,
    pub url: String,
    pub target: String,
    /// The clicked element's human label (empty when it has none) and kind, for the title.
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub element: String,
}

/// Per-tab state of an open session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowState {
    pub window_id: String,
    /// Batch seqs already applied, as sorted disjoint ranges.
    pub seen: Vec<SeqRange>,
    pub current_url: String,
    pub last_input_node: i64,
    pub recent_clicks: Vec<ClickMark>,
    pub pending_clicks: Vec<ClickMark>,
    pub last_reaction_ms: i64,
    /// Server time minus client time for this tab, one value for all its batches; `None`
    /// before its first batch.
    pub clock_offset_ms: Option<i64>,
    /// Client sent-at of the highest batch seq applied.
    pub last_sent_at_ms: i64,
}

/// The sessionizer's state of one session, as kept in its changelog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    pub update: SessionUpdate,
    pub last_received_ms: i64,
    /// Server time of the entry and exit page views.
    pub entry_ts_ms: i64,
    pub exit_ts_ms: i64,
    pub windows: Vec<WindowState>,
    pub active_intervals: Vec<Interval>,
}

// A schema change adds a file to the history list; `tests/compatibility.rs` checks that values
// written with every listed schema still decode.
crate::avro_message!(
    RawBatch,
    "../avro/raw_batch.avsc",
    ["../avro/history/raw_batch.v1.avsc", "../avro/history/raw_batch.v2.avsc"]
);
crate::avro_message!(
    SessionUpdate,
    "../avro/session_update.avsc",
    ["../avro/history/session_update.v1.avsc", "../avro/history/session_update.v2.avsc"]
);
crate::avro_message!(
    SessionState,
    "../avro/session_state.avsc",
    [
        "../avro/history/session_state.v1.avsc",
        "../avro/history/session_state.v2.avsc",
        "../avro/history/session_state.v3.avsc"
    ]
);

/// Avro `bytes` through serde: apache-avro maps `Value::Bytes` to a serde byte buffer.
mod serde_bytes_vec {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
                Ok(v.as_bytes().to_vec())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(byte) = seq.next_element::<u8>()? {
                    out.push(byte);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_bytes(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field names of a record schema, in order.
    fn avro_fields(schema: &str) -> Vec<String> {
        let schema: serde_json::Value = serde_json::from_str(schema).unwrap_or_default();
        let fields = schema["fields"].as_array().cloned().unwrap_or_default();
        fields.iter().filter_map(|field| field["name"].as_str().map(str::to_string)).collect()
    }

    /// The field names of a value as serde writes them, in order.
    fn rust_fields(value: impl Serialize) -> Vec<String> {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::Object(object)) => object.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn the_session_update_has_the_fields_of_its_newest_schema() {
        let mut avro = avro_fields(include_str!("../avro/session_update.avsc"));
        let mut rust = rust_fields(SessionUpdate::default());
        avro.sort();
        rust.sort();
        assert!(!avro.is_empty());
        assert_eq!(rust, avro, "SessionUpdate and avro/session_update.avsc name different fields");
    }
}
