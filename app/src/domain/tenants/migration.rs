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

    /// The step an executor step's name stands for.
    pub fn of_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.label() == label)
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

/// The steps that undo a migration that failed before its cut-over: the
/// target is torn down and the source, which never stopped serving, checked.
pub const TEAR_DOWN_TARGET: &str = "Tear down the target placement";

pub fn plan_rollback_steps() -> Vec<String> {
    vec![TEAR_DOWN_TARGET.to_owned(), "Verify health".to_owned()]
}

/// Whether a migration that failed for good is undone (its target torn
/// down): only while the source still serves, i.e. before the cut-over
/// succeeded.
pub fn rolls_back(cut_over_done: bool) -> bool {
    !cut_over_done
}

/// The executor's prepare step reports where the target answers on a line
/// `address: <url>`; the baseline is then validated there and the tenant's
/// address moves with the cut-over.
pub const ADDRESS_LINE: &str = "address:";

/// The last `address: <url>` line of an executor's output, if any (unchecked:
/// the caller parses it as a tenant address).
pub fn reported_address(output: &str) -> Option<&str> {
    output
        .lines()
        .filter_map(|line| line.trim().strip_prefix(ADDRESS_LINE))
        .map(str::trim)
        .filter(|address| !address.is_empty())
        .last()
}

/// The address a step reported (`address: <url>`), checked as one the
/// server may call; `Ok(None)` when it reported none. A migration's target
/// and a restore test's scratch target are reported this way.
pub fn checked_reported_address(
    output: &str,
) -> Result<Option<crate::domain::tenants::health::TenantAddress>, String> {
    reported_address(output)
        .map(crate::domain::tenants::health::TenantAddress::parse)
        .transpose()
}

/// Where a migration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationStatus {
    /// Its change waits for approval or its window.
    Requested,
    Running,
    /// The target serves; the source is being cleaned up.
    CutOver,
    Completed,
    /// Failed before the cut-over; the target was torn down and the tenant
    /// stays where it was.
    RolledBack,
    /// Failed and could not be undone, or its change was refused.
    Failed,
    /// The target serves but cleaning up the source failed: its resources
    /// are left for a person to remove.
    CleanupFailed,
    Cancelled,
}

impl MigrationStatus {
    pub const ALL: [MigrationStatus; 8] = [
        Self::Requested,
        Self::Running,
        Self::CutOver,
        Self::Completed,
        Self::RolledBack,
        Self::Failed,
        Self::CleanupFailed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Running => "running",
            Self::CutOver => "cut_over",
            Self::Completed => "completed",
            Self::RolledBack => "rolled_back",
            Self::Failed => "failed",
            Self::CleanupFailed => "cleanup_failed",
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
            Self::CutOver => "Cut over",
            Self::Completed => "Completed",
            Self::RolledBack => "Rolled back",
            Self::Failed => "Failed",
            Self::CleanupFailed => "Clean-up failed",
            Self::Cancelled => "Cancelled",
        }
    }

    /// Still under way: another migration must wait for it.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Requested | Self::Running | Self::CutOver)
    }
}

/// How a migration ends when its change does: a change that succeeded
/// completed it; one rolled back left the tenant at its source; one that
/// failed or was cancelled after the cut-over left it at its target with the
/// source still to clean up.
pub fn ending(
    change: crate::domain::changes::change::ChangeStatus,
    cut_over_done: bool,
) -> MigrationStatus {
    use crate::domain::changes::change::ChangeStatus as C;
    match (change, cut_over_done) {
        (C::Succeeded, _) => MigrationStatus::Completed,
        (C::RolledBack, _) => MigrationStatus::RolledBack,
        (_, true) => MigrationStatus::CleanupFailed,
        (C::Cancelled, false) => MigrationStatus::Cancelled,
        (_, false) => MigrationStatus::Failed,
    }
}

/// Why a migration is asked for: required, one line (it goes to the
/// placement decision record and the audit trail).
pub fn check_reason(raw: &str) -> Result<String, String> {
    crate::domain::validation::check_reason_line(raw, "Say why the tenant moves")
}

/// Where a traffic router sends an edge tenant's traffic after its
/// cut-over: the IP and port of the target's address (a router is pointed
/// at an address, not a name; the scheme's port when none is given).
pub fn router_endpoint(address: &str) -> Result<(std::net::IpAddr, u16), String> {
    let refused = || {
        format!(
            "The target address {address} names no IP address and port: a traffic router can only be pointed at one (have the prepare step report e.g. `address: http://10.0.0.5:8080`)."
        )
    };
    let (scheme, rest) = address.split_once("://").ok_or_else(refused)?;
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return Err(refused()),
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if let Ok(socket) = authority.parse::<std::net::SocketAddr>() {
        return Ok((socket.ip(), socket.port()));
    }
    authority
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .map(|ip| (ip, default_port))
        .map_err(|_| refused())
}

/// Why a tenant in `state` cannot move now, if it cannot: it must be
/// running (active, or in maintenance).
pub fn state_refusal(
    slug: &str,
    state: crate::domain::tenants::lifecycle::LifecycleState,
) -> Option<String> {
    use crate::domain::tenants::lifecycle::LifecycleState as S;
    match state {
        S::Active | S::Maintenance => None,
        other => Some(format!(
            "Only an active tenant (or one in maintenance) can move; {slug} is {}.",
            other.label().to_lowercase()
        )),
    }
}

/// Whether a lifecycle `action` waits while the tenant's migration is open:
/// a tenant half-way to another placement is not suspended, archived,
/// deleted, backed up, restored or upgraded meanwhile; maintenance and
/// health checks go on.
pub fn waits_for_migration(action: crate::domain::tenants::lifecycle::LifecycleAction) -> bool {
    use crate::domain::tenants::lifecycle::LifecycleAction as A;
    !matches!(
        action,
        A::EnterMaintenance | A::ExitMaintenance | A::ValidateHealth
    )
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

    #[test]
    fn a_migration_is_undone_only_before_its_cut_over() {
        use crate::domain::changes::change::ChangeStatus as C;
        assert!(rolls_back(false) && !rolls_back(true));
        assert_eq!(ending(C::Succeeded, true), MigrationStatus::Completed);
        assert_eq!(ending(C::RolledBack, false), MigrationStatus::RolledBack);
        assert_eq!(ending(C::Failed, true), MigrationStatus::CleanupFailed);
        assert_eq!(ending(C::Failed, false), MigrationStatus::Failed);
        assert_eq!(ending(C::Cancelled, false), MigrationStatus::Cancelled);
        assert_eq!(ending(C::Cancelled, true), MigrationStatus::CleanupFailed);
        assert!(MigrationStatus::CutOver.is_open() && !MigrationStatus::Completed.is_open());
        for status in MigrationStatus::ALL {
            assert_eq!(MigrationStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(plan_rollback_steps()[0], TEAR_DOWN_TARGET);
    }

    #[test]
    fn the_prepare_step_reports_the_target_address_on_its_own_line() {
        let output = "ran prepare\naddress: https://acme.eu-west-1.example.net\n";
        assert_eq!(
            reported_address(output),
            Some("https://acme.eu-west-1.example.net")
        );
        assert_eq!(reported_address("no address here"), None);
        assert_eq!(reported_address("address:   "), None);
        assert_eq!(
            checked_reported_address(output)
                .unwrap()
                .map(|a| a.as_str().to_owned()),
            Some("https://acme.eu-west-1.example.net".to_owned())
        );
        assert_eq!(checked_reported_address("no address here"), Ok(None));
        assert!(checked_reported_address("address: ftp://files.example.net").is_err());
        for step in MigrationStep::ALL {
            assert_eq!(MigrationStep::of_label(step.label()), Some(step));
        }
    }

    #[test]
    fn a_reason_is_required_on_one_line() {
        assert!(
            check_reason("  ")
                .unwrap_err()
                .contains("Say why the tenant moves")
        );
        assert!(check_reason("a\nb").is_err());
        assert_eq!(
            check_reason(" customer asked for dedicated ").unwrap(),
            "customer asked for dedicated"
        );
    }

    #[test]
    fn an_edge_tenant_s_router_is_pointed_at_an_ip_and_port() {
        let ip = |raw: &str| raw.parse::<std::net::IpAddr>().unwrap();
        assert_eq!(
            router_endpoint("http://127.0.0.1:8081"),
            Ok((ip("127.0.0.1"), 8081))
        );
        assert_eq!(
            router_endpoint("https://10.0.0.5/app"),
            Ok((ip("10.0.0.5"), 443))
        );
        assert_eq!(router_endpoint("http://[::1]:9000"), Ok((ip("::1"), 9000)));
        assert!(router_endpoint("https://acme.eu-west-1.example.net").is_err());
        assert!(router_endpoint("ftp://10.0.0.5").is_err());
    }

    #[test]
    fn only_a_running_tenant_moves_and_moving_holds_back_what_would_change_it() {
        use crate::domain::tenants::lifecycle::{LifecycleAction as A, LifecycleState as S};
        assert_eq!(state_refusal("acme", S::Active), None);
        assert_eq!(state_refusal("acme", S::Maintenance), None);
        assert_eq!(
            state_refusal("acme", S::Suspended).as_deref(),
            Some("Only an active tenant (or one in maintenance) can move; acme is suspended.")
        );
        for action in [
            A::Suspend,
            A::Archive,
            A::Delete,
            A::BackUp,
            A::Restore,
            A::Upgrade,
        ] {
            assert!(waits_for_migration(action), "{action:?}");
        }
        for action in [A::EnterMaintenance, A::ExitMaintenance, A::ValidateHealth] {
            assert!(!waits_for_migration(action), "{action:?}");
        }
    }
}
