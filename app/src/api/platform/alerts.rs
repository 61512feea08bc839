use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::platform::alerts::*;

#[server(prefix = "/api/fn", endpoint = "list_alerts")]
pub async fn list_alerts(
    status: Option<String>,
    page: Option<u64>,
) -> Result<AlertsView, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::platform::alerts;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let query = AlertQuery {
        status: status.unwrap_or_default(),
        page,
    };
    respond(alerts::list(&ctx, &query).await)
}

#[server(prefix = "/api/fn", endpoint = "acknowledge_alert")]
pub async fn acknowledge_alert(id: Uuid, comment: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::platform::alerts;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(alerts::acknowledge(&ctx, id, &AcknowledgeForm { comment }).await).map(|_| ())
}

#[server(prefix = "/api/fn", endpoint = "alert_rules")]
pub async fn alert_rules() -> Result<Vec<AlertRuleView>, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::platform::alerts;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(alerts::rules(&ctx).await)
}

/// A checkbox sends `enabled=on` only when ticked.
#[server(prefix = "/api/fn", endpoint = "save_alert_rule")]
pub async fn save_alert_rule(
    rule: String,
    #[server(default)] enabled: Option<String>,
    #[server(default)] threshold: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::platform::alerts;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let form = AlertRuleForm {
        enabled: enabled.is_some(),
        threshold,
    };
    respond(alerts::save_rule(&ctx, &rule, &form).await).map(|_| ())
}
