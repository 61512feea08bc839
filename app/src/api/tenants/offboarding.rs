//! Server functions of a tenant's Offboarding tab.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::tenants::offboarding::*;

#[server(prefix = "/api/fn", endpoint = "offboarding_of_tenant")]
pub async fn offboarding_of_tenant(slug: String) -> Result<TenantOffboarding, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::offboarding;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(offboarding::view(&ctx, &slug).await)
}

/// Offboards the tenant (the slug typed to confirm); the tab then follows it.
#[server(prefix = "/api/fn", endpoint = "offboard_tenant")]
pub async fn offboard_tenant(
    slug: String,
    #[server(default)] reason: String,
    #[server(default)] retention_days: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::offboarding;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(
        offboarding::start(
            &ctx,
            &slug,
            &OffboardingForm {
                reason,
                retention_days,
                confirm,
            },
        )
        .await,
    )?;
    leptos_axum::redirect(&format!("/tenants/{slug}/offboarding"));
    Ok(())
}
