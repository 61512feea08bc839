//! Server functions of the tenant page's Health tab.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::tenants::health::*;

/// The tenant's health (`slug` or id) and what the viewer may do about it.
#[server(prefix = "/api/fn", endpoint = "health_of_tenant")]
pub async fn health_of_tenant(slug: String) -> Result<TenantHealthPage, AppError> {
    use crate::api::context::{app_state, respond};
    use crate::backend::services::tenants::health;
    use crate::domain::access::permission::{Permission, Scope};
    let state = app_state()?;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(health::view(&ctx, &slug, &state.health).await)?;
    let may = HealthMay {
        run: ctx
            .principal
            .can(Permission::TenantManage, Scope::Tenant(view.tenant_id)),
        set_address: ctx.principal.can(Permission::TenantManage, Scope::Platform),
    };
    Ok(crate::model::Allowed { view, may })
}

/// Runs the tenant's baselines now.
#[server(prefix = "/api/fn", endpoint = "run_health_check")]
pub async fn run_health_check(slug: String) -> Result<HealthRunRow, AppError> {
    use crate::api::context::{app_state, respond};
    use crate::backend::services::tenants::health;
    let state = app_state()?;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let run = respond(health::run_now(&ctx, &slug, &state.health, state.executor.as_ref()).await)?;
    leptos_axum::redirect(&format!("/tenants/{}/health", slug.trim()));
    Ok(run)
}

/// Sets the address the tenant's checks are probed at (vendor only).
#[server(prefix = "/api/fn", endpoint = "set_tenant_address")]
pub async fn set_tenant_address(slug: String, base_url: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::health;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(health::set_address(&ctx, &slug, &base_url).await)?;
    leptos_axum::redirect(&format!("/tenants/{}/health", slug.trim()));
    Ok(())
}

/// The tenant's overview: health against the availability target, versions,
/// work in flight, recent failures, webhooks, router traffic, open alerts.
#[server(prefix = "/api/fn", endpoint = "tenant_overview")]
pub async fn tenant_overview(
    slug: String,
) -> Result<crate::model::tenants::overview::TenantOverview, AppError> {
    use crate::api::context::{app_state, respond};
    use crate::backend::services::tenants::overview;
    let state = app_state()?;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(overview::overview(&ctx, &slug, &state.health).await)
}

/// Tenants ranked by trouble, filtered by region and plan (JSON input: an
/// all-empty query must still arrive as a query).
#[server(prefix = "/api/fn", endpoint = "tenant_trouble", input = server_fn::codec::Json)]
pub async fn tenant_trouble(
    query: crate::model::tenants::trouble::TroubleQuery,
) -> Result<crate::model::tenants::trouble::TroublePage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::trouble;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(trouble::ranked(&ctx, &query).await)
}
