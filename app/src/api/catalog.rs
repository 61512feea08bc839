//! The release catalog: products, their releases and end-of-life dates.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::catalog::*;

#[server(prefix = "/api/fn", endpoint = "release_catalog")]
pub async fn release_catalog() -> Result<CatalogView, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::catalog;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(catalog::view(&state.reads, &principal).await)
}

#[server(prefix = "/api/fn", endpoint = "create_product")]
pub async fn create_product(
    key: String,
    name: String,
    #[server(default)] description: String,
) -> Result<Uuid, AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::catalog;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(
        catalog::create_product(
            &state.db,
            &principal,
            &request_context(),
            &key,
            &name,
            &description,
        )
        .await,
    )
}

/// Publishes a release, or updates the one with the same product and version.
#[server(prefix = "/api/fn", endpoint = "save_release")]
pub async fn save_release(form: ReleaseForm) -> Result<Uuid, AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::catalog;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(catalog::save_release(&state.db, &principal, &request_context(), &form).await)
}
