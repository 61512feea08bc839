//! What crosses the wire for rollouts: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use crate::domain::rollouts::rollout::{RolloutAction, RolloutStatus, TargetStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A rollout as the form or the API sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RolloutForm {
    pub name: String,
    /// `tenants` (default: each tenant upgraded by a change request) or
    /// `endpoints` (each endpoint's agent fetches its assignment and installs).
    #[serde(default)]
    pub scope: String,
    /// Product key or id.
    pub product: String,
    pub target_version: String,
    /// Explicit targets: tenant slugs separated by commas or new lines. When
    /// given, the filters below are ignored.
    #[serde(default)]
    pub tenants: String,
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub label: String,
    /// Only tenants running exactly this version.
    #[serde(default)]
    pub current_version: String,
    /// Only tenants with this compliance status (`in_grace`, `eol`, …).
    #[serde(default)]
    pub compliance_status: String,
    /// Cumulative percentages, e.g. "1, 10, 50" (the rest follows).
    #[serde(default)]
    pub waves: String,
    /// Instead of percentages, one wave per line: tenant slugs
    /// (`acme-prod, globex`), a filter (`region=eu-central-1 label=canary`;
    /// keys plan, region, label, version, compliance) or `rest`.
    #[serde(default)]
    pub wave_plan: String,
    #[serde(default)]
    pub success_threshold: String,
    #[serde(default)]
    pub error_threshold: String,
    /// `pause` (default) or `stop` when the error threshold is crossed.
    #[serde(default)]
    pub on_error: String,
    #[serde(default)]
    pub concurrency: String,
    /// UTC, `YYYY-MM-DDTHH:MM` or RFC 3339; empty: at once.
    #[serde(default)]
    pub start_at: String,
    #[serde(default)]
    pub requires_approval: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RolloutRow {
    pub id: Uuid,
    pub name: String,
    pub scope: crate::domain::rollouts::rollout::RolloutScope,
    pub product_key: String,
    pub target_version: String,
    pub status: RolloutStatus,
    pub targets: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub running: u64,
    /// 1-based wave being worked on.
    pub current_wave: i32,
    pub waves: i32,
    pub halt_reason: Option<String>,
    pub creator: String,
    pub created_at: DateTime<Utc>,
    pub start_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Succeeded share of finished targets, percent.
    pub success_rate: Option<f64>,
    /// Targets whose upgrade was rolled back, percent of finished targets.
    pub rollback_rate: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WaveRow {
    pub number: i32,
    pub total: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub running: u32,
    pub pending: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TargetRow {
    pub tenant_slug: String,
    /// The endpoint's host name, in endpoint rollouts.
    pub endpoint: Option<String>,
    pub attempts: i32,
    /// The agent's last progress message.
    pub message: Option<String>,
    pub wave: i32,
    pub status: TargetStatus,
    pub from_version: Option<String>,
    pub change_request_id: Option<Uuid>,
    pub last_error: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RolloutDetail {
    pub rollout: RolloutRow,
    pub waves: Vec<WaveRow>,
    /// One page of targets: failed first, then running, then the rest in plan order.
    pub targets: Vec<TargetRow>,
    pub targets_page: u64,
    pub targets_per_page: u64,
    pub selection: String,
    pub wave_splits: String,
    pub success_threshold: i32,
    pub error_threshold: i32,
    pub on_error: String,
    pub concurrency: i32,
    /// Actions the viewer may take now, in button order.
    pub actions: Vec<RolloutAction>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RolloutList {
    pub rows: Vec<RolloutRow>,
    /// (key, name)
    pub products: Vec<(String, String)>,
}

/// What the viewer may do on the rollouts page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutsMay {
    /// Plan a rollout (platform `update.execute`).
    pub create: bool,
}

pub type RolloutsPage = crate::model::Allowed<RolloutList, RolloutsMay>;
