//! `/api/v1/deployments`: blue-green edge deployments, their switches and
//! actions, health baselines and health-check runs. Thin: one service each.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use app::backend::services::deployments;
use app::backend::state::AppState;
use app::domain::deployments::health::HealthCheck;
use app::model::deployments::{
    BaselineView, DeploymentDetail, DeploymentForm, DeploymentRow, HealthRunRow, Simulation,
    SwitchForm, SwitchSettingsForm,
};

use super::access::Caller;
use super::changes::Created;
use super::problem::{ApiJson, ApiPath, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every edge deployment the caller may read.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeploymentList {
    pub items: Vec<DeploymentRow>,
}

/// Every edge deployment the caller may read, with switches in progress.
#[utoipa::path(get, path = "/deployments", tag = "deployments",
    responses((status = 200, body = DeploymentList), (status = 401, body = Problem)))]
pub async fn list(
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<DeploymentList>> {
    let items = deployments::fleet(&caller.ctx).await?;
    Ok(Json(DeploymentList { items }))
}

/// Puts a tenant's product on blue-green; blue runs `version` and is live.
#[utoipa::path(post, path = "/deployments", tag = "deployments", request_body = DeploymentForm,
    responses((status = 201, body = Created), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DeploymentForm>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = deployments::create(&caller.ctx, deployments::NewDeployment::try_from(&body)).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One deployment: slots, the latest switch with its samples and timeline,
/// health runs, settings and history.
#[utoipa::path(get, path = "/deployments/{id}", tag = "deployments",
    params(("id" = Uuid, Path, description = "Deployment id")),
    responses((status = 200, body = DeploymentDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<DeploymentDetail>> {
    Ok(Json(deployments::detail(&caller.ctx, id).await?))
}

/// Starts a switch: the idle slot gets `version`, is validated, then takes
/// traffic step by step. The switch is an upgrade change request of the
/// tenant: 201 with the switch's `id` when it started at once, 202 with
/// `waiting` (approval, window, blackout) when it has not.
#[utoipa::path(post, path = "/deployments/{id}/switch", tag = "deployments", request_body = SwitchForm,
    params(("id" = Uuid, Path, description = "Deployment id")),
    responses((status = 201, body = SwitchStarted), (status = 202, body = SwitchStarted),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn switch(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SwitchForm>,
) -> ApiResult<(StatusCode, Json<SwitchStarted>)> {
    let asked =
        deployments::start_switch(&caller.ctx, id, deployments::SwitchTarget::try_from(&body))
            .await?;
    let status = if asked.switch_id.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    Ok((
        status,
        Json(SwitchStarted {
            id: asked.switch_id,
            change_id: asked.change_id,
            waiting: asked.waiting,
        }),
    ))
}

/// A switch asked for: the switch when it started, and its change request.
#[derive(Debug, Serialize, ToSchema)]
pub struct SwitchStarted {
    /// The switch; `null` while its change request waits.
    pub id: Option<Uuid>,
    pub change_id: Uuid,
    pub waiting: Option<String>,
}

/// `promote`, `pause`, `resume`, `abort` or `rollback` on the latest switch.
/// Rollback and abort return once all traffic is back on the old slot.
#[utoipa::path(post, path = "/deployments/{id}/{action}", tag = "deployments",
    params(("id" = Uuid, Path, description = "Deployment id"), ("action" = String, Path, description = "promote, pause, resume, abort or rollback")),
    responses((status = 200, body = DeploymentDetail), (status = 409, body = Problem), (status = 403, body = Problem)))]
pub async fn action(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath((id, action)): ApiPath<(Uuid, String)>,
) -> ApiResult<Json<DeploymentDetail>> {
    deployments::act(&caller.ctx, id, &action).await?;
    Ok(Json(deployments::detail(&caller.ctx, id).await?))
}

/// Steps, bake time, monitoring interval and rollback thresholds.
#[utoipa::path(put, path = "/deployments/{id}/settings", tag = "deployments", request_body = SwitchSettingsForm,
    params(("id" = Uuid, Path, description = "Deployment id")),
    responses((status = 200, body = DeploymentDetail), (status = 422, body = Problem)))]
pub async fn settings(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SwitchSettingsForm>,
) -> ApiResult<Json<DeploymentDetail>> {
    deployments::save_settings(
        &caller.ctx,
        id,
        deployments::SwitchSettings::try_from(&body),
    )
    .await?;
    Ok(Json(deployments::detail(&caller.ctx, id).await?))
}

/// The simulator's synthetic traffic and injected faults (simulated routers only).
#[utoipa::path(put, path = "/deployments/{id}/simulation", tag = "deployments", request_body = Simulation,
    params(("id" = Uuid, Path, description = "Deployment id")),
    responses((status = 200, body = DeploymentDetail), (status = 422, body = Problem)))]
pub async fn simulation(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Simulation>,
) -> ApiResult<Json<DeploymentDetail>> {
    deployments::save_simulation(&caller.ctx, id, Ok(body)).await?;
    Ok(Json(deployments::detail(&caller.ctx, id).await?))
}

/// The deployment's health-check runs, newest first.
#[utoipa::path(get, path = "/deployments/{id}/health-runs", tag = "deployments",
    params(("id" = Uuid, Path, description = "Deployment id")),
    responses((status = 200, body = [HealthRunRow]), (status = 404, body = Problem)))]
pub async fn health_runs(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<HealthRunRow>>> {
    Ok(Json(deployments::health_runs(&caller.ctx, id).await?))
}

/// Every product's health baseline (the default where none is defined).
#[utoipa::path(get, path = "/health-baselines", tag = "deployments",
    responses((status = 200, body = [BaselineView])))]
pub async fn baselines(
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<BaselineView>>> {
    Ok(Json(deployments::baselines(&caller.ctx).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BaselineBody {
    pub checks: Vec<HealthCheck>,
}

/// Replaces a product's health baseline (`release.manage`).
#[utoipa::path(put, path = "/health-baselines/{product}", tag = "deployments", request_body = BaselineBody,
    params(("product" = String, Path, description = "product key or id")),
    responses((status = 200, body = BaselineView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn save_baseline(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(product): ApiPath<String>,
    ApiJson(body): ApiJson<BaselineBody>,
) -> ApiResult<Json<BaselineView>> {
    Ok(Json(
        deployments::save_baseline(&caller.ctx, &product, &body.checks).await?,
    ))
}

/// Blue-green deployments and health baselines: routes with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(switch))
        .routes(routes!(settings))
        .routes(routes!(simulation))
        .routes(routes!(health_runs))
        .routes(routes!(action))
        .routes(routes!(baselines))
        .routes(routes!(save_baseline))
}
