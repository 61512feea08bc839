//! What crosses the wire for endpoints: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndpointRow {
    pub id: Uuid,
    pub hostname: String,
    /// `linux`, `windows` or `mobile`.
    pub platform: String,
    pub agent_version: String,
    pub registered_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub online: bool,
    /// (product key, installed version)
    pub products: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct EndpointQuery {
    /// `linux`, `windows` or `mobile`.
    pub platform: Option<String>,
    /// A product key: endpoints with it installed.
    pub product: Option<String>,
    /// With `product`: that exact installed version.
    pub version: Option<String>,
    /// `online` or `offline` (last report within 15 minutes or not).
    pub presence: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndpointList {
    pub items: Vec<EndpointRow>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentTokenRow {
    pub id: Uuid,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
    pub registrations: i64,
    /// `None`: any number until it expires.
    #[serde(default)]
    pub max_registrations: Option<i64>,
    #[serde(default)]
    pub replaces_endpoints: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointsView {
    pub list: EndpointList,
    pub online: u64,
    pub product_keys: Vec<String>,
    /// Enrollment tokens: only for those who may enroll endpoints.
    pub tokens: Vec<EnrollmentTokenRow>,
}

/// What the viewer may do on a tenant's endpoints tab.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointsMay {
    /// Create and revoke enrollment tokens (`tenant.manage` on the tenant).
    pub enroll: bool,
}

pub type EndpointsPage = crate::model::Allowed<EndpointsView, EndpointsMay>;
