//! `/api/v1` for releases and compliance: products, releases, policies, grace
//! extensions, tenant versions and endpoints, the compliance report, and the
//! agent endpoints (which authenticate with agent tokens, not user tokens).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use app::backend::services::{agents, catalog, compliance, policies, tenant_versions, tenants};
use app::backend::state::AppState;
use app::domain::agent::RawReport;
use app::model::catalog::{ProductRow, ReleaseForm, ReleaseRow};
use app::model::compliance::{
    ComplianceQuery, ComplianceReport, ComplianceSummary, ExtensionRow, TenantProductForm,
    TenantProductRow,
};
use app::model::endpoints::{EndpointList, EndpointQuery};
use app::model::policies::{PolicyForm, PolicyRow};

use super::auth::{Caller, request_context};
use super::problem::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

async fn tenant_id(state: &AppState, caller: &Caller, reference: &str) -> ApiResult<Uuid> {
    Ok(
        tenants::resolve_tenant_id(&state.reads, &caller.principal, reference)
            .await?
            .0,
    )
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductList {
    pub items: Vec<ProductRow>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    /// Lower-case letters, digits and dashes, e.g. `edge-gateway`.
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Created {
    pub id: Uuid,
}

/// The products in the catalog.
#[utoipa::path(get, path = "/products", tag = "releases",
    responses((status = 200, body = ProductList), (status = 401, body = Problem)))]
pub async fn products(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ProductList>> {
    let view = catalog::view(&state.reads, &caller.principal).await?;
    Ok(Json(ProductList {
        items: view.products,
    }))
}

/// Adds a product (`release.manage`).
#[utoipa::path(post, path = "/products", tag = "releases", request_body = CreateProductRequest,
    responses((status = 201, body = Created), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create_product(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateProductRequest>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = catalog::create_product(
        &state.db,
        &caller.principal,
        &caller.context,
        &body.key,
        &body.name,
        &body.description,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReleaseList {
    pub items: Vec<ReleaseRow>,
}

/// Every release, newest first within each product.
#[utoipa::path(get, path = "/releases", tag = "releases",
    responses((status = 200, body = ReleaseList), (status = 401, body = Problem)))]
pub async fn releases(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ReleaseList>> {
    let view = catalog::view(&state.reads, &caller.principal).await?;
    Ok(Json(ReleaseList {
        items: view.releases,
    }))
}

/// Publishes a release, or updates the product's release with that version.
/// Compliance is re-assessed at once.
#[utoipa::path(post, path = "/releases", tag = "releases", request_body = ReleaseForm,
    responses((status = 200, body = Created), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn save_release(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ReleaseForm>,
) -> ApiResult<Json<Created>> {
    let id = catalog::save_release(&state.db, &caller.principal, &caller.context, &body).await?;
    Ok(Json(Created { id }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganisationCompliance {
    pub summary: ComplianceSummary,
    pub report: ComplianceReport,
}

/// The organisation's compliance (a tenant user's: their own tenants'):
/// summary and per tenant × product rows, worst first.
#[utoipa::path(get, path = "/compliance", tag = "compliance", params(ComplianceQuery),
    responses((status = 200, body = OrganisationCompliance), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn organisation(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ComplianceQuery>,
) -> ApiResult<Json<OrganisationCompliance>> {
    check_report_query(&query)?;
    let summary = compliance::summary(&state.reads, &caller.principal).await?;
    let report = compliance::report(&state.reads, &caller.principal, &query).await?;
    Ok(Json(OrganisationCompliance { summary, report }))
}

fn check_report_query(query: &ComplianceQuery) -> ApiResult<()> {
    let mut errors = app::domain::validation::FieldErrors::default();
    if let Some(status) = query.status.as_deref() {
        if status != "attention" && !app::domain::compliance::STATUS_KEYS.contains(&status) {
            errors.push(
                "status",
                "Use compliant, outdated, in_grace, non_compliant, eol or attention.",
            );
        }
    }
    if query.page == Some(0) {
        errors.push("page", "Pages start at 1.");
    }
    if query
        .per_page
        .is_some_and(|n| !(1..=compliance::MAX_PER_PAGE).contains(&n))
    {
        errors.push(
            "per_page",
            format!("Use 1 to {} items per page.", compliance::MAX_PER_PAGE),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TenantCompliance {
    pub products: Vec<TenantProductRow>,
    pub extensions: Vec<ExtensionRow>,
}

/// One tenant's products, running versions and their compliance (`tenant.read`).
#[utoipa::path(get, path = "/tenants/{id}/compliance", tag = "compliance",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = TenantCompliance), (status = 404, body = Problem)))]
pub async fn tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
) -> ApiResult<Json<TenantCompliance>> {
    let id = tenant_id(&state, &caller, &reference).await?;
    // The same service and permission (`tenant.read`) as the tenant page.
    let view = tenant_versions::view(&state.reads, &caller.principal, id).await?;
    Ok(Json(TenantCompliance {
        products: view.rows,
        extensions: view.extensions,
    }))
}

/// Licenses a product to a tenant or records what it runs (`release.manage`).
#[utoipa::path(post, path = "/tenants/{id}/products", tag = "compliance", request_body = TenantProductForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 204), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn set_tenant_product(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiJson(body): ApiJson<TenantProductForm>,
) -> ApiResult<StatusCode> {
    let id = tenant_id(&state, &caller, &reference).await?;
    tenant_versions::set(&state.db, &caller.principal, &caller.context, id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyList {
    pub items: Vec<PolicyRow>,
}

/// Version policies: global, per product and per-tenant overrides.
#[utoipa::path(get, path = "/policies", tag = "policies",
    responses((status = 200, body = PolicyList), (status = 403, body = Problem)))]
pub async fn policies_list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<PolicyList>> {
    let view = policies::view(&state.reads, &caller.principal).await?;
    Ok(Json(PolicyList {
        items: view.policies,
    }))
}

/// Creates or replaces the policy of a level (and product, and tenant slug).
#[utoipa::path(put, path = "/policies", tag = "policies", request_body = PolicyForm,
    responses((status = 200, body = Created), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn save_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PolicyForm>,
) -> ApiResult<Json<Created>> {
    let id = policies::save(&state.db, &caller.principal, &caller.context, &body).await?;
    Ok(Json(Created { id }))
}

#[utoipa::path(delete, path = "/policies/{id}", tag = "policies",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn delete_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    policies::delete(&state.db, &caller.principal, &caller.context, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExtensionList {
    pub items: Vec<ExtensionRow>,
}

/// Grace extension requests the caller may see.
#[utoipa::path(get, path = "/extension-requests", tag = "policies",
    responses((status = 200, body = ExtensionList), (status = 403, body = Problem)))]
pub async fn extensions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ExtensionList>> {
    let view = policies::view(&state.reads, &caller.principal).await?;
    Ok(Json(ExtensionList {
        items: view.extensions,
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequestBody {
    pub product_id: Uuid,
    pub days: i64,
    pub reason: String,
}

/// A tenant admin asks for more days of grace (`update.approve` on the tenant).
#[utoipa::path(post, path = "/tenants/{id}/extension-requests", tag = "policies", request_body = ExtensionRequestBody,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 201, body = Created), (status = 422, body = Problem), (status = 409, body = Problem)))]
pub async fn request_extension(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiJson(body): ApiJson<ExtensionRequestBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = tenant_id(&state, &caller, &reference).await?;
    let created = policies::request_extension(
        &state.db,
        &caller.principal,
        &caller.context,
        id,
        body.product_id,
        &body.days.to_string(),
        &body.reason,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id: created })))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `approve` or `deny`.
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

/// A platform policy manager approves or denies an extension request.
#[utoipa::path(post, path = "/extension-requests/{id}/decision", tag = "policies", request_body = DecisionBody,
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 422, body = Problem), (status = 409, body = Problem), (status = 403, body = Problem)))]
pub async fn decide_extension(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<StatusCode> {
    policies::decide_extension(
        &state.db,
        &caller.principal,
        &caller.context,
        id,
        &body.decision,
        &body.comment,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A tenant's endpoints, filtered.
#[utoipa::path(get, path = "/tenants/{id}/endpoints", tag = "endpoints", params(("id" = String, Path, description = "Tenant id or slug"), EndpointQuery),
    responses((status = 200, body = EndpointList), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn endpoints(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<EndpointQuery>,
) -> ApiResult<Json<EndpointList>> {
    let id = tenant_id(&state, &caller, &reference).await?;
    Ok(Json(
        agents::list(&state.reads, &caller.principal, id, &query).await?,
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The enrollment token a tenant admin created.
    pub enrollment_token: String,
    pub hostname: String,
    /// `linux`, `windows` or `mobile`.
    pub platform: String,
    pub agent_version: String,
    /// Product key → installed version.
    #[serde(default)]
    pub products: std::collections::BTreeMap<String, String>,
    /// Re-registering a hostname that is already registered: that
    /// endpoint's current agent token (unless the enrollment token was made
    /// to replace endpoints).
    #[serde(default)]
    pub current_agent_token: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Registered {
    pub endpoint_id: Uuid,
    pub tenant_id: Uuid,
    /// Send it as `Authorization: Bearer …` with every report. Shown once.
    pub agent_token: String,
}

/// An agent registers with an enrollment token and its first report.
#[utoipa::path(post, path = "/agents/register", tag = "agents", request_body = RegisterRequest, security(()),
    responses((status = 201, body = Registered), (status = 401, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    let report = RawReport {
        hostname: body.hostname,
        platform: body.platform,
        agent_version: body.agent_version,
        products: body.products,
        current_agent_token: body.current_agent_token,
    };
    let done = agents::register(
        &state.db,
        &request_context(&parts),
        &body.enrollment_token,
        &report,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            endpoint_id: done.endpoint_id,
            tenant_id: done.tenant_id,
            agent_token: done.agent_token,
        }),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub hostname: String,
    pub platform: String,
    pub agent_version: String,
    #[serde(default)]
    pub products: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportAccepted {
    pub endpoint_id: Uuid,
}

/// Heartbeat and inventory, with the agent's token as bearer. A bad report
/// is refused whole (422) and changes nothing.
#[utoipa::path(post, path = "/agents/report", tag = "agents", request_body = ReportRequest,
    responses((status = 200, body = ReportAccepted), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(body): ApiJson<ReportRequest>,
) -> ApiResult<Json<ReportAccepted>> {
    let token = super::auth::agent_token(&parts.headers)?;
    let report = RawReport {
        hostname: body.hostname,
        platform: body.platform,
        agent_version: body.agent_version,
        products: body.products,
        current_agent_token: None,
    };
    let endpoint_id = agents::report(&state.db, &request_context(&parts), &token, &report).await?;
    Ok(Json(ReportAccepted { endpoint_id }))
}

/// Releases, compliance, policies and agents: routes with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(products, create_product))
        .routes(routes!(releases, save_release))
        .routes(routes!(organisation))
        .routes(routes!(tenant))
        .routes(routes!(set_tenant_product))
        .routes(routes!(endpoints))
        .routes(routes!(request_extension))
        .routes(routes!(policies_list, save_policy))
        .routes(routes!(delete_policy))
        .routes(routes!(extensions))
        .routes(routes!(decide_extension))
        .routes(routes!(register))
        .routes(routes!(report))
}
