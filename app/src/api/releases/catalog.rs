//! The release catalog: products, their releases and end-of-life dates.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::releases::catalog::*;

#[server(prefix = "/api/fn", endpoint = "release_catalog")]
pub async fn release_catalog() -> Result<CatalogPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::catalog;
    use crate::domain::access::permission::{Permission, Scope};
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(catalog::view(&ctx).await)?;
    let may = CatalogMay {
        edit: ctx
            .principal
            .can(Permission::ReleaseManage, Scope::Platform),
    };
    Ok(crate::model::Allowed { view, may })
}

#[server(prefix = "/api/fn", endpoint = "create_product")]
pub async fn create_product(
    key: String,
    name: String,
    #[server(default)] description: String,
) -> Result<Uuid, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::catalog;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(catalog::create_product(&ctx, &key, &name, &description).await)
}

/// Publishes a release, or updates the one with the same product and version.
#[server(prefix = "/api/fn", endpoint = "save_release")]
pub async fn save_release(form: ReleaseForm) -> Result<Uuid, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::catalog;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(catalog::save_release(&ctx, catalog::PublishRelease::try_from(&form)).await)
}
