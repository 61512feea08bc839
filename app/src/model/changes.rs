//! What crosses the wire for changes: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A change request as the form or the API sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangeForm {
    /// The tenant's slug or id.
    pub tenant: String,
    /// `upgrade`, `patch`, `suspend`, `resume`, `enter_maintenance`, …
    pub kind: String,
    /// For upgrades and patches: the product (its key or id) …
    #[serde(default)]
    pub product: String,
    /// … and the catalog release to move to.
    #[serde(default)]
    pub target_version: String,
    /// Do not start before this UTC time (RFC 3339 or `YYYY-MM-DDTHH:MM`); empty: as soon as allowed.
    #[serde(default)]
    pub not_before: String,
    #[serde(default)]
    pub note: String,
    /// Save it as a draft to submit later, instead of submitting it now.
    #[serde(default)]
    pub draft: bool,
    /// Instead of one tenant: a saved filter (its id or name); one change is
    /// requested for each tenant it matches now.
    #[serde(default)]
    pub target_filter: String,
}

/// What a request for a saved filter did, tenant by tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FilterRequestOutcome {
    pub filter_id: Uuid,
    pub filter_name: String,
    /// The changes requested, one per matching tenant.
    pub created: Vec<Uuid>,
    /// Matching tenants that got no change, each with the reason.
    pub skipped: Vec<SkippedTenant>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SkippedTenant {
    pub slug: String,
    pub reason: String,
}

/// What the request form did: one change (its id), or one per tenant of a saved filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestOutcome {
    One(Uuid),
    ForFilter(FilterRequestOutcome),
}

/// A saved tenant filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SavedFilterRow {
    pub id: Uuid,
    pub name: String,
    /// The filters in words, e.g. "State: active · Region: eu-central-1".
    pub description: String,
    /// The tenant-list filters it keeps.
    pub fields: crate::domain::tenants::saved_filter::FilterFields,
    /// How many tenants it matches now (among those the viewer may read).
    pub matching: u64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A saved filter as the tenant list's "Save filter" form or the API sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SavedFilterForm {
    pub name: String,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangeRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub kind: crate::domain::changes::change::ChangeKind,
    pub change_model: crate::domain::changes::change::ChangeModel,
    pub status: crate::domain::changes::change::ChangeStatus,
    pub title: String,
    pub product_key: Option<String>,
    pub target_version: Option<String>,
    pub requester: String,
    /// The requesting account (none for the system's own changes).
    pub requested_by: Option<Uuid>,
    pub requires_approval: bool,
    /// When the scheduler will start it (scheduled changes), and why then.
    pub next_start_at: Option<DateTime<Utc>>,
    pub schedule_reason: String,
    pub delayed_days: i32,
    /// 0–100.
    pub progress: i32,
    pub rollout_id: Option<Uuid>,
    /// The saved filter it was requested for, if any (id, name).
    pub target_filter_id: Option<Uuid>,
    pub target_filter_name: Option<String>,
    pub outcome: Option<String>,
    /// The id of the request that created it, carried through its job, its
    /// executor steps and its audit records (filter the audit trail by it).
    pub correlation_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StepRow {
    pub position: i32,
    pub name: String,
    /// `pending`, `running`, `succeeded` or `failed`.
    pub status: crate::domain::changes::change::StepStatus,
    pub attempts: i32,
    pub output: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The step undoes the failed update (run after its forward steps).
    pub rollback: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DecisionRow {
    pub decision: crate::domain::changes::decision::ChangeDecision,
    pub decider: String,
    pub comment: String,
    pub decided_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangeDetail {
    pub change: ChangeRow,
    pub steps: Vec<StepRow>,
    pub decisions: Vec<DecisionRow>,
    /// Requests to delay it beyond the policy's limit, newest first.
    pub delay_requests: Vec<DelayRequestRow>,
}

/// What the viewer may do with a change now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeMay {
    pub decide: bool,
    /// Why the viewer may not decide it, when it awaits a decision.
    pub decide_refusal: Option<String>,
    pub cancel: bool,
    pub delay: bool,
    /// A draft the viewer may submit.
    pub submit: bool,
    /// The delay requests the viewer may approve or deny.
    pub decide_delays: Vec<Uuid>,
}

pub type ChangeDetailPage = crate::model::Allowed<ChangeDetail, ChangeMay>;

/// Delay requests and which of them the viewer may decide.
pub type DelayRequestsPage = crate::model::Allowed<Vec<DelayRequestRow>, Vec<Uuid>>;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct ChangeQuery {
    #[serde(default)]
    pub status: Option<String>,
    /// Tenant slug.
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub rollout: Option<Uuid>,
    /// The saved filter the changes were requested for.
    #[serde(default)]
    pub filter: Option<Uuid>,
    #[serde(default)]
    pub page: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangePage {
    pub rows: Vec<ChangeRow>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// What the "new change" form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeFormOptions {
    /// (value, label)
    pub kinds: Vec<(String, String)>,
    /// (key, name)
    pub products: Vec<(String, String)>,
    /// Saved tenant filters a change may target: (id, "name (N tenants)").
    pub filters: Vec<(String, String)>,
}

impl ChangeFormOptions {
    /// The kinds offered are those the viewer may request somewhere.
    pub fn can_request(&self) -> bool {
        !self.kinds.is_empty()
    }
}

/// What a delay did: moved the change at once, or (beyond the policy's
/// limit) asked the vendor's approvers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DelayOutcome {
    pub status: crate::domain::changes::decision::DelayResult,
    /// Delayed: when the change may now start.
    pub next_start_at: Option<DateTime<Utc>>,
    /// Requested: the delay request awaiting a platform approver.
    pub request_id: Option<Uuid>,
    /// One sentence for the person who asked.
    pub message: String,
}

/// A request to delay a change beyond its tenant's policy limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DelayRequestRow {
    pub id: Uuid,
    pub change_id: Uuid,
    pub change_title: String,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub days: i32,
    pub reason: String,
    /// `pending`, `approved` or `denied`.
    pub status: crate::domain::changes::decision::RequestStatus,
    pub requester: String,
    /// The requesting account.
    pub requested_by: Option<Uuid>,
    pub requested_at: DateTime<Utc>,
    pub decider: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
}

// ---- Update policy -------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WindowRow {
    pub id: Uuid,
    /// "Sat 02:00–06:00"
    pub label: String,
    pub weekday: String,
    pub start: String,
    pub end: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BlackoutRow {
    pub id: Uuid,
    /// None: organisation-wide.
    pub tenant_id: Option<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UpdatePolicyView {
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub approval_mode: crate::domain::changes::change::ApprovalMode,
    pub timezone: String,
    pub max_delay_days: i32,
    /// The hourly job schedules an upgrade to the latest allowed release.
    pub auto_update: bool,
    /// The vendor's limit on changes running at once; `None`: the plan's.
    pub max_running_changes: Option<i32>,
    /// The limit in force (the override, else the plan's quota).
    pub running_limit: u32,
    pub windows: Vec<WindowRow>,
    /// The tenant's own and the organisation-wide blackouts that have not ended.
    pub blackouts: Vec<BlackoutRow>,
    /// When a change requested now could start, and why.
    pub next_start_at: Option<DateTime<Utc>>,
    pub next_start_reason: String,
}

/// What the viewer may do on a tenant's update-policy tab.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePolicyMay {
    /// Change the policy, windows and blackouts (`tenant.manage` on the tenant).
    pub edit: bool,
    /// The delay limit is the vendor's to set; the tenant's people read it.
    pub set_delay_limit: bool,
}

pub type UpdatePolicyPage = crate::model::Allowed<UpdatePolicyView, UpdatePolicyMay>;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UpdatePolicyForm {
    pub approval_mode: String,
    pub timezone: String,
    pub max_delay_days: String,
    /// Off when absent (an unticked checkbox sends nothing).
    #[serde(default)]
    pub auto_update: bool,
    /// 1–100 changes at once; empty for the plan's quota (vendor only).
    #[serde(default)]
    pub max_running_changes: String,
}

// ---- Jobs ----------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobRow {
    pub id: Uuid,
    pub kind: String,
    pub key: String,
    pub status: crate::domain::platform::job::JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobCounts {
    pub due: u64,
    pub waiting: u64,
    pub running: u64,
    pub retrying: u64,
    pub dead: u64,
    pub succeeded: u64,
    pub cancelled: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobsView {
    pub counts: JobCounts,
    pub rows: Vec<JobRow>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// What the viewer may do on the jobs page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsMay {
    /// Retry and cancel jobs (platform `update.execute`).
    pub manage: bool,
}

pub type JobsPage = crate::model::Allowed<JobsView, JobsMay>;

/// What the tenant page's Upgrade form offers: each licensed product with
/// the published releases the tenant may move to, and the policy's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeChoices {
    pub slug: String,
    pub products: Vec<UpgradeProduct>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeProduct {
    pub key: String,
    pub name: String,
    pub running: Option<String>,
    /// What the upgrade will do: a blue-green switch, or maintenance.
    pub path: String,
    /// Newest first; the running version is left out.
    pub releases: Vec<UpgradeRelease>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeRelease {
    pub version: String,
    /// Below the running version.
    pub downgrade: bool,
    /// Why the tenant's version policy refuses it, naming the rule.
    pub refused_because: Option<String>,
}
