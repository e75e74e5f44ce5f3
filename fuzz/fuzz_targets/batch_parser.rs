//! `parse_batch` on any request body, with the default limits: sent plain, flagged as gzip,
//! and gzip-compressed. It never panics, answers only 400 or 413, and what it accepts meets
//! every documented rule, keeps the events verbatim and encodes as a `RawBatch`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    playback_fuzz::check_parse(body);
});
