//! The rollout a page's form or an API body asks for, parsed at the door:
//! waves, thresholds, concurrency and wave rules arrive read and checked.

use super::*;
use crate::domain::releases::compliance::ComplianceKind;
use crate::domain::rollouts::rollout::WaveRule;

/// Which targets a rollout picks: explicit tenant slugs, or filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetSelection {
    /// When not empty, the filters are ignored.
    pub tenants: Vec<String>,
    pub plan: Option<String>,
    pub region: Option<String>,
    pub label: Option<String>,
    /// Only tenants (or endpoints) running exactly this version.
    pub current_version: Option<String>,
    pub compliance_status: Option<ComplianceKind>,
}

impl TargetSelection {
    /// `tenants: a, b` or `plan=…, region=…`, as the rollout page shows it.
    pub fn describe(&self) -> String {
        if !self.tenants.is_empty() {
            return format!("tenants: {}", self.tenants.join(", "));
        }
        let parts: Vec<String> = [
            ("plan", &self.plan),
            ("region", &self.region),
            ("label", &self.label),
            ("version", &self.current_version),
            (
                "compliance",
                &self.compliance_status.map(|s| s.as_str().to_owned()),
            ),
        ]
        .iter()
        .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key}={v}")))
        .collect();
        if parts.is_empty() {
            "every active tenant licensing the product".into()
        } else {
            parts.join(", ")
        }
    }

    /// The filters that apply: none when tenants are named explicitly.
    pub(super) fn filters(&self) -> Option<&Self> {
        self.tenants.is_empty().then_some(self)
    }
}

/// A rollout to plan.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRollout {
    pub scope: RolloutScope,
    /// Product key or id: the service looks it up.
    pub product: String,
    pub version: semver::Version,
    pub selection: TargetSelection,
    /// Explicit waves, one rule per line; empty: waves by percentage.
    pub wave_rules: Vec<WaveRule>,
    pub settings: RolloutSettings,
}

/// What a rollout form decided, once validated.
#[derive(Clone, Debug, PartialEq)]
pub struct RolloutSettings {
    pub name: String,
    pub splits: Vec<u32>,
    pub thresholds: Thresholds,
    pub concurrency: u32,
    /// `pause` or `stop` when the error threshold is crossed.
    pub on_error: &'static str,
    pub start_at: Option<DateTime<Utc>>,
    pub requires_approval: bool,
}

fn optional(raw: &str) -> Option<String> {
    Some(raw.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

pub(super) fn slugs(raw: &str) -> Vec<String> {
    raw.split([',', '\n', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn default_if_empty<'a>(raw: &'a str, default: &'a str) -> &'a str {
    if raw.trim().is_empty() { default } else { raw }
}

impl TryFrom<&RolloutForm> for NewRollout {
    type Error = FieldErrors;

    fn try_from(form: &RolloutForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = form.name.trim();
        if name.is_empty() {
            errors.push(
                "name",
                "Name the rollout, e.g. \"Edge 2.5 to all EU tenants\".",
            );
        }
        let splits = parse_wave_splits(&form.waves).unwrap_or_else(|message| {
            errors.push("waves", message);
            vec![100]
        });
        let thresholds = parse_thresholds(
            default_if_empty(&form.success_threshold, "95"),
            default_if_empty(&form.error_threshold, "10"),
        )
        .unwrap_or_else(|found| {
            errors.0.extend(found.0);
            Thresholds::default()
        });
        let concurrency = parse_concurrency(default_if_empty(&form.concurrency, "10"))
            .unwrap_or_else(|message| {
                errors.push("concurrency", message);
                1
            });
        let on_error = match form.on_error.trim() {
            "" | "pause" => "pause",
            "stop" => "stop",
            _ => {
                errors.push("on_error", "Choose pause or stop.");
                "pause"
            }
        };
        let wave_rules = parse_wave_rules(&form.wave_plan).unwrap_or_else(|message| {
            errors.push("wave_plan", message);
            vec![]
        });
        let scope = match form.scope.trim() {
            "" | "tenants" => TENANTS,
            "endpoints" => ENDPOINTS,
            _ => {
                errors.push("scope", "Choose tenants or endpoints.");
                TENANTS
            }
        };
        if scope == ENDPOINTS && !form.wave_plan.trim().is_empty() {
            errors.push(
                "wave_plan",
                "Endpoint rollouts take percentage waves; leave the wave plan empty.",
            );
        }
        let compliance_status = match optional(&form.compliance_status) {
            None => None,
            Some(word) => {
                let status = ComplianceKind::parse(&word);
                if status.is_none() {
                    errors.push(
                        "compliance_status",
                        format!("'{word}' is not a compliance status; use compliant, outdated, in_grace, non_compliant or eol."),
                    );
                }
                status
            }
        };
        let start_at = changes::parse_utc_time(&form.start_at).unwrap_or_else(|message| {
            errors.push("start_at", message);
            None
        });
        let product = form.product.trim();
        if product.is_empty() {
            errors.push("product", "Choose a product from the catalog.");
        }
        let raw_version = form.target_version.trim().trim_start_matches('v');
        let version = semver::Version::parse(raw_version);
        if version.is_err() {
            errors.push(
                "target_version",
                format!("'{raw_version}' is not a semantic version, e.g. 2.4.1."),
            );
        }
        match version {
            Ok(version) if errors.is_empty() => Ok(Self {
                scope,
                product: product.to_owned(),
                version,
                selection: TargetSelection {
                    tenants: slugs(&form.tenants),
                    plan: optional(&form.plan),
                    region: optional(&form.region),
                    label: optional(&form.label),
                    current_version: optional(&form.current_version),
                    compliance_status,
                },
                wave_rules,
                settings: RolloutSettings {
                    name: name.to_owned(),
                    splits,
                    thresholds,
                    concurrency,
                    on_error,
                    start_at,
                    requires_approval: form.requires_approval,
                },
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RolloutForm {
        RolloutForm {
            name: "Edge 2.5 to the EU".into(),
            product: "edge-gateway".into(),
            target_version: "2.5.0".into(),
            region: " eu-central-1 ".into(),
            waves: "10, 50".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_rollout_arrives_with_its_defaults_and_its_selection() {
        let rollout = NewRollout::try_from(&form()).unwrap();
        assert_eq!(rollout.scope, TENANTS);
        assert_eq!(rollout.version, semver::Version::new(2, 5, 0));
        assert_eq!(rollout.settings.splits, [10, 50, 100], "the rest follows");
        assert_eq!(rollout.settings.concurrency, 10);
        assert_eq!(rollout.settings.on_error, "pause");
        assert_eq!(rollout.selection.describe(), "region=eu-central-1");
    }

    #[test]
    fn named_tenants_override_the_filters() {
        let named = RolloutForm {
            tenants: "acme-prod, globex\ninitech".into(),
            ..form()
        };
        let rollout = NewRollout::try_from(&named).unwrap();
        assert_eq!(
            rollout.selection.tenants,
            ["acme-prod", "globex", "initech"]
        );
        assert!(rollout.selection.filters().is_none());
        assert_eq!(
            rollout.selection.describe(),
            "tenants: acme-prod, globex, initech"
        );
    }

    #[test]
    fn every_bad_setting_is_named_at_once() {
        let bad = RolloutForm {
            name: " ".into(),
            scope: "endpoints".into(),
            target_version: "soon".into(),
            on_error: "panic".into(),
            wave_plan: "rest".into(),
            ..form()
        };
        let fields: Vec<String> = NewRollout::try_from(&bad)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "on_error", "wave_plan", "target_version"]);
    }
}
