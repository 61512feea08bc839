//! Changes: one unit of work on one tenant (an upgrade, a backup, a secret
//! rotation…) with its own approval and status. This module holds the pure
//! rules around a change: what kind it is and how it reaches the tenant
//! (live, in maintenance, or by blue-green swap), the status machine it moves
//! through, and whether the tenant's update policy asks for an approval and
//! who may give it. Scheduling lives in `schedule`, fleet-wide waves in
//! `rollout`.

use semver::Version;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::tenants::lifecycle::LifecycleAction;
use crate::domain::tenants::lifecycle::Tone;
use crate::domain::tenants::tenant::DeploymentKind;

/// What a change does to a tenant. Every lifecycle action is a change kind;
/// `Patch` and `RotateSecret` are changes that leave the lifecycle state alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ChangeKind {
    Provision,
    Upgrade,
    Patch,
    Suspend,
    Resume,
    EnterMaintenance,
    ExitMaintenance,
    Backup,
    Restore,
    ValidateHealth,
    RotateSecret,
    Decommission,
    Delete,
    /// Moves the tenant to another plan (its limits and features).
    ChangePlan,
    /// Moves the tenant to another region or isolation mode.
    Migrate,
    /// Restores one of the tenant's backups into a scratch target and
    /// checks it there; the running tenant is not touched.
    RestoreTest,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 16] = [
        Self::Provision,
        Self::Upgrade,
        Self::Patch,
        Self::Suspend,
        Self::Resume,
        Self::EnterMaintenance,
        Self::ExitMaintenance,
        Self::Backup,
        Self::Restore,
        Self::ValidateHealth,
        Self::RotateSecret,
        Self::Decommission,
        Self::Delete,
        Self::ChangePlan,
        Self::Migrate,
        Self::RestoreTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provision => "provision",
            Self::Upgrade => "upgrade",
            Self::Patch => "patch",
            Self::Suspend => "suspend",
            Self::Resume => "resume",
            Self::EnterMaintenance => "enter_maintenance",
            Self::ExitMaintenance => "exit_maintenance",
            Self::Backup => "backup",
            Self::Restore => "restore",
            Self::ValidateHealth => "validate_health",
            Self::RotateSecret => "rotate_secret",
            Self::Decommission => "decommission",
            Self::Delete => "delete",
            Self::ChangePlan => "change_plan",
            Self::Migrate => "migrate",
            Self::RestoreTest => "restore_test",
        }
    }

    /// Exact stored names only, like [`LifecycleAction::parse`].
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Provision => "Provision",
            Self::Upgrade => "Upgrade",
            Self::Patch => "Patch",
            Self::Suspend => "Suspend",
            Self::Resume => "Resume",
            Self::EnterMaintenance => "Enter maintenance",
            Self::ExitMaintenance => "Exit maintenance",
            Self::Backup => "Backup",
            Self::Restore => "Restore",
            Self::ValidateHealth => "Validate health",
            Self::RotateSecret => "Rotate secret",
            Self::Decommission => "Decommission",
            Self::Delete => "Delete",
            Self::ChangePlan => "Change plan",
            Self::Migrate => "Migrate",
            Self::RestoreTest => "Restore test",
        }
    }

    /// The change that records a lifecycle action. Activating a draft tenant
    /// provisions it; archiving decommissions it (the data is kept until
    /// delete).
    pub fn from_lifecycle(action: LifecycleAction) -> ChangeKind {
        use LifecycleAction as A;
        match action {
            A::Activate => Self::Provision,
            A::EnterMaintenance => Self::EnterMaintenance,
            A::ExitMaintenance => Self::ExitMaintenance,
            A::BackUp => Self::Backup,
            A::Restore => Self::Restore,
            A::Upgrade => Self::Upgrade,
            A::ValidateHealth => Self::ValidateHealth,
            A::Suspend => Self::Suspend,
            A::Resume => Self::Resume,
            A::Archive => Self::Decommission,
            A::Delete => Self::Delete,
        }
    }

    /// The lifecycle action a change runs through the tenant state machine,
    /// the inverse of [`ChangeKind::from_lifecycle`]. `None` for patches and
    /// secret rotations: they do not move the tenant between states.
    pub fn lifecycle_action(self) -> Option<LifecycleAction> {
        use LifecycleAction as A;
        Some(match self {
            Self::Provision => A::Activate,
            Self::Upgrade => A::Upgrade,
            Self::Suspend => A::Suspend,
            Self::Resume => A::Resume,
            Self::EnterMaintenance => A::EnterMaintenance,
            Self::ExitMaintenance => A::ExitMaintenance,
            Self::Backup => A::BackUp,
            Self::Restore => A::Restore,
            Self::ValidateHealth => A::ValidateHealth,
            Self::Decommission => A::Archive,
            Self::Delete => A::Delete,
            Self::Patch
            | Self::RotateSecret
            | Self::ChangePlan
            | Self::Migrate
            | Self::RestoreTest => return None,
        })
    }

    /// Upgrades and patches change the software a tenant runs: these are the
    /// kinds the tenant's update approval policy governs. Everything else is
    /// a platform operation started by someone who already holds the
    /// lifecycle permission.
    pub fn is_update(self) -> bool {
        matches!(self, Self::Upgrade | Self::Patch)
    }
}

/// How a change reaches a running tenant, which decides whether users notice it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ChangeModel {
    /// Applied to the running tenant; users keep working.
    Live,
    /// Needs the tenant locked down (maintenance) while it runs.
    Maintenance,
    /// A new copy is built beside the old one and traffic switches over.
    Swap,
}

impl ChangeModel {
    pub const ALL: [ChangeModel; 3] = [Self::Live, Self::Maintenance, Self::Swap];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Maintenance => "maintenance",
            Self::Swap => "swap",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Live => "Live patch",
            Self::Maintenance => "Maintenance",
            Self::Swap => "Blue-green swap",
        }
    }

    /// One line for the change form, so the requester knows what users will see.
    pub fn description(self) -> &'static str {
        match self {
            Self::Live => "Applied while the tenant keeps running",
            Self::Maintenance => "The tenant is in maintenance while the change runs",
            Self::Swap => "A new copy is started beside the old one, then traffic switches",
        }
    }
}

/// What an upgrade of a product will do to the tenant, for the Upgrade form:
/// a product on an edge deployment moves by a blue-green switch; otherwise
/// the change model's steps run through the executor.
pub fn upgrade_path(model: ChangeModel, on_edge_deployment: bool) -> &'static str {
    if on_edge_deployment {
        return "A blue-green switch: the release is deployed to the idle slot, its health baseline is checked, then traffic moves 10 → 50 → 100 % while errors and latency are watched, and goes back automatically if they rise.";
    }
    match model {
        ChangeModel::Maintenance | ChangeModel::Swap => {
            "In maintenance: the tenant's people are read-only while the release is deployed and its health baseline runs; if either fails, the rollback steps run and the old version stays."
        }
        ChangeModel::Live => {
            "Live: the release is applied while the tenant keeps running, then its health baseline runs."
        }
    }
}

/// The change model of `kind` on a tenant of `deployment`, as the table in
/// the seed document. Edge tenants are stateless, so the changes that would
/// otherwise need a lock-down (upgrade, restore, secret rotation: a database
/// password cannot change under live connections) run as a blue-green swap.
/// Entering maintenance is itself live; leaving it ends a maintenance; a
/// backup wants a quiet tenant for a consistent snapshot.
pub fn change_model(kind: ChangeKind, deployment: DeploymentKind) -> ChangeModel {
    use ChangeKind as K;
    let swap_on_edge = if deployment == DeploymentKind::Edge {
        ChangeModel::Swap
    } else {
        ChangeModel::Maintenance
    };
    match kind {
        K::Provision
        | K::Decommission
        | K::Delete
        | K::Suspend
        | K::Resume
        | K::EnterMaintenance
        | K::Patch
        | K::ValidateHealth
        | K::ChangePlan
        // A restore test works on a scratch target beside the tenant.
        | K::RestoreTest => ChangeModel::Live,
        K::ExitMaintenance | K::Backup => ChangeModel::Maintenance,
        K::Upgrade | K::Restore | K::RotateSecret => swap_on_edge,
        // A migration builds the tenant again at its target beside the
        // source and moves over: a swap, wherever it runs.
        K::Migrate => ChangeModel::Swap,
    }
}

/// Where one executor step of a change stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum StepStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl StepStatus {
    pub const ALL: [StepStatus; 4] = [Self::Pending, Self::Running, Self::Succeeded, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Where a change is in its life, from draft to a final outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ChangeStatus {
    Draft,
    PendingApproval,
    Approved,
    Scheduled,
    Running,
    Succeeded,
    Failed,
    RolledBack,
    Cancelled,
}

impl ChangeStatus {
    pub const ALL: [ChangeStatus; 9] = [
        Self::Draft,
        Self::PendingApproval,
        Self::Approved,
        Self::Scheduled,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::RolledBack,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::PendingApproval => "pending_approval",
            Self::Approved => "approved",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::RolledBack => "rolled_back",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::PendingApproval => "Pending approval",
            Self::Approved => "Approved",
            Self::Scheduled => "Scheduled",
            Self::Running => "Running",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::RolledBack => "Rolled back",
            Self::Cancelled => "Cancelled",
        }
    }

    /// A final outcome: the change is history and nothing moves it again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::RolledBack | Self::Cancelled
        )
    }

    /// Badge tone (UI.md §4). Waiting for a person is the one state that asks
    /// for attention; a rollback is severe but the tenant is back where it was.
    pub fn tone(self) -> Tone {
        match self {
            Self::Draft | Self::Cancelled => Tone::Neutral,
            Self::PendingApproval => Tone::Attention,
            Self::Approved | Self::Scheduled | Self::Running => Tone::Info,
            Self::Succeeded => Tone::Success,
            Self::Failed => Tone::Danger,
            Self::RolledBack => Tone::Severe,
        }
    }

    /// Whether a change in `self` may move to `next`.
    ///
    /// - A draft is submitted for approval, approved outright (no approval
    ///   needed) or dropped.
    /// - A rejection is recorded as `Cancelled`.
    /// - `Scheduled → Scheduled` is a reschedule or a delay.
    /// - Once running, only an outcome follows: a running change cannot be
    ///   cancelled, it has to finish or roll back.
    /// - Nothing leaves a terminal state.
    pub fn can_move_to(self, next: ChangeStatus) -> bool {
        use ChangeStatus as S;
        matches!(
            (self, next),
            (S::Draft, S::PendingApproval | S::Approved | S::Cancelled)
                | (S::PendingApproval, S::Approved | S::Cancelled)
                | (S::Approved, S::Scheduled | S::Cancelled)
                | (S::Scheduled, S::Running | S::Cancelled | S::Scheduled)
                | (S::Running, S::Succeeded | S::Failed | S::RolledBack)
        )
    }
}

/// A tenant's policy for approving updates (upgrades and patches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ApprovalMode {
    AutoApprove,
    MajorsOnly,
    All,
}

impl ApprovalMode {
    pub const ALL: [ApprovalMode; 3] = [Self::AutoApprove, Self::MajorsOnly, Self::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AutoApprove => "auto_approve",
            Self::MajorsOnly => "majors_only",
            Self::All => "all",
        }
    }

    /// Exact stored names only, like the other enums of this module.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::AutoApprove => "Approve automatically",
            Self::MajorsOnly => "Approve major versions",
            Self::All => "Approve every update",
        }
    }

    /// One line for the policy form.
    pub fn description(self) -> &'static str {
        match self {
            Self::AutoApprove => "Upgrades and patches are scheduled without asking anyone",
            Self::MajorsOnly => {
                "Someone must approve a new major version; minor versions and patches go ahead"
            }
            Self::All => "Someone must approve every upgrade and patch",
        }
    }
}

/// Whether a change of `kind` from `running` to `target` must wait for an
/// approval under `mode`.
///
/// Only updates consult the policy: other kinds are platform operations by
/// people who hold the lifecycle permission, which is approval enough.
/// Under `MajorsOnly` an unknown version on either side asks for approval,
/// since nobody can tell whether it is breaking.
pub fn approval_required(
    mode: ApprovalMode,
    kind: ChangeKind,
    running: Option<&Version>,
    target: Option<&Version>,
) -> bool {
    if !kind.is_update() {
        return false;
    }
    match mode {
        ApprovalMode::AutoApprove => false,
        ApprovalMode::All => true,
        ApprovalMode::MajorsOnly => match (running, target) {
            (Some(running), Some(target)) => is_breaking(running, target),
            _ => true,
        },
    }
}

/// A move between versions that semver allows to break things: another
/// major; in 0.x another minor (0.3 → 0.4); in 0.0.x any other version
/// (the caret rule Cargo and npm apply). A downgrade across such a boundary
/// counts too: going back is as disruptive as going forward.
fn is_breaking(running: &Version, target: &Version) -> bool {
    if running.major != target.major {
        return true;
    }
    if running.major == 0 && running.minor != target.minor {
        return true;
    }
    running.major == 0 && running.minor == 0 && running.patch != target.patch
}

/// Four eyes: whoever asked for a change may not approve or reject it.
/// A change with no recorded requester (automation) may be decided by anyone.
pub fn check_decider(requester: Option<Uuid>, decider: Uuid) -> Result<(), String> {
    if requester == Some(decider) {
        Err("You requested this change; someone else must decide it.".to_string())
    } else {
        Ok(())
    }
}

/// The permission that lets someone request (or cancel) a change of `kind`:
/// updates are run by update operators, the rest of the lifecycle by the vendor.
pub fn request_permission(kind: ChangeKind) -> crate::domain::access::permission::Permission {
    use crate::domain::access::permission::Permission;
    if kind.is_update() {
        Permission::UpdateExecute
    } else {
        Permission::TenantLifecycle
    }
}

/// The step that checks the tenant against its health baseline after work
/// that could break it, and its lighter form after live changes.
pub const VALIDATE_HEALTH: &str = "Validate health baseline";
pub const VERIFY_HEALTH: &str = "Verify health";

/// Whether a step checks the tenant's health: besides the executor's own
/// checks, the portal then runs the tenant's baseline at its address.
pub fn checks_health(step: &str) -> bool {
    step == VALIDATE_HEALTH || step == VERIFY_HEALTH
}

/// How a change carried out by a blue-green switch ends when the switch
/// does: its step's status, its own status and its outcome. Completed →
/// succeeded (the switch recorded the running version); rolled back, or
/// failed after traffic moved → rolled back; aborted by someone → cancelled;
/// failed before traffic moved → failed (traffic never left the old slot).
pub fn switch_outcome(
    switch: crate::domain::deployments::bluegreen::SwitchStatus,
    traffic_moved: bool,
    reason: &str,
) -> (StepStatus, ChangeStatus, String) {
    use crate::domain::deployments::bluegreen::SwitchStatus;
    let rolled_back =
        || format!("{reason} Rolled back: traffic is on the previous slot and no version changed.");
    match switch {
        SwitchStatus::Completed => (
            StepStatus::Succeeded,
            ChangeStatus::Succeeded,
            format!("The blue-green switch completed. {reason}"),
        ),
        SwitchStatus::Aborted => (
            StepStatus::Failed,
            ChangeStatus::Cancelled,
            reason.to_owned(),
        ),
        SwitchStatus::RolledBack => (StepStatus::Failed, ChangeStatus::RolledBack, rolled_back()),
        _ if traffic_moved => (StepStatus::Failed, ChangeStatus::RolledBack, rolled_back()),
        _ => (StepStatus::Failed, ChangeStatus::Failed, reason.to_owned()),
    }
}

/// The steps an executor carries out for a change, by its model: a
/// maintenance change locks the tenant around the work, a swap prepares the
/// idle slot and switches traffic, a live change works in place.
pub fn plan_steps(kind: ChangeKind, model: ChangeModel, version: Option<&str>) -> Vec<String> {
    // The portal applies these moves' effect on its own side (who may still
    // act) at once; what happens outside it is the executor's work.
    let outside: &[&str] = match kind {
        ChangeKind::Suspend => &["Block public access"],
        ChangeKind::Resume => &["Restore public access", "Verify health"],
        ChangeKind::EnterMaintenance => &["Enter maintenance mode"],
        ChangeKind::ExitMaintenance => &["Validate health baseline", "Exit maintenance mode"],
        ChangeKind::Decommission => &["Block public access", "Stop the tenant's workloads"],
        ChangeKind::Delete => &["Destroy the tenant's resources"],
        ChangeKind::ChangePlan => &["Apply the plan's limits"],
        _ => &[],
    };
    if kind == ChangeKind::RestoreTest {
        return crate::domain::tenants::restore_test::plan_steps();
    }
    if kind == ChangeKind::Migrate {
        return crate::domain::tenants::migration::MigrationStep::ALL
            .iter()
            .map(|step| step.label().to_owned())
            .collect();
    }
    if !outside.is_empty() {
        return outside.iter().map(|step| (*step).to_owned()).collect();
    }
    let action = work_step(kind, version);
    match model {
        ChangeModel::Live => vec![action, "Verify health".into()],
        ChangeModel::Maintenance => vec![
            "Enter maintenance mode".into(),
            action,
            "Validate health baseline".into(),
            "Exit maintenance mode".into(),
        ],
        ChangeModel::Swap => vec![
            "Prepare the idle slot".into(),
            action,
            "Validate health baseline".into(),
            "Switch traffic".into(),
            "Keep the previous slot on standby".into(),
        ],
    }
}

/// The step in which a change does its own work, between the steps its
/// model frames it with: a backup's `Backup`, a restore's `Restore`, a
/// rotation's `Rotate secret`, an upgrade's `Deploy 2.0.0`. The portal's own
/// part of a backup, restore or rotation hangs on this step.
pub fn work_step(kind: ChangeKind, version: Option<&str>) -> String {
    match (kind, version) {
        (ChangeKind::Upgrade | ChangeKind::Patch, Some(v)) => format!("Deploy {v}"),
        _ => kind.label().to_owned(),
    }
}

/// Whether `step`, run forward, is the work step of a change of `kind`.
pub fn is_work_step(kind: ChangeKind, step: &str, rollback: bool) -> bool {
    !rollback && step == work_step(kind, None)
}

/// The rollback step of a secret rotation: the executor is handed the
/// previous value again.
pub const PUT_SECRET_BACK: &str = "Put the previous secret back";

/// The steps that undo a failed secret rotation: the previous value goes
/// back (the stored one never changed), then the tenant is checked and, in
/// maintenance, let out again.
pub fn plan_secret_rollback_steps(model: ChangeModel) -> Vec<String> {
    let steps: &[&str] = match model {
        ChangeModel::Live => &[PUT_SECRET_BACK, "Verify health"],
        ChangeModel::Maintenance => &[
            PUT_SECRET_BACK,
            "Validate health baseline",
            "Exit maintenance mode",
        ],
        ChangeModel::Swap => &[
            PUT_SECRET_BACK,
            "Switch traffic back to the previous slot",
            "Verify health",
        ],
    };
    steps.iter().map(|s| (*s).to_owned()).collect()
}

/// Whether a change of `kind` works beside the tenant rather than on it (a
/// restore test's scratch target): it needs no approval and no window — it
/// starts as soon as it is asked for (the tenant's limit of changes at once
/// still holds).
pub fn works_beside_the_tenant(kind: ChangeKind) -> bool {
    kind == ChangeKind::RestoreTest
}

/// Whether a failed change of `kind` runs rollback steps at the executor:
/// updates (the previous version goes back), secret rotations (the
/// previous value goes back), migrations (the target is torn down —
/// before their cut-over; see `migration::on_failure`) and restore tests
/// (the scratch target is torn down).
pub fn rolls_back(kind: ChangeKind) -> bool {
    kind.is_update()
        || matches!(
            kind,
            ChangeKind::RotateSecret | ChangeKind::Migrate | ChangeKind::RestoreTest
        )
}

/// The steps that undo a failed update, run by the executor after its last
/// attempt: put back what ran before (`previous`, when the tenant recorded
/// one), check it works, and end the lock-down the update began.
pub fn plan_rollback_steps(model: ChangeModel, previous: Option<&str>) -> Vec<String> {
    let restore = match previous {
        Some(version) => format!("Roll back to {version}"),
        None => "Roll back to the previous version".to_owned(),
    };
    match model {
        ChangeModel::Live => vec![restore, "Verify health".into()],
        ChangeModel::Maintenance => vec![
            restore,
            "Validate health baseline".into(),
            "Exit maintenance mode".into(),
        ],
        ChangeModel::Swap => vec![
            "Switch traffic back to the previous slot".into(),
            "Verify health".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_rotation_puts_the_previous_secret_back_first() {
        assert!(rolls_back(ChangeKind::RotateSecret) && rolls_back(ChangeKind::Upgrade));
        assert!(!rolls_back(ChangeKind::Backup));
        for model in [
            ChangeModel::Live,
            ChangeModel::Maintenance,
            ChangeModel::Swap,
        ] {
            assert_eq!(plan_secret_rollback_steps(model)[0], PUT_SECRET_BACK);
        }
        assert_eq!(
            plan_secret_rollback_steps(ChangeModel::Maintenance)
                .last()
                .map(String::as_str),
            Some("Exit maintenance mode")
        );
    }

    #[test]
    fn a_switch_s_end_decides_how_its_change_ends() {
        use crate::domain::deployments::bluegreen::SwitchStatus;
        let end = |status, moved| {
            let (step, change, _) = switch_outcome(status, moved, "Why.");
            (step, change)
        };
        assert_eq!(
            end(SwitchStatus::Completed, true),
            (StepStatus::Succeeded, ChangeStatus::Succeeded)
        );
        assert_eq!(
            end(SwitchStatus::RolledBack, true).1,
            ChangeStatus::RolledBack
        );
        assert_eq!(end(SwitchStatus::Aborted, true).1, ChangeStatus::Cancelled);
        assert_eq!(end(SwitchStatus::Failed, true).1, ChangeStatus::RolledBack);
        assert_eq!(
            end(SwitchStatus::Failed, false),
            (StepStatus::Failed, ChangeStatus::Failed)
        );
        let (_, _, outcome) = switch_outcome(SwitchStatus::RolledBack, true, "Error rate 20 %.");
        assert_eq!(
            outcome,
            "Error rate 20 %. Rolled back: traffic is on the previous slot and no version changed."
        );
    }

    #[test]
    fn the_health_steps_of_every_plan_are_recognised() {
        for model in [
            ChangeModel::Live,
            ChangeModel::Maintenance,
            ChangeModel::Swap,
        ] {
            let steps = plan_steps(ChangeKind::Upgrade, model, Some("5.2.0"));
            assert_eq!(
                steps.iter().filter(|s| checks_health(s)).count(),
                1,
                "{model:?}"
            );
            let undo = plan_rollback_steps(model, Some("5.1.0"));
            assert_eq!(
                undo.iter().filter(|s| checks_health(s)).count(),
                1,
                "{model:?}"
            );
        }
        assert!(!checks_health("Deploy 5.2.0"));
    }

    #[test]
    fn every_step_status_reads_back_from_its_word_and_nothing_else_does() {
        for status in StepStatus::ALL {
            assert_eq!(StepStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(StepStatus::parse("done"), None);
    }

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    // ----- kinds -----

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for kind in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(ChangeKind::EnterMaintenance.as_str(), "enter_maintenance");
        assert_eq!(ChangeKind::RotateSecret.as_str(), "rotate_secret");
        assert_eq!(ChangeKind::EnterMaintenance.label(), "Enter maintenance");
        assert_eq!(ChangeKind::parse("Upgrade"), None);
        assert_eq!(ChangeKind::parse(""), None);
    }

    #[test]
    fn all_lists_every_kind_once() {
        let mut kinds = ChangeKind::ALL.to_vec();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), ChangeKind::ALL.len());
    }

    #[test]
    fn lifecycle_actions_map_to_kinds_and_back() {
        use ChangeKind as K;
        use LifecycleAction as A;
        assert_eq!(ChangeKind::from_lifecycle(A::Activate), K::Provision);
        assert_eq!(ChangeKind::from_lifecycle(A::Archive), K::Decommission);
        assert_eq!(ChangeKind::from_lifecycle(A::Delete), K::Delete);
        assert_eq!(ChangeKind::from_lifecycle(A::BackUp), K::Backup);
        assert_eq!(
            ChangeKind::from_lifecycle(A::EnterMaintenance),
            K::EnterMaintenance
        );
        for action in LifecycleAction::ALL {
            let kind = ChangeKind::from_lifecycle(action);
            assert_eq!(kind.lifecycle_action(), Some(action), "{action:?}");
        }
    }

    #[test]
    fn patches_secret_rotations_and_plan_changes_do_not_touch_the_lifecycle() {
        let without: Vec<_> = ChangeKind::ALL
            .into_iter()
            .filter(|k| k.lifecycle_action().is_none())
            .collect();
        assert_eq!(
            without,
            [
                ChangeKind::Patch,
                ChangeKind::RotateSecret,
                ChangeKind::ChangePlan,
                ChangeKind::Migrate,
                ChangeKind::RestoreTest
            ]
        );
        for kind in ChangeKind::ALL {
            if let Some(action) = kind.lifecycle_action() {
                assert_eq!(ChangeKind::from_lifecycle(action), kind);
            }
        }
    }

    #[test]
    fn only_a_restore_test_skips_approval_and_windows() {
        let beside: Vec<_> = ChangeKind::ALL
            .into_iter()
            .filter(|k| works_beside_the_tenant(*k))
            .collect();
        assert_eq!(beside, [ChangeKind::RestoreTest]);
    }

    #[test]
    fn only_upgrades_and_patches_are_updates() {
        let updates: Vec<_> = ChangeKind::ALL
            .into_iter()
            .filter(|k| k.is_update())
            .collect();
        assert_eq!(updates, [ChangeKind::Upgrade, ChangeKind::Patch]);
    }

    // ----- change model -----

    #[test]
    fn every_kind_on_every_deployment_follows_the_change_model_table() {
        use ChangeKind as K;
        use ChangeModel::{Live as L, Maintenance as M, Swap as S};
        // Columns: edge, standard, endpoints.
        let table: [(ChangeKind, [ChangeModel; 3]); 16] = [
            (K::Provision, [L, L, L]),
            (K::Upgrade, [S, M, M]),
            (K::Patch, [L, L, L]),
            (K::Suspend, [L, L, L]),
            (K::Resume, [L, L, L]),
            (K::EnterMaintenance, [L, L, L]),
            (K::ExitMaintenance, [M, M, M]),
            (K::Backup, [M, M, M]),
            (K::Restore, [S, M, M]),
            (K::ValidateHealth, [L, L, L]),
            (K::RotateSecret, [S, M, M]),
            (K::Decommission, [L, L, L]),
            (K::Delete, [L, L, L]),
            (K::ChangePlan, [L, L, L]),
            (K::Migrate, [S, S, S]),
            (K::RestoreTest, [L, L, L]),
        ];
        let kinds: Vec<_> = table.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, ChangeKind::ALL, "rows must cover every kind once");
        assert_eq!(
            DeploymentKind::ALL,
            [
                DeploymentKind::Edge,
                DeploymentKind::Standard,
                DeploymentKind::Endpoints
            ]
        );
        for (kind, row) in table {
            for (deployment, expected) in DeploymentKind::ALL.into_iter().zip(row) {
                assert_eq!(
                    change_model(kind, deployment),
                    expected,
                    "{} on {}",
                    kind.as_str(),
                    deployment.as_str()
                );
            }
        }
    }

    #[test]
    fn change_models_have_stored_names_and_labels() {
        for model in ChangeModel::ALL {
            assert_eq!(ChangeModel::parse(model.as_str()), Some(model));
            assert!(!model.description().is_empty());
        }
        assert_eq!(ChangeModel::Live.label(), "Live patch");
        assert_eq!(ChangeModel::Maintenance.label(), "Maintenance");
        assert_eq!(ChangeModel::Swap.label(), "Blue-green swap");
        assert_eq!(
            serde_json::to_string(&ChangeModel::Swap).unwrap(),
            "\"swap\""
        );
    }

    // ----- status machine -----

    #[test]
    fn every_status_round_trips_through_its_stored_name() {
        for status in ChangeStatus::ALL {
            assert_eq!(ChangeStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(ChangeStatus::PendingApproval.as_str(), "pending_approval");
        assert_eq!(ChangeStatus::RolledBack.as_str(), "rolled_back");
        assert_eq!(ChangeStatus::RolledBack.label(), "Rolled back");
        assert_eq!(ChangeStatus::parse("Running"), None);
    }

    #[test]
    fn every_status_pair_follows_the_legal_moves() {
        use ChangeStatus as S;
        let legal: &[(ChangeStatus, &[ChangeStatus])] = &[
            (S::Draft, &[S::PendingApproval, S::Approved, S::Cancelled]),
            (S::PendingApproval, &[S::Approved, S::Cancelled]),
            (S::Approved, &[S::Scheduled, S::Cancelled]),
            (S::Scheduled, &[S::Scheduled, S::Running, S::Cancelled]),
            (S::Running, &[S::Succeeded, S::Failed, S::RolledBack]),
            (S::Succeeded, &[]),
            (S::Failed, &[]),
            (S::RolledBack, &[]),
            (S::Cancelled, &[]),
        ];
        let rows: Vec<_> = legal.iter().map(|(s, _)| *s).collect();
        assert_eq!(rows, ChangeStatus::ALL);
        for (from, allowed) in legal {
            for to in ChangeStatus::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    allowed.contains(&to),
                    "{} -> {}",
                    from.as_str(),
                    to.as_str()
                );
            }
        }
    }

    #[test]
    fn nothing_leaves_a_terminal_status() {
        let terminal: Vec<_> = ChangeStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        use ChangeStatus as S;
        assert_eq!(
            terminal,
            [S::Succeeded, S::Failed, S::RolledBack, S::Cancelled]
        );
        for from in terminal {
            for to in ChangeStatus::ALL {
                assert!(!from.can_move_to(to), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn a_running_change_cannot_be_cancelled_only_finished() {
        assert!(!ChangeStatus::Running.can_move_to(ChangeStatus::Cancelled));
        assert!(ChangeStatus::Running.can_move_to(ChangeStatus::RolledBack));
    }

    #[test]
    fn a_scheduled_change_may_be_rescheduled() {
        assert!(ChangeStatus::Scheduled.can_move_to(ChangeStatus::Scheduled));
        assert!(!ChangeStatus::Approved.can_move_to(ChangeStatus::Approved));
    }

    #[test]
    fn every_path_from_draft_ends_in_a_terminal_status() {
        // Walk the graph (ignoring the reschedule loop): every status is
        // reachable from draft and every non-terminal one can still finish.
        let mut reached = vec![ChangeStatus::Draft];
        let mut i = 0;
        while i < reached.len() {
            for next in ChangeStatus::ALL {
                if reached[i].can_move_to(next) && !reached.contains(&next) {
                    reached.push(next);
                }
            }
            i += 1;
        }
        assert_eq!(reached.len(), ChangeStatus::ALL.len());
        for status in ChangeStatus::ALL {
            let can_finish = status.is_terminal()
                || ChangeStatus::ALL
                    .into_iter()
                    .any(|next| next != status && status.can_move_to(next));
            assert!(can_finish, "{status:?} is a dead end");
        }
    }

    #[test]
    fn statuses_carry_a_tone_that_matches_their_meaning() {
        use ChangeStatus as S;
        assert_eq!(S::PendingApproval.tone(), Tone::Attention);
        assert_eq!(S::Running.tone(), Tone::Info);
        assert_eq!(S::Succeeded.tone(), Tone::Success);
        assert_eq!(S::Failed.tone(), Tone::Danger);
        assert_eq!(S::RolledBack.tone(), Tone::Severe);
        assert_eq!(S::Cancelled.tone(), Tone::Neutral);
    }

    // ----- approvals -----

    #[test]
    fn approval_modes_round_trip_and_describe_themselves() {
        for mode in ApprovalMode::ALL {
            assert_eq!(ApprovalMode::parse(mode.as_str()), Some(mode));
            assert!(!mode.label().is_empty());
            assert!(!mode.description().is_empty());
        }
        assert_eq!(ApprovalMode::AutoApprove.as_str(), "auto_approve");
        assert_eq!(ApprovalMode::MajorsOnly.as_str(), "majors_only");
        assert_eq!(ApprovalMode::All.as_str(), "all");
        assert_eq!(
            serde_json::to_string(&ApprovalMode::MajorsOnly).unwrap(),
            "\"majors_only\""
        );
        assert_eq!(ApprovalMode::parse("majors"), None);
    }

    #[test]
    fn approval_follows_the_policy_table_for_updates() {
        use ApprovalMode::{All, AutoApprove as Auto, MajorsOnly as Majors};
        use ChangeKind::{Patch, Upgrade};
        /// Policy, kind, running version, target version, approval needed.
        type Case = (
            ApprovalMode,
            ChangeKind,
            Option<&'static str>,
            Option<&'static str>,
            bool,
        );
        let cases: &[Case] = &[
            (Auto, Upgrade, Some("1.0.0"), Some("2.0.0"), false),
            (Auto, Upgrade, None, None, false),
            (All, Patch, Some("1.0.0"), Some("1.0.1"), true),
            (All, Upgrade, Some("1.0.0"), Some("1.1.0"), true),
            (Majors, Upgrade, Some("1.4.2"), Some("2.0.0"), true),
            (Majors, Upgrade, Some("1.4.2"), Some("1.5.0"), false),
            (Majors, Patch, Some("1.4.2"), Some("1.4.3"), false),
            (Majors, Upgrade, Some("1.9.0"), Some("2.0.0-rc.1"), true),
            (Majors, Upgrade, Some("1.4.0"), Some("1.5.0-beta.1"), false),
            // 0.x: the minor is the breaking number.
            (Majors, Upgrade, Some("0.3.7"), Some("0.4.0"), true),
            (Majors, Patch, Some("0.3.7"), Some("0.3.8"), false),
            (Majors, Upgrade, Some("0.9.0"), Some("1.0.0"), true),
            // 0.0.x: every release may break.
            (Majors, Patch, Some("0.0.3"), Some("0.0.4"), true),
            // Going back across a major is as disruptive as going forward.
            (Majors, Upgrade, Some("2.1.0"), Some("1.9.0"), true),
            // Unknown versions: be safe.
            (Majors, Upgrade, None, Some("1.0.0"), true),
            (Majors, Upgrade, Some("1.0.0"), None, true),
            (Majors, Patch, None, None, true),
        ];
        for (mode, kind, running, target, expected) in cases {
            let running = running.map(v);
            let target = target.map(v);
            assert_eq!(
                approval_required(*mode, *kind, running.as_ref(), target.as_ref()),
                *expected,
                "{mode:?} {kind:?} {running:?} -> {target:?}"
            );
        }
    }

    #[test]
    fn platform_operations_never_need_update_approval() {
        for mode in ApprovalMode::ALL {
            for kind in ChangeKind::ALL.into_iter().filter(|k| !k.is_update()) {
                assert!(
                    !approval_required(mode, kind, None, None),
                    "{mode:?} {kind:?}"
                );
                assert!(!approval_required(
                    mode,
                    kind,
                    Some(&v("1.0.0")),
                    Some(&v("2.0.0"))
                ));
            }
        }
    }

    #[test]
    fn the_requester_cannot_decide_their_own_change() {
        let alice = Uuid::from_u128(1);
        let bob = Uuid::from_u128(2);
        assert_eq!(
            check_decider(Some(alice), alice),
            Err("You requested this change; someone else must decide it.".to_string())
        );
        assert_eq!(check_decider(Some(alice), bob), Ok(()));
        assert_eq!(
            check_decider(None, bob),
            Ok(()),
            "automation's changes can be decided by anyone"
        );
    }

    #[test]
    fn each_change_model_plans_its_own_steps_around_the_work() {
        assert_eq!(
            plan_steps(ChangeKind::Upgrade, ChangeModel::Maintenance, Some("5.2.0")),
            [
                "Enter maintenance mode",
                "Deploy 5.2.0",
                "Validate health baseline",
                "Exit maintenance mode"
            ]
        );
        assert_eq!(
            plan_steps(ChangeKind::Backup, ChangeModel::Live, None),
            ["Backup", "Verify health"]
        );
        let swap = plan_steps(ChangeKind::Restore, ChangeModel::Swap, None);
        assert_eq!(
            (swap.len(), swap[1].as_str(), swap[3].as_str()),
            (5, "Restore", "Switch traffic")
        );
    }

    #[test]
    fn moves_the_portal_applies_itself_leave_the_executor_only_the_outside_work() {
        for model in ChangeModel::ALL {
            assert_eq!(
                plan_steps(ChangeKind::Suspend, model, None),
                ["Block public access"]
            );
            assert_eq!(
                plan_steps(ChangeKind::Resume, model, None),
                ["Restore public access", "Verify health"]
            );
        }
        assert_eq!(
            plan_steps(ChangeKind::Decommission, ChangeModel::Live, None),
            ["Block public access", "Stop the tenant's workloads"]
        );
        assert_eq!(
            plan_steps(ChangeKind::Delete, ChangeModel::Live, None),
            ["Destroy the tenant's resources"]
        );
        assert_eq!(
            plan_steps(ChangeKind::ExitMaintenance, ChangeModel::Maintenance, None),
            ["Validate health baseline", "Exit maintenance mode"],
            "leaving maintenance checks the tenant works first"
        );
    }

    #[test]
    fn a_rollback_restores_the_previous_version_checks_it_and_ends_the_lock_down() {
        assert_eq!(
            plan_rollback_steps(ChangeModel::Maintenance, Some("5.1.0")),
            [
                "Roll back to 5.1.0",
                "Validate health baseline",
                "Exit maintenance mode"
            ]
        );
        assert_eq!(
            plan_rollback_steps(ChangeModel::Live, None),
            ["Roll back to the previous version", "Verify health"]
        );
        assert_eq!(
            plan_rollback_steps(ChangeModel::Swap, Some("5.1.0"))[0],
            "Switch traffic back to the previous slot"
        );
    }

    #[test]
    fn updates_need_the_update_permission_and_the_rest_the_lifecycle_one() {
        use crate::domain::access::permission::Permission;
        assert_eq!(
            request_permission(ChangeKind::Patch),
            Permission::UpdateExecute
        );
        assert_eq!(
            request_permission(ChangeKind::Backup),
            Permission::TenantLifecycle
        );
    }

    #[test]
    fn the_upgrade_form_says_which_path_an_upgrade_takes() {
        assert!(upgrade_path(ChangeModel::Swap, true).starts_with("A blue-green switch"));
        assert!(upgrade_path(ChangeModel::Maintenance, false).starts_with("In maintenance"));
        assert!(
            upgrade_path(
                change_model(ChangeKind::Upgrade, DeploymentKind::Standard),
                false
            )
            .contains("rollback steps run")
        );
    }

    #[test]
    fn the_portal_hangs_its_part_on_the_work_step_run_forward() {
        assert!(is_work_step(ChangeKind::Backup, "Backup", false));
        assert!(!is_work_step(ChangeKind::Backup, "Backup", true));
        assert!(is_work_step(ChangeKind::Restore, "Restore", false));
        assert!(is_work_step(
            ChangeKind::RotateSecret,
            "Rotate secret",
            false
        ));
        assert!(!is_work_step(
            ChangeKind::Restore,
            "Enter maintenance mode",
            false
        ));
        for model in [
            ChangeModel::Live,
            ChangeModel::Maintenance,
            ChangeModel::Swap,
        ] {
            assert!(
                plan_steps(ChangeKind::Backup, model, None)
                    .contains(&work_step(ChangeKind::Backup, None)),
                "{model:?}"
            );
        }
        assert_eq!(
            work_step(ChangeKind::Upgrade, Some("2.0.0")),
            "Deploy 2.0.0"
        );
    }
}
