//! Tenant registry server functions and the DTOs they exchange with the UI.

pub mod backups;
pub mod endpoints;
pub mod health;
pub mod manifests;
pub mod migrations;
pub mod offboarding;
pub mod secrets;

use crate::domain::tenants::lifecycle::LifecycleAction;
use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::tenants::*;

/// The 1-based wizard step that collects `field`.
pub fn onboarding_step_of(field: &str) -> usize {
    ONBOARDING_STEPS
        .iter()
        .position(|(_, fields)| fields.contains(&field))
        .map_or(1, |index| index + 1)
}

// JSON input: an all-empty query must still arrive as a query (URL encoding would drop it).
#[server(prefix = "/api/fn", endpoint = "list_tenants", input = server_fn::codec::Json)]
pub async fn list_tenants(query: TenantQuery) -> Result<TenantPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(tenants::list(&ctx, &query).await)
}

#[server(prefix = "/api/fn", endpoint = "get_tenant")]
pub async fn get_tenant(slug: String) -> Result<TenantDetail, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(tenants::detail(&ctx, &slug).await)
}

#[server(prefix = "/api/fn", endpoint = "tenant_form_options")]
pub async fn tenant_form_options() -> Result<FormOptions, AppError> {
    use crate::api::context::{app_state, respond};
    use crate::backend::services::tenants;
    let state = app_state()?;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(tenants::form_options(&ctx, &state.regions).await)
}

/// Creates a draft tenant and goes to its page.
#[server(prefix = "/api/fn", endpoint = "create_tenant")]
pub async fn create_tenant(form: NewTenantForm) -> Result<(), AppError> {
    use crate::api::context::{app_state, respond};
    use crate::backend::services::tenants;
    let state = app_state()?;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let slug = respond(tenants::create(&ctx, &state.regions, &form).await)?;
    leptos_axum::redirect(&format!("/tenants/{slug}"));
    Ok(())
}

/// Checks the wizard's steps 1..=`through_step` without creating anything:
/// only errors of fields on those steps are reported.
#[server(prefix = "/api/fn", endpoint = "check_onboarding", input = server_fn::codec::Json)]
pub async fn check_onboarding(form: NewTenantForm, through_step: usize) -> Result<(), AppError> {
    use crate::api::context::{app_state, is_server_fn_request, respond};
    use crate::backend::error::ServiceError;
    use crate::backend::services::tenants;
    let state = app_state()?;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    match tenants::check_new(&ctx, &state.regions, &form).await {
        Err(ServiceError::Validation(errors)) => {
            let on_these_steps: Vec<_> = errors
                .0
                .into_iter()
                .filter(|e| onboarding_step_of(&e.field) <= through_step)
                .collect();
            if on_these_steps.is_empty() {
                Ok(())
            } else if is_server_fn_request() {
                // Called over HTTP: a 422 like every other invalid input.
                respond(Err(AppError::Validation(on_these_steps)))
            } else {
                // Rendering the wizard page: it shows these; the page itself is no failed request.
                Err(AppError::Validation(on_these_steps))
            }
        }
        other => respond(other),
    }
}

/// Runs one lifecycle action. `confirm` must repeat the slug for delete.
#[server(prefix = "/api/fn", endpoint = "tenant_action")]
pub async fn tenant_action(
    slug: String,
    action: String,
    version: i64,
    confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let Some(action) = LifecycleAction::parse(&action) else {
        return respond(Err(AppError::Validation(vec![
            crate::domain::validation::FieldError::new("action", "Unknown action."),
        ])));
    };
    respond(tenants::transition(&ctx, &slug, action, Some(version), confirm.as_deref()).await)?;
    leptos_axum::redirect(&format!("/tenants/{slug}"));
    Ok(())
}

/// Sets one configuration entry (`secret` is the checkbox: present = on).
#[server(prefix = "/api/fn", endpoint = "set_tenant_config")]
pub async fn set_tenant_config(
    slug: String,
    key: String,
    value: String,
    secret: Option<String>,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::tenant_config;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(tenant_config::set(&ctx, &slug, &key, &value, secret.is_some()).await)?;
    leptos_axum::redirect(&format!("/tenants/{slug}/config"));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "remove_tenant_config")]
pub async fn remove_tenant_config(slug: String, key: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::tenant_config;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(tenant_config::remove(&ctx, &slug, &key).await)?;
    leptos_axum::redirect(&format!("/tenants/{slug}/config"));
    Ok(())
}

/// Saves an edit made against `version`; a stale version is a conflict.
#[server(prefix = "/api/fn", endpoint = "update_tenant")]
pub async fn update_tenant(
    slug: String,
    version: i64,
    edit: TenantEditForm,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(tenants::update(&ctx, &slug, version, tenants::TenantEdit::try_from(&edit)).await)?;
    leptos_axum::redirect(&format!("/tenants/{slug}"));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "preview_bulk", input = server_fn::codec::Json)]
pub async fn preview_bulk(action: String, slugs: Vec<String>) -> Result<Vec<BulkItem>, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let action = respond(parse_bulk_action(&action))?;
    respond(tenants::bulk_preview(&ctx, action, &slugs).await)
}

/// Runs `action` on every slug in the comma-separated list; each tenant is its
/// own audited change, so one refusal does not stop the others.
#[server(prefix = "/api/fn", endpoint = "run_bulk")]
pub async fn run_bulk(action: String, slugs: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let parsed = respond(parse_bulk_action(&action))?;
    let list: Vec<String> = slugs
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    respond(tenants::bulk_run(&ctx, parsed, &list).await)?;
    let ids: Vec<String> = list.iter().map(|s| format!("ids={s}")).collect();
    leptos_axum::redirect(&format!(
        "/tenants/bulk?action={action}&{}&done=1",
        ids.join("&")
    ));
    Ok(())
}

pub fn parse_bulk_action(raw: &str) -> Result<LifecycleAction, AppError> {
    LifecycleAction::parse(raw)
        .filter(|a| BULK_ACTIONS.contains(a))
        .ok_or_else(|| {
            AppError::Validation(vec![crate::domain::validation::FieldError::new(
                "action",
                "Choose suspend, resume or enter maintenance for a bulk change.",
            )])
        })
}
