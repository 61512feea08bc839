//! Tenant migrations: a tenant's placement and its moves to another region
//! or isolation mode (ask for one, follow it step by step).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use app::backend::services::tenants::migrations;
use app::backend::state::AppState;
use app::model::tenants::migrations::{MigrationForm, MigrationRow, TenantMigrations};

use super::access::Caller;
use super::problem::{ApiJson, ApiPath, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tenant_migrations, request_migration))
}

/// The tenant's placement (region, isolation, address), the regions it may
/// move to (its allowed regions the installation runs) and its migrations,
/// newest first, each with its placement decision and steps.
#[utoipa::path(get, path = "/tenants/{id}/migrations", tag = "backups",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = TenantMigrations), (status = 404, body = Problem)))]
pub async fn tenant_migrations(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TenantMigrations>> {
    Ok(Json(migrations::view(&caller.ctx, &id).await?))
}

/// Moves the tenant to another region (one of its allowed regions the
/// installation runs: data residency) or isolation mode (`tenant.lifecycle`;
/// the slug typed to confirm). A change routed like any other carries it out
/// step by step through the executor — back up, prepare the target, migrate
/// the data, validate the baseline on the target, cut over, clean up the
/// source — each step resumable after a crash; a failure before the
/// cut-over tears the target down and the tenant stays where it was.
#[utoipa::path(post, path = "/tenants/{id}/migrations", tag = "backups", request_body = MigrationForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 201, body = MigrationRow), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_migration(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<MigrationForm>,
) -> ApiResult<(StatusCode, Json<MigrationRow>)> {
    let requested = migrations::request(&caller.ctx, &id, &body).await?;
    Ok((StatusCode::CREATED, Json(requested)))
}
