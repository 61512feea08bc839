//! A plan in the vendor's catalogue: its code, name, the feature flags it
//! turns on and its quotas. Only flags and quotas that something in the
//! portal reads exist here: a flag gates the feature it names, a quota is
//! checked where the thing it counts is created.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::tenants::tenant::PlanCode;
use crate::domain::validation::FieldErrors;

/// A feature a plan may include. Each gates one thing, in the portal and
/// the API alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum FeatureFlag {
    /// Edge deployments with blue-green switches.
    BlueGreen,
    /// Exporting the audit log as CSV (the tenant's own users).
    AuditExport,
    /// Updates scheduled on their own when a release is published.
    AutoUpdate,
}

impl FeatureFlag {
    pub const ALL: [FeatureFlag; 3] = [Self::BlueGreen, Self::AuditExport, Self::AutoUpdate];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BlueGreen => "blue_green",
            Self::AuditExport => "audit_export",
            Self::AutoUpdate => "auto_update",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::BlueGreen => "Blue-green deployments",
            Self::AuditExport => "Audit log export",
            Self::AutoUpdate => "Automatic updates",
        }
    }

    /// The refusal a tenant without this flag gets, naming the flag.
    pub fn refusal(self) -> String {
        format!(
            "{} needs the feature `{}`, which the tenant's plan does not include; change the plan or ask the vendor.",
            self.label(),
            self.as_str()
        )
    }
}

/// Something a plan limits, counted where it is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Quota {
    /// People with access to the tenant, invited ones included.
    Users,
    /// Registered endpoints (agents).
    Endpoints,
    /// Storage in GB, as the tenant's installation reports it.
    StorageGb,
    /// API requests per minute for the tenant's people and tokens.
    ApiRequestsPerMinute,
    /// The tenant's changes running at once; more wait their turn.
    ConcurrentUpdates,
    /// The tenant's own webhook endpoints.
    WebhookEndpoints,
}

impl Quota {
    pub const ALL: [Quota; 6] = [
        Self::Users,
        Self::Endpoints,
        Self::StorageGb,
        Self::ApiRequestsPerMinute,
        Self::ConcurrentUpdates,
        Self::WebhookEndpoints,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Endpoints => "endpoints",
            Self::StorageGb => "storage_gb",
            Self::ApiRequestsPerMinute => "api_requests_per_minute",
            Self::ConcurrentUpdates => "concurrent_updates",
            Self::WebhookEndpoints => "webhook_endpoints",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Users => "Users",
            Self::Endpoints => "Endpoints",
            Self::StorageGb => "Storage (GB)",
            Self::ApiRequestsPerMinute => "API requests per minute",
            Self::ConcurrentUpdates => "Concurrent updates",
            Self::WebhookEndpoints => "Webhook endpoints",
        }
    }

    /// Rates and concurrency are limits on how fast, not on how much: a
    /// downgrade below them is never "over quota", and usage warnings skip them.
    pub fn is_amount(self) -> bool {
        !matches!(self, Self::ApiRequestsPerMinute | Self::ConcurrentUpdates)
    }
}

/// A plan's quotas: a number per quota; a quota left out is unlimited.
pub type Quotas = BTreeMap<Quota, u64>;

/// The most any quota may be set to (beyond is a typo, not a plan).
pub const MAX_QUOTA: u64 = 1_000_000_000;

/// A plan as the vendor edits it, checked field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanDraft {
    pub code: PlanCode,
    pub name: String,
    pub description: String,
    pub feature_flags: Vec<FeatureFlag>,
    pub quotas: Quotas,
}

/// The plan form as typed: quotas as text (empty = unlimited).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub feature_flags: Vec<String>,
    #[serde(default)]
    pub quotas: BTreeMap<String, String>,
}

impl PlanDraft {
    pub fn parse(input: &PlanInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let code = PlanCode::parse(&input.code)
            .map_err(|e| errors.push("code", e))
            .ok();
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 64 {
            errors.push("name", "Give the plan a name of 1 to 64 characters.");
        }
        let description = input.description.trim().to_owned();
        if description.chars().count() > 500 {
            errors.push("description", "Keep the description under 500 characters.");
        }
        let mut feature_flags = Vec::new();
        for raw in &input.feature_flags {
            match FeatureFlag::parse(raw) {
                Some(flag) if !feature_flags.contains(&flag) => feature_flags.push(flag),
                Some(_) => {}
                None => errors.push(
                    "feature_flags",
                    format!(
                        "`{}` is not a feature; use {}.",
                        raw.trim(),
                        FeatureFlag::ALL.map(FeatureFlag::as_str).join(", ")
                    ),
                ),
            }
        }
        feature_flags.sort();
        let quotas = parse_quotas(&input.quotas, &mut errors, "quotas");
        match code {
            Some(code) if errors.is_empty() => Ok(Self {
                code,
                name,
                description,
                feature_flags,
                quotas,
            }),
            _ => Err(errors),
        }
    }
}

/// Quotas as typed (`{"users": "25", "storage_gb": ""}`): a whole number
/// from 0 to [`MAX_QUOTA`], or empty for unlimited. Errors name
/// `{field}.{quota}`.
pub fn parse_quotas(
    raw: &BTreeMap<String, String>,
    errors: &mut FieldErrors,
    field: &str,
) -> Quotas {
    let mut quotas = Quotas::new();
    for (key, value) in raw {
        let Some(quota) = Quota::parse(key) else {
            errors.push(
                field,
                format!(
                    "`{key}` is not a quota; use {}.",
                    Quota::ALL.map(Quota::as_str).join(", ")
                ),
            );
            continue;
        };
        match parse_limit(value) {
            Ok(Some(n)) => {
                quotas.insert(quota, n);
            }
            Ok(None) => {}
            Err(message) => errors.push(&format!("{field}.{}", quota.as_str()), message),
        }
    }
    quotas
}

/// One limit as typed: empty is unlimited, else a whole number in range.
pub fn parse_limit(raw: &str) -> Result<Option<u64>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u64>() {
        Ok(n) if n <= MAX_QUOTA => Ok(Some(n)),
        _ => Err(format!(
            "`{raw}` is not a limit: use a whole number from 0 to {MAX_QUOTA}, or leave it empty for unlimited."
        )),
    }
}

/// Stored quotas (a JSON object of numbers) as typed quotas; unknown keys
/// and non-numbers are dropped (nothing reads them).
pub fn quotas_from_json(value: &serde_json::Value) -> Quotas {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((Quota::parse(k)?, v.as_u64()?)))
                .collect()
        })
        .unwrap_or_default()
}

pub fn quotas_to_json(quotas: &Quotas) -> serde_json::Value {
    serde_json::Value::Object(
        quotas
            .iter()
            .map(|(q, n)| (q.as_str().to_owned(), serde_json::Value::from(*n)))
            .collect(),
    )
}

/// Stored flags (a JSON array of names) as typed flags; unknown names dropped.
pub fn flags_from_json(value: &serde_json::Value) -> Vec<FeatureFlag> {
    let mut flags: Vec<FeatureFlag> = value
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter_map(|n| FeatureFlag::parse(n.as_str()?))
                .collect()
        })
        .unwrap_or_default();
    flags.sort();
    flags.dedup();
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(quotas: &[(&str, &str)], flags: &[&str]) -> PlanInput {
        PlanInput {
            code: "growth".into(),
            name: "Growth".into(),
            description: String::new(),
            feature_flags: flags.iter().map(|f| f.to_string()).collect(),
            quotas: quotas
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_plan_is_its_flags_and_numeric_quotas_with_empty_meaning_unlimited() {
        let plan = PlanDraft::parse(&input(
            &[("users", " 25 "), ("storage_gb", ""), ("endpoints", "0")],
            &["blue_green", "audit_export", "blue_green"],
        ))
        .unwrap();
        assert_eq!(plan.code.as_str(), "growth");
        assert_eq!(
            plan.feature_flags,
            vec![FeatureFlag::BlueGreen, FeatureFlag::AuditExport]
        );
        assert_eq!(plan.quotas.get(&Quota::Users), Some(&25));
        assert_eq!(plan.quotas.get(&Quota::Endpoints), Some(&0));
        assert_eq!(plan.quotas.get(&Quota::StorageGb), None);
    }

    #[test]
    fn unknown_flags_quotas_and_bad_numbers_are_named_by_field() {
        let errors = PlanDraft::parse(&input(
            &[("users", "-3"), ("seats", "4"), ("endpoints", "1e9")],
            &["sso"],
        ))
        .unwrap_err();
        assert!(
            errors
                .for_field("quotas.users")
                .unwrap()
                .contains("`-3` is not a limit")
        );
        assert!(errors.for_field("quotas.endpoints").is_some());
        assert!(
            errors
                .for_field("quotas")
                .unwrap()
                .contains("`seats` is not a quota")
        );
        assert!(
            errors
                .for_field("feature_flags")
                .unwrap()
                .contains("`sso` is not a feature")
        );
    }

    #[test]
    fn stored_json_keeps_only_what_is_read() {
        let quotas =
            quotas_from_json(&serde_json::json!({"users": 25, "seats": 4, "endpoints": "x"}));
        assert_eq!(quotas, Quotas::from([(Quota::Users, 25)]));
        assert_eq!(quotas_from_json(&quotas_to_json(&quotas)), quotas);
        assert_eq!(
            flags_from_json(&serde_json::json!([
                "sso",
                "auto_update",
                "blue_green",
                "auto_update"
            ])),
            vec![FeatureFlag::BlueGreen, FeatureFlag::AutoUpdate]
        );
    }

    #[test]
    fn a_refusal_names_the_flag() {
        assert!(FeatureFlag::BlueGreen.refusal().contains("`blue_green`"));
    }
}
