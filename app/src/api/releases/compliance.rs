//! Version compliance: the organisation's dashboard, the report rows, and one
//! tenant's products and versions.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::releases::compliance::*;

#[server(prefix = "/api/fn", endpoint = "compliance_dashboard", input = server_fn::codec::Json)]
pub async fn compliance_dashboard(query: ComplianceQuery) -> Result<CompliancePage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::compliance;
    use crate::domain::access::permission::Permission;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(compliance::dashboard(&ctx, &query).await)?;
    let may = ComplianceMay {
        assess: ctx.principal.require(Permission::PolicyManage).is_ok(),
    };
    Ok(crate::model::Allowed { view, may })
}

/// Re-runs the assessment for every tenant now (it also runs hourly).
#[server(prefix = "/api/fn", endpoint = "run_assessment")]
pub async fn run_assessment() -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::compliance;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(compliance::assess_now(&ctx).await)
}

#[server(prefix = "/api/fn", endpoint = "tenant_versions")]
pub async fn tenant_versions(tenant_id: Uuid) -> Result<TenantVersionsPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::tenant_versions;
    use crate::domain::access::permission::{Permission, Scope};
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(tenant_versions::view(&ctx, tenant_id).await)?;
    let principal = &ctx.principal;
    let may = TenantVersionsMay {
        license: principal.can(Permission::ReleaseManage, Scope::Platform),
        request_extension: principal.can(Permission::UpdateApprove, Scope::Tenant(tenant_id)),
    };
    Ok(crate::model::Allowed { view, may })
}

/// Licenses a product to a tenant, or changes its range, flags or running version.
#[server(prefix = "/api/fn", endpoint = "set_tenant_product")]
pub async fn set_tenant_product(tenant_id: Uuid, form: TenantProductForm) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::tenant_versions;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(
        tenant_versions::set(
            &ctx,
            tenant_id,
            tenant_versions::LicenseProduct::try_from(&form),
        )
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "request_grace_extension")]
pub async fn request_grace_extension(
    tenant_id: Uuid,
    product_id: Uuid,
    days: String,
    reason: String,
) -> Result<Uuid, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::policies;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(policies::request_extension(&ctx, tenant_id, product_id, &days, &reason).await)
}
