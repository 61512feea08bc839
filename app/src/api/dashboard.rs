use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::lifecycle::LifecycleState;
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCount {
    pub state: LifecycleState,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventRow {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
}

/// Panels the principal may not read are `None` (and not shown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardData {
    pub tenants_total: Option<u64>,
    pub tenants_by_state: Option<Vec<StateCount>>,
    pub users_total: Option<u64>,
    pub recent_audit: Option<Vec<AuditEventRow>>,
}

#[server(prefix = "/api/fn", endpoint = "dashboard_summary")]
pub async fn dashboard_summary() -> Result<DashboardData, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::dashboard::summary;

    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(summary(&state.reads, &principal).await)
}
