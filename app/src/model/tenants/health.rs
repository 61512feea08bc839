//! What crosses the wire for a tenant's health: its address, the state the
//! baseline runs keep true, the last runs and the pass rate per day.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::tenants::health::{CheckOutcome, DayRate, RunTrigger};
use crate::domain::tenants::lifecycle::LifecycleState;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthRunRow {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub trigger: RunTrigger,
    pub passed: bool,
    pub duration_ms: i64,
    pub results: Vec<CheckOutcome>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantHealth {
    pub tenant_id: Uuid,
    pub slug: String,
    pub state: LifecycleState,
    /// Why the tenant is in its state, when the portal put it there.
    pub state_reason: Option<String>,
    /// Where the checks are probed; `None` until the vendor sets it.
    pub base_url: Option<String>,
    /// Whether the periodic validation watches the tenant in its state.
    pub watched: bool,
    /// Failing runs in a row, and how many make an active tenant broken.
    pub consecutive_failures: u32,
    pub failures_to_break: u32,
    pub next_run_at: Option<DateTime<Utc>>,
    /// The checks run: `(product key, check name, path or "suite <name>")`.
    pub checks: Vec<(String, String, String)>,
    /// Newest first.
    pub runs: Vec<HealthRunRow>,
    /// The last 30 days, oldest first.
    pub days: Vec<DayRate>,
    /// Passing runs over the 30 days, as a whole percentage.
    pub pass_rate: Option<u32>,
}

/// What the viewer may do on the Health tab.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthMay {
    pub run: bool,
    pub set_address: bool,
}

pub type TenantHealthPage = crate::model::Allowed<TenantHealth, HealthMay>;
