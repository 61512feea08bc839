//! `/api/v1/tenants/{id}/health`: a tenant's health baselines over HTTP —
//! the same service as the Health tab.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::backend::services::tenants::{health, overview, trouble};
use app::backend::state::AppState;
use app::model::tenants::health::{HealthRunRow, TenantHealth};
use app::model::tenants::overview::TenantOverview;
use app::model::tenants::trouble::{TroublePage, TroubleQuery};

use crate::rest::access::Caller;
use crate::rest::problem::{ApiJson, ApiPath, ApiQuery, ApiResult, Problem};

/// The tenant's health: address, state, failing runs in a row, the last
/// runs with per-check results and 30 days of pass rates.
#[utoipa::path(get, path = "/tenants/{id}/health", tag = "health",
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = TenantHealth), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TenantHealth>> {
    Ok(Json(health::view(&caller.ctx, &id, &state.health).await?))
}

/// Run the tenant's baselines now; the run is recorded and judged like a
/// periodic one.
#[utoipa::path(post, path = "/tenants/{id}/health/runs", tag = "health",
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 201, body = HealthRunRow), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<HealthRunRow>)> {
    let run = health::run_now(&caller.ctx, &id, &state.health, state.executor.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(run)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddressRequest {
    /// `http(s)://host[:port][/path]`; empty or null stops the validation.
    pub base_url: Option<String>,
}

/// Set where the tenant's checks are probed (vendor only).
#[utoipa::path(put, path = "/tenants/{id}/health/address", tag = "health", request_body = AddressRequest,
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = TenantHealth), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn set_address(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AddressRequest>,
) -> ApiResult<Json<TenantHealth>> {
    health::set_address(
        &caller.ctx,
        &id,
        body.base_url.as_deref().unwrap_or_default(),
    )
    .await?;
    show(State(state), caller, ApiPath(id)).await
}

/// The tenant in one place: health against the availability target (30
/// days), versions and compliance, changes in flight, failures and
/// rollbacks, webhook deliveries, router traffic, open alerts (the vendor's
/// people only) and the trouble they add up to.
#[utoipa::path(get, path = "/tenants/{id}/overview", tag = "health",
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = TenantOverview), (status = 404, body = Problem)))]
pub async fn show_overview(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TenantOverview>> {
    Ok(Json(
        overview::overview(&caller.ctx, &id, &state.health).await?,
    ))
}

/// The tenants the caller reads, ranked by trouble (broken, failing health,
/// failed changes, out of compliance, availability under target), worst
/// first; tenants in no trouble are counted, not listed.
#[utoipa::path(get, path = "/tenant-trouble", tag = "health", params(TroubleQuery),
    responses((status = 200, body = TroublePage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn ranked_by_trouble(
    State(_state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<TroubleQuery>,
) -> ApiResult<Json<TroublePage>> {
    Ok(Json(trouble::ranked(&caller.ctx, &query).await?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show))
        .routes(routes!(show_overview))
        .routes(routes!(ranked_by_trouble))
        .routes(routes!(run))
        .routes(routes!(set_address))
}
