//! The query API's metrics, registered in the default Prometheus registry. docs/operations.md
//! lists them (a test keeps that list and this file in step).

use std::sync::LazyLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{register_histogram_vec, HistogramVec};

/// `playback_query_api_request_seconds{method, route, status}`: time until a response was
/// ready (its body may stream after that), by method, matched route template (such as
/// `/v1/sessions/{id}`) and status class (`2xx`, `3xx`, `4xx`, `5xx`). Requests that match no
/// route are not counted, so labels stay a closed set.
pub static REQUEST_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "playback_query_api_request_seconds",
        "Time until a response was ready, by method, route template and status class",
        &["method", "route", "status"],
        vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
    )
    .expect("metric registers once")
});

/// Touches every metric so that it is exported before its first event.
pub fn register() {
    LazyLock::force(&REQUEST_SECONDS);
}

/// Middleware for the router's routes (`Router::route_layer`, where the matched route is known):
/// observes each request's latency.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    if let Some(route) = route {
        REQUEST_SECONDS
            .with_label_values(&[method, &route, status_class(response.status())])
            .observe(started.elapsed().as_secs_f64());
    }
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        assert_eq!(status_class(StatusCode::OK), "2xx");
        assert_eq!(status_class(StatusCode::NOT_MODIFIED), "3xx");
        assert_eq!(status_class(StatusCode::NOT_FOUND), "4xx");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
    }
}
