//! What crosses the wire for the event stream: the pull API's pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One event as consumers receive it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventRecord {
    pub id: Uuid,
    /// A catalogue type, e.g. `change.succeeded` (`GET /api/v1/event-types`).
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: i32,
    /// The global sequence number: gap-free, in the order events became visible.
    pub sequence: i64,
    pub occurred_at: DateTime<Utc>,
    pub tenant_id: Option<Uuid>,
    /// The tenant's own sequence number: gap-free per tenant.
    pub tenant_sequence: Option<i64>,
    /// The request (or change) that caused it; the audit explorer filters by it.
    pub correlation_id: Option<String>,
    pub actor: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// `{"state": <the resource after the change>, "details": <what changed>}`.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// One page of the stream, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventPage {
    pub items: Vec<EventRecord>,
    /// Ask again with `after` = this to go on (the last sequence on the page,
    /// or the `after` asked with when the page is empty).
    pub next_after: i64,
}

/// What a consumer asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQuery {
    /// Events with a global sequence above this one (0: from the start).
    pub after: i64,
    /// Comma-separated types or groups (`change.*`); empty: every type.
    pub types: String,
    /// One tenant (id or slug); empty: every tenant the caller may read.
    pub tenant: String,
    /// Page size, 1–500 (default 100).
    pub limit: u64,
}

/// A webhook endpoint as the form or API sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EndpointForm {
    /// A tenant (id or slug) whose events the endpoint hears; empty: every
    /// tenant's (the vendor's own endpoints).
    #[serde(default)]
    pub tenant: String,
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Comma-separated types or groups (`change.*`); empty: every type.
    #[serde(default)]
    pub event_types: String,
}

/// A webhook endpoint (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndpointView {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Deliveries have failed since then, without a success.
    pub failing_since: Option<DateTime<Utc>>,
    pub pending: u64,
    pub dead: u64,
    pub created_at: DateTime<Utc>,
}

/// A new endpoint or a rotated secret: the secret is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndpointSecret {
    pub endpoint: EndpointView,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

/// One delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AttemptRow {
    pub delivery_id: Uuid,
    pub event_id: Uuid,
    pub sequence: i64,
    pub event_type: String,
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub response_excerpt: String,
    pub error: Option<String>,
    /// When the delivery is tried again, if it will be.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// An endpoint with one page of its attempts, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndpointDetail {
    pub endpoint: EndpointView,
    pub attempts: Vec<AttemptRow>,
    /// Attempts that match the filters, on every page.
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// Which attempts of an endpoint's delivery log to show.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct AttemptQuery {
    /// `delivered` (answered 2xx) or `failed` (anything else); empty: every attempt.
    #[serde(default)]
    pub outcome: Option<String>,
    /// Event types or groups, comma-separated (`change.*`); empty: every type.
    #[serde(default, rename = "type")]
    pub event_type: Option<String>,
    /// Page number, from 1.
    #[serde(default)]
    pub page: Option<u64>,
}
