//! What crosses the wire for the organisation view: tenants ranked by
//! trouble, with the region and plan filters.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::tenants::lifecycle::LifecycleState;
use crate::domain::tenants::trouble::Trouble;

/// `GET /api/v1/tenant-trouble` and `/health`'s query string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct TroubleQuery {
    /// Only tenants placed in this region.
    #[serde(default)]
    pub region: Option<String>,
    /// Only tenants on this plan code.
    #[serde(default)]
    pub plan: Option<String>,
    /// 1-based page (default 1).
    #[serde(default)]
    pub page: Option<u64>,
    /// Rows per page, 1–100 (default 25).
    #[serde(default)]
    pub per_page: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TroubleRow {
    pub tenant_id: Uuid,
    pub slug: String,
    pub display_name: String,
    pub region: String,
    pub plan_code: String,
    pub state: LifecycleState,
    /// Passing health runs over 30 days, in percent.
    pub availability: Option<f64>,
    pub trouble: Trouble,
}

/// How many tenants of the selection have each kind of trouble.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TroubleCounts {
    pub considered: u64,
    pub in_trouble: u64,
    pub broken: u64,
    pub health_failing: u64,
    pub changes_failed: u64,
    pub out_of_compliance: u64,
    pub below_availability: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TroublePage {
    /// Tenants in trouble, worst first.
    pub rows: Vec<TroubleRow>,
    pub counts: TroubleCounts,
    pub page: u64,
    pub per_page: u64,
    /// The filters' choices: regions and plans of the tenants the viewer reads.
    pub regions: Vec<String>,
    pub plans: Vec<String>,
    pub availability_target: f64,
}
