//! Tenant registry use cases: onboarding, search, detail, edits, lifecycle
//! and bulk actions; each tenant's configuration, endpoints and agents, and
//! the vendor's saved filters.

pub mod agents;
pub mod backups;
pub mod cloud_resources;
pub mod health;
pub mod migrations;
pub mod offboarding;
pub mod overview;
pub mod residency;
pub mod restore_tests;
pub mod saved_filters;
pub mod secret_rotation;
pub mod tenant_config;
pub mod trouble;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::columns::JsonText;
use crate::backend::db::contains_literally;
use crate::backend::entities::{audit_event, customer, field_change, plan, tenant};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::changes;
use crate::domain::access::authority::vendor_field_refusal;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::Scope;
use crate::domain::access::permission::TenantScope;
use crate::domain::changes::change::ChangeKind;
use crate::domain::notifications::email::Email;
use crate::domain::tenants::lifecycle::LifecycleAction;
use crate::domain::tenants::lifecycle::LifecycleState;
use crate::domain::tenants::lifecycle::allowed_actions;
use crate::domain::tenants::lifecycle::plan_transition;
use crate::domain::tenants::tenant::DeploymentKind;
use crate::domain::tenants::tenant::DisplayName;
use crate::domain::tenants::tenant::Environment;
use crate::domain::tenants::tenant::IsolationMode;
use crate::domain::tenants::tenant::PlanCode;
use crate::domain::tenants::tenant::Region;
use crate::domain::tenants::tenant::TenantSlug;
use crate::domain::tenants::tenant::check_residency;
use crate::domain::tenants::tenant::parse_labels;
use crate::domain::validation::FieldErrors;
use crate::model::platform::dashboard::AuditEventRow;
use crate::model::tenants::{
    ActionOption, FieldChangeRow, FormOptions, NewTenantForm, TenantDetail, TenantPage,
    TenantQuery, TenantRow,
};

mod bulk;
mod edit;
mod lifecycle;
mod onboarding;
mod query;

pub use bulk::*;
pub use edit::*;
pub use lifecycle::*;
pub use onboarding::*;
pub use query::*;

/// What an audit record keeps of a tenant as before/after.
fn snapshot(t: &tenant::Model) -> serde_json::Value {
    json!({
        "slug": t.slug, "display_name": t.display_name, "lifecycle_state": t.lifecycle_state,
        "requested_state": t.requested_state, "environment": t.environment, "deployment_kind": t.deployment_kind,
        "isolation_mode": t.isolation_mode, "plan_code": t.plan_code, "region": t.region,
        "allowed_regions": t.allowed_regions.to_text(), "labels": t.labels.to_text(), "contacts": t.contacts.to_text(), "version": t.version,
    })
}

/// What free-text search matches (the migration backfills the same text).
fn search_text(slug: &str, display_name: &str, customer: &str, external_ids: &str) -> String {
    format!("{slug} {display_name} {customer} {external_ids}").to_lowercase()
}

pub(crate) async fn find_by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> ServiceResult<tenant::Model> {
    let slug = TenantSlug::parse(slug).map_err(|_| ServiceError::NotFound)?;
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}
