//! `GET /v1/project`: the caller's project as its recorders know it (the public key they send
//! and where they send it), so the UI can show the snippet that starts recording.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;

use crate::auth::Caller;
use crate::wire::ProjectInfo;
use crate::QueryState;

/// The public recorder keys by project id, and the gateway's public URL when it is configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectKeys {
    keys: HashMap<String, String>,
    ingest_url: Option<String>,
}

impl ProjectKeys {
    /// The first key of each project id wins; an empty `ingest_url` means "unknown".
    pub fn new<'a>(projects: impl IntoIterator<Item = (&'a str, &'a str)>, ingest_url: &str) -> Self {
        let mut keys = HashMap::new();
        for (id, key) in projects {
            keys.entry(id.to_owned()).or_insert_with(|| key.to_owned());
        }
        let ingest_url = Some(ingest_url.trim_end_matches('/').to_owned()).filter(|url| !url.is_empty());
        ProjectKeys { keys, ingest_url }
    }
}

pub async fn get(State(state): State<QueryState>, caller: Caller) -> Json<ProjectInfo> {
    Json(ProjectInfo {
        public_key: state.projects.keys.get(&caller.project_id).cloned(),
        ingest_url: state.projects.ingest_url.clone(),
        project_id: caller.project_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_key_of_a_project_wins_and_an_empty_url_is_unknown() {
        let keys = ProjectKeys::new([("demo", "pk_demo"), ("shop", "pk_shop"), ("demo", "pk_old")], "");
        assert_eq!(keys.keys.get("demo").map(String::as_str), Some("pk_demo"));
        assert_eq!(keys.keys.get("shop").map(String::as_str), Some("pk_shop"));
        assert_eq!(keys.ingest_url, None);
        let with_url = ProjectKeys::new([], "https://ingest.example/");
        assert_eq!(with_url.ingest_url.as_deref(), Some("https://ingest.example"));
    }
}
