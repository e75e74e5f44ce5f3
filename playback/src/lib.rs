//! Composition of Playback: configuration, adapters and stages.
//!
//! `playback up` runs all stages in one process on embedded storage and serves the UI, the
//! APIs, the recorder and a demo site on one address. `playback <stage>` runs one stage, which
//! is what a deployment does: one image, different arguments. This crate only composes: it
//! reads config, opens the adapters and hands them to the stages.

pub mod app;
pub mod at_rest;
pub mod backends;
pub mod config;
pub mod deletion;
pub mod readiness;
pub mod retention;
pub mod seed;
pub mod ui;
pub mod verify;

pub use config::Config;
