//! Named tenant secrets and their rotation: which secrets a tenant has (its
//! web application's, its database's and its Airflow's passwords, and any
//! secret configuration entry), the change model each rotation needs (seed
//! 002: the web application's live; the database's and Airflow's in
//! maintenance, or by a blue-green swap on an edge tenant), what a new value
//! must look like, and when a scheduled rotation is due.

use chrono::{DateTime, Duration, Utc};

use crate::domain::changes::change::{ChangeModel, ChangeStatus};
use crate::domain::tenants::config::ConfigKey;
use crate::domain::tenants::tenant::DeploymentKind;

/// A secret a rotation changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretName {
    /// The web application's admin password.
    Webapp,
    /// The database password (changing it drops live connections).
    Database,
    /// The Airflow password.
    Airflow,
    /// Any other secret configuration entry, by its key.
    Custom(ConfigKey),
}

impl SecretName {
    pub const WELL_KNOWN: [SecretName; 3] = [Self::Webapp, Self::Database, Self::Airflow];

    /// `webapp`, `database`, `airflow`, or a configuration key.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "webapp" => Ok(Self::Webapp),
            "database" => Ok(Self::Database),
            "airflow" => Ok(Self::Airflow),
            other => ConfigKey::parse(other).map(Self::Custom).map_err(|m| {
                format!("Name webapp, database, airflow or a secret configuration key. {m}")
            }),
        }
    }

    /// How the name reads in paths and the audit trail.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Webapp => "webapp",
            Self::Database => "database",
            Self::Airflow => "airflow",
            Self::Custom(key) => key.as_str(),
        }
    }

    /// The configuration entry holding the secret's current value.
    pub fn config_key(&self) -> String {
        match self {
            Self::Webapp => "secrets.webapp".into(),
            Self::Database => "secrets.database".into(),
            Self::Airflow => "secrets.airflow".into(),
            Self::Custom(key) => key.as_str().to_owned(),
        }
    }

    /// The name of the secret stored under `key`.
    pub fn of_config_key(key: &str) -> Option<Self> {
        Self::WELL_KNOWN
            .into_iter()
            .find(|name| name.config_key() == key)
            .or_else(|| ConfigKey::parse(key).ok().map(Self::Custom))
    }

    pub fn label(&self) -> String {
        match self {
            Self::Webapp => "Web application password".into(),
            Self::Database => "Database password".into(),
            Self::Airflow => "Airflow password".into(),
            Self::Custom(key) => key.as_str().to_owned(),
        }
    }

    /// How its rotation reaches the tenant: a web application or custom
    /// secret changes live; a database or Airflow password cannot change
    /// under live connections, so in maintenance (a swap on an edge tenant).
    pub fn rotation_model(&self, deployment: DeploymentKind) -> ChangeModel {
        match self {
            Self::Webapp | Self::Custom(_) => ChangeModel::Live,
            Self::Database | Self::Airflow if deployment == DeploymentKind::Edge => {
                ChangeModel::Swap
            }
            Self::Database | Self::Airflow => ChangeModel::Maintenance,
        }
    }
}

/// The shortest and longest value a rotation accepts.
pub const MIN_SECRET_CHARS: usize = 16;
pub const MAX_SECRET_CHARS: usize = 256;

/// A value someone supplies for a rotation: long enough to be a secret,
/// printable ASCII without spaces (it is handed to the executor in an
/// environment variable and to the tenant's software as is).
pub fn check_new_value(value: &str) -> Result<(), String> {
    let length = value.chars().count();
    if !(MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&length) {
        return Err(format!(
            "Use {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters, or leave it empty to have one generated."
        ));
    }
    if !value.chars().all(|c| c.is_ascii_graphic()) {
        return Err("Use printable characters without spaces.".into());
    }
    Ok(())
}

/// How often a secret is rotated: 1 to 365 days; empty turns it off.
pub fn parse_interval(raw: &str) -> Result<Option<i32>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<i32>() {
        Ok(days) if (1..=365).contains(&days) => Ok(Some(days)),
        _ => Err("Rotate every 1 to 365 days, or leave it empty for no schedule.".into()),
    }
}

/// Whether a secret rotated last at `last` (never: `None`) is due again.
pub fn rotation_due(last: Option<DateTime<Utc>>, interval_days: i32, now: DateTime<Utc>) -> bool {
    last.is_none_or(|at| now >= at + Duration::days(i64::from(interval_days)))
}

/// Where a rotation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationStatus {
    /// Its change has not finished; the new value waits, sealed.
    Pending,
    /// The executor set the new value and the portal stored it.
    Applied,
    /// The change failed and its rollback put the previous value back.
    RolledBack,
    Failed,
    Cancelled,
}

impl RotationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Applied => "applied",
            Self::RolledBack => "rolled_back",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// How a rotation ends when its change ends with `status` without the
    /// value landing; `None` when the change's end leaves it as it is.
    pub fn unapplied_end(status: ChangeStatus) -> Option<Self> {
        match status {
            ChangeStatus::RolledBack => Some(Self::RolledBack),
            ChangeStatus::Cancelled => Some(Self::Cancelled),
            ChangeStatus::Failed => Some(Self::Failed),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn secrets_are_named_by_their_role_or_their_configuration_key() {
        assert_eq!(SecretName::parse("database").unwrap(), SecretName::Database);
        assert_eq!(SecretName::Database.config_key(), "secrets.database");
        assert_eq!(
            SecretName::of_config_key("secrets.airflow"),
            Some(SecretName::Airflow)
        );
        let custom = SecretName::parse("smtp.password").unwrap();
        assert_eq!(custom.config_key(), "smtp.password");
        assert!(SecretName::parse("Bad Key!").is_err());
    }

    #[test]
    fn a_database_password_rotates_in_maintenance_and_the_web_password_live() {
        use DeploymentKind::{Edge, Standard};
        assert_eq!(
            SecretName::Webapp.rotation_model(Standard),
            ChangeModel::Live
        );
        assert_eq!(
            SecretName::Database.rotation_model(Standard),
            ChangeModel::Maintenance
        );
        assert_eq!(SecretName::Airflow.rotation_model(Edge), ChangeModel::Swap);
        assert_eq!(
            SecretName::parse("api.key")
                .unwrap()
                .rotation_model(Standard),
            ChangeModel::Live
        );
    }

    #[test]
    fn a_supplied_value_must_look_like_a_secret() {
        assert!(check_new_value("short").is_err());
        assert!(check_new_value("has a space in it!!").is_err());
        assert!(check_new_value(&"x".repeat(257)).is_err());
        assert!(check_new_value("Tr0ub4dor&3-correct-horse").is_ok());
    }

    #[test]
    fn a_rotation_is_due_after_its_interval_or_when_never_rotated() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        assert!(rotation_due(None, 30, at));
        assert!(!rotation_due(Some(at), 30, at + Duration::days(29)));
        assert!(rotation_due(Some(at), 30, at + Duration::days(30)));
        assert_eq!(parse_interval(""), Ok(None));
        assert_eq!(parse_interval("30"), Ok(Some(30)));
        assert!(parse_interval("0").is_err());
    }

    #[test]
    fn a_rotation_ends_unapplied_only_when_its_change_fails_rolls_back_or_is_cancelled() {
        use crate::domain::changes::change::ChangeStatus as C;
        assert_eq!(
            RotationStatus::unapplied_end(C::RolledBack),
            Some(RotationStatus::RolledBack)
        );
        assert_eq!(
            RotationStatus::unapplied_end(C::Cancelled),
            Some(RotationStatus::Cancelled)
        );
        assert_eq!(
            RotationStatus::unapplied_end(C::Failed),
            Some(RotationStatus::Failed)
        );
        for status in [C::Succeeded, C::Running, C::Scheduled] {
            assert_eq!(RotationStatus::unapplied_end(status), None, "{status:?}");
        }
    }
}
