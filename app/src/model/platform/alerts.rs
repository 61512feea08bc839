//! What crosses the wire for alerts: the page's view, the acknowledgement
//! and the rule settings, shared by the server functions, the REST handlers,
//! the services and the pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::platform::alerts::{AlertRule, Severity};

/// One alert as people read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertRow {
    pub id: Uuid,
    pub rule: AlertRule,
    pub title: String,
    pub severity: Severity,
    pub subject: String,
    /// Where the subject is in the portal.
    pub link: String,
    pub tenant_id: Option<Uuid>,
    pub summary: String,
    /// open, acknowledged or resolved.
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub ack_comment: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The runbook's path in the repository (`docs/runbooks/<rule>.md`).
    pub runbook: String,
}

/// `GET /api/v1/alerts?status=open|acknowledged|resolved` (empty: not resolved).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
pub struct AlertQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub page: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertsView {
    pub rows: Vec<AlertRow>,
    pub open: u64,
    pub acknowledged: u64,
    pub resolved: u64,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    /// The viewer may acknowledge (platform `update.execute`).
    pub may_acknowledge: bool,
    /// The viewer may change the rules (platform `settings.manage`).
    pub may_configure: bool,
}

/// An acknowledgement: someone is on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AcknowledgeForm {
    #[serde(default)]
    pub comment: String,
}

/// One rule with the vendor's setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertRuleView {
    pub rule: AlertRule,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub enabled: bool,
    /// What the threshold counts; `None`: the rule has none.
    pub threshold_unit: Option<String>,
    pub threshold: Option<u32>,
    pub default_threshold: Option<u32>,
    pub runbook: String,
}

/// `PUT /api/v1/alert-rules/{rule}`: on/off and the threshold (text, as
/// typed; empty keeps the default).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertRuleForm {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub threshold: String,
}
