//! Offboarding and certificates of destruction as they cross the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::backups::LegalHoldRow;

/// A request to offboard a tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OffboardingForm {
    /// Why; sent to the tenant's contacts and printed on the certificate.
    pub reason: String,
    /// Days the archived tenant is kept before deletion (1–3650; empty: 90).
    #[serde(default)]
    pub retention_days: String,
    /// The tenant's slug, typed to confirm.
    pub confirm: String,
}

/// One file of the customer's export, as its manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExportFileRow {
    pub name: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// A tenant's offboarding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OffboardingRow {
    pub id: Uuid,
    /// `cleaning_up`, `cleanup_failed`, `retained`, `deleting`, `destroyed` or `cancelled`.
    pub stage: String,
    pub stage_label: String,
    pub reason: String,
    pub retention_days: i64,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// The contact addresses the notice went to.
    pub notice_recipients: Vec<String>,
    pub export_sha256: Option<String>,
    pub export_size_bytes: Option<i64>,
    pub export_files: Vec<ExportFileRow>,
    /// Counts of what was revoked (bindings, API tokens, enrollment tokens,
    /// agent credentials, webhook endpoints).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub access_revoked: serde_json::Value,
    /// The executor's clean-up change, then the deletion change.
    pub cleanup_change_id: Option<Uuid>,
    pub deletion_change_id: Option<Uuid>,
    pub archived_at: Option<DateTime<Utc>>,
    /// When retention ends and the tenant is deleted (unless held).
    pub delete_after: Option<DateTime<Utc>>,
    /// When retention first found a legal hold in the way.
    pub held_at: Option<DateTime<Utc>>,
    pub destroyed_at: Option<DateTime<Utc>>,
    /// The latest word on it.
    pub note: String,
}

/// A signed certificate of destruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CertificateView {
    pub id: Uuid,
    pub issued_at: DateTime<Utc>,
    /// `Ed25519`.
    pub algorithm: String,
    /// The signed document: canonical JSON of what was destroyed.
    pub document: String,
    /// Base64 of the signature over the document's bytes; check it with the
    /// key at `/api/v1/licences/public-key`.
    pub signature: String,
    pub document_sha256: String,
}

/// A tenant's offboarding page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantOffboarding {
    pub tenant_id: Uuid,
    pub slug: String,
    pub lifecycle_state: String,
    /// The open offboarding, or the last one; then older ones, newest first.
    pub offboardings: Vec<OffboardingRow>,
    /// The standing legal hold first, then the lifted ones, newest first.
    pub legal_holds: Vec<LegalHoldRow>,
    pub certificate: Option<CertificateView>,
    /// Who the notice would go to now.
    pub contacts: Vec<String>,
    /// Why an offboarding cannot start now, if it cannot.
    pub start_refusal: Option<String>,
    pub can_offboard: bool,
    pub can_hold: bool,
    pub can_export: bool,
}
