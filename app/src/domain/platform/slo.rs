//! Service-level objectives: the targets the vendor sets (availability per
//! tenant, the portal API's p95 latency and error rate), how the figures
//! are worked out from what was recorded, and whether each meets its target.
//! Defaults come from seed 003: 99.9 % availability, p95 under 200 ms, under
//! 0.1 % errors.

use serde::{Deserialize, Serialize};

use crate::domain::validation::FieldErrors;

/// The vendor's targets.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SloTargets {
    /// Passing health runs over 30 days, in percent (e.g. 99.9).
    pub availability_percent: f64,
    /// The portal API's 95th-percentile latency must stay under this.
    pub api_p95_ms: u32,
    /// Server errors (5xx) among API requests must stay under this, in percent.
    pub api_error_percent: f64,
}

impl Default for SloTargets {
    fn default() -> Self {
        Self {
            availability_percent: 99.9,
            api_p95_ms: 200,
            api_error_percent: 0.1,
        }
    }
}

impl SloTargets {
    /// Targets as typed, checked field by field.
    pub fn parse(availability: &str, p95_ms: &str, errors: &str) -> Result<Self, FieldErrors> {
        let mut problems = FieldErrors::default();
        let percent =
            |raw: &str, field: &'static str, low: f64, high: f64, p: &mut FieldErrors| match raw
                .trim()
                .trim_end_matches('%')
                .trim()
                .parse::<f64>()
            {
                Ok(v) if v.is_finite() && v > low && v < high => Some(v),
                _ => {
                    p.push(
                        field,
                        format!("Enter a percentage above {low} and below {high}, e.g. 99.9."),
                    );
                    None
                }
            };
        let availability = percent(
            availability,
            "availability_percent",
            50.0,
            100.0,
            &mut problems,
        );
        let errors = percent(errors, "api_error_percent", 0.0, 50.0, &mut problems);
        let p95 = match p95_ms.trim().trim_end_matches("ms").trim().parse::<u32>() {
            Ok(v) if (1..=60_000).contains(&v) => Some(v),
            _ => {
                problems.push(
                    "api_p95_ms",
                    "Enter whole milliseconds from 1 to 60000, e.g. 200.",
                );
                None
            }
        };
        match (availability, p95, errors) {
            (Some(availability_percent), Some(api_p95_ms), Some(api_error_percent))
                if problems.is_empty() =>
            {
                Ok(Self {
                    availability_percent,
                    api_p95_ms,
                    api_error_percent,
                })
            }
            _ => Err(problems),
        }
    }
}

/// How a figure stands against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SloVerdict {
    Met,
    Missed,
    /// Nothing was recorded to judge by.
    NoData,
}

impl SloVerdict {
    pub fn label(self) -> &'static str {
        match self {
            Self::Met => "Met",
            Self::Missed => "Missed",
            Self::NoData => "No data",
        }
    }

    /// A figure that must reach the target (availability).
    pub fn at_least(figure: Option<f64>, target: f64) -> Self {
        match figure {
            None => Self::NoData,
            Some(v) if v >= target => Self::Met,
            Some(_) => Self::Missed,
        }
    }

    /// A figure that must stay under the target (latency, errors).
    pub fn under(figure: Option<f64>, target: f64) -> Self {
        match figure {
            None => Self::NoData,
            Some(v) if v < target => Self::Met,
            Some(_) => Self::Missed,
        }
    }
}

/// Passing runs over all runs, in percent; `None` without runs.
pub fn availability_percent(runs: u64, passed: u64) -> Option<f64> {
    (runs > 0).then(|| passed.min(runs) as f64 * 100.0 / runs as f64)
}

/// Upper bounds (milliseconds) of the latency buckets the API window keeps;
/// the same edges as the Prometheus histogram's, so both tell one story.
pub const LATENCY_BOUNDS_MS: [f64; 16] = [
    1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 2_500.0, 5_000.0, 10_000.0,
    30_000.0, 60_000.0, 300_000.0,
];

/// Counts of requests per latency bucket (the last one open-ended) and of
/// server errors among them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyCounts {
    pub buckets: Vec<u64>,
    pub requests: u64,
    pub server_errors: u64,
}

impl LatencyCounts {
    pub fn record(&mut self, millis: f64, server_error: bool) {
        if self.buckets.len() != LATENCY_BOUNDS_MS.len() + 1 {
            self.buckets = vec![0; LATENCY_BOUNDS_MS.len() + 1];
        }
        let at = LATENCY_BOUNDS_MS
            .iter()
            .position(|bound| millis <= *bound)
            .unwrap_or(LATENCY_BOUNDS_MS.len());
        self.buckets[at] += 1;
        self.requests += 1;
        self.server_errors += u64::from(server_error);
    }

    pub fn add(&mut self, other: &LatencyCounts) {
        if other.requests == 0 {
            return;
        }
        if self.buckets.len() != other.buckets.len() {
            self.buckets = vec![0; other.buckets.len()];
        }
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
        self.requests += other.requests;
        self.server_errors += other.server_errors;
    }

    /// The `q` quantile in milliseconds, interpolated within its bucket as
    /// Prometheus's `histogram_quantile` does; in the open-ended bucket, its
    /// lower edge. `None` without requests.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.requests == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * self.requests as f64;
        let mut below = 0u64;
        for (i, count) in self.buckets.iter().enumerate() {
            if *count > 0 && (below + count) as f64 >= rank {
                let Some(upper) = LATENCY_BOUNDS_MS.get(i) else {
                    return Some(LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.len() - 1]);
                };
                let lower = if i == 0 {
                    0.0
                } else {
                    LATENCY_BOUNDS_MS[i - 1]
                };
                let into = (rank - below as f64) / *count as f64;
                return Some(lower + (upper - lower) * into);
            }
            below += count;
        }
        None
    }

    /// Server errors among requests, in percent.
    pub fn error_percent(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.server_errors as f64 * 100.0 / self.requests as f64)
    }
}

/// A rolling window of per-minute counts: requests land in their minute's
/// slot, and a summary adds the slots of the last `WINDOW_MINUTES`.
#[derive(Clone, Debug, Default)]
pub struct MinuteWindow {
    slots: Vec<(i64, LatencyCounts)>,
}

pub const WINDOW_MINUTES: i64 = 60;

impl MinuteWindow {
    pub const fn new() -> Self {
        Self { slots: Vec::new() }
    }

    /// One request answered in minute `minute` (minutes since the epoch).
    pub fn record(&mut self, minute: i64, millis: f64, server_error: bool) {
        if self.slots.is_empty() {
            self.slots = vec![(i64::MIN, LatencyCounts::default()); WINDOW_MINUTES as usize];
        }
        let slot = &mut self.slots[minute.rem_euclid(WINDOW_MINUTES) as usize];
        if slot.0 != minute {
            *slot = (minute, LatencyCounts::default());
        }
        slot.1.record(millis, server_error);
    }

    /// Every request of the last `WINDOW_MINUTES` up to minute `now`.
    pub fn summary(&self, now: i64) -> LatencyCounts {
        let mut total = LatencyCounts::default();
        for (minute, counts) in &self.slots {
            if *minute > now - WINDOW_MINUTES && *minute <= now {
                total.add(counts);
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_seed_targets() {
        let t = SloTargets::default();
        assert_eq!(
            (t.availability_percent, t.api_p95_ms, t.api_error_percent),
            (99.9, 200, 0.1)
        );
    }

    #[test]
    fn targets_are_parsed_field_by_field() {
        let t = SloTargets::parse("99.95 %", "150ms", "0.5").unwrap();
        assert_eq!(
            (t.availability_percent, t.api_p95_ms, t.api_error_percent),
            (99.95, 150, 0.5)
        );
        let errors = SloTargets::parse("100", "0", "abc").unwrap_err();
        for field in ["availability_percent", "api_p95_ms", "api_error_percent"] {
            assert!(errors.for_field(field).is_some(), "{field} refused");
        }
        assert!(SloTargets::parse("NaN", "200", "0.1").is_err());
    }

    #[test]
    fn availability_is_the_share_of_passing_runs() {
        assert_eq!(availability_percent(0, 0), None);
        assert_eq!(availability_percent(1000, 999), Some(99.9));
        assert_eq!(
            SloVerdict::at_least(availability_percent(1000, 999), 99.9),
            SloVerdict::Met
        );
        assert_eq!(
            SloVerdict::at_least(availability_percent(1000, 998), 99.9),
            SloVerdict::Missed
        );
        assert_eq!(SloVerdict::at_least(None, 99.9), SloVerdict::NoData);
    }

    #[test]
    fn the_p95_is_interpolated_inside_its_bucket() {
        let mut counts = LatencyCounts::default();
        // 90 fast requests (≤ 10 ms), 10 between 100 and 250 ms.
        for _ in 0..90 {
            counts.record(8.0, false);
        }
        for _ in 0..10 {
            counts.record(180.0, false);
        }
        let p95 = counts.quantile_ms(0.95).unwrap();
        assert!((p95 - 175.0).abs() < 0.01, "halfway into 100–250 ms: {p95}");
        let p50 = counts.quantile_ms(0.5).unwrap();
        assert!(p50 > 5.0 && p50 <= 10.0, "{p50}");
        assert_eq!(SloVerdict::under(Some(p95), 200.0), SloVerdict::Met);
        assert_eq!(SloVerdict::under(Some(p95), 150.0), SloVerdict::Missed);
    }

    #[test]
    fn a_request_slower_than_every_bound_counts_at_the_last_bound() {
        let mut counts = LatencyCounts::default();
        counts.record(900_000.0, true);
        assert_eq!(counts.quantile_ms(0.95), Some(300_000.0));
        assert_eq!(counts.error_percent(), Some(100.0));
        assert_eq!(LatencyCounts::default().quantile_ms(0.95), None);
    }

    #[test]
    fn the_window_forgets_minutes_older_than_an_hour() {
        let mut window = MinuteWindow::default();
        window.record(1_000, 5.0, true);
        window.record(1_030, 5.0, false);
        window.record(1_059, 5.0, false);
        assert_eq!(window.summary(1_059).requests, 3);
        assert_eq!(window.summary(1_059).server_errors, 1);
        // Minute 1 000 falls out at 1 060; its slot is reused at 1 060.
        assert_eq!(window.summary(1_060).requests, 2);
        window.record(1_060, 5.0, false);
        assert_eq!(window.summary(1_060).requests, 3);
        assert_eq!(window.summary(1_060).server_errors, 0);
        assert_eq!(window.summary(1_200).requests, 0);
    }
}
