//! A tenant's health: which states are watched, what a baseline run does to
//! the tenant's state, when the next periodic run is due, and the pass rate
//! per day the Health tab charts.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::network::OutboundUrl;
use crate::domain::tenants::lifecycle::LifecycleState;

/// How the periodic validation behaves (`TENANTRY_HEALTH_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidationPolicy {
    /// Seconds between two runs of one tenant, before jitter.
    pub interval_seconds: u64,
    /// Each wait is stretched or shortened by up to this share, so tenants
    /// added together do not stay probed together.
    pub jitter_percent: u8,
    /// Failing runs in a row that make an active tenant broken.
    pub failures_to_break: u32,
    /// Tenants probed at the same time by one replica.
    pub concurrency: usize,
}

impl Default for ValidationPolicy {
    fn default() -> Self {
        Self {
            interval_seconds: 300,
            jitter_percent: 10,
            failures_to_break: 3,
            concurrency: 16,
        }
    }
}

/// One check of one run: which product's baseline it belongs to, how it went
/// and how long it took.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckOutcome {
    /// Key of the product whose baseline holds the check.
    pub product: String,
    pub name: String,
    pub passed: bool,
    pub detail: String,
    pub duration_ms: u32,
}

/// Why a run happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RunTrigger {
    /// The periodic validation.
    Scheduled,
    /// Someone pressed "Run now" (or called the API).
    Manual,
    /// A change's health step.
    Change,
}

impl RunTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Manual => "manual",
            Self::Change => "change",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "scheduled" => Some(Self::Scheduled),
            "manual" => Some(Self::Manual),
            "change" => Some(Self::Change),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Scheduled => "Scheduled",
            Self::Manual => "Run now",
            Self::Change => "Change step",
        }
    }
}

/// The states whose health the periodic validation keeps true: a tenant
/// that should be serving. Maintenance, suspension and the rest are
/// expected to be down and are left alone.
pub fn is_watched(state: LifecycleState) -> bool {
    matches!(state, LifecycleState::Active | LifecycleState::Broken)
}

/// What a run does to the tenant's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateMove {
    Stay,
    /// Active → broken, with the reason shown on the tenant's banner.
    Break(String),
    /// Broken → active.
    Recover,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunVerdict {
    /// Failing runs in a row, this one included (0 after a pass).
    pub consecutive_failures: u32,
    pub state_move: StateMove,
}

/// Judges a finished run. `moving` is true while a lifecycle change of the
/// tenant is under way: the run is counted but the state is the change's.
pub fn judge_run(
    state: LifecycleState,
    moving: bool,
    previous_failures: u32,
    outcomes: &[CheckOutcome],
    failures_to_break: u32,
) -> RunVerdict {
    let passed = outcomes.iter().all(|o| o.passed);
    let consecutive_failures = if passed {
        0
    } else {
        previous_failures.saturating_add(1)
    };
    let state_move = match state {
        _ if moving => StateMove::Stay,
        LifecycleState::Broken if passed => StateMove::Recover,
        LifecycleState::Active if consecutive_failures >= failures_to_break.max(1) => {
            StateMove::Break(format!(
                "Health baseline failed {consecutive_failures} times in a row: {}",
                failing_text(outcomes)
            ))
        }
        _ => StateMove::Stay,
    };
    RunVerdict {
        consecutive_failures,
        state_move,
    }
}

/// The failing checks, one phrase each: `web/Responds: Status 503, expected 200`.
pub fn failing_text(outcomes: &[CheckOutcome]) -> String {
    outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| format!("{}/{}: {}", o.product, o.name, o.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

/// When the next periodic run of a tenant is due. `unit` is a random number
/// in [0, 1) that places the run inside the jitter band.
pub fn next_due(now: DateTime<Utc>, policy: &ValidationPolicy, unit: f64) -> DateTime<Utc> {
    let interval = policy.interval_seconds.max(1) as f64;
    let band = f64::from(policy.jitter_percent.min(50)) / 100.0;
    let factor = 1.0 + band * (2.0 * unit.clamp(0.0, 1.0) - 1.0);
    now + Duration::milliseconds((interval * factor * 1000.0).round() as i64)
}

/// One day of the pass-rate chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayRate {
    pub day: NaiveDate,
    pub runs: u32,
    pub passed: u32,
}

impl DayRate {
    /// Passing runs as a whole percentage; `None` on a day without runs.
    pub fn percent(&self) -> Option<u32> {
        (self.runs > 0).then(|| self.passed * 100 / self.runs)
    }
}

/// The last `days` days up to `today`, oldest first, each with its runs.
pub fn daily_pass_rates(
    runs: impl IntoIterator<Item = (DateTime<Utc>, bool)>,
    today: NaiveDate,
    days: u32,
) -> Vec<DayRate> {
    let first = today - Duration::days(i64::from(days.max(1)) - 1);
    let mut rates: Vec<DayRate> = (0..days.max(1))
        .map(|i| DayRate {
            day: first + Duration::days(i64::from(i)),
            runs: 0,
            passed: 0,
        })
        .collect();
    for (at, passed) in runs {
        let day = at.date_naive();
        if day < first || day > today {
            continue;
        }
        let rate = &mut rates[(day - first).num_days() as usize];
        rate.runs += 1;
        rate.passed += u32::from(passed);
    }
    rates
}

/// Where a tenant answers: the address its baselines are probed at. The
/// vendor sets it; it is called by the server, so it must be an outbound
/// URL with nothing after the path (checks append their own paths).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantAddress(String);

impl TenantAddress {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let url = OutboundUrl::parse(raw)?;
        if url.as_str().contains(['?', '#']) {
            return Err(
                "Give the address without a query or fragment; each check adds its own path."
                    .into(),
            );
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn outcome(name: &str, passed: bool) -> CheckOutcome {
        CheckOutcome {
            product: "web".into(),
            name: name.into(),
            passed,
            detail: if passed {
                "Status 200 in 3 ms".into()
            } else {
                "Status 503, expected 200".into()
            },
            duration_ms: 3,
        }
    }

    #[test]
    fn only_tenants_that_should_be_serving_are_watched() {
        assert!(is_watched(LifecycleState::Active));
        assert!(is_watched(LifecycleState::Broken));
        for quiet in [
            LifecycleState::Maintenance,
            LifecycleState::Suspended,
            LifecycleState::Provisioning,
            LifecycleState::Archived,
        ] {
            assert!(!is_watched(quiet), "{quiet:?}");
        }
    }

    #[test]
    fn an_active_tenant_breaks_after_the_set_number_of_failing_runs_in_a_row() {
        let failing = [outcome("Responds", false), outcome("Version", true)];
        let first = judge_run(LifecycleState::Active, false, 0, &failing, 3);
        assert_eq!(first.consecutive_failures, 1);
        assert_eq!(first.state_move, StateMove::Stay);
        let third = judge_run(LifecycleState::Active, false, 2, &failing, 3);
        assert_eq!(third.consecutive_failures, 3);
        assert_eq!(
            third.state_move,
            StateMove::Break(
                "Health baseline failed 3 times in a row: web/Responds: Status 503, expected 200"
                    .into()
            )
        );
    }

    #[test]
    fn a_passing_run_resets_the_count_and_recovers_a_broken_tenant() {
        let passing = [outcome("Responds", true)];
        let run = judge_run(LifecycleState::Active, false, 2, &passing, 3);
        assert_eq!(
            (run.consecutive_failures, run.state_move),
            (0, StateMove::Stay)
        );
        let run = judge_run(LifecycleState::Broken, false, 7, &passing, 3);
        assert_eq!(run.state_move, StateMove::Recover);
    }

    #[test]
    fn a_tenant_in_the_middle_of_a_lifecycle_change_keeps_its_state() {
        let failing = [outcome("Responds", false)];
        let run = judge_run(LifecycleState::Active, true, 5, &failing, 3);
        assert_eq!(
            (run.consecutive_failures, run.state_move),
            (6, StateMove::Stay)
        );
        let run = judge_run(LifecycleState::Broken, true, 0, &[outcome("R", true)], 3);
        assert_eq!(run.state_move, StateMove::Stay);
    }

    #[test]
    fn the_next_run_lands_inside_the_jitter_band() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let policy = ValidationPolicy {
            interval_seconds: 100,
            jitter_percent: 10,
            ..ValidationPolicy::default()
        };
        assert_eq!(next_due(now, &policy, 0.0), now + Duration::seconds(90));
        assert_eq!(next_due(now, &policy, 0.5), now + Duration::seconds(100));
        assert_eq!(next_due(now, &policy, 1.0), now + Duration::seconds(110));
        let steady = ValidationPolicy {
            jitter_percent: 0,
            ..policy
        };
        assert_eq!(next_due(now, &steady, 0.9), now + Duration::seconds(100));
    }

    #[test]
    fn pass_rates_cover_every_day_oldest_first_and_ignore_older_runs() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        let rates = daily_pass_rates(
            [
                (at(6, 1), true),
                (at(6, 2), false),
                (at(5, 9), true),
                (at(1, 9), false),
            ],
            today,
            3,
        );
        assert_eq!(rates.len(), 3);
        assert_eq!(rates[0].day, NaiveDate::from_ymd_opt(2026, 12, 4).unwrap());
        assert_eq!(rates[0].percent(), None);
        assert_eq!((rates[1].runs, rates[1].percent()), (1, Some(100)));
        assert_eq!((rates[2].runs, rates[2].percent()), (2, Some(50)));
    }

    #[test]
    fn an_address_is_an_outbound_url_without_query_and_without_trailing_slash() {
        assert_eq!(
            TenantAddress::parse(" https://acme.example.com/ ")
                .unwrap()
                .as_str(),
            "https://acme.example.com"
        );
        assert_eq!(
            TenantAddress::parse("http://10.0.0.5:8080/app")
                .unwrap()
                .as_str(),
            "http://10.0.0.5:8080/app"
        );
        assert!(TenantAddress::parse("ftp://acme").is_err());
        assert!(TenantAddress::parse("https://user@acme").is_err());
        assert!(
            TenantAddress::parse("https://acme/?x=1")
                .unwrap_err()
                .contains("without a query")
        );
    }
}
