//! What an endpoint agent reports, checked before anything is stored: a bad
//! report is refused whole and changes nothing.

use chrono::{DateTime, Duration, Utc};
use semver::Version;
use serde::{Deserialize, Serialize};

use crate::domain::validation::FieldErrors;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Linux,
    Windows,
    Mobile,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Linux, Platform::Windows, Platform::Mobile];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Linux => "linux",
            Platform::Windows => "windows",
            Platform::Mobile => "mobile",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}

/// How many agents one enrollment token may register: empty means any
/// number until it expires; `1` makes it single-use.
pub fn parse_max_registrations(raw: &str) -> Result<Option<i64>, String> {
    match raw.trim() {
        "" => Ok(None),
        text => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .map(Some)
            .ok_or_else(|| {
                "Enter how many agents may register with it (1 to 100000), or leave it empty."
                    .to_owned()
            }),
    }
}

/// Whether a registration may take over the endpoint already registered
/// under its hostname: only with that endpoint's own agent token, or with
/// an enrollment token its admin made for replacing endpoints. Otherwise a
/// leaked enrollment token could hijack any existing machine's identity.
pub fn may_take_over(token_replaces_endpoints: bool, presents_current_agent_token: bool) -> bool {
    token_replaces_endpoints || presents_current_agent_token
}

/// A report with its fields as sent.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RawReport {
    pub hostname: String,
    pub platform: String,
    pub agent_version: String,
    /// Product key → installed version.
    #[serde(default)]
    pub products: std::collections::BTreeMap<String, String>,
    /// Registration of a hostname that is already registered: that
    /// endpoint's current agent token, proving it is the same machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_agent_token: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentReport {
    pub hostname: String,
    pub platform: Platform,
    pub agent_version: Version,
    pub products: Vec<(String, Version)>,
}

pub const MAX_PRODUCTS_PER_REPORT: usize = 50;

impl AgentReport {
    pub fn parse(raw: &RawReport) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let hostname = raw.hostname.trim().to_lowercase();
        let valid_host = !hostname.is_empty()
            && hostname.len() <= 253
            && hostname
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if !valid_host {
            errors.push(
                "hostname",
                "Send the host name: letters, digits, dots and dashes, up to 253 characters.",
            );
        }
        let platform = Platform::parse(raw.platform.trim());
        if platform.is_none() {
            errors.push(
                "platform",
                format!(
                    "'{}' is not a platform; use linux, windows or mobile.",
                    raw.platform
                ),
            );
        }
        let agent_version = Version::parse(raw.agent_version.trim()).ok();
        if agent_version.is_none() {
            errors.push(
                "agent_version",
                format!("'{}' is not a semantic version.", raw.agent_version),
            );
        }
        if raw.products.len() > MAX_PRODUCTS_PER_REPORT {
            errors.push(
                "products",
                format!("Report at most {MAX_PRODUCTS_PER_REPORT} products."),
            );
        }
        let mut products = vec![];
        for (key, version) in &raw.products {
            match Version::parse(version.trim()) {
                Ok(parsed) => products.push((key.clone(), parsed)),
                Err(_) => errors.push(
                    &format!("products.{key}"),
                    format!("'{version}' is not a semantic version."),
                ),
            }
        }
        match (platform, agent_version) {
            (Some(platform), Some(agent_version)) if errors.is_empty() => Ok(Self {
                hostname,
                platform,
                agent_version,
                products,
            }),
            _ => Err(errors),
        }
    }
}

/// An endpoint is online if it reported within this long.
pub const ONLINE_WITHIN_MINUTES: i64 = 15;

pub fn is_online(last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_seen <= Duration::minutes(ONLINE_WITHIN_MINUTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrollment_tokens_may_be_single_use_or_limited() {
        assert_eq!(parse_max_registrations(""), Ok(None));
        assert_eq!(parse_max_registrations(" 1 "), Ok(Some(1)));
        assert_eq!(parse_max_registrations("250"), Ok(Some(250)));
        for bad in ["0", "-3", "many", "100001"] {
            assert!(parse_max_registrations(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_existing_endpoint_is_taken_over_only_with_proof_or_consent() {
        assert!(!may_take_over(false, false));
        assert!(may_take_over(false, true));
        assert!(may_take_over(true, false));
    }

    fn report() -> RawReport {
        RawReport {
            hostname: "POS-0042.store.example".into(),
            platform: "windows".into(),
            agent_version: "1.4.0".into(),
            products: [("edge-gateway".to_owned(), "5.2.0".to_owned())].into(),
            current_agent_token: None,
        }
    }

    #[test]
    fn a_good_report_is_normalised() {
        let parsed = AgentReport::parse(&report()).unwrap();
        assert_eq!(parsed.hostname, "pos-0042.store.example");
        assert_eq!(parsed.platform, Platform::Windows);
        assert_eq!(
            parsed.products,
            [("edge-gateway".to_owned(), Version::new(5, 2, 0))]
        );
    }

    #[test]
    fn a_bad_report_names_each_problem() {
        let bad = RawReport {
            hostname: "pos 42".into(),
            platform: "amiga".into(),
            agent_version: "latest".into(),
            products: [("edge-gateway".to_owned(), "5.x".to_owned())].into(),
            current_agent_token: None,
        };
        let errors = AgentReport::parse(&bad).unwrap_err();
        for field in [
            "hostname",
            "platform",
            "agent_version",
            "products.edge-gateway",
        ] {
            assert!(errors.for_field(field).is_some(), "{field}");
        }
    }

    #[test]
    fn endpoints_go_offline_after_fifteen_minutes() {
        let now = Utc::now();
        assert!(is_online(now - Duration::minutes(15), now));
        assert!(!is_online(now - Duration::minutes(16), now));
    }
}
