//! Fetching one asset: guarded hops, redirects by hand, a size cap while the body streams, a
//! content-type check, retries of what may pass on a retry, and limits on what is in flight.
//!
//! Each hop is checked by the [`Guard`] first, then requested through a client whose DNS
//! resolver answers only the host just checked, with only the addresses checked: the
//! connection goes where the guard looked, and nowhere else. The client has no proxy (the
//! environment's proxy settings would bypass the guard) and follows no redirect itself.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::{AssetsConfig, ProjectAssetRules};
use crate::failure::{Failure, Refusal};
use crate::guard::{origin_of, Checked, Guard};
use crate::metrics;

/// Redirects followed at most; the sixth is refused.
pub const MAX_REDIRECTS: usize = 5;

/// The user agent of asset fetches.
const USER_AGENT: &str = concat!("Playback-Assets/", env!("CARGO_PKG_VERSION"));

/// Origins whose idle semaphores are kept; past it, idle ones are forgotten.
const MAX_ORIGIN_SEMAPHORES: usize = 1024;

/// An asset as fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The media type stored with it: the response's essence (`text/css`, `font/woff2`), or the
    /// one its extension names when the server sent none or `application/octet-stream`.
    pub content_type: String,
}

/// The limits of fetching, from [`AssetsConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limits {
    timeout: Duration,
    max_bytes: u64,
    retries: u32,
    backoff: Duration,
    per_origin: usize,
}

/// Fetches assets under the guard and the in-flight limits.
pub struct Fetcher {
    guard: Guard,
    limits: Limits,
    in_flight: Arc<Semaphore>,
    per_origin: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Fetcher {
    pub fn new(guard: Guard, config: &AssetsConfig) -> Self {
        let limits = Limits {
            timeout: Duration::from_millis(config.timeout_ms.max(1)),
            max_bytes: config.max_asset_bytes,
            retries: config.retries,
            backoff: Duration::from_millis(config.retry_backoff_ms),
            per_origin: config.max_in_flight_per_origin.max(1),
        };
        Fetcher {
            guard,
            limits,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            per_origin: Mutex::new(HashMap::new()),
        }
    }

    /// Fetches `url` for a project with `rules`, retrying timeouts, connection errors, 429 and
    /// 5xx with exponential backoff.
    pub async fn fetch(&self, url: &Url, rules: &ProjectAssetRules) -> Result<Fetched, Failure> {
        let mut delay = self.limits.backoff;
        let mut attempt = 0;
        loop {
            let outcome = self.fetch_once(url, rules).await;
            match outcome {
                Err(failure) if failure.is_transient() && attempt < self.limits.retries => {
                    attempt += 1;
                    metrics::RETRIES.inc();
                    tracing::debug!(message = "retrying asset fetch", url = %url, error = %failure, attempt);
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                }
                outcome => return outcome,
            }
        }
    }

    /// One try: the hops of `url` up to a final answer.
    async fn fetch_once(&self, url: &Url, rules: &ProjectAssetRules) -> Result<Fetched, Failure> {
        let first_origin = origin_of(url);
        let mut current = url.clone();
        let mut redirects = 0;
        loop {
            let redirect = redirects > 0;
            let checked = self.guard.check(&current, &rules.origins, redirect).await?;
            let headers = if origin_of(&current) == first_origin { &rules.headers } else { &BTreeMap::new() };
            match self.hop(&current, checked, headers).await? {
                Hop::Done(fetched) => return Ok(fetched),
                Hop::Redirect(next) => {
                    redirects += 1;
                    if redirects > MAX_REDIRECTS {
                        return Err(Failure::Refused(Refusal::TooManyRedirects));
                    }
                    current = next;
                }
            }
        }
    }

    /// One request to the addresses `checked`, inside the in-flight limits.
    async fn hop(&self, url: &Url, checked: Checked, headers: &BTreeMap<String, String>) -> Result<Hop, Failure> {
        let host = url.host_str().unwrap_or_default().to_string();
        let _origin_permit = acquire(self.origin_semaphore(&origin_of(url))).await;
        let _permit = acquire(Arc::clone(&self.in_flight)).await;
        metrics::IN_FLIGHT.inc();
        let answer = tokio::time::timeout(self.limits.timeout, self.request(url, checked, headers)).await;
        metrics::IN_FLIGHT.dec();
        match answer {
            Ok(answer) => answer,
            Err(_) => Err(Failure::TimedOut { after_ms: self.limits.timeout.as_millis() as u64, host }),
        }
    }

    async fn request(&self, url: &Url, checked: Checked, headers: &BTreeMap<String, String>) -> Result<Hop, Failure> {
        let host = url.host_str().unwrap_or_default().to_string();
        let client = client(checked, self.limits.timeout).map_err(|_| Failure::Connection { host: host.clone() })?;
        let request = client.get(url.as_str()).headers(header_map(headers));
        let mut response = request.send().await.map_err(|error| transport_failure(&error, &host, self.limits))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers().get(LOCATION).and_then(|value| value.to_str().ok());
            let next = location.and_then(|location| url.join(location).ok());
            return match next {
                Some(mut next) => {
                    next.set_fragment(None);
                    Ok(Hop::Redirect(next))
                }
                None => Err(Failure::Status { code: status.as_u16(), host }),
            };
        }
        if !status.is_success() {
            return Err(Failure::Status { code: status.as_u16(), host });
        }
        let declared = response.headers().get(CONTENT_TYPE).and_then(|value| value.to_str().ok());
        let content_type = accepted_type(declared, url)?;
        let too_large = Failure::TooLarge { max_bytes: self.limits.max_bytes };
        let length = response.headers().get(CONTENT_LENGTH).and_then(|value| value.to_str().ok());
        if length.and_then(|length| length.parse::<u64>().ok()).is_some_and(|length| length > self.limits.max_bytes) {
            return Err(too_large);
        }
        let mut bytes = Vec::new();
        loop {
            let chunk = response.chunk().await.map_err(|error| transport_failure(&error, &host, self.limits))?;
            let Some(chunk) = chunk else {
                break;
            };
            if (bytes.len() + chunk.len()) as u64 > self.limits.max_bytes {
                return Err(too_large);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Hop::Done(Fetched { bytes, content_type }))
    }

    /// The semaphore of `origin`, made on first use.
    fn origin_semaphore(&self, origin: &str) -> Arc<Semaphore> {
        let mut semaphores = self.per_origin.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if semaphores.len() >= MAX_ORIGIN_SEMAPHORES && !semaphores.contains_key(origin) {
            let per_origin = self.limits.per_origin;
            semaphores.retain(|_, semaphore| semaphore.available_permits() < per_origin);
        }
        let semaphore =
            semaphores.entry(origin.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_origin)));
        Arc::clone(semaphore)
    }
}

/// What one hop answered.
enum Hop {
    Done(Fetched),
    Redirect(Url),
}

async fn acquire(semaphore: Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    // The semaphores are never closed.
    semaphore.acquire_owned().await.ok()
}

/// A client that connects only to the addresses `checked` allows.
fn client(checked: Checked, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(USER_AGENT)
        .dns_resolver(Arc::new(Pinned { host: checked.host, addrs: checked.addrs }))
        .build()
}

/// A DNS resolver that answers one name, with the addresses the guard checked.
struct Pinned {
    host: String,
    addrs: Vec<SocketAddr>,
}

impl reqwest::dns::Resolve for Pinned {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let answer: Result<reqwest::dns::Addrs, Box<dyn std::error::Error + Send + Sync>> =
            if name.as_str().eq_ignore_ascii_case(&self.host) {
                Ok(Box::new(self.addrs.clone().into_iter()))
            } else {
                Err(format!("{} was not checked", name.as_str()).into())
            };
        Box::pin(async move { answer })
    }
}

/// The extra headers, those that are not valid header names or values left out.
fn header_map(headers: &BTreeMap<String, String>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        match (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str())) {
            (Ok(name), Ok(value)) => {
                map.insert(name, value);
            }
            _ => tracing::warn!(message = "asset request header left out: not a valid header", name),
        }
    }
    map
}

fn transport_failure(error: &reqwest::Error, host: &str, limits: Limits) -> Failure {
    if error.is_timeout() {
        Failure::TimedOut { after_ms: limits.timeout.as_millis() as u64, host: host.to_string() }
    } else {
        Failure::Connection { host: host.to_string() }
    }
}

/// The media type to store for a response declared as `declared` for `url`, or why it is not
/// an asset: stylesheets, fonts and images; `application/octet-stream` or no type only for a
/// URL whose extension is a font or an image one.
pub fn accepted_type(declared: Option<&str>, url: &Url) -> Result<String, Failure> {
    let essence = declared
        .map(|declared| declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .filter(|essence| !essence.is_empty());
    match essence.as_deref() {
        Some(kind)
            if kind.starts_with("image/")
                || kind.starts_with("font/")
                || kind == "text/css"
                || kind.starts_with("application/font-")
                || kind.starts_with("application/x-font-")
                || kind == "application/vnd.ms-fontobject" =>
        {
            Ok(kind.to_string())
        }
        None | Some("application/octet-stream") => match type_of_extension(url) {
            Some(kind) => Ok(kind.to_string()),
            None => Err(Failure::NotAnAsset { content_type: essence.unwrap_or_else(|| "no content type".into()) }),
        },
        Some(other) => Err(Failure::NotAnAsset { content_type: other.to_string() }),
    }
}

/// The font or image media type of the last path segment's extension.
fn type_of_extension(url: &Url) -> Option<&'static str> {
    let name = url.path_segments()?.next_back()?;
    let (_, extension) = name.rsplit_once('.')?;
    let kind = match extension.to_ascii_lowercase().as_str() {
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "eot" => "application/vnd.ms-fontobject",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "ico" | "cur" => "image/x-icon",
        "bmp" => "image/bmp",
        _ => return None,
    };
    Some(kind)
}

#[cfg(test)]
mod tests;
