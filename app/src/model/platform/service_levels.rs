//! What crosses the wire for service levels: the vendor's targets, the
//! portal API's figures and every tenant's availability against them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::platform::slo::{SloTargets, SloVerdict};

/// The portal API over the last hour, as this replica answered it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiFigures {
    pub window_minutes: u32,
    pub requests: u64,
    pub server_errors: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub error_percent: Option<f64>,
    pub p95_verdict: SloVerdict,
    pub error_verdict: SloVerdict,
}

/// One tenant's availability over 30 days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantAvailability {
    pub tenant_id: Uuid,
    pub slug: String,
    pub display_name: String,
    pub region: String,
    pub plan_code: String,
    pub runs: u64,
    pub passed: u64,
    /// Passing runs in percent; `None` without runs.
    pub percent: Option<f64>,
    pub verdict: SloVerdict,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceLevels {
    pub targets: SloTargets,
    /// Who last set the targets, and when (`None`: the defaults).
    pub targets_set_at: Option<DateTime<Utc>>,
    pub api: ApiFigures,
    pub availability_days: u32,
    pub tenants_met: u64,
    pub tenants_missed: u64,
    pub tenants_without_runs: u64,
    /// Tenants missing the target (or without runs), worst first; at most 50.
    pub below_target: Vec<TenantAvailability>,
    /// The viewer may change the targets (platform `settings.manage`).
    pub may_configure: bool,
}

/// The targets as typed on the page or sent to `PUT /api/v1/service-levels/targets`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SloTargetsForm {
    pub availability_percent: String,
    pub api_p95_ms: String,
    pub api_error_percent: String,
}
