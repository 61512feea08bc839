//! Saved tenant filters: a name for a set of tenant-list filters (state,
//! plan, region, …) that a change request can target, one change per tenant
//! matching it when the change is requested.

use serde::{Deserialize, Serialize};

use crate::domain::validation::FieldErrors;

/// The filters a saved filter keeps, as the tenant list takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FilterFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl FilterFields {
    /// The same filters with blank values dropped and the rest trimmed.
    pub fn normalized(&self) -> Self {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Self {
            q: clean(&self.q),
            state: clean(&self.state),
            plan: clean(&self.plan),
            region: clean(&self.region),
            environment: clean(&self.environment),
            kind: clean(&self.kind),
            label: clean(&self.label),
        }
    }

    /// The filters in words, e.g. "State: active · Region: eu-central-1".
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("Search", &self.q),
            ("State", &self.state),
            ("Plan", &self.plan),
            ("Region", &self.region),
            ("Environment", &self.environment),
            ("Deployment", &self.kind),
            ("Label", &self.label),
        ]
        .into_iter()
        .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label}: {v}")))
        .collect();
        parts.join(" · ")
    }

    pub fn is_empty(&self) -> bool {
        self.normalized() == Self::default()
    }
}

/// A saved filter as submitted: a name of 2–60 characters and at least one
/// filter (without one it would be every tenant, which is a rollout's job).
pub fn parse_saved_filter(
    name: &str,
    fields: &FilterFields,
) -> Result<(String, FilterFields), FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    match name.chars().count() {
        0 => errors.push("name", "Name the filter, e.g. \"EU pilots\"."),
        1 => errors.push("name", "Use at least 2 characters."),
        61.. => errors.push("name", "Use at most 60 characters."),
        _ => {}
    }
    let fields = fields.normalized();
    if fields.is_empty() {
        errors.push(
            "filters",
            "Choose at least one filter first; a filter without any would match every tenant.",
        );
    }
    errors.into_result(|| (name.to_owned(), fields))
}

/// The most tenants one request for a saved filter may fan out to; more is
/// what staged rollouts are for.
pub const MAX_FILTER_TARGETS: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    fn eu_active() -> FilterFields {
        FilterFields {
            state: Some("active".into()),
            region: Some(" eu-central-1 ".into()),
            plan: Some("".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_saved_filter_has_a_name_and_at_least_one_filter() {
        let (name, fields) = parse_saved_filter("  EU pilots ", &eu_active()).unwrap();
        assert_eq!(name, "EU pilots");
        assert_eq!(fields.region.as_deref(), Some("eu-central-1"), "trimmed");
        assert_eq!(fields.plan, None, "blank filters are dropped");

        let refused = parse_saved_filter("x", &FilterFields::default()).unwrap_err();
        assert!(refused.for_field("name").is_some());
        assert!(
            refused
                .for_field("filters")
                .unwrap()
                .contains("every tenant")
        );
        assert!(parse_saved_filter(&"n".repeat(61), &eu_active()).is_err());
        let blank = FilterFields {
            label: Some("  ".into()),
            ..Default::default()
        };
        assert!(
            parse_saved_filter("Blank", &blank).is_err(),
            "only blanks is no filter"
        );
    }

    #[test]
    fn a_saved_filter_describes_itself_in_words() {
        assert_eq!(
            eu_active().normalized().describe(),
            "State: active · Region: eu-central-1"
        );
        assert_eq!(FilterFields::default().describe(), "");
    }
}
