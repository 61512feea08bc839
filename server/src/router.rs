//! The one router used by `tenantry serve` and by the HTTP tests: Leptos pages
//! and server functions, health endpoints, sessions, request ids and the guards.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http_body_util::BodyExt;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use app::backend::audit::ClientAddress;
use app::backend::session::AuthSession;
use app::backend::session_store::DbSessionStore;
use app::backend::state::AppState;
use app::domain::untrusted::is_acceptable_request_id;
use app::{App, shell};

pub const SESSION_COOKIE: &str = "tenantry_session";
/// Carries a page's script nonce from Leptos to the CSP header (removed
/// before the response leaves).
const NONCE_HEADER: &str = "x-tenantry-script-nonce";
const REQUEST_ID: &str = "x-request-id";

/// What the HTTP layer enforces around every route.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// `Secure` cookies and HSTS (on when the public URL is https).
    pub secure_cookies: bool,
    pub ttl_hours: i64,
    /// Largest request body, in bytes (agents' reports: `agent_max_body_bytes`).
    pub max_body_bytes: usize,
    pub agent_max_body_bytes: usize,
    /// Peers whose `X-Forwarded-For` / `Forwarded` name the real client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Requests are timed for `/metrics` (served here when a token is set).
    pub metrics: bool,
    pub metrics_token: Option<String>,
}

#[derive(Clone, Copy)]
struct BodyLimits {
    default: usize,
    agents: usize,
}

pub fn build_router(state: AppState, sessions: HttpSettings) -> Router {
    let routes = generate_route_list(App);
    let session_layer = SessionManagerLayer::new(
        DbSessionStore::new(state.db.clone()).with_reads(state.reads.clone()),
    )
    .with_name(SESSION_COOKIE)
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(sessions.secure_cookies)
    .with_path("/")
    .with_expiry(Expiry::OnInactivity(time::Duration::hours(
        sessions.ttl_hours,
    )));
    let request_id_header = header::HeaderName::from_static(REQUEST_ID);

    let router = match sessions.metrics_token.clone() {
        Some(token) => Router::new().route(
            "/metrics",
            get(
                move |State(state): State<AppState>, headers: axum::http::HeaderMap| {
                    let token = token.clone();
                    async move { crate::metrics::scrape(&state, Some(&token), &headers).await }
                },
            ),
        ),
        None => Router::new().route("/metrics", get(metrics_off)),
    };
    let router = router
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/runbooks/{rule}", get(crate::runbooks::runbook))
        .route("/audit/export.csv", get(crate::exports::audit_csv))
        .route(
            "/compliance/export.csv",
            get(crate::exports::compliance_csv),
        )
        .route(
            "/compliance/distribution.csv",
            get(crate::exports::distribution_csv),
        )
        .route(
            "/tenants/{slug}/endpoints.csv",
            get(crate::exports::endpoints_csv),
        )
        .route(
            "/tenants/{slug}/export.zip",
            get(crate::exports::tenant_export_zip),
        )
        .route(
            "/tenants/{slug}/offboarding/export.zip",
            get(crate::exports::offboarding_export_zip),
        )
        .nest("/api/v1", crate::rest::routes())
        .leptos_routes_with_context(&state, routes, provide_script_nonce, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell));
    let router = router.layer(middleware::from_fn(request_span));
    let router = if sessions.metrics {
        crate::metrics::exporter();
        router.layer(middleware::from_fn(crate::metrics::time_requests))
    } else {
        router.layer(middleware::from_fn(crate::metrics::time_api_requests))
    };
    router
        .layer(middleware::from_fn(undecodable_input_is_not_a_server_error))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_sign_in,
        ))
        .layer(session_layer)
        .layer(middleware::from_fn(refuse_cross_site_mutations))
        .layer(middleware::from_fn_with_state(
            sessions.secure_cookies,
            add_security_headers,
        ))
        // Bodies are limited by `limit_request_bodies` (per route family), not
        // by axum's fixed default.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            BodyLimits {
                default: sessions.max_body_bytes,
                agents: sessions.agent_max_body_bytes,
            },
            limit_request_bodies,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::new(sessions.trusted_proxies.clone()),
            resolve_client_address,
        ))
        .layer(PropagateRequestIdLayer::new(request_id_header.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<Body>| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // The request id is the correlation id of what the request
                    // starts (the access line carries it; `request_span`
                    // adds what the handler learns).
                    tracing::info_span!(
                        "http",
                        method = %request.method(),
                        path = %loggable_path(request.uri().path()),
                        request_id = %request_id,
                        correlation_id = %request_id,
                    )
                })
                // One line per answered request (the access log), at info.
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::new(request_id_header, MakeRequestUuid))
        .layer(middleware::from_fn(drop_unacceptable_request_ids))
        .with_state(state)
}

/// The span a request's own work logs in, inside the session layer (whose
/// span would otherwise be the current one): it starts with the request id
/// as correlation id, and `log_context` fills in the tenant, the principal
/// and the change as the handler learns them — the same fields a job's span
/// has.
async fn request_span(request: Request, next: Next) -> Response {
    use tracing::Instrument;
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let span = app::work_span!(
        "request",
        request_id = %request_id,
        correlation_id = %request_id,
    );
    next.run(request).instrument(span).await
}

/// Without `TENANTRY_METRICS_TOKEN` the main listener has no metrics.
async fn metrics_off() -> StatusCode {
    StatusCode::NOT_FOUND
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// A caller's `X-Request-Id` lands in logs, audit records and CSV exports:
/// one that is long or not plain is dropped, and the server makes its own.
async fn drop_unacceptable_request_ids(mut request: Request, next: Next) -> Response {
    let acceptable = request
        .headers()
        .get(REQUEST_ID)
        .map(|v| v.to_str().is_ok_and(is_acceptable_request_id));
    if acceptable == Some(false) {
        request.headers_mut().remove(REQUEST_ID);
    }
    next.run(request).await
}

/// The path as it may be logged: the secret segment of invitation and
/// password-reset links is replaced (query strings are never logged).
pub fn loggable_path(path: &str) -> String {
    for prefix in ["/invitations/", "/reset-password/"] {
        if let Some(rest) = path.strip_prefix(prefix)
            && !rest.is_empty()
        {
            let after = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
            return format!("{prefix}[redacted]{after}");
        }
    }
    path.to_owned()
}

/// Refuses a body larger than the route's limit: at once (413) when its
/// declared length says so, and as soon as it grows past the limit when it
/// is streamed, so no handler ever holds more than the limit in memory.
async fn limit_request_bodies(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    let limit = if request.uri().path().starts_with("/api/v1/agents/") {
        limits.agents
    } else {
        limits.default
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return body_too_large(limit);
    }
    // A streamed (chunked) body has no length to check up front; the limited
    // body notes when it overflows, so whatever the handler made of the
    // read error (a server function says 400 or 500), the answer is 413.
    let overflowed = Arc::new(AtomicBool::new(false));
    let noted = overflowed.clone();
    let (parts, body) = request.into_parts();
    let limited =
        http_body_util::Limited::new(body, limit).map_err(move |error: axum::BoxError| {
            if error.is::<http_body_util::LengthLimitError>() {
                noted.store(true, Ordering::SeqCst);
            }
            error
        });
    let response = next
        .run(Request::from_parts(parts, Body::new(limited)))
        .await;
    if overflowed.load(Ordering::SeqCst) {
        return body_too_large(limit);
    }
    response
}

fn body_too_large(limit: usize) -> Response {
    let problem = serde_json::json!({
        "type": "about:blank",
        "title": "Request body too large",
        "status": 413,
        "detail": format!("Send at most {limit} bytes in one request."),
    });
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/problem+json")],
        problem.to_string(),
    )
        .into_response()
}

/// The address of the client: the peer itself, unless the peer is a
/// trusted proxy; then the nearest address in `X-Forwarded-For` (or
/// `Forwarded: for=`) that is not itself a trusted proxy. Headers from
/// anyone else are ignored, so a client cannot choose its own address.
async fn resolve_client_address(
    State(trusted): State<Arc<Vec<ipnet::IpNet>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(peer) = peer {
        let client = client_behind_proxies(peer, request.headers(), &trusted);
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

pub fn client_behind_proxies(
    peer: IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut hops: Vec<IpAddr> = Vec::new();
    let forwarded_for = headers.get_all("x-forwarded-for");
    if forwarded_for.iter().next().is_some() {
        for value in forwarded_for {
            let Ok(text) = value.to_str() else {
                return peer;
            };
            for hop in text.split(',') {
                match hop.trim().parse() {
                    Ok(ip) => hops.push(ip),
                    Err(_) => return peer,
                }
            }
        }
    } else {
        for value in headers.get_all(header::FORWARDED) {
            let Ok(text) = value.to_str() else {
                return peer;
            };
            for element in text.split(',') {
                let Some(node) = element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.eq_ignore_ascii_case("for").then_some(value)
                }) else {
                    continue;
                };
                let node = node.trim_matches('"');
                let node = node
                    .strip_prefix('[')
                    .and_then(|v6| v6.split_once(']').map(|(ip, _)| ip))
                    .unwrap_or_else(|| node.split(':').next().unwrap_or(node));
                match node.parse() {
                    Ok(ip) => hops.push(ip),
                    Err(_) => return peer,
                }
            }
        }
    }
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

/// Paths anyone may fetch: the login page, assets, server functions (which
/// check the session themselves) and health probes.
fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/forgot-password"
        || path == "/login/verify"
        || path.starts_with("/invitations/")
        || path.starts_with("/reset-password/")
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
        || path == "/favicon.ico"
        || path == "/favicon.svg"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
}

/// Every page except the public ones needs a live session; otherwise the
/// browser goes to the login page and comes back afterwards.
async fn require_sign_in(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let is_page_read = matches!(*request.method(), Method::GET | Method::HEAD);
    if !is_page_read || (is_public(&path) && path != "/login") {
        return next.run(request).await;
    }
    let signed_in = matches!(
        AuthSession::new(session, state.clock.clone())
            .principal(&state.reads, &state.accounts)
            .await,
        Ok(Some(_))
    );
    match (signed_in, path.as_str()) {
        (true, "/login") => Redirect::to("/").into_response(),
        (false, "/login") | (true, _) => next.run(request).await,
        (false, _) => {
            let target = request
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/");
            let next_param: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
            Redirect::to(&format!("/login?next={next_param}")).into_response()
        }
    }
}

/// Every page gets a fresh script nonce: Leptos puts it on its hydration
/// and streaming scripts, and the CSP names it, so no other inline script
/// (an injected one) runs.
fn provide_script_nonce() {
    use leptos::prelude::use_context;
    leptos::nonce::provide_nonce();
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(value) = HeaderValue::from_str(&nonce)
    {
        response.insert_header(header::HeaderName::from_static(NONCE_HEADER), value);
    }
}

/// The script sources of a response: this origin, the page's nonce (its
/// inline hydration scripts) and WebAssembly; never any other inline script.
fn content_security_policy(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The browser-side protections every response carries. Scripts must come
/// from this origin or carry the page's nonce, no framing anywhere, no MIME
/// sniffing, no referrer to other sites; HSTS when served over HTTPS.
async fn add_security_headers(State(https): State<bool>, request: Request, next: Next) -> Response {
    let static_asset = is_static_asset(request.uri().path());
    let mut response = next.run(request).await;
    let nonce = response
        .headers_mut()
        .remove(NONCE_HEADER)
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .filter(|n| {
            n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(&b))
        });
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(nonce.as_deref())) {
        response
            .headers_mut()
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(policy);
    }
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "same-origin");
    set(
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    set(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if https {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    // Pages and API answers carry people's data: no cache keeps a copy.
    // Only the hashed build assets may be cached.
    if !static_asset {
        set(header::CACHE_CONTROL, "no-store");
    }
    response
}

fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico" || path == "/favicon.svg"
}

/// Server functions turn arguments they cannot decode into a validation
/// error (`AppError::from_server_fn_error`), but the framework sends every
/// error it raises itself with status 500. Bad input is never a server
/// error: such responses become 422 with the same body.
async fn undecodable_input_is_not_a_server_error(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/fn/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if matches!(
        serde_json::from_slice::<app::error::AppError>(&bytes),
        Ok(app::error::AppError::Validation(_))
    ) {
        parts.status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// CSRF defence in depth on top of SameSite=Lax cookies: a state-changing
/// request whose Origin is another site is refused.
async fn refuse_cross_site_mutations(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(|o| o.split_once("://").map(|(_, rest)| rest).unwrap_or(o));
    let cross_site_fetch =
        headers.get("sec-fetch-site") == Some(&HeaderValue::from_static("cross-site"));
    let origin_mismatch = matches!((origin_host, host), (Some(origin), Some(host)) if origin != host)
        || matches!((origin_host, host), (Some(origin), None) if origin != "null");
    if cross_site_fetch || origin_mismatch {
        tracing::warn!(
            ?origin_host,
            ?host,
            "refused cross-site state-changing request"
        );
        return (
            StatusCode::FORBIDDEN,
            "Cross-site requests may not change data.",
        )
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::{client_behind_proxies, is_public, loggable_path};
    use axum::http::HeaderMap;

    #[test]
    fn secret_link_segments_are_not_logged() {
        assert_eq!(
            loggable_path("/invitations/abc123secret"),
            "/invitations/[redacted]"
        );
        assert_eq!(
            loggable_path("/reset-password/s3cr3t/confirm"),
            "/reset-password/[redacted]/confirm"
        );
        assert_eq!(loggable_path("/tenants/acme"), "/tenants/acme");
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.9, 10.0.0.7".parse().unwrap());
        let proxy = "10.0.0.2".parse().unwrap();
        let stranger = "198.51.100.4".parse().unwrap();
        assert_eq!(
            client_behind_proxies(proxy, &headers, &trusted),
            "203.0.113.9".parse::<std::net::IpAddr>().unwrap()
        );
        assert_eq!(
            client_behind_proxies(stranger, &headers, &trusted),
            stranger
        );
        assert_eq!(client_behind_proxies(proxy, &headers, &[]), proxy);
        // A client cannot prepend a fake hop in front of the real one.
        headers.insert("x-forwarded-for", "1.2.3.4, 203.0.113.9".parse().unwrap());
        assert_eq!(
            client_behind_proxies(proxy, &headers, &trusted),
            "203.0.113.9".parse::<std::net::IpAddr>().unwrap()
        );
        let mut forwarded = HeaderMap::new();
        forwarded.insert(
            "forwarded",
            "for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.9"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            client_behind_proxies(proxy, &forwarded, &trusted),
            "2001:db8::7".parse::<std::net::IpAddr>().unwrap()
        );
    }

    #[test]
    fn pages_are_private_and_assets_are_public() {
        for public in [
            "/login",
            "/healthz",
            "/readyz",
            "/pkg/tenantry.wasm",
            "/api/fn/login",
        ] {
            assert!(is_public(public), "{public}");
        }
        for private in ["/", "/tenants", "/audit", "/login-other"] {
            assert!(!is_public(private), "{private}");
        }
    }
}
