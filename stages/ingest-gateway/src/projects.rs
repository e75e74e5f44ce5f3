use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A project that may send recordings, from config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// The stable id stored with every session, for example `demo`.
    pub id: String,
    /// The public key that recorders send; it only allows sending.
    pub key: String,
    /// A disabled project's recorders record nothing and its batches get 401.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The share of visitors recorded, from 0 to 1.
    #[serde(default = "full_sample")]
    pub sample_rate: f64,
    /// How many days a session is kept after it ended: `playback retention` removes it from
    /// every store after that (365).
    #[serde(default = "a_year")]
    pub retention_days: u32,
    /// Whether recorders also send copies of images (rrweb `inlineImages`) and the fonts the
    /// page creates with the FontFace API (`collectFonts`), for sites whose assets the asset
    /// stage cannot fetch, such as ones behind a login (false: recordings grow by what they
    /// inline).
    #[serde(default)]
    pub inline_assets: bool,
}

fn enabled_by_default() -> bool {
    true
}

fn full_sample() -> f64 {
    1.0
}

fn a_year() -> u32 {
    365
}

/// The projects, looked up by key.
#[derive(Debug, Clone, Default)]
pub struct ProjectRegistry {
    by_key: HashMap<String, Project>,
}

impl ProjectRegistry {
    /// Builds the registry; a later project with the same key replaces an earlier one.
    pub fn new(projects: impl IntoIterator<Item = Project>) -> Self {
        let by_key = projects.into_iter().map(|project| (project.key.clone(), project)).collect();
        ProjectRegistry { by_key }
    }

    /// The project with this key, enabled or not.
    pub fn by_key(&self, key: &str) -> Option<&Project> {
        self.by_key.get(key)
    }
}
