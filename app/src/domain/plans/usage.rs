//! Usage metering: what is measured (meters), the records pushed by agents
//! and the orchestrator (checked whole: one bad record refuses the batch,
//! each problem named by its path), and how a day's records add up.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::plan::Quota;
use crate::domain::validation::FieldErrors;

/// Records per push at most.
pub const MAX_BATCH: usize = 1000;

/// How a day's records of a meter add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum MeterKind {
    /// A level (storage in use): the day's highest reading.
    Gauge,
    /// A count of events (API calls): the day's readings summed.
    Counter,
}

/// What is measured: the portal's own meters and the vendor's custom ones
/// (`custom.<name>`, counted).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Meter(String);

/// The built-in meters: (name, kind, the quota it is held to).
pub const BUILT_IN: [(&str, MeterKind, Option<Quota>); 4] = [
    ("api_calls", MeterKind::Counter, None),
    // One record per person per day (its id is theirs): the sum counts them.
    ("active_users", MeterKind::Counter, None),
    ("endpoints", MeterKind::Gauge, Some(Quota::Endpoints)),
    ("storage_gb", MeterKind::Gauge, Some(Quota::StorageGb)),
];

/// Meters a tenant's installation or the orchestrator may push (the
/// portal counts the others itself).
pub const PUSHED: [&str; 1] = ["storage_gb"];

impl Meter {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if BUILT_IN.iter().any(|(name, ..)| *name == raw) {
            return Ok(Self(raw.to_owned()));
        }
        match raw.strip_prefix("custom.") {
            Some(name)
                if (1..=40).contains(&name.len())
                    && name.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
                    }) =>
            {
                Ok(Self(raw.to_owned()))
            }
            _ => Err(format!(
                "`{raw}` is not a meter: use storage_gb or custom.<name> (lower-case letters, digits, _ and -)."
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> MeterKind {
        BUILT_IN
            .iter()
            .find(|(name, ..)| *name == self.0)
            .map_or(MeterKind::Counter, |(_, kind, _)| *kind)
    }

    pub fn quota(&self) -> Option<Quota> {
        BUILT_IN
            .iter()
            .find(|(name, ..)| *name == self.0)
            .and_then(|(.., quota)| *quota)
    }

    /// Whether agents and the orchestrator may push it.
    pub fn is_pushed(&self) -> bool {
        PUSHED.contains(&self.0.as_str()) || self.0.starts_with("custom.")
    }
}

impl TryFrom<String> for Meter {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<Meter> for String {
    fn from(meter: Meter) -> String {
        meter.0
    }
}

/// One record as pushed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageRecordInput {
    /// The sender's id for the record: sending it again changes nothing.
    pub id: String,
    /// The tenant's id or slug (agents: their own tenant, may be omitted).
    #[serde(default)]
    pub tenant: String,
    pub meter: String,
    pub quantity: f64,
    /// When it was measured (RFC 3339); it counts for that UTC day.
    pub at: String,
}

/// One checked record.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRecord {
    pub id: String,
    pub tenant: String,
    pub meter: Meter,
    pub quantity: f64,
    pub at: DateTime<Utc>,
}

impl UsageRecord {
    pub fn day(&self) -> NaiveDate {
        self.at.date_naive()
    }
}

fn is_record_id(raw: &str) -> bool {
    (1..=128).contains(&raw.len())
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/'))
}

/// Checks a whole batch: every problem is named by its path
/// (`records[3].quantity`) and one bad record refuses them all.
/// `now` bounds how far in the future a reading may be (clock skew).
pub fn parse_batch(
    records: &[UsageRecordInput],
    tenant_required: bool,
    now: DateTime<Utc>,
) -> Result<Vec<UsageRecord>, FieldErrors> {
    let mut errors = FieldErrors::default();
    if records.is_empty() || records.len() > MAX_BATCH {
        errors.push(
            "records",
            format!("Send 1 to {MAX_BATCH} records at a time."),
        );
        return Err(errors);
    }
    let mut seen = std::collections::HashSet::new();
    let mut parsed = Vec::with_capacity(records.len());
    for (i, raw) in records.iter().enumerate() {
        let path = |field: &str| format!("records[{i}].{field}");
        let id = raw.id.trim();
        if !is_record_id(id) {
            errors.push(
                &path("id"),
                "Give each record an id of 1 to 128 letters, digits and - _ . : /.",
            );
        } else if !seen.insert((raw.tenant.trim().to_lowercase(), id.to_owned())) {
            errors.push(&path("id"), format!("`{id}` appears twice in this batch."));
        }
        if tenant_required && raw.tenant.trim().is_empty() {
            errors.push(&path("tenant"), "Name the tenant (its id or slug).");
        }
        let meter = match Meter::parse(&raw.meter) {
            Ok(m) if m.is_pushed() => Some(m),
            Ok(m) => {
                errors.push(
                    &path("meter"),
                    format!(
                        "`{}` is counted by the portal itself; push storage_gb or custom.<name>.",
                        m.as_str()
                    ),
                );
                None
            }
            Err(message) => {
                errors.push(&path("meter"), message);
                None
            }
        };
        if !raw.quantity.is_finite() || raw.quantity < 0.0 || raw.quantity > 1e15 {
            errors.push(&path("quantity"), "A quantity is a number from 0 to 10^15.");
        }
        let at = match DateTime::parse_from_rfc3339(raw.at.trim()) {
            Ok(at) if at.with_timezone(&Utc) <= now + chrono::Duration::minutes(10) => {
                Some(at.with_timezone(&Utc))
            }
            Ok(_) => {
                errors.push(&path("at"), "A reading cannot be in the future.");
                None
            }
            Err(_) => {
                errors.push(
                    &path("at"),
                    format!(
                        "'{}' is not an RFC 3339 time, e.g. 2026-12-07T10:00:00Z.",
                        raw.at.trim()
                    ),
                );
                None
            }
        };
        if let (Some(meter), Some(at)) = (meter, at) {
            parsed.push(UsageRecord {
                id: id.to_owned(),
                tenant: raw.tenant.trim().to_owned(),
                meter,
                quantity: raw.quantity,
                at,
            });
        }
    }
    errors.into_result(|| parsed)
}

/// A day's value of a meter from its readings.
pub fn day_value(kind: MeterKind, readings: &[f64]) -> f64 {
    match kind {
        MeterKind::Gauge => readings.iter().copied().fold(0.0, f64::max),
        MeterKind::Counter => readings.iter().sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, meter: &str, quantity: f64, at: &str) -> UsageRecordInput {
        UsageRecordInput {
            id: id.into(),
            tenant: "acme".into(),
            meter: meter.into(),
            quantity,
            at: at.into(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-07T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_good_batch_is_parsed_with_its_days() {
        let batch = parse_batch(
            &[
                record("a-1", "storage_gb", 12.5, "2026-12-06T23:59:00Z"),
                record("a-2", "custom.sms", 3.0, "2026-12-07T01:00:00+01:00"),
            ],
            true,
            now(),
        )
        .unwrap();
        assert_eq!(batch[0].day().to_string(), "2026-12-06");
        assert_eq!(batch[1].day().to_string(), "2026-12-07");
        assert_eq!(batch[1].meter.kind(), MeterKind::Counter);
        assert_eq!(batch[0].meter.quota(), Some(Quota::StorageGb));
    }

    #[test]
    fn one_bad_record_refuses_the_batch_naming_each_problem_by_path() {
        let errors = parse_batch(
            &[
                record("a-1", "storage_gb", 1.0, "2026-12-07T10:00:00Z"),
                record("a-1", "api_calls", -1.0, "yesterday"),
                record("", "custom.Bad Name", f64::NAN, "2027-01-01T00:00:00Z"),
            ],
            true,
            now(),
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "records[1].id",
                "records[1].meter",
                "records[1].quantity",
                "records[1].at",
                "records[2].id",
                "records[2].meter",
                "records[2].quantity",
                "records[2].at"
            ]
        );
        assert!(
            errors
                .for_field("records[1].meter")
                .unwrap()
                .contains("counted by the portal")
        );
        assert!(parse_batch(&[], true, now()).is_err());
    }

    #[test]
    fn gauges_take_the_days_highest_reading_and_counters_the_sum() {
        assert_eq!(day_value(MeterKind::Gauge, &[3.0, 7.5, 2.0]), 7.5);
        assert_eq!(day_value(MeterKind::Counter, &[3.0, 7.5, 2.0]), 12.5);
        assert_eq!(day_value(MeterKind::Gauge, &[]), 0.0);
    }
}
