//! `/api/v1/tenants/{id}/health`: a tenant's health baselines over HTTP —
//! the same service as the Health tab.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::backend::services::tenants::health;
use app::backend::state::AppState;
use app::model::tenants::health::{HealthRunRow, TenantHealth};

use crate::rest::access::Caller;
use crate::rest::problem::{ApiJson, ApiPath, ApiResult, Problem};

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

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show))
        .routes(routes!(run))
        .routes(routes!(set_address))
}
