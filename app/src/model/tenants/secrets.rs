//! A tenant's secrets and their rotations as they cross the wire (values
//! never do).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One named secret of a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecretRow {
    /// `webapp`, `database`, `airflow` or a configuration key.
    pub name: String,
    pub label: String,
    /// The configuration entry holding its value.
    pub config_key: String,
    /// Whether a value is stored yet.
    pub present: bool,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
    /// How its rotation reaches the tenant: `live`, `maintenance` or `swap`.
    pub change_model: String,
    /// Rotated every this many days, when scheduled.
    pub interval_days: Option<i32>,
    pub last_rotated_at: Option<DateTime<Utc>>,
}

/// One rotation (never its values).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RotationRow {
    pub id: Uuid,
    pub change_request_id: Uuid,
    pub secret_name: String,
    /// `pending`, `applied`, `rolled_back`, `failed` or `cancelled`.
    pub status: String,
    /// The portal generated the value (rather than someone supplying it).
    pub generated: bool,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A tenant's secrets and recent rotations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantSecrets {
    pub tenant_id: Uuid,
    pub slug: String,
    pub secrets: Vec<SecretRow>,
    pub rotations: Vec<RotationRow>,
    pub can_rotate: bool,
}

/// A rotation request: empty `value` has the portal generate one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RotationForm {
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub note: String,
}

impl std::fmt::Debug for RotationForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotationForm")
            .field(
                "value",
                &if self.value.is_empty() {
                    ""
                } else {
                    "••••••"
                },
            )
            .field("note", &self.note)
            .finish()
    }
}

/// A secret's rotation schedule: every N days (1–365), empty for none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecretScheduleForm {
    #[serde(default)]
    pub interval_days: String,
}
