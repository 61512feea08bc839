//! `/api/v1` for releases and compliance: products, releases, policies, grace
//! extensions, tenant versions and the compliance report.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use app::backend::services::releases::catalog;
use app::backend::services::releases::compliance;
use app::backend::services::releases::policies;
use app::backend::services::releases::tenant_versions;
use app::backend::services::tenants;
use app::backend::state::AppState;
use app::model::releases::catalog::ProductRow;
use app::model::releases::catalog::ReleaseForm;
use app::model::releases::catalog::ReleaseRow;
use app::model::releases::compliance::ComplianceQuery;
use app::model::releases::compliance::ComplianceReport;
use app::model::releases::compliance::ComplianceSummary;
use app::model::releases::compliance::ExtensionRow;
use app::model::releases::compliance::TenantProductForm;
use app::model::releases::compliance::TenantProductRow;
use app::model::releases::policies::PolicyForm;
use app::model::releases::policies::PolicyRow;

use super::access::Caller;
use super::problem::{ApiJson, ApiPath, ApiQuery, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

async fn tenant_id(_state: &AppState, caller: &Caller, reference: &str) -> ApiResult<Uuid> {
    Ok(tenants::resolve_tenant_id(&caller.ctx, reference).await?.0)
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
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ProductList>> {
    let view = catalog::view(&caller.ctx).await?;
    Ok(Json(ProductList {
        items: view.products,
    }))
}

/// Adds a product (`release.manage`).
#[utoipa::path(post, path = "/products", tag = "releases", request_body = CreateProductRequest,
    responses((status = 201, body = Created), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create_product(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateProductRequest>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = catalog::create_product(&caller.ctx, &body.key, &body.name, &body.description).await?;
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
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ReleaseList>> {
    let view = catalog::view(&caller.ctx).await?;
    Ok(Json(ReleaseList {
        items: view.releases,
    }))
}

/// Publishes a release, or updates the product's release with that version.
/// Compliance is re-assessed at once.
#[utoipa::path(post, path = "/releases", tag = "releases", request_body = ReleaseForm,
    responses((status = 200, body = Created), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn save_release(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ReleaseForm>,
) -> ApiResult<Json<Created>> {
    let id = catalog::save_release(&caller.ctx, catalog::PublishRelease::try_from(&body)).await?;
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
    State(_state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ComplianceQuery>,
) -> ApiResult<Json<OrganisationCompliance>> {
    let summary = compliance::summary(&caller.ctx).await?;
    let report = compliance::report(&caller.ctx, &query).await?;
    Ok(Json(OrganisationCompliance { summary, report }))
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
    let view = tenant_versions::view(&caller.ctx, id).await?;
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
    tenant_versions::set(
        &caller.ctx,
        id,
        tenant_versions::LicenseProduct::try_from(&body),
    )
    .await?;
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
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<PolicyList>> {
    let view = policies::view(&caller.ctx).await?;
    Ok(Json(PolicyList {
        items: view.policies,
    }))
}

/// Creates or replaces the policy of a level (and product, and tenant slug).
#[utoipa::path(put, path = "/policies", tag = "policies", request_body = PolicyForm,
    responses((status = 200, body = Created), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn save_policy(
    State(_state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PolicyForm>,
) -> ApiResult<Json<Created>> {
    let id = policies::save(&caller.ctx, policies::SavePolicy::try_from(&body)).await?;
    Ok(Json(Created { id }))
}

#[utoipa::path(delete, path = "/policies/{id}", tag = "policies",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn delete_policy(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    policies::delete(&caller.ctx, id).await?;
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
    State(_state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ExtensionList>> {
    let view = policies::view(&caller.ctx).await?;
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
        &caller.ctx,
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
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<StatusCode> {
    policies::decide_extension(&caller.ctx, id, &body.decision, &body.comment).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Releases, compliance and policies: routes with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(products, create_product))
        .routes(routes!(releases, save_release))
        .routes(routes!(organisation))
        .routes(routes!(tenant))
        .routes(routes!(set_tenant_product))
        .routes(routes!(request_extension))
        .routes(routes!(policies_list, save_policy))
        .routes(routes!(delete_policy))
        .routes(routes!(extensions))
        .routes(routes!(decide_extension))
}
