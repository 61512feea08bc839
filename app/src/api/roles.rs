//! Roles: the built-in ones and custom named permission sets (Settings → Roles).

use crate::error::AppError;
use leptos::prelude::*;
use std::collections::HashMap;
use uuid::Uuid;

pub use crate::model::roles::*;

#[server(prefix = "/api/fn", endpoint = "list_roles")]
pub async fn list_roles() -> Result<RolesView, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::roles;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(roles::list(&state.reads, &principal).await)
}

/// `permissions` arrives as `permissions[tenant.read]=on` from the checkboxes.
#[server(prefix = "/api/fn", endpoint = "create_role")]
pub async fn create_role(
    name: String,
    scope: String,
    #[server(default)] permissions: HashMap<String, String>,
) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::roles;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let mut chosen: Vec<&str> = permissions.keys().map(String::as_str).collect();
    chosen.sort_unstable();
    respond(
        roles::create(
            &state.db,
            &principal,
            &request_context(),
            &name,
            &scope,
            &chosen,
        )
        .await,
    )
    .map(|_| ())
}

#[server(prefix = "/api/fn", endpoint = "delete_role")]
pub async fn delete_role(id: Uuid) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::roles;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(roles::delete(&state.db, &principal, &request_context(), id).await)
}
