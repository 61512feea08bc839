//! Roles: the built-in ones and custom named permission sets (Settings → Roles).

use crate::error::AppError;
use leptos::prelude::*;
use std::collections::HashMap;
use uuid::Uuid;

pub use crate::model::access::roles::*;

#[server(prefix = "/api/fn", endpoint = "list_roles")]
pub async fn list_roles() -> Result<RolesPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::access::roles;
    use crate::domain::access::permission::Permission;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(roles::list(&ctx).await)?;
    let may = RolesMay {
        edit: ctx.principal.require(Permission::UserManage).is_ok(),
    };
    Ok(crate::model::Allowed { view, may })
}

/// `permissions` arrives as `permissions[tenant.read]=on` from the checkboxes.
#[server(prefix = "/api/fn", endpoint = "create_role")]
pub async fn create_role(
    name: String,
    scope: String,
    #[server(default)] permissions: HashMap<String, String>,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::access::roles;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let mut chosen: Vec<&str> = permissions.keys().map(String::as_str).collect();
    chosen.sort_unstable();
    respond(roles::create(&ctx, &name, &scope, &chosen).await).map(|_| ())
}

#[server(prefix = "/api/fn", endpoint = "delete_role")]
pub async fn delete_role(id: Uuid) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::access::roles;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(roles::delete(&ctx, id).await)
}
