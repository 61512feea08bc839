//! Tenant migration: moving a tenant to another region or isolation mode
//! as a workflow of steps that each survive a crash — back up, prepare the
//! target, migrate the data, validate the health baseline on the target,
//! cut over, clean up the source. Which placements may be asked for, the
//! order of the steps, where a resumed migration picks up and what a failure
//! undoes. Plain rules; the service runs them.

use serde::{Deserialize, Serialize};

use crate::domain::tenants::tenant::{IsolationMode, Region, check_residency};
use crate::domain::validation::FieldErrors;

/// Where a tenant runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub region: Region,
    pub isolation: IsolationMode,
}

/// One step of a migration, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationStep {
    BackUp,
    PrepareTarget,
    MigrateData,
    ValidateTarget,
    CutOver,
    CleanUpSource,
}

impl MigrationStep {
    pub const ALL: [MigrationStep; 6] = [
        Self::BackUp,
        Self::PrepareTarget,
        Self::MigrateData,
        Self::ValidateTarget,
        Self::CutOver,
        Self::CleanUpSource,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BackUp => "back_up",
            Self::PrepareTarget => "prepare_target",
            Self::MigrateData => "migrate_data",
            Self::ValidateTarget => "validate_target",
            Self::CutOver => "cut_over",
            Self::CleanUpSource => "clean_up_source",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The executor step's name.
    pub fn label(self) -> &'static str {
        match self {
            Self::BackUp => "Back up the tenant",
            Self::PrepareTarget => "Prepare the target placement",
            Self::MigrateData => "Migrate the data",
            Self::ValidateTarget => "Validate the health baseline on the target",
            Self::CutOver => "Cut over to the target",
            Self::CleanUpSource => "Clean up the source",
        }
    }
}

/// What a failed step leaves to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFailure {
    /// Before the cut-over the source still serves: the target is torn
    /// down and the tenant stays where it was.
    AbandonTarget,
    /// After the cut-over the target serves: going back would be a second
    /// migration, so the step is retried until it succeeds.
    RetryForward,
}

pub fn on_failure(step: MigrationStep) -> OnFailure {
    if step > MigrationStep::CutOver {
        OnFailure::RetryForward
    } else {
        OnFailure::AbandonTarget
    }
}

/// Where a migration resumes: the first step not recorded as done (after
/// a crash, a step that was running is run again — each is safe to repeat).
pub fn next_step(done: &[MigrationStep]) -> Option<MigrationStep> {
    MigrationStep::ALL.into_iter().find(|s| !done.contains(s))
}

/// Checks a requested placement against where the tenant runs and where it
/// may run: the region must be among its allowed regions and configured
/// (data residency), the isolation a known mode, and something must move.
/// Empty fields keep the current value.
pub fn plan_placement(
    current: &Placement,
    region: &str,
    isolation: &str,
    allowed: &[Region],
    configured: &[Region],
) -> Result<Placement, FieldErrors> {
    let mut errors = FieldErrors::default();
    let region = match region.trim() {
        "" => Some(current.region.clone()),
        raw => match Region::parse(raw)
            .and_then(|r| check_residency(&r, allowed, configured).map(|()| r))
        {
            Ok(r) => Some(r),
            Err(message) => {
                errors.push("region", message);
                None
            }
        },
    };
    let isolation = match isolation.trim() {
        "" => Some(current.isolation),
        raw => match IsolationMode::parse(raw) {
            Ok(mode) => Some(mode),
            Err(message) => {
                errors.push("isolation", message);
                None
            }
        },
    };
    let (Some(region), Some(isolation)) = (region, isolation) else {
        return Err(errors);
    };
    let target = Placement { region, isolation };
    if &target == current {
        errors.push(
            "region",
            format!(
                "The tenant already runs in {} ({}); choose another region or isolation mode.",
                current.region,
                current.isolation.label().to_lowercase()
            ),
        );
        return Err(errors);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(raw: &str) -> Region {
        Region::parse(raw).unwrap()
    }

    fn current() -> Placement {
        Placement {
            region: region("eu-central-1"),
            isolation: IsolationMode::Shared,
        }
    }

    #[test]
    fn a_move_stays_inside_the_allowed_and_configured_regions() {
        let allowed = [region("eu-central-1"), region("eu-west-1")];
        let configured = [
            region("eu-central-1"),
            region("eu-west-1"),
            region("us-east-1"),
        ];
        let moved = plan_placement(&current(), "eu-west-1", "", &allowed, &configured).unwrap();
        assert_eq!(moved.region, region("eu-west-1"));
        assert_eq!(moved.isolation, IsolationMode::Shared);

        let refused =
            plan_placement(&current(), "us-east-1", "", &allowed, &configured).unwrap_err();
        assert!(
            refused.0[0]
                .message
                .contains("outside this tenant's allowed regions")
        );
        assert_eq!(refused.0[0].field, "region");
    }

    #[test]
    fn isolation_may_change_alone_and_something_must_move() {
        let allowed = [region("eu-central-1")];
        let up = plan_placement(&current(), "", "dedicated", &allowed, &allowed).unwrap();
        assert_eq!(up.isolation, IsolationMode::Dedicated);
        let same =
            plan_placement(&current(), "eu-central-1", "shared", &allowed, &allowed).unwrap_err();
        assert!(same.0[0].message.contains("already runs in eu-central-1"));
        let unknown = plan_placement(&current(), "", "private", &allowed, &allowed).unwrap_err();
        assert_eq!(unknown.0[0].field, "isolation");
    }

    #[test]
    fn a_resumed_migration_picks_up_at_the_first_step_not_done() {
        assert_eq!(next_step(&[]), Some(MigrationStep::BackUp));
        assert_eq!(
            next_step(&[MigrationStep::BackUp, MigrationStep::PrepareTarget]),
            Some(MigrationStep::MigrateData)
        );
        assert_eq!(next_step(&MigrationStep::ALL), None);
        for step in MigrationStep::ALL {
            assert_eq!(MigrationStep::parse(step.as_str()), Some(step));
        }
    }

    #[test]
    fn a_failure_before_the_cut_over_abandons_the_target_and_after_it_retries() {
        assert_eq!(
            on_failure(MigrationStep::MigrateData),
            OnFailure::AbandonTarget
        );
        assert_eq!(on_failure(MigrationStep::CutOver), OnFailure::AbandonTarget);
        assert_eq!(
            on_failure(MigrationStep::CleanUpSource),
            OnFailure::RetryForward
        );
    }
}
