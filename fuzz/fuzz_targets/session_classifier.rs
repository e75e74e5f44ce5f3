//! The sessionizer's classifier on any JSON. A body the gateway accepts goes through its
//! envelope, as in production; anything else is taken as the `events_json` of a batch, as if
//! the event log held it. Either way the session must keep its invariants (see
//! `playback_fuzz::session`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use playback_ingest_gateway::{parse_batch, Limits};
use playback_schemas::RawBatch;

fuzz_target!(|data: &[u8]| {
    let batch = match parse_batch(data, false, &Limits::default()) {
        Ok(parsed) => playback_fuzz::raw_batch(parsed),
        Err(_) => RawBatch {
            project_id: playback_fuzz::PROJECT_ID.to_string(),
            session_id: "0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5f".to_string(),
            window_id: "fuzz-window".to_string(),
            seq: 0,
            client_sent_at_ms: playback_fuzz::RECEIVED_AT_MS - 1_000,
            received_at_ms: playback_fuzz::RECEIVED_AT_MS,
            clock_offset_ms: 1_000,
            user: None,
            device: playback_ingest_gateway::parse_device(playback_fuzz::USER_AGENT),
            event_count: 0,
            events_json: data.to_vec(),
        },
    };
    playback_fuzz::session::exercise(&batch);
});
