//! Tenant manifests as they cross the wire: the documents a plan reads and
//! the plan it answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One manifest file (or request body) to plan: where it came from, for the
/// problems' paths, and its YAML or JSON text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ManifestDocument {
    /// A file name or other label (`tenants/acme.yaml`); empty for one body.
    #[serde(default)]
    pub source: String,
    /// One or more manifests: YAML (documents separated by `---`) or JSON.
    pub content: String,
}

/// `POST /api/v1/manifests/plan` as the CLI sends it: several files at once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ManifestDocuments {
    pub documents: Vec<ManifestDocument>,
}

/// What applying a set of manifests would do. Nothing was written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ManifestPlan {
    pub tenants: Vec<TenantPlan>,
    /// Tenants with something to do (including ones to create).
    pub changed: usize,
    pub unchanged: usize,
    /// Tenants whose plan holds an action policy refuses.
    pub refused: usize,
}

/// One tenant's part of a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantPlan {
    pub slug: String,
    /// The file the manifest came from.
    pub source: String,
    /// `unchanged`, `changed` or `create`.
    pub outcome: String,
    /// Field by field, current → desired (secrets only as references).
    pub diffs: Vec<FieldDiffRow>,
    /// In the order they would run.
    pub actions: Vec<PlannedActionRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldDiffRow {
    /// `spec.products[portal].version`.
    pub path: String,
    /// Absent: the field is not there now.
    pub current: Option<String>,
    /// Absent: the manifest removes it.
    pub desired: Option<String>,
}

/// One action of a plan and the policy's verdict on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlannedActionRow {
    /// `create` (onboard and provision), `set_fields` (written directly, in
    /// one transaction), or the kind of change request it creates:
    /// `change_plan`, `migrate`, `upgrade`, `patch`.
    pub action: String,
    pub title: String,
    /// Whether it becomes a change request (approvals, windows, blackouts).
    pub change_request: bool,
    /// Fields it sets (for `set_fields`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Whether policy lets it go ahead as planned.
    pub allowed: bool,
    /// Why not, when it would be refused (residency, end of life, quota,
    /// permission, a conflicting change under way).
    pub refusal: Option<String>,
    /// Whether the tenant's update policy sends it to approvers first.
    pub needs_approval: bool,
    /// When it would start: the tenant's next allowed start (window,
    /// blackouts), for a change that needs no approval.
    pub starts_at: Option<DateTime<Utc>>,
    /// Why then (`Next window: Sat 22:00–02:00 Europe/Berlin`).
    pub window: Option<String>,
}
