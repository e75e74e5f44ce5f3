//! Avro decoding of any bytes as each message type on the event log. Decoding never panics,
//! and a value that decodes encodes again and decodes to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use playback_schemas::{AvroMessage, RawBatch, SessionState, SessionUpdate};

fn round_trip<T: AvroMessage + PartialEq + std::fmt::Debug>(bytes: &[u8]) {
    let Ok(value) = T::decode(bytes) else { return };
    let encoded = value.encode().expect("a decoded value encodes");
    let again = T::decode(&encoded).expect("an encoded value decodes");
    assert_eq!(again, value, "encode(decode(x)) decodes to another value");
}

fuzz_target!(|bytes: &[u8]| {
    round_trip::<RawBatch>(bytes);
    round_trip::<SessionUpdate>(bytes);
    round_trip::<SessionState>(bytes);
});
