//! `/api/v1` for alerts, their rules and the service levels (the vendor's
//! people). Handlers are
//! thin: each calls one service.

use axum::Json;
use axum::extract::State;

use app::backend::services::platform::alerts;
use app::backend::services::platform::service_levels as slo;
use app::backend::state::AppState;
use app::domain::platform::slo::SloTargets;
use app::model::platform::alerts::{
    AcknowledgeForm, AlertQuery, AlertRow, AlertRuleForm, AlertRuleView, AlertsView,
};
use app::model::platform::service_levels::{ServiceLevels, SloTargetsForm};
use uuid::Uuid;

use super::access::Caller;
use super::problem::{ApiJson, ApiPath, ApiQuery, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Alerts, newest first (25 per page): open and acknowledged by default, or
/// one status. Each names its rule, subject, summary and runbook.
#[utoipa::path(get, path = "/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = AlertsView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(_state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AlertQuery>,
) -> ApiResult<Json<AlertsView>> {
    Ok(Json(alerts::list(&caller.ctx, &query).await?))
}

/// Takes an open alert on (who, when, an optional comment). It resolves by
/// itself when its condition stops.
#[utoipa::path(post, path = "/alerts/{id}/acknowledge", tag = "alerts", request_body = AcknowledgeForm,
    params(("id" = Uuid, Path, description = "Alert id")),
    responses((status = 200, body = AlertRow), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn acknowledge(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AcknowledgeForm>,
) -> ApiResult<Json<AlertRow>> {
    Ok(Json(alerts::acknowledge(&caller.ctx, id, &body).await?))
}

/// The built-in rules with their settings and runbooks.
#[utoipa::path(get, path = "/alert-rules", tag = "alerts",
    responses((status = 200, body = Vec<AlertRuleView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn rules(
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<AlertRuleView>>> {
    Ok(Json(alerts::rules(&caller.ctx).await?))
}

/// Turns a rule on or off and sets its threshold (empty: the default).
#[utoipa::path(put, path = "/alert-rules/{rule}", tag = "alerts", request_body = AlertRuleForm,
    params(("rule" = String, Path, description = "Rule, e.g. baseline_failing")),
    responses((status = 200, body = AlertRuleView), (status = 404, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn save_rule(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(rule): ApiPath<String>,
    ApiJson(body): ApiJson<AlertRuleForm>,
) -> ApiResult<Json<AlertRuleView>> {
    Ok(Json(alerts::save_rule(&caller.ctx, &rule, &body).await?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(acknowledge))
        .routes(routes!(rules))
        .routes(routes!(save_rule))
        .routes(routes!(service_levels))
        .routes(routes!(save_slo_targets))
}

/// Service levels: the vendor's targets, the API's p95 latency and error
/// rate over the last hour (this replica), and tenants under their 30-day
/// availability target, worst first.
#[utoipa::path(get, path = "/service-levels", tag = "alerts",
    responses((status = 200, body = ServiceLevels), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn service_levels(
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ServiceLevels>> {
    Ok(Json(slo::view(&caller.ctx).await?))
}

/// Sets the service-level targets (platform `settings.manage`).
#[utoipa::path(put, path = "/service-levels/targets", tag = "alerts", request_body = SloTargetsForm,
    responses((status = 200, body = SloTargets), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn save_slo_targets(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SloTargetsForm>,
) -> ApiResult<Json<SloTargets>> {
    Ok(Json(slo::save_targets(&caller.ctx, &body).await?))
}
