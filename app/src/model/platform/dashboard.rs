//! What crosses the wire for dashboard: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use crate::domain::tenants::lifecycle::LifecycleState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
