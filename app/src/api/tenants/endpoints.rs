//! A tenant's endpoints (devices running our agent) and its enrollment tokens.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::tenants::endpoints::*;

#[server(prefix = "/api/fn", endpoint = "tenant_endpoints", input = server_fn::codec::Json)]
pub async fn tenant_endpoints(
    tenant_id: Uuid,
    query: EndpointQuery,
) -> Result<EndpointsPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::agents;
    use crate::domain::access::permission::{Permission, Scope};
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(agents::view(&ctx, tenant_id, &query).await)?;
    let may = EndpointsMay {
        enroll: ctx
            .principal
            .can(Permission::TenantManage, Scope::Tenant(tenant_id)),
    };
    Ok(crate::model::Allowed { view, may })
}

/// Returns the token itself, shown once.
#[server(prefix = "/api/fn", endpoint = "create_enrollment_token")]
pub async fn create_enrollment_token(
    tenant_id: Uuid,
    label: String,
    #[server(default)] max_registrations: Option<String>,
    #[server(default)] replaces_endpoints: Option<String>,
) -> Result<String, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::agents;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(
        agents::create_enrollment_token(
            &ctx,
            tenant_id,
            &label,
            max_registrations.as_deref().unwrap_or(""),
            replaces_endpoints.is_some_and(|v| !v.is_empty() && v != "false"),
        )
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "revoke_enrollment_token")]
pub async fn revoke_enrollment_token(tenant_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::agents;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(agents::revoke_enrollment_token(&ctx, tenant_id, id).await)
}
