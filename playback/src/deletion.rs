//! `playback delete`: deletion on request from the command line, through the same function as
//! `DELETE /v1/sessions/{id}` and `DELETE /v1/users/{id}`
//! ([`playback_query_api::deletion::delete`]), on the adapters that config names. It prints
//! the receipt as JSON.

use playback_query_api::deletion::{self, Stores, Target};
use playback_query_api::wire::DeletionReceipt;
use playback_query_api::QueryError;

use crate::app::open_adapters;
use crate::Config;

/// Deletes `target` of `project_id` (with `dry_run`, counts what would go); `None` when
/// nothing of it was found.
pub async fn delete(
    config: &Config,
    project_id: &str,
    target: &Target,
    dry_run: bool,
) -> anyhow::Result<Option<DeletionReceipt>> {
    let adapters = open_adapters(config).await?;
    let stores =
        Stores { warehouse: adapters.warehouse.as_ref(), blobs: adapters.blobs.as_ref(), log: adapters.log.as_ref() };
    deletion::delete(stores, project_id, target, dry_run).await.map_err(|error| match error {
        QueryError::Internal(detail) => anyhow::anyhow!("deletion failed: {detail}"),
        other => anyhow::anyhow!("deletion failed: {other}"),
    })
}

/// The command: prints the receipt, or fails when nothing matched.
pub async fn run(config: Config, project_id: String, target: Target, dry_run: bool) -> anyhow::Result<()> {
    match delete(&config, &project_id, &target, dry_run).await? {
        Some(receipt) => {
            println!("{}", serde_json::to_string_pretty(&receipt)?);
            Ok(())
        }
        None => {
            let what = match &target {
                Target::Session(session_id) => format!("session {session_id}"),
                Target::User(user_id) => format!("user {user_id}"),
            };
            anyhow::bail!("nothing of {what} was found in project {project_id}")
        }
    }
}
