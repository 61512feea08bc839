//! Plans: the catalogue, a tenant's limits and usage, the vendor's quota
//! overrides and plan changes (change requests).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use app::backend::services::plans::{catalog, licences, limits, plan_change, usage};
use app::backend::state::AppState;
use app::model::plans::{
    Licence, LicenceAssignForm, LicenceDocument, LicenceRenewForm, LicenceRevokeForm,
    LicenceTemplate, LicenceTemplateForm, OrganisationUsage, PendingPlanChange, Plan,
    PlanChangeForm, PlanForm, QuotaOverrideForm, TenantLimits, TenantUsage, UsageBatch,
    UsageExportQuery, UsageReceipt,
};
use uuid::Uuid;

use super::access::Caller;
use super::problem::{ApiJson, ApiPath, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(get_plan, update_plan))
        .routes(routes!(tenant_limits))
        .routes(routes!(set_quota_override))
        .routes(routes!(request_plan_change))
        .routes(routes!(list_licence_templates, save_licence_template))
        .routes(routes!(tenant_licences, assign_licence))
        .routes(routes!(renew_licence))
        .routes(routes!(revoke_licence))
        .routes(routes!(licence_document))
        .routes(routes!(licence_public_key))
        .routes(routes!(ingest_usage))
        .routes(routes!(ingest_agent_usage))
        .routes(routes!(tenant_usage))
        .routes(routes!(export_tenant_usage))
        .routes(routes!(organisation_usage))
        .routes(routes!(export_usage))
        .routes(routes!(report_cloud_resources))
        .routes(routes!(import_cloud_resources))
        .routes(routes!(tenant_cloud_resources))
}

/// Every plan with its features, quotas (`null`: unlimited) and number of tenants.
#[utoipa::path(get, path = "/plans", tag = "plans",
    responses((status = 200, body = Vec<Plan>), (status = 401, body = Problem)))]
pub async fn list_plans(
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Plan>>> {
    Ok(Json(catalog::list(&caller.ctx).await?))
}

/// Creates a plan (platform `settings.manage`). Quotas are text: a whole
/// number, or empty for unlimited; unknown features or quotas are refused.
#[utoipa::path(post, path = "/plans", tag = "plans", request_body = PlanForm,
    responses((status = 201, body = Plan), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_plan(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PlanForm>,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    Ok((
        StatusCode::CREATED,
        Json(catalog::save(&caller.ctx, None, &body).await?),
    ))
}

#[utoipa::path(get, path = "/plans/{code}", tag = "plans",
    params(("code" = String, Path, description = "Plan code")),
    responses((status = 200, body = Plan), (status = 404, body = Problem)))]
pub async fn get_plan(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(catalog::get(&caller.ctx, &code).await?))
}

/// Edits a plan (its code cannot change); every tenant on it gets the new limits at once.
#[utoipa::path(put, path = "/plans/{code}", tag = "plans", request_body = PlanForm,
    params(("code" = String, Path, description = "Plan code")),
    responses((status = 200, body = Plan), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_plan(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<PlanForm>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(catalog::save(&caller.ctx, Some(&code), &body).await?))
}

/// The tenant's plan, features, and every quota: the plan's number, the
/// override, the limit in force and what is in use now.
#[utoipa::path(get, path = "/tenants/{id}/limits", tag = "plans",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = TenantLimits), (status = 404, body = Problem)))]
pub async fn tenant_limits(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TenantLimits>> {
    Ok(Json(limits::view(&caller.ctx, &id).await?))
}

/// Overrides one quota for the tenant (platform `tenant.manage`): a number,
/// `unlimited`, or empty to return to the plan's; a reason is required. Audited.
#[utoipa::path(put, path = "/tenants/{id}/limits/override", tag = "plans", request_body = QuotaOverrideForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = TenantLimits), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_quota_override(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<QuotaOverrideForm>,
) -> ApiResult<Json<TenantLimits>> {
    Ok(Json(limits::set_override(&caller.ctx, &id, &body).await?))
}

/// Requests moving the tenant to another plan: a change request that runs at
/// once. Refused (422) when the new plan's quotas are below what the tenant
/// uses, with one field error per quota that exceeds (`usage.<quota>`).
#[utoipa::path(post, path = "/tenants/{id}/plan-change", tag = "plans", request_body = PlanChangeForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 202, body = PendingPlanChange), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_plan_change(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PlanChangeForm>,
) -> ApiResult<(StatusCode, Json<PendingPlanChange>)> {
    let change = plan_change::request(&caller.ctx, &id, &body).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(PendingPlanChange {
            change_id: change.id,
            target_plan: change.target_plan.unwrap_or_default(),
            status: change.status.as_str().to_owned(),
        }),
    ))
}

/// The vendor's licence templates (platform read).
#[utoipa::path(get, path = "/licence-templates", tag = "plans",
    responses((status = 200, body = Vec<LicenceTemplate>), (status = 403, body = Problem)))]
pub async fn list_licence_templates(
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<LicenceTemplate>>> {
    Ok(Json(licences::templates(&caller.ctx).await?))
}

/// Creates a licence template, or edits the one with the body's key
/// (platform `settings.manage`). Licences already assigned keep the terms they were signed with.
#[utoipa::path(post, path = "/licence-templates", tag = "plans", request_body = LicenceTemplateForm,
    responses((status = 200, body = LicenceTemplate), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn save_licence_template(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<LicenceTemplateForm>,
) -> ApiResult<Json<LicenceTemplate>> {
    Ok(Json(licences::save_template(&caller.ctx, &body).await?))
}

/// The tenant's licences with their status, newest first.
#[utoipa::path(get, path = "/tenants/{id}/licences", tag = "plans",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = Vec<Licence>), (status = 404, body = Problem)))]
pub async fn tenant_licences(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<Licence>>> {
    Ok(Json(licences::of_tenant(&caller.ctx, &id).await?))
}

/// Assigns a licence template to the tenant (platform `tenant.manage`); its
/// document is signed with the vendor's Ed25519 key.
#[utoipa::path(post, path = "/tenants/{id}/licences", tag = "plans", request_body = LicenceAssignForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 201, body = Licence), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_licence(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LicenceAssignForm>,
) -> ApiResult<(StatusCode, Json<Licence>)> {
    Ok((
        StatusCode::CREATED,
        Json(licences::assign(&caller.ctx, &id, &body).await?),
    ))
}

/// Renews a licence to a new end (re-signed); a tenant its end had
/// suspended is resumed by a change request.
#[utoipa::path(post, path = "/licences/{id}/renew", tag = "plans", request_body = LicenceRenewForm,
    params(("id" = Uuid, Path, description = "Licence id")),
    responses((status = 200, body = Licence), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn renew_licence(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LicenceRenewForm>,
) -> ApiResult<Json<Licence>> {
    Ok(Json(licences::renew(&caller.ctx, id, &body).await?))
}

/// Revokes a licence (a reason is required); unless another licence covers
/// the tenant, it is suspended at once by a change request.
#[utoipa::path(post, path = "/licences/{id}/revoke", tag = "plans", request_body = LicenceRevokeForm,
    params(("id" = Uuid, Path, description = "Licence id")),
    responses((status = 200, body = Licence), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn revoke_licence(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LicenceRevokeForm>,
) -> ApiResult<Json<Licence>> {
    Ok(Json(licences::revoke(&caller.ctx, id, &body).await?))
}

/// The licence's signed document: canonical JSON (keys sorted, no spaces),
/// its Ed25519 signature in base64 and the vendor's public key as PEM.
#[utoipa::path(get, path = "/licences/{id}/document", tag = "plans",
    params(("id" = Uuid, Path, description = "Licence id")),
    responses((status = 200, body = LicenceDocument), (status = 404, body = Problem)))]
pub async fn licence_document(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<LicenceDocument>> {
    Ok(Json(licences::document_of(&caller.ctx, id).await?))
}

/// The vendor's licence-signing public key (PEM, SubjectPublicKeyInfo),
/// public so an installation can verify its licence offline, e.g.
/// `openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in licence.json -sigfile licence.sig`.
#[utoipa::path(get, path = "/licences/public-key", tag = "plans", security(()),
    responses((status = 200, description = "PEM", content_type = "application/x-pem-file", body = String)))]
pub async fn licence_public_key(
    State(state): State<AppState>,
) -> ApiResult<([(axum::http::HeaderName, &'static str); 1], String)> {
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
        licences::public_key_pem(&state.db).await?,
    ))
}

/// Usage records from the orchestrator or a billing collector (a vendor
/// token with platform `tenant.manage`): each names its tenant; sending a
/// record id again changes nothing; one bad record refuses the batch (422,
/// each problem named `records[i].field`). Meters: `storage_gb` and `custom.<name>`.
#[utoipa::path(post, path = "/usage", tag = "plans", request_body = UsageBatch,
    responses((status = 200, body = UsageReceipt), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn ingest_usage(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<UsageBatch>,
) -> ApiResult<Json<UsageReceipt>> {
    Ok(Json(usage::ingest(&caller.ctx, &body).await?))
}

/// Usage records from an agent (its bearer token) for its own tenant.
#[utoipa::path(post, path = "/agents/usage", tag = "agents", request_body = UsageBatch,
    responses((status = 200, body = UsageReceipt), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn ingest_agent_usage(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    ApiJson(body): ApiJson<UsageBatch>,
) -> ApiResult<Json<UsageReceipt>> {
    let token = crate::rest::access::agent_token(&parts.headers)?;
    let context = crate::rest::access::request_context(&parts);
    Ok(Json(
        usage::ingest_from_agent(&state.db, &context, &token, &body, state.clock.now()).await?,
    ))
}

/// The tenant's daily usage per meter over the last 30 days, with the quota each is held to.
#[utoipa::path(get, path = "/tenants/{id}/usage", tag = "plans",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = TenantUsage), (status = 404, body = Problem)))]
pub async fn tenant_usage(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TenantUsage>> {
    Ok(Json(usage::tenant_usage(&caller.ctx, &id).await?))
}

fn exported((content_type, body): (&'static str, String)) -> axum::response::Response {
    use axum::response::IntoResponse;
    ([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A month of the tenant's daily usage per meter (CSV by default, or JSON) for a billing system.
#[utoipa::path(get, path = "/tenants/{id}/usage/export", tag = "plans",
    params(("id" = String, Path, description = "Tenant id or slug"), UsageExportQuery),
    responses((status = 200, description = "CSV or JSON", content_type = "text/csv", body = String), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn export_tenant_usage(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    super::problem::ApiQuery(query): super::problem::ApiQuery<UsageExportQuery>,
) -> ApiResult<axum::response::Response> {
    Ok(exported(
        usage::export(&caller.ctx, Some(&id), &query).await?,
    ))
}

/// The organisation's usage in a month: daily totals per meter and the top tenants (platform `report.read`).
#[utoipa::path(get, path = "/usage", tag = "plans", params(UsageExportQuery),
    responses((status = 200, body = OrganisationUsage), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn organisation_usage(
    State(_state): State<AppState>,
    caller: Caller,
    super::problem::ApiQuery(query): super::problem::ApiQuery<UsageExportQuery>,
) -> ApiResult<Json<OrganisationUsage>> {
    Ok(Json(usage::organisation(&caller.ctx, &query.month).await?))
}

/// A month of every tenant's daily usage per meter (CSV or JSON), for a billing system (platform `report.read`).
#[utoipa::path(get, path = "/usage/export", tag = "plans", params(UsageExportQuery),
    responses((status = 200, description = "CSV or JSON", content_type = "text/csv", body = String), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn export_usage(
    State(_state): State<AppState>,
    caller: Caller,
    super::problem::ApiQuery(query): super::problem::ApiQuery<UsageExportQuery>,
) -> ApiResult<axum::response::Response> {
    Ok(exported(usage::export(&caller.ctx, None, &query).await?))
}

/// Cloud resources reported by the orchestrator or an executor (platform
/// `tenant.manage`): upserted by provider and id, linked to the tenants
/// named (a resource on several tenants is shared). One bad resource or
/// unknown tenant refuses the batch, each problem named `resources[i].field`.
#[utoipa::path(post, path = "/cloud-resources", tag = "plans", request_body = app::model::tenants::CloudResourceBatch,
    responses((status = 200, body = app::model::tenants::CloudImportReceipt), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn report_cloud_resources(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<app::model::tenants::CloudResourceBatch>,
) -> ApiResult<Json<app::model::tenants::CloudImportReceipt>> {
    Ok(Json(
        app::backend::services::tenants::cloud_resources::report(&caller.ctx, &body).await?,
    ))
}

/// The same as a CSV file: a header `provider,resource_type,resource_id,region,tenants[,cost_tag,tags]`,
/// tenants separated by `;`, tags as `key=value;key=value`; problems named `rows[n].field`.
#[utoipa::path(post, path = "/cloud-resources/import", tag = "plans",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = app::model::tenants::CloudImportReceipt), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import_cloud_resources(
    State(_state): State<AppState>,
    caller: Caller,
    body: String,
) -> ApiResult<Json<app::model::tenants::CloudImportReceipt>> {
    Ok(Json(
        app::backend::services::tenants::cloud_resources::import_csv(&caller.ctx, &body).await?,
    ))
}

/// The tenant's cloud resources: shared ones marked, and any outside its allowed regions flagged.
#[utoipa::path(get, path = "/tenants/{id}/cloud-resources", tag = "plans",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = Vec<app::model::tenants::CloudResourceRow>), (status = 404, body = Problem)))]
pub async fn tenant_cloud_resources(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<app::model::tenants::CloudResourceRow>>> {
    Ok(Json(
        app::backend::services::tenants::cloud_resources::of_tenant(&caller.ctx, &id).await?,
    ))
}
