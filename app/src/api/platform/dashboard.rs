use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::platform::dashboard::*;

#[server(prefix = "/api/fn", endpoint = "dashboard_summary")]
pub async fn dashboard_summary() -> Result<DashboardData, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::platform::dashboard::summary;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(summary(&ctx).await)
}
