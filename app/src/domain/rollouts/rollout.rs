//! Rollouts: one change taken across many tenants in waves (a canary first,
//! then ever larger groups). The pure rules: reading the wave plan a person
//! types, sizing the waves for a target count, and deciding after each
//! result whether a wave keeps going, lets the next one start, or halts the
//! whole rollout.

use serde::{Deserialize, Serialize};

use crate::domain::releases::compliance::ComplianceKind;
use crate::domain::validation::FieldErrors;

const WAVE_SPLIT_EXAMPLE: &str = "e.g. 1, 10, 50 (a final wave takes the rest)";

/// Reads a wave plan: cumulative percentages of the targets, such as
/// `1, 10, 50` or `1 % → 10 % → 50 % → rest`. Commas, semicolons, arrows and
/// spaces all separate; `%` is optional. A final wave to 100 % is appended
/// when the last one stops short (that is what `rest` means, written or not).
/// An empty plan is a single wave of everything.
pub fn parse_wave_splits(raw: &str) -> Result<Vec<u32>, String> {
    let cleaned = raw
        .replace("→", " ")
        .replace("->", " ")
        .replace([',', ';', '>', '%'], " ");
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    let mut waves: Vec<u32> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        if token.eq_ignore_ascii_case("rest") {
            if index + 1 != tokens.len() {
                return Err(format!(
                    "'rest' can only be the last wave; {WAVE_SPLIT_EXAMPLE}."
                ));
            }
            break;
        }
        let Ok(percent) = token.parse::<u32>() else {
            return Err(format!(
                "'{token}' is not a whole percentage; write cumulative percentages, {WAVE_SPLIT_EXAMPLE}."
            ));
        };
        if !(1..=100).contains(&percent) {
            return Err(format!(
                "Each wave is a cumulative percentage from 1 to 100; {percent} is not."
            ));
        }
        if let Some(&previous) = waves.last()
            && percent <= previous
        {
            return Err(format!(
                "Waves are cumulative, so each must be larger than the one before: {percent} comes after {previous}."
            ));
        }
        waves.push(percent);
    }
    if waves.last().is_none_or(|&last| last < 100) {
        waves.push(100);
    }
    Ok(waves)
}

/// How many targets each wave takes, for `target_count` targets and a plan of
/// cumulative percentages. Each cumulative share is rounded up, so a 1 %
/// canary of 200 tenants is 2 tenants and of 3 tenants is still 1 (never 0).
/// Every wave takes at least one target while any remain, waves with
/// nothing left are dropped, and a plan that stops short of 100 % gets a final
/// wave with the rest: the sizes always add up to `target_count`.
pub fn wave_sizes(target_count: usize, cumulative_percent: &[u32]) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut covered = 0usize;
    for &percent in cumulative_percent {
        if covered == target_count {
            break;
        }
        let share = (target_count as u128 * u128::from(percent.min(100))).div_ceil(100) as usize;
        let cumulative = share.max(covered + 1).min(target_count);
        sizes.push(cumulative - covered);
        covered = cumulative;
    }
    if covered < target_count {
        sizes.push(target_count - covered);
    }
    sizes
}

/// Counts for one wave. Targets not yet started are `pending`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveProgress {
    pub total: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub running: u32,
}

impl WaveProgress {
    pub fn pending(&self) -> u32 {
        self.total
            .saturating_sub(self.succeeded)
            .saturating_sub(self.failed)
            .saturating_sub(self.running)
    }

    pub fn finished(&self) -> u32 {
        self.succeeded + self.failed
    }

    pub fn is_finished(&self) -> bool {
        self.running == 0 && self.pending() == 0
    }
}

/// When a wave may hand over to the next, and when failures stop everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Share of a wave's targets (percent) that must succeed before the next
    /// wave starts.
    pub success_percent: u32,
    /// Share of a wave's targets (percent) that may fail; one more halts the
    /// rollout at once, without waiting for the wave to finish.
    pub error_percent: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            success_percent: 95,
            error_percent: 10,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaveDecision {
    /// The wave is still running and nothing is wrong yet.
    Continue,
    /// The wave finished well enough: the next wave may start.
    Advance,
    /// Stop the rollout; `reason` is the sentence shown to operators.
    Halt { reason: String },
}

/// What to do with wave `wave_number` (1-based, for messages) given its
/// progress so far.
///
/// Failures are checked first and halt as soon as they are strictly over the
/// error threshold, so a bad release stops early instead of failing a whole
/// wave; an error threshold of 0 halts on the first failure. A finished wave
/// advances when its successes reach the success threshold (equal is
/// enough). An empty wave has nothing to wait for and advances.
pub fn wave_decision(
    wave_number: u32,
    progress: &WaveProgress,
    thresholds: &Thresholds,
) -> WaveDecision {
    let total = u64::from(progress.total);
    if total == 0 {
        return WaveDecision::Advance;
    }
    let failed = u64::from(progress.failed);
    if failed * 100 > u64::from(thresholds.error_percent) * total {
        return WaveDecision::Halt {
            reason: format!(
                "Wave {wave_number}: {} of {} targets failed ({} %), over the {} % error threshold.",
                progress.failed,
                progress.total,
                percent_text(progress.failed, progress.total),
                thresholds.error_percent
            ),
        };
    }
    if !progress.is_finished() {
        return WaveDecision::Continue;
    }
    if u64::from(progress.succeeded) * 100 >= u64::from(thresholds.success_percent) * total {
        WaveDecision::Advance
    } else {
        WaveDecision::Halt {
            reason: format!(
                "Wave {wave_number} finished with {} of {} targets succeeded ({} %), below the {} % needed to advance.",
                progress.succeeded,
                progress.total,
                percent_text(progress.succeeded, progress.total),
                thresholds.success_percent
            ),
        }
    }
}

/// `part` of `whole` as a percentage for messages: whole numbers stay whole
/// ("30"), others get one decimal ("33.3").
fn percent_text(part: u32, whole: u32) -> String {
    let scaled = u64::from(part) * 100;
    let whole = u64::from(whole);
    if scaled % whole == 0 {
        (scaled / whole).to_string()
    } else {
        format!("{:.1}", scaled as f64 / whole as f64)
    }
}

/// Reads the two thresholds of a rollout form, reporting both fields at once.
pub fn parse_thresholds(success: &str, error: &str) -> Result<Thresholds, FieldErrors> {
    let mut errors = FieldErrors::default();
    let success_percent = parse_percent(success).unwrap_or_else(|| {
        errors.push(
            "success_threshold",
            "Enter the success threshold as a whole percentage from 0 to 100, e.g. 95.",
        );
        0
    });
    let error_percent = parse_percent(error).unwrap_or_else(|| {
        errors.push(
            "error_threshold",
            "Enter the error threshold as a whole percentage from 0 to 100, e.g. 10.",
        );
        0
    });
    errors.into_result(|| Thresholds {
        success_percent,
        error_percent,
    })
}

/// A whole percentage 0..=100, with an optional `%`.
fn parse_percent(raw: &str) -> Option<u32> {
    let digits = raw.trim().trim_end_matches('%').trim_end();
    digits.parse::<u32>().ok().filter(|p| *p <= 100)
}

pub const MAX_CONCURRENCY: u32 = 1000;

/// How many targets of a wave may run at the same time.
pub fn parse_concurrency(raw: &str) -> Result<u32, String> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_CONCURRENCY).contains(n))
        .ok_or_else(|| {
            format!(
                "Enter how many targets may run at once: a whole number from 1 to {MAX_CONCURRENCY}."
            )
        })
}

/// Successes among finished targets, in percent; `None` before anything finished.
pub fn success_rate(succeeded: u32, finished: u32) -> Option<f64> {
    (finished > 0).then(|| f64::from(succeeded) * 100.0 / f64::from(finished))
}

/// One line of an explicit wave plan: named tenants, a filter, or the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaveRule {
    /// `acme-prod, globex-eu`
    Tenants(Vec<String>),
    /// `region=eu-central-1 label=canary`: every term must match.
    Filter(Vec<(FilterKey, String)>),
    /// `rest`: every candidate no earlier line took.
    Rest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKey {
    Plan,
    Region,
    Label,
    Version,
    Compliance,
}

/// What a wave rule can look at in a target tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidate {
    pub slug: String,
    pub plan: String,
    pub region: String,
    pub labels: Vec<String>,
    pub version: Option<String>,
    pub compliance: Option<ComplianceKind>,
}

/// Reads an explicit wave plan, one wave per line: tenant slugs separated by
/// commas, or `key=value` terms (plan, region, label, version, compliance)
/// that must all match, or `rest`. Errors name the line.
pub fn parse_wave_rules(raw: &str) -> Result<Vec<WaveRule>, String> {
    let mut rules = vec![];
    for (number, line) in raw.lines().map(str::trim).enumerate() {
        if line.is_empty() {
            continue;
        }
        let line_number = number + 1;
        if line.eq_ignore_ascii_case("rest") {
            rules.push(WaveRule::Rest);
            continue;
        }
        if line.contains('=') {
            let mut terms = vec![];
            for term in line.split([' ', ',']).filter(|t| !t.is_empty()) {
                let Some((key, value)) = term.split_once('=') else {
                    return Err(format!("Line {line_number}: '{term}' is not key=value."));
                };
                let key = match key.trim().to_lowercase().as_str() {
                    "plan" => FilterKey::Plan,
                    "region" => FilterKey::Region,
                    "label" => FilterKey::Label,
                    "version" => FilterKey::Version,
                    "compliance" => FilterKey::Compliance,
                    other => {
                        return Err(format!(
                            "Line {line_number}: '{other}' is not a filter; use plan, region, label, version or compliance."
                        ));
                    }
                };
                if value.trim().is_empty() {
                    return Err(format!("Line {line_number}: give {term} a value."));
                }
                if key == FilterKey::Compliance && ComplianceKind::parse(value.trim()).is_none() {
                    return Err(format!(
                        "Line {line_number}: '{}' is not a compliance status; use compliant, outdated, in_grace, non_compliant or eol.",
                        value.trim()
                    ));
                }
                terms.push((key, value.trim().to_owned()));
            }
            rules.push(WaveRule::Filter(terms));
        } else {
            let slugs: Vec<String> = line
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            rules.push(WaveRule::Tenants(slugs));
        }
    }
    if rules.iter().rev().skip(1).any(|r| *r == WaveRule::Rest) {
        return Err("'rest' can only be the last wave.".into());
    }
    Ok(rules)
}

impl WaveRule {
    fn matches(&self, candidate: &Candidate) -> bool {
        match self {
            WaveRule::Rest => true,
            WaveRule::Tenants(slugs) => slugs.iter().any(|s| *s == candidate.slug),
            WaveRule::Filter(terms) => terms.iter().all(|(key, value)| match key {
                FilterKey::Plan => candidate.plan == *value,
                FilterKey::Region => candidate.region == *value,
                FilterKey::Label => candidate.labels.iter().any(|l| l == value),
                FilterKey::Version => candidate.version.as_deref() == Some(value.as_str()),
                FilterKey::Compliance => {
                    candidate.compliance.map(ComplianceKind::as_str) == Some(value.as_str())
                }
            }),
        }
    }
}

/// The wave (0-based) of each candidate: the first line that matches it;
/// `None` when no line does (it is not part of the rollout).
pub fn assign_waves(rules: &[WaveRule], candidates: &[Candidate]) -> Vec<Option<usize>> {
    candidates
        .iter()
        .map(|c| rules.iter().position(|rule| rule.matches(c)))
        .collect()
}

/// What a rollout upgrades: tenants (a change request each) or endpoints
/// (each agent fetches its assignment and installs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RolloutScope {
    Tenants,
    Endpoints,
}

impl RolloutScope {
    pub const ALL: [RolloutScope; 2] = [Self::Tenants, Self::Endpoints];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenants => "tenants",
            Self::Endpoints => "endpoints",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == raw)
    }
}

/// Where a rollout stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RolloutStatus {
    PendingApproval,
    Scheduled,
    Running,
    Paused,
    /// Halted by a failure under "stop on error"; retrying resumes it.
    Stopped,
    Aborted,
    Succeeded,
}

impl RolloutStatus {
    pub const ALL: [RolloutStatus; 7] = [
        Self::PendingApproval,
        Self::Scheduled,
        Self::Running,
        Self::Paused,
        Self::Stopped,
        Self::Aborted,
        Self::Succeeded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingApproval => "pending_approval",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
            Self::Aborted => "aborted",
            Self::Succeeded => "succeeded",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PendingApproval => "Pending approval",
            Self::Scheduled => "Scheduled",
            Self::Running => "Running",
            Self::Paused => "Paused",
            Self::Stopped => "Stopped",
            Self::Aborted => "Aborted",
            Self::Succeeded => "Succeeded",
        }
    }
}

/// Where one tenant (or endpoint) of a rollout stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum TargetStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    /// Never started: the rollout was aborted first.
    Skipped,
}

impl TargetStatus {
    pub const ALL: [TargetStatus; 5] = [
        Self::Pending,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// What an operator may ask of a rollout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RolloutAction {
    Approve,
    Pause,
    Resume,
    Abort,
    RetryFailed,
}

impl RolloutAction {
    /// In button order.
    pub const ALL: [RolloutAction; 5] = [
        Self::Approve,
        Self::Pause,
        Self::Resume,
        Self::Abort,
        Self::RetryFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Abort => "abort",
            Self::RetryFailed => "retry_failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Approve => "Approve",
            Self::Pause => "Pause",
            Self::Resume => "Resume",
            Self::Abort => "Abort",
            Self::RetryFailed => "Retry failed",
        }
    }
}

/// Where an operator action takes a rollout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RolloutMove {
    pub to: RolloutStatus,
    /// Resuming or retrying clears the reason it halted.
    pub clears_halt: bool,
}

/// The rollout state machine for operator actions; `Err` is the sentence to show.
pub fn rollout_move(action: RolloutAction, status: RolloutStatus) -> Result<RolloutMove, String> {
    use RolloutAction as A;
    use RolloutStatus as S;
    let to = |to, clears_halt| Ok(RolloutMove { to, clears_halt });
    match (action, status) {
        (A::Approve, S::PendingApproval) => to(S::Scheduled, false),
        (A::Pause, S::Running | S::Scheduled) => to(S::Paused, false),
        (A::Resume, S::Paused) => to(S::Running, true),
        (A::Abort, S::PendingApproval | S::Scheduled | S::Running | S::Paused) => {
            to(S::Aborted, false)
        }
        (A::RetryFailed, S::Paused | S::Stopped | S::Running) => to(S::Running, true),
        (action, current) => Err(format!(
            "Cannot {} a rollout that is {}.",
            action.label().to_lowercase(),
            current.label().to_lowercase()
        )),
    }
}

/// The actions offered on a rollout in `status`, in button order. Retrying
/// failed targets of a running rollout is legal but not offered: the
/// rollout is still working on them.
pub fn offered_actions(status: RolloutStatus) -> Vec<RolloutAction> {
    RolloutAction::ALL
        .into_iter()
        .filter(|action| {
            !(*action == RolloutAction::RetryFailed && status == RolloutStatus::Running)
        })
        .filter(|action| rollout_move(*action, status).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // ----- wave plans -----

    #[test]
    fn a_comma_separated_plan_gets_a_final_wave_for_the_rest() {
        assert_eq!(parse_wave_splits("1,10,50"), Ok(vec![1, 10, 50, 100]));
        assert_eq!(parse_wave_splits(" 1, 10 , 50 "), Ok(vec![1, 10, 50, 100]));
    }

    #[test]
    fn the_arrow_style_from_the_seed_document_is_understood() {
        assert_eq!(
            parse_wave_splits("1 % → 10 % → 50 % → rest"),
            Ok(vec![1, 10, 50, 100])
        );
        assert_eq!(
            parse_wave_splits("1% -> 10% -> 50% -> Rest"),
            Ok(vec![1, 10, 50, 100])
        );
        assert_eq!(parse_wave_splits("5;25"), Ok(vec![5, 25, 100]));
    }

    #[test]
    fn a_plan_that_reaches_100_gets_no_extra_wave() {
        assert_eq!(parse_wave_splits("10, 100"), Ok(vec![10, 100]));
        assert_eq!(parse_wave_splits("100"), Ok(vec![100]));
        assert_eq!(parse_wave_splits("50, 100, rest"), Ok(vec![50, 100]));
    }

    #[test]
    fn an_empty_plan_is_one_wave_of_everything() {
        assert_eq!(parse_wave_splits(""), Ok(vec![100]));
        assert_eq!(parse_wave_splits("   "), Ok(vec![100]));
        assert_eq!(parse_wave_splits("rest"), Ok(vec![100]));
    }

    #[test]
    fn wave_plans_must_be_increasing_percentages_and_say_how_to_fix_them() {
        assert_eq!(
            parse_wave_splits("10, 5"),
            Err(
                "Waves are cumulative, so each must be larger than the one before: 5 comes after 10."
                    .to_string()
            )
        );
        assert!(
            parse_wave_splits("10, 10")
                .unwrap_err()
                .contains("cumulative")
        );
        assert_eq!(
            parse_wave_splits("0, 50"),
            Err("Each wave is a cumulative percentage from 1 to 100; 0 is not.".to_string())
        );
        assert!(
            parse_wave_splits("50, 150")
                .unwrap_err()
                .contains("150 is not")
        );
        let message = parse_wave_splits("1, ten").unwrap_err();
        assert!(
            message.starts_with("'ten' is not a whole percentage"),
            "{message}"
        );
        assert!(message.contains("e.g. 1, 10, 50"), "{message}");
        assert!(parse_wave_splits("2.5").unwrap_err().contains("'2.5'"));
        assert!(parse_wave_splits("-5").unwrap_err().contains("'-5'"));
        assert!(
            parse_wave_splits("1, rest, 50")
                .unwrap_err()
                .starts_with("'rest' can only be the last wave")
        );
    }

    // ----- wave sizes -----

    #[test]
    fn waves_take_cumulative_shares_rounded_up() {
        assert_eq!(wave_sizes(200, &[1, 10, 50, 100]), [2, 18, 80, 100]);
        assert_eq!(wave_sizes(1000, &[1, 10, 50, 100]), [10, 90, 400, 500]);
        assert_eq!(wave_sizes(150, &[1, 10, 50, 100]), [2, 13, 60, 75]);
    }

    #[test]
    fn small_fleets_get_one_target_per_wave_and_no_empty_waves() {
        assert_eq!(wave_sizes(3, &[1, 10, 50, 100]), [1, 1, 1]);
        assert_eq!(wave_sizes(1, &[1, 10, 50, 100]), [1]);
        assert_eq!(wave_sizes(2, &[1, 10, 50, 100]), [1, 1]);
        assert_eq!(wave_sizes(5, &[1, 10, 50, 100]), [1, 1, 1, 2]);
    }

    #[test]
    fn no_targets_means_no_waves() {
        assert!(wave_sizes(0, &[1, 10, 50, 100]).is_empty());
        assert!(wave_sizes(0, &[]).is_empty());
    }

    #[test]
    fn a_plan_short_of_100_still_covers_every_target() {
        assert_eq!(wave_sizes(200, &[1, 10, 50]), [2, 18, 80, 100]);
        assert_eq!(wave_sizes(7, &[]), [7]);
    }

    #[test]
    fn wave_sizes_always_add_up_to_the_target_count() {
        let plans: [&[u32]; 5] = [
            &[1, 10, 50, 100],
            &[100],
            &[33, 66, 100],
            &[1, 2, 3, 4, 5],
            &[],
        ];
        for targets in 0..=250 {
            for plan in plans {
                let sizes = wave_sizes(targets, plan);
                assert_eq!(sizes.iter().sum::<usize>(), targets, "{targets} {plan:?}");
                assert!(
                    sizes.iter().all(|s| *s > 0),
                    "{targets} {plan:?}: {sizes:?}"
                );
                assert!(sizes.len() <= plan.len().max(1) + 1);
            }
        }
    }

    // ----- wave decisions -----

    const STRICT: Thresholds = Thresholds {
        success_percent: 95,
        error_percent: 20,
    };

    fn progress(total: u32, succeeded: u32, failed: u32, running: u32) -> WaveProgress {
        WaveProgress {
            total,
            succeeded,
            failed,
            running,
        }
    }

    #[test]
    fn pending_is_what_has_not_started() {
        let p = progress(10, 3, 1, 2);
        assert_eq!(p.pending(), 4);
        assert_eq!(p.finished(), 4);
        assert!(!p.is_finished());
        assert!(progress(10, 9, 1, 0).is_finished());
    }

    #[test]
    fn failures_over_the_error_threshold_halt_at_once() {
        assert_eq!(
            wave_decision(2, &progress(10, 1, 3, 5), &STRICT),
            WaveDecision::Halt {
                reason: "Wave 2: 3 of 10 targets failed (30 %), over the 20 % error threshold."
                    .to_string()
            }
        );
    }

    #[test]
    fn failures_exactly_at_the_error_threshold_do_not_halt() {
        // 2 of 10 is 20 %: at the threshold, not over it.
        assert_eq!(
            wave_decision(1, &progress(10, 0, 2, 8), &STRICT),
            WaveDecision::Continue
        );
        // One more is over.
        assert!(matches!(
            wave_decision(1, &progress(10, 0, 3, 7), &STRICT),
            WaveDecision::Halt { .. }
        ));
    }

    #[test]
    fn an_error_threshold_of_zero_halts_on_the_first_failure() {
        let zero = Thresholds {
            success_percent: 0,
            error_percent: 0,
        };
        assert_eq!(
            wave_decision(1, &progress(100, 0, 0, 100), &zero),
            WaveDecision::Continue
        );
        assert_eq!(
            wave_decision(1, &progress(100, 50, 1, 49), &zero),
            WaveDecision::Halt {
                reason: "Wave 1: 1 of 100 targets failed (1 %), over the 0 % error threshold."
                    .to_string()
            }
        );
    }

    #[test]
    fn a_finished_wave_advances_when_successes_reach_the_threshold() {
        // 19 of 20 is exactly 95 %.
        assert_eq!(
            wave_decision(1, &progress(20, 19, 1, 0), &STRICT),
            WaveDecision::Advance
        );
        assert_eq!(
            wave_decision(1, &progress(20, 20, 0, 0), &STRICT),
            WaveDecision::Advance
        );
    }

    #[test]
    fn a_finished_wave_below_the_success_threshold_halts() {
        assert_eq!(
            wave_decision(2, &progress(10, 8, 2, 0), &STRICT),
            WaveDecision::Halt {
                reason: "Wave 2 finished with 8 of 10 targets succeeded (80 %), below the 95 % needed to advance."
                    .to_string()
            }
        );
        // 18 of 20 is 90 %: one short of 19.
        assert!(matches!(
            wave_decision(1, &progress(20, 18, 2, 0), &STRICT),
            WaveDecision::Halt { .. }
        ));
    }

    #[test]
    fn a_wave_still_running_continues_even_if_success_is_already_enough() {
        assert_eq!(
            wave_decision(1, &progress(10, 9, 0, 1), &STRICT),
            WaveDecision::Continue
        );
        assert_eq!(
            wave_decision(1, &progress(10, 9, 0, 0), &STRICT),
            WaveDecision::Continue,
            "one target has not started yet"
        );
    }

    #[test]
    fn an_empty_wave_advances() {
        assert_eq!(
            wave_decision(3, &progress(0, 0, 0, 0), &STRICT),
            WaveDecision::Advance
        );
    }

    #[test]
    fn uneven_percentages_show_one_decimal() {
        let WaveDecision::Halt { reason } =
            wave_decision(4, &progress(3, 1, 2, 0), &Thresholds::default())
        else {
            panic!("expected a halt");
        };
        assert_eq!(
            reason,
            "Wave 4: 2 of 3 targets failed (66.7 %), over the 10 % error threshold."
        );
    }

    #[test]
    fn large_waves_do_not_overflow() {
        assert_eq!(
            wave_decision(1, &progress(u32::MAX, u32::MAX, 0, 0), &STRICT),
            WaveDecision::Advance
        );
    }

    // ----- form fields -----

    #[test]
    fn thresholds_are_whole_percentages_from_0_to_100() {
        assert_eq!(
            parse_thresholds("95", "10"),
            Ok(Thresholds {
                success_percent: 95,
                error_percent: 10
            })
        );
        assert_eq!(
            parse_thresholds(" 100 % ", "0%"),
            Ok(Thresholds {
                success_percent: 100,
                error_percent: 0
            })
        );
    }

    #[test]
    fn bad_thresholds_are_reported_per_field_together() {
        let errors = parse_thresholds("101", "ten").unwrap_err();
        assert_eq!(
            errors.for_field("success_threshold"),
            Some("Enter the success threshold as a whole percentage from 0 to 100, e.g. 95.")
        );
        assert_eq!(
            errors.for_field("error_threshold"),
            Some("Enter the error threshold as a whole percentage from 0 to 100, e.g. 10.")
        );
        let only_error = parse_thresholds("95", "-1").unwrap_err();
        assert_eq!(only_error.0.len(), 1);
        assert!(only_error.for_field("error_threshold").is_some());
        assert!(parse_thresholds("", "10").is_err());
        assert!(parse_thresholds("9.5", "10").is_err());
    }

    #[test]
    fn concurrency_is_between_1_and_1000() {
        assert_eq!(parse_concurrency("1"), Ok(1));
        assert_eq!(parse_concurrency(" 1000 "), Ok(1000));
        let message = "Enter how many targets may run at once: a whole number from 1 to 1000.";
        for bad in ["0", "1001", "", "five", "-3", "2.5"] {
            assert_eq!(parse_concurrency(bad), Err(message.to_string()), "{bad:?}");
        }
    }

    #[test]
    fn success_rate_is_a_percentage_of_finished_targets() {
        assert_eq!(success_rate(0, 0), None);
        assert_eq!(success_rate(3, 4), Some(75.0));
        assert_eq!(success_rate(0, 5), Some(0.0));
        assert_eq!(success_rate(7, 7), Some(100.0));
    }

    fn candidate(slug: &str, region: &str, labels: &[&str]) -> Candidate {
        Candidate {
            slug: slug.into(),
            plan: "starter".into(),
            region: region.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            version: Some("5.1.0".into()),
            compliance: Some(ComplianceKind::Outdated),
        }
    }

    #[test]
    fn an_explicit_wave_plan_takes_named_tenants_then_filters_then_the_rest() {
        let rules = parse_wave_rules("acme-prod, globex\nregion=eu-central-1 label=canary\n\nrest")
            .unwrap();
        assert_eq!(rules.len(), 3);
        let waves = assign_waves(
            &rules,
            &[
                candidate("acme-prod", "us-east-1", &[]),
                candidate("initech", "eu-central-1", &["canary"]),
                candidate("umbrella", "eu-central-1", &[]),
                candidate("globex", "eu-central-1", &["canary"]),
            ],
        );
        assert_eq!(
            waves,
            [Some(0), Some(1), Some(2), Some(0)],
            "the first matching line wins"
        );
    }

    #[test]
    fn without_rest_unmatched_tenants_stay_out_of_the_rollout() {
        let rules = parse_wave_rules("compliance=eol\nversion=5.1.0 plan=starter").unwrap();
        let mut eol = candidate("a", "x", &[]);
        eol.compliance = Some(ComplianceKind::Eol);
        let mut other = candidate("b", "x", &[]);
        other.version = Some("4.0.0".into());
        assert_eq!(
            assign_waves(&rules, &[eol, other, candidate("c", "x", &[])]),
            [Some(0), None, Some(1)]
        );
    }

    #[test]
    fn a_bad_wave_plan_names_its_line() {
        assert_eq!(
            parse_wave_rules("a\ncolour=red").unwrap_err(),
            "Line 2: 'colour' is not a filter; use plan, region, label, version or compliance."
        );
        assert_eq!(
            parse_wave_rules("region=").unwrap_err(),
            "Line 1: give region= a value."
        );
        assert!(
            parse_wave_rules("compliance=late")
                .unwrap_err()
                .starts_with("Line 1: 'late' is not a compliance status"),
        );
        assert_eq!(
            parse_wave_rules("rest\na").unwrap_err(),
            "'rest' can only be the last wave."
        );
    }

    #[test]
    fn rollout_actions_move_it_as_a_table() {
        use RolloutAction as A;
        use RolloutStatus as S;
        for (action, from, to) in [
            (A::Approve, S::PendingApproval, S::Scheduled),
            (A::Pause, S::Running, S::Paused),
            (A::Pause, S::Scheduled, S::Paused),
            (A::Resume, S::Paused, S::Running),
            (A::Abort, S::Paused, S::Aborted),
            (A::RetryFailed, S::Stopped, S::Running),
        ] {
            assert_eq!(
                rollout_move(action, from).map(|m| m.to),
                Ok(to),
                "{action:?} from {from:?}"
            );
        }
        assert_eq!(
            rollout_move(A::Pause, S::PendingApproval),
            Err("Cannot pause a rollout that is pending approval.".into())
        );
        assert_eq!(
            rollout_move(A::Abort, S::Succeeded).map(|m| m.to),
            Err("Cannot abort a rollout that is succeeded.".into())
        );
        assert!(rollout_move(A::Resume, S::Paused).unwrap().clears_halt);
    }

    #[test]
    fn each_status_offers_only_the_actions_that_apply() {
        use RolloutAction as A;
        use RolloutStatus as S;
        assert_eq!(offered_actions(S::PendingApproval), [A::Approve, A::Abort]);
        assert_eq!(offered_actions(S::Running), [A::Pause, A::Abort]);
        assert_eq!(
            offered_actions(S::Paused),
            [A::Resume, A::Abort, A::RetryFailed]
        );
        assert_eq!(offered_actions(S::Stopped), [A::RetryFailed]);
        assert!(offered_actions(S::Succeeded).is_empty());
    }

    #[test]
    fn every_status_and_action_reads_back_from_its_word() {
        for status in RolloutStatus::ALL {
            assert_eq!(RolloutStatus::parse(status.as_str()), Some(status));
        }
        for status in TargetStatus::ALL {
            assert_eq!(TargetStatus::parse(status.as_str()), Some(status));
        }
        for action in RolloutAction::ALL {
            assert_eq!(RolloutAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(RolloutStatus::parse("explode"), None);
        assert_eq!(RolloutAction::parse("explode"), None);
    }
}

/// Properties of the wave planner over any plan a form can produce.
#[cfg(test)]
mod properties {
    use super::{parse_wave_splits, wave_sizes};
    use proptest::prelude::*;

    /// Strictly rising cumulative percentages from 1 to 100, as the parser
    /// accepts them.
    fn plans() -> impl Strategy<Value = Vec<u32>> {
        proptest::collection::btree_set(1u32..=100, 0..8)
            .prop_map(|set| {
                set.into_iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .prop_map(|raw| parse_wave_splits(&raw).expect("rising percentages parse"))
    }

    proptest! {
        #[test]
        fn every_target_lands_in_exactly_one_wave(targets in 0usize..5_000, plan in plans()) {
            let sizes = wave_sizes(targets, &plan);
            prop_assert_eq!(sizes.iter().sum::<usize>(), targets);
            prop_assert!(sizes.iter().all(|&size| size >= 1), "no empty wave: {:?}", sizes);
            prop_assert!(sizes.len() <= plan.len(), "no more waves than planned: {:?} for {:?}", sizes, plan);
        }

        #[test]
        fn each_wave_reaches_at_least_its_share(targets in 1usize..5_000, plan in plans()) {
            let sizes = wave_sizes(targets, &plan);
            let mut covered = 0usize;
            for (size, &percent) in sizes.iter().zip(&plan) {
                covered += size;
                // Rounded up, never below the planned share.
                prop_assert!(covered * 100 >= targets * percent as usize);
            }
        }

        #[test]
        fn a_parsed_plan_rises_and_ends_at_all(raw in "[0-9 ,;>%rest-]{0,24}") {
            if let Ok(plan) = parse_wave_splits(&raw) {
                prop_assert_eq!(plan.last().copied(), Some(100));
                prop_assert!(plan.windows(2).all(|w| w[0] < w[1]), "{:?}", plan);
                prop_assert!(plan.iter().all(|p| (1..=100).contains(p)));
            }
        }
    }
}
