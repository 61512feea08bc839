//! What crosses the wire for a tenant's overview: its health, versions,
//! work in flight, recent failures, webhook deliveries, router traffic and
//! open alerts in one place.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::changes::change::ChangeStatus;
use crate::domain::platform::slo::SloVerdict;
use crate::domain::releases::compliance::ComplianceKind;
use crate::domain::tenants::health::DayRate;
use crate::domain::tenants::trouble::Trouble;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OverviewHealth {
    /// Passing runs over 30 days, in percent; `None` without runs.
    pub availability: Option<f64>,
    pub availability_target: f64,
    pub verdict: SloVerdict,
    pub runs: u64,
    pub passed: u64,
    /// The last 30 days, oldest first.
    pub days: Vec<DayRate>,
    pub consecutive_failures: u32,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_run_passed: Option<bool>,
    /// The checks failing at the last run, in words.
    pub failing_checks: Vec<String>,
    /// The probes' duration per run, oldest first: `(at, ms, passed)`.
    pub probe_ms: Vec<(DateTime<Utc>, i64, bool)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OverviewVersion {
    pub product: String,
    pub running_version: String,
    pub status: ComplianceKind,
    pub days_left: Option<i64>,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OverviewChange {
    pub id: Uuid,
    pub title: String,
    pub status: ChangeStatus,
    pub progress: i32,
    pub at: DateTime<Utc>,
    pub outcome: Option<String>,
}

/// A failure or rollback of the last 30 days: a change or a blue-green switch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecentFailure {
    pub at: DateTime<Utc>,
    pub what: String,
    pub detail: String,
    pub link: String,
}

/// The tenant's webhook endpoints and their deliveries of the last 24 hours.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookHealth {
    pub endpoints_healthy: u64,
    pub endpoints_failing: u64,
    pub endpoints_disabled: u64,
    pub delivered: u64,
    pub pending: u64,
    pub dead: u64,
}

/// Traffic the router reported for the tenant (blue-green switches), oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrafficPoint {
    pub at: DateTime<Utc>,
    pub requests: i64,
    pub errors: i64,
    pub latency_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OverviewAlert {
    pub title: String,
    pub summary: String,
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub link: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantOverview {
    pub tenant_id: Uuid,
    pub slug: String,
    pub trouble: Trouble,
    pub health: OverviewHealth,
    pub versions: Vec<OverviewVersion>,
    pub in_flight: Vec<OverviewChange>,
    pub recent_failures: Vec<RecentFailure>,
    pub webhooks: WebhookHealth,
    pub traffic: Vec<TrafficPoint>,
    /// Open alerts about the tenant; `None` when the viewer may not read
    /// alerts (the vendor's people only).
    pub alerts: Option<Vec<OverviewAlert>>,
}
