//! Blue-green edge deployments: the fleet, one deployment's control panel,
//! switches and their actions, and the products' health baselines.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::deployments::*;

#[server(prefix = "/api/fn", endpoint = "deployments")]
pub async fn deployments() -> Result<Fleet, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::fleet(&ctx).await)
}

#[server(prefix = "/api/fn", endpoint = "deployment")]
pub async fn deployment(id: Uuid) -> Result<DeploymentDetail, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::detail(&ctx, id).await)
}

#[server(prefix = "/api/fn", endpoint = "create_deployment")]
pub async fn create_deployment(form: DeploymentForm) -> Result<Uuid, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::create(&ctx, &form).await)
}

#[server(prefix = "/api/fn", endpoint = "start_switch")]
pub async fn start_switch(id: Uuid, form: SwitchForm) -> Result<Uuid, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::start_switch(&ctx, id, &form).await)
}

/// `promote`, `pause`, `resume`, `abort` or `rollback`.
#[server(prefix = "/api/fn", endpoint = "switch_action")]
pub async fn switch_action(id: Uuid, action: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::act(&ctx, id, &action).await)
}

#[server(prefix = "/api/fn", endpoint = "save_switch_settings")]
pub async fn save_switch_settings(id: Uuid, form: SwitchSettingsForm) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::save_settings(&ctx, id, &form).await)
}

#[server(prefix = "/api/fn", endpoint = "save_simulation")]
pub async fn save_simulation(id: Uuid, form: SimulationForm) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::save_simulation_form(&ctx, id, &form).await)
}

/// A product's health baseline as lines: `name | path | status | body text | max ms`.
#[server(prefix = "/api/fn", endpoint = "save_health_baseline")]
pub async fn save_health_baseline(product: String, checks: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::save_baseline_lines(&ctx, &product, &checks).await).map(|_| ())
}
