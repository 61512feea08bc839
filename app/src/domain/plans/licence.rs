//! Licences: a template (type, products, seats, term, features) assigned to
//! a tenant for a period. Its status follows from the dates and a
//! revocation; notices fall due 30, 7 and 1 day before it ends; its
//! document is canonical JSON (keys sorted, no spaces) so a signature over
//! it verifies anywhere.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::validation::FieldErrors;

/// How a licence runs out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum LicenceType {
    /// Renewed term by term.
    Subscription,
    /// A short evaluation.
    Trial,
    /// Never ends (no term).
    Perpetual,
}

impl LicenceType {
    pub const ALL: [LicenceType; 3] = [Self::Subscription, Self::Trial, Self::Perpetual];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscription => "subscription",
            Self::Trial => "trial",
            Self::Perpetual => "perpetual",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Subscription => "Subscription",
            Self::Trial => "Trial",
            Self::Perpetual => "Perpetual",
        }
    }
}

/// Where a licence assignment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum LicenceStatus {
    /// Its period has not begun.
    Pending,
    Active,
    /// Active, and ends within [`EXPIRING_DAYS`].
    Expiring,
    Expired,
    Revoked,
}

/// A licence ending within this many days is "expiring".
pub const EXPIRING_DAYS: i64 = 30;
/// Notices before the end, in days, most distant first.
pub const NOTICE_DAYS: [u32; 3] = [30, 7, 1];

impl LicenceStatus {
    pub fn of(
        valid_from: DateTime<Utc>,
        valid_to: Option<DateTime<Utc>>,
        revoked: bool,
        now: DateTime<Utc>,
    ) -> Self {
        if revoked {
            return Self::Revoked;
        }
        if now < valid_from {
            return Self::Pending;
        }
        match valid_to {
            Some(end) if now >= end => Self::Expired,
            Some(end) if end - now <= Duration::days(EXPIRING_DAYS) => Self::Expiring,
            _ => Self::Active,
        }
    }

    /// The tenant may run on it now.
    pub fn is_valid(self) -> bool {
        matches!(self, Self::Active | Self::Expiring)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Active => "Active",
            Self::Expiring => "Expiring",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
        }
    }
}

/// The notice that falls due now (days before the end), if any: the most
/// urgent one not yet sent, so a licence found at 5 days left gets its
/// 7-day notice once, not the 30-day one too.
pub fn notice_due(valid_to: DateTime<Utc>, now: DateTime<Utc>, sent: &[u32]) -> Option<u32> {
    if now >= valid_to {
        return None;
    }
    let left = valid_to - now;
    NOTICE_DAYS
        .into_iter()
        .rev()
        .find(|days| left <= Duration::days(i64::from(*days)))
        .filter(|days| !sent.contains(days))
}

/// Whole days left, rounded up (the notice's wording).
pub fn days_left(valid_to: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let seconds = (valid_to - now).num_seconds().max(0);
    (seconds + 86_399) / 86_400
}

/// A licence template as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenceTemplateForm {
    /// Lower-case letters, digits and dashes, e.g. `edge-pro-annual`.
    pub key: String,
    pub name: String,
    /// `subscription`, `trial` or `perpetual`.
    pub licence_type: String,
    /// Product keys, comma-separated.
    #[serde(default)]
    pub products: String,
    pub seats: String,
    /// Days; ignored (none) for perpetual licences.
    #[serde(default)]
    pub term_days: String,
    /// Licensed features, comma-separated (the installation reads them).
    #[serde(default)]
    pub features: String,
}

/// A checked template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenceTemplateDraft {
    pub key: String,
    pub name: String,
    pub licence_type: LicenceType,
    pub products: Vec<String>,
    pub seats: u32,
    pub term_days: Option<u32>,
    pub features: Vec<String>,
}

fn is_key(raw: &str) -> bool {
    (2..=48).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_lowercase())
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn list(raw: &str, field: &str, errors: &mut FieldErrors) -> Vec<String> {
    let mut items: Vec<String> = raw
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = items.iter().find(|s| !is_key(s)) {
        errors.push(
            field,
            format!("`{bad}` is not a name: use lower-case letters, digits, - and _."),
        );
    }
    items.sort();
    items.dedup();
    items
}

impl LicenceTemplateDraft {
    pub fn parse(form: &LicenceTemplateForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let key = form.key.trim().to_lowercase();
        if !is_key(&key) {
            errors.push(
                "key",
                "Use 2 to 48 lower-case letters, digits, - and _, starting with a letter.",
            );
        }
        let name = form.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 80 {
            errors.push("name", "Give the template a name of 1 to 80 characters.");
        }
        let licence_type = LicenceType::parse(&form.licence_type);
        if licence_type.is_none() {
            errors.push("licence_type", "Choose subscription, trial or perpetual.");
        }
        let products = list(&form.products, "products", &mut errors);
        let features = list(&form.features, "features", &mut errors);
        let seats = match form.seats.trim().parse::<u32>() {
            Ok(n) if (1..=10_000_000).contains(&n) => n,
            _ => {
                errors.push("seats", "Seats are a whole number from 1 to 10,000,000.");
                0
            }
        };
        let term_days = match (licence_type, form.term_days.trim()) {
            (Some(LicenceType::Perpetual), _) => None,
            (_, raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=3650).contains(&n) => Some(n),
                _ => {
                    errors.push("term_days", "A term is 1 to 3650 days.");
                    None
                }
            },
        };
        match licence_type {
            Some(licence_type) if errors.is_empty() => Ok(Self {
                key,
                name,
                licence_type,
                products,
                seats,
                term_days,
                features,
            }),
            _ => Err(errors),
        }
    }
}

/// JSON with object keys sorted and no insignificant whitespace: the bytes
/// a licence signature covers, the same whoever serialises the document.
pub fn canonical_json(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let members: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, day, 12, 0, 0).unwrap()
    }

    #[test]
    fn status_follows_the_dates_and_a_revocation_wins() {
        let (from, to) = (at(1), Some(at(31)));
        assert_eq!(
            LicenceStatus::of(from, to, false, at(1) - Duration::days(1)),
            LicenceStatus::Pending
        );
        assert_eq!(
            LicenceStatus::of(
                from - Duration::days(40),
                Some(at(31) + Duration::days(40)),
                false,
                at(1)
            ),
            LicenceStatus::Active
        );
        assert_eq!(
            LicenceStatus::of(from, to, false, at(2)),
            LicenceStatus::Expiring
        );
        assert_eq!(
            LicenceStatus::of(from, to, false, at(31)),
            LicenceStatus::Expired
        );
        assert_eq!(
            LicenceStatus::of(from, to, true, at(2)),
            LicenceStatus::Revoked
        );
        assert_eq!(
            LicenceStatus::of(from, None, false, at(30)),
            LicenceStatus::Active,
            "perpetual"
        );
        assert!(LicenceStatus::Expiring.is_valid() && !LicenceStatus::Expired.is_valid());
    }

    #[test]
    fn notices_fall_due_at_30_7_and_1_day_once_each_and_only_the_most_urgent() {
        let end = at(31);
        assert_eq!(notice_due(end, end - Duration::days(31), &[]), None);
        assert_eq!(notice_due(end, end - Duration::days(30), &[]), Some(30));
        assert_eq!(notice_due(end, end - Duration::days(20), &[30]), None);
        assert_eq!(
            notice_due(end, end - Duration::days(5), &[]),
            Some(7),
            "found late: only the 7-day notice"
        );
        assert_eq!(
            notice_due(end, end - Duration::hours(20), &[30, 7]),
            Some(1)
        );
        assert_eq!(
            notice_due(end, end - Duration::hours(20), &[30, 7, 1]),
            None
        );
        assert_eq!(
            notice_due(end, end, &[]),
            None,
            "expired: no notice, the licence is enforced"
        );
        assert_eq!(days_left(end, end - Duration::hours(20)), 1);
    }

    #[test]
    fn a_template_is_checked_field_by_field() {
        let form = LicenceTemplateForm {
            key: "edge-pro".into(),
            name: "Edge Pro".into(),
            licence_type: "subscription".into(),
            products: "edge-gateway, Core".into(),
            seats: "50".into(),
            term_days: "365".into(),
            features: "offline-mode".into(),
        };
        let draft = LicenceTemplateDraft::parse(&form).unwrap();
        assert_eq!(draft.products, ["core", "edge-gateway"]);
        assert_eq!(draft.term_days, Some(365));
        let perpetual = LicenceTemplateDraft::parse(&LicenceTemplateForm {
            licence_type: "perpetual".into(),
            term_days: String::new(),
            ..form.clone()
        })
        .unwrap();
        assert_eq!(perpetual.term_days, None);
        let errors = LicenceTemplateDraft::parse(&LicenceTemplateForm {
            key: "X".into(),
            licence_type: "forever".into(),
            seats: "0".into(),
            products: "a b".into(),
            ..form
        })
        .unwrap_err();
        for field in ["key", "licence_type", "seats", "products"] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
        }
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level_without_spaces() {
        let value = serde_json::json!({ "b": [ { "z": 1, "a": "x y" } ], "a": null });
        assert_eq!(
            canonical_json(&value),
            r#"{"a":null,"b":[{"a":"x y","z":1}]}"#
        );
    }
}
