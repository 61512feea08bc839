//! What crosses the wire for tenants: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

pub mod backups;
pub mod endpoints;
pub mod health;
pub mod migrations;
pub mod offboarding;
pub mod overview;
pub mod secrets;
pub mod trouble;

use crate::domain::tenants::lifecycle::LifecycleAction;
use crate::domain::tenants::lifecycle::LifecycleState;
use crate::model::platform::dashboard::AuditEventRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// What the tenant's state leaves its own people (suspended, in
    /// maintenance, archived), when it limits them.
    pub lifecycle_access: Option<String>,
    /// Why the portal left the tenant broken (a failed change or rollback).
    pub state_reason: Option<String>,
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormOptions {
    pub plans: Vec<(String, String)>,
    pub regions: Vec<String>,
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

pub use crate::domain::tenants::cloud::CloudResourceInput;

/// Resources reported or imported in one go.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CloudResourceBatch {
    pub resources: Vec<CloudResourceInput>,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CloudImportReceipt {
    pub created: usize,
    pub updated: usize,
    /// Tenant links added.
    pub linked: usize,
}

/// A cloud resource as a tenant's page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CloudResourceRow {
    pub id: uuid::Uuid,
    pub provider: crate::domain::tenants::cloud::Provider,
    pub resource_type: String,
    pub resource_id: String,
    pub region: String,
    pub cost_tag: String,
    pub tags: std::collections::BTreeMap<String, String>,
    /// How many tenants use it (more than one: shared).
    pub tenant_count: u64,
    /// The viewer's tenant is not alone on it.
    pub shared: bool,
    /// Outside the tenant's allowed regions, and why.
    pub residency_issue: Option<String>,
}
