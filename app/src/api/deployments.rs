//! Blue-green edge deployments: the fleet, one deployment's control panel,
//! switches and their actions, and the products' health baselines.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::deployments::*;

#[server(prefix = "/api/fn", endpoint = "deployments")]
pub async fn deployments() -> Result<FleetPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    use crate::domain::access::permission::{Permission, Scope};
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let rows = respond(deployments::fleet(&ctx).await)?;
    let may = FleetMay {
        create: ctx.principal.can(Permission::TenantManage, Scope::Platform),
    };
    let choices = if may.create {
        respond(deployments::create_options(&ctx).await)?
    } else {
        DeploymentChoices::default()
    };
    let view = Fleet { rows, choices };
    Ok(crate::model::Allowed { view, may })
}

#[server(prefix = "/api/fn", endpoint = "deployment")]
pub async fn deployment(id: Uuid) -> Result<DeploymentPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    use crate::domain::access::permission::{Permission, Scope};
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(deployments::detail(&ctx, id).await)?;
    let (principal, tenant) = (&ctx.principal, Scope::Tenant(view.deployment.tenant_id));
    let may = DeploymentMay {
        operate: principal.can(Permission::UpdateExecute, tenant),
        configure: principal.can(Permission::TenantManage, tenant),
        edit_baseline: principal.can(Permission::ReleaseManage, Scope::Platform),
    };
    Ok(crate::model::Allowed { view, may })
}

#[server(prefix = "/api/fn", endpoint = "create_deployment")]
pub async fn create_deployment(form: DeploymentForm) -> Result<Uuid, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::create(&ctx, deployments::NewDeployment::try_from(&form)).await)
}

#[server(prefix = "/api/fn", endpoint = "start_switch")]
pub async fn start_switch(id: Uuid, form: SwitchForm) -> Result<SwitchRequest, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::start_switch(&ctx, id, deployments::SwitchTarget::try_from(&form)).await)
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
    respond(
        deployments::save_settings(&ctx, id, deployments::SwitchSettings::try_from(&form)).await,
    )
}

#[server(prefix = "/api/fn", endpoint = "save_simulation")]
pub async fn save_simulation(id: Uuid, form: SimulationForm) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::save_simulation(&ctx, id, Simulation::try_from(&form)).await)
}

/// A product's health baseline as lines: `name | path | status | body text | max ms`.
#[server(prefix = "/api/fn", endpoint = "save_health_baseline")]
pub async fn save_health_baseline(product: String, checks: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::deployments;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(deployments::save_baseline_lines(&ctx, &product, &checks).await).map(|_| ())
}
