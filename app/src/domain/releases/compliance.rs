//! Version compliance (issue 5), as pure rules with the day passed in:
//! which version policy applies (the most specific level wins), how a running
//! version stands against the catalog and that policy, and on which days an
//! end-of-life notice is due.

use chrono::NaiveDate;
use semver::Version;
use serde::{Deserialize, Serialize};

/// Where a version policy is defined; the most specific one present decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum PolicyLevel {
    Global,
    Product,
    Tenant,
}

pub const DEFAULT_GRACE_DAYS: i64 = 30;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionPolicy {
    pub level: PolicyLevel,
    pub minimum: Option<Version>,
    pub maximum: Option<Version>,
    /// Overrides the release's own end-of-life date when set.
    pub eol_date: Option<NaiveDate>,
    /// Days after end of life during which a tenant is "in grace".
    pub grace_days: i64,
}

impl VersionPolicy {
    pub fn new(level: PolicyLevel) -> Self {
        Self {
            level,
            minimum: None,
            maximum: None,
            eol_date: None,
            grace_days: DEFAULT_GRACE_DAYS,
        }
    }
}

/// The policy that decides: tenant over product over global; with none
/// defined, a global default (no bounds, default grace).
pub fn effective_policy(candidates: &[VersionPolicy]) -> VersionPolicy {
    candidates
        .iter()
        .max_by_key(|p| p.level)
        .cloned()
        .unwrap_or_else(|| VersionPolicy::new(PolicyLevel::Global))
}

/// A release of one product, as the catalog knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogRelease {
    pub version: Version,
    pub end_of_life: Option<NaiveDate>,
    /// Withdrawn releases never count as "latest".
    pub withdrawn: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComplianceStatus {
    /// The latest release, within policy.
    Compliant,
    /// Supported, but a newer release exists.
    Outdated { latest: Version },
    /// Past end of life, inside the grace period.
    InGrace { days_left: i64 },
    /// Outside the policy's minimum or maximum.
    NonCompliant { reason: String },
    /// Past end of life and past the grace period.
    Eol,
}

/// How `running` stands on `today` against the product's catalog and policy.
pub fn assess(
    running: &Version,
    catalog: &[CatalogRelease],
    policy: &VersionPolicy,
    today: NaiveDate,
) -> ComplianceStatus {
    if let Some(minimum) = policy.minimum.as_ref().filter(|m| running < *m) {
        return ComplianceStatus::NonCompliant {
            reason: format!("{running} is below the minimum version {minimum}"),
        };
    }
    if let Some(maximum) = policy.maximum.as_ref().filter(|m| running > *m) {
        return ComplianceStatus::NonCompliant {
            reason: format!("{running} is above the maximum version {maximum}"),
        };
    }
    let release_eol = catalog
        .iter()
        .find(|r| r.version == *running)
        .and_then(|r| r.end_of_life);
    if let Some(eol) = policy.eol_date.or(release_eol).filter(|eol| *eol <= today) {
        let grace_ends = eol + chrono::Duration::days(policy.grace_days);
        return if today < grace_ends {
            ComplianceStatus::InGrace {
                days_left: (grace_ends - today).num_days(),
            }
        } else {
            ComplianceStatus::Eol
        };
    }
    let latest = catalog
        .iter()
        .filter(|r| !r.withdrawn && r.version.pre.is_empty())
        .filter(|r| policy.maximum.as_ref().is_none_or(|m| r.version <= *m))
        .map(|r| &r.version)
        .max();
    match latest {
        Some(latest) if latest > running => ComplianceStatus::Outdated {
            latest: latest.clone(),
        },
        _ => ComplianceStatus::Compliant,
    }
}

/// End-of-life notices go out 90, 30 and 7 days before, and daily in the
/// final week (and on the day itself).
pub fn eol_notice_due(eol: NaiveDate, today: NaiveDate) -> bool {
    let days_before = (eol - today).num_days();
    matches!(days_before, 90 | 30) || (0..=7).contains(&days_before)
}

/// A tenant past end of life is warned that its grace runs out a week, three
/// days and a day before, and on its last day.
pub fn grace_expiring_due(days_left: i64) -> bool {
    matches!(days_left, 7 | 3 | 1 | 0)
}

impl PolicyLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyLevel::Global => "global",
            PolicyLevel::Product => "product",
            PolicyLevel::Tenant => "tenant",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            PolicyLevel::Global,
            PolicyLevel::Product,
            PolicyLevel::Tenant,
        ]
        .into_iter()
        .find(|l| l.as_str() == raw)
    }
}

impl ComplianceStatus {
    pub fn kind(&self) -> ComplianceKind {
        match self {
            ComplianceStatus::Compliant => ComplianceKind::Compliant,
            ComplianceStatus::Outdated { .. } => ComplianceKind::Outdated,
            ComplianceStatus::InGrace { .. } => ComplianceKind::InGrace,
            ComplianceStatus::NonCompliant { .. } => ComplianceKind::NonCompliant,
            ComplianceStatus::Eol => ComplianceKind::Eol,
        }
    }

    pub fn days_left(&self) -> Option<i64> {
        match self {
            ComplianceStatus::InGrace { days_left } => Some(*days_left),
            _ => None,
        }
    }

    /// A sentence for the report's "why" column.
    pub fn detail(&self) -> String {
        match self {
            ComplianceStatus::Compliant => "Runs the latest release".into(),
            ComplianceStatus::Outdated { latest } => format!("Supported; {latest} is available"),
            ComplianceStatus::InGrace { days_left } => {
                format!("Past end of life; {days_left} days of grace left")
            }
            ComplianceStatus::NonCompliant { reason } => reason.clone(),
            ComplianceStatus::Eol => "Past end of life and its grace period".into(),
        }
    }
}

/// The kind of a compliance status, best first: what the reports store,
/// filter on and count. A tenant's overall status is its worst product's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ComplianceKind {
    Compliant,
    Outdated,
    InGrace,
    NonCompliant,
    Eol,
}

impl ComplianceKind {
    /// Best to worst.
    pub const ALL: [ComplianceKind; 5] = [
        Self::Compliant,
        Self::Outdated,
        Self::InGrace,
        Self::NonCompliant,
        Self::Eol,
    ];

    /// The stored and URL form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "compliant",
            Self::Outdated => "outdated",
            Self::InGrace => "in_grace",
            Self::NonCompliant => "non_compliant",
            Self::Eol => "eol",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// Whether a tenant in this status must move off its version (its grace
    /// is running or gone, or the version reached end of life), not merely may.
    pub fn requires_upgrade(self) -> bool {
        matches!(self, Self::InGrace | Self::NonCompliant | Self::Eol)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Compliant => "Compliant",
            Self::Outdated => "Outdated",
            Self::InGrace => "In grace",
            Self::NonCompliant => "Non-compliant",
            Self::Eol => "End of life",
        }
    }

    /// 0 for the worst status (end of life) up to 4 for compliant: the order
    /// of every report (stored beside the status, so one index serves both).
    pub fn severity(self) -> i32 {
        match self {
            Self::Eol => 0,
            Self::NonCompliant => 1,
            Self::InGrace => 2,
            Self::Outdated => 3,
            Self::Compliant => 4,
        }
    }

    /// Compliant and outdated (still supported) count as "in compliance" for
    /// the organisation's percentage; grace, non-compliant and EOL do not.
    pub fn counts_as_compliant(self) -> bool {
        matches!(self, Self::Compliant | Self::Outdated)
    }

    /// Whether it asks someone to act (the report's "needs attention").
    pub fn needs_attention(self) -> bool {
        self.severity() <= Self::InGrace.severity()
    }
}

/// The worst of some statuses (none for none).
pub fn worst_status(kinds: impl IntoIterator<Item = ComplianceKind>) -> Option<ComplianceKind> {
    kinds.into_iter().max()
}

/// Compliance days are UTC calendar days, whatever the viewer's time zone,
/// so every replica and every report agrees on "today".
pub fn compliance_day(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    now.date_naive()
}

/// The days with no snapshot between the last one taken (`last`) and `today`,
/// oldest first and at most the latest `keep` of them: what the daily job
/// back-fills after the service was down. Nothing before the first snapshot.
pub fn missed_days(last: Option<NaiveDate>, today: NaiveDate, keep: i64) -> Vec<NaiveDate> {
    let Some(last) = last.filter(|last| *last < today) else {
        return vec![];
    };
    let first = std::cmp::max(
        last + chrono::Duration::days(1),
        today - chrono::Duration::days(keep),
    );
    first.iter_days().take_while(|day| *day < today).collect()
}

/// Orders versions as text in SQL: zero-padded numbers; a release sorts after
/// its own pre-releases (`~` > `-`).
pub fn version_sort_key(version: &Version) -> String {
    let suffix = if version.pre.is_empty() {
        "~".to_owned()
    } else {
        format!("-{}", version.pre)
    };
    format!(
        "{:010}.{:010}.{:010}{suffix}",
        version.major, version.minor, version.patch
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_upgrade_is_required_once_grace_starts() {
        use super::ComplianceKind as K;
        let required: Vec<K> = K::ALL
            .into_iter()
            .filter(|k| k.requires_upgrade())
            .collect();
        assert_eq!(required, [K::InGrace, K::NonCompliant, K::Eol]);
    }

    #[test]
    fn grace_runs_out_with_warnings_a_week_three_days_and_a_day_ahead() {
        let due: Vec<i64> = (-2..=30).filter(|d| grace_expiring_due(*d)).collect();
        assert_eq!(due, [0, 1, 3, 7]);
    }

    #[test]
    fn missed_days_are_the_gap_since_the_last_snapshot_up_to_the_kept_window() {
        let d = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        let today = d("2028-03-02");
        assert!(
            missed_days(None, today, 30).is_empty(),
            "no history to extend"
        );
        assert!(
            missed_days(Some(d("2028-03-01")), today, 30).is_empty(),
            "yesterday was taken"
        );
        assert!(missed_days(Some(today), today, 30).is_empty());
        assert_eq!(
            missed_days(Some(d("2028-02-27")), today, 30),
            vec![d("2028-02-28"), d("2028-02-29"), d("2028-03-01")],
            "across a leap day"
        );
        let long_gap = missed_days(Some(d("2027-01-01")), today, 30);
        assert_eq!(long_gap.len(), 30);
        assert_eq!(long_gap.first(), Some(&d("2028-02-01")));
        assert_eq!(long_gap.last(), Some(&d("2028-03-01")));
    }

    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn catalog() -> Vec<CatalogRelease> {
        vec![
            CatalogRelease {
                version: v("5.0.0"),
                end_of_life: Some(day("2026-06-30")),
                withdrawn: false,
            },
            CatalogRelease {
                version: v("5.1.0"),
                end_of_life: Some(day("2027-06-30")),
                withdrawn: false,
            },
            CatalogRelease {
                version: v("5.2.0"),
                end_of_life: None,
                withdrawn: false,
            },
            CatalogRelease {
                version: v("5.3.0-rc.1"),
                end_of_life: None,
                withdrawn: false,
            },
            CatalogRelease {
                version: v("5.4.0"),
                end_of_life: None,
                withdrawn: true,
            },
        ]
    }

    #[test]
    fn the_latest_release_is_compliant_and_an_older_supported_one_outdated() {
        let policy = VersionPolicy::new(PolicyLevel::Global);
        let today = day("2026-11-24");
        assert_eq!(
            assess(&v("5.2.0"), &catalog(), &policy, today),
            ComplianceStatus::Compliant
        );
        assert_eq!(
            assess(&v("5.1.0"), &catalog(), &policy, today),
            ComplianceStatus::Outdated { latest: v("5.2.0") },
            "pre-releases and withdrawn releases are never the latest"
        );
    }

    #[test]
    fn end_of_life_gives_a_grace_period_then_eol() {
        let policy = VersionPolicy::new(PolicyLevel::Global);
        assert_eq!(
            assess(&v("5.0.0"), &catalog(), &policy, day("2026-06-30")),
            ComplianceStatus::InGrace { days_left: 30 }
        );
        assert_eq!(
            assess(&v("5.0.0"), &catalog(), &policy, day("2026-07-29")),
            ComplianceStatus::InGrace { days_left: 1 }
        );
        assert_eq!(
            assess(&v("5.0.0"), &catalog(), &policy, day("2026-07-30")),
            ComplianceStatus::Eol
        );
        let generous = VersionPolicy {
            grace_days: 60,
            ..policy
        };
        assert_eq!(
            assess(&v("5.0.0"), &catalog(), &generous, day("2026-07-30")),
            ComplianceStatus::InGrace { days_left: 30 }
        );
    }

    #[test]
    fn minimum_and_maximum_make_a_version_non_compliant() {
        let policy = VersionPolicy {
            minimum: Some(v("5.1.0")),
            maximum: Some(v("5.1.9")),
            ..VersionPolicy::new(PolicyLevel::Product)
        };
        let today = day("2026-11-24");
        assert!(matches!(
            assess(&v("5.0.0"), &catalog(), &policy, today),
            ComplianceStatus::NonCompliant { .. }
        ));
        assert!(matches!(
            assess(&v("5.2.0"), &catalog(), &policy, today),
            ComplianceStatus::NonCompliant { .. }
        ));
        assert_eq!(
            assess(&v("5.1.0"), &catalog(), &policy, today),
            ComplianceStatus::Compliant,
            "5.2.0 is beyond the maximum"
        );
    }

    #[test]
    fn a_policy_eol_date_overrides_the_release() {
        let policy = VersionPolicy {
            eol_date: Some(day("2026-11-01")),
            ..VersionPolicy::new(PolicyLevel::Tenant)
        };
        assert_eq!(
            assess(&v("5.2.0"), &catalog(), &policy, day("2026-11-24")),
            ComplianceStatus::InGrace { days_left: 7 }
        );
    }

    #[test]
    fn the_most_specific_policy_decides() {
        let global = VersionPolicy::new(PolicyLevel::Global);
        let product = VersionPolicy {
            minimum: Some(v("5.0.0")),
            ..VersionPolicy::new(PolicyLevel::Product)
        };
        let tenant = VersionPolicy {
            grace_days: 90,
            ..VersionPolicy::new(PolicyLevel::Tenant)
        };
        assert_eq!(
            effective_policy(&[global.clone(), tenant.clone(), product.clone()]).level,
            PolicyLevel::Tenant
        );
        assert_eq!(
            effective_policy(&[global, product]).level,
            PolicyLevel::Product
        );
        assert_eq!(
            effective_policy(&[]),
            VersionPolicy::new(PolicyLevel::Global)
        );
    }

    #[test]
    fn eol_notices_follow_the_schedule() {
        let eol = day("2027-03-31");
        let due: Vec<i64> = (0..=120)
            .filter(|before| eol_notice_due(eol, eol - chrono::Duration::days(*before)))
            .collect();
        assert_eq!(due, [0, 1, 2, 3, 4, 5, 6, 7, 30, 90]);
        assert!(
            !eol_notice_due(eol, eol + chrono::Duration::days(1)),
            "not after the day"
        );
    }

    #[test]
    fn the_last_day_of_grace_and_a_leap_day() {
        let leap_catalog = vec![CatalogRelease {
            version: v("4.0.0"),
            end_of_life: Some(day("2028-02-28")),
            withdrawn: false,
        }];
        let policy = VersionPolicy {
            grace_days: 2,
            ..VersionPolicy::new(PolicyLevel::Global)
        };
        assert_eq!(
            assess(&v("4.0.0"), &leap_catalog, &policy, day("2028-02-29")),
            ComplianceStatus::InGrace { days_left: 1 },
            "the leap day is the last day of grace"
        );
        assert_eq!(
            assess(&v("4.0.0"), &leap_catalog, &policy, day("2028-03-01")),
            ComplianceStatus::Eol
        );
        assert_eq!(
            assess(&v("4.0.0"), &leap_catalog, &policy, day("2028-02-27")),
            ComplianceStatus::Compliant,
            "the day before end of life is still supported"
        );
    }

    #[test]
    fn the_compliance_day_is_the_utc_calendar_day() {
        use chrono::TimeZone;
        let late_in_new_york = chrono::FixedOffset::west_opt(5 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 12, 31, 21, 0, 0)
            .unwrap();
        assert_eq!(
            compliance_day(late_in_new_york.with_timezone(&chrono::Utc)),
            day("2027-01-01")
        );
    }

    #[test]
    fn sort_keys_order_like_semver() {
        let mut versions = vec![v("10.0.0"), v("2.1.0"), v("2.1.0-rc.1"), v("2.0.9")];
        versions.sort_by_key(version_sort_key);
        assert_eq!(
            versions,
            [v("2.0.9"), v("2.1.0-rc.1"), v("2.1.0"), v("10.0.0")]
        );
    }

    #[test]
    fn a_tenant_is_as_compliant_as_its_worst_product() {
        use ComplianceKind::*;
        assert_eq!(worst_status([Compliant, InGrace, Outdated]), Some(InGrace));
        assert_eq!(worst_status([Eol, NonCompliant]), Some(Eol));
        assert_eq!(worst_status([]), None);
        assert!(Outdated.counts_as_compliant() && !InGrace.counts_as_compliant());
        let ranks: Vec<i32> = [Eol, NonCompliant, InGrace, Outdated, Compliant]
            .into_iter()
            .map(ComplianceKind::severity)
            .collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4], "reports list the worst first");
        assert!(InGrace.needs_attention() && !Outdated.needs_attention());
    }

    #[test]
    fn compliance_kinds_read_back_from_their_words_and_refuse_others() {
        for kind in ComplianceKind::ALL {
            assert_eq!(ComplianceKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ComplianceKind::parse("attention"), None);
        assert_eq!(ComplianceKind::parse("EOL"), None);
    }
}
