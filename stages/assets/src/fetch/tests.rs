//! The fetcher against local servers on 127.0.0.1, allowed through `allowed_origins`.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::guard::{Resolver, SystemResolver};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really an image";

#[derive(Default)]
struct Counters {
    flaky: AtomicUsize,
    busy: AtomicUsize,
    most_busy: AtomicUsize,
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

fn png() -> Response {
    ([(header::CONTENT_TYPE, "image/png")], PNG).into_response()
}

fn redirect(to: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

/// The test site; `other` is a second local server, on an origin that is not allowed.
async fn site(other: SocketAddr) -> (SocketAddr, Arc<Counters>) {
    let counters = Arc::new(Counters::default());
    let router = Router::new()
        .route("/img.png", get(|| async { png() }))
        .route("/missing.png", get(|| async { StatusCode::NOT_FOUND }))
        .route("/forbidden.png", get(|| async { StatusCode::FORBIDDEN }))
        .route(
            "/slow.png",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                png()
            }),
        )
        .route("/big.png", get(|| async { ([(header::CONTENT_TYPE, "image/png")], vec![0u8; 4096]) }))
        .route("/page.png", get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], "<html></html>") }))
        .route("/font.woff2", get(|| async { ([(header::CONTENT_TYPE, "application/octet-stream")], "wOF2") }))
        .route("/download", get(|| async { ([(header::CONTENT_TYPE, "application/octet-stream")], "bytes") }))
        .route("/style.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], "a{}") }))
        .route(
            "/flaky.png",
            get(|State(counters): State<Arc<Counters>>| async move {
                if counters.flaky.fetch_add(1, Ordering::SeqCst) == 0 {
                    StatusCode::SERVICE_UNAVAILABLE.into_response()
                } else {
                    png()
                }
            }),
        )
        .route(
            "/busy.png",
            get(|State(counters): State<Arc<Counters>>| async move {
                let now = counters.busy.fetch_add(1, Ordering::SeqCst) + 1;
                counters.most_busy.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                counters.busy.fetch_sub(1, Ordering::SeqCst);
                png()
            }),
        )
        .route(
            "/token.png",
            get(|headers: HeaderMap| async move {
                if headers.get("x-cdn-token").is_some_and(|value| value == "secret") {
                    png()
                } else {
                    StatusCode::FORBIDDEN.into_response()
                }
            }),
        )
        .route("/to-metadata", get(|| async { redirect("http://169.254.169.254/latest/meta-data".into()) }))
        .route("/to-other", get(move || async move { redirect(format!("http://127.0.0.1:{}/img.png", other.port())) }))
        .route("/to-img", get(|| async { redirect("/img.png".into()) }))
        .route("/loop", get(|| async { redirect("/loop".into()) }))
        .with_state(Arc::clone(&counters));
    (serve(router).await, counters)
}

async fn other_site() -> SocketAddr {
    serve(Router::new().route("/img.png", get(|| async { png() }))).await
}

fn config() -> AssetsConfig {
    AssetsConfig { timeout_ms: 300, retries: 2, retry_backoff_ms: 10, max_asset_bytes: 1024, ..AssetsConfig::default() }
}

fn rules(allowed: &[SocketAddr]) -> ProjectAssetRules {
    let allowed: Vec<String> = allowed.iter().map(|addr| format!("http://{addr}")).collect();
    ProjectAssetRules {
        enabled: true,
        origins: crate::guard::OriginRules::new(&allowed, &[]),
        headers: BTreeMap::from([("x-cdn-token".to_string(), "secret".to_string())]),
    }
}

fn fetcher(config: &AssetsConfig) -> Fetcher {
    Fetcher::new(Guard::new(Arc::new(SystemResolver)), config)
}

async fn outcome(
    fetcher: &Fetcher,
    addr: SocketAddr,
    path: &str,
    rules: &ProjectAssetRules,
) -> Result<Fetched, String> {
    let url = Url::parse(&format!("http://{addr}{path}")).unwrap();
    fetcher.fetch(&url, rules).await.map_err(|failure| failure.to_string())
}

#[tokio::test]
async fn answers_become_assets_or_failures() {
    let other = other_site().await;
    let (addr, counters) = site(other).await;
    let fetcher = fetcher(&config());
    let rules = rules(&[addr]);
    let image = outcome(&fetcher, addr, "/img.png", &rules).await.unwrap();
    assert_eq!(image, Fetched { bytes: PNG.to_vec(), content_type: "image/png".into() });
    let sheet = outcome(&fetcher, addr, "/style.css", &rules).await.unwrap();
    assert_eq!(sheet.content_type, "text/css");
    let font = outcome(&fetcher, addr, "/font.woff2", &rules).await.unwrap();
    assert_eq!(font.content_type, "font/woff2");
    assert_eq!(outcome(&fetcher, addr, "/token.png", &rules).await.unwrap().bytes, PNG);

    assert_eq!(outcome(&fetcher, addr, "/missing.png", &rules).await, Err("404 from 127.0.0.1".into()));
    assert_eq!(outcome(&fetcher, addr, "/forbidden.png", &rules).await, Err("403 from 127.0.0.1".into()));
    assert_eq!(outcome(&fetcher, addr, "/slow.png", &rules).await, Err("timed out after 300 ms from 127.0.0.1".into()));
    assert_eq!(outcome(&fetcher, addr, "/big.png", &rules).await, Err("too large: over 1 KiB".into()));
    assert_eq!(outcome(&fetcher, addr, "/page.png", &rules).await, Err("not an asset: text/html".into()));
    assert_eq!(
        outcome(&fetcher, addr, "/download", &rules).await,
        Err("not an asset: application/octet-stream".into())
    );

    // 503, then 200 on the first retry.
    assert_eq!(outcome(&fetcher, addr, "/flaky.png", &rules).await.unwrap().bytes, PNG);
    assert_eq!(counters.flaky.load(Ordering::SeqCst), 2);
    // A redirect inside the allowed origin is followed.
    assert_eq!(outcome(&fetcher, addr, "/to-img", &rules).await.unwrap().bytes, PNG);
    assert_eq!(outcome(&fetcher, addr, "/loop", &rules).await, Err("refused: too many redirects".into()));
}

#[tokio::test]
async fn redirects_into_addresses_that_are_not_public_are_refused() {
    let other = other_site().await;
    let (addr, _) = site(other).await;
    let fetcher = fetcher(&AssetsConfig { retries: 0, ..config() });
    let rules_site_only = rules(&[addr]);
    assert_eq!(
        outcome(&fetcher, addr, "/to-metadata", &rules_site_only).await,
        Err("refused: redirect to 169.254.169.254 is a link-local address".into())
    );
    assert_eq!(
        outcome(&fetcher, addr, "/to-other", &rules_site_only).await,
        Err("refused: redirect to 127.0.0.1 is a loopback address".into())
    );
    assert_eq!(
        outcome(&fetcher, addr, "/img.png", &rules(&[])).await,
        Err("refused: 127.0.0.1 is a loopback address".into())
    );
    // Listed, the other server is reached through the redirect.
    let both = rules(&[addr, other]);
    assert_eq!(outcome(&fetcher, addr, "/to-other", &both).await.unwrap().bytes, PNG);
    // A denied origin is refused even when it is also allowed.
    let mut denied = both.clone();
    denied.origins.denied.push(format!("http://{other}"));
    assert_eq!(
        outcome(&fetcher, addr, "/to-other", &denied).await,
        Err(format!("refused: origin http://{other} is denied"))
    );
}

/// A name that resolves to the local server is refused unless its origin is listed; listed,
/// the request goes to the address the guard checked.
#[tokio::test]
async fn names_connect_only_to_the_checked_addresses() {
    struct Local;
    #[async_trait]
    impl Resolver for Local {
        async fn lookup(&self, _host: &str) -> std::io::Result<Vec<IpAddr>> {
            Ok(vec![IpAddr::from([127, 0, 0, 1])])
        }
    }
    let other = other_site().await;
    let (addr, _) = site(other).await;
    let fetcher = Fetcher::new(Guard::new(Arc::new(Local)), &config());
    let url = Url::parse(&format!("http://assets.shop.test:{}/img.png", addr.port())).unwrap();
    let refused = fetcher.fetch(&url, &rules(&[])).await.unwrap_err();
    assert_eq!(refused.to_string(), "refused: 127.0.0.1 is a loopback address");
    let origin = format!("http://assets.shop.test:{}", addr.port());
    let listed = ProjectAssetRules { origins: crate::guard::OriginRules::new(&[origin], &[]), ..rules(&[]) };
    assert_eq!(fetcher.fetch(&url, &listed).await.unwrap().bytes, PNG);
}

/// A body without a length that never ends is refused once it passes the cap, not at the
/// timeout.
#[tokio::test]
async fn an_endless_body_is_refused_at_the_cap() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 2048];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("100\r\n{}\r\n", "x".repeat(256));
                while socket.write_all(chunk.as_bytes()).await.is_ok() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            });
        }
    });
    let fetcher = fetcher(&AssetsConfig { timeout_ms: 60_000, retries: 0, ..config() });
    assert_eq!(outcome(&fetcher, addr, "/endless.png", &rules(&[addr])).await, Err("too large: over 1 KiB".into()));
}

#[tokio::test]
async fn in_flight_fetches_to_one_origin_are_limited() {
    let other = other_site().await;
    let (addr, counters) = site(other).await;
    let fetcher = Arc::new(fetcher(&AssetsConfig { max_in_flight_per_origin: 2, timeout_ms: 5_000, ..config() }));
    let rules = rules(&[addr]);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let fetcher = Arc::clone(&fetcher);
        let rules = rules.clone();
        tasks.spawn(async move { outcome(&fetcher, addr, "/busy.png", &rules).await });
    }
    let mut fetched = 0;
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.unwrap().unwrap().bytes, PNG);
        fetched += 1;
    }
    assert_eq!(fetched, 8);
    let most = counters.most_busy.load(Ordering::SeqCst);
    assert!((1..=2).contains(&most), "{most} requests in flight to one origin");
}

#[test]
fn content_types() {
    let url = |path: &str| Url::parse(&format!("https://cdn.example.com{path}")).unwrap();
    assert_eq!(accepted_type(Some("font/woff2"), &url("/a")), Ok("font/woff2".into()));
    assert_eq!(accepted_type(Some("Image/SVG+XML; charset=utf-8"), &url("/a")), Ok("image/svg+xml".into()));
    assert_eq!(accepted_type(Some("application/x-font-ttf"), &url("/a")), Ok("application/x-font-ttf".into()));
    assert_eq!(
        accepted_type(Some("application/vnd.ms-fontobject"), &url("/a")),
        Ok("application/vnd.ms-fontobject".into())
    );
    assert_eq!(accepted_type(None, &url("/icons/a.ICO")), Ok("image/x-icon".into()));
    assert_eq!(accepted_type(Some("application/octet-stream"), &url("/f/a.otf?v=2")), Ok("font/otf".into()));
    assert_eq!(accepted_type(None, &url("/a.css")).unwrap_err().to_string(), "not an asset: no content type");
    assert_eq!(accepted_type(Some("text/html"), &url("/a.png")).unwrap_err().to_string(), "not an asset: text/html");
    assert_eq!(
        accepted_type(Some("application/json"), &url("/a.png")).unwrap_err().to_string(),
        "not an asset: application/json"
    );
}
