//! Configuration: built-in defaults, then a TOML file, then `PLAYBACK_*` environment variables
//! (sections split by `__`, for example `PLAYBACK_GATEWAY__RATE_LIMIT_PER_SEC=100`).

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use playback_archiver::ArchiverConfig;
use playback_assets::AssetsConfig;
use playback_ingest_gateway::Project;
use playback_query_api::{ApiToken, ShareLifetimes};
use playback_scorer::ScoreConfig;
use playback_sessionizer::SessionizerConfig;
use serde::{Deserialize, Serialize};

pub use playback_keys::{EncryptionConfig, MasterKeyConfig};

use crate::backends::{ClickHouseConfig, KafkaConfig, S3Config};

/// Everything `playback` reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the embedded event log, warehouse and blobs live (`data`).
    pub data_dir: PathBuf,
    /// The one address of `playback up` (`127.0.0.1:8080`).
    pub listen: String,
    pub paths: Paths,
    /// Projects allowed to send recordings. Defaults to the demo project, key `pk_demo`.
    pub projects: Vec<Project>,
    pub log: LogConfig,
    pub warehouse: WarehouseConfig,
    pub blobs: BlobsConfig,
    /// Where a single-stage process serves `/healthz`, `/readyz` and `/metrics`
    /// (`0.0.0.0:9464`); the gateway and the query API serve them on their own address too.
    pub admin_listen: String,
    pub gateway: GatewayConfig,
    pub query: QueryConfig,
    pub sessionizer: SessionizerConfig,
    pub scorer: ScoreConfig,
    pub archiver: ArchiverConfig,
    /// The asset stage: which origins it fetches from, and how (docs/assets.md).
    pub assets: AssetsConfig,
    pub auth: AuthConfig,
    pub share: ShareConfig,
    /// The retention job (docs/operations.md, "Retention").
    pub retention: RetentionConfig,
    /// Encryption at rest: the master keys and the data key cache (docs/operations.md, "Keys
    /// and rotation").
    pub encryption: EncryptionConfig,
}

/// The retention job: `playback retention`, daily inside `playback up`, a CronJob in the chart.
/// How long sessions are kept is each project's `retention_days`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Records of the embedded event log go once every consumer group has read them and they
    /// are this old (168 h, a week).
    pub log_max_age_hours: u32,
    /// About how many rows one SQLite transaction removes, so ingest never waits long (5000).
    pub batch_rows: usize,
    /// Whether `playback up` runs the job in the background (true).
    pub in_up: bool,
    /// How long `playback up` waits after it started before the first run (60 s).
    pub first_run_after_s: u64,
    /// Hours between two runs inside `playback up` (24).
    pub interval_hours: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            log_max_age_hours: 168,
            batch_rows: 5_000,
            in_up: true,
            first_run_after_s: 60,
            interval_hours: 24,
        }
    }
}

/// Who may use the query API.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Bearer tokens, each for one project with a role (docs/api.md, "Authentication").
    /// `playback up` makes one admin token per project when there is none; `playback query-api`
    /// refuses to start without any.
    pub tokens: Vec<ApiToken>,
}

/// Share links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShareConfig {
    /// The HMAC key that signs share links: at least 32 characters, the same on every query-api
    /// replica. `playback up` makes one in the data dir when it is empty; `playback query-api`
    /// refuses to start without one.
    pub signing_key: String,
    /// Lifetime of a link when the request names none (168 h).
    pub default_hours: u32,
    /// The longest lifetime a request may ask for (720 h).
    pub max_hours: u32,
}

impl Default for ShareConfig {
    fn default() -> Self {
        let lifetimes = ShareLifetimes::default();
        ShareConfig {
            signing_key: String::new(),
            default_hours: lifetimes.default_hours,
            max_hours: lifetimes.max_hours,
        }
    }
}

/// Files that Playback serves. The binary carries all three (web/dist, recorder/dist and demo/
/// as they were when it was built, see `ui`); a path set here serves that one from disk
/// instead, for working on the UI or the recorder without rebuilding the binary.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Paths {
    /// A built web UI directory (unset: the one in the binary).
    pub web_dir: Option<PathBuf>,
    /// A recorder bundle, with its `.map` next to it (unset: the one in the binary).
    pub recorder_js: Option<PathBuf>,
    /// The demo site served at `/demo/` by `playback up` (unset: the one in the binary); empty
    /// to turn it off.
    pub demo_dir: Option<PathBuf>,
}

/// Which implementation of an adapter to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The embedded implementation under `data_dir`.
    #[default]
    Embedded,
    /// The real server: Kafka, ClickHouse or S3.
    Server,
}

/// The event log: embedded SQLite, or Kafka.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `embedded` or `server` (Kafka).
    pub backend: Backend,
    /// Partitions per topic of the embedded log (1).
    pub partitions: i32,
    pub kafka: KafkaConfig,
}

/// The warehouse: embedded SQLite, or ClickHouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct WarehouseConfig {
    /// `embedded` or `server` (ClickHouse).
    pub backend: Backend,
    pub clickhouse: ClickHouseConfig,
}

/// Blob storage: a local directory, or S3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct BlobsConfig {
    /// `embedded` or `server` (S3).
    pub backend: Backend,
    pub s3: S3Config,
}

/// The ingest gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// Address of `playback gateway` (`0.0.0.0:8081`).
    pub listen: String,
    pub max_body_bytes: usize,
    pub max_decompressed_bytes: usize,
    pub max_event_bytes: usize,
    pub max_events_per_batch: usize,
    /// Batches per second per project; 0 turns the limit off (200).
    pub rate_limit_per_sec: f64,
    pub rate_limit_burst: f64,
    /// How long a batch may wait for the event log before the answer is 503 (5000 ms).
    pub publish_timeout_ms: u64,
    pub flush_interval_ms: u64,
    pub max_batch_bytes: u64,
    pub snapshot_interval_ms: u64,
    /// Whether `playback gateway` also serves the demo site of `paths.demo_dir` at `/demo/`, so
    /// that it records into its own origin (off). `playback up` always serves it.
    pub serve_demo: bool,
}

/// The query API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueryConfig {
    /// Address of `playback query-api` (`127.0.0.1:8082`).
    pub listen: String,
    /// The public URL of the ingest gateway, shown in the UI's recorder snippet (empty: the UI's
    /// own origin, which is right for `playback up`).
    pub ingest_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            listen: "127.0.0.1:8080".into(),
            paths: Paths::default(),
            projects: vec![Project::new("demo", "pk_demo")],
            log: LogConfig::default(),
            warehouse: WarehouseConfig::default(),
            blobs: BlobsConfig::default(),
            admin_listen: "0.0.0.0:9464".into(),
            gateway: GatewayConfig::default(),
            query: QueryConfig::default(),
            sessionizer: SessionizerConfig::default(),
            scorer: ScoreConfig::default(),
            archiver: ArchiverConfig::default(),
            assets: AssetsConfig::default(),
            auth: AuthConfig::default(),
            share: ShareConfig::default(),
            retention: RetentionConfig::default(),
            encryption: EncryptionConfig::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { backend: Backend::Embedded, partitions: 1, kafka: KafkaConfig::default() }
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        let limits = playback_ingest_gateway::Limits::default();
        let recorder = playback_ingest_gateway::RecorderSettings::default();
        GatewayConfig {
            listen: "0.0.0.0:8081".into(),
            max_body_bytes: limits.max_body_bytes,
            max_decompressed_bytes: limits.max_decompressed_bytes,
            max_event_bytes: limits.max_event_bytes,
            max_events_per_batch: limits.max_events,
            rate_limit_per_sec: 200.0,
            rate_limit_burst: 1000.0,
            publish_timeout_ms: 5_000,
            flush_interval_ms: recorder.flush_interval_ms,
            max_batch_bytes: recorder.max_batch_bytes,
            snapshot_interval_ms: recorder.snapshot_interval_ms,
            serve_demo: false,
        }
    }
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig { listen: "127.0.0.1:8082".into(), ingest_url: String::new() }
    }
}

impl Config {
    /// Defaults, then `file` when given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed("PLAYBACK_").split("__").filter(|key| is_config_key(key.as_str())));
        figment.extract().map_err(Box::new)
    }
}

/// Whether a `PLAYBACK_*` variable (prefix removed, lowercase) is a config key: a top-level
/// scalar, or a `section__key` path. Others, such as `PLAYBACK_CONFIG` (the config file) and
/// `PLAYBACK_LOG` (the log filter), are not config.
fn is_config_key(key: &str) -> bool {
    const TOP_LEVEL: [&str; 3] = ["data_dir", "listen", "admin_listen"];
    let key = key.to_ascii_lowercase();
    key.contains("__") || key.contains('.') || TOP_LEVEL.contains(&key.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)]
    fn file_overrides_defaults_and_unknown_keys_are_refused() {
        // Jail serializes the tests that read the environment.
        figment::Jail::expect_with(|_jail| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("playback.toml");
            std::fs::write(
                &path,
                "listen = \"127.0.0.1:9000\"\n[[projects]]\nid = \"shop\"\nkey = \"pk_shop\"\nsample_rate = 0.5\n[sessionizer]\nidle_timeout_ms = 60000\n",
            )
            .unwrap();
            let config = Config::load(Some(&path)).unwrap();
            assert_eq!(config.listen, "127.0.0.1:9000");
            assert_eq!(config.projects.len(), 1);
            assert_eq!(config.projects[0].key, "pk_shop");
            assert_eq!(config.sessionizer.idle_timeout_ms, 60_000);
            assert_eq!(config.sessionizer.max_session_ms, SessionizerConfig::default().max_session_ms);

            std::fs::write(&path, "[gateway]\nmax_body = 1\n").unwrap();
            let error = Config::load(Some(&path)).unwrap_err();
            assert!(error.to_string().contains("max_body"), "{error}");
            Ok(())
        });
    }

    #[test]
    #[cfg(all(feature = "kafka", feature = "s3"))]
    #[allow(clippy::result_large_err)]
    fn backends_are_chosen_per_adapter() {
        // Jail serializes the tests that read the environment.
        figment::Jail::expect_with(|_jail| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("playback.toml");
            std::fs::write(
                &path,
                "[log]\nbackend = \"server\"\n[log.kafka]\nbrokers = \"k1:9092\"\n[blobs]\nbackend = \"server\"\n\
                 [blobs.s3]\nbucket = \"b\"\nencryption = { mode = \"sse-c\", key_base64 = \"a2V5\" }\n",
            )
            .unwrap();
            let config = Config::load(Some(&path)).unwrap();
            assert_eq!(config.log.backend, Backend::Server);
            assert_eq!(config.log.kafka.brokers, "k1:9092");
            assert_eq!(config.warehouse.backend, Backend::Embedded);
            assert_eq!(config.blobs.s3.encryption, playback_blobs::s3::Encryption::SseC { key_base64: "a2V5".into() });
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn environment_overrides_and_foreign_variables_are_ignored() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PLAYBACK_LISTEN", "127.0.0.1:7000");
            jail.set_env("PLAYBACK_GATEWAY__RATE_LIMIT_PER_SEC", "5");
            jail.set_env("PLAYBACK_LOG", "debug");
            jail.set_env("PLAYBACK_CONFIG", "/nowhere.toml");
            jail.set_env("PLAYBACK_BIN", "/usr/bin/playback");
            let config = Config::load(None).expect("loads");
            assert_eq!(config.listen, "127.0.0.1:7000");
            assert_eq!(config.gateway.rate_limit_per_sec, 5.0);
            jail.set_env("PLAYBACK_GATEWAY__RATE_LIMT_PER_SEC", "5");
            assert!(Config::load(None).is_err(), "a misspelt nested key is refused");
            Ok(())
        });
    }

    #[test]
    fn defaults_have_the_demo_project() {
        let config = Config::default();
        assert_eq!(config.projects[0].key, "pk_demo");
        assert_eq!(config.listen, "127.0.0.1:8080");
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn tokens_share_key_and_kafka_credentials_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "PLAYBACK_AUTH__TOKENS",
                r#"[{name="ada",token="0123456789abcdef0123",project="demo",role="admin"},{name="vera",token="fedcba98765432100123",project="demo",role="viewer"}]"#,
            );
            jail.set_env("PLAYBACK_SHARE__SIGNING_KEY", "k3y-of-at-least-32-characters-long-0123");
            jail.set_env("PLAYBACK_LOG__KAFKA__SASL_USERNAME", "svc-playback");
            jail.set_env("PLAYBACK_LOG__KAFKA__SASL_PASSWORD", "s3cret/with=signs");
            let config = Config::load(None).unwrap();
            let names: Vec<(&str, playback_query_api::Role)> =
                config.auth.tokens.iter().map(|token| (token.name.as_str(), token.role)).collect();
            assert_eq!(
                names,
                vec![("ada", playback_query_api::Role::Admin), ("vera", playback_query_api::Role::Viewer)]
            );
            assert_eq!(config.auth.tokens[0].token, "0123456789abcdef0123");
            assert_eq!(config.share.signing_key, "k3y-of-at-least-32-characters-long-0123");
            #[cfg(feature = "kafka")]
            {
                assert_eq!(config.log.kafka.sasl_username, "svc-playback");
                assert_eq!(config.log.kafka.sasl_password, "s3cret/with=signs");
            }
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn master_keys_come_from_the_environment_inline() {
        figment::Jail::expect_with(|jail| {
            let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
            jail.set_env(
                "PLAYBACK_ENCRYPTION__KEYS",
                format!(r#"[{{id="k1",key_file="/keys/k1"}},{{id="k2",key="{key}"}}]"#),
            );
            jail.set_env("PLAYBACK_ENCRYPTION__CURRENT", "k2");
            let config = Config::load(None).unwrap();
            assert_eq!(
                config.encryption.keys,
                vec![
                    MasterKeyConfig { id: "k1".into(), key_file: Some("/keys/k1".into()), key: None },
                    MasterKeyConfig { id: "k2".into(), key_file: None, key: Some(key.into()) },
                ]
            );
            assert_eq!((config.encryption.current.as_str(), config.encryption.cache_ttl_ms), ("k2", 30_000));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn paths_default_to_the_files_in_the_binary_and_a_set_one_serves_from_disk() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(Config::load(None).unwrap().paths, Paths { web_dir: None, recorder_js: None, demo_dir: None });
            jail.set_env("PLAYBACK_PATHS__WEB_DIR", "/srv/web");
            jail.set_env("PLAYBACK_PATHS__DEMO_DIR", "");
            let paths = Config::load(None).unwrap().paths;
            assert_eq!(paths.web_dir, Some(PathBuf::from("/srv/web")));
            assert_eq!(paths.recorder_js, None);
            assert_eq!(paths.demo_dir, Some(PathBuf::new()), "empty turns the demo site off");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn a_config_for_the_real_backends_reads_in_every_build() {
        figment::Jail::expect_with(|_jail| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("playback.toml");
            std::fs::write(
                &path,
                "[log]\nbackend = \"server\"\n[log.kafka]\nbrokers = \"k1:9092\"\n[warehouse]\nbackend = \"server\"\n\
                 [warehouse.clickhouse]\nurl = \"http://ch:8123\"\n[blobs]\nbackend = \"server\"\n[blobs.s3]\nbucket = \"b\"\n",
            )
            .unwrap();
            let config = Config::load(Some(&path)).unwrap();
            let backends = [config.log.backend, config.warehouse.backend, config.blobs.backend];
            assert_eq!(backends, [Backend::Server; 3]);
            Ok(())
        });
    }
}
