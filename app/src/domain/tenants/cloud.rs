//! Cloud resources: a provider resource (a bucket, a database, a cluster)
//! that one or more tenants use, as the orchestrator or an import reports
//! it. Everything about it is checked against a strict grammar (it may end
//! up in a CSV cell, a log line or a link), and a resource outside a
//! tenant's allowed regions is flagged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::tenant::Region;
use crate::domain::validation::FieldErrors;

/// Resources per import at most.
pub const MAX_BATCH: usize = 5000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Provider {
    Aws,
    Azure,
    Gcp,
    Other,
}

impl Provider {
    pub const ALL: [Provider; 4] = [Self::Aws, Self::Azure, Self::Gcp, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Azure => "azure",
            Self::Gcp => "gcp",
            Self::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw.trim().to_lowercase())
    }
}

/// A resource as reported (JSON) or imported (one CSV row).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CloudResourceInput {
    /// `aws`, `azure`, `gcp` or `other`.
    pub provider: String,
    /// e.g. `s3_bucket`, `rds_instance`.
    pub resource_type: String,
    /// The provider's id: an ARN for AWS (`arn:aws:s3:::acme-data`).
    pub resource_id: String,
    pub region: String,
    /// Tenants (slugs or ids) using it; more than one: shared.
    pub tenants: Vec<String>,
    /// The cost-allocation tag billing groups it by.
    #[serde(default)]
    pub cost_tag: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A checked resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudResource {
    pub provider: Provider,
    pub resource_type: String,
    pub resource_id: String,
    pub region: Region,
    pub tenants: Vec<String>,
    pub cost_tag: String,
    pub tags: BTreeMap<String, String>,
}

fn printable(raw: &str, max: usize) -> bool {
    !raw.is_empty() && raw.chars().count() <= max && raw.chars().all(|c| c.is_ascii_graphic())
}

fn tag_text(raw: &str, max: usize) -> bool {
    raw.chars().count() <= max
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.:/=+-@".contains(c))
}

/// An AWS ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`.
fn is_arn(raw: &str) -> bool {
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && !parts[2].is_empty()
        && !parts[5].is_empty()
}

impl CloudResource {
    /// Checks one resource; errors are named `{prefix}.{field}`.
    pub fn parse(
        input: &CloudResourceInput,
        prefix: &str,
        errors: &mut FieldErrors,
    ) -> Option<Self> {
        let field = |name: &str| format!("{prefix}{name}");
        let before = errors.0.len();
        let provider = Provider::parse(&input.provider);
        if provider.is_none() {
            errors.push(&field("provider"), "Use aws, azure, gcp or other.");
        }
        let resource_type = input.resource_type.trim().to_lowercase();
        if !(1..=64).contains(&resource_type.len())
            || !resource_type.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' || c == '.'
            })
        {
            errors.push(
                &field("resource_type"),
                "A type is 1 to 64 lower-case letters, digits, _ - and ., e.g. s3_bucket.",
            );
        }
        let resource_id = input.resource_id.trim().to_owned();
        if !printable(&resource_id, 512) {
            errors.push(
                &field("resource_id"),
                "An id is 1 to 512 printable characters without spaces.",
            );
        } else if provider == Some(Provider::Aws) && !is_arn(&resource_id) {
            errors.push(
                &field("resource_id"),
                "An AWS resource is named by its ARN, e.g. arn:aws:s3:::acme-data.",
            );
        }
        let region = Region::parse(&input.region)
            .map_err(|e| errors.push(&field("region"), e))
            .ok();
        let mut tenants: Vec<String> = input
            .tenants
            .iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        tenants.sort();
        tenants.dedup();
        if tenants.is_empty() || tenants.len() > 1000 {
            errors.push(
                &field("tenants"),
                "Link the resource to 1 to 1000 tenants (slugs or ids).",
            );
        }
        let cost_tag = input.cost_tag.trim().to_owned();
        if !tag_text(&cost_tag, 128) {
            errors.push(
                &field("cost_tag"),
                "A cost tag is up to 128 letters, digits, spaces and _ . : / = + - @.",
            );
        }
        if input.tags.len() > 50 {
            errors.push(&field("tags"), "At most 50 tags.");
        }
        if let Some((key, _)) = input
            .tags
            .iter()
            .find(|(k, v)| k.trim().is_empty() || !tag_text(k, 128) || !tag_text(v, 256))
        {
            errors.push(
                &field("tags"),
                format!("Tag `{}` has a key or value outside letters, digits, spaces and _ . : / = + - @ (key up to 128, value up to 256).", key.chars().take(40).collect::<String>()),
            );
        }
        if errors.0.len() > before {
            return None;
        }
        Some(Self {
            provider: provider?,
            resource_type,
            resource_id,
            region: region?,
            tenants,
            cost_tag,
            tags: input
                .tags
                .iter()
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect(),
        })
    }
}

/// Reads an import: a header row naming `provider,resource_type,resource_id,region,tenants`
/// (and optionally `cost_tag`, `tags`); tenants separated by `;`, tags as
/// `key=value;key=value`. Errors name `rows[n]` (1 = the first data row).
pub fn parse_csv_rows(text: &str) -> Result<Vec<CloudResourceInput>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        errors.push(
            "csv",
            "The file is empty: send a header row and one row per resource.",
        );
        return Err(errors);
    };
    let columns: Vec<String> = header.split(',').map(|c| c.trim().to_lowercase()).collect();
    let at = |name: &str| columns.iter().position(|c| c == name);
    let required = [
        "provider",
        "resource_type",
        "resource_id",
        "region",
        "tenants",
    ];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| at(c).is_none())
        .collect();
    if !missing.is_empty() {
        errors.push("csv", format!("The header lacks {}.", missing.join(", ")));
        return Err(errors);
    }
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != columns.len() {
            errors.push(
                &format!("rows[{}]", n + 1),
                format!(
                    "{} cells where the header has {} (values cannot contain commas).",
                    cells.len(),
                    columns.len()
                ),
            );
            continue;
        }
        let cell = |name: &str| at(name).map(|i| cells[i].to_owned()).unwrap_or_default();
        rows.push(CloudResourceInput {
            provider: cell("provider"),
            resource_type: cell("resource_type"),
            resource_id: cell("resource_id"),
            region: cell("region"),
            tenants: cell("tenants").split(';').map(str::to_owned).collect(),
            cost_tag: cell("cost_tag"),
            tags: cell("tags")
                .split(';')
                .filter(|t| !t.trim().is_empty())
                .map(|t| match t.split_once('=') {
                    Some((k, v)) => (k.trim().to_owned(), v.trim().to_owned()),
                    None => (t.trim().to_owned(), String::new()),
                })
                .collect(),
        });
    }
    if rows.len() > MAX_BATCH {
        errors.push("csv", format!("At most {MAX_BATCH} resources per import."));
    }
    errors.into_result(|| rows)
}

/// The residency finding for a tenant's resource, if it is outside the
/// tenant's allowed regions.
pub fn residency_flag(region: &str, allowed: &[String]) -> Option<String> {
    (!allowed.iter().any(|a| a == region)).then(|| {
        format!(
            "In {region}, outside the tenant's allowed regions ({}).",
            if allowed.is_empty() {
                "none".to_owned()
            } else {
                allowed.join(", ")
            }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket() -> CloudResourceInput {
        CloudResourceInput {
            provider: "AWS".into(),
            resource_type: "s3_bucket".into(),
            resource_id: "arn:aws:s3:::acme-data".into(),
            region: "eu-central-1".into(),
            tenants: vec!["acme".into(), " ACME ".into(), "globex".into()],
            cost_tag: "cc-4711".into(),
            tags: BTreeMap::from([("team".into(), "data".into())]),
        }
    }

    #[test]
    fn a_resource_is_parsed_with_its_tenants_deduplicated() {
        let mut errors = FieldErrors::default();
        let parsed = CloudResource::parse(&bucket(), "", &mut errors).unwrap();
        assert_eq!(parsed.provider, Provider::Aws);
        assert_eq!(parsed.tenants, ["acme", "globex"]);
    }

    #[test]
    fn untrusted_fields_are_held_to_their_grammar() {
        let mut errors = FieldErrors::default();
        let bad = CloudResourceInput {
            provider: "oracle".into(),
            resource_type: "S3 Bucket".into(),
            resource_id: "acme data".into(),
            region: "EU Central".into(),
            tenants: vec![],
            cost_tag: "=HYPERLINK(\"x\")".into(),
            tags: BTreeMap::from([("k".into(), "<script>".into())]),
        };
        assert!(CloudResource::parse(&bad, "resources[0].", &mut errors).is_none());
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "resources[0].provider",
                "resources[0].resource_type",
                "resources[0].resource_id",
                "resources[0].region",
                "resources[0].tenants",
                "resources[0].cost_tag",
                "resources[0].tags"
            ]
        );
        let mut errors = FieldErrors::default();
        let not_an_arn = CloudResourceInput {
            resource_id: "acme-data".into(),
            ..bucket()
        };
        assert!(CloudResource::parse(&not_an_arn, "", &mut errors).is_none());
        assert!(errors.for_field("resource_id").unwrap().contains("ARN"));
    }

    #[test]
    fn a_csv_import_reads_tenants_and_tags_and_names_bad_rows() {
        let rows = parse_csv_rows(
            "provider,resource_type,resource_id,region,tenants,cost_tag,tags\n\
             aws,s3_bucket,arn:aws:s3:::acme-data,eu-central-1,acme;globex,cc-1,team=data;env=prod\n",
        )
        .unwrap();
        assert_eq!(rows[0].tenants, ["acme", "globex"]);
        assert_eq!(rows[0].tags.get("env").map(String::as_str), Some("prod"));
        let errors = parse_csv_rows("provider,region\naws,eu").unwrap_err();
        assert!(errors.for_field("csv").unwrap().contains("resource_type"));
        let errors = parse_csv_rows("provider,resource_type,resource_id,region,tenants\naws,x\n")
            .unwrap_err();
        assert!(errors.for_field("rows[1]").is_some());
    }

    #[test]
    fn a_resource_outside_the_allowed_regions_is_flagged() {
        let allowed = vec!["eu-central-1".to_owned(), "eu-west-1".to_owned()];
        assert_eq!(residency_flag("eu-west-1", &allowed), None);
        assert!(
            residency_flag("us-east-1", &allowed)
                .unwrap()
                .contains("outside")
        );
    }
}
