//! Tenant migrations (moves to another region or isolation mode) as they
//! cross the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A request to move a tenant. Empty `region` or `isolation` keeps the
/// current one; something must move.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MigrationForm {
    /// The target region, one of the tenant's allowed regions.
    #[serde(default)]
    pub region: String,
    /// `shared`, `dedicated` or `isolated`.
    #[serde(default)]
    pub isolation: String,
    /// Why it moves (3–500 characters, one line).
    pub reason: String,
    /// The tenant's slug, typed to confirm.
    pub confirm: String,
}

/// One step of a migration and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MigrationStepRow {
    /// `back_up`, `prepare_target`, `migrate_data`, `validate_target`,
    /// `cut_over`, `clean_up_source`, or `rollback` for the undoing steps.
    pub step: String,
    pub name: String,
    /// `pending`, `running`, `succeeded` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A migration: the placement decision and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MigrationRow {
    pub id: Uuid,
    /// `requested`, `running`, `cut_over`, `completed`, `rolled_back`,
    /// `failed`, `cleanup_failed` or `cancelled`.
    pub status: String,
    pub status_label: String,
    pub from_region: String,
    pub from_isolation: String,
    pub to_region: String,
    pub to_isolation: String,
    /// Where the target answers, as the executor reported.
    pub target_address: Option<String>,
    pub reason: String,
    pub decided_by: String,
    /// What residency allowed when it was decided.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub decision: serde_json::Value,
    pub change_id: Uuid,
    pub backup_id: Option<Uuid>,
    pub steps: Vec<MigrationStepRow>,
    pub note: String,
    pub requested_at: DateTime<Utc>,
    pub cut_over_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A tenant's placement, where it may move and its migrations (newest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantMigrations {
    pub slug: String,
    pub region: String,
    pub isolation: String,
    pub address: Option<String>,
    /// The tenant's allowed regions that the installation also runs.
    pub regions: Vec<String>,
    /// `shared`, `dedicated`, `isolated`.
    pub isolations: Vec<String>,
    /// Whether the caller may ask for a migration now, and if not, why.
    pub can_migrate: bool,
    pub why_not: Option<String>,
    pub migrations: Vec<MigrationRow>,
}
