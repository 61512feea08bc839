//! What crosses the wire for audit: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Part of the actor's email or label.
    pub actor: Option<String>,
    /// A tenant slug.
    pub tenant: Option<String>,
    /// An action name or its prefix (`tenant.` matches every tenant action).
    pub action: Option<String>,
    /// Inclusive dates, `YYYY-MM-DD`, in UTC.
    pub from: Option<String>,
    pub to: Option<String>,
    /// A request or correlation id: everything one request (or one change,
    /// from its request through its job and executor steps) did.
    #[serde(default)]
    pub request: Option<String>,
    /// Opaque cursor: continue with events older than this one.
    pub before: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntryRow {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub tenant: Option<String>,
    pub request_id: Option<String>,
    pub outcome: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditEntryRow>,
    /// Cursor for the next (older) page; `None` on the last page.
    pub older: Option<String>,
}

pub const AUDIT_PAGE_SIZE: u64 = 50;
