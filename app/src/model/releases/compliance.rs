//! What crosses the wire for compliance: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusCount {
    pub status: crate::domain::releases::compliance::ComplianceKind,
    pub tenants: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrendPoint {
    pub day: NaiveDate,
    pub compliant_pct: f64,
    pub tenants: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionShare {
    pub version: String,
    pub tenants: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductDistribution {
    pub product_key: String,
    pub product_name: String,
    pub latest: Option<String>,
    /// Most-run version first.
    pub versions: Vec<VersionShare>,
    /// Update adoption: the share of its tenants on the latest release.
    pub on_latest_pct: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ComplianceRow {
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub product_key: String,
    pub running_version: String,
    pub status: crate::domain::releases::compliance::ComplianceKind,
    pub days_left: Option<i64>,
    pub detail: String,
    /// Which policy level decided.
    pub policy_level: crate::domain::releases::compliance::PolicyLevel,
    pub assessed_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ComplianceSummary {
    /// Tenants with at least one assessed product.
    pub assessed_tenants: u64,
    /// Share of those whose every product is compliant or merely outdated.
    pub compliant_pct: f64,
    /// Tenants by their worst product's status.
    pub by_status: Vec<StatusCount>,
    /// The last 30 days, from the daily snapshots.
    pub trend: Vec<TrendPoint>,
    pub distribution: Vec<ProductDistribution>,
    /// In grace, non-compliant and EOL, worst and fewest days left first (up to 10).
    pub attention: Vec<ComplianceRow>,
    pub endpoints_total: u64,
    pub endpoints_compliant_pct: f64,
    pub last_assessed: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct ComplianceQuery {
    /// One status key.
    pub status: Option<String>,
    /// A product key.
    pub product: Option<String>,
    /// Only this tenant.
    pub tenant: Option<Uuid>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ComplianceReport {
    pub rows: Vec<ComplianceRow>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComplianceOverview {
    pub summary: ComplianceSummary,
    pub report: ComplianceReport,
    pub products: Vec<(String, String)>,
}

/// What the viewer may do on the compliance page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceMay {
    /// Re-run the assessment now (`policy.manage`).
    pub assess: bool,
}

pub type CompliancePage = crate::model::Allowed<ComplianceOverview, ComplianceMay>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantProductRow {
    pub product_id: Uuid,
    pub product_key: String,
    pub product_name: String,
    pub allowed_range: Option<String>,
    pub feature_flags: Vec<String>,
    pub running_version: Option<String>,
    /// Component → running version (from the release's pins).
    pub components: BTreeMap<String, String>,
    pub status: Option<crate::domain::releases::compliance::ComplianceKind>,
    pub detail: Option<String>,
    pub days_left: Option<i64>,
    pub policy_level: Option<crate::domain::releases::compliance::PolicyLevel>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExtensionRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub product_key: String,
    pub days: i64,
    pub reason: String,
    pub status: crate::domain::changes::decision::RequestStatus,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantVersionsView {
    pub rows: Vec<TenantProductRow>,
    /// Every catalog product (key, name, id), to license.
    pub products: Vec<(Uuid, String, String)>,
    pub extensions: Vec<ExtensionRow>,
}

/// What the viewer may do on a tenant's versions tab.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantVersionsMay {
    /// License products and set what runs (platform `release.manage`).
    pub license: bool,
    /// Ask for more grace (`update.approve` on the tenant).
    pub request_extension: bool,
}

pub type TenantVersionsPage = crate::model::Allowed<TenantVersionsView, TenantVersionsMay>;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantProductForm {
    pub product_id: Uuid,
    /// Empty: licensed, not yet deployed.
    #[serde(default)]
    pub running_version: String,
    /// A semver requirement, e.g. `>=5.0, <6`; empty for any.
    #[serde(default)]
    pub allowed_range: String,
    /// Comma-separated.
    #[serde(default)]
    pub feature_flags: String,
}
