//! Tenant lifecycle (PRODUCT.md, "Tenant lifecycle"): the states, the actions
//! and the pure state machine that decides which action may run from which
//! state. Policy checks (residency, plan, licence, typed slug confirmation,
//! retention) and the actual work belong to the callers and executors; this
//! module only says whether a move is legal and where it leads.

use serde::{Deserialize, Serialize};

use crate::domain::access::permission::Permission;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum LifecycleState {
    Draft,
    Provisioning,
    Active,
    Broken,
    Maintenance,
    BackingUp,
    Restoring,
    Upgrading,
    Testing,
    Suspended,
    Archived,
    Deleted,
}

/// Visual tone of a status badge (UI.md §4): the word and icon carry the
/// meaning, the tone only reinforces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    Info,
    Success,
    Attention,
    Severe,
    Danger,
}

impl Tone {
    pub fn css_class(self) -> &'static str {
        match self {
            Tone::Neutral => "tone-neutral",
            Tone::Info => "tone-info",
            Tone::Success => "tone-success",
            Tone::Attention => "tone-attention",
            Tone::Severe => "tone-severe",
            Tone::Danger => "tone-danger",
        }
    }
}

impl LifecycleState {
    pub const ALL: [LifecycleState; 12] = [
        Self::Draft,
        Self::Provisioning,
        Self::Active,
        Self::Broken,
        Self::Maintenance,
        Self::BackingUp,
        Self::Restoring,
        Self::Upgrading,
        Self::Testing,
        Self::Suspended,
        Self::Archived,
        Self::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Broken => "broken",
            Self::Maintenance => "maintenance",
            Self::BackingUp => "backing_up",
            Self::Restoring => "restoring",
            Self::Upgrading => "upgrading",
            Self::Testing => "testing",
            Self::Suspended => "suspended",
            Self::Archived => "archived",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Provisioning => "Provisioning",
            Self::Active => "Active",
            Self::Broken => "Broken",
            Self::Maintenance => "Maintenance",
            Self::BackingUp => "Backing up",
            Self::Restoring => "Restoring",
            Self::Upgrading => "Upgrading",
            Self::Testing => "Testing",
            Self::Suspended => "Suspended",
            Self::Archived => "Archived",
            Self::Deleted => "Deleted",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            Self::Active => Tone::Success,
            Self::Broken => Tone::Danger,
            Self::Maintenance => Tone::Attention,
            Self::Suspended => Tone::Severe,
            Self::Provisioning
            | Self::BackingUp
            | Self::Restoring
            | Self::Upgrading
            | Self::Testing => Tone::Info,
            Self::Draft | Self::Archived | Self::Deleted => Tone::Neutral,
        }
    }

    /// The glyph drawn beside the word, so the state never depends on colour alone.
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Draft => "◌",
            Self::Provisioning => "⟳",
            Self::Active => "✓",
            Self::Broken => "✕",
            Self::Maintenance => "⚒",
            Self::BackingUp => "⛁",
            Self::Restoring => "↺",
            Self::Upgrading => "↑",
            Self::Testing => "⚗",
            Self::Suspended => "⊘",
            Self::Archived => "▣",
            Self::Deleted => "🗑",
        }
    }
}

impl LifecycleState {
    /// An executor is working on the tenant. These states end on their own
    /// (success or failure), so no other action may start meanwhile.
    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            Self::Provisioning
                | Self::BackingUp
                | Self::Restoring
                | Self::Upgrading
                | Self::Testing
        )
    }

    /// The tenant as the object of a sentence: "an active tenant".
    fn as_object(self) -> &'static str {
        match self {
            Self::Draft => "a draft tenant",
            Self::Provisioning => "a provisioning tenant",
            Self::Active => "an active tenant",
            Self::Broken => "a broken tenant",
            Self::Maintenance => "a tenant in maintenance",
            Self::BackingUp => "a tenant that is backing up",
            Self::Restoring => "a restoring tenant",
            Self::Upgrading => "an upgrading tenant",
            Self::Testing => "a tenant under test",
            Self::Suspended => "a suspended tenant",
            Self::Archived => "an archived tenant",
            Self::Deleted => "a deleted tenant",
        }
    }
}

/// Something a user (or automation) asks to do to a tenant's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum LifecycleAction {
    Activate,
    EnterMaintenance,
    ExitMaintenance,
    BackUp,
    Restore,
    Upgrade,
    ValidateHealth,
    Suspend,
    Resume,
    Archive,
    Delete,
}

impl LifecycleAction {
    pub const ALL: [LifecycleAction; 11] = [
        Self::Activate,
        Self::EnterMaintenance,
        Self::ExitMaintenance,
        Self::BackUp,
        Self::Restore,
        Self::Upgrade,
        Self::ValidateHealth,
        Self::Suspend,
        Self::Resume,
        Self::Archive,
        Self::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activate => "activate",
            Self::EnterMaintenance => "enter_maintenance",
            Self::ExitMaintenance => "exit_maintenance",
            Self::BackUp => "back_up",
            Self::Restore => "restore",
            Self::Upgrade => "upgrade",
            Self::ValidateHealth => "validate_health",
            Self::Suspend => "suspend",
            Self::Resume => "resume",
            Self::Archive => "archive",
            Self::Delete => "delete",
        }
    }

    /// Same contract as [`LifecycleState::parse`]: exact stored names only.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Activate => "Activate",
            Self::EnterMaintenance => "Enter maintenance",
            Self::ExitMaintenance => "Exit maintenance",
            Self::BackUp => "Back up",
            Self::Restore => "Restore",
            Self::Upgrade => "Upgrade",
            Self::ValidateHealth => "Validate health",
            Self::Suspend => "Suspend",
            Self::Resume => "Resume",
            Self::Archive => "Archive",
            Self::Delete => "Delete",
        }
    }

    /// "Cannot <this> <tenant>": the start of every refusal, so each one
    /// names the action the user tried.
    fn cannot(self, state: LifecycleState) -> String {
        let tenant = state.as_object();
        match self {
            Self::EnterMaintenance | Self::ExitMaintenance => {
                format!("Cannot {} on {tenant}", self.label().to_lowercase())
            }
            Self::ValidateHealth => format!("Cannot validate health of {tenant}"),
            _ => format!("Cannot {} {tenant}", self.label().to_lowercase()),
        }
    }
}

/// Where a legal action leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionPlan {
    /// The state the tenant shows while the executor works (provisioning,
    /// backing_up, restoring, upgrading, testing); `None` for moves that take
    /// effect at once.
    pub via: Option<LifecycleState>,
    /// The state on success. Failure outcomes ("or broken", "rolled back")
    /// are recorded by the executor, not planned here.
    pub target: LifecycleState,
    /// The action already took effect: a repeat is a no-op with the same
    /// result (PRODUCT.md: transitions are idempotent). `via` is then `None`
    /// and `target` is the current state.
    pub already_done: bool,
}

impl TransitionPlan {
    fn go(target: LifecycleState) -> Self {
        Self {
            via: None,
            target,
            already_done: false,
        }
    }

    fn via(via: LifecycleState, target: LifecycleState) -> Self {
        Self {
            via: Some(via),
            target,
            already_done: false,
        }
    }

    fn done(current: LifecycleState) -> Self {
        Self {
            via: None,
            target: current,
            already_done: true,
        }
    }
}

/// An illegal move. `reason` is the whole user-facing sentence (it is also
/// the `Display` text), so the UI and API problem details can show it as is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct TransitionRefusal {
    pub state: LifecycleState,
    pub action: LifecycleAction,
    pub reason: String,
}

/// Decides whether `action` may run on a tenant in `current`, exactly as the
/// table in PRODUCT.md "Tenant lifecycle". Pure: policy checks (residency,
/// plan, licence for activate; retention and typed slug confirmation for
/// delete) run in the caller before this plan is executed.
///
/// Idempotent repeats (`already_done`), chosen so that a request retried after
/// it took effect succeeds instead of failing:
/// - activate on active, resume on active, exit maintenance on active: the
///   tenant already is where the action leads;
/// - enter maintenance on maintenance, suspend on suspended, archive on
///   archived, delete on deleted.
///
/// Back up, restore, upgrade and validate health are never "already done":
/// each request is new work (another snapshot, another test run).
pub fn plan_transition(
    current: LifecycleState,
    action: LifecycleAction,
) -> Result<TransitionPlan, TransitionRefusal> {
    use LifecycleAction as A;
    use LifecycleState as S;

    // Work in progress owns the tenant; starting something else would race it.
    // This includes repeats (back up while backing up): the running job will
    // report its own outcome.
    if current.is_transitional() {
        return Err(refuse(
            current,
            action,
            format!(
                "Cannot {} while the tenant is busy ({}); wait until it finishes.",
                action.label().to_lowercase(),
                current.label().to_lowercase()
            ),
        ));
    }

    let plan = match (current, action) {
        (S::Draft, A::Activate) => TransitionPlan::via(S::Provisioning, S::Active),
        (S::Active | S::Broken, A::EnterMaintenance) => TransitionPlan::go(S::Maintenance),
        (S::Maintenance, A::ExitMaintenance) => TransitionPlan::go(S::Active),
        // A backup does not change what the tenant is: it returns to where it was.
        (S::Active | S::Maintenance, A::BackUp) => TransitionPlan::via(S::BackingUp, current),
        // Restore also runs the health tests; that is part of the executor's
        // work, so the plan only shows `restoring`.
        (S::Maintenance | S::Archived, A::Restore) => TransitionPlan::via(S::Restoring, S::Active),
        (S::Active | S::Maintenance, A::Upgrade) => TransitionPlan::via(S::Upgrading, S::Active),
        (S::Active | S::Broken, A::ValidateHealth) => TransitionPlan::via(S::Testing, S::Active),
        (S::Active | S::Broken | S::Maintenance, A::Suspend) => TransitionPlan::go(S::Suspended),
        (S::Suspended, A::Resume) => TransitionPlan::go(S::Active),
        (S::Suspended | S::Active, A::Archive) => TransitionPlan::go(S::Archived),
        (S::Archived, A::Delete) => TransitionPlan::go(S::Deleted),

        (S::Active, A::Activate | A::Resume | A::ExitMaintenance)
        | (S::Maintenance, A::EnterMaintenance)
        | (S::Suspended, A::Suspend)
        | (S::Archived, A::Archive)
        | (S::Deleted, A::Delete) => TransitionPlan::done(current),

        _ => {
            let reason = format!("{}: {}", action.cannot(current), next_step(current, action));
            return Err(refuse(current, action, reason));
        }
    };
    Ok(plan)
}

/// Whether `action` from `current` puts a tenant that serves nobody into
/// service: the moves at which data residency is checked again, since the
/// installation's regions may have changed since the tenant was placed.
pub fn brings_into_service(current: LifecycleState, action: LifecycleAction) -> bool {
    use LifecycleAction as A;
    use LifecycleState as S;
    matches!(
        (current, action),
        (S::Draft, A::Activate) | (S::Suspended, A::Resume) | (S::Archived, A::Restore)
    )
}

impl LifecycleState {
    /// Whether software runs for this tenant: not yet (draft) or no longer
    /// (archived, deleted) means no updates to offer and nothing to upgrade.
    pub fn runs_software(self) -> bool {
        !matches!(self, Self::Draft | Self::Archived | Self::Deleted)
    }
}

fn refuse(state: LifecycleState, action: LifecycleAction, reason: String) -> TransitionRefusal {
    TransitionRefusal {
        state,
        action,
        reason,
    }
}

/// What the user should do instead of an illegal move: the shortest legal
/// path in the table towards what they wanted.
fn next_step(state: LifecycleState, action: LifecycleAction) -> &'static str {
    use LifecycleAction as A;
    use LifecycleState as S;
    match (state, action) {
        (S::Draft, A::ExitMaintenance | A::Resume) => "activate it instead.",
        (S::Draft, _) => "activate it first.",
        (S::Active, A::Restore) => "enter maintenance first.",
        (S::Active, A::Delete) => "archive it first.",
        (S::Broken, A::Activate | A::ExitMaintenance | A::Resume) => {
            "validate its health to return it to active."
        }
        (S::Broken, A::BackUp | A::Restore | A::Upgrade) => "enter maintenance first.",
        (S::Broken, A::Archive) => "suspend it first.",
        (S::Broken | S::Maintenance, A::Delete) => "suspend and archive it first.",
        (S::Maintenance, A::Activate | A::Resume) => "exit maintenance instead.",
        (S::Maintenance, A::ValidateHealth) => "exit maintenance first.",
        (S::Maintenance, A::Archive) => "exit maintenance or suspend it first.",
        (S::Suspended, A::Activate | A::ExitMaintenance) => "resume it instead.",
        (S::Suspended, A::Restore) => "resume it and enter maintenance first.",
        (S::Suspended, A::Delete) => "archive it first.",
        (S::Suspended, _) => "resume it first.",
        (S::Archived, A::Activate | A::ExitMaintenance | A::Resume) => "restore it instead.",
        (S::Archived, _) => "restore it first.",
        (S::Deleted, _) => "deletion is final.",
        // Unreachable for the table above (a test checks that); kept so a new
        // rule without a hint still yields a readable sentence.
        _ => "this move is not part of the tenant lifecycle.",
    }
}

/// Why an already-done action is not offered: "Already suspended."
fn already_done_note(state: LifecycleState, action: LifecycleAction) -> String {
    match (state, action) {
        (LifecycleState::Active, LifecycleAction::ExitMaintenance) => {
            "Already out of maintenance.".to_string()
        }
        (LifecycleState::Maintenance, _) => "Already in maintenance.".to_string(),
        _ => format!("Already {}.", state.label().to_lowercase()),
    }
}

/// Every action, in [`LifecycleAction::ALL`] order, with `Ok(())` when it may
/// run now or the reason why not, for the tenant page's "actions allowed now,
/// and why others are not". Already-done actions are not offered: running
/// them would change nothing.
pub fn allowed_actions(state: LifecycleState) -> Vec<(LifecycleAction, Result<(), String>)> {
    LifecycleAction::ALL
        .into_iter()
        .map(|action| {
            let verdict = match plan_transition(state, action) {
                Ok(plan) if plan.already_done => Err(already_done_note(state, action)),
                Ok(_) => Ok(()),
                Err(refusal) => Err(refusal.reason),
            };
            (action, verdict)
        })
        .collect()
}

/// What a tenant's own people and their API tokens may still do while the
/// tenant is in a state. The vendor's platform-wide grants are never limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantAccess {
    /// Everything their roles grant.
    Full,
    /// Read only: a maintenance, backup or restore is under way.
    ReadOnly,
    /// Sign in and read the tenant's page (which says why), nothing else.
    SignInOnly,
    /// Nothing: the tenant's access was revoked with the tenant.
    Revoked,
}

/// What a tenant binding keeps under `ReadOnly`.
const READ_ONLY: [Permission; 3] = [
    Permission::TenantRead,
    Permission::ReportRead,
    Permission::AuditRead,
];
/// What a tenant binding keeps under `SignInOnly`.
const SIGN_IN_ONLY: [Permission; 1] = [Permission::TenantRead];

impl TenantAccess {
    /// The permissions a tenant binding keeps; `None` keeps them all.
    pub fn kept(self) -> Option<&'static [Permission]> {
        match self {
            Self::Full => None,
            Self::ReadOnly => Some(&READ_ONLY),
            Self::SignInOnly => Some(&SIGN_IN_ONLY),
            Self::Revoked => Some(&[]),
        }
    }

    /// What an API token of the tenant's people keeps: signing in to read a
    /// banner is for people, so a suspended tenant's tokens keep nothing.
    pub fn kept_by_api_token(self) -> Option<&'static [Permission]> {
        match self {
            Self::SignInOnly => Some(&[]),
            other => other.kept(),
        }
    }

    /// Whether the tenant's agents get new work (rollout assignments).
    pub fn agents_get_work(self) -> bool {
        matches!(self, Self::Full | Self::ReadOnly)
    }

    /// Whether the tenant's agents are heard at all (reports, progress).
    pub fn agents_heard(self) -> bool {
        self != Self::Revoked
    }

    /// One sentence for the tenant page and for a refusal.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Full => "Its people and API tokens work as their roles allow.",
            Self::ReadOnly => {
                "Its people and API tokens can read but change nothing until the work ends."
            }
            Self::SignInOnly => {
                "Its people can sign in and read this page, nothing else; its API tokens are refused. Contact the vendor's support to resume it."
            }
            Self::Revoked => "Its people, API tokens and agents have no access.",
        }
    }
}

impl LifecycleState {
    /// The one table of what each state leaves the tenant's own people.
    pub fn tenant_access(self) -> TenantAccess {
        use LifecycleState::*;
        match self {
            Draft | Provisioning | Active | Broken | Upgrading | Testing => TenantAccess::Full,
            Maintenance | BackingUp | Restoring => TenantAccess::ReadOnly,
            Suspended => TenantAccess::SignInOnly,
            Archived | Deleted => TenantAccess::Revoked,
        }
    }

    /// Why a tenant's own person was refused in this state, naming the
    /// tenant; a read-only state also says when it is expected to end
    /// (`expected_end`: the end of the maintenance window it runs in).
    pub fn access_refusal(self, tenant: &str, expected_end: Option<&str>) -> String {
        let mut text = format!(
            "Tenant {tenant} is {}. {}",
            self.label().to_lowercase(),
            self.tenant_access().describe()
        );
        if self.tenant_access() == TenantAccess::ReadOnly {
            match expected_end {
                Some(end) => text.push_str(&format!(" Expected to end by {end}.")),
                None => text.push_str(
                    " No end is scheduled (it is outside any maintenance window): ask the vendor's support when it ends.",
                ),
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn only_drafts_and_retired_tenants_run_no_software() {
        let idle: Vec<LifecycleState> = LifecycleState::ALL
            .into_iter()
            .filter(|s| !s.runs_software())
            .collect();
        assert_eq!(
            idle,
            [
                LifecycleState::Draft,
                LifecycleState::Archived,
                LifecycleState::Deleted
            ]
        );
    }

    #[test]
    fn each_state_says_what_the_tenants_people_keep() {
        use crate::domain::access::permission::Permission;
        assert_eq!(LifecycleState::Active.tenant_access().kept(), None);
        assert_eq!(LifecycleState::Broken.tenant_access(), TenantAccess::Full);
        let read_only = LifecycleState::Maintenance.tenant_access().kept().unwrap();
        assert!(read_only.contains(&Permission::TenantRead));
        assert!(!read_only.contains(&Permission::TenantManage));
        assert!(!read_only.contains(&Permission::UpdateApprove));
        assert_eq!(
            LifecycleState::Suspended.tenant_access().kept(),
            Some(&[Permission::TenantRead][..])
        );
        assert_eq!(
            LifecycleState::Archived.tenant_access().kept(),
            Some(&[][..])
        );
        let suspended = LifecycleState::Suspended.tenant_access();
        assert!(suspended.agents_heard() && !suspended.agents_get_work());
        assert!(!LifecycleState::Deleted.tenant_access().agents_heard());
        assert_eq!(
            LifecycleState::Suspended
                .tenant_access()
                .kept_by_api_token(),
            Some(&[][..]),
            "a suspended tenant's tokens are refused outright"
        );
        assert!(
            LifecycleState::Suspended
                .access_refusal("acme", None)
                .starts_with("Tenant acme is suspended.")
        );
    }

    #[test]
    fn a_read_only_refusal_names_the_expected_end_or_says_there_is_none() {
        let in_window =
            LifecycleState::Maintenance.access_refusal("acme", Some("Sun 06:00 (Europe/Berlin)"));
        assert!(in_window.contains("change nothing"), "{in_window}");
        assert!(in_window.ends_with("Expected to end by Sun 06:00 (Europe/Berlin)."));
        let open_ended = LifecycleState::BackingUp.access_refusal("acme", None);
        assert!(open_ended.contains("No end is scheduled"), "{open_ended}");
        assert!(
            !LifecycleState::Suspended
                .access_refusal("acme", Some("Sun 06:00"))
                .contains("Expected"),
            "only read-only work has an expected end"
        );
    }

    use super::*;

    #[test]
    fn every_state_round_trips_through_its_stored_name() {
        for state in LifecycleState::ALL {
            assert_eq!(LifecycleState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn unknown_state_names_are_not_states() {
        assert_eq!(LifecycleState::parse("ACTIVE"), None);
        assert_eq!(LifecycleState::parse(""), None);
    }

    #[test]
    fn work_in_progress_states_share_the_info_tone() {
        for state in [
            LifecycleState::Provisioning,
            LifecycleState::Upgrading,
            LifecycleState::Testing,
        ] {
            assert_eq!(state.tone(), Tone::Info);
        }
        assert_eq!(LifecycleState::Broken.tone(), Tone::Danger);
    }

    // ----- state machine -----

    /// What the table in PRODUCT.md says for one (state, action) pair.
    #[derive(Debug, PartialEq)]
    enum Expect {
        /// Takes effect at once.
        Go(LifecycleState),
        /// Passes through a working state first.
        Via(LifecycleState, LifecycleState),
        /// Already took effect: idempotent no-op.
        Done,
        /// Refused.
        No,
    }

    fn outcome(state: LifecycleState, action: LifecycleAction) -> Expect {
        match plan_transition(state, action) {
            Ok(plan) if plan.already_done => {
                assert_eq!(plan.via, None, "{state:?} {action:?}");
                assert_eq!(plan.target, state, "{state:?} {action:?}");
                Expect::Done
            }
            Ok(TransitionPlan {
                via: None, target, ..
            }) => Expect::Go(target),
            Ok(TransitionPlan {
                via: Some(via),
                target,
                ..
            }) => Expect::Via(via, target),
            Err(_) => Expect::No,
        }
    }

    #[test]
    fn every_state_and_action_pair_follows_the_product_table() {
        use Expect::*;
        use LifecycleState as S;
        const N: Expect = No;
        // Columns, in LifecycleAction::ALL order:
        //   activate, enter_maintenance, exit_maintenance, back_up, restore,
        //   upgrade, validate_health, suspend, resume, archive, delete
        let table: [(LifecycleState, [Expect; 11]); 12] = [
            (
                S::Draft,
                [
                    Via(S::Provisioning, S::Active),
                    N,
                    N,
                    N,
                    N,
                    N,
                    N,
                    N,
                    N,
                    N,
                    N,
                ],
            ),
            (S::Provisioning, [N, N, N, N, N, N, N, N, N, N, N]),
            (
                S::Active,
                [
                    Done,
                    Go(S::Maintenance),
                    Done,
                    Via(S::BackingUp, S::Active),
                    N,
                    Via(S::Upgrading, S::Active),
                    Via(S::Testing, S::Active),
                    Go(S::Suspended),
                    Done,
                    Go(S::Archived),
                    N,
                ],
            ),
            (
                S::Broken,
                [
                    N,
                    Go(S::Maintenance),
                    N,
                    N,
                    N,
                    N,
                    Via(S::Testing, S::Active),
                    Go(S::Suspended),
                    N,
                    N,
                    N,
                ],
            ),
            (
                S::Maintenance,
                [
                    N,
                    Done,
                    Go(S::Active),
                    Via(S::BackingUp, S::Maintenance),
                    Via(S::Restoring, S::Active),
                    Via(S::Upgrading, S::Active),
                    N,
                    Go(S::Suspended),
                    N,
                    N,
                    N,
                ],
            ),
            (S::BackingUp, [N, N, N, N, N, N, N, N, N, N, N]),
            (S::Restoring, [N, N, N, N, N, N, N, N, N, N, N]),
            (S::Upgrading, [N, N, N, N, N, N, N, N, N, N, N]),
            (S::Testing, [N, N, N, N, N, N, N, N, N, N, N]),
            (
                S::Suspended,
                [N, N, N, N, N, N, N, Done, Go(S::Active), Go(S::Archived), N],
            ),
            (
                S::Archived,
                [
                    N,
                    N,
                    N,
                    N,
                    Via(S::Restoring, S::Active),
                    N,
                    N,
                    N,
                    N,
                    Done,
                    Go(S::Deleted),
                ],
            ),
            (S::Deleted, [N, N, N, N, N, N, N, N, N, N, Done]),
        ];

        let states: Vec<_> = table.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            states,
            LifecycleState::ALL,
            "table rows must cover every state once"
        );
        for (state, row) in &table {
            for (action, expected) in LifecycleAction::ALL.into_iter().zip(row) {
                assert_eq!(
                    &outcome(*state, action),
                    expected,
                    "{} --{}-->",
                    state.as_str(),
                    action.as_str()
                );
            }
        }
    }

    #[test]
    fn repeating_a_move_that_took_effect_is_a_no_op_with_the_same_result() {
        use LifecycleAction as A;
        let settling = [
            A::Activate,
            A::EnterMaintenance,
            A::ExitMaintenance,
            A::Suspend,
            A::Resume,
            A::Archive,
            A::Delete,
        ];
        let mut checked = 0;
        for state in LifecycleState::ALL {
            for action in settling {
                let Ok(first) = plan_transition(state, action) else {
                    continue;
                };
                let again = plan_transition(first.target, action).unwrap();
                assert!(again.already_done, "{state:?} then {action:?} twice");
                assert_eq!(again.via, None);
                assert_eq!(again.target, first.target);
                checked += 1;
            }
        }
        assert!(checked >= 12, "only {checked} repeats exercised");
    }

    #[test]
    fn the_chosen_idempotent_repeats_are_already_done() {
        use LifecycleAction as A;
        use LifecycleState as S;
        for (state, action) in [
            (S::Active, A::Activate),
            (S::Active, A::Resume),
            (S::Active, A::ExitMaintenance),
            (S::Maintenance, A::EnterMaintenance),
            (S::Suspended, A::Suspend),
            (S::Archived, A::Archive),
            (S::Deleted, A::Delete),
        ] {
            assert_eq!(
                plan_transition(state, action),
                Ok(TransitionPlan {
                    via: None,
                    target: state,
                    already_done: true
                }),
                "{state:?} {action:?}"
            );
        }
    }

    #[test]
    fn work_like_backups_and_upgrades_is_never_already_done() {
        use LifecycleAction as A;
        for state in LifecycleState::ALL {
            for action in [A::BackUp, A::Restore, A::Upgrade, A::ValidateHealth] {
                if let Ok(plan) = plan_transition(state, action) {
                    assert!(!plan.already_done, "{state:?} {action:?}");
                    assert!(plan.via.is_some(), "{state:?} {action:?}");
                }
            }
        }
    }

    #[test]
    fn backing_up_returns_to_the_state_it_came_from() {
        for state in [LifecycleState::Active, LifecycleState::Maintenance] {
            let plan = plan_transition(state, LifecycleAction::BackUp).unwrap();
            assert_eq!(plan.via, Some(LifecycleState::BackingUp));
            assert_eq!(plan.target, state);
        }
    }

    #[test]
    fn busy_states_refuse_every_action_and_say_to_wait() {
        let busy: Vec<_> = LifecycleState::ALL
            .into_iter()
            .filter(|s| s.is_transitional())
            .collect();
        assert_eq!(
            busy,
            [
                LifecycleState::Provisioning,
                LifecycleState::BackingUp,
                LifecycleState::Restoring,
                LifecycleState::Upgrading,
                LifecycleState::Testing,
            ]
        );
        for state in busy {
            for action in LifecycleAction::ALL {
                let refusal = plan_transition(state, action).unwrap_err();
                let busy_note = format!("is busy ({})", state.label().to_lowercase());
                assert!(refusal.reason.contains(&busy_note), "{}", refusal.reason);
                assert!(
                    refusal.reason.ends_with("wait until it finishes."),
                    "{}",
                    refusal.reason
                );
            }
        }
        assert_eq!(
            plan_transition(LifecycleState::BackingUp, LifecycleAction::Upgrade)
                .unwrap_err()
                .to_string(),
            "Cannot upgrade while the tenant is busy (backing up); wait until it finishes."
        );
    }

    #[test]
    fn every_refusal_names_the_action_and_says_what_to_do() {
        let mut refusals = 0;
        for state in LifecycleState::ALL {
            for action in LifecycleAction::ALL {
                let Err(refusal) = plan_transition(state, action) else {
                    continue;
                };
                refusals += 1;
                let message = refusal.to_string();
                assert_eq!(message, refusal.reason);
                assert_eq!((refusal.state, refusal.action), (state, action));
                assert!(!message.trim().is_empty());
                assert!(message.starts_with("Cannot "), "{message}");
                assert!(message.ends_with('.'), "{message}");
                assert!(
                    message
                        .to_lowercase()
                        .contains(&action.label().to_lowercase()),
                    "{message} does not name {action:?}"
                );
                assert!(
                    !message.contains("not part of the tenant lifecycle"),
                    "{message}"
                );
            }
        }
        // 132 pairs minus 19 legal moves minus 7 idempotent repeats.
        assert_eq!(refusals, 132 - 19 - 7);
    }

    #[test]
    fn refusals_point_to_the_next_legal_step() {
        use LifecycleAction as A;
        use LifecycleState as S;
        let message = |s, a| plan_transition(s, a).unwrap_err().to_string();
        assert_eq!(
            message(S::Suspended, A::Upgrade),
            "Cannot upgrade a suspended tenant: resume it first."
        );
        assert_eq!(
            message(S::Active, A::Delete),
            "Cannot delete an active tenant: archive it first."
        );
        assert_eq!(
            message(S::Active, A::Restore),
            "Cannot restore an active tenant: enter maintenance first."
        );
        assert_eq!(
            message(S::Deleted, A::Restore),
            "Cannot restore a deleted tenant: deletion is final."
        );
    }

    #[test]
    fn allowed_actions_lists_every_action_with_a_verdict() {
        for state in LifecycleState::ALL {
            let verdicts = allowed_actions(state);
            let actions: Vec<_> = verdicts.iter().map(|(a, _)| *a).collect();
            assert_eq!(actions, LifecycleAction::ALL);
            for (action, verdict) in verdicts {
                match (plan_transition(state, action), verdict) {
                    (Ok(plan), Ok(())) => assert!(!plan.already_done),
                    (Ok(plan), Err(why)) => {
                        assert!(plan.already_done);
                        assert!(why.starts_with("Already "), "{why}");
                    }
                    (Err(refusal), Err(why)) => assert_eq!(refusal.reason, why),
                    (Err(refusal), Ok(())) => panic!("offered a refused action: {refusal}"),
                }
            }
        }
    }

    #[test]
    fn already_done_actions_are_not_offered_and_say_why() {
        let verdict = |state, action| {
            allowed_actions(state)
                .into_iter()
                .find(|(a, _)| *a == action)
                .unwrap()
                .1
        };
        use LifecycleAction as A;
        use LifecycleState as S;
        assert_eq!(
            verdict(S::Suspended, A::Suspend),
            Err("Already suspended.".to_string())
        );
        assert_eq!(
            verdict(S::Maintenance, A::EnterMaintenance),
            Err("Already in maintenance.".to_string())
        );
        assert_eq!(
            verdict(S::Active, A::ExitMaintenance),
            Err("Already out of maintenance.".to_string())
        );
        assert_eq!(
            verdict(S::Active, A::Resume),
            Err("Already active.".to_string())
        );
        assert_eq!(verdict(S::Suspended, A::Resume), Ok(()));
    }

    #[test]
    fn every_action_round_trips_through_its_stored_name() {
        for action in LifecycleAction::ALL {
            assert_eq!(LifecycleAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(
            LifecycleAction::EnterMaintenance.as_str(),
            "enter_maintenance"
        );
        assert_eq!(
            LifecycleAction::EnterMaintenance.label(),
            "Enter maintenance"
        );
        assert_eq!(LifecycleAction::parse("Enter maintenance"), None);
    }

    #[test]
    fn actions_serialize_as_their_stored_names() {
        for action in LifecycleAction::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert_eq!(
                serde_json::from_str::<LifecycleAction>(&json).unwrap(),
                action
            );
        }
    }

    #[test]
    fn residency_is_checked_again_whenever_a_tenant_comes_into_service() {
        use LifecycleAction as A;
        use LifecycleState as S;
        let into_service: Vec<_> = LifecycleState::ALL
            .into_iter()
            .flat_map(|state| LifecycleAction::ALL.map(|action| (state, action)))
            .filter(|(state, action)| brings_into_service(*state, *action))
            .collect();
        assert_eq!(
            into_service,
            vec![
                (S::Draft, A::Activate),
                (S::Suspended, A::Resume),
                (S::Archived, A::Restore)
            ]
        );
        // Each of them is a legal move that ends active.
        for (state, action) in into_service {
            assert_eq!(plan_transition(state, action).unwrap().target, S::Active);
        }
        // Coming back from maintenance keeps the tenant where it already was.
        assert!(!brings_into_service(S::Maintenance, A::ExitMaintenance));
        assert!(!brings_into_service(S::Maintenance, A::Restore));
    }
}
