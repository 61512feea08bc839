//! Version policies (global, per product, per tenant) and grace extensions.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::compliance::ExtensionRow;
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PolicyRow {
    pub id: Uuid,
    /// `global`, `product` or `tenant`.
    pub level: String,
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
    pub can_edit: bool,
}

#[server(prefix = "/api/fn", endpoint = "version_policies")]
pub async fn version_policies() -> Result<PoliciesView, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::policies;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(policies::view(&state.reads, &principal).await)
}

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

/// `actions` arrives as `actions[notify]=on` from the checkboxes.
#[server(prefix = "/api/fn", endpoint = "save_policy")]
pub async fn save_policy(
    level: String,
    #[server(default)] product_id: String,
    #[server(default)] tenant: String,
    #[server(default)] minimum_version: String,
    #[server(default)] maximum_version: String,
    #[server(default)] eol_date: String,
    #[server(default)] grace_days: String,
    #[server(default)] actions: HashMap<String, String>,
) -> Result<Uuid, AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::policies;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let state = state;
    let mut chosen: Vec<String> = actions.into_keys().collect();
    chosen.sort();
    let form = PolicyForm {
        level,
        product_id: product_id.parse().ok(),
        tenant,
        minimum_version,
        maximum_version,
        eol_date,
        grace_days,
        actions: chosen,
    };
    respond(policies::save(&state.db, &principal, &request_context(), &form).await)
}

#[server(prefix = "/api/fn", endpoint = "delete_policy")]
pub async fn delete_policy(id: Uuid) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::policies;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let state = state;
    respond(policies::delete(&state.db, &principal, &request_context(), id).await)
}

/// `decision` is `approve` or `deny`.
#[server(prefix = "/api/fn", endpoint = "decide_extension")]
pub async fn decide_extension(
    id: Uuid,
    decision: String,
    #[server(default)] comment: String,
) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::policies;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let state = state;
    respond(
        policies::decide_extension(
            &state.db,
            &principal,
            &request_context(),
            id,
            &decision,
            &comment,
        )
        .await,
    )
}
