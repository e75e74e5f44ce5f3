//! The asset stage inside `playback up`, end to end through the router: a recorded page names
//! an image, a stylesheet that `@import`s another with a web font, and a background image, on
//! a site of the test's own; the stage archives them, the stylesheet comes back with its
//! `url()`s pointing at the copies, and each capability reaches only what it should: a token
//! its project's copies, an asset grant or a share token only its session's.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use common::{add_project, batch, now_ms, start, ADMIN_TOKEN};
use serde_json::{json, Value};

const LOGO: &[u8] = b"\x89PNG\r\n\x1a\nlogo of the shop";
const BACKGROUND: &[u8] = b"\x89PNG\r\n\x1a\nbackground";
const OTHER: &[u8] = b"\x89PNG\r\n\x1a\nanother session's image";
const FONT: &[u8] = b"wOF2 a web font";
const OTHER_ADMIN: &str = "other-admin-token-0123456789";

/// The recorded site: a page's assets, and a redirect into the metadata address.
async fn site() -> SocketAddr {
    let typed = |content_type: &'static str, body: &'static [u8]| {
        get(move || async move { ([(header::CONTENT_TYPE, content_type)], body).into_response() })
    };
    let router = Router::new()
        .route("/logo.png", typed("image/png", LOGO))
        .route("/img/bg.png", typed("image/png", BACKGROUND))
        .route("/other.png", typed("image/png", OTHER))
        .route("/fonts/shop.woff2", typed("font/woff2", FONT))
        .route(
            "/css/site.css",
            typed("text/css", b"@import url(\"theme.css\");\nbody { background: url(../img/bg.png) }\n"),
        )
        .route(
            "/css/theme.css",
            typed("text/css", b"@font-face { font-family: Shop; src: url(/fonts/shop.woff2) format(\"woff2\") }\n"),
        )
        .route("/page.html", typed("text/html", b"<!doctype html><p>not an asset</p>"))
        .route(
            "/metadata.png",
            get(|| async {
                (StatusCode::FOUND, [(header::LOCATION, "http://169.254.169.254/latest/meta-data")]).into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

/// Meta at `href` and a FullSnapshot whose head links `stylesheet` and whose body shows `image`.
fn page(href: &str, stylesheet: Option<&str>, images: &[&str]) -> Value {
    let t0 = now_ms() - 10_000;
    let mut head = vec![];
    if let Some(stylesheet) = stylesheet {
        head.push(json!({"type": 2, "id": 4, "tagName": "link", "attributes": {"rel": "stylesheet", "href": stylesheet}, "childNodes": []}));
    }
    let body: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(index, src)| json!({"type": 2, "id": 10 + index, "tagName": "img", "attributes": {"src": src}, "childNodes": []}))
        .collect();
    json!([
        {"type": 4, "data": {"href": href, "width": 1280, "height": 720}, "timestamp": t0},
        {"type": 2, "data": {"node": {"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                {"type": 2, "id": 3, "tagName": "head", "attributes": {}, "childNodes": head},
                {"type": 2, "id": 5, "tagName": "body", "attributes": {}, "childNodes": body}]}]},
            "initialOffset": {"top": 0, "left": 0}}, "timestamp": t0 + 1},
        {"type": 5, "data": {"tag": "$pageview", "payload": {"href": href}}, "timestamp": t0 + 2}
    ])
}

fn bearer(path: &str, token: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Body::empty()).unwrap()
}

/// The entry of `url` in a listing.
fn entry<'a>(listing: &'a Value, url: &str) -> &'a Value {
    listing["assets"].as_array().unwrap().iter().find(|asset| asset["url"] == url).unwrap_or_else(|| {
        panic!("{url} is not in the listing: {listing}");
    })
}

#[tokio::test]
async fn the_stage_archives_a_pages_assets_and_each_capability_reaches_only_its_own() {
    let site = site().await;
    let origin = format!("http://{site}");
    // A loopback origin that is not listed: the guard refuses it.
    let unlisted = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let allowed = origin.clone();
    let harness = start(move |config| {
        config.assets.allowed_origins = vec![allowed];
        add_project(config, "other", "otto", OTHER_ADMIN);
    })
    .await;

    let shop = uuid::Uuid::now_v7().to_string();
    let unlisted_image = format!("http://{unlisted}/secret.png");
    let events = page(
        &format!("{origin}/shop/index.html"),
        Some("../css/site.css"),
        &["/logo.png", &unlisted_image, "/metadata.png", "/page.html"],
    );
    assert_eq!(harness.post("pk_demo", batch(&shop, "w1", 0, &events, None)).await.0, StatusCode::OK);
    let elsewhere = uuid::Uuid::now_v7().to_string();
    let events = page(&format!("{origin}/other/"), None, &["/other.png"]);
    assert_eq!(harness.post("pk_demo", batch(&elsewhere, "w1", 0, &events, None)).await.0, StatusCode::OK);

    let urls = |path: &str| format!("{origin}{path}");
    let listing = harness
        .wait_for(&format!("/v1/sessions/{shop}/assets"), |body| {
            body["assets"]
                .as_array()
                .is_some_and(|assets| assets.len() == 8 && assets.iter().all(|asset| asset["status"] != "pending"))
        })
        .await;
    let listed: Vec<&str> = listing["assets"].as_array().unwrap().iter().map(|a| a["url"].as_str().unwrap()).collect();
    let mut expected = vec![
        urls("/css/site.css"),
        urls("/css/theme.css"),
        urls("/fonts/shop.woff2"),
        urls("/img/bg.png"),
        urls("/logo.png"),
        urls("/metadata.png"),
        urls("/page.html"),
        unlisted_image.clone(),
    ];
    expected.sort();
    assert_eq!(listed, expected, "the page's assets and those of its stylesheets, resolved, by URL");
    for archived in ["/css/site.css", "/css/theme.css", "/fonts/shop.woff2", "/img/bg.png", "/logo.png"] {
        assert_eq!(entry(&listing, &urls(archived))["status"], "archived", "{archived}: {listing}");
    }
    assert_eq!(entry(&listing, &urls("/logo.png"))["content_type"], "image/png");
    assert_eq!(entry(&listing, &urls("/logo.png"))["bytes"], LOGO.len());
    let refused = entry(&listing, &unlisted_image);
    assert_eq!(
        (refused["status"].as_str(), refused["error"].as_str()),
        (Some("refused"), Some("refused: 127.0.0.1 is a loopback address"))
    );
    let redirected = entry(&listing, &urls("/metadata.png"));
    assert_eq!(redirected["status"], "refused", "{redirected}");
    assert!(redirected["error"].as_str().unwrap().contains("169.254.169.254"), "{redirected}");
    let html = entry(&listing, &urls("/page.html"));
    assert_eq!((html["status"].as_str(), html["error"].as_str()), (Some("failed"), Some("not an asset: text/html")));

    // The grant in the listing's base opens the session's copies without a token.
    let base = listing["base"].as_str().unwrap().to_string();
    assert!(base.starts_with("/v1/asset-grants/") && base.ends_with('/'), "{base}");
    let hash_of = |path: &str| entry(&listing, &urls(path))["hash"].as_str().unwrap().to_string();
    let (status, bytes, headers) = harness.send_raw(bearer(&format!("{base}{}", hash_of("/logo.png")), None)).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, LOGO));
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::CACHE_CONTROL], "private, max-age=31536000, immutable");
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("sandbox"));

    // The stylesheets come back rewritten: their url()s name the copies by bare hash, which
    // resolve next to the stylesheet under any base.
    let (_, site_css, _) = harness.send_raw(bearer(&format!("{base}{}", hash_of("/css/site.css")), None)).await;
    let site_css = String::from_utf8(site_css).unwrap();
    assert!(site_css.contains(&hash_of("/css/theme.css")) && site_css.contains(&hash_of("/img/bg.png")), "{site_css}");
    assert!(!site_css.contains("bg.png") && !site_css.contains("theme.css"), "no original URL is left: {site_css}");
    let (_, theme_css, _) = harness.send_raw(bearer(&format!("{base}{}", hash_of("/css/theme.css")), None)).await;
    let theme_css = String::from_utf8(theme_css).unwrap();
    assert!(theme_css.contains(&format!("url(\"{}\")", hash_of("/fonts/shop.woff2"))), "{theme_css}");
    let (status, font, _) = harness.send_raw(bearer(&format!("{base}{}", hash_of("/fonts/shop.woff2")), None)).await;
    assert_eq!((status, font.as_slice()), (StatusCode::OK, FONT));

    // The other session's image: a token of the project reaches it, this session's grant does not.
    let other_listing = harness
        .wait_for(&format!("/v1/sessions/{elsewhere}/assets"), |body| body["assets"][0]["status"] == "archived")
        .await;
    let other_hash = other_listing["assets"][0]["hash"].as_str().unwrap().to_string();
    assert_eq!(harness.send_raw(bearer(&format!("{base}{other_hash}"), None)).await.0, StatusCode::NOT_FOUND);
    let (status, bytes, _) = harness.send_raw(bearer(&format!("/v1/assets/{other_hash}"), Some(ADMIN_TOKEN))).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, OTHER));
    assert_eq!(harness.send_raw(bearer(&format!("/v1/assets/{other_hash}"), None)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        harness.send_raw(bearer(&format!("/v1/assets/{other_hash}"), Some(OTHER_ADMIN))).await.0,
        StatusCode::NOT_FOUND,
        "another project's token"
    );
    let tampered = format!("{}x/", base.trim_end_matches('/'));
    assert_eq!(
        harness.send_raw(bearer(&format!("{tampered}{}", hash_of("/logo.png")), None)).await.0,
        StatusCode::NOT_FOUND
    );

    // A share link reaches its session's copies only, until it is revoked.
    let share = Request::post(format!("/v1/sessions/{shop}/shares"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let (status, share, _) = harness.send(share).await;
    assert_eq!(status, StatusCode::CREATED);
    let token = share["url"].as_str().unwrap().trim_start_matches("/s/").to_string();
    let (status, shared_listing, _) = harness.send(bearer(&format!("/v1/shared/{token}/assets"), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shared_listing["base"], format!("/v1/shared/{token}/assets/"));
    assert_eq!(shared_listing["assets"], listing["assets"], "the same listing");
    let shared = |hash: &str| bearer(&format!("/v1/shared/{token}/assets/{hash}"), None);
    let (status, bytes, _) = harness.send_raw(shared(&hash_of("/logo.png"))).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, LOGO));
    assert_eq!(harness.send_raw(shared(&other_hash)).await.0, StatusCode::NOT_FOUND, "another session's copy");
    assert_eq!(harness.send_raw(shared("not-a-hash")).await.0, StatusCode::NOT_FOUND);
    let revoke = Request::delete(format!("/v1/shares/{}", share["share_id"].as_str().unwrap()))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(harness.send_raw(revoke).await.0, StatusCode::NO_CONTENT);
    assert_eq!(harness.send_raw(shared(&hash_of("/logo.png"))).await.0, StatusCode::GONE);
}

#[tokio::test]
async fn a_project_with_assets_off_lists_none_and_its_pages_are_not_fetched() {
    let site = site().await;
    let origin = format!("http://{site}");
    let allowed = origin.clone();
    let harness = start(move |config| {
        config.assets.allowed_origins = vec![allowed];
        config
            .assets
            .projects
            .insert("demo".into(), playback_assets::ProjectAssetsConfig { enabled: Some(false), ..Default::default() });
        add_project(config, "other", "otto", OTHER_ADMIN);
    })
    .await;
    let off = uuid::Uuid::now_v7().to_string();
    let events = page(&format!("{origin}/"), None, &["/logo.png"]);
    assert_eq!(harness.post("pk_demo", batch(&off, "w1", 0, &events, None)).await.0, StatusCode::OK);
    // The same page in a project with assets on, sent after: once it is archived, the stage has
    // read the first batch too (one partition, in order).
    let on = uuid::Uuid::now_v7().to_string();
    assert_eq!(harness.post("pk_other", batch(&on, "w1", 0, &events, None)).await.0, StatusCode::OK);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, listing, _) = harness.send(bearer(&format!("/v1/sessions/{on}/assets"), Some(OTHER_ADMIN))).await;
        if status == StatusCode::OK && listing["assets"][0]["status"] == "archived" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the other project's page is archived: {status} {listing}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, listing) = harness.get(&format!("/v1/sessions/{off}/assets")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listing["assets"], json!([]), "{listing}");
}
