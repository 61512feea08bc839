//! What crosses the wire for plans: the catalogue, a tenant's effective
//! limits beside its usage, and the forms that change them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::plans::limits::UsageLevel;
use crate::domain::plans::plan::{FeatureFlag, Quota};

pub use crate::domain::plans::plan::PlanInput as PlanForm;

/// One quota of a plan (`limit` `None`: unlimited).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuotaLimit {
    pub quota: Quota,
    pub limit: Option<u64>,
}

/// A plan in the catalogue, with how many tenants are on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Plan {
    pub code: String,
    pub name: String,
    pub description: String,
    pub feature_flags: Vec<FeatureFlag>,
    /// Every quota, in catalogue order.
    pub quotas: Vec<QuotaLimit>,
    pub tenants: u64,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One quota of one tenant: the plan's number, the vendor's override, the
/// limit in force and what the tenant uses now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuotaUsage {
    pub quota: Quota,
    pub plan_limit: Option<u64>,
    /// Set when the vendor overrides the plan for this tenant.
    pub override_reason: Option<String>,
    pub overridden: bool,
    /// In force (`None`: unlimited).
    pub limit: Option<u64>,
    /// In use now (`None`: not counted by the portal yet).
    pub used: Option<u64>,
    pub percent: Option<u64>,
    pub level: UsageLevel,
}

/// A plan change on its way (a change request).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PendingPlanChange {
    pub change_id: Uuid,
    pub target_plan: String,
    pub status: String,
}

/// A tenant's plan, flags and quotas with its usage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantLimits {
    pub tenant_id: Uuid,
    pub slug: String,
    pub plan_code: String,
    pub plan_name: String,
    pub feature_flags: Vec<FeatureFlag>,
    pub quotas: Vec<QuotaUsage>,
    pub pending_plan_change: Option<PendingPlanChange>,
}

/// The vendor's override of one quota for one tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuotaOverrideForm {
    /// `users`, `endpoints`, `storage_gb`, `api_requests_per_minute`, `concurrent_updates` or `webhook_endpoints`.
    pub quota: String,
    /// A whole number, `unlimited`, or empty to remove the override (back to the plan's).
    #[serde(default)]
    pub limit: String,
    /// Why (kept in the audit record and shown beside the quota).
    #[serde(default)]
    pub reason: String,
}

/// A request to move a tenant to another plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanChangeForm {
    /// The plan's code.
    pub plan: String,
    #[serde(default)]
    pub note: String,
}

// ---- Licences ----------------------------------------------------------

pub use crate::domain::plans::licence::LicenceTemplateForm;

/// A licence template in the vendor's catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenceTemplate {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub licence_type: crate::domain::plans::licence::LicenceType,
    pub products: Vec<String>,
    pub seats: u32,
    /// `None`: perpetual.
    pub term_days: Option<u32>,
    pub features: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

/// A licence assigned to a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Licence {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub template_key: String,
    pub template_name: String,
    pub licence_type: crate::domain::plans::licence::LicenceType,
    pub seats: u32,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    pub status: crate::domain::plans::licence::LicenceStatus,
    pub revoked_reason: Option<String>,
    /// Notices sent so far (days before the end).
    pub notices_sent: Vec<u32>,
    /// When its end (expiry or revocation) suspended the tenant.
    pub enforced_at: Option<DateTime<Utc>>,
}

/// Assigning a template to a tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenceAssignForm {
    /// The template's key.
    pub template: String,
    /// Empty: the template's seats.
    #[serde(default)]
    pub seats: String,
    /// `YYYY-MM-DD` (UTC midnight); empty: now.
    #[serde(default)]
    pub valid_from: String,
    /// `YYYY-MM-DD`; empty: from + the template's term (none for perpetual).
    #[serde(default)]
    pub valid_to: String,
}

/// Renewing a licence to a new end.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenceRenewForm {
    /// `YYYY-MM-DD`; empty: the current end (or now, if passed) + the template's term.
    #[serde(default)]
    pub valid_to: String,
}

/// Revoking a licence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenceRevokeForm {
    pub reason: String,
}

/// A licence's signed document: the canonical JSON, its Ed25519 signature
/// (base64) and the vendor's public key (PEM) to verify it offline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenceDocument {
    pub document: String,
    pub signature: String,
    pub algorithm: String,
    pub public_key_pem: String,
}

// ---- Usage -------------------------------------------------------------

pub use crate::domain::plans::usage::UsageRecordInput;

/// A batch of usage records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageBatch {
    pub records: Vec<UsageRecordInput>,
}

/// What an ingest did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageReceipt {
    /// Records stored now.
    pub accepted: usize,
    /// Records whose id was stored before: nothing changed.
    pub duplicates: usize,
}

/// One meter's daily values for one tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MeterSeries {
    pub meter: String,
    /// The quota it is held to, if any, and its limit now.
    pub quota: Option<Quota>,
    pub limit: Option<u64>,
    /// (`YYYY-MM-DD`, value), oldest first, days without records left out.
    pub days: Vec<(String, f64)>,
    /// The latest day's value.
    pub latest: Option<f64>,
}

/// A tenant's usage over the last days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantUsage {
    pub tenant_id: Uuid,
    pub slug: String,
    pub from: String,
    pub to: String,
    pub meters: Vec<MeterSeries>,
}

/// One tenant's total of one meter in a month, for the organisation view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageTotal {
    pub tenant_id: Uuid,
    pub slug: String,
    pub meter: String,
    /// Counters: the month's sum; gauges: the month's highest day.
    pub value: f64,
}

/// The organisation's usage in one month: per-day totals of each meter and
/// the tenants that use most.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrganisationUsage {
    /// `YYYY-MM`.
    pub month: String,
    /// Meter → (`YYYY-MM-DD`, total over tenants).
    pub daily: Vec<(String, Vec<(String, f64)>)>,
    /// The top tenants of each meter, highest first.
    pub top: Vec<UsageTotal>,
}

/// Which month to export, and how.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct UsageExportQuery {
    /// `YYYY-MM`; empty: this month.
    #[serde(default)]
    pub month: String,
    /// `csv` (default) or `json`.
    #[serde(default)]
    pub format: String,
}
