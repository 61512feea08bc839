//! Server functions of a tenant's Placement tab.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::tenants::migrations::*;

#[server(prefix = "/api/fn", endpoint = "migrations_of_tenant")]
pub async fn migrations_of_tenant(slug: String) -> Result<TenantMigrations, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::migrations;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(migrations::view(&ctx, &slug).await)
}

/// Asks for the tenant to move (the slug typed to confirm); the tab then
/// follows the migration.
#[server(prefix = "/api/fn", endpoint = "migrate_tenant")]
pub async fn migrate_tenant(
    slug: String,
    #[server(default)] region: String,
    #[server(default)] isolation: String,
    #[server(default)] reason: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::migrations;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(
        migrations::request(
            &ctx,
            &slug,
            &MigrationForm {
                region,
                isolation,
                reason,
                confirm,
            },
        )
        .await,
    )?;
    leptos_axum::redirect(&format!("/tenants/{slug}/placement"));
    Ok(())
}
