//! The REST API under `/api/v1`, with its OpenAPI document generated from the
//! handlers and types below (served at `/api/v1/openapi.json`).

pub mod audit;
pub mod auth;
pub mod changes;
pub mod compliance;
pub mod deployments;
pub mod problem;
pub mod tenants;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use app::backend::state::AppState;

use problem::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenantry API", version = "1", description = "Tenant registry and lifecycle, releases and version compliance, change requests, approvals, rollouts and blue-green deployments. Authenticate with `Authorization: Bearer <token>` (create tokens in Settings → API tokens) or a browser session. Errors are `application/problem+json`."),
    paths(
        tenants::list, tenants::create, tenants::show, tenants::by_external_id, tenants::update,
        tenants::decommission, tenants::transition, tenants::audit, tenants::config,
        tenants::set_config, tenants::remove_config, audit::search,
        compliance::products, compliance::create_product, compliance::releases,
        compliance::save_release, compliance::organisation, compliance::tenant,
        compliance::set_tenant_product, compliance::policies_list, compliance::save_policy,
        compliance::delete_policy, compliance::extensions, compliance::request_extension,
        compliance::decide_extension, compliance::endpoints, compliance::register,
        compliance::report,
        changes::list, changes::create, changes::show, changes::decide, changes::cancel,
        changes::delay, changes::submit, changes::saved_filter_list, changes::saved_filter_create, changes::saved_filter_delete, changes::saved_filter_request, changes::delay_requests, changes::decide_delay_request, changes::approvals, changes::policy, changes::save_policy,
        changes::rollout_list, changes::rollout_create, changes::rollout_show,
        changes::rollout_action, changes::jobs, changes::executor_callback, changes::assignments, changes::assignment_progress,
        deployments::list, deployments::create, deployments::show, deployments::switch,
        deployments::action, deployments::settings, deployments::simulation,
        deployments::health_runs, deployments::baselines, deployments::save_baseline,
    ),
    components(schemas(problem::Problem, problem::FieldProblem)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "tenants"), (name = "config"), (name = "audit"), (name = "releases"),
        (name = "compliance"), (name = "policies"), (name = "endpoints"), (name = "agents"),
        (name = "changes"), (name = "approvals"), (name = "rollouts"), (name = "jobs"), (name = "deployments")),
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

async fn openapi_document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
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
    use axum::routing::{delete, post};
    Router::new()
        .route("/openapi.json", get(openapi_document))
        .route("/tenants", get(tenants::list).post(tenants::create))
        .route(
            "/tenants/{id}",
            get(tenants::show)
                .put(tenants::update)
                .delete(tenants::decommission),
        )
        .route(
            "/tenants/by-external-id/{system}/{value}",
            get(tenants::by_external_id),
        )
        .route("/tenants/{id}/transitions", post(tenants::transition))
        .route("/tenants/{id}/audit", get(tenants::audit))
        .route(
            "/tenants/{id}/config",
            get(tenants::config).put(tenants::set_config),
        )
        .route("/tenants/{id}/config/{key}", delete(tenants::remove_config))
        .route("/audit", get(audit::search))
        .route(
            "/products",
            get(compliance::products).post(compliance::create_product),
        )
        .route(
            "/releases",
            get(compliance::releases).post(compliance::save_release),
        )
        .route("/compliance", get(compliance::organisation))
        .route("/tenants/{id}/compliance", get(compliance::tenant))
        .route(
            "/tenants/{id}/products",
            post(compliance::set_tenant_product),
        )
        .route("/tenants/{id}/endpoints", get(compliance::endpoints))
        .route(
            "/tenants/{id}/extension-requests",
            post(compliance::request_extension),
        )
        .route(
            "/policies",
            get(compliance::policies_list).put(compliance::save_policy),
        )
        .route("/policies/{id}", delete(compliance::delete_policy))
        .route("/extension-requests", get(compliance::extensions))
        .route(
            "/extension-requests/{id}/decision",
            post(compliance::decide_extension),
        )
        .route("/agents/register", post(compliance::register))
        .route("/agents/report", post(compliance::report))
        .route("/change-requests", get(changes::list).post(changes::create))
        .route("/change-requests/{id}", get(changes::show))
        .route("/change-requests/{id}/decision", post(changes::decide))
        .route("/change-requests/{id}/cancel", post(changes::cancel))
        .route("/change-requests/{id}/delay", post(changes::delay))
        .route("/change-requests/{id}/submit", post(changes::submit))
        .route("/approvals", get(changes::approvals))
        .route("/delay-requests", get(changes::delay_requests))
        .route(
            "/saved-filters",
            get(changes::saved_filter_list).post(changes::saved_filter_create),
        )
        .route(
            "/saved-filters/{id}",
            axum::routing::delete(changes::saved_filter_delete),
        )
        .route(
            "/saved-filters/{id}/change-requests",
            post(changes::saved_filter_request),
        )
        .route(
            "/delay-requests/{id}/decision",
            post(changes::decide_delay_request),
        )
        .route(
            "/tenants/{id}/update-policy",
            get(changes::policy).put(changes::save_policy),
        )
        .route(
            "/rollouts",
            get(changes::rollout_list).post(changes::rollout_create),
        )
        .route("/rollouts/{id}", get(changes::rollout_show))
        .route("/rollouts/{id}/{action}", post(changes::rollout_action))
        .route("/jobs", get(changes::jobs))
        .route("/executor/callback", post(changes::executor_callback))
        .route("/agents/assignments", get(changes::assignments))
        .route(
            "/agents/assignments/{id}",
            post(changes::assignment_progress),
        )
        .route(
            "/deployments",
            get(deployments::list).post(deployments::create),
        )
        .route("/deployments/{id}", get(deployments::show))
        .route("/deployments/{id}/switch", post(deployments::switch))
        .route(
            "/deployments/{id}/settings",
            axum::routing::put(deployments::settings),
        )
        .route(
            "/deployments/{id}/simulation",
            axum::routing::put(deployments::simulation),
        )
        .route(
            "/deployments/{id}/health-runs",
            get(deployments::health_runs),
        )
        .route("/deployments/{id}/{action}", post(deployments::action))
        .route("/health-baselines", get(deployments::baselines))
        .route(
            "/health-baselines/{product}",
            axum::routing::put(deployments::save_baseline),
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
}
