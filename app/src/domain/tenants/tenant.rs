//! Tenant identity and placement fields (PRODUCT.md, "Domain model" → Tenant).
//! Each type is parsed once where input arrives, so the rest of the code can
//! trust it; every `parse` error is a sentence fit to show next to the field.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The string plumbing shared by the newtypes below: `as_str`, `Display`, and
/// serde as a plain string that goes through `parse` on the way in, so stored
/// or posted data can never build an invalid value.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(raw: String) -> Result<Self, String> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

/// Rules shared by slug-like identifiers (tenant slugs, plan codes, regions):
/// lowercase ASCII letters, digits and single hyphens, starting with a letter
/// and not ending with a hyphen, so they are safe in URLs, DNS labels and
/// file names. `value` must already be trimmed and lower-cased; `what` names
/// the field in messages ("slug", "plan code", "region").
fn check_slug_like(value: &str, what: &str, min: usize, max: usize) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("Enter a {what}."));
    }
    let len = value.chars().count();
    if len < min || len > max {
        return Err(format!(
            "A {what} must be {min} to {max} characters long; this one has {len}."
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let shown = if bad.is_whitespace() {
            "spaces".to_string()
        } else {
            format!("\"{bad}\"")
        };
        return Err(format!(
            "A {what} may only contain lowercase letters, digits and hyphens; remove {shown}."
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!("A {what} must start with a letter."));
    }
    if value.ends_with('-') {
        return Err(format!("A {what} cannot end with a hyphen."));
    }
    if value.contains("--") {
        return Err(format!("A {what} cannot contain two hyphens in a row."));
    }
    Ok(())
}

/// Trimmed and lower-cased so "Acme-Prod " and "acme-prod" are the same tenant.
fn normalize(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// The unique, URL-safe name of a tenant. 3–63 characters: at most one DNS
/// label, so it can name hosts and resources as is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = normalize(raw);
        check_slug_like(&value, "slug", 3, 63)?;
        Ok(Self(value))
    }
}

string_newtype!(TenantSlug);

/// The code of a plan (quotas and feature flags), e.g. "enterprise".
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PlanCode(String);

impl PlanCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = normalize(raw);
        check_slug_like(&value, "plan code", 2, 32)?;
        Ok(Self(value))
    }
}

string_newtype!(PlanCode);

/// A placement region such as "eu-central-1". Only the spelling is checked
/// here; whether the region may be used is [`check_residency`]'s job.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Region(String);

impl Region {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = normalize(raw);
        check_slug_like(&value, "region", 2, 32)?;
        Ok(Self(value))
    }
}

string_newtype!(Region);

/// The human name shown for a tenant. Case and inner spacing are kept as typed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 120;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("Enter a display name.".to_string());
        }
        let len = value.chars().count();
        if len > Self::MAX_CHARS {
            return Err(format!(
                "A display name can be at most {} characters; this one has {len}.",
                Self::MAX_CHARS
            ));
        }
        // Line breaks and other control characters would break lists, logs and
        // CSV exports.
        if value.chars().any(char::is_control) {
            return Err(
                "A display name cannot contain line breaks or other control characters."
                    .to_string(),
            );
        }
        Ok(Self(value.to_string()))
    }
}

string_newtype!(DisplayName);

/// Reads one of a fixed set of codes, forgiving case and surrounding spaces
/// (form and CLI input); the error lists the accepted codes.
fn parse_choice<T: Copy>(
    raw: &str,
    all: &[T],
    as_str: fn(T) -> &'static str,
    noun: &str,
) -> Result<T, String> {
    let value = raw.trim().to_ascii_lowercase();
    if let Some(found) = all.iter().copied().find(|c| as_str(*c) == value) {
        return Ok(found);
    }
    let codes: Vec<&str> = all.iter().map(|c| as_str(*c)).collect();
    let choices = match codes.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => codes.join(", "),
    };
    if value.is_empty() {
        let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        Err(format!("Choose {article} {noun}: {choices}."))
    } else {
        Err(format!(
            "\"{}\" is not a known {noun}; choose {choices}.",
            raw.trim()
        ))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Production,
    Staging,
    Development,
}

impl Environment {
    pub const ALL: [Environment; 3] = [Self::Production, Self::Staging, Self::Development];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Staging => "staging",
            Self::Development => "development",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        parse_choice(raw, &Self::ALL, Self::as_str, "environment")
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Production => "Production",
            Self::Staging => "Staging",
            Self::Development => "Development",
        }
    }
}

/// How a tenant is deployed, which decides how upgrades run (PRODUCT.md:
/// swap for edge, maintenance for standard).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentKind {
    Edge,
    Standard,
    Endpoints,
}

impl DeploymentKind {
    pub const ALL: [DeploymentKind; 3] = [Self::Edge, Self::Standard, Self::Endpoints];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Edge => "edge",
            Self::Standard => "standard",
            Self::Endpoints => "endpoints",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        parse_choice(raw, &Self::ALL, Self::as_str, "deployment kind")
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Edge => "Edge",
            Self::Standard => "Standard",
            Self::Endpoints => "Endpoints",
        }
    }

    /// One-line explanation for forms and tooltips.
    pub fn description(self) -> &'static str {
        match self {
            Self::Edge => "Stateless, upgraded by blue-green swap",
            Self::Standard => "Single-tenant, upgraded in place",
            Self::Endpoints => "Client endpoints only",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IsolationMode {
    Shared,
    Dedicated,
    Isolated,
}

impl IsolationMode {
    pub const ALL: [IsolationMode; 3] = [Self::Shared, Self::Dedicated, Self::Isolated];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::Dedicated => "dedicated",
            Self::Isolated => "isolated",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        parse_choice(raw, &Self::ALL, Self::as_str, "isolation mode")
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Shared => "Shared",
            Self::Dedicated => "Dedicated",
            Self::Isolated => "Isolated",
        }
    }
}

fn region_list(regions: &[Region]) -> String {
    regions
        .iter()
        .map(Region::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Data residency: a tenant may be placed only in a region that is both among
/// its allowed regions and among the regions this installation has
/// configured. An empty allowed list allows nothing (residency fails closed:
/// a forgotten setting must not place data anywhere).
pub fn check_residency(
    region: &Region,
    allowed: &[Region],
    configured: &[Region],
) -> Result<(), String> {
    if allowed.is_empty() {
        return Err(format!(
            "Region {region} cannot be used: this tenant has no allowed regions yet. Add the allowed regions first."
        ));
    }
    if !allowed.contains(region) {
        return Err(format!(
            "Region {region} is outside this tenant's allowed regions ({}). Pick one of those or change the allowed regions.",
            region_list(allowed)
        ));
    }
    if configured.is_empty() {
        return Err(format!(
            "Region {region} is not configured: no regions are configured yet. Ask a platform admin to configure it."
        ));
    }
    if !configured.contains(region) {
        return Err(format!(
            "Region {region} is not one of the configured regions ({}). Pick one of those or ask a platform admin to configure it.",
            region_list(configured)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(raw: &str) -> Region {
        Region::parse(raw).unwrap()
    }

    fn regions(raws: &[&str]) -> Vec<Region> {
        raws.iter().map(|r| region(r)).collect()
    }

    // ----- TenantSlug -----

    #[test]
    fn slugs_are_trimmed_and_lower_cased() {
        assert_eq!(
            TenantSlug::parse("  Acme-Prod ").unwrap().as_str(),
            "acme-prod"
        );
    }

    #[test]
    fn slugs_may_be_three_to_sixty_three_characters_long() {
        assert!(TenantSlug::parse("abc").is_ok());
        assert!(TenantSlug::parse(&"a".repeat(63)).is_ok());
        assert_eq!(
            TenantSlug::parse("ab"),
            Err("A slug must be 3 to 63 characters long; this one has 2.".to_string())
        );
        assert!(TenantSlug::parse(&"a".repeat(64)).is_err());
    }

    #[test]
    fn empty_slug_asks_for_one() {
        assert_eq!(TenantSlug::parse("   "), Err("Enter a slug.".to_string()));
    }

    #[test]
    fn slugs_with_other_characters_name_the_culprit() {
        assert_eq!(
            TenantSlug::parse("acme_prod"),
            Err(
                "A slug may only contain lowercase letters, digits and hyphens; remove \"_\"."
                    .to_string()
            )
        );
        assert_eq!(
            TenantSlug::parse("acme prod"),
            Err(
                "A slug may only contain lowercase letters, digits and hyphens; remove spaces."
                    .to_string()
            )
        );
        for bad in ["acme.prod", "acmé", "acme/prod"] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs_start_with_a_letter_and_use_single_inner_hyphens() {
        assert_eq!(
            TenantSlug::parse("1acme"),
            Err("A slug must start with a letter.".to_string())
        );
        assert_eq!(
            TenantSlug::parse("-acme"),
            Err("A slug must start with a letter.".to_string())
        );
        assert_eq!(
            TenantSlug::parse("acme-"),
            Err("A slug cannot end with a hyphen.".to_string())
        );
        assert_eq!(
            TenantSlug::parse("acme--prod"),
            Err("A slug cannot contain two hyphens in a row.".to_string())
        );
        assert!(TenantSlug::parse("acme-prod-2").is_ok());
    }

    #[test]
    fn slugs_serialize_as_strings_and_are_checked_when_read() {
        let slug = TenantSlug::parse("acme-prod").unwrap();
        assert_eq!(serde_json::to_string(&slug).unwrap(), "\"acme-prod\"");
        assert_eq!(
            serde_json::from_str::<TenantSlug>("\"acme-prod\"").unwrap(),
            slug
        );
        assert!(serde_json::from_str::<TenantSlug>("\"acme--prod\"").is_err());
    }

    // ----- PlanCode -----

    #[test]
    fn plan_codes_are_short_lowercase_slugs() {
        assert_eq!(
            PlanCode::parse(" Enterprise ").unwrap().as_str(),
            "enterprise"
        );
        assert!(PlanCode::parse("pro-2").is_ok());
        assert!(PlanCode::parse("xs").is_ok());
        assert!(PlanCode::parse(&"p".repeat(32)).is_ok());
        assert_eq!(
            PlanCode::parse("x"),
            Err("A plan code must be 2 to 32 characters long; this one has 1.".to_string())
        );
        assert!(PlanCode::parse(&"p".repeat(33)).is_err());
        assert_eq!(PlanCode::parse(""), Err("Enter a plan code.".to_string()));
        assert!(PlanCode::parse("pro plan").is_err());
    }

    #[test]
    fn plan_codes_serialize_as_strings() {
        let plan = PlanCode::parse("enterprise").unwrap();
        let json = serde_json::to_string(&plan).unwrap();
        assert_eq!(json, "\"enterprise\"");
        assert_eq!(serde_json::from_str::<PlanCode>(&json).unwrap(), plan);
        assert!(serde_json::from_str::<PlanCode>("\"-\"").is_err());
    }

    // ----- Region -----

    #[test]
    fn regions_look_like_cloud_region_names() {
        for ok in ["eu-central-1", "us-east-1", "eastus2", "EU-West-1 "] {
            assert!(Region::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(region("EU-West-1 ").as_str(), "eu-west-1");
        assert_eq!(Region::parse(""), Err("Enter a region.".to_string()));
        assert!(Region::parse("e").is_err());
        assert!(Region::parse(&"r".repeat(33)).is_err());
        assert!(Region::parse("eu_central_1").is_err());
        assert!(Region::parse("1-eu").is_err());
    }

    #[test]
    fn regions_serialize_as_strings() {
        let json = serde_json::to_string(&region("eu-west-1")).unwrap();
        assert_eq!(json, "\"eu-west-1\"");
        assert_eq!(
            serde_json::from_str::<Region>(&json).unwrap(),
            region("eu-west-1")
        );
        assert!(serde_json::from_str::<Region>("\"eu west\"").is_err());
    }

    // ----- Residency -----

    #[test]
    fn a_region_that_is_allowed_and_configured_passes_residency() {
        let allowed = regions(&["eu-central-1", "eu-west-1"]);
        let configured = regions(&["eu-central-1", "eu-west-1", "us-east-1"]);
        assert_eq!(
            check_residency(&region("eu-west-1"), &allowed, &configured),
            Ok(())
        );
    }

    #[test]
    fn a_region_outside_the_allowed_ones_is_refused_with_the_alternatives() {
        let allowed = regions(&["eu-central-1", "eu-west-1"]);
        let configured = regions(&["eu-central-1", "eu-west-1", "us-east-1"]);
        assert_eq!(
            check_residency(&region("us-east-1"), &allowed, &configured),
            Err("Region us-east-1 is outside this tenant's allowed regions (eu-central-1, eu-west-1). Pick one of those or change the allowed regions.".to_string())
        );
    }

    #[test]
    fn an_allowed_region_that_is_not_configured_is_refused() {
        let allowed = regions(&["eu-central-1", "eu-north-1"]);
        let configured = regions(&["eu-central-1"]);
        assert_eq!(
            check_residency(&region("eu-north-1"), &allowed, &configured),
            Err("Region eu-north-1 is not one of the configured regions (eu-central-1). Pick one of those or ask a platform admin to configure it.".to_string())
        );
        let message = check_residency(&region("eu-north-1"), &allowed, &[]).unwrap_err();
        assert!(message.contains("no regions are configured"), "{message}");
    }

    #[test]
    fn a_tenant_without_allowed_regions_cannot_be_placed_anywhere() {
        let configured = regions(&["eu-central-1"]);
        let message = check_residency(&region("eu-central-1"), &[], &configured).unwrap_err();
        assert!(message.contains("no allowed regions"), "{message}");
        assert!(message.contains("Add the allowed regions"), "{message}");
    }

    // ----- DisplayName -----

    #[test]
    fn display_names_are_trimmed_but_keep_their_case() {
        assert_eq!(
            DisplayName::parse("  Acme Production  ").unwrap().as_str(),
            "Acme Production"
        );
    }

    #[test]
    fn display_names_are_one_to_a_hundred_and_twenty_characters() {
        assert_eq!(
            DisplayName::parse(" \t "),
            Err("Enter a display name.".to_string())
        );
        assert!(DisplayName::parse("A").is_ok());
        // Counted in characters, not bytes: 120 two-byte letters still fit.
        assert!(DisplayName::parse(&"é".repeat(120)).is_ok());
        assert_eq!(
            DisplayName::parse(&"a".repeat(121)),
            Err("A display name can be at most 120 characters; this one has 121.".to_string())
        );
    }

    #[test]
    fn display_names_cannot_contain_line_breaks() {
        assert!(DisplayName::parse("Acme\nProduction").is_err());
        assert!(DisplayName::parse("Acme\u{7}").is_err());
    }

    #[test]
    fn display_names_serialize_as_strings() {
        let name = DisplayName::parse("Acme Production").unwrap();
        let json = serde_json::to_string(&name).unwrap();
        assert_eq!(json, "\"Acme Production\"");
        assert_eq!(serde_json::from_str::<DisplayName>(&json).unwrap(), name);
        assert!(serde_json::from_str::<DisplayName>("\"  \"").is_err());
    }

    // ----- Enumerations -----

    #[test]
    fn every_choice_round_trips_through_its_code() {
        for env in Environment::ALL {
            assert_eq!(Environment::parse(env.as_str()), Ok(env));
        }
        for kind in DeploymentKind::ALL {
            assert_eq!(DeploymentKind::parse(kind.as_str()), Ok(kind));
            assert!(!kind.description().is_empty());
        }
        for mode in IsolationMode::ALL {
            assert_eq!(IsolationMode::parse(mode.as_str()), Ok(mode));
        }
    }

    #[test]
    fn choices_forgive_case_and_surrounding_spaces() {
        assert_eq!(
            Environment::parse(" Production "),
            Ok(Environment::Production)
        );
        assert_eq!(DeploymentKind::parse("EDGE"), Ok(DeploymentKind::Edge));
        assert_eq!(
            IsolationMode::parse("Isolated\n"),
            Ok(IsolationMode::Isolated)
        );
    }

    #[test]
    fn unknown_choices_list_the_accepted_codes() {
        assert_eq!(
            Environment::parse("prod"),
            Err(
                "\"prod\" is not a known environment; choose production, staging or development."
                    .to_string()
            )
        );
        assert_eq!(
            DeploymentKind::parse(""),
            Err("Choose a deployment kind: edge, standard or endpoints.".to_string())
        );
        assert_eq!(
            IsolationMode::parse("private"),
            Err(
                "\"private\" is not a known isolation mode; choose shared, dedicated or isolated."
                    .to_string()
            )
        );
    }

    #[test]
    fn choices_have_sentence_case_labels() {
        assert_eq!(Environment::Staging.label(), "Staging");
        assert_eq!(DeploymentKind::Endpoints.label(), "Endpoints");
        assert_eq!(IsolationMode::Dedicated.label(), "Dedicated");
    }

    #[test]
    fn choices_serialize_as_their_codes() {
        for env in Environment::ALL {
            let json = serde_json::to_string(&env).unwrap();
            assert_eq!(json, format!("\"{}\"", env.as_str()));
            assert_eq!(serde_json::from_str::<Environment>(&json).unwrap(), env);
        }
        for kind in DeploymentKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<DeploymentKind>(&json).unwrap(), kind);
        }
        for mode in IsolationMode::ALL {
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{}\"", mode.as_str()));
            assert_eq!(serde_json::from_str::<IsolationMode>(&json).unwrap(), mode);
        }
    }
}

/// Longest label a tenant may carry.
pub const MAX_LABEL_CHARS: usize = 40;

/// Labels from a comma-separated list: trimmed, lower-cased, empty ones and
/// repeats dropped. A label is at most 40 characters and has no quote (labels
/// are matched as quoted JSON strings when filtering).
pub fn parse_labels(raw: &str) -> Result<Vec<String>, String> {
    let mut labels: Vec<String> = Vec::new();
    for label in raw
        .split(',')
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
    {
        if label.chars().count() > MAX_LABEL_CHARS || label.contains('"') {
            return Err(format!(
                "Label \"{label}\" is too long or contains a quote; use at most {MAX_LABEL_CHARS} characters."
            ));
        }
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    Ok(labels)
}

/// A list that arrives as a JSON array (REST), in the comma-separated form
/// the services read. An item holding a comma would silently become two
/// items, so it is refused instead.
pub fn join_list_items(items: &[String]) -> Result<String, String> {
    match items.iter().find(|item| item.contains(',')) {
        Some(item) => Err(format!(
            "\"{item}\" contains a comma; send each value as its own item of the list."
        )),
        None => Ok(items.join(",")),
    }
}

#[cfg(test)]
mod label_tests {
    use super::{join_list_items, parse_labels};

    #[test]
    fn a_list_item_with_a_comma_is_refused_not_split() {
        assert!(join_list_items(&["eu,pilot".into()]).is_err());
        assert_eq!(
            join_list_items(&["eu".into(), "pilot".into()]).unwrap(),
            "eu,pilot"
        );
        assert_eq!(join_list_items(&[]).unwrap(), "");
    }

    #[test]
    fn labels_are_trimmed_lower_cased_and_deduplicated() {
        assert_eq!(
            parse_labels(" Pilot, emea,,pilot ").unwrap(),
            ["pilot", "emea"]
        );
        assert_eq!(parse_labels("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn long_or_quoted_labels_are_refused() {
        assert!(parse_labels(&"x".repeat(41)).is_err());
        assert!(parse_labels("a\"b").is_err());
    }
}
