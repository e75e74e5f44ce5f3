//! `playback`: every Playback stage in one binary; see the library for the composition.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use playback::{app, Config};

#[derive(Debug, Parser)]
#[command(name = "playback", version, about = "Self-hosted session replay")]
struct Cli {
    /// A TOML config file; `PLAYBACK_*` environment variables override it.
    #[arg(long, short, global = true, env = "PLAYBACK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every stage in one process on embedded storage, with the UI and a demo site.
    Up {
        /// Address to serve on (default 127.0.0.1:8080; port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
        /// Directory of the embedded event log, warehouse and blobs (default ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Create the Kafka topics, warehouse tables and bucket settings; safe to run again.
    Migrate,
    /// Run the ingest gateway.
    Gateway,
    /// Run the sessionizer.
    Sessionizer,
    /// Run the scorer.
    Scorer,
    /// Run the archiver.
    Archiver,
    /// Run the asset stage: copies of the stylesheets, fonts and images recordings use.
    Assets,
    /// Run the query API and the web UI.
    QueryApi,
    /// Write synthetic sessions (a year of them by default) to the configured warehouse and blob
    /// store, for trying the UI and the API at scale. The same options write the same data.
    Seed {
        /// How many sessions.
        #[arg(long)]
        sessions: u64,
        /// The end times spread over this many days up to now.
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// The newest sessions that get a replayable recording.
        #[arg(long, default_value_t = 10_000)]
        recordings: u64,
        /// The share of the sessions, 0 to 1, that get transcript rows (recorded ones always do).
        #[arg(long, default_value_t = 1.0)]
        transcripts: f64,
        /// The seed of the random draw.
        #[arg(long, default_value_t = 1)]
        seed_value: u64,
        /// The project (default: the first configured project).
        #[arg(long)]
        project: Option<String>,
        /// The end of the time span, ms since the epoch (default: now).
        #[arg(long)]
        until_ms: Option<i64>,
        /// Sessions per write call.
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
        /// Directory of the embedded storage (default ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Remove what is past each project's `retention_days` from every store (the warehouse,
    /// the blobs, the embedded event log), and print what went per store.
    Retention {
        /// Print what would go; remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete a session, or every session of a user, from every store (deletion on request),
    /// and print the receipt: what was removed where, and what is not gone yet.
    Delete {
        /// The project.
        #[arg(long)]
        project: String,
        /// Every session of this user.
        #[arg(long, conflicts_with = "session", required_unless_present = "session")]
        user: Option<String>,
        /// This session.
        #[arg(long)]
        session: Option<String>,
        /// Count what would go, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check that every acknowledged batch is in the sessions, the transcript and the
    /// recording exactly once and in order; exits 1 when one is lost, duplicated or out of order.
    Verify {
        /// JSON lines, one per batch the gateway answered 200: project_id, session_id,
        /// window_id, seq, events (how many) and transcript (indexes that must have a row).
        #[arg(long, required_unless_present = "deleted_project")]
        acknowledged: Option<PathBuf>,
        /// Seconds to keep checking while the pipeline catches up (default 0: check once).
        #[arg(long, default_value_t = 0)]
        wait: u64,
        /// Instead, check that nothing of a deletion on request is readable any more (through
        /// the query API, in the warehouse and blob store, or as a raw batch on the log) in
        /// this project.
        #[arg(long, conflicts_with = "acknowledged")]
        deleted_project: Option<String>,
        /// The deleted user.
        #[arg(long, requires = "deleted_project")]
        deleted_user: Option<String>,
        /// A deleted session (the receipt lists them); may repeat.
        #[arg(long, requires = "deleted_project")]
        deleted_session: Vec<String>,
    },
    /// Re-wrap every project's data keys under the current master key (`[encryption] current`),
    /// after which older master keys may be removed from the config (docs/operations.md, Keys
    /// and rotation). Safe to run again.
    RewrapKeys,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PLAYBACK_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    playback::at_rest::restrict_file_modes();
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Up { listen, data_dir } => {
                if let Some(listen) = listen {
                    config.listen = listen;
                }
                if let Some(data_dir) = data_dir {
                    config.data_dir = data_dir;
                }
                app::up(config).await
            }
            Command::Migrate => app::migrate(config).await,
            Command::Gateway => app::gateway(config).await,
            Command::Sessionizer => app::sessionizer(config).await,
            Command::Scorer => app::scorer(config).await,
            Command::Archiver => app::archiver(config).await,
            Command::Assets => app::assets(config).await,
            Command::QueryApi => app::query_api(config).await,
            Command::Seed {
                sessions,
                days,
                recordings,
                transcripts,
                seed_value,
                project,
                until_ms,
                batch,
                data_dir,
            } => {
                if let Some(data_dir) = data_dir {
                    config.data_dir = data_dir;
                }
                let project_id = match project {
                    Some(project) => project,
                    None => config.projects.first().map(|project| project.id.clone()).unwrap_or_else(|| "demo".into()),
                };
                let until_ms = until_ms.unwrap_or_else(|| {
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |since| since.as_millis() as i64)
                });
                let options = playback::seed::SeedOptions {
                    project_id,
                    sessions,
                    days,
                    recordings,
                    transcripts,
                    seed: seed_value,
                    until_ms,
                    batch,
                };
                app::seed(config, options).await.map(|_| ())
            }
            Command::Retention { dry_run } => {
                let report = app::retention(&config, dry_run, playback_schemas::now_ms()).await?;
                for line in report.lines() {
                    println!("{line}");
                }
                Ok(())
            }
            Command::Delete { project, user, session, dry_run } => {
                let target = match (user, session) {
                    (Some(user), _) => playback_query_api::deletion::Target::User(user),
                    (None, Some(session)) => playback_query_api::deletion::Target::Session(session),
                    (None, None) => anyhow::bail!("--user or --session is required"),
                };
                playback::deletion::run(config, project, target, dry_run).await
            }
            Command::Verify { acknowledged, wait, deleted_project, deleted_user, deleted_session } => {
                if let Some(project_id) = deleted_project {
                    let deleted =
                        playback::verify::Deleted { project_id, user_id: deleted_user, session_ids: deleted_session };
                    let report = playback::verify::run_deleted(&config, &deleted).await?;
                    if !report.clean() {
                        std::process::exit(1);
                    }
                    return Ok(());
                }
                let Some(acknowledged) = acknowledged else {
                    anyhow::bail!("--acknowledged or --deleted-project is required");
                };
                let report = app::verify(config, &acknowledged, std::time::Duration::from_secs(wait)).await?;
                if !report.clean() {
                    std::process::exit(1);
                }
                Ok(())
            }
            Command::RewrapKeys => {
                for (project, rewrapped) in app::rewrap_keys(config).await? {
                    println!("project {project}: {rewrapped} data keys re-wrapped");
                }
                Ok(())
            }
        }
    })
}
