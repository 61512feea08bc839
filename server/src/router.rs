//! The one router used by `tenantry serve` and by the HTTP tests: Leptos pages
//! and server functions, health endpoints, sessions, request ids and the guards.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use app::backend::session::AuthSession;
use app::backend::session_store::DbSessionStore;
use app::backend::state::AppState;
use app::{App, shell};

pub const SESSION_COOKIE: &str = "tenantry_session";
const REQUEST_ID: &str = "x-request-id";

#[derive(Clone, Debug)]
pub struct SessionSettings {
    pub secure_cookies: bool,
    pub ttl_hours: i64,
}

pub fn build_router(state: AppState, sessions: SessionSettings) -> Router {
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

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/audit/export.csv", get(crate::exports::audit_csv))
        .route("/compliance/export.csv", get(crate::exports::compliance_csv))
        .route("/compliance/distribution.csv", get(crate::exports::distribution_csv))
        .route("/tenants/{slug}/endpoints.csv", get(crate::exports::endpoints_csv))
        .nest("/api/v1", crate::rest::routes())
        .leptos_routes_with_context(&state, routes, || (), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(undecodable_input_is_not_a_server_error))
        .layer(middleware::from_fn_with_state(state.clone(), require_sign_in))
        .layer(session_layer)
        .layer(middleware::from_fn(refuse_cross_site_mutations))
        .layer(middleware::from_fn_with_state(
            sessions.secure_cookies,
            add_security_headers,
        ))
        .layer(PropagateRequestIdLayer::new(request_id_header.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
            let request_id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %request_id)
        }))
        .layer(SetRequestIdLayer::new(request_id_header, MakeRequestUuid))
        .with_state(state)
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
        AuthSession(session)
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

/// The browser-side protections every response carries. Scripts must come
/// from this origin (inline ones too: Leptos hydrates through an inline
/// module script), no framing anywhere, no MIME sniffing, no referrer to
/// other sites; HSTS when the portal is served over HTTPS.
async fn add_security_headers(State(https): State<bool>, request: Request, next: Next) -> Response {
    const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
        style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
        object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
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
    response
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
    use super::is_public;

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
