//! What crosses the wire for deployments: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use crate::domain::deployments::bluegreen::Thresholds;
use crate::domain::deployments::health::CheckResult;
use crate::domain::deployments::health::HealthCheck;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A new edge deployment as the form or the API sends it. Empty fields take
/// their defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeploymentForm {
    /// Tenant slug or id.
    pub tenant: String,
    /// Product key or id.
    pub product: String,
    /// The release running on the blue slot, which starts live.
    pub version: String,
    /// `simulator` (default; synthetic traffic) or `haproxy`.
    #[serde(default)]
    pub router: String,
    /// HAProxy: path of the runtime API's admin socket.
    #[serde(default)]
    pub router_socket: String,
    /// HAProxy backend holding both slots (default `app`).
    #[serde(default)]
    pub router_backend: String,
    /// HAProxy server names (default `blue` and `green`).
    #[serde(default)]
    pub blue_server: String,
    #[serde(default)]
    pub green_server: String,
    /// Base URLs the health baseline probes on each slot directly.
    #[serde(default)]
    pub blue_url: String,
    #[serde(default)]
    pub green_url: String,
}

/// A deployment's switch settings, as text so each field gets its own error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SwitchSettingsForm {
    /// Traffic steps in percent, e.g. `10, 50, 100`.
    pub steps: String,
    pub bake_seconds: String,
    pub interval_seconds: String,
    pub max_error_rate: String,
    pub max_latency_ms: String,
    pub max_error_rate_over_live: String,
    pub max_latency_ratio_to_live: String,
    pub min_requests: String,
    pub max_consecutive_failures: String,
}

/// Starts a switch of the idle slot to `version`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SwitchForm {
    pub version: String,
}

/// What asking for a switch did. A switch is an upgrade change request of
/// the tenant: it starts at once when the tenant's policy lets it (no
/// approval needed, inside a window, no blackout), otherwise it waits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SwitchRequest {
    /// The change request carrying the switch out.
    pub change_id: Uuid,
    /// The switch, when it started.
    pub switch_id: Option<Uuid>,
    /// Why it has not started yet (approval, window, blackout, limit).
    pub waiting: Option<String>,
}

/// The simulator's injected faults for one slot (demos).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SlotSimulation {
    /// Percent of requests answered with a 5xx.
    pub error_rate: f64,
    pub latency_ms: f64,
}

/// The simulation as the demo form sends it (text, so each field gets its error).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationForm {
    pub requests_per_second: String,
    pub blue_error_rate: String,
    pub blue_latency_ms: String,
    pub green_error_rate: String,
    pub green_latency_ms: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Simulation {
    /// Requests per second of synthetic traffic.
    pub requests_per_second: f64,
    pub blue: SlotSimulation,
    pub green: SlotSimulation,
}

impl Default for Simulation {
    fn default() -> Self {
        Self {
            requests_per_second: 200.0,
            blue: SlotSimulation {
                error_rate: 0.2,
                latency_ms: 40.0,
            },
            green: SlotSimulation {
                error_rate: 0.2,
                latency_ms: 40.0,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SlotView {
    pub slot: crate::domain::deployments::bluegreen::Slot,
    pub version: Option<String>,
    pub state: crate::domain::deployments::bluegreen::SlotState,
    pub health: crate::domain::deployments::bluegreen::SlotHealth,
    /// Percent of traffic the router sends to this slot.
    pub weight: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SwitchSummary {
    pub id: Uuid,
    pub status: crate::domain::deployments::bluegreen::SwitchStatus,
    pub from_slot: crate::domain::deployments::bluegreen::Slot,
    pub to_slot: crate::domain::deployments::bluegreen::Slot,
    pub from_version: Option<String>,
    pub to_version: String,
    pub steps: Vec<u8>,
    /// -1 before traffic moves.
    pub step_index: i32,
    pub reason: Option<String>,
    pub requester: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeploymentRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub product_key: String,
    pub product_name: String,
    pub live_slot: crate::domain::deployments::bluegreen::Slot,
    pub live_version: Option<String>,
    pub blue: SlotView,
    pub green: SlotView,
    pub router: crate::domain::deployments::bluegreen::RouterKind,
    /// The switch running now, if any.
    pub active_switch: Option<SwitchSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SampleRow {
    pub at: DateTime<Utc>,
    pub slot: crate::domain::deployments::bluegreen::Slot,
    pub weight: i32,
    pub requests: i64,
    pub errors: i64,
    /// Percent.
    pub error_rate: f64,
    pub latency_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventRow {
    pub at: DateTime<Utc>,
    pub kind: crate::domain::deployments::bluegreen::SwitchEventKind,
    pub message: String,
    pub actor: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthRunRow {
    pub at: DateTime<Utc>,
    pub slot: crate::domain::deployments::bluegreen::Slot,
    pub passed: bool,
    pub results: Vec<CheckResult>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeploymentDetail {
    pub deployment: DeploymentRow,
    /// The latest switch (running or finished).
    pub switch: Option<SwitchSummary>,
    /// Actions the viewer may take on that switch now.
    pub actions: Vec<String>,
    /// The monitoring samples of that switch, oldest first.
    pub samples: Vec<SampleRow>,
    /// The deployment's timeline, newest first.
    pub events: Vec<EventRow>,
    /// Recent health-check runs, newest first.
    pub health_runs: Vec<HealthRunRow>,
    /// Earlier switches, newest first.
    pub history: Vec<SwitchSummary>,
    pub steps: String,
    pub bake_seconds: i32,
    pub interval_seconds: i32,
    pub thresholds: Thresholds,
    pub baseline: Vec<HealthCheck>,
    /// Present for simulator deployments.
    pub simulation: Option<Simulation>,
    /// Releases of the product the idle slot can switch to.
    pub versions: Vec<String>,
}

/// What the viewer may do on a deployment's page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentMay {
    /// Start a switch (`update.execute` on the tenant).
    pub operate: bool,
    /// Change the switch settings and the simulation (`tenant.manage` on the tenant).
    pub configure: bool,
    /// Change the product's health baseline (platform `release.manage`).
    pub edit_baseline: bool,
}

pub type DeploymentPage = crate::model::Allowed<DeploymentDetail, DeploymentMay>;

/// The deployments page: the rows and what the create form offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fleet {
    pub rows: Vec<DeploymentRow>,
    /// What the create form offers (empty for those who may not create).
    pub choices: DeploymentChoices,
}

/// What a new deployment can be made of.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentChoices {
    /// (slug, name) of edge tenants.
    pub tenants: Vec<(String, String)>,
    /// (key, name)
    pub products: Vec<(String, String)>,
}

/// What the viewer may do on the deployments page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetMay {
    /// Put a tenant's product on blue-green (platform `tenant.manage`).
    pub create: bool,
}

pub type FleetPage = crate::model::Allowed<Fleet, FleetMay>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BaselineView {
    pub product_key: String,
    pub product_name: String,
    pub checks: Vec<HealthCheck>,
    /// False while the product uses the default baseline.
    pub defined: bool,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}
