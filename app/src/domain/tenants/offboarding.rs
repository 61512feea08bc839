//! Offboarding: a tenant's decommissioning as a workflow — a notice, the
//! customer's data export, access revocation, clean-up through the executor,
//! `archived` for a retention period, deletion once it has passed (never
//! while a legal hold stands), and a certificate of what was destroyed.
//! Plain rules; the service carries them out.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The export format this portal writes.
pub const EXPORT_FORMAT: &str = "tenantry-export/v1";
/// The certificate format this portal signs.
pub const CERTIFICATE_FORMAT: &str = "tenantry-destruction-certificate/v1";
/// The file in an export that lists the others with their checksums.
pub const MANIFEST_FILE: &str = "manifest.json";
/// How long an offboarded tenant is kept when nobody says otherwise.
pub const DEFAULT_RETENTION_DAYS: i64 = 90;
/// The longest retention a person may ask for (ten years).
pub const MAX_RETENTION_DAYS: i64 = 3650;

/// Where an offboarding stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffboardingStage {
    /// Notice sent, export written, access revoked; the executor's clean-up
    /// change has not finished.
    CleaningUp,
    /// The executor's clean-up failed; the tenant is archived and kept until
    /// a clean-up succeeds.
    CleanupFailed,
    /// Cleaned up and archived: kept until its retention ends.
    Retained,
    /// Retention ended: the deletion change is running.
    Deleting,
    /// Deleted, with a certificate of destruction.
    Destroyed,
    /// The tenant was restored before it was deleted.
    Cancelled,
}

impl OffboardingStage {
    pub const ALL: [OffboardingStage; 6] = [
        Self::CleaningUp,
        Self::CleanupFailed,
        Self::Retained,
        Self::Deleting,
        Self::Destroyed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CleaningUp => "cleaning_up",
            Self::CleanupFailed => "cleanup_failed",
            Self::Retained => "retained",
            Self::Deleting => "deleting",
            Self::Destroyed => "destroyed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::CleaningUp => "Cleaning up",
            Self::CleanupFailed => "Clean-up failed",
            Self::Retained => "Retained",
            Self::Deleting => "Deleting",
            Self::Destroyed => "Destroyed",
            Self::Cancelled => "Cancelled",
        }
    }

    /// Still on its way to deletion (a second offboarding is refused).
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Destroyed | Self::Cancelled)
    }
}

/// The retention a person typed: whole days, 1 to ten years; empty means
/// the default.
pub fn parse_retention_days(raw: &str) -> Result<i64, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(DEFAULT_RETENTION_DAYS);
    }
    match raw.parse::<i64>() {
        Ok(days) if (1..=MAX_RETENTION_DAYS).contains(&days) => Ok(days),
        _ => Err(format!(
            "Enter the days to keep the archived tenant before deletion, a whole number from 1 to {MAX_RETENTION_DAYS}."
        )),
    }
}

/// Why the tenant is offboarded: required, one line, at most 500 characters
/// (it is sent to the customer's contacts and printed on the certificate).
pub fn check_reason(raw: &str) -> Result<String, String> {
    crate::domain::validation::check_reason_line(raw, "Say why the tenant is offboarded")
}

/// When a tenant cleaned up at `cleaned_at` may be deleted.
pub fn delete_after(cleaned_at: DateTime<Utc>, retention_days: i64) -> DateTime<Utc> {
    cleaned_at + Duration::days(retention_days)
}

/// What retention decides for an offboarded tenant today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletionVerdict {
    /// Not yet: kept until then.
    KeptUntil(DateTime<Utc>),
    /// Retention has passed but a legal hold stands: nothing is deleted.
    Held,
    /// Retention has passed and nothing holds it: delete it now.
    Due,
    /// Not waiting for deletion (still cleaning up, deleting or closed).
    NotRetained,
}

pub fn deletion_verdict(
    stage: OffboardingStage,
    delete_after: Option<DateTime<Utc>>,
    held: bool,
    now: DateTime<Utc>,
) -> DeletionVerdict {
    match (stage, delete_after) {
        (OffboardingStage::Retained, Some(after)) if now < after => {
            DeletionVerdict::KeptUntil(after)
        }
        (OffboardingStage::Retained, Some(_)) if held => DeletionVerdict::Held,
        (OffboardingStage::Retained, Some(_)) => DeletionVerdict::Due,
        _ => DeletionVerdict::NotRetained,
    }
}

// ---- The export -------------------------------------------------------------

/// One file of an export, as its manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFile {
    pub name: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// The manifest at the root of an export: what it is and every other file
/// with its size and SHA-256, so the customer can check what they received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportManifest {
    pub format: String,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub generated_at: DateTime<Utc>,
    pub files: Vec<ExportFile>,
}

#[cfg(feature = "ssr")]
impl ExportManifest {
    /// The manifest of `files` (name → bytes), in name order.
    pub fn describe(
        tenant_id: Uuid,
        tenant_slug: &str,
        generated_at: DateTime<Utc>,
        files: &BTreeMap<String, Vec<u8>>,
    ) -> Self {
        Self {
            format: EXPORT_FORMAT.to_owned(),
            tenant_id,
            tenant_slug: tenant_slug.to_owned(),
            generated_at,
            files: files
                .iter()
                .map(|(name, bytes)| ExportFile {
                    name: name.clone(),
                    size_bytes: bytes.len() as u64,
                    sha256: super::backup::sha256_hex(bytes),
                })
                .collect(),
        }
    }
}

/// What does not match between a manifest and the files received (every
/// file but the manifest itself): empty when the export is whole.
#[cfg(feature = "ssr")]
pub fn check_export(manifest: &ExportManifest, files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut problems = Vec::new();
    for listed in &manifest.files {
        match files.get(&listed.name) {
            None => problems.push(format!("{} is missing", listed.name)),
            Some(bytes) if bytes.len() as u64 != listed.size_bytes => problems.push(format!(
                "{} is {} bytes, the manifest says {}",
                listed.name,
                bytes.len(),
                listed.size_bytes
            )),
            Some(bytes) if super::backup::sha256_hex(bytes) != listed.sha256 => {
                problems.push(format!("{} does not match its SHA-256", listed.name))
            }
            Some(_) => {}
        }
    }
    for name in files.keys() {
        if name != MANIFEST_FILE && !manifest.files.iter().any(|f| &f.name == name) {
            problems.push(format!("{name} is not in the manifest"));
        }
    }
    problems
}

// ---- The certificate of destruction -----------------------------------------

/// A legal hold as the certificate records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedHold {
    pub reason: String,
    pub set_by: String,
    pub set_at: DateTime<Utc>,
    pub lifted_by: Option<String>,
    pub lifted_at: Option<DateTime<Utc>>,
}

/// A backup bundle destroyed with the tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestroyedBundle {
    pub location: String,
    pub sha256: String,
    pub size_bytes: i64,
}

/// The offboarding that led to the deletion, as the certificate records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedOffboarding {
    pub id: Uuid,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub reason: String,
    pub retention_days: i64,
    pub archived_at: Option<DateTime<Utc>>,
    pub delete_after: Option<DateTime<Utc>>,
    /// The customer's export: its SHA-256 and its manifest's.
    pub export_sha256: Option<String>,
    pub export_manifest_sha256: Option<String>,
}

/// What was deleted, when, by whom and on what grounds. Its canonical JSON
/// is what the portal signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestructionCertificate {
    pub format: String,
    pub certificate_id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by: String,
    /// The change whose executor step destroyed the tenant's resources.
    pub delete_change_id: Uuid,
    pub offboarding: Option<CertifiedOffboarding>,
    pub legal_holds: Vec<CertifiedHold>,
    /// Counts of what the portal deleted, by kind ("configuration values").
    pub destroyed: BTreeMap<String, u64>,
    /// Backup bundles and exports deleted from the backup target.
    pub bundles_destroyed: Vec<DestroyedBundle>,
    /// What is kept on purpose ("the audit trail: 42 records").
    pub retained: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 10, 0, 0).unwrap()
    }

    #[test]
    fn retention_is_whole_days_from_one_to_ten_years_and_defaults_to_ninety() {
        assert_eq!(parse_retention_days(""), Ok(DEFAULT_RETENTION_DAYS));
        assert_eq!(parse_retention_days(" 30 "), Ok(30));
        assert_eq!(parse_retention_days("3650"), Ok(3650));
        for bad in ["0", "-1", "3651", "1.5", "thirty"] {
            assert!(parse_retention_days(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_reason_is_one_short_line() {
        assert_eq!(
            check_reason("  contract ended "),
            Ok("contract ended".into())
        );
        assert!(check_reason("no").is_err());
        assert!(check_reason(&"x".repeat(501)).is_err());
        assert!(check_reason("ended\nrm -rf /").is_err());
    }

    #[test]
    fn deletion_waits_for_retention_then_for_every_legal_hold() {
        let after = delete_after(at(1), 7);
        assert_eq!(after, at(8));
        let retained = OffboardingStage::Retained;
        assert_eq!(
            deletion_verdict(retained, Some(after), false, at(7)),
            DeletionVerdict::KeptUntil(at(8))
        );
        assert_eq!(
            deletion_verdict(retained, Some(after), true, at(7)),
            DeletionVerdict::KeptUntil(at(8))
        );
        assert_eq!(
            deletion_verdict(retained, Some(after), true, at(9)),
            DeletionVerdict::Held
        );
        assert_eq!(
            deletion_verdict(retained, Some(after), false, at(8)),
            DeletionVerdict::Due
        );
        for stage in [
            OffboardingStage::CleaningUp,
            OffboardingStage::CleanupFailed,
            OffboardingStage::Deleting,
            OffboardingStage::Destroyed,
            OffboardingStage::Cancelled,
        ] {
            assert_eq!(
                deletion_verdict(stage, Some(after), false, at(20)),
                DeletionVerdict::NotRetained,
                "{stage:?}"
            );
        }
    }

    #[test]
    fn stages_round_trip_and_only_the_last_two_are_closed() {
        for stage in OffboardingStage::ALL {
            assert_eq!(OffboardingStage::parse(stage.as_str()), Some(stage));
        }
        let closed: Vec<_> = OffboardingStage::ALL
            .into_iter()
            .filter(|s| !s.is_open())
            .collect();
        assert_eq!(
            closed,
            [OffboardingStage::Destroyed, OffboardingStage::Cancelled]
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn an_export_checks_against_its_manifest() {
        let mut files = BTreeMap::new();
        files.insert("tenant.json".to_owned(), b"{}".to_vec());
        files.insert("config.csv".to_owned(), b"key,value\n".to_vec());
        let manifest = ExportManifest::describe(Uuid::nil(), "acme", at(1), &files);
        assert_eq!(manifest.files.len(), 2);
        files.insert(MANIFEST_FILE.to_owned(), b"ignored".to_vec());
        assert!(check_export(&manifest, &files).is_empty());

        files.insert("config.csv".to_owned(), b"key,VALUE\n".to_vec());
        files.insert("extra.txt".to_owned(), vec![]);
        files.remove("tenant.json");
        assert_eq!(
            check_export(&manifest, &files),
            [
                "config.csv does not match its SHA-256",
                "tenant.json is missing",
                "extra.txt is not in the manifest"
            ]
        );
    }
}
