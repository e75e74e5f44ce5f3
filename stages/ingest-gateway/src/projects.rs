use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::privacy::{MaskText, PatternError, PrivacyRules, DEFAULT_SCRUB_PARAMS};

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
    /// How much page text recorders mask: `none`, `sensitive` (e-mail addresses, long digit
    /// runs and elements marked sensitive) or `all` (docs/privacy.md).
    #[serde(default)]
    pub mask_text: MaskText,
    /// Query and fragment parameters whose values are scrubbed, by the recorder and by the
    /// gateway: a parameter is scrubbed when its name contains one of these, ignoring case
    /// (`token`, `password`, `email`, `code`, `reset`, …).
    #[serde(default = "default_scrub_params")]
    pub scrub_params: Vec<String>,
    /// More regular expressions whose matches are masked in page text, by the recorder and by
    /// the gateway. Write them in the syntax that JavaScript and Rust's `regex` share.
    #[serde(default)]
    pub text_patterns: Vec<String>,
}

impl Project {
    /// A project with every setting at its default.
    pub fn new(id: impl Into<String>, key: impl Into<String>) -> Self {
        Project {
            id: id.into(),
            key: key.into(),
            enabled: true,
            sample_rate: 1.0,
            retention_days: a_year(),
            inline_assets: false,
            mask_text: MaskText::default(),
            scrub_params: default_scrub_params(),
            text_patterns: Vec::new(),
        }
    }

    /// The project's privacy rules, compiled.
    pub fn privacy_rules(&self) -> Result<PrivacyRules, PatternError> {
        PrivacyRules::new(self.mask_text, &self.scrub_params, &self.text_patterns)
    }
}

fn default_scrub_params() -> Vec<String> {
    DEFAULT_SCRUB_PARAMS.iter().map(|param| param.to_string()).collect()
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

/// The projects, looked up by key, each with its compiled privacy rules.
#[derive(Debug, Clone, Default)]
pub struct ProjectRegistry {
    by_key: HashMap<String, (Project, Arc<PrivacyRules>)>,
}

impl ProjectRegistry {
    /// Builds the registry; a later project with the same key replaces an earlier one. Fails
    /// on a project whose `text_patterns` do not compile.
    pub fn new(projects: impl IntoIterator<Item = Project>) -> Result<Self, PatternError> {
        let mut by_key = HashMap::new();
        for project in projects {
            let rules = Arc::new(project.privacy_rules()?);
            by_key.insert(project.key.clone(), (project, rules));
        }
        Ok(ProjectRegistry { by_key })
    }

    /// The project with this key, enabled or not.
    pub fn by_key(&self, key: &str) -> Option<&Project> {
        self.by_key.get(key).map(|(project, _)| project)
    }

    /// The privacy rules of the project with this key.
    pub fn privacy(&self, key: &str) -> Option<Arc<PrivacyRules>> {
        self.by_key.get(key).map(|(_, rules)| Arc::clone(rules))
    }
}
