//! What people submit to the release catalog and to version policy, parsed
//! into valid values or field errors naming what to fix.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};

use crate::domain::releases::compliance::DEFAULT_GRACE_DAYS;
use crate::domain::releases::compliance::PolicyLevel;
use crate::domain::validation::FieldErrors;

fn parse_version(errors: &mut FieldErrors, field: &str, raw: &str) -> Option<Version> {
    let raw = raw.trim().trim_start_matches('v');
    match Version::parse(raw) {
        Ok(version) => Some(version),
        Err(_) => {
            errors.push(
                field,
                format!("'{raw}' is not a semantic version; write it like 5.2.0 or 6.0.0-rc.1."),
            );
            None
        }
    }
}

fn parse_optional_version(errors: &mut FieldErrors, field: &str, raw: &str) -> Option<Version> {
    if raw.trim().is_empty() {
        None
    } else {
        parse_version(errors, field, raw)
    }
}

fn parse_optional_date(errors: &mut FieldErrors, field: &str, raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            errors.push(field, format!("'{raw}' is not a date; use YYYY-MM-DD."));
            None
        }
    }
}

/// Whether a release is offered. Withdrawn releases never count as latest
/// and are never an upgrade target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ReleaseStatus {
    Published,
    Withdrawn,
}

impl ReleaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Published => "published",
            ReleaseStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Published, Self::Withdrawn]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// A release as entered: the form's text fields, validated together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseRequest {
    pub version: Version,
    pub released_on: NaiveDate,
    pub end_of_support: Option<NaiveDate>,
    pub end_of_life: Option<NaiveDate>,
    pub status: ReleaseStatus,
    pub notes: String,
    /// Component → pinned version.
    pub components: BTreeMap<String, Version>,
}

/// The raw text of a release form or API body.
#[derive(Clone, Debug, Default)]
pub struct ReleaseInput<'a> {
    pub version: &'a str,
    pub released_on: &'a str,
    pub end_of_support: &'a str,
    pub end_of_life: &'a str,
    pub status: &'a str,
    pub notes: &'a str,
    /// One `component=version` per line (or comma-separated).
    pub components: &'a str,
}

impl ReleaseRequest {
    pub fn parse(input: &ReleaseInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let version = parse_version(&mut errors, "version", input.version);
        let released_on = if input.released_on.trim().is_empty() {
            errors.push("released_on", "Give the release date (YYYY-MM-DD).");
            None
        } else {
            parse_optional_date(&mut errors, "released_on", input.released_on)
        };
        let end_of_support =
            parse_optional_date(&mut errors, "end_of_support", input.end_of_support);
        let end_of_life = parse_optional_date(&mut errors, "end_of_life", input.end_of_life);
        if let (Some(released), Some(eol)) = (released_on, end_of_life) {
            if eol <= released {
                errors.push("end_of_life", "End of life must be after the release date.");
            }
        }
        if let (Some(eos), Some(eol)) = (end_of_support, end_of_life) {
            if eos > eol {
                errors.push(
                    "end_of_support",
                    "End of support cannot be after end of life.",
                );
            }
        }
        let status = match input.status.trim() {
            "" | "published" => ReleaseStatus::Published,
            "withdrawn" => ReleaseStatus::Withdrawn,
            other => {
                errors.push(
                    "status",
                    format!("'{other}' is not a status; use published or withdrawn."),
                );
                ReleaseStatus::Published
            }
        };
        let notes = input.notes.trim().to_owned();
        if notes.chars().count() > 5000 {
            errors.push("notes", "Keep release notes under 5000 characters.");
        }
        let mut components = BTreeMap::new();
        for entry in input
            .components
            .split(['\n', ','])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            match entry.split_once('=') {
                Some((name, raw)) if valid_component_name(name.trim()) => {
                    if let Some(pinned) = parse_version(&mut errors, "components", raw) {
                        components.insert(name.trim().to_owned(), pinned);
                    }
                }
                _ => errors.push(
                    "components",
                    format!("'{entry}' should read component=version, e.g. api=5.2.0."),
                ),
            }
        }
        match (version, released_on) {
            (Some(version), Some(released_on)) if errors.is_empty() => Ok(Self {
                version,
                released_on,
                end_of_support,
                end_of_life,
                status,
                notes,
                components,
            }),
            _ => Err(errors),
        }
    }
}

fn valid_component_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 60
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A product key: lower-case letters, digits and dashes.
pub fn parse_product(key: &str, name: &str) -> Result<(String, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let key = key.trim().to_lowercase();
    if key.len() < 2
        || key.len() > 40
        || !key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.push(
            "key",
            "Use 2–40 lower-case letters, digits and dashes, e.g. edge-gateway.",
        );
    }
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 {
        errors.push("name", "Name the product (up to 80 characters).");
    }
    errors.into_result(|| (key, name))
}

/// What happens to a tenant that falls out of policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforcementAction {
    Notify,
    ScheduleForcedUpgrade,
    BlockEolDeployments,
    RestrictAccess,
}

impl EnforcementAction {
    pub const ALL: [EnforcementAction; 4] = [
        Self::Notify,
        Self::ScheduleForcedUpgrade,
        Self::BlockEolDeployments,
        Self::RestrictAccess,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notify => "notify",
            Self::ScheduleForcedUpgrade => "schedule_forced_upgrade",
            Self::BlockEolDeployments => "block_eol_deployments",
            Self::RestrictAccess => "restrict_access",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Notify => "Notify (end-of-life notices in-app and by email)",
            Self::ScheduleForcedUpgrade => "Schedule forced upgrade",
            Self::BlockEolDeployments => "Block new deployments of EOL versions",
            Self::RestrictAccess => "Restrict access",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// Whether a policy's actions forbid deploying a version that stands so:
/// past end of life (in grace or beyond) under `block_eol_deployments`.
pub fn deployment_blocked(
    status: &crate::domain::releases::compliance::ComplianceStatus,
    actions: &[EnforcementAction],
) -> bool {
    use crate::domain::releases::compliance::ComplianceStatus::Eol;
    use crate::domain::releases::compliance::ComplianceStatus::InGrace;
    matches!(status, Eol | InGrace { .. })
        && actions.contains(&EnforcementAction::BlockEolDeployments)
}

/// Policy before action: why a tenant may not move to `target`, which
/// stands so under its version policy (`status`, with the policy's
/// `actions`), naming the rule and the way out; `None` when it may.
/// Past end of life is refused under `block_eol_deployments`; a version
/// outside the policy's range (below its minimum, say) always is.
pub fn move_refusal(
    target: &Version,
    status: &crate::domain::releases::compliance::ComplianceStatus,
    actions: &[EnforcementAction],
) -> Option<String> {
    use crate::domain::releases::compliance::ComplianceStatus::NonCompliant;
    if deployment_blocked(status, actions) {
        return Some(format!(
            "{target} is past its end of life and the version policy blocks deploying it (block EOL deployments); choose a supported release."
        ));
    }
    match status {
        NonCompliant { reason } => Some(format!(
            "{target} is outside the version policy ({reason}); choose a release within it, or change the policy first."
        )),
        _ => None,
    }
}

/// Whether a tenant's access is restricted for running a version that stands
/// so: only once the grace period is over (`eol`) or the version is outside
/// the policy's range (`non_compliant`), and only under `restrict_access`.
/// `status_key` is the stored status (`ComplianceStatus::key`).
pub fn restricts_access(
    status: crate::domain::releases::compliance::ComplianceKind,
    actions: &[EnforcementAction],
) -> bool {
    use crate::domain::releases::compliance::ComplianceKind::{Eol, NonCompliant};
    matches!(status, Eol | NonCompliant) && actions.contains(&EnforcementAction::RestrictAccess)
}

/// A version policy as submitted, for one level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRequest {
    pub level: PolicyLevel,
    pub minimum: Option<Version>,
    pub maximum: Option<Version>,
    pub eol_date: Option<NaiveDate>,
    pub grace_days: i64,
    pub actions: Vec<EnforcementAction>,
}

#[derive(Clone, Debug, Default)]
pub struct PolicyInput<'a> {
    pub level: &'a str,
    pub has_product: bool,
    pub has_tenant: bool,
    pub minimum: &'a str,
    pub maximum: &'a str,
    pub eol_date: &'a str,
    pub grace_days: &'a str,
    pub actions: &'a [&'a str],
}

pub const MAX_GRACE_DAYS: i64 = 365;

impl PolicyRequest {
    pub fn parse(input: &PolicyInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let level = PolicyLevel::parse(input.level);
        match level {
            None => errors.push("level", "Choose global, product or tenant."),
            Some(PolicyLevel::Global) if input.has_product || input.has_tenant => {
                errors.push("level", "A global policy names no product or tenant.")
            }
            Some(PolicyLevel::Product | PolicyLevel::Tenant) if !input.has_product => {
                errors.push("product", "Choose the product this policy is for.")
            }
            Some(PolicyLevel::Tenant) if !input.has_tenant => {
                errors.push("tenant", "Choose the tenant this override is for.")
            }
            Some(PolicyLevel::Product) if input.has_tenant => {
                errors.push("level", "A policy for one tenant is a tenant override.")
            }
            _ => {}
        }
        let minimum = parse_optional_version(&mut errors, "minimum", input.minimum);
        let maximum = parse_optional_version(&mut errors, "maximum", input.maximum);
        if let (Some(min), Some(max)) = (&minimum, &maximum) {
            if min > max {
                errors.push(
                    "maximum",
                    format!("The maximum must not be below the minimum {min}."),
                );
            }
        }
        let eol_date = parse_optional_date(&mut errors, "eol_date", input.eol_date);
        let grace_days = match input.grace_days.trim() {
            "" => DEFAULT_GRACE_DAYS,
            raw => match raw.parse::<i64>() {
                Ok(days) if (0..=MAX_GRACE_DAYS).contains(&days) => days,
                _ => {
                    errors.push(
                        "grace_days",
                        format!("Use a whole number of days from 0 to {MAX_GRACE_DAYS}."),
                    );
                    DEFAULT_GRACE_DAYS
                }
            },
        };
        let mut actions = vec![];
        for raw in input.actions {
            match EnforcementAction::parse(raw) {
                Some(action) if !actions.contains(&action) => actions.push(action),
                Some(_) => {}
                None => errors.push("actions", format!("'{raw}' is not an enforcement action.")),
            }
        }
        match level {
            Some(level) if errors.is_empty() => Ok(Self {
                level,
                minimum,
                maximum,
                eol_date,
                grace_days,
                actions,
            }),
            _ => Err(errors),
        }
    }
}

/// A tenant's request for more days of grace.
pub const MAX_EXTENSION_DAYS: i64 = 180;

pub fn parse_extension_request(days: &str, reason: &str) -> Result<(i64, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let days = match days.trim().parse::<i64>() {
        Ok(d) if (1..=MAX_EXTENSION_DAYS).contains(&d) => d,
        _ => {
            errors.push("days", format!("Ask for 1 to {MAX_EXTENSION_DAYS} days."));
            0
        }
    };
    let reason = reason.trim().to_owned();
    if reason.chars().count() < 10 {
        errors.push("reason", "Say why in a sentence (at least 10 characters), e.g. \"validating 6.0 with our auditors\".");
    }
    errors.into_result(|| (days, reason))
}

/// Feature flags as typed: comma-separated, lower-cased, blanks dropped.
pub fn parse_feature_flags(raw: &str) -> Result<Vec<String>, FieldErrors> {
    let flags: Vec<String> = raw
        .split(',')
        .map(|f| f.trim().to_lowercase())
        .filter(|f| !f.is_empty())
        .collect();
    let valid = |f: &String| {
        f.len() <= 60
            && f.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let mut errors = FieldErrors::default();
    if !flags.iter().all(valid) {
        errors.push(
            "feature_flags",
            "Flags are letters, digits, dots, dashes and underscores, separated by commas.",
        );
    }
    errors.into_result(|| flags)
}

/// A semver requirement for a tenant's allowed versions, e.g. `>=5.0, <6`.
pub fn parse_allowed_range(raw: &str) -> Result<Option<VersionReq>, FieldErrors> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    VersionReq::parse(raw).map(Some).map_err(|_| {
        let mut errors = FieldErrors::default();
        errors.push(
            "allowed_range",
            format!("'{raw}' is not a version range; write it like >=5.0, <6."),
        );
        errors
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn access_is_restricted_only_after_grace_and_only_when_the_policy_says_so() {
        let restrict = [EnforcementAction::Notify, EnforcementAction::RestrictAccess];
        use crate::domain::releases::compliance::ComplianceKind::*;
        assert!(restricts_access(Eol, &restrict));
        assert!(restricts_access(NonCompliant, &restrict));
        for fine in [Compliant, Outdated, InGrace] {
            assert!(!restricts_access(fine, &restrict), "{fine:?}");
        }
        assert!(!restricts_access(Eol, &[EnforcementAction::Notify]));
        assert!(!restricts_access(Eol, &[]));
    }

    use super::*;

    fn release(version: &str, eol: &str) -> ReleaseInput<'static> {
        ReleaseInput {
            version: Box::leak(version.to_owned().into_boxed_str()),
            released_on: "2026-01-15",
            end_of_life: Box::leak(eol.to_owned().into_boxed_str()),
            components: "api=5.2.0\nworker=5.2.1",
            ..Default::default()
        }
    }

    #[test]
    fn a_release_pins_its_components() {
        let parsed = ReleaseRequest::parse(&release("v5.2.0", "2027-06-30")).unwrap();
        assert_eq!(parsed.version, Version::new(5, 2, 0));
        assert_eq!(parsed.components["worker"], Version::new(5, 2, 1));
        assert_eq!(parsed.status, ReleaseStatus::Published);
    }

    #[test]
    fn a_release_names_every_field_at_fault() {
        let errors = ReleaseRequest::parse(&ReleaseInput {
            version: "5.2",
            released_on: "2026-13-01",
            end_of_life: "2025-01-01",
            components: "api 5.2.0",
            status: "gone",
            ..Default::default()
        })
        .unwrap_err();
        for field in ["version", "released_on", "components", "status"] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
        }
        let errors = ReleaseRequest::parse(&release("5.2.0", "2026-01-01")).unwrap_err();
        assert!(
            errors
                .for_field("end_of_life")
                .unwrap()
                .contains("after the release date")
        );
    }

    #[test]
    fn a_policy_matches_its_level() {
        let input = PolicyInput {
            level: "tenant",
            has_product: true,
            has_tenant: true,
            minimum: "5.0.0",
            grace_days: "45",
            actions: &["notify", "restrict_access"],
            ..Default::default()
        };
        let parsed = PolicyRequest::parse(&input).unwrap();
        assert_eq!(parsed.grace_days, 45);
        assert_eq!(
            parsed.actions,
            [EnforcementAction::Notify, EnforcementAction::RestrictAccess]
        );

        let global_with_product = PolicyInput {
            level: "global",
            has_product: true,
            ..Default::default()
        };
        assert!(
            PolicyRequest::parse(&global_with_product)
                .unwrap_err()
                .for_field("level")
                .is_some()
        );
        let inverted = PolicyInput {
            level: "global",
            minimum: "6.0.0",
            maximum: "5.0.0",
            grace_days: "400",
            actions: &["shout"],
            ..Default::default()
        };
        let errors = PolicyRequest::parse(&inverted).unwrap_err();
        for field in ["maximum", "grace_days", "actions"] {
            assert!(errors.for_field(field).is_some(), "{field}");
        }
        let defaults = PolicyRequest::parse(&PolicyInput {
            level: "global",
            ..Default::default()
        })
        .unwrap();
        assert_eq!(defaults.grace_days, DEFAULT_GRACE_DAYS);
    }

    #[test]
    fn an_extension_needs_days_and_a_reason() {
        assert_eq!(
            parse_extension_request("14", "Auditors sign off next month")
                .unwrap()
                .0,
            14
        );
        let errors = parse_extension_request("0", "pls").unwrap_err();
        assert!(errors.for_field("days").is_some() && errors.for_field("reason").is_some());
        assert!(parse_extension_request("181", "A reason long enough").is_err());
    }

    #[test]
    fn allowed_ranges_are_semver_requirements() {
        let range = parse_allowed_range(">=5.0, <6").unwrap().unwrap();
        assert!(range.matches(&Version::new(5, 9, 1)) && !range.matches(&Version::new(6, 0, 0)));
        assert_eq!(parse_allowed_range("  ").unwrap(), None);
        assert!(parse_allowed_range("five-ish").is_err());
    }

    #[test]
    fn only_a_blocking_policy_stops_an_end_of_life_deployment() {
        use super::super::compliance::ComplianceStatus;
        let block = [
            EnforcementAction::Notify,
            EnforcementAction::BlockEolDeployments,
        ];
        let v = Version::new(5, 0, 0);
        let refusal = move_refusal(&v, &ComplianceStatus::Eol, &block).unwrap();
        assert!(refusal.contains("block EOL deployments"), "{refusal}");
        assert_eq!(move_refusal(&v, &ComplianceStatus::Eol, &[]), None);
        let below = ComplianceStatus::NonCompliant {
            reason: "below the minimum 5.1.0".into(),
        };
        let refusal = move_refusal(&v, &below, &[]).unwrap();
        assert!(
            refusal.contains("below the minimum 5.1.0") && refusal.contains("choose a release"),
            "{refusal}"
        );
        assert_eq!(move_refusal(&v, &ComplianceStatus::Compliant, &block), None);
        assert!(deployment_blocked(&ComplianceStatus::Eol, &block));
        assert!(deployment_blocked(
            &ComplianceStatus::InGrace { days_left: 3 },
            &block
        ));
        assert!(!deployment_blocked(&ComplianceStatus::Compliant, &block));
        assert!(!deployment_blocked(
            &ComplianceStatus::Eol,
            &[EnforcementAction::Notify]
        ));
    }

    #[test]
    fn feature_flags_are_a_clean_list() {
        assert_eq!(
            parse_feature_flags(" Beta, offline-mode,, ").unwrap(),
            ["beta", "offline-mode"]
        );
        assert!(
            parse_feature_flags("dark mode")
                .unwrap_err()
                .for_field("feature_flags")
                .is_some()
        );
    }

    #[test]
    fn product_keys_are_slugs() {
        assert_eq!(
            parse_product(" Edge-Gateway ", "Edge Gateway").unwrap().0,
            "edge-gateway"
        );
        assert!(
            parse_product("x", "")
                .unwrap_err()
                .for_field("name")
                .is_some()
        );
    }
}
