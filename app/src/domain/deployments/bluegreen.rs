//! Blue-green switches: the two slots, the traffic steps, the switch's legal
//! moves, and the analysis that decides after each monitoring interval
//! whether the new slot is healthy enough to keep (or take more) traffic.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Slot {
    Blue,
    Green,
}

impl Slot {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "blue" => Some(Self::Blue),
            "green" => Some(Self::Green),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Green => "green",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Blue => "Blue",
            Self::Green => "Green",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::Blue => Self::Green,
            Self::Green => Self::Blue,
        }
    }
}

/// What moves a deployment's traffic: the built-in simulator (synthetic
/// traffic, for demos and tests) or HAProxy's runtime API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RouterKind {
    Simulator,
    Haproxy,
}

impl RouterKind {
    pub const ALL: [RouterKind; 2] = [Self::Simulator, Self::Haproxy];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simulator => "simulator",
            Self::Haproxy => "haproxy",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Simulator => "Simulator",
            Self::Haproxy => "HAProxy",
        }
    }
}

/// What a slot is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SlotState {
    /// Serves the traffic.
    Live,
    /// The previous live slot after a switch: kept for a quick rollback.
    Standby,
    Idle,
    /// Getting the new version installed.
    Preparing,
    /// Running the health baseline before any traffic.
    Validating,
    /// Taking traffic step by step.
    TakingTraffic,
    Failed,
}

impl SlotState {
    pub const ALL: [SlotState; 7] = [
        Self::Live,
        Self::Standby,
        Self::Idle,
        Self::Preparing,
        Self::Validating,
        Self::TakingTraffic,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Standby => "standby",
            Self::Idle => "idle",
            Self::Preparing => "preparing",
            Self::Validating => "validating",
            Self::TakingTraffic => "taking_traffic",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }
}

/// A slot's health as its last baseline run found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SlotHealth {
    Healthy,
    Unhealthy,
    /// Not checked yet (a new slot, or a new version before its baseline).
    Unknown,
}

impl SlotHealth {
    pub const ALL: [SlotHealth; 3] = [Self::Healthy, Self::Unhealthy, Self::Unknown];

    pub fn of(passed: bool) -> Self {
        if passed {
            Self::Healthy
        } else {
            Self::Unhealthy
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|health| health.as_str() == raw)
    }
}

/// What an entry of a deployment's timeline records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SwitchEventKind {
    /// A switch was asked for.
    Switch,
    /// The workflow moved on: prepared, validated, a traffic step.
    Step,
    /// The analysis decided: completed, rolled back.
    Decision,
    /// A health check failed.
    Health,
    /// A person acted: pause, resume, promote, roll back, abort.
    Action,
    Note,
}

impl SwitchEventKind {
    pub const ALL: [SwitchEventKind; 6] = [
        Self::Switch,
        Self::Step,
        Self::Decision,
        Self::Health,
        Self::Action,
        Self::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Switch => "switch",
            Self::Step => "step",
            Self::Decision => "decision",
            Self::Health => "health",
            Self::Action => "action",
            Self::Note => "note",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// Router weights (percent of traffic) of blue and green when `to` takes
/// `percent` of the traffic and the other slot the rest.
pub fn weights(to: Slot, percent: u8) -> (i32, i32) {
    let taking = i32::from(percent.min(100));
    match to {
        Slot::Blue => (taking, 100 - taking),
        Slot::Green => (100 - taking, taking),
    }
}

/// Parses traffic steps such as `10, 50, 100`: whole percentages, rising,
/// ending at 100 (the switch is complete only when all traffic moved).
pub fn parse_steps(raw: &str) -> Result<Vec<u8>, String> {
    let mut steps = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let value: u8 = part
            .trim_end_matches('%')
            .trim()
            .parse()
            .ok()
            .filter(|v| (1..=100).contains(v))
            .ok_or_else(|| format!("'{part}' is not a percentage from 1 to 100."))?;
        if steps.last().is_some_and(|last| *last >= value) {
            return Err("Each step must move more traffic than the one before.".into());
        }
        steps.push(value);
    }
    match steps.last() {
        None => Err("Give at least one step, for example 10, 50, 100.".into()),
        Some(100) => Ok(steps),
        Some(_) => Err("The last step must be 100 (all traffic on the new slot).".into()),
    }
}

/// Valid traffic steps (rising whole percentages ending at 100), as a
/// deployment's settings and each switch keep them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficSteps(Vec<u8>);

impl TrafficSteps {
    pub fn parse(raw: &str) -> Result<Self, String> {
        parse_steps(raw).map(Self)
    }

    /// 10 % → 50 % → 100 %.
    pub fn default_steps() -> Self {
        Self(vec![10, 50, 100])
    }

    /// `10, 50, 100`.
    pub fn as_str(&self) -> String {
        format_steps(&self.0)
    }
}

impl std::ops::Deref for TrafficSteps {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Steps as the settings store and show them: `10, 50, 100`.
pub fn format_steps(steps: &[u8]) -> String {
    steps
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The longest bake time and monitoring interval a switch takes (a day, an hour).
pub const MAX_BAKE_SECONDS: i32 = 86_400;
pub const MAX_INTERVAL_SECONDS: i32 = 3_600;

/// Problems with a bake time per step and a monitoring interval, by field.
pub fn timing_problems(
    bake_seconds: i32,
    interval_seconds: i32,
) -> Vec<(&'static str, &'static str)> {
    let mut problems = Vec::new();
    if !(0..=MAX_BAKE_SECONDS).contains(&bake_seconds) {
        problems.push(("bake_seconds", "Give a bake time from 0 to 86400 seconds."));
    }
    if !(1..=MAX_INTERVAL_SECONDS).contains(&interval_seconds) {
        problems.push((
            "interval_seconds",
            "Give an interval from 1 to 3600 seconds.",
        ));
    }
    problems
}

/// A step has baked once its bake time passed since it took traffic.
pub fn step_baked(seconds_since_start: i64, bake_seconds: i32) -> bool {
    seconds_since_start >= i64::from(bake_seconds)
}

/// When the analysis rolls a switch back. Rates are percentages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Thresholds {
    /// Highest error rate (5xx) the new slot may show in an interval.
    pub max_error_rate: f64,
    /// Highest latency (ms) the new slot may show in an interval.
    pub max_latency_ms: f64,
    /// How many percentage points the new slot's error rate may exceed the
    /// live slot's over the same interval.
    pub max_error_rate_over_live: f64,
    /// How many times the live slot's latency the new slot may show.
    pub max_latency_ratio_to_live: f64,
    /// Fewer requests than this in an interval judge nothing.
    pub min_requests: u64,
    /// Health-check failures in a row that roll back.
    pub max_consecutive_failures: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            max_error_rate: 5.0,
            max_latency_ms: 500.0,
            max_error_rate_over_live: 2.0,
            max_latency_ratio_to_live: 2.0,
            min_requests: 20,
            max_consecutive_failures: 3,
        }
    }
}

impl Thresholds {
    /// Field-level problems, keyed by field name.
    pub fn problems(&self) -> Vec<(&'static str, &'static str)> {
        let mut problems = Vec::new();
        if !(0.0..=100.0).contains(&self.max_error_rate) {
            problems.push((
                "max_error_rate",
                "Give an error rate from 0 to 100 (percent).",
            ));
        }
        if !(self.max_latency_ms > 0.0) {
            problems.push(("max_latency_ms", "Give a latency limit above 0 ms."));
        }
        if !(0.0..=100.0).contains(&self.max_error_rate_over_live) {
            problems.push((
                "max_error_rate_over_live",
                "Give percentage points from 0 to 100.",
            ));
        }
        if !(self.max_latency_ratio_to_live >= 1.0) {
            problems.push((
                "max_latency_ratio_to_live",
                "Give a factor of at least 1 (1.5 = half as slow again as the live slot).",
            ));
        }
        if self.max_consecutive_failures == 0 {
            problems.push((
                "max_consecutive_failures",
                "Give at least 1 failed check in a row.",
            ));
        }
        problems
    }
}

/// Relative latency is not judged below this: 3 ms against 1 ms is noise,
/// not a slow release.
pub const RELATIVE_LATENCY_FLOOR_MS: f64 = 25.0;

/// What one slot served in one monitoring interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IntervalStats {
    pub requests: u64,
    pub errors: u64,
    pub latency_ms: f64,
}

impl IntervalStats {
    /// Error rate in percent (0 without requests).
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 * 100.0 / self.requests as f64
        }
    }
}

/// A router's cumulative counters for one slot at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CounterReading {
    pub requests: u64,
    pub errors: u64,
    /// The router's current latency figure (not cumulative).
    pub latency_ms: f64,
}

/// The interval between two readings. Counters that went down were reset
/// (the router restarted): everything counted since is the interval.
pub fn interval_between(before: CounterReading, after: CounterReading) -> IntervalStats {
    let reset = after.requests < before.requests || after.errors < before.errors;
    let (requests, errors) = if reset {
        (after.requests, after.errors)
    } else {
        (
            after.requests - before.requests,
            after.errors - before.errors,
        )
    };
    IntervalStats {
        requests,
        errors: errors.min(requests),
        latency_ms: if requests == 0 { 0.0 } else { after.latency_ms },
    }
}

/// The analysis of one interval.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Healthy,
    /// Too few requests reached the new slot to judge it.
    TooLittleTraffic,
    RollBack(String),
}

/// Judges the new slot after one interval, against the absolute thresholds
/// and against the live slot over the same interval.
pub fn analyze(
    thresholds: &Thresholds,
    candidate: &IntervalStats,
    live: &IntervalStats,
    consecutive_check_failures: u32,
) -> Verdict {
    if consecutive_check_failures >= thresholds.max_consecutive_failures {
        return Verdict::RollBack(format!(
            "The health check failed {consecutive_check_failures} times in a row (limit {}).",
            thresholds.max_consecutive_failures
        ));
    }
    if candidate.requests < thresholds.min_requests.max(1) {
        return Verdict::TooLittleTraffic;
    }
    let error_rate = candidate.error_rate();
    if error_rate > thresholds.max_error_rate {
        return Verdict::RollBack(format!(
            "Error rate {error_rate:.1} % over {} requests is above the limit of {:.1} %.",
            candidate.requests, thresholds.max_error_rate
        ));
    }
    if candidate.latency_ms > thresholds.max_latency_ms {
        return Verdict::RollBack(format!(
            "Latency {:.0} ms is above the limit of {:.0} ms.",
            candidate.latency_ms, thresholds.max_latency_ms
        ));
    }
    // Compared with the live slot only when the live slot served enough to
    // be a fair reference.
    if live.requests >= thresholds.min_requests.max(1) {
        let live_rate = live.error_rate();
        if error_rate - live_rate > thresholds.max_error_rate_over_live {
            return Verdict::RollBack(format!(
                "Error rate {error_rate:.1} % is {:.1} points above the live slot's {live_rate:.1} % (limit {:.1}).",
                error_rate - live_rate,
                thresholds.max_error_rate_over_live
            ));
        }
        if candidate.latency_ms >= RELATIVE_LATENCY_FLOOR_MS
            && live.latency_ms > 0.0
            && candidate.latency_ms > live.latency_ms * thresholds.max_latency_ratio_to_live
        {
            return Verdict::RollBack(format!(
                "Latency {:.0} ms is more than {:.1} × the live slot's {:.0} ms.",
                candidate.latency_ms, thresholds.max_latency_ratio_to_live, live.latency_ms
            ));
        }
    }
    Verdict::Healthy
}

/// A switch's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SwitchStatus {
    /// The executor deploys the release to the idle slot.
    Preparing,
    /// The health baseline runs against the idle slot.
    Validating,
    /// Traffic moves in steps, each baked and monitored.
    Shifting,
    Paused,
    Completed,
    RolledBack,
    Aborted,
    Failed,
}

impl SwitchStatus {
    pub const ACTIVE: [SwitchStatus; 4] = [
        Self::Preparing,
        Self::Validating,
        Self::Shifting,
        Self::Paused,
    ];

    pub const ALL: [SwitchStatus; 8] = [
        Self::Preparing,
        Self::Validating,
        Self::Shifting,
        Self::Paused,
        Self::Completed,
        Self::RolledBack,
        Self::Aborted,
        Self::Failed,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "preparing" => Self::Preparing,
            "validating" => Self::Validating,
            "shifting" => Self::Shifting,
            "paused" => Self::Paused,
            "completed" => Self::Completed,
            "rolled_back" => Self::RolledBack,
            "aborted" => Self::Aborted,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preparing => "preparing",
            Self::Validating => "validating",
            Self::Shifting => "shifting",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::RolledBack => "rolled_back",
            Self::Aborted => "aborted",
            Self::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Preparing => "Preparing",
            Self::Validating => "Validating",
            Self::Shifting => "Shifting traffic",
            Self::Paused => "Paused",
            Self::Completed => "Completed",
            Self::RolledBack => "Rolled back",
            Self::Aborted => "Aborted",
            Self::Failed => "Failed",
        }
    }

    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }
}

/// The actions a person can take on a switch.
pub const SWITCH_ACTIONS: [&str; 5] = ["promote", "pause", "resume", "abort", "rollback"];

/// Where an action takes a switch in `status`, or why it cannot.
/// - promote: all traffic to the new slot now (skips the remaining steps);
/// - pause / resume: stop and continue the workflow where it stands;
/// - abort: stop; traffic back on the live slot; the new slot is idle;
/// - rollback: all traffic back on the old slot at once, also after the
///   switch completed (the old slot kept its version on standby).
pub fn switch_move(action: &str, status: SwitchStatus) -> Result<SwitchStatus, String> {
    use SwitchStatus::*;
    let to = match (action, status) {
        ("promote", Shifting | Paused) => Shifting,
        ("pause", Preparing | Validating | Shifting) => Paused,
        ("resume", Paused) => Shifting,
        ("abort", Preparing | Validating | Shifting | Paused) => Aborted,
        ("rollback", Preparing | Validating | Shifting | Paused | Completed) => RolledBack,
        (action, _) if !SWITCH_ACTIONS.contains(&action) => {
            return Err(format!(
                "Unknown action '{action}': choose promote, pause, resume, abort or rollback."
            ));
        }
        (action, status) => {
            return Err(format!(
                "A switch that is {} cannot {action}.",
                status.label().to_lowercase()
            ));
        }
    };
    Ok(to)
}

/// The actions to offer on a switch in `status` at `step_index` of `steps`.
pub fn offered_actions(status: SwitchStatus, step_index: i32, steps: usize) -> Vec<&'static str> {
    SWITCH_ACTIONS
        .into_iter()
        .filter(|action| switch_move(action, status).is_ok())
        // Promoting before traffic moves would skip validation; at the last
        // step there is nothing left to promote to.
        .filter(|action| {
            *action != "promote" || (step_index >= 0 && (step_index as usize) + 1 < steps)
        })
        .collect()
}

/// What comes after a baked step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    Step(usize),
    Complete,
}

pub fn after_step(step_index: usize, steps: usize) -> NextStep {
    if step_index + 1 < steps {
        NextStep::Step(step_index + 1)
    } else {
        NextStep::Complete
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn slot_states_and_health_read_back_from_their_words_and_refuse_others() {
        for state in SlotState::ALL {
            assert_eq!(SlotState::parse(state.as_str()), Some(state));
        }
        for health in SlotHealth::ALL {
            assert_eq!(SlotHealth::parse(health.as_str()), Some(health));
        }
        for kind in RouterKind::ALL {
            assert_eq!(RouterKind::parse(kind.as_str()), Some(kind));
        }
        for kind in SwitchEventKind::ALL {
            assert_eq!(SwitchEventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SlotState::parse("LIVE"), None);
        assert_eq!(SlotHealth::parse("ok"), None);
        assert_eq!(SlotHealth::of(false), SlotHealth::Unhealthy);
    }

    use super::*;

    fn stats(requests: u64, errors: u64, latency_ms: f64) -> IntervalStats {
        IntervalStats {
            requests,
            errors,
            latency_ms,
        }
    }

    #[test]
    fn steps_parse_rising_percentages_that_end_at_100() {
        assert_eq!(parse_steps("10, 50, 100"), Ok(vec![10, 50, 100]));
        assert_eq!(parse_steps("5%,25%,100%"), Ok(vec![5, 25, 100]));
        assert_eq!(parse_steps("100"), Ok(vec![100]));
        assert!(parse_steps("").is_err());
        assert!(parse_steps("10, 50").unwrap_err().contains("last step"));
        assert!(
            parse_steps("50, 10, 100")
                .unwrap_err()
                .contains("more traffic")
        );
        assert!(parse_steps("10, 10, 100").is_err());
        assert!(parse_steps("0, 100").unwrap_err().contains("from 1 to 100"));
        assert!(parse_steps("ten, 100").is_err());
        assert_eq!(format_steps(&[10, 50, 100]), "10, 50, 100");
        assert_eq!(parse_steps(&format_steps(&[5, 100])), Ok(vec![5, 100]));
    }

    #[test]
    fn timing_has_bounds_and_a_step_bakes_for_its_whole_bake_time() {
        assert!(timing_problems(0, 1).is_empty());
        assert!(timing_problems(MAX_BAKE_SECONDS, MAX_INTERVAL_SECONDS).is_empty());
        let fields: Vec<_> = timing_problems(-1, 0).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["bake_seconds", "interval_seconds"]);
        assert_eq!(timing_problems(86_401, 3_601).len(), 2);
        assert!(!step_baked(59, 60));
        assert!(step_baked(60, 60));
        assert!(step_baked(0, 0));
    }

    #[test]
    fn weights_give_the_new_slot_its_step_and_the_other_the_rest() {
        assert_eq!(weights(Slot::Green, 10), (90, 10));
        assert_eq!(weights(Slot::Green, 100), (0, 100));
        assert_eq!(weights(Slot::Blue, 50), (50, 50));
        assert_eq!(weights(Slot::Blue, 100), (100, 0));
        assert_eq!(Slot::Blue.other(), Slot::Green);
    }

    #[test]
    fn a_healthy_candidate_passes() {
        let t = Thresholds::default();
        assert_eq!(
            analyze(&t, &stats(100, 1, 40.0), &stats(900, 9, 35.0), 0),
            Verdict::Healthy
        );
    }

    #[test]
    fn too_little_traffic_judges_nothing_even_with_errors() {
        let t = Thresholds::default();
        assert_eq!(
            analyze(&t, &stats(19, 19, 900.0), &stats(900, 0, 10.0), 0),
            Verdict::TooLittleTraffic
        );
        assert_eq!(
            analyze(&t, &stats(0, 0, 0.0), &stats(0, 0, 0.0), 0),
            Verdict::TooLittleTraffic
        );
    }

    #[test]
    fn the_absolute_error_rate_limit_is_exclusive() {
        let t = Thresholds::default(); // 5 %
        let live = stats(0, 0, 0.0);
        assert_eq!(
            analyze(&t, &stats(100, 5, 10.0), &live, 0),
            Verdict::Healthy
        );
        let verdict = analyze(&t, &stats(100, 6, 10.0), &live, 0);
        assert!(
            matches!(&verdict, Verdict::RollBack(reason) if reason.contains("6.0 %") && reason.contains("5.0 %")),
            "{verdict:?}"
        );
    }

    #[test]
    fn twenty_percent_errors_roll_back() {
        let t = Thresholds::default();
        assert!(matches!(
            analyze(&t, &stats(50, 10, 5.0), &stats(450, 0, 5.0), 0),
            Verdict::RollBack(_)
        ));
    }

    #[test]
    fn the_absolute_latency_limit_rolls_back() {
        let t = Thresholds::default(); // 500 ms
        assert_eq!(
            analyze(&t, &stats(100, 0, 500.0), &stats(0, 0, 0.0), 0),
            Verdict::Healthy
        );
        assert!(matches!(
            analyze(&t, &stats(100, 0, 501.0), &stats(0, 0, 0.0), 0),
            Verdict::RollBack(reason) if reason.contains("Latency 501 ms")
        ));
    }

    #[test]
    fn relative_error_rate_compares_with_the_live_slot_over_the_same_interval() {
        let t = Thresholds {
            max_error_rate: 50.0,
            ..Thresholds::default()
        };
        // Both slots at 4 %: the release is not worse than what runs.
        assert_eq!(
            analyze(&t, &stats(100, 4, 10.0), &stats(1000, 40, 10.0), 0),
            Verdict::Healthy
        );
        // 4 % against 1 %: 3 points worse, limit 2.
        assert!(matches!(
            analyze(&t, &stats(100, 4, 10.0), &stats(1000, 10, 10.0), 0),
            Verdict::RollBack(reason) if reason.contains("points above the live slot")
        ));
        // The live slot served too little to compare: only absolute limits apply.
        assert_eq!(
            analyze(&t, &stats(100, 4, 10.0), &stats(5, 0, 10.0), 0),
            Verdict::Healthy
        );
    }

    #[test]
    fn relative_latency_compares_with_the_live_slot_above_a_noise_floor() {
        let t = Thresholds::default(); // 2 ×
        assert!(matches!(
            analyze(&t, &stats(100, 0, 90.0), &stats(1000, 0, 40.0), 0),
            Verdict::RollBack(reason) if reason.contains("live slot's 40 ms")
        ));
        assert_eq!(
            analyze(&t, &stats(100, 0, 80.0), &stats(1000, 0, 40.0), 0),
            Verdict::Healthy
        );
        // 6 ms against 2 ms is three times slower but below the floor.
        assert_eq!(
            analyze(&t, &stats(100, 0, 6.0), &stats(1000, 0, 2.0), 0),
            Verdict::Healthy
        );
    }

    #[test]
    fn consecutive_health_check_failures_roll_back_whatever_the_traffic() {
        let t = Thresholds::default(); // 3 in a row
        assert_eq!(
            analyze(&t, &stats(100, 0, 5.0), &stats(100, 0, 5.0), 2),
            Verdict::Healthy
        );
        assert!(matches!(
            analyze(&t, &stats(0, 0, 0.0), &stats(0, 0, 0.0), 3),
            Verdict::RollBack(reason) if reason.contains("3 times in a row")
        ));
    }

    #[test]
    fn intervals_come_from_cumulative_counters_and_survive_a_router_restart() {
        let before = CounterReading {
            requests: 1000,
            errors: 10,
            latency_ms: 3.0,
        };
        let after = CounterReading {
            requests: 1300,
            errors: 25,
            latency_ms: 4.0,
        };
        assert_eq!(interval_between(before, after), stats(300, 15, 4.0));
        let restarted = CounterReading {
            requests: 40,
            errors: 1,
            latency_ms: 2.0,
        };
        assert_eq!(interval_between(after, restarted), stats(40, 1, 2.0));
        let idle = interval_between(after, after);
        assert_eq!(idle, stats(0, 0, 0.0));
    }

    #[test]
    fn switch_moves_as_a_table() {
        use SwitchStatus::*;
        let table: [(&str, SwitchStatus, Option<SwitchStatus>); 14] = [
            ("pause", Shifting, Some(Paused)),
            ("pause", Preparing, Some(Paused)),
            ("pause", Paused, None),
            ("resume", Paused, Some(Shifting)),
            ("resume", Shifting, None),
            ("promote", Shifting, Some(Shifting)),
            ("promote", Paused, Some(Shifting)),
            ("promote", Completed, None),
            ("abort", Validating, Some(Aborted)),
            ("abort", Completed, None),
            ("rollback", Shifting, Some(RolledBack)),
            ("rollback", Completed, Some(RolledBack)),
            ("rollback", RolledBack, None),
            ("rollback", Failed, None),
        ];
        for (action, from, expected) in table {
            assert_eq!(
                switch_move(action, from).ok(),
                expected,
                "{action} from {from:?}"
            );
        }
        assert!(
            switch_move("explode", Shifting)
                .unwrap_err()
                .contains("Unknown action")
        );
        assert_eq!(
            switch_move("resume", Completed).unwrap_err(),
            "A switch that is completed cannot resume."
        );
    }

    #[test]
    fn promote_is_offered_only_between_the_first_and_the_last_step() {
        use SwitchStatus::*;
        assert_eq!(
            offered_actions(Validating, -1, 3),
            vec!["pause", "abort", "rollback"]
        );
        assert_eq!(
            offered_actions(Shifting, 0, 3),
            vec!["promote", "pause", "abort", "rollback"]
        );
        assert_eq!(
            offered_actions(Shifting, 2, 3),
            vec!["pause", "abort", "rollback"],
            "nothing to promote to at the last step"
        );
        assert_eq!(offered_actions(Completed, 2, 3), vec!["rollback"]);
        assert!(offered_actions(RolledBack, 2, 3).is_empty());
        for status in SwitchStatus::ALL {
            assert_eq!(SwitchStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn after_the_last_step_the_switch_completes() {
        assert_eq!(after_step(0, 3), NextStep::Step(1));
        assert_eq!(after_step(2, 3), NextStep::Complete);
    }

    #[test]
    fn threshold_problems_name_their_fields() {
        assert!(Thresholds::default().problems().is_empty());
        let bad = Thresholds {
            max_error_rate: 120.0,
            max_latency_ms: 0.0,
            max_latency_ratio_to_live: 0.5,
            max_consecutive_failures: 0,
            ..Thresholds::default()
        };
        let fields: Vec<_> = bad.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![
                "max_error_rate",
                "max_latency_ms",
                "max_latency_ratio_to_live",
                "max_consecutive_failures"
            ]
        );
    }
}
