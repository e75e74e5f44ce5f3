//! The query API as analysts use it: bearer tokens per project and role, and every operation
//! of the OpenAPI document called, its answers checked against the document's schemas.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{add_project, batch, now_ms, session_events, start, Harness, ADMIN_TOKEN};
use playback_query_api::{ApiToken, Role};
use serde_json::{json, Value};

const VIEWER: &str = "test-viewer-token-0123456789";
const LOGO: &[u8] = b"\x89PNG\r\n\x1a\nthe shop's logo";

/// A site serving the logo that the first session's page shows.
async fn logo_site() -> String {
    use axum::response::IntoResponse;
    let router = axum::Router::new().route(
        "/logo.png",
        axum::routing::get(|| async { ([(axum::http::header::CONTENT_TYPE, "image/png")], LOGO).into_response() }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}
const OTHER_ADMIN: &str = "test-other-project-admin-0123";

/// Calls the API and records which operation of the document each call was.
struct Client<'a> {
    harness: &'a Harness,
    document: Value,
    called: BTreeSet<(String, String)>,
}

impl<'a> Client<'a> {
    /// The document's path template that `path` (without its query) matches.
    fn template(&self, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        self.document["paths"]
            .as_object()
            .unwrap()
            .keys()
            .find(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                parts.len() == segments.len()
                    && parts.iter().zip(&segments).all(|(part, segment)| part.starts_with('{') || part == segment)
            })
            .cloned()
    }

    async fn call(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method.clone()).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request.header("content-type", "application/json").body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let (status, body, _) = self.harness.send(request).await;
        let template = self.template(path).unwrap_or_else(|| panic!("{path} is not in the OpenAPI document"));
        let operation = &self.document["paths"][&template][method.as_str().to_lowercase()];
        assert!(operation.is_object(), "{method} {template} is not in the OpenAPI document");
        let response = &operation["responses"][status.as_str()];
        assert!(response.is_object(), "{method} {path} answered {status}, which the document does not list: {body}");
        if let Some(schema) = response["content"]["application/json"]["schema"].as_object() {
            conforms(&self.document, &Value::Object(schema.clone()), &body, &format!("{method} {path}"));
        }
        if status.is_success() {
            self.called.insert((method.as_str().to_lowercase(), template));
        }
        (status, body)
    }
}

/// Checks `value` against `schema` as far as the document uses JSON Schema: `$ref`, `type`
/// (one or several), `required`, `properties`, `items`, `enum`, `oneOf` and `allOf`.
fn check(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return check(document, &document["components"]["schemas"][name], value, at);
    }
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            check(document, part, value, at)?;
        }
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let matching = options.iter().filter(|option| check(document, option, value, at).is_ok()).count();
        return if matching == 1 { Ok(()) } else { Err(format!("{at}: {value} matches {matching} of oneOf")) };
    }
    let kind_of = |value: &Value| match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let kinds: Vec<&str> = match &schema["type"] {
        Value::String(kind) => vec![kind.as_str()],
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let actual = kind_of(value);
    if !(kinds.is_empty() || kinds.contains(&actual) || (actual == "integer" && kinds.contains(&"number"))) {
        return Err(format!("{at}: {value} is {actual}, the schema says {kinds:?}"));
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Value::Object(object) = value {
        for required in schema["required"].as_array().into_iter().flatten() {
            let key = required.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                return Err(format!("{at}: {key} is missing from {value}"));
            }
        }
        for (key, property) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(inner) = object.get(key) {
                check(document, property, inner, &format!("{at}.{key}"))?;
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (index, item) in items.iter().enumerate() {
            check(document, item_schema, item, &format!("{at}[{index}]"))?;
        }
    }
    Ok(())
}

fn conforms(document: &Value, schema: &Value, value: &Value, at: &str) {
    if let Err(reason) = check(document, schema, value, at) {
        panic!("{reason}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_as_documented_with_tokens_per_project_and_role() {
    let site = logo_site().await;
    let allowed = site.clone();
    let harness = start(move |config| {
        config.assets.allowed_origins = vec![allowed];
        add_project(config, "other", "otto", OTHER_ADMIN);
        config.auth.tokens.push(ApiToken {
            name: "vera".into(),
            token: VIEWER.into(),
            project: "demo".into(),
            role: Role::Viewer,
        });
    })
    .await;
    let (_, document, _) = harness.send(Request::get("/v1/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(document["openapi"], "3.1.0");
    let mut client = Client { harness: &harness, document: document.clone(), called: BTreeSet::new() };
    let admin = Some(ADMIN_TOKEN);

    // Two sessions of one user in the demo project, and one in the other project.
    let user = json!({"id": "ada@example.com", "traits": {"plan": "pro", "email": "ada@example.com"}});
    let sessions: Vec<String> = (0..2).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    for (index, session) in sessions.iter().enumerate() {
        // The second visit starts 20 s after the first.
        let (mut first, second, _) = session_events(now_ms() - 60_000 + index as i64 * 20_000);
        if index == 0 {
            // The first visit's page shows the site's logo, which the asset stage archives.
            let logo = json!({"type": 2, "id": 9, "tagName": "img", "attributes": {"src": format!("{site}/logo.png")}, "childNodes": []});
            first[1]["data"]["node"]["childNodes"].as_array_mut().unwrap().push(logo);
        }
        assert_eq!(
            harness.post("pk_demo", batch(session, "w1", 0, &first, Some(user.clone()))).await.0,
            StatusCode::OK
        );
        assert_eq!(harness.post("pk_demo", batch(session, "w1", 1, &second, None)).await.0, StatusCode::OK);
    }
    let foreign = uuid::Uuid::now_v7().to_string();
    let (first, _, _) = session_events(now_ms() - 60_000);
    assert_eq!(harness.post("pk_other", batch(&foreign, "w1", 0, &first, None)).await.0, StatusCode::OK);
    let (one, two) = (&sessions[0], &sessions[1]);
    for session in &sessions {
        harness
            .wait_for(&format!("/v1/sessions/{session}/recording"), |body| {
                body["windows"][0]["events"].as_array().is_some_and(|events| events.len() == 11)
            })
            .await;
        harness
            .wait_for(&format!("/v1/sessions/{session}"), |body| {
                body["page_views"] == 2 && body["user"]["session_count"] == 2
            })
            .await;
    }

    // A chunk id of the other project's session, once it is archived.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let foreign_chunk = loop {
        let path = format!("/v1/sessions/{foreign}/recording/manifest");
        let (_, foreign_manifest) = client.call(Method::GET, &path, Some(OTHER_ADMIN), None).await;
        if let Some(id) = foreign_manifest["windows"][0]["chunks"][0]["id"].as_str() {
            break id.to_string();
        }
        assert!(tokio::time::Instant::now() < deadline, "the other project's session was not archived");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };

    // Authentication and projects.
    assert_eq!(client.call(Method::GET, "/v1/sessions", None, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        client.call(Method::GET, "/v1/sessions", Some("not-a-configured-token"), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, foreign_page) = client.call(Method::GET, "/v1/sessions?from=0", Some(OTHER_ADMIN), None).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> =
        foreign_page["sessions"].as_array().unwrap().iter().map(|s| s["session_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![foreign.as_str()], "a token lists only its project's sessions");
    for path in [
        format!("/v1/sessions/{one}"),
        format!("/v1/sessions/{one}/events"),
        format!("/v1/sessions/{one}/recording"),
        format!("/v1/sessions/{one}/recording/manifest"),
        format!("/v1/sessions/{one}/notes"),
        "/v1/users/ada@example.com".to_string(),
    ] {
        assert_eq!(
            client.call(Method::GET, &path, Some(OTHER_ADMIN), None).await.0,
            StatusCode::NOT_FOUND,
            "{path} from another project"
        );
    }
    assert_eq!(
        client.call(Method::GET, &format!("/v1/sessions/{foreign}"), admin, None).await.0,
        StatusCode::NOT_FOUND
    );

    // Listing, filters and paging.
    let (_, page) = client.call(Method::GET, "/v1/sessions?from=0&limit=1&sort=score", admin, None).await;
    assert_eq!(page["sessions"].as_array().unwrap().len(), 1);
    assert!(
        page["sessions"][0]["marks"].as_array().is_some_and(|marks| !marks.is_empty()),
        "rows carry timeline marks"
    );
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let (_, next) =
        client.call(Method::GET, &format!("/v1/sessions?from=0&limit=1&sort=score&cursor={cursor}"), admin, None).await;
    assert_eq!(next["sessions"].as_array().unwrap().len(), 1);
    assert_ne!(next["sessions"][0]["session_id"], page["sessions"][0]["session_id"]);
    let (_, filtered) = client.call(Method::GET, "/v1/sessions?from=0&event=coupon_applied&event_prop=code%3DSPRING&user=ada%40example.com&url=%2Fdone&has_errors=true&user_prop=plan%3Dpro", Some(VIEWER), None).await;
    assert_eq!(filtered["sessions"].as_array().unwrap().len(), 2);
    let (_, none) = client
        .call(
            Method::GET,
            "/v1/sessions?from=0&event_prop=code%3DSPRING&event=coupon_applied&user_prop=plan%3Dfree",
            admin,
            None,
        )
        .await;
    assert_eq!(none["sessions"], json!([]));
    let (status, body) = client.call(Method::GET, "/v1/sessions?min_pages=two", admin, None).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("min_pages: must be an integer")));

    // One session, its user, its transcript, its recording and similar sessions.
    let (_, detail) = client.call(Method::GET, &format!("/v1/sessions/{two}"), Some(VIEWER), None).await;
    assert_eq!(
        detail["user"],
        json!({"user_id": "ada@example.com", "session_number": 2, "session_count": 2, "first_seen": detail["user"]["first_seen"]})
    );
    client.call(Method::GET, &format!("/v1/sessions/{one}/events"), Some(VIEWER), None).await;
    client.call(Method::GET, &format!("/v1/sessions/{one}/recording"), Some(VIEWER), None).await;
    harness.wait_for(&format!("/v1/sessions/{one}/recording/manifest"), |body| body["complete"] == true).await;
    let (_, manifest) =
        client.call(Method::GET, &format!("/v1/sessions/{one}/recording/manifest"), Some(VIEWER), None).await;
    assert_eq!((manifest["session_events"].as_i64(), manifest["archived_events"].as_i64()), (Some(11), Some(11)));
    let chunks = manifest["windows"][0]["chunks"].as_array().unwrap().clone();
    let mut chunked_events = Vec::new();
    for chunk in &chunks {
        let path = format!("/v1/sessions/{one}/recording/chunks/{}", chunk["id"].as_str().unwrap());
        let (status, body) = client.call(Method::GET, &path, Some(VIEWER), None).await;
        assert_eq!(status, StatusCode::OK);
        for batch in body["batches"].as_array().unwrap() {
            chunked_events.extend(batch["events"].as_array().unwrap().iter().cloned());
        }
        assert_eq!(
            client.call(Method::GET, &path, Some(OTHER_ADMIN), None).await.0,
            StatusCode::NOT_FOUND,
            "a chunk from another project"
        );
    }
    assert_eq!(chunked_events.len(), 11, "the chunks hold the recording");
    let first_chunk_path = format!("/v1/sessions/{one}/recording/chunks/{}", chunks[0]["id"].as_str().unwrap());
    for path in [format!("/v1/sessions/{one}/recording/manifest"), first_chunk_path] {
        assert_eq!(
            client.call(Method::GET, &path, None, None).await.0,
            StatusCode::UNAUTHORIZED,
            "{path} without a token"
        );
    }
    for (path, what) in [
        (format!("/v1/sessions/{one}/recording/chunks/{foreign_chunk}"), "another project's chunk id"),
        (
            format!("/v1/sessions/{two}/recording/chunks/{}", chunks[0]["id"].as_str().unwrap()),
            "another session's chunk id",
        ),
        (format!("/v1/sessions/{one}/recording/chunks/unknown"), "an unknown chunk id"),
    ] {
        let (status, body) = client.call(Method::GET, &path, Some(VIEWER), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{what}");
        assert!(body.get("batches").is_none(), "{what}: no data");
    }
    let (_, user) = client.call(Method::GET, "/v1/users/ada@example.com", Some(VIEWER), None).await;
    assert_eq!((user["session_count"].as_i64(), &user["traits"]["plan"]), (Some(2), &json!("pro")));
    let (_, similar) = client.call(Method::GET, &format!("/v1/sessions/{one}/similar"), Some(VIEWER), None).await;
    assert_eq!(similar["sessions"][0]["session_id"], json!(two), "the same visit again is the most similar");
    assert!(similar["sessions"][0]["similarity"].as_f64().unwrap() > 0.9);

    // Notes: a viewer adds and deletes them.
    let (status, note) = client
        .call(
            Method::POST,
            &format!("/v1/sessions/{one}/notes"),
            Some(VIEWER),
            Some(json!({"offset_ms": 1000, "text": "Gets stuck here"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(note["author"], "vera");
    let (status, _) = client
        .call(
            Method::POST,
            &format!("/v1/sessions/{one}/notes"),
            Some(VIEWER),
            Some(json!({"offset_ms": -5, "text": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, notes) = client.call(Method::GET, &format!("/v1/sessions/{one}/notes"), admin, None).await;
    assert_eq!(notes["notes"].as_array().unwrap().len(), 1);
    let note_path = format!("/v1/sessions/{one}/notes/{}", note["note_id"].as_str().unwrap());
    assert_eq!(client.call(Method::DELETE, &note_path, Some(OTHER_ADMIN), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(client.call(Method::DELETE, &note_path, Some(VIEWER), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(client.call(Method::GET, &format!("/v1/sessions/{one}/notes"), admin, None).await.1["notes"], json!([]));
    // An admin's note: a viewer may not delete it, its author may.
    let (status, admins_note) = client
        .call(
            Method::POST,
            &format!("/v1/sessions/{one}/notes"),
            admin,
            Some(json!({"offset_ms": 2000, "text": "Support called back"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let admins_note_path = format!("/v1/sessions/{one}/notes/{}", admins_note["note_id"].as_str().unwrap());
    let (status, refused) = client.call(Method::DELETE, &admins_note_path, Some(VIEWER), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused["error"].as_str().is_some_and(|reason| reason.contains("another's note")), "{refused}");
    assert_eq!(
        client.call(Method::GET, &format!("/v1/sessions/{one}/notes"), admin, None).await.1["notes"][0]["note_id"],
        admins_note["note_id"]
    );
    assert_eq!(client.call(Method::DELETE, &admins_note_path, admin, None).await.0, StatusCode::NO_CONTENT);

    // A body that is not a note's is refused with the documented error body.
    for (content_type, body) in [
        ("application/json", r#"{"offset_ms": 1000, "text": "x", "colour": "red"}"#),
        ("application/json", r#"{"offset_ms": "#),
        ("text/plain", r#"{"offset_ms": 1000, "text": "x"}"#),
    ] {
        let request = Request::post(format!("/v1/sessions/{one}/notes"))
            .header("authorization", format!("Bearer {VIEWER}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let (status, answer, headers) = harness.send(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{content_type} {body}");
        assert!(answer["error"].as_str().is_some_and(|reason| reason.starts_with("invalid body")), "{answer}");
        assert_eq!(headers["content-type"], "application/json");
    }

    // Saved filters, checked like the list's parameters.
    let (status, saved) = client
        .call(
            Method::POST,
            "/v1/saved-filters",
            Some(VIEWER),
            Some(json!({"name": "Errors", "query": "has_errors=true&sort=score"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = client
        .call(Method::POST, "/v1/saved-filters", Some(VIEWER), Some(json!({"name": "Bad", "query": "min_score=high"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, filters) = client.call(Method::GET, "/v1/saved-filters", admin, None).await;
    assert_eq!(filters["filters"][0]["query"], "has_errors=true&sort=score");
    assert_eq!(client.call(Method::GET, "/v1/saved-filters", Some(OTHER_ADMIN), None).await.1["filters"], json!([]));
    let filter_path = format!("/v1/saved-filters/{}", saved["filter_id"].as_str().unwrap());
    // An admin deletes anyone's saved filter.
    assert_eq!(client.call(Method::DELETE, &filter_path, admin, None).await.0, StatusCode::NO_CONTENT);
    let (status, admins_filter) = client
        .call(Method::POST, "/v1/saved-filters", admin, Some(json!({"name": "Slow", "query": "sort=score"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let admins_filter_path = format!("/v1/saved-filters/{}", admins_filter["filter_id"].as_str().unwrap());
    assert_eq!(client.call(Method::DELETE, &admins_filter_path, Some(VIEWER), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(client.call(Method::DELETE, &admins_filter_path, admin, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(client.call(Method::GET, "/v1/saved-filters", admin, None).await.1["filters"], json!([]));

    // API answers are not sniffed, send no referrer and are not stored; an unknown method
    // answers in the documented error body too.
    let (_, _, headers) = harness
        .send(
            Request::get("/v1/sessions")
                .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (&headers["x-content-type-options"], &headers["referrer-policy"], &headers["cache-control"]),
        (
            &"nosniff".parse::<axum::http::HeaderValue>().unwrap(),
            &"no-referrer".parse().unwrap(),
            &"no-store".parse().unwrap()
        )
    );
    let (status, answer, headers) = harness
        .send(
            Request::patch("/v1/sessions")
                .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        (answer["error"].as_str().is_some(), &headers["content-type"]),
        (true, &"application/json".parse::<axum::http::HeaderValue>().unwrap()),
        "{answer}"
    );

    // Assets: the listing's base opens the copy without a token, as a replay loads it.
    let assets_path = format!("/v1/sessions/{one}/assets");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let listing = loop {
        let (_, listing) = client.call(Method::GET, &assets_path, Some(VIEWER), None).await;
        if listing["assets"][0]["status"] == "archived" {
            break listing;
        }
        assert!(tokio::time::Instant::now() < deadline, "the logo was not archived: {listing}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(listing["assets"][0]["url"], format!("{site}/logo.png"));
    let logo_hash = listing["assets"][0]["hash"].as_str().unwrap().to_string();
    let base = listing["base"].as_str().unwrap().to_string();
    assert_eq!(client.call(Method::GET, &format!("{base}{logo_hash}"), None, None).await.0, StatusCode::OK);
    assert_eq!(
        client.call(Method::GET, &format!("/v1/assets/{logo_hash}"), Some(VIEWER), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        client.call(Method::GET, &format!("/v1/assets/{logo_hash}"), Some(OTHER_ADMIN), None).await.0,
        StatusCode::NOT_FOUND,
        "a copy is its project's"
    );
    let (_, no_assets) = client.call(Method::GET, &format!("/v1/sessions/{two}/assets"), Some(VIEWER), None).await;
    assert_eq!(no_assets["assets"], json!([]), "the second visit's page shows no asset");

    // Share links: admins only; the link works without a token until it is revoked.
    let shares_path = format!("/v1/sessions/{one}/shares");
    assert_eq!(client.call(Method::POST, &shares_path, Some(VIEWER), Some(json!({}))).await.0, StatusCode::FORBIDDEN);
    assert_eq!(client.call(Method::GET, &shares_path, Some(VIEWER), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        client.call(Method::POST, &shares_path, admin, Some(json!({"expires_in_hours": 100_000}))).await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, share) = client.call(Method::POST, &shares_path, admin, Some(json!({"expires_in_hours": 2}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let token = share["url"].as_str().unwrap().trim_start_matches("/s/").to_string();
    let (status, shared) = client.call(Method::GET, &format!("/v1/shared/{token}"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shared["session_id"], json!(one));
    assert!(
        shared.get("user_id").is_none() && shared.get("user_traits").is_none(),
        "a shared view does not say who the user is"
    );
    client.call(Method::GET, &format!("/v1/shared/{token}/events"), None, None).await;
    let (_, recording) = client.call(Method::GET, &format!("/v1/shared/{token}/recording"), None, None).await;
    assert_eq!(recording["windows"][0]["events"].as_array().unwrap().len(), 11);
    let (_, shared_manifest) =
        client.call(Method::GET, &format!("/v1/shared/{token}/recording/manifest"), None, None).await;
    assert_eq!(shared_manifest, manifest, "a share link reads the session's manifest");
    let first_chunk = chunks[0]["id"].as_str().unwrap();
    let (status, _) =
        client.call(Method::GET, &format!("/v1/shared/{token}/recording/chunks/{first_chunk}"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        client.call(Method::GET, &format!("/v1/shared/{token}/recording/chunks/{foreign_chunk}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a share link reaches only its session's chunks");
    assert!(body.get("batches").is_none());
    let (_, shared_assets) = client.call(Method::GET, &format!("/v1/shared/{token}/assets"), None, None).await;
    assert_eq!(shared_assets["assets"], listing["assets"]);
    let shared_logo = format!("/v1/shared/{token}/assets/{logo_hash}");
    assert_eq!(client.call(Method::GET, &shared_logo, None, None).await.0, StatusCode::OK);
    let tampered = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(client.call(Method::GET, &format!("/v1/shared/{tampered}"), None, None).await.0, StatusCode::NOT_FOUND);
    let (_, listed) = client.call(Method::GET, &shares_path, admin, None).await;
    assert_eq!(listed["shares"][0]["revoked"], false);
    let revoke_path = format!("/v1/shares/{}", share["share_id"].as_str().unwrap());
    assert_eq!(client.call(Method::DELETE, &revoke_path, Some(VIEWER), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(client.call(Method::DELETE, &revoke_path, Some(OTHER_ADMIN), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(client.call(Method::DELETE, &revoke_path, admin, None).await.0, StatusCode::NO_CONTENT);
    let revoked_chunk = format!("/recording/chunks/{first_chunk}");
    let revoked_asset = format!("/assets/{logo_hash}");
    for suffix in
        ["", "/events", "/recording", "/recording/manifest", revoked_chunk.as_str(), "/assets", revoked_asset.as_str()]
    {
        assert_eq!(
            client.call(Method::GET, &format!("/v1/shared/{token}{suffix}"), None, None).await.0,
            StatusCode::GONE,
            "revoked{suffix}"
        );
    }
    client.call(Method::GET, "/v1/openapi.json", None, None).await;
    let (_, project) = client.call(Method::GET, "/v1/project", admin, None).await;
    assert_eq!(project, json!({"project_id": "demo", "public_key": "pk_demo", "ingest_url": null}));
    let (_, other_project) = client.call(Method::GET, "/v1/project", Some(OTHER_ADMIN), None).await;
    assert_eq!(other_project["public_key"], "pk_other", "each token sees its own project's key");

    // Deletion on request: admins only, in their project, with a receipt; then 404 everywhere.
    let two_path = format!("/v1/sessions/{two}");
    assert_eq!(client.call(Method::DELETE, &two_path, Some(VIEWER), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(client.call(Method::DELETE, &two_path, Some(OTHER_ADMIN), None).await.0, StatusCode::NOT_FOUND);
    let (status, receipt) = client.call(Method::DELETE, &two_path, admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((receipt["session_ids"].clone(), receipt["warehouse"]["sessions"].as_u64()), (json!([two]), Some(1)));
    assert_eq!(client.call(Method::GET, &two_path, admin, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(client.call(Method::DELETE, &two_path, admin, None).await.0, StatusCode::NOT_FOUND);
    let user_path = "/v1/users/ada@example.com";
    assert_eq!(client.call(Method::DELETE, user_path, Some(VIEWER), None).await.0, StatusCode::FORBIDDEN);
    let (status, receipt) = client.call(Method::DELETE, user_path, admin, None).await;
    assert_eq!((status, receipt["session_ids"].clone()), (StatusCode::OK, json!([one])));
    assert_eq!(client.call(Method::GET, user_path, admin, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(client.call(Method::DELETE, user_path, admin, None).await.0, StatusCode::NOT_FOUND);

    // Every operation of the document was called and answered with success at least once.
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    assert_eq!(client.called, documented, "operations called with success vs documented");
}
