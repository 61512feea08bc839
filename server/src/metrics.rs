//! `/metrics` in the Prometheus text format: the exporter (installed once
//! per process), the HTTP layer that times every request by its route
//! template, and the scrape handler that samples the gauges first.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use metrics_util::MetricKindMask;

use app::backend::metrics::{BuildInfo, InFlight, api_request, http_request, sample};
use app::backend::state::AppState;

pub const BUILD: BuildInfo = BuildInfo {
    version: env!("CARGO_PKG_VERSION"),
    commit: env!("TENANTRY_COMMIT"),
};

/// Seconds: from a fast page to a slow executor step.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Every gauge is set at each scrape; one no scrape set for this long (a
/// rollout that finished) is dropped rather than shown stale.
const STALE_GAUGE: Duration = Duration::from_secs(5);

static EXPORTER: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's exporter, installed on first use (tests start many servers
/// in one process; they share it).
pub fn exporter() -> PrometheusHandle {
    EXPORTER
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .expect("bucket list is not empty")
                .idle_timeout(MetricKindMask::GAUGE, Some(STALE_GAUGE))
                .install_recorder()
                .expect("the only metrics recorder of this process");
            // Histogram samples wait in per-thread buffers until upkeep
            // folds them into their buckets.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                })
                .expect("spawn the metrics upkeep thread");
            handle
        })
        .clone()
}

/// Times each request under its route template (`/api/v1/tenants/{id}`, not
/// the path asked for) and counts it in flight meanwhile.
pub async fn time_requests(request: Request, next: Next) -> Response {
    let (method, route, server_fn) = route_of(&request);
    let _in_flight = InFlight::enter();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    let route = label(route, server_fn, status);
    http_request(&method, &route, status.as_u16(), started.elapsed());
    response
}

/// Without `/metrics`, only the API's service-level window: what the
/// Service levels page reads.
pub async fn time_api_requests(request: Request, next: Next) -> Response {
    let (_, route, server_fn) = route_of(&request);
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    api_request(
        &label(route, server_fn, status),
        status.as_u16(),
        started.elapsed(),
    );
    response
}

/// The request's method, route template and (for a server function) its path.
fn route_of(request: &Request) -> (String, String, Option<String>) {
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => route_label(matched.as_str()),
        None if request.uri().path().starts_with("/pkg/") => "/pkg/*".to_owned(),
        None => "unmatched".to_owned(),
    };
    let method = request.method().as_str().to_owned();
    // Server functions share one route; the function's own path (a fixed,
    // registered set) says more. An unknown name answers 404 and keeps the
    // template, so callers cannot mint labels.
    let server_fn = request
        .uri()
        .path()
        .strip_prefix("/api/fn/")
        .map(|name| format!("/api/fn/{name}"));
    (method, route, server_fn)
}

fn label(route: String, server_fn: Option<String>, status: StatusCode) -> String {
    match server_fn {
        Some(path) if status != StatusCode::NOT_FOUND && path.len() <= 80 => path,
        _ => route,
    }
}

/// A route template as a label: `/tenants/{slug}` → `/tenants/:slug`
/// (braces inside label values trip simple text-format parsers).
fn route_label(template: &str) -> String {
    template
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) if name.starts_with('*') => name.to_owned(),
                Some(name) => format!(":{name}"),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Samples the gauges, then renders every series; `token` (when set) must
/// come as `Authorization: Bearer`.
pub async fn scrape(state: &AppState, token: Option<&str>, headers: &HeaderMap) -> Response {
    if let Some(token) = token {
        let offered = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !same_secret(offered, token) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
                "A bearer token (TENANTRY_METRICS_TOKEN) is required.\n",
            )
                .into_response();
        }
    }
    let exporter = exporter();
    if let Err(err) = sample(&state.db, &BUILD, state.clock.now()).await {
        tracing::warn!(error = %err, "could not sample the gauges for /metrics");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "The database could not be read for the gauges; try again.\n",
        )
            .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        exporter.render(),
    )
        .into_response()
}

/// Compares without an early exit, so the time taken does not tell how much
/// of a guess was right.
fn same_secret(offered: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(offered), Sha256::digest(expected));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The separate listener of `TENANTRY_METRICS_ADDR`: `/metrics` only.
pub fn router(state: AppState, token: Option<String>) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move |State(state): State<AppState>, headers: HeaderMap| {
                let token = token.clone();
                async move { scrape(&state, token.as_deref(), &headers).await }
            }),
        )
        .with_state(state)
}

#[cfg(test)]
mod tests {
    #[test]
    fn route_templates_become_plain_labels() {
        assert_eq!(
            super::route_label("/api/v1/tenants/{id}"),
            "/api/v1/tenants/:id"
        );
        assert_eq!(super::route_label("/api/fn/{*fn_name}"), "/api/fn/*fn_name");
        assert_eq!(super::route_label("/healthz"), "/healthz");
    }

    /// The `tenantry_*` names a monitoring file uses, `_bucket`/`_sum`/
    /// `_count` taken off histograms.
    fn series_used(text: &str) -> Vec<String> {
        let mut used = vec![];
        let mut rest = text;
        while let Some(at) = rest.find("tenantry_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            rest = &rest[at + name.len()..];
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .filter(|b| app::backend::metrics::SERIES.contains(b))
                .map_or(name.clone(), str::to_owned);
            used.push(base);
        }
        used
    }

    #[test]
    fn the_alert_rules_and_the_dashboard_use_only_served_series() {
        for file in ["tenantry-alerts.yml", "tenantry-dashboard.json"] {
            let path = format!("{}/../docs/monitoring/{file}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).expect("the monitoring file exists");
            let used = series_used(&text);
            assert!(used.len() > 10, "{file} uses the series");
            for name in used {
                assert!(
                    app::backend::metrics::SERIES.contains(&name.as_str()),
                    "{file} uses {name}, which /metrics does not serve"
                );
            }
        }
    }

    #[test]
    fn only_the_exact_token_opens_the_metrics() {
        assert!(super::same_secret("abc", "abc"));
        assert!(!super::same_secret("abd", "abc"));
        assert!(!super::same_secret("", "abc"));
    }
}
