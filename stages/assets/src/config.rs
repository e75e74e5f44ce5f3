//! `[assets]`: what the asset stage fetches, from where, and how hard it tries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::guard::OriginRules;

/// Asset stage settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssetsConfig {
    /// Whether assets are copied at all (true); a project may turn it off for itself.
    pub enabled: bool,
    /// Origins such as `http://127.0.0.1:5000` whose addresses the SSRF guard does not check
    /// (none): an intranet CDN, a test server.
    pub allowed_origins: Vec<String>,
    /// Origins never fetched (none).
    pub denied_origins: Vec<String>,
    /// Extra request headers sent to the origin of each asset URL (none), such as a token a
    /// CDN asks for. They are not sent on a redirect to another origin.
    pub headers: BTreeMap<String, String>,
    /// Time for one hop of a fetch, connection to last byte (10000 ms).
    pub timeout_ms: u64,
    /// Largest asset kept (20 MiB); a body is refused as soon as it passes this.
    pub max_asset_bytes: u64,
    /// Fetches in flight at most (16).
    pub max_in_flight: usize,
    /// Fetches in flight to one origin at most (4).
    pub max_in_flight_per_origin: usize,
    /// Retries of a fetch that timed out, could not connect, or got 429 or 5xx (2).
    pub retries: u32,
    /// Wait before the first retry (500 ms), doubled for each next one.
    pub retry_backoff_ms: u64,
    /// A URL fetched longer ago than this is fetched again when a recording uses it
    /// (86400000 ms, a day).
    pub refresh_ms: u64,
    /// How deep `@import`s of stylesheets are followed (3).
    pub max_import_depth: u32,
    /// Per project overrides, by project id (none).
    pub projects: BTreeMap<String, ProjectAssetsConfig>,
}

impl Default for AssetsConfig {
    fn default() -> Self {
        AssetsConfig {
            enabled: true,
            allowed_origins: Vec::new(),
            denied_origins: Vec::new(),
            headers: BTreeMap::new(),
            timeout_ms: 10_000,
            max_asset_bytes: 20 << 20,
            max_in_flight: 16,
            max_in_flight_per_origin: 4,
            retries: 2,
            retry_backoff_ms: 500,
            refresh_ms: 86_400_000,
            max_import_depth: 3,
            projects: BTreeMap::new(),
        }
    }
}

/// `[assets.projects.<project_id>]`: each field given replaces the global one for the project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectAssetsConfig {
    /// Whether the project's assets are copied (the global `enabled`).
    pub enabled: Option<bool>,
    /// The project's allowed origins (the global `allowed_origins`).
    pub allowed_origins: Option<Vec<String>>,
    /// The project's denied origins (the global `denied_origins`).
    pub denied_origins: Option<Vec<String>>,
    /// The project's extra request headers (the global `headers`).
    pub headers: Option<BTreeMap<String, String>>,
}

/// The rules that apply to one project, overrides resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectAssetRules {
    pub enabled: bool,
    pub origins: OriginRules,
    pub headers: BTreeMap<String, String>,
}

impl AssetsConfig {
    /// The rules of `project_id`: its overrides where it has them, the global settings elsewhere.
    pub fn for_project(&self, project_id: &str) -> ProjectAssetRules {
        let overrides = self.projects.get(project_id).cloned().unwrap_or_default();
        let allowed = overrides.allowed_origins.unwrap_or_else(|| self.allowed_origins.clone());
        let denied = overrides.denied_origins.unwrap_or_else(|| self.denied_origins.clone());
        ProjectAssetRules {
            enabled: overrides.enabled.unwrap_or(self.enabled),
            origins: OriginRules::new(&allowed, &denied),
            headers: overrides.headers.unwrap_or_else(|| self.headers.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use figment::providers::{Format, Toml};
    use figment::Figment;

    use super::*;

    #[test]
    fn projects_override_what_they_name() {
        let toml = r#"
            allowed_origins = ["http://127.0.0.1:5000"]
            headers = { "x-cdn-token" = "global" }
            [projects.shop]
            denied_origins = ["https://ads.example"]
            headers = { "x-cdn-token" = "shop" }
            [projects.quiet]
            enabled = false
        "#;
        let config: AssetsConfig = Figment::from(Toml::string(toml)).extract().unwrap();
        assert_eq!(config.timeout_ms, 10_000);
        let shop = config.for_project("shop");
        assert!(shop.enabled);
        assert_eq!(shop.origins.allowed, vec!["http://127.0.0.1:5000".to_string()]);
        assert_eq!(shop.origins.denied, vec!["https://ads.example".to_string()]);
        assert_eq!(shop.headers.get("x-cdn-token").map(String::as_str), Some("shop"));
        assert!(!config.for_project("quiet").enabled);
        let other = config.for_project("other");
        assert!(other.enabled);
        assert_eq!(other.headers.get("x-cdn-token").map(String::as_str), Some("global"));

        let off = AssetsConfig {
            enabled: false,
            projects: BTreeMap::from([(
                "pilot".to_string(),
                ProjectAssetsConfig { enabled: Some(true), ..ProjectAssetsConfig::default() },
            )]),
            ..AssetsConfig::default()
        };
        assert!(!off.for_project("shop").enabled);
        assert!(off.for_project("pilot").enabled, "a project may turn assets on for itself");
    }

    /// The environment form the binary reads (`PLAYBACK_ASSETS__...`, split on `__`).
    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure returns figment's own error
    fn environment_values() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PLAYBACK_ASSETS__ENABLED", "false");
            jail.set_env("PLAYBACK_ASSETS__ALLOWED_ORIGINS", r#"["http://127.0.0.1:5000"]"#);
            jail.set_env("PLAYBACK_ASSETS__PROJECTS__SHOP__ENABLED", "true");
            let env = figment::providers::Env::prefixed("PLAYBACK_ASSETS__").split("__");
            let config: AssetsConfig = Figment::from(env).extract()?;
            assert!(!config.enabled);
            assert_eq!(config.allowed_origins, vec!["http://127.0.0.1:5000".to_string()]);
            assert!(config.for_project("shop").enabled);
            assert!(!config.for_project("other").enabled);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        let result: Result<AssetsConfig, _> = Figment::from(Toml::string("timeout = 5")).extract();
        assert!(result.is_err());
        let result: Result<AssetsConfig, _> = Figment::from(Toml::string("[projects.a]\nretries = 1")).extract();
        assert!(result.is_err());
    }
}
