//! Wiring: adapters from config, stages on top, routers merged.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use playback_archiver::Archiver;
use playback_assets::AssetStage;
use playback_blobs::{BlobStore, LocalDir};
use playback_ingest_gateway::{GatewayState, Limits, ProjectRegistry, RateLimiter, RecorderSettings};
use playback_keys::{Keyring, SealedBlobs, SealedLog};
use playback_log::embedded::SqliteLog;
use playback_log::EventLog;
use playback_query_api::{ApiToken, ProjectKeys, QueryState, RecencyConfig, Role, ShareLifetimes, ShareSigner, Tokens};
use playback_scorer::Scorer;
use playback_sessionizer::Sessionizer;
use playback_warehouse::embedded::SqliteWarehouse;
use playback_warehouse::Warehouse;
use tokio::task::JoinSet;

use crate::config::{Backend, Config};
use crate::ui;
use crate::{at_rest, backends};

/// The adapters every stage may use.
pub(crate) struct Adapters {
    /// The event log, its values sealed under each session's data key.
    pub(crate) log: Arc<dyn EventLog>,
    pub(crate) warehouse: Arc<dyn Warehouse>,
    /// The blob store, chunks and asset copies sealed.
    pub(crate) blobs: Arc<dyn BlobStore>,
    /// The data keys: for destroying a session's, and for re-wrapping them.
    pub(crate) keyring: Arc<Keyring>,
}

/// Opens the adapters that config names: the one place every command gets its stores from, so
/// each process seals and opens alike. Embedded storage is created (readable by the owner only)
/// and migrated on the spot, its SQLite files encrypted; servers must have been prepared by
/// `playback migrate`.
pub(crate) async fn open_adapters(config: &Config) -> anyhow::Result<Adapters> {
    let dir = &config.data_dir;
    let embedded = [config.log.backend, config.warehouse.backend, config.blobs.backend].contains(&Backend::Embedded);
    let masters = at_rest::master_keys(config)?;
    if embedded {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create data dir {}", dir.display()))?;
        at_rest::tighten(dir).with_context(|| format!("cannot restrict the modes of {}", dir.display()))?;
    }
    let log: Arc<dyn EventLog> = match config.log.backend {
        Backend::Embedded => Arc::new(
            SqliteLog::open_encrypted(dir.join("log.db"), config.log.partitions, &masters.database_keys("log.db"))
                .context("cannot open the event log")?,
        ),
        Backend::Server => backends::kafka_log(&config.log.kafka)?,
    };
    let warehouse: Arc<dyn Warehouse> = match config.warehouse.backend {
        Backend::Embedded => {
            let warehouse =
                SqliteWarehouse::open_encrypted(&dir.join("warehouse.db"), &masters.database_keys("warehouse.db"))
                    .context("cannot open the warehouse")?;
            warehouse.migrate().await.context("cannot migrate the warehouse")?;
            Arc::new(warehouse)
        }
        Backend::Server => backends::clickhouse_warehouse(&config.warehouse.clickhouse)?,
    };
    let blobs: Arc<dyn BlobStore> = match config.blobs.backend {
        Backend::Embedded => Arc::new(LocalDir::open(dir.join("blobs")).context("cannot open blob storage")?),
        Backend::Server => backends::s3_store(&config.blobs.s3)?,
    };
    let keyring = Arc::new(Keyring::new(
        Arc::clone(&blobs),
        masters,
        Duration::from_millis(config.encryption.cache_ttl_ms),
        config.encryption.cache_capacity,
    ));
    Ok(Adapters {
        log: Arc::new(SealedLog::new(log, Arc::clone(&keyring))),
        warehouse,
        blobs: Arc::new(SealedBlobs::new(blobs, Arc::clone(&keyring))),
        keyring,
    })
}

/// `playback migrate`: creates the Kafka topics, the warehouse tables and the bucket's
/// lifecycle rule, as config names them. Safe to run again.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    if config.log.backend == Backend::Server {
        backends::create_kafka_topics(&config.log.kafka).await?;
        println!("kafka topics ready");
    }
    let adapters = open_adapters(&config).await?;
    adapters.warehouse.migrate().await.context("cannot migrate the warehouse")?;
    println!("warehouse tables ready");
    if let Some(expire_days) = ensure_lifecycle(&config).await? {
        println!("bucket lifecycle set: expire after {expire_days} days");
    }
    Ok(())
}

/// The gateway's state; fails on a project whose privacy settings do not compile.
fn gateway_state(config: &Config, log: Arc<dyn EventLog>) -> anyhow::Result<GatewayState> {
    let gateway = &config.gateway;
    let projects = ProjectRegistry::new(config.projects.clone()).context("invalid project privacy settings")?;
    Ok(GatewayState {
        log,
        projects: Arc::new(projects),
        limits: Limits {
            max_body_bytes: gateway.max_body_bytes,
            max_decompressed_bytes: gateway.max_decompressed_bytes,
            max_event_bytes: gateway.max_event_bytes,
            max_events: gateway.max_events_per_batch,
        },
        limiter: Arc::new(RateLimiter::new(gateway.rate_limit_per_sec, gateway.rate_limit_burst)),
        publish_timeout: Duration::from_millis(gateway.publish_timeout_ms),
        recorder: RecorderSettings {
            flush_interval_ms: gateway.flush_interval_ms,
            max_batch_bytes: gateway.max_batch_bytes,
            snapshot_interval_ms: gateway.snapshot_interval_ms,
            session_idle_timeout_ms: config.sessionizer.idle_timeout_ms.max(0) as u64,
            session_max_ms: config.sessionizer.max_session_ms.max(0) as u64,
        },
        recorder_js: Some(ui::recorder_bundle(&config.paths)),
    })
}

/// The tokens and the share-link key of the query API.
struct Access {
    tokens: Tokens,
    signer: ShareSigner,
}

/// The configured tokens and share key, which `playback query-api` requires.
fn configured_access(config: &Config) -> anyhow::Result<Access> {
    if config.auth.tokens.is_empty() {
        anyhow::bail!("no API tokens are configured: add [[auth.tokens]] with name, token, project and role");
    }
    let tokens = Tokens::new(config.auth.tokens.clone()).map_err(anyhow::Error::msg)?;
    let signer = ShareSigner::new(config.share.signing_key.as_bytes())
        .map_err(|error| anyhow::anyhow!("share.signing_key: {error}"))?;
    Ok(Access { tokens, signer })
}

/// A random secret of 64 hex characters.
fn random_secret() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Reads `path`, or writes `make()` there (readable by the owner only) and returns it.
fn kept_secret(path: &std::path::Path, make: impl FnOnce() -> anyhow::Result<String>) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(existing);
    }
    let made = make()?;
    std::fs::write(path, &made).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(made)
}

/// For `playback up`: the configured tokens and key, or else ones kept in the data dir, one
/// admin token per project.
fn local_access(config: &Config) -> anyhow::Result<Access> {
    std::fs::create_dir_all(&config.data_dir)?;
    let tokens = if config.auth.tokens.is_empty() {
        let text = kept_secret(&config.data_dir.join("tokens.json"), || {
            let tokens: Vec<ApiToken> = config
                .projects
                .iter()
                .map(|project| ApiToken {
                    name: "local-admin".into(),
                    token: format!("pb_{}", random_secret()),
                    project: project.id.clone(),
                    role: Role::Admin,
                })
                .collect();
            Ok(serde_json::to_string_pretty(&tokens)?)
        })?;
        serde_json::from_str(&text).context("tokens.json in the data dir is not a token list")?
    } else {
        config.auth.tokens.clone()
    };
    let key = if config.share.signing_key.is_empty() {
        kept_secret(&config.data_dir.join("share.key"), || Ok(random_secret()))?
    } else {
        config.share.signing_key.clone()
    };
    Ok(Access {
        tokens: Tokens::new(tokens).map_err(anyhow::Error::msg)?,
        signer: ShareSigner::new(key.as_bytes()).map_err(|error| anyhow::anyhow!("share.signing_key: {error}"))?,
    })
}

fn query_state(config: &Config, adapters: &Adapters, access: Access) -> QueryState {
    QueryState {
        warehouse: Arc::clone(&adapters.warehouse),
        blobs: Arc::clone(&adapters.blobs),
        recency: RecencyConfig {
            weight: config.scorer.recency_weight,
            half_life_hours: config.scorer.recency_half_life_hours,
        },
        tokens: Arc::new(access.tokens),
        share_signer: access.signer,
        share_lifetimes: ShareLifetimes {
            default_hours: config.share.default_hours,
            max_hours: config.share.max_hours,
        },
        projects: Arc::new(ProjectKeys::new(
            config.projects.iter().map(|project| (project.id.as_str(), project.key.as_str())),
            &config.query.ingest_url,
        )),
        log: Arc::clone(&adapters.log),
    }
}

fn spawn_consumers(config: &Config, adapters: &Adapters, stages: &mut Stages) {
    let sessionizer = Sessionizer {
        log: Arc::clone(&adapters.log),
        warehouse: Arc::clone(&adapters.warehouse),
        config: config.sessionizer.clone(),
    };
    stages.spawn(async move { ("sessionizer", sessionizer.run().await.map_err(anyhow::Error::from)) });
    let scorer = Scorer {
        log: Arc::clone(&adapters.log),
        warehouse: Arc::clone(&adapters.warehouse),
        config: config.scorer.clone(),
    };
    stages.spawn(async move { ("scorer", scorer.run().await.map_err(anyhow::Error::from)) });
    let archiver = Archiver {
        log: Arc::clone(&adapters.log),
        warehouse: Arc::clone(&adapters.warehouse),
        blobs: Arc::clone(&adapters.blobs),
        config: config.archiver.clone(),
    };
    stages.spawn(async move { ("archiver", archiver.run().await.map_err(anyhow::Error::from)) });
    let assets = AssetStage {
        log: Arc::clone(&adapters.log),
        warehouse: Arc::clone(&adapters.warehouse),
        blobs: Arc::clone(&adapters.blobs),
        config: config.assets.clone(),
    };
    stages.spawn(async move { ("assets", assets.run().await.map_err(anyhow::Error::from)) });
}

/// Registers every stage's metrics, so `/metrics` lists them before their first event.
fn register_metrics() {
    playback_ingest_gateway::metrics::register();
    playback_sessionizer::metrics::register();
    playback_scorer::metrics::register();
    playback_archiver::metrics::register();
    playback_assets::metrics::register();
    playback_query_api::metrics::register();
    playback_keys::metrics::register();
}

/// `/healthz` (the process runs), `/readyz` (its adapters answer) and `/metrics`.
fn admin_router(adapters: &Adapters) -> Router {
    register_metrics();
    let log = Arc::clone(&adapters.log);
    let warehouse = Arc::clone(&adapters.warehouse);
    let blobs = Arc::clone(&adapters.blobs);
    let readyz = move || {
        let (log, warehouse, blobs) = (Arc::clone(&log), Arc::clone(&warehouse), Arc::clone(&blobs));
        async move { crate::readiness::readiness(log.as_ref(), warehouse.as_ref(), blobs.as_ref()).await }
    };
    Router::new()
        .route("/healthz", get(playback_query_api::healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn metrics() -> Response {
    let mut body = String::new();
    match prometheus::TextEncoder::new().encode_utf8(&prometheus::gather(), &mut body) {
        Ok(()) => ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], body).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn serve(listen: &str, router: Router) -> anyhow::Result<(tokio::net::TcpListener, Router)> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    Ok((listener, router))
}

/// Waits for the first stage to stop (which is an error: stages run forever), or for Ctrl-C or
/// SIGTERM.
async fn supervise(mut stages: Stages) -> anyhow::Result<()> {
    tokio::select! {
        finished = stages.join_next() => match finished {
            Some(Ok((stage, Ok(())))) => anyhow::bail!("{stage} stopped"),
            Some(Ok((stage, Err(error)))) => Err(error.context(format!("{stage} failed"))),
            Some(Err(error)) => Err(anyhow::Error::from(error).context("a stage panicked")),
            None => Ok(()),
        },
        _ = shutdown_signal() => {
            tracing::info!(message = "shutting down");
            Ok(())
        }
    }
}

/// Ctrl-C, or SIGTERM (how Kubernetes and service managers stop a process).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(message = "cannot listen for SIGTERM", %error);
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn spawn_server(stages: &mut Stages, name: &'static str, listener: tokio::net::TcpListener, router: Router) {
    stages.spawn(async move { (name, axum::serve(listener, router).await.map_err(anyhow::Error::from)) });
}

/// The stages running in the background, each reporting its name when it stops.
pub type Stages = JoinSet<(&'static str, anyhow::Result<()>)>;

/// Everything of `playback up` but the listener: the consumer stages are started, and the
/// returned router serves the gateway, the query API, the demo site and the UI.
pub async fn all_in_one(config: &Config) -> anyhow::Result<(Router, Stages)> {
    ensure_lifecycle(config).await?;
    let adapters = open_adapters(config).await?;
    let access = local_access(config)?;
    let mut stages = JoinSet::new();
    spawn_consumers(config, &adapters, &mut stages);
    if config.retention.in_up {
        spawn_retention(config, &adapters, &mut stages);
    }

    let apis = admin_router(&adapters)
        .merge(playback_ingest_gateway::router(gateway_state(config, Arc::clone(&adapters.log))?))
        .merge(playback_query_api::router(query_state(config, &adapters, access)));
    let router = ui::with_demo(apis, &config.paths).merge(ui::web_router(&config.paths));
    Ok((router, stages))
}

/// `playback up`: everything in one process. Its own origin is an allowed asset origin, so the
/// demo site, which it serves on loopback, is archived like any other site.
pub async fn up(mut config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    for origin in own_origins(address) {
        if !config.assets.allowed_origins.contains(&origin) {
            config.assets.allowed_origins.push(origin);
        }
    }
    let (router, mut stages) = all_in_one(&config).await?;
    let tokens = local_access(&config)?.tokens;
    let key = config.projects.first().map(|project| project.key.as_str()).unwrap_or("(none)");
    println!("playback listening on http://{address}");
    println!("  UI:       http://{address}/");
    println!("  demo:     http://{address}/demo/");
    println!("  recorder: http://{address}/recorder.js");
    println!("  project key: {key}");
    for token in tokens.all().iter().filter(|token| token.role == Role::Admin) {
        println!("  admin token (project {}): {}", token.project, token.token);
        println!("  UI for {}: http://{address}/#token={}", token.project, token.token);
    }
    println!("  data dir: {}", config.data_dir.display());
    spawn_server(&mut stages, "server", listener, router);
    supervise(stages).await
}

/// The origins a browser may name the server at `address` by: itself, and `localhost` for a
/// loopback address.
fn own_origins(address: std::net::SocketAddr) -> Vec<String> {
    let port = address.port();
    let mut origins = vec![format!("http://{address}")];
    if address.ip().is_loopback() || address.ip().is_unspecified() {
        origins.push(format!("http://localhost:{port}"));
        origins.push(format!("http://127.0.0.1:{port}"));
    }
    origins.dedup();
    origins
}

/// Starts the gateway routes on `config.gateway.listen` in the background; for benchmarks and
/// tests that need a real socket.
pub async fn spawn_gateway(config: &Config) -> anyhow::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let adapters = open_adapters(config).await?;
    let router = admin_router(&adapters).merge(playback_ingest_gateway::router(gateway_state(config, adapters.log)?));
    let (listener, router) = serve(&config.gateway.listen, router).await?;
    let address = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(message = "gateway stopped", %error);
        }
    });
    Ok((address, handle))
}

/// `playback gateway`.
pub async fn gateway(config: Config) -> anyhow::Result<()> {
    let adapters = open_adapters(&config).await?;
    let mut router = admin_router(&adapters)
        .merge(playback_ingest_gateway::router(gateway_state(&config, Arc::clone(&adapters.log))?));
    if config.gateway.serve_demo {
        router = ui::with_demo(router, &config.paths);
    }
    let (listener, router) = serve(&config.gateway.listen, router).await?;
    println!("playback gateway listening on http://{}", listener.local_addr()?);
    let mut stages = JoinSet::new();
    spawn_server(&mut stages, "gateway", listener, router);
    supervise(stages).await
}

/// `playback query-api`.
pub async fn query_api(config: Config) -> anyhow::Result<()> {
    let access = configured_access(&config)?;
    let adapters = open_adapters(&config).await?;
    let router = admin_router(&adapters)
        .merge(playback_query_api::router(query_state(&config, &adapters, access)))
        .merge(ui::web_router(&config.paths));
    let (listener, router) = serve(&config.query.listen, router).await?;
    println!("playback query-api listening on http://{}", listener.local_addr()?);
    let mut stages = JoinSet::new();
    spawn_server(&mut stages, "query-api", listener, router);
    supervise(stages).await
}

/// Serves the admin routes of a consumer stage on `admin_listen`.
async fn serve_admin(config: &Config, adapters: &Adapters, stages: &mut Stages) -> anyhow::Result<()> {
    let (listener, router) = serve(&config.admin_listen, admin_router(adapters)).await?;
    println!("playback admin listening on http://{}", listener.local_addr()?);
    spawn_server(stages, "admin", listener, router);
    Ok(())
}

/// `playback verify`: the loss and duplicate checker over the adapters that config names.
pub async fn verify(
    config: Config,
    acknowledged: &std::path::Path,
    wait: Duration,
) -> anyhow::Result<crate::verify::Report> {
    let batches = crate::verify::read_acknowledged(acknowledged)?;
    let adapters = open_adapters(&config).await?;
    crate::verify::run(adapters.warehouse.as_ref(), adapters.blobs.as_ref(), &batches, wait).await
}

/// `playback seed`: synthetic sessions through the warehouse and blob store that config names,
/// with a progress line every few seconds.
pub async fn seed(config: Config, options: crate::seed::SeedOptions) -> anyhow::Result<crate::seed::SeedReport> {
    ensure_lifecycle(&config).await?;
    let adapters = open_adapters(&config).await?;
    adapters.warehouse.migrate().await.context("cannot migrate the warehouse")?;
    let total = options.sessions;
    let mut printed = std::time::Instant::now();
    let report = crate::seed::seed(adapters.warehouse, adapters.blobs, &options, &config.scorer, |report| {
        if printed.elapsed() >= Duration::from_secs(2) || report.sessions == total {
            printed = std::time::Instant::now();
            println!(
                "seeded {}/{} sessions, {} transcript rows, {} recordings in {:.1} s ({:.0} sessions/s)",
                report.sessions,
                total,
                report.event_rows,
                report.recordings,
                report.seconds,
                report.sessions as f64 / report.seconds.max(1e-9)
            );
        }
    })
    .await?;
    Ok(report)
}

/// `playback sessionizer`.
pub async fn sessionizer(config: Config) -> anyhow::Result<()> {
    let adapters = open_adapters(&config).await?;
    let mut stages = JoinSet::new();
    serve_admin(&config, &adapters, &mut stages).await?;
    let stage = Sessionizer { log: adapters.log, warehouse: adapters.warehouse, config: config.sessionizer };
    stages.spawn(async move { ("sessionizer", stage.run().await.map_err(anyhow::Error::from)) });
    supervise(stages).await
}

/// `playback scorer`.
pub async fn scorer(config: Config) -> anyhow::Result<()> {
    let adapters = open_adapters(&config).await?;
    let mut stages = JoinSet::new();
    serve_admin(&config, &adapters, &mut stages).await?;
    let stage = Scorer { log: adapters.log, warehouse: adapters.warehouse, config: config.scorer };
    stages.spawn(async move { ("scorer", stage.run().await.map_err(anyhow::Error::from)) });
    supervise(stages).await
}

/// Sets and verifies the bucket lifecycle when chunks go to S3, returning its expiry in days; the
/// archiver does this at start so that a bucket never holds chunks without a retention rule.
///
/// The rule is a backstop behind `playback retention`: it expires an object no earlier than
/// the longest `retention_days` plus 32 days (a month partition's worth, and a day for the
/// daily run), so an object never goes before its row; `s3.expire_days` can only lengthen it.
async fn ensure_lifecycle(config: &Config) -> anyhow::Result<Option<i32>> {
    if config.blobs.backend == Backend::Server {
        #[cfg_attr(not(feature = "s3"), allow(unused_mut))]
        let mut s3 = config.blobs.s3.clone();
        #[cfg(feature = "s3")]
        {
            s3.expire_days = lifecycle_days(config);
        }
        return backends::apply_s3_lifecycle(&s3).await.map(Some);
    }
    Ok(None)
}

/// The days after which the bucket's lifecycle rule expires objects.
#[cfg(feature = "s3")]
fn lifecycle_days(config: &Config) -> i32 {
    let floor = i64::from(crate::retention::longest_retention_days(config)) + 32;
    i64::from(config.blobs.s3.expire_days).max(floor).min(i64::from(i32::MAX)) as i32
}

/// `playback retention`: removes what is past each project's retention from the stores that
/// config names, as of `now_ms` (with `dry_run`, only counts it).
pub async fn retention(
    config: &Config,
    dry_run: bool,
    now_ms: i64,
) -> anyhow::Result<crate::retention::RetentionReport> {
    let adapters = open_adapters(config).await?;
    let report = crate::retention::apply(
        config,
        adapters.log.as_ref(),
        adapters.warehouse.as_ref(),
        adapters.blobs.as_ref(),
        dry_run,
        now_ms,
    )
    .await?;
    Ok(report)
}

/// The retention job inside `playback up`: first shortly after start, then every
/// `interval_hours`. A failed run is logged and tried again at the next turn.
fn spawn_retention(config: &Config, adapters: &Adapters, stages: &mut Stages) {
    let config = config.clone();
    let (log, warehouse, blobs) =
        (Arc::clone(&adapters.log), Arc::clone(&adapters.warehouse), Arc::clone(&adapters.blobs));
    stages.spawn(async move {
        let mut wait = Duration::from_secs(config.retention.first_run_after_s);
        loop {
            tokio::time::sleep(wait).await;
            wait = Duration::from_secs(u64::from(config.retention.interval_hours.max(1)) * 3_600);
            let now_ms = playback_schemas::now_ms();
            match crate::retention::apply(&config, log.as_ref(), warehouse.as_ref(), blobs.as_ref(), false, now_ms)
                .await
            {
                Ok(report) => {
                    for line in report.lines() {
                        tracing::info!(message = "retention", report = %line);
                    }
                }
                Err(error) => tracing::warn!(message = "retention run failed", error = %format!("{error:#}")),
            }
        }
    });
}

/// `playback assets`.
pub async fn assets(config: Config) -> anyhow::Result<()> {
    let adapters = open_adapters(&config).await?;
    let mut stages = JoinSet::new();
    serve_admin(&config, &adapters, &mut stages).await?;
    let stage =
        AssetStage { log: adapters.log, warehouse: adapters.warehouse, blobs: adapters.blobs, config: config.assets };
    stages.spawn(async move { ("assets", stage.run().await.map_err(anyhow::Error::from)) });
    supervise(stages).await
}

/// `playback archiver`.
pub async fn archiver(config: Config) -> anyhow::Result<()> {
    ensure_lifecycle(&config).await?;
    let adapters = open_adapters(&config).await?;
    let mut stages = JoinSet::new();
    serve_admin(&config, &adapters, &mut stages).await?;
    let stage =
        Archiver { log: adapters.log, warehouse: adapters.warehouse, blobs: adapters.blobs, config: config.archiver };
    stages.spawn(async move { ("archiver", stage.run().await.map_err(anyhow::Error::from)) });
    supervise(stages).await
}

/// `playback rewrap-keys`: every configured project's data keys re-wrapped under the current
/// master key, with how many were not already; the embedded SQLite files are rekeyed as they
/// are opened.
pub async fn rewrap_keys(config: Config) -> anyhow::Result<Vec<(String, usize)>> {
    let adapters = open_adapters(&config).await?;
    let mut rewrapped = Vec::new();
    for project in &config.projects {
        let count = adapters.keyring.rewrap(&project.id).await.with_context(|| format!("project {}", project.id))?;
        rewrapped.push((project.id.clone(), count));
    }
    Ok(rewrapped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playback_up_makes_one_admin_token_per_project_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let mut config = Config { data_dir: dir.path().join("data"), ..Config::default() };
        config.projects.push(playback_ingest_gateway::Project::new("shop", "pk_shop"));
        let first = local_access(&config).unwrap_or_else(|error| panic!("{error}"));
        let tokens: Vec<(String, Role)> =
            first.tokens.all().iter().map(|token| (token.project.clone(), token.role)).collect();
        assert_eq!(tokens, vec![("demo".into(), Role::Admin), ("shop".into(), Role::Admin)]);
        assert_ne!(first.tokens.all()[0].token, first.tokens.all()[1].token);
        assert!(first.tokens.all().iter().all(|token| token.token.len() >= 32));

        let again = local_access(&config).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(again.tokens.all(), first.tokens.all(), "a restart keeps the tokens");
        let claims = playback_query_api::share_token::ShareClaims {
            share_id: "s".into(),
            project_id: "demo".into(),
            session_id: "x".into(),
            expires_at_ms: 1,
        };
        assert_eq!(again.signer.verify(&first.signer.sign(&claims)), Some(claims), "a restart keeps the share key");
        let mode = std::fs::metadata(config.data_dir.join("tokens.json")).map(|meta| meta.permissions());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(mode.map(|mode| mode.mode() & 0o777).ok(), Some(0o600), "only the owner reads the tokens");
        }
    }

    #[cfg(feature = "s3")]
    #[test]
    fn the_lifecycle_rule_outlives_the_longest_retention_by_a_month() {
        let mut config = Config::default();
        config.blobs.s3.expire_days = 0;
        config.projects[0].retention_days = 90;
        assert_eq!(lifecycle_days(&config), 122);
        config.blobs.s3.expire_days = 365;
        assert_eq!(lifecycle_days(&config), 365, "a longer configured expiry stands");
        config.projects[0].retention_days = 365;
        assert_eq!(lifecycle_days(&config), 397, "never before the row's partition goes");
    }

    #[tokio::test]
    async fn after_a_rotation_and_a_rewrap_the_old_master_key_may_go() {
        use playback_keys::MasterKeyConfig;
        let dir = tempfile::tempdir().unwrap();
        let key = |id: &str, byte: u8| {
            use base64::Engine;
            let key = base64::engine::general_purpose::STANDARD.encode([byte; 32]);
            MasterKeyConfig { id: id.into(), key_file: None, key: Some(key) }
        };
        let mut config = Config { data_dir: dir.path().join("data"), ..Config::default() };
        config.encryption.keys = vec![key("old", 1)];
        let before = open_adapters(&config).await.unwrap();
        let sealed = before.keyring.session_key("demo", "s1").await.unwrap();
        before.blobs.put("demo/2026-12-04/s1/w-0-0", b"chunk".to_vec()).await.unwrap();
        drop(before);

        config.encryption.keys = vec![key("old", 1), key("new", 2)];
        config.encryption.current = "new".into();
        assert_eq!(rewrap_keys(config.clone()).await.unwrap(), vec![("demo".to_string(), 1)]);
        assert_eq!(rewrap_keys(config.clone()).await.unwrap(), vec![("demo".to_string(), 0)], "safe to run again");

        config.encryption.keys = vec![key("new", 2)];
        let after = open_adapters(&config).await.unwrap();
        assert!(after.keyring.open("demo", "s1", sealed.key_id()).await.unwrap().is_some());
        assert_eq!(after.blobs.get("demo/2026-12-04/s1/w-0-0").await.unwrap().unwrap(), b"chunk");
        after.warehouse.check().await.unwrap();
    }

    #[test]
    fn query_api_refuses_to_start_without_tokens_or_key() {
        let config = Config::default();
        let error = configured_access(&config).err().map(|error| error.to_string()).unwrap_or_default();
        assert!(error.contains("no API tokens"), "{error}");
        let mut config = Config::default();
        config.auth.tokens = vec![ApiToken {
            name: "ada".into(),
            token: "0123456789abcdef".into(),
            project: "demo".into(),
            role: Role::Viewer,
        }];
        config.share.signing_key = "short".into();
        let error = configured_access(&config).err().map(|error| error.to_string()).unwrap_or_default();
        assert!(error.contains("share.signing_key"), "{error}");
    }
}
