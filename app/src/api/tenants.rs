//! Tenant registry server functions and the DTOs they exchange with the UI.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::dashboard::AuditEventRow;
use crate::domain::lifecycle::{LifecycleAction, LifecycleState};
use crate::error::AppError;

/// Search, filters, sort and page of the tenant list (the list screen's URL
/// and the REST API's query string). Unknown parameters are refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct TenantQuery {
    /// Free text over name, slug, customer and external ids.
    pub q: Option<String>,
    /// Lifecycle state, e.g. `active`.
    pub state: Option<String>,
    /// Plan code, e.g. `enterprise`.
    pub plan: Option<String>,
    pub region: Option<String>,
    /// `production`, `staging` or `development`.
    pub environment: Option<String>,
    /// Deployment kind: `standard`, `edge` or `endpoints`.
    pub kind: Option<String>,
    pub label: Option<String>,
    /// `slug` (default), `name`, `state`, `plan`, `region`, `environment` or `updated`.
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub dir: Option<String>,
    /// 1-based page number (default 1).
    pub page: Option<u64>,
    /// Items per page, 1–100 (default 25).
    pub per_page: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantRow {
    pub id: Uuid,
    pub slug: String,
    pub display_name: String,
    pub customer: Option<String>,
    pub environment: String,
    pub deployment_kind: String,
    pub plan_code: String,
    pub region: String,
    pub state: LifecycleState,
    pub requested_state: Option<LifecycleState>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantPage {
    pub rows: Vec<TenantRow>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    /// Whether any tenant exists at all (tells "nothing yet" from "no results").
    pub any_tenants: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOption {
    pub action: LifecycleAction,
    /// `None` when allowed now; otherwise why not.
    pub unavailable_because: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldChangeRow {
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub actor: String,
    pub changed_at: DateTime<Utc>,
}

/// One configuration entry; `value` is `None` for secrets (write-only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConfigEntryRow {
    pub key: String,
    pub value: Option<String>,
    pub is_secret: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantDetail {
    pub row: TenantRow,
    pub isolation_mode: String,
    pub allowed_regions: Vec<String>,
    pub contacts: Vec<(String, String)>,
    pub external_ids: Vec<(String, String)>,
    pub labels: Vec<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub config: Vec<ConfigEntryRow>,
    pub actions: Vec<ActionOption>,
    pub changes: Vec<FieldChangeRow>,
    pub history: Vec<AuditEventRow>,
    /// Why the tenant's own people have restricted access now (a version
    /// policy's `restrict_access`), if they do.
    pub access_restriction: Option<String>,
}

/// Everything the onboarding form collects, as typed text; parsed on the server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTenantForm {
    pub customer: String,
    pub slug: String,
    pub display_name: String,
    pub environment: String,
    pub deployment_kind: String,
    pub isolation_mode: String,
    pub plan_code: String,
    pub region: String,
    /// Comma-separated region codes.
    pub allowed_regions: String,
    pub contact_technical: String,
    pub contact_billing: String,
    pub contact_incident: String,
    pub external_crm: String,
    pub external_billing: String,
    /// Comma-separated labels.
    pub labels: String,
}

/// The onboarding wizard's steps, each with the form fields it collects.
pub const ONBOARDING_STEPS: [(&str, &[&str]); 4] = [
    (
        "Record",
        &[
            "customer",
            "display_name",
            "slug",
            "environment",
            "deployment_kind",
            "isolation_mode",
            "labels",
        ],
    ),
    (
        "Contacts & external ids",
        &[
            "contact_technical",
            "contact_billing",
            "contact_incident",
            "external_crm",
            "external_billing",
        ],
    ),
    (
        "Placement & plan",
        &["plan_code", "region", "allowed_regions"],
    ),
    ("Review", &[]),
];

/// The 1-based wizard step that collects `field`.
pub fn onboarding_step_of(field: &str) -> usize {
    ONBOARDING_STEPS
        .iter()
        .position(|(_, fields)| fields.contains(&field))
        .map_or(1, |index| index + 1)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormOptions {
    pub plans: Vec<(String, String)>,
    pub regions: Vec<String>,
}

// JSON input: an all-empty query must still arrive as a query (URL encoding would drop it).
#[server(prefix = "/api/fn", endpoint = "list_tenants", input = server_fn::codec::Json)]
pub async fn list_tenants(query: TenantQuery) -> Result<TenantPage, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::tenants;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(tenants::list(&state.reads, &principal, &query).await)
}

#[server(prefix = "/api/fn", endpoint = "get_tenant")]
pub async fn get_tenant(slug: String) -> Result<TenantDetail, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::tenants;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(tenants::detail(&state.reads, &principal, &slug).await)
}

#[server(prefix = "/api/fn", endpoint = "tenant_form_options")]
pub async fn tenant_form_options() -> Result<FormOptions, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::tenants;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let state = state;
    respond(tenants::form_options(&state.reads, &principal, &state.regions).await)
}

/// Creates a draft tenant and goes to its page.
#[server(prefix = "/api/fn", endpoint = "create_tenant")]
pub async fn create_tenant(form: NewTenantForm) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::tenants;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let state = state;
    let slug = respond(
        tenants::create(
            &state.db,
            &principal,
            &request_context(),
            &state.regions,
            &form,
        )
        .await,
    )?;
    leptos_axum::redirect(&format!("/tenants/{slug}"));
    Ok(())
}

/// Checks the wizard's steps 1..=`through_step` without creating anything:
/// only errors of fields on those steps are reported.
#[server(prefix = "/api/fn", endpoint = "check_onboarding", input = server_fn::codec::Json)]
pub async fn check_onboarding(form: NewTenantForm, through_step: usize) -> Result<(), AppError> {
    use super::context::{app_state, is_server_fn_request, require_principal, respond};
    use crate::backend::error::ServiceError;
    use crate::backend::services::tenants;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let state = state;
    match tenants::check_new(&state.reads, &principal, &state.regions, &form).await {
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
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::tenants;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let Some(action) = LifecycleAction::parse(&action) else {
        return respond(Err(AppError::Validation(vec![
            crate::domain::validation::FieldError::new("action", "Unknown action."),
        ])));
    };
    let db = state.db;
    respond(
        tenants::transition(
            &db,
            &principal,
            &request_context(),
            &slug,
            action,
            Some(version),
            confirm.as_deref(),
        )
        .await,
    )?;
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
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::tenant_config;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let db = state.db;
    respond(
        tenant_config::set(
            &db,
            &principal,
            &request_context(),
            &slug,
            &key,
            &value,
            secret.is_some(),
        )
        .await,
    )?;
    leptos_axum::redirect(&format!("/tenants/{slug}/config"));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "remove_tenant_config")]
pub async fn remove_tenant_config(slug: String, key: String) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::tenant_config;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let db = state.db;
    respond(tenant_config::remove(&db, &principal, &request_context(), &slug, &key).await)?;
    leptos_axum::redirect(&format!("/tenants/{slug}/config"));
    Ok(())
}

/// The editable attributes of a tenant, as typed text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantEditForm {
    pub display_name: String,
    pub plan_code: String,
    /// Comma-separated labels.
    pub labels: String,
    pub contact_technical: String,
    pub contact_billing: String,
    pub contact_incident: String,
}

/// Saves an edit made against `version`; a stale version is a conflict.
#[server(prefix = "/api/fn", endpoint = "update_tenant")]
pub async fn update_tenant(
    slug: String,
    version: i64,
    edit: TenantEditForm,
) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::tenants;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let db = state.db;
    respond(tenants::update(&db, &principal, &request_context(), &slug, version, &edit).await)?;
    leptos_axum::redirect(&format!("/tenants/{slug}"));
    Ok(())
}

/// What one tenant of a bulk selection will do (or did).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkOutcome {
    /// The action can run now.
    Eligible,
    /// The tenant already is where the action leads.
    AlreadyDone,
    /// The action cannot run, and why.
    Refused(String),
    NotFound,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkItem {
    pub slug: String,
    pub display_name: Option<String>,
    pub state: Option<LifecycleState>,
    pub outcome: BulkOutcome,
}

/// The actions offered for a selection of tenants.
pub const BULK_ACTIONS: [LifecycleAction; 3] = [
    LifecycleAction::Suspend,
    LifecycleAction::Resume,
    LifecycleAction::EnterMaintenance,
];

#[server(prefix = "/api/fn", endpoint = "preview_bulk", input = server_fn::codec::Json)]
pub async fn preview_bulk(action: String, slugs: Vec<String>) -> Result<Vec<BulkItem>, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::tenants;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let action = respond(parse_bulk_action(&action))?;
    respond(tenants::bulk_preview(&state.reads, &principal, action, &slugs).await)
}

/// Runs `action` on every slug in the comma-separated list; each tenant is its
/// own audited change, so one refusal does not stop the others.
#[server(prefix = "/api/fn", endpoint = "run_bulk")]
pub async fn run_bulk(action: String, slugs: String) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::tenants;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let parsed = respond(parse_bulk_action(&action))?;
    let list: Vec<String> = slugs
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    respond(tenants::bulk_run(&state.db, &principal, &request_context(), parsed, &list).await)?;
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
