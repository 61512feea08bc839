//! What crosses the wire for catalog: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

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
    pub status: crate::domain::releases::catalog::ReleaseStatus,
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
    pub today: NaiveDate,
}

/// What the viewer may do on the releases page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogMay {
    /// Publish releases and add products (platform `release.manage`).
    pub edit: bool,
}

pub type CatalogPage = crate::model::Allowed<CatalogView, CatalogMay>;

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
