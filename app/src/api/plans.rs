//! Server functions of the plan catalogue and a tenant's Limits tab.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::model::plans::*;

/// What the viewer may do with plans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlansMay {
    pub edit: bool,
}

/// What the viewer may do on a tenant's Limits tab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitsMay {
    /// Override quotas and change the plan (the vendor).
    pub manage: bool,
}

/// A tenant's limits, licences and cloud resources, and the plans and
/// licence templates the vendor may choose from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitsPage {
    pub limits: TenantLimits,
    pub cloud_resources: Vec<crate::model::tenants::CloudResourceRow>,
    /// (code, name) of every plan.
    pub plans: Vec<(String, String)>,
    pub licences: Vec<Licence>,
    /// (key, name) of every licence template (the vendor's).
    pub templates: Vec<(String, String)>,
    pub may: LimitsMay,
}

#[server(prefix = "/api/fn", endpoint = "plan_catalog")]
pub async fn plan_catalog() -> Result<crate::model::Allowed<Vec<Plan>, PlansMay>, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::catalog;
    use crate::domain::access::permission::{Permission, Scope};
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(catalog::list(&ctx).await)?;
    let may = PlansMay {
        edit: ctx
            .principal
            .can(Permission::SettingsManage, Scope::Platform),
    };
    Ok(crate::model::Allowed { view, may })
}

/// Creates a plan (`editing` empty) or saves the one it names.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api/fn", endpoint = "save_plan")]
pub async fn save_plan(
    #[server(default)] editing: String,
    code: String,
    name: String,
    #[server(default)] description: String,
    #[server(default)] blue_green: Option<String>,
    #[server(default)] audit_export: Option<String>,
    #[server(default)] auto_update: Option<String>,
    #[server(default)] users: String,
    #[server(default)] endpoints: String,
    #[server(default)] storage_gb: String,
    #[server(default)] api_requests_per_minute: String,
    #[server(default)] concurrent_updates: String,
    #[server(default)] webhook_endpoints: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::catalog;
    use crate::domain::plans::plan::FeatureFlag;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let flags = [
        (FeatureFlag::BlueGreen, blue_green),
        (FeatureFlag::AuditExport, audit_export),
        (FeatureFlag::AutoUpdate, auto_update),
    ]
    .into_iter()
    .filter(|(_, on)| on.is_some())
    .map(|(flag, _)| flag.as_str().to_owned())
    .collect();
    let quotas = [
        ("users", users),
        ("endpoints", endpoints),
        ("storage_gb", storage_gb),
        ("api_requests_per_minute", api_requests_per_minute),
        ("concurrent_updates", concurrent_updates),
        ("webhook_endpoints", webhook_endpoints),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let form = PlanForm {
        code,
        name,
        description,
        feature_flags: flags,
        quotas,
    };
    let editing = editing.trim();
    let saved =
        respond(catalog::save(&ctx, (!editing.is_empty()).then_some(editing), &form).await)?;
    leptos_axum::redirect(&format!("/plans#plan-{}", saved.code));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "tenant_limits")]
pub async fn limits_of_tenant(slug: String) -> Result<LimitsPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::{catalog, licences, limits};
    use crate::domain::access::permission::{Permission, Scope};
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let limits = respond(limits::view(&ctx, &slug).await)?;
    let plans = respond(catalog::list(&ctx).await)?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    let may = LimitsMay {
        manage: ctx.principal.can(Permission::TenantManage, Scope::Platform),
    };
    let licences = respond(licences::of_tenant(&ctx, &slug).await)?;
    let templates = if may.manage {
        respond(licences::templates(&ctx).await)?
            .into_iter()
            .map(|t| (t.key, t.name))
            .collect()
    } else {
        vec![]
    };
    let cloud_resources =
        respond(crate::backend::services::tenants::cloud_resources::of_tenant(&ctx, &slug).await)?;
    Ok(LimitsPage {
        limits,
        cloud_resources,
        plans,
        licences,
        templates,
        may,
    })
}

#[server(prefix = "/api/fn", endpoint = "set_quota_override")]
pub async fn set_quota_override(
    slug: String,
    quota: String,
    #[server(default)] limit: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::limits;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let form = QuotaOverrideForm {
        quota,
        limit,
        reason,
    };
    respond(limits::set_override(&ctx, &slug, &form).await)?;
    leptos_axum::redirect(&format!("/tenants/{}/limits", slug.trim()));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "request_plan_change")]
pub async fn request_plan_change(
    slug: String,
    plan: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::plan_change;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let change = respond(plan_change::request(&ctx, &slug, &PlanChangeForm { plan, note }).await)?;
    leptos_axum::redirect(&format!("/changes/{}", change.id));
    Ok(())
}

/// The vendor's licence templates.
#[server(prefix = "/api/fn", endpoint = "licence_templates")]
pub async fn get_licence_templates() -> Result<Vec<LicenceTemplate>, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::licences;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(licences::templates(&ctx).await)
}

#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api/fn", endpoint = "save_licence_template")]
pub async fn save_licence_template(
    key: String,
    template_name: String,
    licence_type: String,
    #[server(default)] products: String,
    seats: String,
    #[server(default)] term_days: String,
    #[server(default)] features: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::licences;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let form = LicenceTemplateForm {
        key,
        name: template_name,
        licence_type,
        products,
        seats,
        term_days,
        features,
    };
    respond(licences::save_template(&ctx, &form).await)?;
    leptos_axum::redirect("/plans#licence-templates");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "assign_licence")]
pub async fn assign_licence(
    slug: String,
    template: String,
    #[server(default)] seats: String,
    #[server(default)] valid_from: String,
    #[server(default)] valid_to: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::licences;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let form = LicenceAssignForm {
        template,
        seats,
        valid_from,
        valid_to,
    };
    respond(licences::assign(&ctx, &slug, &form).await)?;
    leptos_axum::redirect(&format!("/tenants/{}/limits#licences", slug.trim()));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "renew_licence")]
pub async fn renew_licence(
    id: uuid::Uuid,
    #[server(default)] valid_to: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::licences;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let renewed = respond(licences::renew(&ctx, id, &LicenceRenewForm { valid_to }).await)?;
    leptos_axum::redirect(&format!("/tenants/{}/limits#licences", renewed.tenant_slug));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "revoke_licence")]
pub async fn revoke_licence(
    id: uuid::Uuid,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::licences;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let revoked = respond(licences::revoke(&ctx, id, &LicenceRevokeForm { reason }).await)?;
    leptos_axum::redirect(&format!("/tenants/{}/limits#licences", revoked.tenant_slug));
    Ok(())
}

/// A tenant's usage over the last 30 days.
#[server(prefix = "/api/fn", endpoint = "tenant_usage")]
pub async fn usage_of_tenant(slug: String) -> Result<TenantUsage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::usage;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(usage::tenant_usage(&ctx, &slug).await)
}

/// The organisation's usage in a month (`YYYY-MM`, empty: this month).
#[server(prefix = "/api/fn", endpoint = "organisation_usage")]
pub async fn usage_of_organisation(
    #[server(default)] month: String,
) -> Result<OrganisationUsage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::plans::usage;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(usage::organisation(&ctx, &month).await)
}

/// Imports cloud resources from CSV text (the vendor).
#[server(prefix = "/api/fn", endpoint = "import_cloud_resources")]
pub async fn import_cloud_resources(
    #[server(default)] slug: String,
    csv: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(crate::backend::services::tenants::cloud_resources::import_csv(&ctx, &csv).await)?;
    if !slug.trim().is_empty() {
        leptos_axum::redirect(&format!("/tenants/{}/limits#cloud-resources", slug.trim()));
    }
    Ok(())
}
