//! Blue-green edge deployments: the fleet, one deployment's control panel,
//! switches and their actions, and the products' health baselines.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::deployments::*;

#[server(prefix = "/api/fn", endpoint = "deployments")]
pub async fn deployments() -> Result<Fleet, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::deployments;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(deployments::fleet(&state.db, &principal).await)
}

#[server(prefix = "/api/fn", endpoint = "deployment")]
pub async fn deployment(id: Uuid) -> Result<DeploymentDetail, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::deployments;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(deployments::detail(&state.db, &principal, id).await)
}

#[server(prefix = "/api/fn", endpoint = "create_deployment")]
pub async fn create_deployment(form: DeploymentForm) -> Result<Uuid, AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::deployments;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(deployments::create(&state.db, &principal, &request_context(), &form).await)
}

#[server(prefix = "/api/fn", endpoint = "start_switch")]
pub async fn start_switch(id: Uuid, form: SwitchForm) -> Result<Uuid, AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::deployments;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(deployments::start_switch(&state.db, &principal, &request_context(), id, &form).await)
}

/// `promote`, `pause`, `resume`, `abort` or `rollback`.
#[server(prefix = "/api/fn", endpoint = "switch_action")]
pub async fn switch_action(id: Uuid, action: String) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::deployments;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(deployments::act(&state.db, &principal, &request_context(), id, &action).await)
}

#[server(prefix = "/api/fn", endpoint = "save_switch_settings")]
pub async fn save_switch_settings(id: Uuid, form: SwitchSettingsForm) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::deployments;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(deployments::save_settings(&state.db, &principal, &request_context(), id, &form).await)
}

#[server(prefix = "/api/fn", endpoint = "save_simulation")]
pub async fn save_simulation(id: Uuid, form: SimulationForm) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::deployments;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(
        deployments::save_simulation_form(&state.db, &principal, &request_context(), id, &form)
            .await,
    )
}

/// A product's health baseline as lines: `name | path | status | body text | max ms`.
#[server(prefix = "/api/fn", endpoint = "save_health_baseline")]
pub async fn save_health_baseline(product: String, checks: String) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::deployments;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(
        deployments::save_baseline_lines(
            &state.db,
            &principal,
            &request_context(),
            &product,
            &checks,
        )
        .await,
    )
    .map(|_| ())
}
