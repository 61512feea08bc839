//! `/api/v1/tenants`: the registry over HTTP. Each handler parses its input,
//! calls one service and shapes the answer; permissions live in the services.

pub mod endpoints;
pub mod health;

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use app::backend::services::audit::audit_log;
use app::backend::services::tenants::tenant_config;
use app::backend::services::tenants::{self, TransitionOutcome};
use app::backend::state::AppState;
use app::domain::tenants::lifecycle::LifecycleAction;
use app::domain::tenants::lifecycle::LifecycleState;
use app::domain::tenants::tenant::join_list_items;
use app::domain::validation::FieldErrors;
use app::model::tenants::{
    ConfigEntryRow, NewTenantForm, TenantDetail, TenantEditForm, TenantQuery, TenantRow,
};

use super::access::Caller;
use super::audit::{AuditList, AuditParams};
use super::problem::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Problem};
use app::backend::context::Ctx;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Pagination {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub total_pages: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TenantList {
    pub items: Vec<TenantRow>,
    pub pagination: Pagination,
}

/// An action and, when it is not allowed now, why not.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActionAvailability {
    pub action: LifecycleAction,
    pub allowed: bool,
    pub reason: Option<String>,
}

/// One tenant with everything the registry knows about it (config is at
/// `/tenants/{id}/config`, history at `/tenants/{id}/audit`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TenantResource {
    #[serde(flatten)]
    pub summary: TenantRow,
    pub isolation_mode: String,
    pub allowed_regions: Vec<String>,
    /// Contact emails by role: `technical`, `billing`, `incident`.
    pub contacts: BTreeMap<String, String>,
    /// Ids in other systems: `crm`, `billing`.
    pub external_ids: BTreeMap<String, String>,
    pub labels: Vec<String>,
    /// Send this back with updates; a stale version gets 409.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub actions: Vec<ActionAvailability>,
}

impl From<TenantDetail> for TenantResource {
    fn from(detail: TenantDetail) -> Self {
        Self {
            summary: detail.row,
            isolation_mode: detail.isolation_mode,
            allowed_regions: detail.allowed_regions,
            contacts: detail.contacts.into_iter().collect(),
            external_ids: detail.external_ids.into_iter().collect(),
            labels: detail.labels,
            version: detail.version,
            created_at: detail.created_at,
            actions: detail
                .actions
                .into_iter()
                .map(|a| ActionAvailability {
                    action: a.action,
                    allowed: a.unavailable_because.is_none(),
                    reason: a.unavailable_because,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    pub technical: Option<String>,
    pub billing: Option<String>,
    pub incident: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalIds {
    pub crm: Option<String>,
    pub billing: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenantRequest {
    /// The customer's name; a new customer is created when none has it.
    pub customer: String,
    /// Lowercase letters, digits and hyphens; unique; never changes.
    pub slug: String,
    pub display_name: String,
    pub environment: String,
    pub deployment_kind: String,
    pub isolation_mode: String,
    pub plan_code: String,
    pub region: String,
    #[serde(default)]
    pub allowed_regions: Vec<String>,
    #[serde(default)]
    pub contacts: Contacts,
    #[serde(default)]
    pub external_ids: ExternalIds,
    #[serde(default)]
    pub labels: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantRequest {
    /// The `version` you read; if the tenant changed since, you get 409.
    pub version: i64,
    pub display_name: String,
    pub plan_code: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub contacts: Contacts,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub action: LifecycleAction,
    /// Optional optimistic-concurrency check against the tenant's version.
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransitionStatus {
    /// The tenant moved, or is moving through an intermediate state.
    Started,
    /// The action had already taken effect; nothing changed.
    AlreadyDone,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransitionResult {
    pub status: TransitionStatus,
    /// The state the tenant will land in.
    pub target: Option<LifecycleState>,
    pub tenant: TenantResource,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigEntryRequest {
    pub key: String,
    pub value: String,
    /// Secret values are write-only: never returned, masked in history.
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfigList {
    pub items: Vec<ConfigEntryRow>,
}

/// Form field names of the services → names in the JSON bodies.
fn body_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "contact_technical" => "contacts.technical",
        "contact_billing" => "contacts.billing",
        "contact_incident" => "contacts.incident",
        "external_crm" => "external_ids.crm",
        "external_billing" => "external_ids.billing",
        _ => return None,
    })
}

/// A JSON array in the comma-separated form the service reads; an item with
/// a comma is a field error (it would otherwise become two items).
fn list_field(field: &str, items: &[String]) -> Result<String, ApiError> {
    join_list_items(items).map_err(|message| {
        let mut errors = FieldErrors::default();
        errors.push(field, message);
        ApiError::invalid(errors)
    })
}

fn text(value: Option<String>) -> String {
    value.unwrap_or_default()
}

async fn resource(ctx: &Ctx, slug: &str) -> ApiResult<TenantResource> {
    Ok(tenants::detail(ctx, slug).await?.into())
}

async fn slug_of(_state: &AppState, caller: &Caller, id: &str) -> ApiResult<String> {
    Ok(tenants::resolve_reference(&caller.ctx, id).await?)
}

/// List and search tenants.
#[utoipa::path(get, path = "/tenants", tag = "tenants", params(TenantQuery),
    responses((status = 200, body = TenantList), (status = 422, body = Problem), (status = 401, body = Problem)))]
pub async fn list(
    State(_state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<TenantQuery>,
) -> ApiResult<Json<TenantList>> {
    let page = tenants::list(&caller.ctx, &query).await?;
    Ok(Json(TenantList {
        pagination: Pagination {
            page: page.page,
            per_page: page.per_page,
            total: page.total,
            total_pages: page.total.div_ceil(page.per_page),
        },
        items: page.rows,
    }))
}

/// Onboard a tenant.
#[utoipa::path(post, path = "/tenants", tag = "tenants", request_body = CreateTenantRequest,
    responses((status = 201, body = TenantResource), (status = 422, body = Problem), (status = 400, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTenantRequest>,
) -> ApiResult<impl IntoResponse> {
    let form = NewTenantForm {
        customer: body.customer,
        slug: body.slug,
        display_name: body.display_name,
        environment: body.environment,
        deployment_kind: body.deployment_kind,
        isolation_mode: body.isolation_mode,
        plan_code: body.plan_code,
        region: body.region,
        allowed_regions: list_field("allowed_regions", &body.allowed_regions)?,
        contact_technical: text(body.contacts.technical),
        contact_billing: text(body.contacts.billing),
        contact_incident: text(body.contacts.incident),
        external_crm: text(body.external_ids.crm),
        external_billing: text(body.external_ids.billing),
        labels: list_field("labels", &body.labels)?,
    };
    let slug = tenants::create(&caller.ctx, &state.regions, &form)
        .await
        .map_err(|e| ApiError::from(e).rename_fields(body_field))?;
    let created = resource(&caller.ctx, &slug).await?;
    let location = format!("/api/v1/tenants/{}", created.summary.id);
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        Json(created),
    ))
}

/// One tenant, by id or slug.
#[utoipa::path(get, path = "/tenants/{id}", tag = "tenants",
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = TenantResource), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TenantResource>> {
    let slug = slug_of(&state, &caller, &id).await?;
    Ok(Json(resource(&caller.ctx, &slug).await?))
}

/// The tenant another system knows by this id.
#[utoipa::path(get, path = "/tenants/by-external-id/{system}/{value}", tag = "tenants",
    params(("system" = String, Path, description = "`crm` or `billing`"), ("value" = String, Path)),
    responses((status = 200, body = TenantResource), (status = 404, body = Problem)))]
pub async fn by_external_id(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath((system, value)): ApiPath<(String, String)>,
) -> ApiResult<Json<TenantResource>> {
    let row = tenants::find_by_external_id(&caller.ctx, &system, &value).await?;
    Ok(Json(resource(&caller.ctx, &row.slug).await?))
}

/// Edit display name, plan, labels and contacts (send all of them).
#[utoipa::path(put, path = "/tenants/{id}", tag = "tenants", request_body = UpdateTenantRequest,
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = TenantResource), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateTenantRequest>,
) -> ApiResult<Json<TenantResource>> {
    let slug = slug_of(&state, &caller, &id).await?;
    let edit = TenantEditForm {
        display_name: body.display_name,
        plan_code: body.plan_code,
        labels: list_field("labels", &body.labels)?,
        contact_technical: text(body.contacts.technical),
        contact_billing: text(body.contacts.billing),
        contact_incident: text(body.contacts.incident),
    };
    tenants::update(
        &caller.ctx,
        &slug,
        body.version,
        tenants::TenantEdit::try_from(&edit),
    )
    .await
    .map_err(|e| ApiError::from(e).rename_fields(body_field))?;
    Ok(Json(resource(&caller.ctx, &slug).await?))
}

async fn run_transition(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: LifecycleAction,
    version: Option<i64>,
) -> ApiResult<(StatusCode, Json<TransitionResult>)> {
    let slug = slug_of(state, caller, id).await?;
    // Over the API, naming the tenant in the URL is the deliberate act the
    // UI's typed confirmation stands for.
    let confirmation = (action == LifecycleAction::Delete).then_some(slug.as_str());
    let outcome = tenants::transition(&caller.ctx, &slug, action, version, confirmation).await?;
    let tenant = resource(&caller.ctx, &slug).await?;
    let (code, status, target) = match outcome {
        TransitionOutcome::Started {
            via: Some(_),
            target,
        } => (
            StatusCode::ACCEPTED,
            TransitionStatus::Started,
            Some(target),
        ),
        TransitionOutcome::Started { via: None, target } => {
            (StatusCode::OK, TransitionStatus::Started, Some(target))
        }
        TransitionOutcome::AlreadyDone => (StatusCode::OK, TransitionStatus::AlreadyDone, None),
    };
    Ok((
        code,
        Json(TransitionResult {
            status,
            target,
            tenant,
        }),
    ))
}

/// Run a lifecycle action. Long actions answer 202 and move through their
/// intermediate state; repeating a finished action answers `already_done`.
#[utoipa::path(post, path = "/tenants/{id}/transitions", tag = "tenants", request_body = TransitionRequest,
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = TransitionResult), (status = 202, body = TransitionResult),
        (status = 422, body = Problem, description = "Not allowed from the current state; `detail` says why"),
        (status = 409, body = Problem)))]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> ApiResult<(StatusCode, Json<TransitionResult>)> {
    run_transition(&state, &caller, &id, body.action, body.version).await
}

/// Decommission: runs the `delete` lifecycle action (the record is kept,
/// in state `deleted`, for the audit trail). Only archived tenants qualify.
#[utoipa::path(delete, path = "/tenants/{id}", tag = "tenants",
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = TransitionResult), (status = 202, body = TransitionResult), (status = 422, body = Problem)))]
pub async fn decommission(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<TransitionResult>)> {
    run_transition(&state, &caller, &id, LifecycleAction::Delete, None).await
}

/// The tenant's audit trail, newest first, in keyset pages.
#[utoipa::path(get, path = "/tenants/{id}/audit", tag = "audit",
    params(("id" = String, Path, description = "Tenant id (UUID) or slug"), AuditParams),
    responses((status = 200, body = AuditList), (status = 404, body = Problem)))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<Json<AuditList>> {
    let slug = slug_of(&state, &caller, &id).await?;
    let (query, limit) = params.into_query(Some(slug))?;
    let page = audit_log::search(&caller.ctx, &query, limit).await?;
    Ok(Json(page.into()))
}

/// The tenant's configuration; secret values are `null`.
#[utoipa::path(get, path = "/tenants/{id}/config", tag = "config",
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = ConfigList), (status = 404, body = Problem)))]
pub async fn config(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ConfigList>> {
    let slug = slug_of(&state, &caller, &id).await?;
    let detail = tenants::detail(&caller.ctx, &slug).await?;
    Ok(Json(ConfigList {
        items: detail.config,
    }))
}

/// Set one configuration entry (created or replaced).
#[utoipa::path(put, path = "/tenants/{id}/config", tag = "config", request_body = ConfigEntryRequest,
    params(("id" = String, Path, description = "Tenant id (UUID) or slug")),
    responses((status = 200, body = ConfigList), (status = 422, body = Problem)))]
pub async fn set_config(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ConfigEntryRequest>,
) -> ApiResult<Json<ConfigList>> {
    let slug = slug_of(&state, &caller, &id).await?;
    tenant_config::set(&caller.ctx, &slug, &body.key, &body.value, body.secret).await?;
    config(State(state), caller, ApiPath(slug)).await
}

/// Remove one configuration entry.
#[utoipa::path(delete, path = "/tenants/{id}/config/{key}", tag = "config",
    params(("id" = String, Path, description = "Tenant id (UUID) or slug"), ("key" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_config(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, key)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let slug = slug_of(&state, &caller, &id).await?;
    tenant_config::remove(&caller.ctx, &slug, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant registry's routes, each with its OpenAPI entry.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, decommission))
        .routes(routes!(by_external_id))
        .routes(routes!(transition))
        .routes(routes!(audit))
        .routes(routes!(config, set_config))
        .routes(routes!(remove_config))
        .merge(endpoints::routes())
        .merge(health::routes())
}
