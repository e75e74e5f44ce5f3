//! The asset stage.
//!
//! Consumes: `playback.raw-batches` (group `assets`).
//! Produces: copies of the stylesheets, fonts and images that recordings use, in blob storage
//! at `assets/{project}/{sha256}` (the bytes as fetched; a stylesheet after its references were
//! rewritten, hashed after the rewrite), an `assets` row per fetched URL (archived, failed or
//! refused, with the reason in words), and a `session_assets` row per URL a session uses,
//! nested stylesheet URLs included.
//! Guarantees:
//! - it finds exactly the URLs the player rewrites ([`collect`]: the shared asset contract);
//! - it connects only to public addresses, or to origins listed in `allowed_origins`, and never
//!   to a denied origin ([`guard`]): every hop is checked, redirects are followed by hand, and
//!   a connection goes only to the addresses that were checked;
//! - a stored stylesheet refers to its archived targets by hash, relative to where it is
//!   served, and to the rest by absolute URL ([`css::rewrite`]);
//! - the runtime commits a poll only once its blobs and rows are durable (writes are retried
//!   until they are); a batch whose events are unreadable is dropped with a reason. The same
//!   input gives the same rows, and a URL fetched less than `refresh_ms` ago is not fetched
//!   again, so a redelivered batch changes nothing.
//!
//! It is a [`playback_runtime::Stage`]: per poll it reads each batch's URLs (keeping each
//! window's base URL, bounded), records them for their sessions, fetches those not held fresh
//! ([`fetch`]: bounded in flight, per origin too, retried on timeouts, connection errors, 429
//! and 5xx), follows stylesheets' `@import`s to `max_import_depth` and their `url()`s, stores
//! the copies and upserts the rows.

mod bounded;
pub mod collect;
pub mod config;
pub mod css;
pub mod failure;
pub mod fetch;
pub mod guard;
pub mod metrics;
mod stage;

pub use config::{AssetsConfig, ProjectAssetRules, ProjectAssetsConfig};
pub use failure::{Failure, Refusal};
pub use guard::{Resolver, SystemResolver};
pub use playback_schemas::asset::asset_blob_key as asset_key;
pub use stage::{sha256_hex, AssetStage, GROUP};
