//! Restore tests: a backup is only as good as a restore from it. A drill
//! restores one of a tenant's backups into a scratch target beside the
//! tenant (in its own region: the data never leaves where it may live),
//! runs the tenant's health baseline there and tears the scratch target
//! down — the running tenant is never touched. Which backups may be
//! drilled, the steps, when a schedule asks for the next drill and what a
//! drill's end says. Plain rules; the service runs them.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::changes::change::ChangeStatus;
use crate::domain::tenants::backup::VerifyStatus;
use crate::domain::tenants::lifecycle::LifecycleState;

/// One step of a restore test, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestoreTestStep {
    PrepareScratch,
    RestoreData,
    ValidateScratch,
    TearDown,
}

impl RestoreTestStep {
    pub const ALL: [RestoreTestStep; 4] = [
        Self::PrepareScratch,
        Self::RestoreData,
        Self::ValidateScratch,
        Self::TearDown,
    ];

    /// The step an executor step's name stands for.
    pub fn of_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.label() == label)
    }

    /// The executor step's name.
    pub fn label(self) -> &'static str {
        match self {
            Self::PrepareScratch => "Prepare a scratch target",
            Self::RestoreData => "Restore the backup into the scratch target",
            Self::ValidateScratch => "Validate the health baseline on the scratch target",
            Self::TearDown => "Tear down the scratch target",
        }
    }

    /// Steps that work on the scratch target (handed its address).
    pub fn on_scratch(self) -> bool {
        self != Self::PrepareScratch
    }
}

/// The steps a restore test's change runs.
pub fn plan_steps() -> Vec<String> {
    RestoreTestStep::ALL
        .iter()
        .map(|s| s.label().to_owned())
        .collect()
}

/// What a failed drill runs afterwards: the scratch target goes, whatever
/// step failed (tearing down what is not there is a no-op for an executor).
pub fn plan_rollback_steps() -> Vec<String> {
    vec![RestoreTestStep::TearDown.label().to_owned()]
}

/// Where a restore test stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestoreTestStatus {
    /// Its change waits for approval or its start.
    Requested,
    Running,
    /// Restored, the baseline passed on the scratch target, torn down.
    Passed,
    /// A step failed; the scratch target was torn down.
    Failed,
    Cancelled,
}

impl RestoreTestStatus {
    pub const ALL: [RestoreTestStatus; 5] = [
        Self::Requested,
        Self::Running,
        Self::Passed,
        Self::Failed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Running => "running",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Requested => "Requested",
            Self::Running => "Running",
            Self::Passed => "Passed",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, Self::Requested | Self::Running)
    }
}

/// How a drill ends when its change ends: it passed only if every step
/// succeeded; a failure (rolled back: the scratch target was torn down) is
/// a failed drill, a cancelled change a cancelled drill.
pub fn ending(change: ChangeStatus) -> RestoreTestStatus {
    match change {
        ChangeStatus::Succeeded => RestoreTestStatus::Passed,
        ChangeStatus::Cancelled => RestoreTestStatus::Cancelled,
        _ => RestoreTestStatus::Failed,
    }
}

/// Why a backup cannot be drilled, if it cannot: its bundle must still
/// exist, and a bundle a verify found corrupt or missing is not restored
/// anywhere (an unverified one is: the drill checks it first).
pub fn refusal(verify_status: &str, deleted: bool) -> Option<&'static str> {
    if deleted {
        return Some("Retention deleted this backup's bundle; there is nothing to restore.");
    }
    match VerifyStatus::parse(verify_status) {
        Some(VerifyStatus::Corrupt | VerifyStatus::Missing) => Some(
            "This backup failed its verify, so a restore from it cannot work; test a newer backup.",
        ),
        _ => None,
    }
}

/// Why a tenant's backups cannot be drilled now, if they cannot: a tenant
/// not provisioned yet has nothing its scratch copy could be checked
/// against, a deleted one nothing left to test. Every other state may (the
/// running tenant is not touched).
pub fn tenant_refusal(state: LifecycleState) -> Option<&'static str> {
    match state {
        LifecycleState::Draft | LifecycleState::Provisioning => {
            Some("The tenant is not provisioned yet; there is nothing to test a restore against.")
        }
        LifecycleState::Deleted => Some("The tenant was deleted."),
        _ => None,
    }
}

/// The most days a schedule may leave between drills.
pub const MAX_INTERVAL_DAYS: i32 = 365;

/// Reads "every N days" from a form field: empty or 0 means no scheduled
/// drills.
pub fn parse_interval(raw: &str) -> Result<i32, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(0);
    }
    match raw.parse::<i32>() {
        Ok(days) if (0..=MAX_INTERVAL_DAYS).contains(&days) => Ok(days),
        _ => Err(format!(
            "Test a restore every 1 to {MAX_INTERVAL_DAYS} days (0: only when asked)."
        )),
    }
}

/// Whether a schedule of one drill every `every_days` asks for one now,
/// given when the latest drill was asked for (a failed or cancelled one
/// counts: a failing drill is not repeated hourly, it waits its interval
/// like a passing one — the failure is what people must look at).
pub fn due(every_days: i32, latest: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    if every_days <= 0 {
        return false;
    }
    latest.is_none_or(|at| now - at >= Duration::days(i64::from(every_days)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 3, 0, 0).unwrap()
    }

    #[test]
    fn a_drill_restores_checks_and_tears_down_and_a_failed_one_still_tears_down() {
        assert_eq!(
            plan_steps(),
            [
                "Prepare a scratch target",
                "Restore the backup into the scratch target",
                "Validate the health baseline on the scratch target",
                "Tear down the scratch target",
            ]
        );
        assert_eq!(plan_rollback_steps(), ["Tear down the scratch target"]);
        for step in RestoreTestStep::ALL {
            assert_eq!(RestoreTestStep::of_label(step.label()), Some(step));
        }
        assert!(!RestoreTestStep::PrepareScratch.on_scratch());
        assert!(RestoreTestStep::ValidateScratch.on_scratch());
    }

    #[test]
    fn only_a_succeeded_change_is_a_passed_drill() {
        assert_eq!(ending(ChangeStatus::Succeeded), RestoreTestStatus::Passed);
        assert_eq!(ending(ChangeStatus::RolledBack), RestoreTestStatus::Failed);
        assert_eq!(ending(ChangeStatus::Failed), RestoreTestStatus::Failed);
        assert_eq!(
            ending(ChangeStatus::Cancelled),
            RestoreTestStatus::Cancelled
        );
        for status in RestoreTestStatus::ALL {
            assert_eq!(RestoreTestStatus::parse(status.as_str()), Some(status));
        }
        assert!(RestoreTestStatus::Running.is_open());
        assert!(!RestoreTestStatus::Failed.is_open());
    }

    #[test]
    fn deleted_or_corrupt_backups_are_not_drilled_but_unverified_ones_are() {
        assert!(refusal("verified", false).is_none());
        assert!(refusal("unverified", false).is_none());
        assert!(
            refusal("corrupt", false)
                .unwrap()
                .contains("failed its verify")
        );
        assert!(refusal("missing", false).is_some());
        assert!(refusal("verified", true).unwrap().contains("deleted"));
    }

    #[test]
    fn any_provisioned_tenant_may_be_drilled_without_being_touched() {
        assert!(tenant_refusal(LifecycleState::Draft).is_some());
        assert!(tenant_refusal(LifecycleState::Deleted).is_some());
        for state in [
            LifecycleState::Active,
            LifecycleState::Maintenance,
            LifecycleState::Suspended,
            LifecycleState::Archived,
            LifecycleState::Broken,
        ] {
            assert!(tenant_refusal(state).is_none(), "{state:?}");
        }
    }

    #[test]
    fn the_interval_is_whole_days_up_to_a_year_and_empty_means_off() {
        assert_eq!(parse_interval(""), Ok(0));
        assert_eq!(parse_interval(" 30 "), Ok(30));
        assert_eq!(parse_interval("0"), Ok(0));
        for bad in ["-1", "366", "weekly", "1.5"] {
            assert!(
                parse_interval(bad).unwrap_err().contains("1 to 365"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_drill_is_due_once_its_interval_has_passed_since_the_last_one_asked() {
        assert!(!due(0, None, at(10)), "off");
        assert!(due(7, None, at(10)), "never drilled");
        assert!(!due(7, Some(at(4)), at(10)), "six days ago");
        assert!(due(7, Some(at(3)), at(10)), "seven days ago");
    }
}
