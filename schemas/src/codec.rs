//! Avro single-object encoding for every value on the event log.
//!
//! Layout: `0xC3 0x01`, the 8-byte little-endian CRC-64-AVRO (Rabin) fingerprint of the writer
//! schema, then the Avro binary datum. The fingerprint makes each value self-describing: a
//! reader resolves it against the writer schema it names, so schemas can evolve in backward
//! compatible steps without a schema registry.

use std::io::Cursor;

use apache_avro::rabin::Rabin;
use apache_avro::Schema;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The two marker bytes that start every single-object encoded value.
pub const MAGIC: [u8; 2] = [0xC3, 0x01];
const HEADER_LEN: usize = 10;

/// The most apache-avro may allocate for one string, bytes field or array block while decoding.
/// apache-avro 0.21 checks an array's item count against this byte budget and then reserves
/// 56 bytes per item, so with its default (512 MiB) a corrupt count in a 40-byte value made it
/// ask for up to 28 GiB at once and abort the process (found by the `avro_decode` fuzz target,
/// fuzz/regressions/avro_decode/). No value on the log comes near this: the largest field is a
/// RawBatch's events, which the gateway caps at 16 MiB by default.
pub const MAX_ALLOCATION_BYTES: usize = 32 << 20;

/// An error while encoding or decoding a message.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The value does not start with the single-object marker.
    #[error("not an avro single-object value")]
    NoMarker,
    /// The fingerprint names a schema this build does not know.
    #[error("unknown writer schema fingerprint {0:016x}")]
    UnknownSchema(u64),
    /// The Avro library rejected the value or the datum.
    #[error("avro: {0}")]
    Avro(String),
}

impl From<apache_avro::Error> for CodecError {
    fn from(error: apache_avro::Error) -> Self {
        CodecError::Avro(error.to_string())
    }
}

/// A parsed schema with its fingerprint.
#[derive(Debug)]
pub struct CompiledSchema {
    pub schema: Schema,
    pub fingerprint: [u8; 8],
}

impl CompiledSchema {
    /// Parses a schema text; panics on an invalid schema, which is a build defect that the
    /// round-trip tests catch.
    pub fn compile(text: &str) -> Self {
        #[allow(clippy::expect_used)]
        let schema = Schema::parse_str(text).expect("schemas/avro holds valid Avro schemas");
        let digest = schema.fingerprint::<Rabin>();
        let mut fingerprint = [0u8; 8];
        fingerprint.copy_from_slice(&digest.bytes[..8]);
        CompiledSchema { schema, fingerprint }
    }
}

/// A type carried on the event log as Avro.
pub trait AvroMessage: Serialize + DeserializeOwned {
    /// The current (reader and writer) schema.
    fn compiled() -> &'static CompiledSchema;

    /// Every schema this type was ever written with, oldest first; the last may equal the
    /// current one. Values written with any of them decode into the current type.
    fn history() -> &'static [CompiledSchema];

    /// Encodes with the current schema, single-object framed.
    fn encode(&self) -> Result<Vec<u8>, CodecError> {
        let compiled = Self::compiled();
        let value = apache_avro::to_value(self)?;
        let value = value.resolve(&compiled.schema)?;
        let datum = apache_avro::to_avro_datum(&compiled.schema, value)?;
        let mut out = Vec::with_capacity(HEADER_LEN + datum.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&compiled.fingerprint);
        out.extend_from_slice(&datum);
        Ok(out)
    }

    /// Decodes a single-object framed value written with a known schema.
    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        if bytes.len() < HEADER_LEN || bytes[..2] != MAGIC {
            return Err(CodecError::NoMarker);
        }
        // Process-wide and set once: the first decode fixes it, before any datum is read.
        apache_avro::util::max_allocation_bytes(MAX_ALLOCATION_BYTES);
        let compiled = Self::compiled();
        let fingerprint = &bytes[2..HEADER_LEN];
        let mut reader = Cursor::new(&bytes[HEADER_LEN..]);
        let value = if fingerprint == compiled.fingerprint {
            apache_avro::from_avro_datum(&compiled.schema, &mut reader, None)?
        } else {
            let Some(writer) = Self::history().iter().find(|old| old.fingerprint == fingerprint) else {
                let mut id = [0u8; 8];
                id.copy_from_slice(fingerprint);
                return Err(CodecError::UnknownSchema(u64::from_le_bytes(id)));
            };
            apache_avro::from_avro_datum(&writer.schema, &mut reader, Some(&compiled.schema))?
        };
        Ok(apache_avro::from_value::<Self>(&value)?)
    }
}

/// Implements [`AvroMessage`] for a type from its current schema file and its history.
#[macro_export]
macro_rules! avro_message {
    ($ty:ty, $path:literal, [$($old:literal),* $(,)?]) => {
        impl $crate::codec::AvroMessage for $ty {
            fn compiled() -> &'static $crate::codec::CompiledSchema {
                static COMPILED: std::sync::OnceLock<$crate::codec::CompiledSchema> = std::sync::OnceLock::new();
                COMPILED.get_or_init(|| $crate::codec::CompiledSchema::compile(include_str!($path)))
            }

            fn history() -> &'static [$crate::codec::CompiledSchema] {
                static HISTORY: std::sync::OnceLock<Vec<$crate::codec::CompiledSchema>> = std::sync::OnceLock::new();
                HISTORY.get_or_init(|| vec![$($crate::codec::CompiledSchema::compile(include_str!($old))),*])
            }
        }
    };
}
