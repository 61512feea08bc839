//! Staged rollouts of a release over many tenants, wave by wave.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::rollouts::*;

#[server(prefix = "/api/fn", endpoint = "rollouts")]
pub async fn rollouts() -> Result<RolloutList, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::rollouts;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(rollouts::list(&state.db, &principal).await)
}

#[server(prefix = "/api/fn", endpoint = "rollout")]
pub async fn rollout(id: Uuid, page: Option<u64>) -> Result<RolloutDetail, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::rollouts;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(rollouts::detail(&state.db, &principal, id, page.unwrap_or(1)).await)
}

#[server(prefix = "/api/fn", endpoint = "create_rollout")]
pub async fn create_rollout(form: RolloutForm) -> Result<Uuid, AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::rollouts;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(rollouts::create(&state.db, &principal, &request_context(), &form).await)
}

/// `approve`, `pause`, `resume`, `abort` or `retry_failed`.
#[server(prefix = "/api/fn", endpoint = "rollout_action")]
pub async fn rollout_action(id: Uuid, action: String) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::rollouts;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(rollouts::act(&state.db, &principal, &request_context(), id, &action).await)
}
