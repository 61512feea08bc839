//! Version policies (global, per product, per tenant) and grace extensions.

use crate::error::AppError;
use leptos::prelude::*;
use std::collections::HashMap;
use uuid::Uuid;

pub use crate::model::releases::policies::*;

#[server(prefix = "/api/fn", endpoint = "version_policies")]
pub async fn version_policies() -> Result<PoliciesPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::policies;
    use crate::domain::access::permission::{Permission, Scope};
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(policies::view(&ctx).await)?;
    let may = PoliciesMay {
        edit: ctx.principal.can(Permission::PolicyManage, Scope::Platform),
    };
    Ok(crate::model::Allowed { view, may })
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
    use crate::api::context::respond;
    use crate::backend::services::releases::policies;
    let ctx = respond(crate::api::context::server_ctx().await)?;
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
    respond(policies::save(&ctx, policies::SavePolicy::try_from(&form)).await)
}

#[server(prefix = "/api/fn", endpoint = "delete_policy")]
pub async fn delete_policy(id: Uuid) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::policies;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(policies::delete(&ctx, id).await)
}

/// `decision` is `approve` or `deny`.
#[server(prefix = "/api/fn", endpoint = "decide_extension")]
pub async fn decide_extension(
    id: Uuid,
    decision: String,
    #[server(default)] comment: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::releases::policies;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(policies::decide_extension(&ctx, id, &decision, &comment).await)
}
