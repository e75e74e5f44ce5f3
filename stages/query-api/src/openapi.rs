//! `GET /v1/openapi.json`: the OpenAPI 3.1 document of the query API (docs/api.md in prose).
//! The paths are written here; the schemas of sessions, transcripts and score factors are
//! derived from the types the handlers serialize (`wire.rs`), the rest are written here too.
//! `web/openapi.json` is a copy of this document that a test keeps equal (`make openapi`
//! rewrites it), and `playback/tests/api.rs` calls every operation it lists.

use axum::Json;
use playback_warehouse::{EventKind, Factor};
use serde_json::{json, Value};

use crate::wire;

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_body(schema: Value) -> Value {
    json!({ "content": { "application/json": { "schema": schema } } })
}

fn ok(description: &str, schema: Value) -> Value {
    let mut response = json_body(schema);
    response["description"] = json!(description);
    response
}

fn error(description: &str) -> Value {
    ok(description, schema_ref("Error"))
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } })
}

fn query_param(name: &str, kind: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": kind } })
}

/// An operation with the errors every authenticated operation may answer.
fn operation(id: &str, summary: &str, parameters: Vec<Value>, success: (&str, Value)) -> Value {
    let mut responses = serde_json::Map::new();
    responses.insert(success.0.into(), success.1);
    responses.insert("400".into(), error("a parameter or the body is invalid"));
    responses.insert("401".into(), error("no token, or an unknown one"));
    responses.insert("404".into(), error("not found in the token's project"));
    json!({ "operationId": id, "summary": summary, "parameters": parameters, "responses": responses })
}

fn no_content() -> (&'static str, Value) {
    ("204", json!({ "description": "done" }))
}

fn forbidden(mut operation: Value) -> Value {
    operation["responses"]["403"] = error("the token is not an admin token");
    operation
}

fn own(mut operation: Value) -> Value {
    operation["responses"]["403"] = error("the token is neither the author's nor an admin token");
    operation
}

fn with_body(mut operation: Value, schema: Value) -> Value {
    operation["requestBody"] = json_body(schema);
    operation["requestBody"]["required"] = json!(true);
    operation
}

fn public(mut operation: Value) -> Value {
    operation["security"] = json!([]);
    if let Some(responses) = operation["responses"].as_object_mut() {
        responses.remove("401");
        responses.insert("410".into(), error("the link expired or was revoked"));
    }
    operation
}

/// An archived asset's bytes, with the media type it was fetched with.
fn asset_bytes() -> (&'static str, Value) {
    (
        "200",
        json!({ "description": "the copy, with its stored Content-Type", "content": { "*/*": { "schema": { "type": "string", "format": "binary" } } } }),
    )
}

/// A chunk: immutable, so cached for a year and revalidated by its ETag.
fn cached_chunk(mut operation: Value) -> Value {
    operation["responses"]["304"] = json!({ "description": "not modified: If-None-Match names the chunk's ETag" });
    operation
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": properties, "required": required })
}

/// The schemas derived from the types of `wire.rs` and the warehouse, by name.
fn derived_schemas() -> serde_json::Map<String, Value> {
    use utoipa::OpenApi;

    #[derive(OpenApi)]
    #[openapi(components(schemas(
        wire::SessionFields,
        wire::SessionSummary,
        wire::SessionPage,
        wire::SessionDetail,
        wire::SessionUser,
        wire::SimilarSession,
        wire::SimilarSessions,
        wire::Mark,
        wire::ProjectInfo,
        wire::TranscriptEvent,
        wire::Transcript,
        wire::AssetEntry,
        wire::AssetListing,
        wire::DeletionReceipt,
        wire::WarehouseRemoved,
        wire::BlobsRemoved,
        wire::LogRemoved,
        wire::PendingRemoval,
        Factor,
        EventKind,
    )))]
    struct Derived;

    let components = Derived::openapi().components.unwrap_or_default();
    match serde_json::to_value(components.schemas) {
        Ok(Value::Object(schemas)) => schemas,
        _ => serde_json::Map::new(),
    }
}

fn schemas() -> Value {
    let int = json!({ "type": "integer" });
    let string = json!({ "type": "string" });
    let boolean = json!({ "type": "boolean" });
    let mut schemas = json!({
        "Error": object(json!({ "error": string }), &["error"]),
        "Recording": object(json!({ "session_id": string, "windows": { "type": "array", "items": object(json!({ "window_id": string, "events": { "type": "array", "items": { "type": "object" } } }), &["window_id", "events"]) } }), &["session_id", "windows"]),
        "RecordingManifest": object(json!({
            "session_id": string, "complete": boolean, "session_events": int, "archived_events": int,
            "windows": { "type": "array", "items": object(json!({
                "window_id": string, "first_ts_ms": int, "last_ts_ms": int,
                "chunks": { "type": "array", "items": object(
                    json!({ "id": string, "first_seq": int, "last_seq": int, "first_ts_ms": int, "last_ts_ms": int, "snapshot": boolean, "events": int, "bytes": int }),
                    &["id", "first_seq", "last_seq", "first_ts_ms", "last_ts_ms", "snapshot", "events", "bytes"],
                ) },
            }), &["window_id", "first_ts_ms", "last_ts_ms", "chunks"]) },
        }), &["session_id", "complete", "session_events", "archived_events", "windows"]),
        "RecordingChunk": object(json!({ "window_id": string, "batches": { "type": "array", "items": object(json!({ "seq": int, "events": { "type": "array", "items": { "type": "object" } } }), &["seq", "events"]) } }), &["window_id", "batches"]),
        "Note": object(json!({ "note_id": string, "session_id": string, "offset_ms": int, "author": string, "text": string, "created_at": int }), &["note_id", "session_id", "offset_ms", "author", "text", "created_at"]),
        "NewNote": object(json!({ "offset_ms": int, "text": string }), &["offset_ms", "text"]),
        "Notes": object(json!({ "notes": { "type": "array", "items": schema_ref("Note") } }), &["notes"]),
        "SavedFilter": object(json!({ "filter_id": string, "name": string, "query": string, "author": string, "created_at": int }), &["filter_id", "name", "query", "author", "created_at"]),
        "NewSavedFilter": object(json!({ "name": string, "query": string }), &["name", "query"]),
        "SavedFilters": object(json!({ "filters": { "type": "array", "items": schema_ref("SavedFilter") } }), &["filters"]),
        "User": object(json!({ "user_id": string, "traits": {}, "session_count": int, "first_seen": int, "last_seen": int }), &["user_id", "session_count", "first_seen", "last_seen"]),
        "Share": object(json!({ "share_id": string, "session_id": string, "url": string, "created_at": int, "expires_at": int, "revoked": boolean, "author": string }), &["share_id", "session_id", "created_at", "expires_at", "revoked", "author"]),
        "NewShare": object(json!({ "expires_in_hours": int }), &[]),
        "Shares": object(json!({ "shares": { "type": "array", "items": schema_ref("Share") } }), &["shares"]),
    });
    if let Some(written) = schemas.as_object_mut() {
        written.extend(derived_schemas());
    }
    schemas
}

fn list_parameters() -> Vec<Value> {
    vec![
        query_param("from", "integer", "end time at least this, ms UTC (default: 7 days ago)"),
        query_param("to", "integer", "end time before this, ms UTC"),
        json!({ "name": "sort", "in": "query", "schema": { "type": "string", "enum": ["recent", "score"] } }),
        query_param("limit", "integer", "1 to 500 (50)"),
        query_param("cursor", "string", "next_cursor of the previous page"),
        query_param("event", "string", "a custom event of this name occurred"),
        query_param("event_prop", "string", "key=value on that event's properties"),
        query_param("user_prop", "string", "key=value on the user's traits; may repeat"),
        query_param("user", "string", "the user id or email trait"),
        query_param("url", "string", "a page view's URL contains this"),
        json!({ "name": "url_match", "in": "query", "schema": { "type": "string", "enum": ["contains", "exact"] } }),
        query_param("browser", "string", "browser name, any case"),
        query_param("os", "string", "OS name, any case"),
        query_param("device_type", "string", "desktop, mobile, tablet, bot or other"),
        query_param("min_duration_ms", "integer", "inclusive"),
        query_param("max_duration_ms", "integer", "inclusive"),
        query_param("min_active_ms", "integer", "inclusive"),
        query_param("max_active_ms", "integer", "inclusive"),
        query_param("min_score", "number", "score with recency, at least"),
        query_param("min_pages", "integer", "page views, inclusive"),
        query_param("max_pages", "integer", "page views, inclusive"),
        query_param("has_errors", "boolean", "at least one JS error"),
        query_param("has_rage_clicks", "boolean", "at least one rage click"),
        query_param("has_dead_clicks", "boolean", "at least one dead click"),
    ]
}

/// The document.
pub fn document() -> Value {
    let id = || path_param("id", "session id");
    let token = || path_param("token", "share token");
    let window = query_param("window_id", "string", "one tab only");
    let chunk = || path_param("chunk_id", "a chunk id from the manifest");
    let hash = || path_param("hash", "an archived asset's SHA-256, lowercase hex");
    let manifest = || ("200", ok("the manifest", schema_ref("RecordingManifest")));
    let chunk_ok = || ("200", ok("the chunk's batches by seq", schema_ref("RecordingChunk")));
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Playback query API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Find sessions and watch them. See docs/api.md." },
        "security": [{ "bearer": [] }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
        },
        "paths": {
            "/v1/project": { "get": operation("getProject", "The token's project: its public recorder key and ingest URL", vec![], ("200", ok("the project", schema_ref("ProjectInfo")))) },
            "/v1/sessions": { "get": operation("listSessions", "Sessions by end time, filtered", list_parameters(), ("200", ok("a page", schema_ref("SessionPage")))) },
            "/v1/sessions/{id}": {
                "get": operation("getSession", "A session with its score breakdown and user", vec![id()], ("200", ok("the session", schema_ref("SessionDetail")))),
                "delete": forbidden(operation("deleteSession", "Deletes a session from every store, with a receipt (admin)", vec![id()], ("200", ok("what was removed where, and what is not gone yet", schema_ref("DeletionReceipt"))))),
            },
            "/v1/sessions/{id}/events": { "get": operation("getTranscript", "The transcript", vec![id()], ("200", ok("the transcript", schema_ref("Transcript")))) },
            "/v1/sessions/{id}/recording": { "get": operation("getRecording", "The rrweb events per tab", vec![id(), window.clone()], ("200", ok("the recording", schema_ref("Recording")))) },
            "/v1/sessions/{id}/recording/manifest": { "get": operation("getRecordingManifest", "The recording's chunks per tab, by time", vec![id()], manifest()) },
            "/v1/sessions/{id}/recording/chunks/{chunk_id}": { "get": cached_chunk(operation("getRecordingChunk", "One chunk of the recording", vec![id(), chunk()], chunk_ok())) },
            "/v1/sessions/{id}/similar": { "get": operation("getSimilarSessions", "Sessions most like this one", vec![id(), query_param("limit", "integer", "1 to 20 (5)")], ("200", ok("similar sessions", schema_ref("SimilarSessions")))) },
            "/v1/sessions/{id}/assets": { "get": operation("getSessionAssets", "The session's assets: archived copies under `base`, and what could not be archived", vec![id()], ("200", ok("the listing", schema_ref("AssetListing")))) },
            "/v1/assets/{hash}": { "get": cached_chunk(operation("getAsset", "An archived asset of the token's project", vec![hash()], asset_bytes())) },
            "/v1/asset-grants/{grant}/{hash}": { "get": public(cached_chunk(operation("getGrantedAsset", "An archived asset of the session a listing's grant names", vec![path_param("grant", "the grant in a listing's base"), hash()], asset_bytes()))) },
            "/v1/sessions/{id}/notes": {
                "get": operation("listNotes", "A session's notes", vec![id()], ("200", ok("the notes", schema_ref("Notes")))),
                "post": with_body(operation("addNote", "Adds a note at a time of the session", vec![id()], ("201", ok("the note", schema_ref("Note")))), schema_ref("NewNote")),
            },
            "/v1/sessions/{id}/notes/{note_id}": { "delete": own(operation("deleteNote", "Deletes a note (its author, or an admin)", vec![id(), path_param("note_id", "note id")], no_content())) },
            "/v1/sessions/{id}/shares": {
                "get": forbidden(operation("listShares", "A session's share links (admin)", vec![id()], ("200", ok("the share links", schema_ref("Shares"))))),
                "post": forbidden(with_body(operation("createShare", "Creates a share link (admin)", vec![id()], ("201", ok("the share link with its url", schema_ref("Share")))), schema_ref("NewShare"))),
            },
            "/v1/shares/{share_id}": { "delete": forbidden(operation("revokeShare", "Revokes a share link at once (admin)", vec![path_param("share_id", "share id")], no_content())) },
            "/v1/saved-filters": {
                "get": operation("listSavedFilters", "The project's saved filters", vec![], ("200", ok("the saved filters", schema_ref("SavedFilters")))),
                "post": with_body(operation("saveFilter", "Saves list parameters under a name", vec![], ("201", ok("the saved filter", schema_ref("SavedFilter")))), schema_ref("NewSavedFilter")),
            },
            "/v1/saved-filters/{filter_id}": { "delete": own(operation("deleteSavedFilter", "Deletes a saved filter (its author, or an admin)", vec![path_param("filter_id", "saved filter id")], no_content())) },
            "/v1/users/{user_id}": {
                "get": operation("getUser", "A user's card", vec![path_param("user_id", "user id")], ("200", ok("the user", schema_ref("User")))),
                "delete": forbidden(operation("deleteUser", "Deletes every session of a user from every store, with a receipt (admin)", vec![path_param("user_id", "user id")], ("200", ok("what was removed where, and what is not gone yet", schema_ref("DeletionReceipt"))))),
            },
            "/v1/shared/{token}": { "get": public(operation("getSharedSession", "The shared session, without the user", vec![token()], ("200", ok("the session", schema_ref("SessionDetail"))))) },
            "/v1/shared/{token}/events": { "get": public(operation("getSharedTranscript", "The shared session's transcript", vec![token()], ("200", ok("the transcript", schema_ref("Transcript"))))) },
            "/v1/shared/{token}/recording": { "get": public(operation("getSharedRecording", "The shared session's recording", vec![token(), window], ("200", ok("the recording", schema_ref("Recording"))))) },
            "/v1/shared/{token}/recording/manifest": { "get": public(operation("getSharedRecordingManifest", "The shared session's recording manifest", vec![token()], manifest())) },
            "/v1/shared/{token}/recording/chunks/{chunk_id}": { "get": public(cached_chunk(operation("getSharedRecordingChunk", "One chunk of the shared session's recording", vec![token(), chunk()], chunk_ok()))) },
            "/v1/shared/{token}/assets": { "get": public(operation("getSharedAssets", "The shared session's assets", vec![token()], ("200", ok("the listing", schema_ref("AssetListing"))))) },
            "/v1/shared/{token}/assets/{hash}": { "get": public(cached_chunk(operation("getSharedAsset", "An archived asset of the shared session", vec![token(), hash()], asset_bytes()))) },
            "/v1/openapi.json": { "get": public(operation("getOpenApi", "This document", vec![], ("200", json!({ "description": "the OpenAPI document" })))) },
        }
    })
}

/// `GET /v1/openapi.json`.
pub async fn serve() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `web/openapi.json`, which the web UI's TypeScript types are generated from.
    fn committed_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/openapi.json")
    }

    /// The document as `web/openapi.json` holds it.
    fn rendered() -> String {
        let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
        text.push('\n');
        text
    }

    /// With `PLAYBACK_WRITE_OPENAPI=1` (`make openapi`) this rewrites the file instead.
    #[test]
    fn the_committed_document_is_the_served_one() {
        let path = committed_path();
        if std::env::var_os("PLAYBACK_WRITE_OPENAPI").is_some() {
            std::fs::write(&path, rendered()).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == rendered(),
            "web/openapi.json is not the document that GET /v1/openapi.json serves: run `make openapi`"
        );
    }
}
