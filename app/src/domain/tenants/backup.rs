//! Backups: what a backup holds (the bundle format), how long each class is
//! kept, when a tenant's schedule wants the next one, which executor output
//! names the data snapshot, and what a restore changes in the configuration.
//! Plain rules; the service writes and reads the bundles.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::validation::FieldErrors;

/// The bundle format this portal writes and reads.
pub const BUNDLE_FORMAT: &str = "tenantry-backup/v1";

/// How long a manual backup is kept.
pub const MANUAL_KEEP_DAYS: i64 = 90;

/// What a backup holds beyond the portal's own part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    /// The portal's part and the executor's snapshot of the tenant's data.
    Full,
    /// The portal's part only: declared state, configuration, versions,
    /// endpoint inventory.
    Config,
}

impl BackupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Config => "config",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Full, Self::Config]
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Full => "Full",
            Self::Config => "Configuration only",
        }
    }
}

/// Why a backup was taken, which decides how long it is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionClass {
    Daily,
    Weekly,
    Monthly,
    /// Asked for by a person.
    Manual,
}

impl RetentionClass {
    pub const SCHEDULED: [RetentionClass; 3] = [Self::Monthly, Self::Weekly, Self::Daily];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
            Self::Manual => "manual",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Daily, Self::Weekly, Self::Monthly, Self::Manual]
            .into_iter()
            .find(|c| c.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Daily => "Daily",
            Self::Weekly => "Weekly",
            Self::Monthly => "Monthly archive",
            Self::Manual => "Manual",
        }
    }

    /// How long one "keep" lasts: keeping 7 dailies keeps each for 7 days.
    fn period(self) -> Duration {
        match self {
            Self::Daily => Duration::days(1),
            Self::Weekly => Duration::weeks(1),
            Self::Monthly => Duration::days(31),
            Self::Manual => Duration::days(1),
        }
    }
}

/// A tenant's backup schedule: how many of each class to keep (0 means that
/// class is not taken), and every how many days a restore test of the
/// latest verified backup runs (0: only when asked).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSchedule {
    pub keep_daily: i32,
    pub keep_weekly: i32,
    pub keep_monthly: i32,
    #[serde(default)]
    pub restore_test_days: i32,
}

impl BackupSchedule {
    /// The most of each class a schedule may keep.
    pub const MAX_DAILY: i32 = 366;
    pub const MAX_WEEKLY: i32 = 260;
    pub const MAX_MONTHLY: i32 = 120;

    /// A schedule from its form fields, every problem named by its field.
    pub fn parse(
        daily: &str,
        weekly: &str,
        monthly: &str,
        restore_test_days: &str,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut read = |field: &str, raw: &str, max: i32, what: &str| -> i32 {
            let raw = raw.trim();
            if raw.is_empty() {
                return 0;
            }
            match raw.parse::<i32>() {
                Ok(n) if (0..=max).contains(&n) => n,
                _ => {
                    errors.push(
                        field,
                        format!("Keep 0 to {max} {what} backups (0: none are taken)."),
                    );
                    0
                }
            }
        };
        let mut schedule = Self {
            keep_daily: read("keep_daily", daily, Self::MAX_DAILY, "daily"),
            keep_weekly: read("keep_weekly", weekly, Self::MAX_WEEKLY, "weekly"),
            keep_monthly: read("keep_monthly", monthly, Self::MAX_MONTHLY, "monthly"),
            restore_test_days: 0,
        };
        match crate::domain::tenants::restore_test::parse_interval(restore_test_days) {
            Ok(days) => schedule.restore_test_days = days,
            Err(message) => errors.push("restore_test_days", message),
        }
        if errors.is_empty() {
            Ok(schedule)
        } else {
            Err(errors)
        }
    }

    pub fn keeps(&self, class: RetentionClass) -> i32 {
        match class {
            RetentionClass::Daily => self.keep_daily,
            RetentionClass::Weekly => self.keep_weekly,
            RetentionClass::Monthly => self.keep_monthly,
            RetentionClass::Manual => 0,
        }
    }

    pub fn is_off(&self) -> bool {
        self.keep_daily == 0 && self.keep_weekly == 0 && self.keep_monthly == 0
    }

    /// The class of backup due now, given when the latest of each class was
    /// taken (or requested): a monthly archive once per calendar month, a
    /// weekly full once per ISO week, a daily once per day — at most one a
    /// day, the longest-kept class first, since it also serves as the day's.
    pub fn due(
        &self,
        latest: &BTreeMap<&'static str, DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<RetentionClass> {
        let taken_today = latest
            .values()
            .any(|at| at.date_naive() == now.date_naive());
        if taken_today {
            return None;
        }
        RetentionClass::SCHEDULED.into_iter().find(|class| {
            self.keeps(*class) > 0
                && !latest
                    .get(class.as_str())
                    .is_some_and(|at| same_period(*class, *at, now))
        })
    }
}

fn same_period(class: RetentionClass, a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    match class {
        RetentionClass::Monthly => a.year() == b.year() && a.month() == b.month(),
        RetentionClass::Weekly => a.iso_week() == b.iso_week(),
        RetentionClass::Daily | RetentionClass::Manual => a.date_naive() == b.date_naive(),
    }
}

/// When a backup of `class` taken at `taken` expires under `schedule`:
/// each kept backup lasts its count of periods (7 dailies: 7 days).
pub fn expires_at(
    class: RetentionClass,
    schedule: &BackupSchedule,
    taken: DateTime<Utc>,
) -> DateTime<Utc> {
    match class {
        RetentionClass::Manual => taken + Duration::days(MANUAL_KEEP_DAYS),
        _ => taken + class.period() * schedule.keeps(class).max(1),
    }
}

/// Where a verify (or a restore's own check) left a backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyStatus {
    Unverified,
    Verified,
    /// The bundle was read but its SHA-256 differs from the recorded one.
    Corrupt,
    /// The bundle is not at its location.
    Missing,
}

impl VerifyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Verified => "verified",
            Self::Corrupt => "corrupt",
            Self::Missing => "missing",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Unverified,
            Self::Verified,
            Self::Corrupt,
            Self::Missing,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Unverified => "Not verified yet",
            Self::Verified => "Verified",
            Self::Corrupt => "Corrupt",
            Self::Missing => "Missing",
        }
    }
}

#[cfg(feature = "ssr")]
/// What re-reading a bundle found, given the checksum recorded when it was
/// written: `read` is `None` when the bundle is gone.
pub fn judge_bundle(recorded_sha256: &str, read: Option<&[u8]>) -> (VerifyStatus, String) {
    match read {
        None => (
            VerifyStatus::Missing,
            "The bundle is not at its location any more.".into(),
        ),
        Some(bytes) => {
            let actual = sha256_hex(bytes);
            if actual == recorded_sha256 {
                (
                    VerifyStatus::Verified,
                    format!("Re-read {} bytes; SHA-256 matches.", bytes.len()),
                )
            } else {
                (
                    VerifyStatus::Corrupt,
                    format!(
                        "Re-read {} bytes; SHA-256 is {actual}, the backup recorded {recorded_sha256}.",
                        bytes.len()
                    ),
                )
            }
        }
    }
}

/// Lower-case hex SHA-256.
#[cfg(feature = "ssr")]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The prefix of the executor's output line that names the data snapshot it
/// took, e.g. `snapshot: s3://tenant-data/acme/2026-12-07T02:00Z`.
pub const SNAPSHOT_LINE: &str = "snapshot:";

/// The data snapshot reference in an executor's output: the last
/// `snapshot: <reference>` line, if its reference is one URI-like token of
/// at most 512 characters without shell metacharacters (it ends up in the
/// bundle, the UI and a restore's command line).
pub fn snapshot_reference(output: &str) -> Option<String> {
    output
        .lines()
        .filter_map(|line| line.trim().strip_prefix(SNAPSHOT_LINE))
        .map(str::trim)
        .filter(|reference| is_snapshot_reference(reference))
        .last()
        .map(str::to_owned)
}

fn is_snapshot_reference(reference: &str) -> bool {
    (1..=512).contains(&reference.len())
        && !reference.starts_with('-')
        && reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~:/?#@+,=%-".contains(c))
}

/// One configuration entry as a bundle holds it: a secret's value stays
/// sealed, exactly as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleSetting {
    pub key: String,
    pub value: String,
    pub is_secret: bool,
}

/// One licensed product as a bundle holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleProduct {
    pub product_id: Uuid,
    pub product_key: String,
    pub allowed_range: Option<String>,
    pub feature_flags: Vec<String>,
    pub running_version: Option<String>,
    pub components: BTreeMap<String, String>,
}

/// A backup bundle: the portal's own part of a tenant (enough, with the data
/// snapshot, to replicate its running state) as one JSON document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub backup_id: Uuid,
    pub change_request_id: Uuid,
    pub kind: BackupKind,
    pub taken_at: DateTime<Utc>,
    /// The tenant's declared state (identity, placement, plan, labels…).
    pub tenant: serde_json::Value,
    pub config: Vec<BundleSetting>,
    pub products: Vec<BundleProduct>,
    pub endpoints: Vec<serde_json::Value>,
    pub data_snapshot: Option<String>,
}

impl Bundle {
    /// Counts per part, for the backup's record and list.
    pub fn contents(&self) -> serde_json::Value {
        serde_json::json!({
            "config_keys": self.config.len(),
            "secrets": self.config.iter().filter(|s| s.is_secret).count(),
            "products": self.products.len(),
            "endpoints": self.endpoints.len(),
            "data_snapshot": self.data_snapshot.is_some(),
        })
    }
}

/// One configuration difference a restore undoes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigDelta {
    /// In the backup, not in the tenant now: put back.
    Add(BundleSetting),
    /// In both with another value (or secrecy): put the backup's back.
    Change {
        now: BundleSetting,
        back: BundleSetting,
    },
    /// In the tenant now, not in the backup: removed.
    Remove(BundleSetting),
}

impl ConfigDelta {
    pub fn key(&self) -> &str {
        match self {
            Self::Add(s) | Self::Remove(s) => &s.key,
            Self::Change { back, .. } => &back.key,
        }
    }
}

/// What restoring `backup`'s configuration changes in `current`, by key.
pub fn config_deltas(current: &[BundleSetting], backup: &[BundleSetting]) -> Vec<ConfigDelta> {
    let now: BTreeMap<&str, &BundleSetting> = current.iter().map(|s| (s.key.as_str(), s)).collect();
    let back: BTreeMap<&str, &BundleSetting> = backup.iter().map(|s| (s.key.as_str(), s)).collect();
    let mut deltas = Vec::new();
    for (key, wanted) in &back {
        match now.get(key) {
            None => deltas.push(ConfigDelta::Add((*wanted).clone())),
            Some(present) if present != wanted => deltas.push(ConfigDelta::Change {
                now: (*present).clone(),
                back: (*wanted).clone(),
            }),
            Some(_) => {}
        }
    }
    for (key, present) in &now {
        if !back.contains_key(key) {
            deltas.push(ConfigDelta::Remove((*present).clone()));
        }
    }
    deltas.sort_by(|a, b| a.key().cmp(b.key()));
    deltas
}

/// A legal hold's (or its lifting's) reason: required, at most 500
/// characters, one line (it is shown in lists and written to the audit).
pub fn check_hold_reason(raw: &str) -> Result<String, String> {
    let reason = raw.trim();
    if reason.is_empty() {
        return Err("Say why, e.g. the case or request it is for.".into());
    }
    if reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err("Use one line of at most 500 characters.".into());
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 2, 0, 0).unwrap()
    }

    fn setting(key: &str, value: &str, is_secret: bool) -> BundleSetting {
        BundleSetting {
            key: key.into(),
            value: value.into(),
            is_secret,
        }
    }

    #[test]
    fn a_schedule_is_read_from_its_form_with_every_problem_named() {
        assert_eq!(
            BackupSchedule::parse("7", "4", "", "30").unwrap(),
            BackupSchedule {
                keep_daily: 7,
                keep_weekly: 4,
                keep_monthly: 0,
                restore_test_days: 30,
            }
        );
        let errors = BackupSchedule::parse("-1", "x", "121", "400").unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "keep_daily",
                "keep_weekly",
                "keep_monthly",
                "restore_test_days"
            ]
        );
    }

    #[test]
    fn the_longest_kept_class_due_is_taken_first_and_at_most_one_a_day() {
        let schedule = BackupSchedule {
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 12,
            restore_test_days: 0,
        };
        let mut latest = BTreeMap::new();
        let now = at(2026, 12, 7);
        assert_eq!(schedule.due(&latest, now), Some(RetentionClass::Monthly));
        latest.insert("monthly", at(2026, 12, 1));
        // Monday 7 December starts a new ISO week.
        assert_eq!(schedule.due(&latest, now), Some(RetentionClass::Weekly));
        latest.insert("weekly", at(2026, 12, 7));
        assert_eq!(schedule.due(&latest, now), None, "one backup a day");
        assert_eq!(
            schedule.due(&latest, at(2026, 12, 8)),
            Some(RetentionClass::Daily)
        );
        assert_eq!(BackupSchedule::default().due(&BTreeMap::new(), now), None);
    }

    #[test]
    fn each_kept_backup_lasts_its_count_of_periods() {
        let schedule = BackupSchedule {
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 12,
            restore_test_days: 0,
        };
        let taken = at(2026, 12, 7);
        assert_eq!(
            expires_at(RetentionClass::Daily, &schedule, taken),
            taken + Duration::days(7)
        );
        assert_eq!(
            expires_at(RetentionClass::Weekly, &schedule, taken),
            taken + Duration::weeks(4)
        );
        assert_eq!(
            expires_at(RetentionClass::Monthly, &schedule, taken),
            taken + Duration::days(372)
        );
        assert_eq!(
            expires_at(RetentionClass::Manual, &schedule, taken),
            taken + Duration::days(MANUAL_KEEP_DAYS)
        );
    }

    #[test]
    fn a_bundle_is_judged_by_re_hashing_what_was_read() {
        let bytes = b"{\"format\":\"tenantry-backup/v1\"}";
        let recorded = sha256_hex(bytes);
        assert_eq!(
            judge_bundle(&recorded, Some(bytes)).0,
            VerifyStatus::Verified
        );
        assert_eq!(
            judge_bundle(&recorded, Some(b"{\"format\":\"tampered\"}")).0,
            VerifyStatus::Corrupt
        );
        assert_eq!(judge_bundle(&recorded, None).0, VerifyStatus::Missing);
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_snapshot_reference_is_the_last_well_formed_snapshot_line() {
        let output = "Backup started\nsnapshot: s3://data/acme/1\nsnapshot: s3://data/acme/2\ndone";
        assert_eq!(
            snapshot_reference(output).as_deref(),
            Some("s3://data/acme/2")
        );
        assert_eq!(snapshot_reference("no reference here"), None);
        for bad in [
            "snapshot: two words",
            "snapshot: -rf",
            "snapshot: $(reboot)",
            "snapshot: a\u{7}b",
        ] {
            assert_eq!(snapshot_reference(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_restore_puts_back_changed_and_missing_keys_and_removes_new_ones() {
        let now = [
            setting("a", "1", false),
            setting("b", "changed", false),
            setting("new", "x", false),
        ];
        let back = [
            setting("a", "1", false),
            setting("b", "2", false),
            setting("gone", "sealed", true),
        ];
        let deltas = config_deltas(&now, &back);
        assert_eq!(
            deltas,
            vec![
                ConfigDelta::Change {
                    now: setting("b", "changed", false),
                    back: setting("b", "2", false)
                },
                ConfigDelta::Add(setting("gone", "sealed", true)),
                ConfigDelta::Remove(setting("new", "x", false)),
            ]
        );
        assert!(config_deltas(&back, &back).is_empty());
    }

    #[test]
    fn a_hold_reason_is_one_required_line() {
        assert!(check_hold_reason("  ").is_err());
        assert!(check_hold_reason("case 42\nrm").is_err());
        assert!(check_hold_reason(&"x".repeat(501)).is_err());
        assert_eq!(check_hold_reason(" Case 42 ").unwrap(), "Case 42");
    }
}
