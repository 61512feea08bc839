//! What crosses the wire for policies: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use crate::model::releases::compliance::ExtensionRow;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PolicyRow {
    pub id: Uuid,
    pub level: crate::domain::releases::compliance::PolicyLevel,
    pub product_id: Option<Uuid>,
    pub product_key: Option<String>,
    pub tenant_id: Option<Uuid>,
    pub tenant_slug: Option<String>,
    pub minimum_version: Option<String>,
    pub maximum_version: Option<String>,
    pub eol_date: Option<NaiveDate>,
    pub grace_days: i64,
    pub actions: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoliciesView {
    pub policies: Vec<PolicyRow>,
    pub extensions: Vec<ExtensionRow>,
    /// (id, key, name)
    pub products: Vec<(Uuid, String, String)>,
    /// (key, label)
    pub actions: Vec<(String, String)>,
}

/// What the viewer may do on the policies page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoliciesMay {
    /// Save and delete policies, decide grace extensions (platform `policy.manage`).
    pub edit: bool,
}

pub type PoliciesPage = crate::model::Allowed<PoliciesView, PoliciesMay>;

/// A policy as the form or API sends it; one policy per level, product and tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PolicyForm {
    pub level: String,
    #[serde(default)]
    pub product_id: Option<Uuid>,
    /// The tenant's slug, for a tenant override.
    #[serde(default)]
    pub tenant: String,
    #[serde(default)]
    pub minimum_version: String,
    #[serde(default)]
    pub maximum_version: String,
    #[serde(default)]
    pub eol_date: String,
    #[serde(default)]
    pub grace_days: String,
    /// Enforcement action keys.
    #[serde(default)]
    pub actions: Vec<String>,
}
