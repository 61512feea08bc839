//! Server functions of the Service levels page.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::platform::service_levels::*;

#[server(prefix = "/api/fn", endpoint = "service_levels")]
pub async fn get_service_levels() -> Result<ServiceLevels, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::platform::service_levels;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(service_levels::view(&ctx).await)
}

#[server(prefix = "/api/fn", endpoint = "save_slo_targets")]
pub async fn save_slo_targets(
    availability_percent: String,
    api_p95_ms: String,
    api_error_percent: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::platform::service_levels;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let form = SloTargetsForm {
        availability_percent,
        api_p95_ms,
        api_error_percent,
    };
    respond(service_levels::save_targets(&ctx, &form).await).map(|_| ())
}
