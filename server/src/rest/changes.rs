//! `/api/v1` for change requests, approvals, delays, saved filters, update
//! policies, the job queue and the executor's callback. Handlers are thin: each calls one service.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use app::backend::services::changes;
use app::backend::services::changes::delays;
use app::backend::services::changes::update_policy;
use app::backend::services::platform::jobs_admin;
use app::backend::services::tenants::saved_filters;
use app::backend::state::AppState;
use app::model::changes::{
    ChangeDetail, ChangeForm, ChangePage, ChangeQuery, DelayOutcome, DelayRequestRow,
    FilterRequestOutcome, JobsView, SavedFilterForm, SavedFilterRow, UpdatePolicyForm,
    UpdatePolicyView,
};

use super::access::Caller;
use super::problem::{ApiJson, ApiPath, ApiQuery, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Created {
    pub id: Uuid,
}

/// Change requests the caller may read, newest first (25 per page).
#[utoipa::path(get, path = "/change-requests", tag = "changes", params(ChangeQuery),
    responses((status = 200, body = ChangePage), (status = 401, body = Problem)))]
pub async fn list(
    State(_state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ChangeQuery>,
) -> ApiResult<Json<ChangePage>> {
    Ok(Json(changes::list(&caller.ctx, &query).await?))
}

/// Requests a change. It awaits approval when the tenant's update policy asks
/// for it; otherwise it is scheduled into the tenant's next maintenance window.
#[utoipa::path(post, path = "/change-requests", tag = "changes", request_body = ChangeForm,
    responses((status = 201, body = Created), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ChangeForm>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let created = changes::create(&caller.ctx, changes::NewChangeRequest::try_from(&body)).await?;
    Ok((StatusCode::CREATED, Json(Created { id: created.id })))
}

/// Saved tenant filters with how many tenants each matches now (platform readers).
#[utoipa::path(get, path = "/saved-filters", tag = "changes",
    responses((status = 200, body = Vec<SavedFilterRow>), (status = 401, body = Problem)))]
pub async fn saved_filter_list(
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<SavedFilterRow>>> {
    Ok(Json(saved_filters::list(&caller.ctx).await?))
}

/// Saves the tenant-list filters under a name (platform `tenant.manage`).
#[utoipa::path(post, path = "/saved-filters", tag = "changes", request_body = SavedFilterForm,
    responses((status = 201, body = Created), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn saved_filter_create(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SavedFilterForm>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id =
        saved_filters::save(&caller.ctx, saved_filters::NewSavedFilter::try_from(&body)).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(delete, path = "/saved-filters/{id}", tag = "changes",
    params(("id" = Uuid, Path, description = "Saved filter id")),
    responses((status = 204), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn saved_filter_delete(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    saved_filters::delete(&caller.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Requests the change for every tenant the saved filter matches now: one
/// change per tenant, each following its own update policy; tenants the
/// change does not fit are listed with the reason.
#[utoipa::path(post, path = "/saved-filters/{id}/change-requests", tag = "changes", request_body = ChangeForm,
    params(("id" = Uuid, Path, description = "Saved filter id")),
    responses((status = 201, body = FilterRequestOutcome), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn saved_filter_request(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ChangeForm>,
) -> ApiResult<(StatusCode, Json<FilterRequestOutcome>)> {
    let outcome = changes::create_for_filter(
        &caller.ctx,
        changes::FilterChangeRequest::parse(Some(&id.to_string()), &body),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(outcome)))
}

/// One change request with its step log and decisions.
#[utoipa::path(get, path = "/change-requests/{id}", tag = "changes",
    params(("id" = Uuid, Path, description = "Change request id")),
    responses((status = 200, body = ChangeDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ChangeDetail>> {
    Ok(Json(changes::detail(&caller.ctx, id).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `approve` or `reject`.
    pub decision: String,
    /// Required when rejecting.
    #[serde(default)]
    pub comment: String,
}

/// Approves or rejects a change awaiting approval. The requester cannot decide their own.
#[utoipa::path(post, path = "/change-requests/{id}/decision", tag = "approvals", request_body = DecisionRequest,
    params(("id" = Uuid, Path, description = "Change request id")),
    responses((status = 204), (status = 409, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn decide(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DecisionRequest>,
) -> ApiResult<StatusCode> {
    changes::decide(&caller.ctx, id, &body.decision, &body.comment).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels a change that has not started.
#[utoipa::path(post, path = "/change-requests/{id}/cancel", tag = "changes",
    params(("id" = Uuid, Path, description = "Change request id")),
    responses((status = 204), (status = 409, body = Problem), (status = 403, body = Problem)))]
pub async fn cancel(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    changes::cancel(&caller.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Submits a draft: it goes to its approvers or into the tenant's schedule.
#[utoipa::path(post, path = "/change-requests/{id}/submit", tag = "changes",
    params(("id" = Uuid, Path, description = "Change request id")),
    responses((status = 200, body = ChangeDetail), (status = 409, body = Problem), (status = 404, body = Problem)))]
pub async fn submit(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ChangeDetail>> {
    changes::submit(&caller.ctx, id).await?;
    Ok(Json(changes::detail(&caller.ctx, id).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelayRequest {
    pub days: u32,
    /// Why; needed when the delay goes beyond the tenant's policy limit.
    #[serde(default)]
    pub reason: String,
}

/// Postpones a scheduled change by N days. Beyond the tenant's policy limit a
/// tenant approver's delay becomes a request for the vendor's approvers
/// (`status: requested`) and the change keeps its schedule until then.
#[utoipa::path(post, path = "/change-requests/{id}/delay", tag = "changes", request_body = DelayRequest,
    params(("id" = Uuid, Path, description = "Change request id")),
    responses((status = 200, body = DelayOutcome), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn delay(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DelayRequest>,
) -> ApiResult<Json<DelayOutcome>> {
    Ok(Json(
        delays::delay(&caller.ctx, id, &body.days.to_string(), &body.reason).await?,
    ))
}

/// Delay requests waiting for a platform approver (empty for anyone else).
#[utoipa::path(get, path = "/delay-requests", tag = "approvals",
    responses((status = 200, body = Vec<DelayRequestRow>), (status = 401, body = Problem)))]
pub async fn delay_requests(
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<DelayRequestRow>>> {
    Ok(Json(delays::pending(&caller.ctx).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelayDecisionBody {
    /// `approve` or `deny`.
    pub decision: String,
    /// Needed to deny; the tenant sees it.
    #[serde(default)]
    pub comment: String,
}

/// A platform approver approves (the change moves by the requested days) or
/// denies a delay request.
#[utoipa::path(post, path = "/delay-requests/{id}/decision", tag = "approvals", request_body = DelayDecisionBody,
    params(("id" = Uuid, Path, description = "Delay request id")),
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide_delay_request(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DelayDecisionBody>,
) -> ApiResult<StatusCode> {
    delays::decide(&caller.ctx, id, &body.decision, &body.comment).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change requests awaiting the caller's decision.
#[utoipa::path(get, path = "/approvals", tag = "approvals",
    responses((status = 200, body = ChangePage), (status = 401, body = Problem)))]
pub async fn approvals(
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ChangePage>> {
    Ok(Json(changes::approvals(&caller.ctx).await?))
}

/// The tenant's update policy: approval mode, time zone, windows, blackouts and the next allowed start.
#[utoipa::path(get, path = "/tenants/{id}/update-policy", tag = "changes",
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = UpdatePolicyView), (status = 404, body = Problem)))]
pub async fn policy(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<UpdatePolicyView>> {
    Ok(Json(update_policy::view(&caller.ctx, &id).await?))
}

/// Sets the approval mode, time zone and delay limit (`tenant.manage` on the tenant).
#[utoipa::path(put, path = "/tenants/{id}/update-policy", tag = "changes", request_body = UpdatePolicyForm,
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = UpdatePolicyView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn save_policy(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdatePolicyForm>,
) -> ApiResult<Json<UpdatePolicyView>> {
    update_policy::save(
        &caller.ctx,
        &id,
        update_policy::UpdatePolicySettings::try_from(&body),
    )
    .await?;
    Ok(Json(update_policy::view(&caller.ctx, &id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct JobQuery {
    pub status: Option<String>,
    pub page: Option<u64>,
}

/// Queue figures and one page of jobs (platform readers).
#[utoipa::path(get, path = "/jobs", tag = "jobs", params(JobQuery),
    responses((status = 200, body = JobsView), (status = 403, body = Problem)))]
pub async fn jobs(
    State(_state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<JobQuery>,
) -> ApiResult<Json<JobsView>> {
    Ok(Json(
        jobs_admin::view(
            &caller.ctx,
            query.status.as_deref(),
            query.page.unwrap_or(1),
        )
        .await?,
    ))
}

/// Where an HTTP orchestrator reports a step's result (`StepReport` JSON),
/// signed with the shared secret in `X-Tenantry-Signature: sha256=<hex>`.
/// A missing or wrong signature is refused and changes nothing.
#[utoipa::path(post, path = "/executor/callback", tag = "jobs", request_body = app::backend::orchestrator::StepReport,
    security(()),
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn executor_callback(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    use super::problem::ApiError;
    use app::backend::orchestrator::{CallbackRefusal, SIGNATURE_HEADER, record_callback};
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    match record_callback(
        &state.db,
        state.orchestrator_secret.as_deref(),
        &body,
        signature,
    )
    .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(CallbackRefusal::NotConfigured) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No orchestrator configured",
            "This installation does not use the HTTP orchestrator executor (TENANTRY_EXECUTOR=http).",
        )),
        Err(CallbackRefusal::BadSignature) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad-signature",
            "Signature missing or wrong",
            "Sign the exact request body with HMAC-SHA256 and the shared secret, as X-Tenantry-Signature: sha256=<hex>.",
        )),
        Err(CallbackRefusal::Invalid(detail)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-report",
            "Invalid step report",
            &detail,
        )),
    }
}

/// Change requests, approvals, schedules and jobs: routes with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(decide))
        .routes(routes!(cancel))
        .routes(routes!(delay))
        .routes(routes!(submit))
        .routes(routes!(approvals))
        .routes(routes!(delay_requests))
        .routes(routes!(saved_filter_list, saved_filter_create))
        .routes(routes!(saved_filter_delete))
        .routes(routes!(saved_filter_request))
        .routes(routes!(decide_delay_request))
        .routes(routes!(policy, save_policy))
        .routes(routes!(jobs))
        .routes(routes!(executor_callback))
}
