//! The ingest gateway.
//!
//! Consumes: `POST /v1/batches` from the recorder (JSON, plain or gzip), and answers
//! `GET /v1/projects/{key}/config`.
//! Produces: one Avro [`RawBatch`](playback_schemas::RawBatch) per accepted batch on
//! `playback.raw-batches`, keyed by session id.
//! Guarantees: `200` only once the event log has the batch durably; every other answer says
//! why in a 4xx or 5xx with a reason, and nothing half-accepted is published. The events stay
//! opaque JSON: the gateway checks their shape, and rewrites an event only to remove what the
//! project's privacy rules forbid ([`PrivacyRules`]); the other events are kept byte for byte.

mod batch;
mod device;
mod error;
pub mod metrics;
mod privacy;
mod projects;
mod rate_limit;
mod routes;

pub use batch::{parse_batch, scrub_batch, Limits, ParsedBatch};
pub use device::parse_device;
pub use error::GatewayError;
pub use privacy::{MaskText, PatternError, PrivacyRules, DEFAULT_SCRUB_PARAMS, REDACTED};
pub use projects::{Project, ProjectRegistry};
pub use rate_limit::RateLimiter;
pub use routes::{router, GatewayState, RecorderBundle, RecorderSettings};
