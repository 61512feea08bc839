//! Staged rollouts of a release over many tenants, wave by wave.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::rollouts::*;

#[server(prefix = "/api/fn", endpoint = "rollouts")]
pub async fn rollouts() -> Result<RolloutsPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::rollouts;
    use crate::domain::access::permission::Permission;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(rollouts::list(&ctx).await)?;
    let may = RolloutsMay {
        create: ctx.principal.require(Permission::UpdateExecute).is_ok(),
    };
    Ok(crate::model::Allowed { view, may })
}

#[server(prefix = "/api/fn", endpoint = "rollout")]
pub async fn rollout(id: Uuid, page: Option<u64>) -> Result<RolloutDetail, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::rollouts;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(rollouts::detail(&ctx, id, page.unwrap_or(1)).await)
}

#[server(prefix = "/api/fn", endpoint = "create_rollout")]
pub async fn create_rollout(form: RolloutForm) -> Result<Uuid, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::rollouts;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(rollouts::create(&ctx, rollouts::NewRollout::try_from(&form)).await)
}

/// `approve`, `pause`, `resume`, `abort` or `retry_failed`.
#[server(prefix = "/api/fn", endpoint = "rollout_action")]
pub async fn rollout_action(id: Uuid, action: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::rollouts;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let action = respond(rollouts::parse_action(&action))?;
    respond(rollouts::act(&ctx, id, action).await)
}
