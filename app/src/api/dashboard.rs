use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::dashboard::*;

#[server(prefix = "/api/fn", endpoint = "dashboard_summary")]
pub async fn dashboard_summary() -> Result<DashboardData, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::dashboard::summary;

    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(summary(&state.reads, &principal).await)
}
