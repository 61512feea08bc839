//! Backups, restores and legal holds as they cross the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One backup of a tenant, as its Backups tab and the API list it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BackupRow {
    pub id: Uuid,
    /// The backup change that took it.
    pub change_request_id: Uuid,
    /// `full` or `config`.
    pub kind: String,
    /// `daily`, `weekly`, `monthly` or `manual`.
    pub retention_class: String,
    /// Where the bundle lies (`file:///…` or `s3://…`).
    pub location: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// The executor's reference to the tenant's data snapshot.
    pub data_snapshot: Option<String>,
    /// Counts per part: config_keys, secrets, products, endpoints, data_snapshot.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub contents: serde_json::Value,
    pub taken_at: DateTime<Utc>,
    /// `unverified`, `verified`, `corrupt` or `missing`.
    pub verify_status: String,
    pub verified_at: Option<DateTime<Utc>>,
    pub verify_message: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// Set when the bundle was deleted (by retention); the record stays.
    pub deleted_at: Option<DateTime<Utc>>,
    pub delete_reason: Option<String>,
    /// The latest restore test of this backup, if one was asked for.
    pub restore_test: Option<RestoreTestRow>,
}

/// A restore test of a backup: restored into a scratch target, its health
/// baseline run there, torn down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RestoreTestRow {
    pub id: Uuid,
    pub backup_id: Uuid,
    /// The restore test change that carries it out.
    pub change_request_id: Uuid,
    /// `requested`, `running`, `passed`, `failed` or `cancelled`.
    pub status: String,
    /// Where the scratch target answered, as the executor reported it.
    pub scratch_address: Option<String>,
    /// Why it failed, or what it found.
    pub note: String,
    /// Asked for by the tenant's schedule rather than a person.
    pub scheduled: bool,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A legal hold on a tenant's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LegalHoldRow {
    pub id: Uuid,
    pub reason: String,
    pub set_by: String,
    pub set_at: DateTime<Utc>,
    pub lifted_by: Option<String>,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lift_reason: Option<String>,
}

/// A tenant's backups, schedule and legal holds in one view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantBackups {
    pub tenant_id: Uuid,
    pub slug: String,
    /// Newest first: every backup whose bundle is held, and the newest
    /// 100 records of deleted ones.
    pub backups: Vec<BackupRow>,
    /// Records of deleted backups older than those listed (their deletions
    /// are in the audit trail).
    pub older_deleted: u64,
    pub keep_daily: i32,
    pub keep_weekly: i32,
    pub keep_monthly: i32,
    /// Days between scheduled restore tests of the latest verified backup
    /// (0: only when asked).
    pub restore_test_days: i32,
    /// The standing hold, if any, then the lifted ones, newest first.
    pub legal_holds: Vec<LegalHoldRow>,
    /// Where this installation writes bundles.
    pub target: String,
    /// Backup, restore and restore test changes of this tenant not
    /// finished yet.
    pub in_flight: Vec<InFlightChange>,
    /// What the viewer may do here.
    pub can_operate: bool,
    pub can_hold: bool,
}

/// A backup or restore change under way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InFlightChange {
    pub id: Uuid,
    pub title: String,
    pub status: String,
    pub progress: i32,
    pub schedule_reason: String,
}

/// A request for a backup now. Its kind is not asked: a backup is `full`
/// when the executor reports a data snapshot, `config` when it reports none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BackupRequestForm {
    #[serde(default)]
    pub note: String,
}

/// A request to restore a tenant from one of its backups.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RestoreForm {
    pub backup_id: String,
    /// The tenant's slug, typed to confirm.
    pub confirm: String,
    #[serde(default)]
    pub note: String,
}

/// A tenant's backup schedule: how many of each class to keep (0: none taken).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BackupScheduleForm {
    #[serde(default)]
    pub keep_daily: String,
    #[serde(default)]
    pub keep_weekly: String,
    #[serde(default)]
    pub keep_monthly: String,
    /// Days between restore tests of the latest verified backup (empty or
    /// 0: only when asked).
    #[serde(default)]
    pub restore_test_days: String,
}

/// Setting or lifting a legal hold: why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LegalHoldForm {
    pub reason: String,
}

/// A backup or restore change as it was queued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QueuedChange {
    pub change_id: Uuid,
    pub title: String,
    /// `pending_approval`, `scheduled` or `running`.
    pub status: String,
    /// When it is due to start, and why then.
    pub next_start_at: Option<DateTime<Utc>>,
    pub schedule_reason: String,
}
