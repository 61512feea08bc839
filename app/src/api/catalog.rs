//! The release catalog: products, their releases and end-of-life dates.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductRow {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub description: String,
    /// The newest published release, if any.
    pub latest: Option<String>,
    /// Tenants licensed for it.
    pub tenants: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReleaseRow {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_key: String,
    pub version: String,
    pub released_on: NaiveDate,
    pub end_of_support: Option<NaiveDate>,
    pub end_of_life: Option<NaiveDate>,
    /// `published` or `withdrawn`.
    pub status: String,
    pub notes: String,
    /// Component → pinned version.
    pub components: BTreeMap<String, String>,
    /// Tenants running exactly this version.
    pub tenants_running: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogView {
    pub products: Vec<ProductRow>,
    /// Newest first within each product.
    pub releases: Vec<ReleaseRow>,
    pub can_edit: bool,
    pub today: NaiveDate,
}

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
    let state = state;
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

/// The release form's fields, as text (validated by `ReleaseRequest::parse`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReleaseForm {
    pub product_id: Uuid,
    pub version: String,
    pub released_on: String,
    #[serde(default)]
    pub end_of_support: String,
    #[serde(default)]
    pub end_of_life: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub notes: String,
    /// `component=version`, one per line.
    #[serde(default)]
    pub components: String,
}

/// Publishes a release, or updates the one with the same product and version.
#[server(prefix = "/api/fn", endpoint = "save_release")]
pub async fn save_release(form: ReleaseForm) -> Result<Uuid, AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::catalog;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let state = state;
    respond(catalog::save_release(&state.db, &principal, &request_context(), &form).await)
}
