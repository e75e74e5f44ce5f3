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
    /// Run the query API and the web UI.
    QueryApi,
    /// Check that every acknowledged batch is in the sessions, the transcript and the
    /// recording exactly once and in order; exits 1 when one is lost, duplicated or out of order.
    Verify {
        /// JSON lines, one per batch the gateway answered 200: project_id, session_id,
        /// window_id, seq, events (how many) and transcript (indexes that must have a row).
        #[arg(long)]
        acknowledged: PathBuf,
        /// Seconds to keep checking while the pipeline catches up (default 0: check once).
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PLAYBACK_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
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
            Command::QueryApi => app::query_api(config).await,
            Command::Verify { acknowledged, wait } => {
                let report = app::verify(config, &acknowledged, std::time::Duration::from_secs(wait)).await?;
                if !report.clean() {
                    std::process::exit(1);
                }
                Ok(())
            }
        }
    })
}
