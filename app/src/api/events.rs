//! Webhook endpoints (Settings → Webhooks): subscribe, the delivery log, a
//! test event, a new secret, the dead letters again, on/off. A new secret is
//! shown once.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::model::events::*;

/// The Webhooks page: the endpoints the caller may see, and a secret made
/// a moment ago (once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksView {
    pub endpoints: Vec<EndpointView>,
    pub new_secret: Option<String>,
    /// Whether the caller may subscribe for every tenant (the vendor).
    pub may_hear_all: bool,
}

/// One endpoint's page: its log, and a secret rotated a moment ago (once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub detail: EndpointDetail,
    pub new_secret: Option<String>,
}

#[server(prefix = "/api/fn", endpoint = "list_webhooks")]
pub async fn list_webhooks() -> Result<WebhooksView, AppError> {
    use crate::api::context::{auth_session, respond};
    use crate::backend::services::events::webhooks;
    use crate::domain::access::permission::{Permission, Scope};
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let endpoints = respond(webhooks::list(&ctx).await)?;
    let may_hear_all = ctx.principal.can(Permission::TenantManage, Scope::Platform);
    let new_secret = auth_session().await?.take_new_webhook_secret().await;
    Ok(WebhooksView {
        endpoints,
        new_secret,
        may_hear_all,
    })
}

#[server(prefix = "/api/fn", endpoint = "create_webhook")]
pub async fn create_webhook(
    #[server(default)] tenant: String,
    url: String,
    #[server(default)] description: String,
    #[server(default)] event_types: String,
) -> Result<EndpointSecret, AppError> {
    use crate::api::context::{auth_session, is_html_form_post, respond};
    use crate::backend::services::events::webhooks;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let form = EndpointForm {
        tenant,
        url,
        description,
        event_types,
    };
    let created = respond(webhooks::create(&ctx, &form).await)?;
    if is_html_form_post() {
        respond(
            auth_session()
                .await?
                .hold_new_webhook_secret(&created.secret)
                .await,
        )?;
    }
    Ok(created)
}

#[server(prefix = "/api/fn", endpoint = "load_webhook")]
pub async fn load_webhook(
    id: Uuid,
    #[server(default)] query: AttemptQuery,
) -> Result<WebhookView, AppError> {
    use crate::api::context::{auth_session, respond};
    use crate::backend::services::events::webhooks;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let detail = respond(webhooks::detail(&ctx, id, &query).await)?;
    let new_secret = auth_session().await?.take_new_webhook_secret().await;
    Ok(WebhookView { detail, new_secret })
}

#[server(prefix = "/api/fn", endpoint = "send_webhook_test")]
pub async fn send_webhook_test(id: Uuid) -> Result<Uuid, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::events::webhooks;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let sent = respond(webhooks::send_test(&ctx, id).await)?;
    leptos_axum::redirect(&format!("/settings/webhooks/{id}"));
    Ok(sent)
}

#[server(prefix = "/api/fn", endpoint = "rotate_webhook_secret")]
pub async fn rotate_webhook_secret(id: Uuid) -> Result<EndpointSecret, AppError> {
    use crate::api::context::{auth_session, is_html_form_post, respond};
    use crate::backend::services::events::webhooks;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let rotated = respond(webhooks::rotate_secret(&ctx, id).await)?;
    if is_html_form_post() {
        respond(
            auth_session()
                .await?
                .hold_new_webhook_secret(&rotated.secret)
                .await,
        )?;
    }
    Ok(rotated)
}

#[server(prefix = "/api/fn", endpoint = "requeue_webhook")]
pub async fn requeue_webhook(id: Uuid) -> Result<u64, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::events::webhooks;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let requeued = respond(webhooks::requeue(&ctx, id, None).await)?;
    leptos_axum::redirect(&format!("/settings/webhooks/{id}"));
    Ok(requeued)
}

/// Sends every event the endpoint may hear from `from_sequence` on again.
#[server(prefix = "/api/fn", endpoint = "replay_webhook")]
pub async fn replay_webhook(id: Uuid, from_sequence: String) -> Result<u64, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::events::webhooks;
    use crate::domain::validation::FieldErrors;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let Ok(from) = from_sequence.trim().parse::<i64>() else {
        let mut errors = FieldErrors::default();
        errors.push("from_sequence", "Enter a sequence number, e.g. 1200.");
        return Err(AppError::from(crate::backend::error::ServiceError::from(
            errors,
        )));
    };
    let replayed = respond(webhooks::replay_from(&ctx, id, from).await)?;
    leptos_axum::redirect(&format!("/settings/webhooks/{id}"));
    Ok(replayed)
}

/// `enabled` is `"true"` or `"false"` (a form's hidden field).
#[server(prefix = "/api/fn", endpoint = "set_webhook_enabled")]
pub async fn set_webhook_enabled(id: Uuid, enabled: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::events::webhooks;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(webhooks::set_enabled(&ctx, id, enabled == "true").await)?;
    leptos_axum::redirect(&format!("/settings/webhooks/{id}"));
    Ok(())
}
