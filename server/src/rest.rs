//! The REST API under `/api/v1`, with its OpenAPI document generated from the
//! handlers and types below (served at `/api/v1/openapi.json`).

pub mod access;
pub mod alerts;
pub mod audit;
pub mod backups;
pub mod changes;
pub mod deployments;
pub mod events;
pub mod manifests;
pub mod migrations;
pub mod offboarding;
pub mod plans;
pub mod problem;
pub mod releases;
pub mod rollouts;
pub mod secrets;
pub mod tenants;

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use app::backend::state::AppState;

use problem::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenantry API", version = "1", license(name = "Apache-2.0", identifier = "Apache-2.0"), description = "Tenant registry and lifecycle, releases and version compliance, change requests, approvals, rollouts and blue-green deployments. Authenticate with `Authorization: Bearer <token>` (create tokens in Settings → API tokens) or a browser session. Errors are `application/problem+json`."),
    components(schemas(problem::Problem, problem::FieldProblem)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "tenants"), (name = "config"), (name = "audit"), (name = "releases"),
        (name = "compliance"), (name = "policies"), (name = "endpoints"), (name = "agents"),
        (name = "changes"), (name = "approvals"), (name = "rollouts"), (name = "jobs"), (name = "deployments"), (name = "health"), (name = "events"), (name = "alerts"), (name = "plans"), (name = "backups"), (name = "manifests")),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every context's routes, relative to `/api/v1`. Each comes from its
/// handler's `#[utoipa::path]`, so no route exists without its OpenAPI entry.
fn contexts() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(tenants::routes())
        .merge(audit::routes())
        .merge(releases::routes())
        .merge(changes::routes())
        .merge(rollouts::routes())
        .merge(deployments::routes())
        .merge(events::routes())
        .merge(alerts::routes())
        .merge(plans::routes())
        .merge(backups::routes())
        .merge(offboarding::routes())
        .merge(migrations::routes())
        .merge(secrets::routes())
        .merge(manifests::routes())
}

/// The OpenAPI document the API serves, its paths under `/api/v1`.
pub fn document() -> utoipa::openapi::OpenApi {
    OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", contexts())
        .into_openapi()
}

async fn unknown_route() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not-found",
        "No such endpoint",
        "See /api/v1/openapi.json for the endpoints this API offers.",
    )
}

pub fn routes() -> Router<AppState> {
    let document = Arc::new(document());
    let (router, _) = contexts().split_for_parts();
    router
        .route(
            "/openapi.json",
            get(move || {
                let document = Arc::clone(&document);
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .fallback(unknown_route)
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "See /api/v1/openapi.json for the methods each endpoint accepts.",
            )
        })
        .layer(axum::middleware::from_fn(rate_limit_headers))
}

/// Every API answer tells the caller its rate limit (the IETF draft's
/// `RateLimit-*` headers): the tightest bucket the request was counted in.
/// Agents are counted here, before their handler, by their bearer token
/// (registering: by their address); everyone else when `Caller` knows them.
async fn rate_limit_headers(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use app::backend::rate_limit::{Subject, VerdictSlot, check, settings};
    let slot = VerdictSlot::default();
    request.extensions_mut().insert(slot.clone());
    let path = request.uri().path();
    if settings().enabled && (path.starts_with("/agents/") || path.starts_with("/api/v1/agents/")) {
        let who = request
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| crate::rest::access::client_address_of(&request))
            .unwrap_or_default();
        let verdict = check(
            Subject::Agent(Subject::digest(&who)),
            settings().agent_per_minute,
        );
        slot.put(verdict);
        if let Some(retry_after_seconds) = verdict.retry_after_seconds {
            let refused = axum::response::IntoResponse::into_response(ApiError::from(
                app::backend::error::ServiceError::RateLimited {
                    retry_after_seconds,
                },
            ));
            return with_rate_limit_headers(refused, &slot);
        }
    }
    let response = next.run(request).await;
    with_rate_limit_headers(response, &slot)
}

fn with_rate_limit_headers(
    mut response: axum::response::Response,
    slot: &app::backend::rate_limit::VerdictSlot,
) -> axum::response::Response {
    use axum::http::HeaderValue;
    if let Some(verdict) = slot.take() {
        let headers = response.headers_mut();
        headers.insert("ratelimit-limit", HeaderValue::from(verdict.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(verdict.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(verdict.reset_seconds));
        if let Ok(policy) = HeaderValue::from_str(&format!("{};w=60", verdict.limit)) {
            headers.insert("ratelimit-policy", policy);
        }
    }
    response
}
