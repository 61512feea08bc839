//! `/api/v1` for staged rollouts, and the assignments endpoint agents poll
//! for the rollouts' targets. Handlers are thin: each calls one service.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use app::backend::services::rollouts;
use app::backend::state::AppState;
use app::model::rollouts::{RolloutDetail, RolloutForm, RolloutRow};

use super::access::{Caller, agent_token};
use super::changes::Created;
use super::problem::{ApiJson, ApiPath, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RolloutItems {
    pub items: Vec<RolloutRow>,
}

/// Every rollout, newest first, with success and rollback rates.
#[utoipa::path(get, path = "/rollouts", tag = "rollouts",
    responses((status = 200, body = RolloutItems), (status = 403, body = Problem)))]
pub async fn rollout_list(
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<RolloutItems>> {
    let list = rollouts::list(&caller.ctx).await?;
    Ok(Json(RolloutItems { items: list.rows }))
}

/// Plans a rollout: picks the targets and splits them into waves.
#[utoipa::path(post, path = "/rollouts", tag = "rollouts", request_body = RolloutForm,
    responses((status = 201, body = Created), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn rollout_create(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RolloutForm>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = rollouts::create(&caller.ctx, rollouts::NewRollout::try_from(&body)).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One rollout: waves with progress, and the first page of targets.
#[utoipa::path(get, path = "/rollouts/{id}", tag = "rollouts",
    params(("id" = Uuid, Path, description = "Rollout id")),
    responses((status = 200, body = RolloutDetail), (status = 404, body = Problem)))]
pub async fn rollout_show(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<RolloutDetail>> {
    Ok(Json(rollouts::detail(&caller.ctx, id, 1).await?))
}

/// `pause`, `resume`, `abort`, `approve` or `retry-failed`.
#[utoipa::path(post, path = "/rollouts/{id}/{action}", tag = "rollouts",
    params(("id" = Uuid, Path, description = "Rollout id"), ("action" = String, Path, description = "pause, resume, abort, approve or retry-failed")),
    responses((status = 200, body = RolloutDetail), (status = 409, body = Problem), (status = 403, body = Problem)))]
pub async fn rollout_action(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath((id, action)): ApiPath<(Uuid, String)>,
) -> ApiResult<Json<RolloutDetail>> {
    let action = action.replace('-', "_");
    rollouts::act(&caller.ctx, id, rollouts::parse_action(&action)?).await?;
    Ok(Json(rollouts::detail(&caller.ctx, id, 1).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssignmentList {
    pub items: Vec<app::backend::services::rollouts::assignments::Assignment>,
}

/// The updates assigned to the calling agent's endpoint (bearer: the agent token).
#[utoipa::path(get, path = "/agents/assignments", tag = "agents", security(()),
    responses((status = 200, body = AssignmentList), (status = 401, body = Problem)))]
pub async fn assignments(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Json<AssignmentList>> {
    let token = agent_token(&headers)?;
    let items = app::backend::services::rollouts::assignments::fetch(&state.db, &token).await?;
    Ok(Json(AssignmentList { items }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProgressAccepted {
    /// `succeeded`, `failed` (no attempts left), `retrying` (it will be offered again), `downloading` or `installing`.
    pub outcome: String,
}

/// Progress or the result of one assignment (bearer: the agent token).
#[utoipa::path(post, path = "/agents/assignments/{id}", tag = "agents", security(()),
    request_body = app::backend::services::rollouts::assignments::Progress,
    params(("id" = Uuid, Path, description = "Rollout id of the assignment")),
    responses((status = 200, body = ProgressAccepted), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn assignment_progress(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<app::backend::services::rollouts::assignments::Progress>,
) -> ApiResult<Json<ProgressAccepted>> {
    let token = agent_token(&parts.headers)?;
    let outcome = app::backend::services::rollouts::assignments::report(
        &state.db,
        &super::access::request_context(&parts),
        &token,
        id,
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(Json(ProgressAccepted { outcome }))
}

/// Rollouts and agent assignments: routes with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(rollout_list, rollout_create))
        .routes(routes!(rollout_show))
        .routes(routes!(rollout_action))
        .routes(routes!(assignments))
        .routes(routes!(assignment_progress))
}
