//! The tenant manifest: its shape (which is also its published JSON Schema),
//! reading it from YAML or JSON with every problem named by its path, and
//! checking every value with the same rules the pages and the API use.
//!
//! A section left out of a manifest (`config`, `products`, `updatePolicy`,
//! …) is not managed by it: the tenant's current values stay as they are.
//! An exported manifest has every section the tenant has.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::domain::changes::change::ApprovalMode;
use crate::domain::changes::schedule::{MaintenanceWindow, parse_timezone};
use crate::domain::events::TypeFilter;
use crate::domain::network::OutboundUrl;
use crate::domain::notifications::email::Email;
use crate::domain::releases::catalog::parse_feature_flags;
use crate::domain::tenants::backup::BackupSchedule;
use crate::domain::tenants::config::{ConfigKey, check_value};
use crate::domain::tenants::secret_rotation::{SecretName, parse_interval};
use crate::domain::tenants::tenant::{
    DeploymentKind, DisplayName, Environment, IsolationMode, PlanCode, Region, TenantSlug,
    parse_labels,
};
use crate::domain::validation::FieldErrors;

pub const API_VERSION: &str = "tenantry/v1";
pub const KIND: &str = "Tenant";
/// Where the schema is published (and its `$id`).
pub const SCHEMA_PATH: &str = "/api/v1/schemas/tenant-manifest.json";
/// The only secret reference today: the value the portal holds for the key.
pub const HELD_SECRET: &str = "tenantry";
/// Contact roles a tenant has.
pub const CONTACT_ROLES: [&str; 3] = ["technical", "billing", "incident"];
/// Systems a tenant carries an external id for.
pub const EXTERNAL_SYSTEMS: [&str; 2] = ["crm", "billing"];
/// The version word for "the newest release the tenant's policy allows".
pub const LATEST: &str = "latest";

/// A tenant as declared: who it is, where it runs, what it runs and under
/// which policies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "Tenantry tenant manifest")]
pub struct TenantManifest {
    /// Always `tenantry/v1`.
    pub api_version: String,
    /// Always `Tenant`.
    pub kind: String,
    pub metadata: Metadata,
    pub spec: Spec,
}

/// Who the tenant is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    /// The tenant's unique name: 3–63 lower-case letters, digits and dashes.
    pub slug: String,
    /// The name people see.
    pub name: String,
    /// The customer's name (set when the tenant is created).
    pub customer: String,
    /// Ids in other systems: `crm`, `billing`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub external_ids: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Role (`technical`, `billing`, `incident`) → e-mail address.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub contacts: BTreeMap<String, String>,
}

/// What the tenant should be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Spec {
    /// `production`, `staging` or `development` (set when created).
    pub environment: String,
    /// `standard`, `edge` or `endpoints` (set when created).
    pub deployment: String,
    /// The plan's code, e.g. `enterprise`.
    pub plan: String,
    pub placement: Placement,
    /// The products the tenant is licensed for, with their desired versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<ProductSpec>>,
    /// Configuration entries; a secret only by reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<BTreeMap<String, ConfigValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_policy: Option<UpdatePolicySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups: Option<BackupSpec>,
    /// Secret name (`webapp`, `database`, `airflow` or a secret config key)
    /// → rotate every this many days (1–365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_rotation: Option<BTreeMap<String, u32>>,
    /// The tenant's own webhook subscriptions (their signing secrets are the
    /// portal's and never appear here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<Vec<WebhookSpec>>,
}

/// Where the tenant runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Placement {
    pub region: String,
    /// Where its data may live; the region must be one of them.
    pub allowed_regions: Vec<String>,
    /// `shared`, `dedicated` or `isolated`.
    pub isolation: String,
}

/// One licensed product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProductSpec {
    /// The product's key in the catalog.
    pub product: String,
    /// The version it should run (`5.2.1`), or `latest`: the newest
    /// published release its policy allows. Left out: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// A semver requirement such as `>=5.0, <6`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_range: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

/// A configuration value: plain text (numbers and booleans are read as
/// text), or a reference to a secret the portal holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ConfigValue {
    Plain(String),
    Secret(SecretRef),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretRef {
    /// `tenantry`: the value the portal holds for this key (set on the
    /// tenant's Config tab or API, or by a rotation). Values never appear
    /// in a manifest.
    pub secret_ref: String,
}

impl<'de> Deserialize<'de> for ConfigValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match Value::deserialize(deserializer)? {
            Value::String(text) => Ok(Self::Plain(text)),
            Value::Number(n) => Ok(Self::Plain(n.to_string())),
            Value::Bool(b) => Ok(Self::Plain(b.to_string())),
            Value::Object(fields) => serde_json::from_value(Value::Object(fields))
                .map(Self::Secret)
                .map_err(|e| {
                    D::Error::custom(format!(
                        "{e}; a secret is written as {{ secretRef: tenantry }}"
                    ))
                }),
            _ => Err(D::Error::custom(
                "a config value is text, a number, true/false or { secretRef: tenantry }",
            )),
        }
    }
}

impl JsonSchema for ConfigValue {
    fn schema_name() -> Cow<'static, str> {
        "ConfigValue".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let secret = generator.subschema_for::<SecretRef>();
        schemars::json_schema!({
            "description": "Plain text (numbers and booleans are read as text), or a reference to a secret the portal holds.",
            "anyOf": [
                { "type": "string" },
                { "type": "number" },
                { "type": "boolean" },
                secret
            ]
        })
    }
}

impl ConfigValue {
    pub fn is_secret(&self) -> bool {
        matches!(self, Self::Secret(_))
    }
}

/// When and how updates reach the tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdatePolicySpec {
    /// `auto_approve`, `majors_only` or `all`.
    pub approval: String,
    /// IANA zone of the windows, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// How long the tenant may delay an update (0–90 days).
    pub max_delay_days: u32,
    /// Upgrade to the latest allowed release on its own.
    #[serde(default)]
    pub auto_update: bool,
    /// The tenant's limit of changes at once (1–100); left out: the plan's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_running_changes: Option<u32>,
    /// Weekly maintenance windows in the policy's zone; none: any time.
    #[serde(default)]
    pub windows: Vec<WindowSpec>,
    /// The tenant's own blackouts that have not ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blackouts: Vec<BlackoutSpec>,
}

/// A weekly window, e.g. `{ day: sat, start: "22:00", end: "02:00" }`; an
/// end at or before the start is on the next day.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WindowSpec {
    /// `mon` … `sun`.
    pub day: String,
    /// `HH:MM`, 24-hour.
    pub start: String,
    /// `HH:MM`, 24-hour; `24:00` for midnight.
    pub end: String,
}

/// A period in which no change starts, in UTC (RFC 3339).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BlackoutSpec {
    pub starts: String,
    pub ends: String,
    pub reason: String,
}

/// How many backups of each class to keep (0: not taken), and how often a
/// restore test runs (0: only when asked).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackupSpec {
    #[serde(default)]
    pub keep_daily: u32,
    #[serde(default)]
    pub keep_weekly: u32,
    #[serde(default)]
    pub keep_monthly: u32,
    #[serde(default)]
    pub restore_test_days: u32,
}

/// A webhook subscription of the tenant's, keyed by its URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookSpec {
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Event types or groups (`change.*`); none: every type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// The published JSON Schema of a manifest.
pub fn schema() -> Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(TenantManifest)).expect("a schema is JSON");
    if let Value::Object(fields) = &mut schema {
        fields.insert("$id".into(), Value::String(SCHEMA_PATH.into()));
    }
    schema
}

/// Every manifest in `text`: YAML (several documents separated by `---`)
/// or JSON (one manifest or an array of them). A problem is named by its
/// path (`spec.products[1].version`), prefixed by the document's place
/// (`[2].`) when the text holds several. Values are checked too.
pub fn parse_documents(text: &str) -> Result<Vec<TenantManifest>, FieldErrors> {
    let documents = read_values(text)?;
    let several = documents.len() > 1;
    let mut manifests = Vec::new();
    let mut errors = FieldErrors::default();
    for (index, document) in documents.into_iter().enumerate() {
        let prefix = if several {
            format!("[{index}].")
        } else {
            String::new()
        };
        match from_value(document) {
            Ok(manifest) => manifests.push(manifest),
            Err(problems) => {
                for problem in problems.0 {
                    errors.push(format!("{prefix}{}", problem.field), problem.message);
                }
            }
        }
    }
    if manifests.is_empty() && errors.is_empty() {
        errors.push("", "The text holds no manifest.");
    }
    errors.into_result(|| manifests)
}

/// One manifest from a JSON value, its shape and its values checked.
pub fn from_value(document: Value) -> Result<TenantManifest, FieldErrors> {
    let manifest: TenantManifest = serde_path_to_error::deserialize(document).map_err(|e| {
        let mut errors = FieldErrors::default();
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        errors.push(path, e.into_inner().to_string());
        errors
    })?;
    validate(manifest)
}

fn read_values(text: &str) -> Result<Vec<Value>, FieldErrors> {
    let trimmed = text.trim_start();
    let problem = |message: String| {
        let mut errors = FieldErrors::default();
        errors.push("", message);
        errors
    };
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(one) => Ok(vec![one]),
            Err(e) => Err(problem(format!("This is not valid JSON: {e}."))),
        };
    }
    let mut values = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(document)
            .map_err(|e| problem(format!("This is not valid YAML: {e}.")))?;
        if !value.is_null() {
            values.push(value);
        }
    }
    Ok(values)
}

/// The manifest as YAML, as `GET …/manifest?format=yaml` serves it.
pub fn to_yaml(manifest: &TenantManifest) -> String {
    serde_norway::to_string(manifest).expect("a manifest is plain data")
}

fn check(errors: &mut FieldErrors, path: impl Into<String>, result: Result<(), String>) {
    if let Err(message) = result {
        errors.push(path, message);
    }
}

/// Checks every value and returns the manifest in its normal form (slugs,
/// labels, keys and addresses lower-cased and trimmed, windows, blackouts
/// and labels sorted), so two spellings of one intent compare equal.
pub fn validate(mut manifest: TenantManifest) -> Result<TenantManifest, FieldErrors> {
    let mut errors = FieldErrors::default();
    if manifest.api_version != API_VERSION {
        errors.push("apiVersion", format!("Use apiVersion: {API_VERSION}."));
    }
    if manifest.kind != KIND {
        errors.push("kind", format!("Use kind: {KIND}."));
    }
    validate_metadata(&mut errors, &mut manifest.metadata);
    validate_spec(&mut errors, &mut manifest.spec);
    errors.into_result(|| manifest)
}

fn validate_metadata(errors: &mut FieldErrors, metadata: &mut Metadata) {
    match TenantSlug::parse(&metadata.slug) {
        Ok(slug) => metadata.slug = slug.as_str().to_owned(),
        Err(m) => errors.push("metadata.slug", m),
    }
    match DisplayName::parse(&metadata.name) {
        Ok(name) => metadata.name = name.as_str().to_owned(),
        Err(m) => errors.push("metadata.name", m),
    }
    metadata.customer = metadata.customer.trim().to_owned();
    check(
        errors,
        "metadata.customer",
        match metadata.customer.chars().count() {
            0 => Err("Name the customer.".into()),
            n if n > 120 => Err("Use at most 120 characters.".into()),
            _ => Ok(()),
        },
    );
    for (system, id) in &mut metadata.external_ids {
        let path = format!("metadata.externalIds.{system}");
        *id = id.trim().to_owned();
        if !EXTERNAL_SYSTEMS.contains(&system.as_str()) {
            errors.push(path, format!("Use one of {}.", EXTERNAL_SYSTEMS.join(", ")));
        } else if id.is_empty() || id.chars().count() > 120 || id.chars().any(char::is_control) {
            errors.push(path, "Give the id on one line, 1 to 120 characters.");
        }
    }
    let mut labels = Vec::new();
    for (index, label) in metadata.labels.iter().enumerate() {
        let path = format!("metadata.labels[{index}]");
        if label.contains(',') {
            errors.push(path, "A label cannot contain a comma.");
            continue;
        }
        match parse_labels(label) {
            Ok(parsed) if parsed.is_empty() => errors.push(path, "A label cannot be empty."),
            Ok(parsed) => labels.extend(parsed),
            Err(m) => errors.push(path, m),
        }
    }
    labels.sort();
    labels.dedup();
    metadata.labels = labels;
    for (role, address) in &mut metadata.contacts {
        let path = format!("metadata.contacts.{role}");
        if !CONTACT_ROLES.contains(&role.as_str()) {
            errors.push(path, format!("Use one of {}.", CONTACT_ROLES.join(", ")));
            continue;
        }
        match Email::parse(address) {
            Ok(email) => *address = email.as_str().to_owned(),
            Err(e) => errors.push(path, e.to_string()),
        }
    }
}

fn validate_spec(errors: &mut FieldErrors, spec: &mut Spec) {
    match Environment::parse(&spec.environment) {
        Ok(env) => spec.environment = env.as_str().to_owned(),
        Err(m) => errors.push("spec.environment", m),
    }
    match DeploymentKind::parse(&spec.deployment) {
        Ok(kind) => spec.deployment = kind.as_str().to_owned(),
        Err(m) => errors.push("spec.deployment", m),
    }
    match PlanCode::parse(&spec.plan) {
        Ok(code) => spec.plan = code.as_str().to_owned(),
        Err(m) => errors.push("spec.plan", m),
    }
    validate_placement(errors, &mut spec.placement);
    if let Some(products) = &mut spec.products {
        validate_products(errors, products);
    }
    if let Some(config) = &mut spec.config {
        validate_config(errors, config);
    }
    if let Some(policy) = &mut spec.update_policy {
        validate_policy(errors, policy);
    }
    if let Some(backups) = &spec.backups {
        let number = |n: u32| n.to_string();
        if let Err(problems) = BackupSchedule::parse(
            &number(backups.keep_daily),
            &number(backups.keep_weekly),
            &number(backups.keep_monthly),
            &number(backups.restore_test_days),
        ) {
            for problem in problems.0 {
                errors.push(
                    format!("spec.backups.{}", camel_case(&problem.field)),
                    problem.message,
                );
            }
        }
    }
    if let Some(rotation) = &spec.secret_rotation {
        for (name, days) in rotation {
            let path = format!("spec.secretRotation.{name}");
            if let Err(m) = SecretName::parse(name) {
                errors.push(path, m);
            } else if let Err(m) = parse_interval(&days.to_string()) {
                errors.push(path, m);
            }
        }
    }
    if let Some(webhooks) = &mut spec.webhooks {
        validate_webhooks(errors, webhooks);
    }
}

fn validate_placement(errors: &mut FieldErrors, placement: &mut Placement) {
    match Region::parse(&placement.region) {
        Ok(region) => placement.region = region.as_str().to_owned(),
        Err(m) => errors.push("spec.placement.region", m),
    }
    let mut allowed = Vec::new();
    for (index, region) in placement.allowed_regions.iter().enumerate() {
        match Region::parse(region) {
            Ok(region) => allowed.push(region.as_str().to_owned()),
            Err(m) => errors.push(format!("spec.placement.allowedRegions[{index}]"), m),
        }
    }
    allowed.sort();
    allowed.dedup();
    if allowed.is_empty() {
        errors.push(
            "spec.placement.allowedRegions",
            "List at least the region the tenant runs in.",
        );
    } else if !allowed.contains(&placement.region) {
        errors.push(
            "spec.placement.region",
            format!(
                "{} is not one of the allowed regions ({}).",
                placement.region,
                allowed.join(", ")
            ),
        );
    }
    placement.allowed_regions = allowed;
    match IsolationMode::parse(&placement.isolation) {
        Ok(mode) => placement.isolation = mode.as_str().to_owned(),
        Err(m) => errors.push("spec.placement.isolation", m),
    }
}

fn validate_products(errors: &mut FieldErrors, products: &mut [ProductSpec]) {
    let mut seen = Vec::new();
    for (index, product) in products.iter_mut().enumerate() {
        let path = |field: &str| format!("spec.products[{index}].{field}");
        product.product = product.product.trim().to_lowercase();
        if product.product.is_empty() {
            errors.push(path("product"), "Name the product by its catalog key.");
        } else if seen.contains(&product.product) {
            errors.push(
                path("product"),
                format!("{} is listed twice.", product.product),
            );
        }
        seen.push(product.product.clone());
        let range = match product.allowed_range.as_deref().map(str::trim) {
            None | Some("") => {
                product.allowed_range = None;
                None
            }
            Some(raw) => match semver::VersionReq::parse(raw) {
                Ok(req) => {
                    product.allowed_range = Some(req.to_string());
                    Some(req)
                }
                Err(_) => {
                    errors.push(
                        path("allowedRange"),
                        format!("{raw} is not a version range; write it like >=5.0, <6."),
                    );
                    None
                }
            },
        };
        if let Some(version) = &mut product.version {
            *version = version.trim().to_owned();
            if version.as_str() != LATEST {
                match semver::Version::parse(version) {
                    Ok(parsed) if range.as_ref().is_some_and(|r| !r.matches(&parsed)) => errors
                        .push(
                            path("version"),
                            format!(
                                "{version} is outside the allowed range {}.",
                                product.allowed_range.as_deref().unwrap_or_default()
                            ),
                        ),
                    Ok(_) => {}
                    Err(_) => errors.push(
                        path("version"),
                        format!("{version} is not a version; write it like 5.2.1, or latest."),
                    ),
                }
            }
        }
        match parse_feature_flags(&product.features.join(",")) {
            Ok(mut flags) => {
                flags.sort();
                flags.dedup();
                product.features = flags;
            }
            Err(problems) => {
                for problem in problems.0 {
                    errors.push(path("features"), problem.message);
                }
            }
        }
    }
    products.sort_by(|a, b| a.product.cmp(&b.product));
}

fn validate_config(errors: &mut FieldErrors, config: &mut BTreeMap<String, ConfigValue>) {
    let mut normal = BTreeMap::new();
    for (key, value) in std::mem::take(config) {
        let path = format!("spec.config.{key}");
        let parsed = match ConfigKey::parse(&key) {
            Ok(parsed) if parsed.as_str() == key => parsed,
            Ok(parsed) => {
                errors.push(
                    path,
                    format!(
                        "Write the key as {} (keys are lower case).",
                        parsed.as_str()
                    ),
                );
                continue;
            }
            Err(m) => {
                errors.push(path, m);
                continue;
            }
        };
        match &value {
            ConfigValue::Plain(text) => check(errors, path, check_value(text)),
            ConfigValue::Secret(reference) if reference.secret_ref != HELD_SECRET => errors.push(
                format!("{path}.secretRef"),
                format!("Use secretRef: {HELD_SECRET} (the value the portal holds for {key}); a secret's value never appears in a manifest."),
            ),
            ConfigValue::Secret(_) => {}
        }
        normal.insert(parsed.as_str().to_owned(), value);
    }
    *config = normal;
}

fn validate_policy(errors: &mut FieldErrors, policy: &mut UpdatePolicySpec) {
    let path = |field: &str| format!("spec.updatePolicy.{field}");
    match ApprovalMode::parse(policy.approval.trim()) {
        Some(mode) => policy.approval = mode.as_str().to_owned(),
        None => errors.push(path("approval"), "Use auto_approve, majors_only or all."),
    }
    match parse_timezone(policy.timezone.trim()) {
        Ok(zone) => policy.timezone = zone.name().to_owned(),
        Err(m) => errors.push(path("timezone"), m),
    }
    if policy.max_delay_days > 90 {
        errors.push(path("maxDelayDays"), "Use 0 to 90 days.");
    }
    if policy
        .max_running_changes
        .is_some_and(|n| !(1..=100).contains(&n))
    {
        errors.push(
            path("maxRunningChanges"),
            "Use 1 to 100 changes at once, or leave it out for the plan's quota.",
        );
    }
    for (index, window) in policy.windows.iter_mut().enumerate() {
        match MaintenanceWindow::parse(&window.day, &window.start, &window.end) {
            Ok(parsed) => *window = window_spec(&parsed),
            Err(problems) => {
                for problem in problems.0 {
                    let field = if problem.field == "weekday" {
                        "day"
                    } else {
                        problem.field.as_str()
                    };
                    errors.push(
                        format!("spec.updatePolicy.windows[{index}].{field}"),
                        problem.message,
                    );
                }
            }
        }
    }
    policy.windows.sort_by_key(|w| window_order(w));
    policy.windows.dedup();
    for (index, blackout) in policy.blackouts.iter_mut().enumerate() {
        let path = |field: &str| format!("spec.updatePolicy.blackouts[{index}].{field}");
        let read = |raw: &str| {
            chrono::DateTime::parse_from_rfc3339(raw.trim())
                .map(|at| at.with_timezone(&chrono::Utc))
                .ok()
        };
        let starts = read(&blackout.starts);
        let ends = read(&blackout.ends);
        let hint = "Write it in RFC 3339, e.g. 2026-12-24T00:00:00Z.";
        match (starts, ends) {
            (None, _) => errors.push(path("starts"), hint),
            (_, None) => errors.push(path("ends"), hint),
            (Some(s), Some(e)) if e <= s => {
                errors.push(path("ends"), "The blackout must end after it starts.")
            }
            (Some(s), Some(e)) => {
                blackout.starts = utc_text(s);
                blackout.ends = utc_text(e);
            }
        }
        blackout.reason = blackout.reason.trim().to_owned();
        let length = blackout.reason.chars().count();
        if length == 0 || length > 200 || blackout.reason.chars().any(char::is_control) {
            errors.push(path("reason"), "Say why on one line, 1 to 200 characters.");
        }
    }
    policy.blackouts.sort();
}

fn validate_webhooks(errors: &mut FieldErrors, webhooks: &mut [WebhookSpec]) {
    let mut seen = Vec::new();
    for (index, hook) in webhooks.iter_mut().enumerate() {
        let path = |field: &str| format!("spec.webhooks[{index}].{field}");
        hook.url = hook.url.trim().to_owned();
        match OutboundUrl::parse(&hook.url) {
            Err(m) => errors.push(path("url"), m),
            Ok(_) if seen.contains(&hook.url) => {
                errors.push(path("url"), format!("{} is listed twice.", hook.url))
            }
            Ok(_) => seen.push(hook.url.clone()),
        }
        hook.description = hook.description.trim().to_owned();
        if hook.description.chars().count() > 200 {
            errors.push(path("description"), "Use at most 200 characters.");
        }
        if let Some(bad) = hook.events.iter().find(|e| e.contains(',')) {
            errors.push(
                path("events"),
                format!("{bad:?} contains a comma; list each type on its own."),
            );
        } else if let Err(m) = TypeFilter::parse(&hook.events.join(",")) {
            errors.push(path("events"), m);
        }
        hook.events.sort();
        hook.events.dedup();
    }
    webhooks.sort_by(|a, b| a.url.cmp(&b.url));
}

/// A window as a manifest writes it.
pub fn window_spec(window: &MaintenanceWindow) -> WindowSpec {
    use chrono::Timelike;
    let start = window.start.hour() * 60 + window.start.minute();
    let end = (start + window.duration_minutes) % (24 * 60);
    let clock = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
    WindowSpec {
        day: crate::domain::notifications::digest::weekday_key(window.weekday).to_owned(),
        start: clock(start),
        end: clock(end),
    }
}

fn window_order(window: &WindowSpec) -> (usize, String, String) {
    let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .position(|d| *d == window.day)
        .unwrap_or(7);
    (day, window.start.clone(), window.end.clone())
}

/// A UTC instant as manifests write it (`2026-12-24T00:00:00Z`).
pub fn utc_text(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const ACME: &str = r#"
apiVersion: tenantry/v1
kind: Tenant
metadata:
  slug: acme-prod
  name: Acme Production
  customer: Acme Corp
  externalIds: { crm: CRM-1 }
  labels: [pilot, EU]
  contacts: { technical: Ops@Acme.example }
spec:
  environment: production
  deployment: standard
  plan: enterprise
  placement:
    region: eu-central-1
    allowedRegions: [eu-west-1, eu-central-1]
    isolation: shared
  products:
    - product: portal
      version: 5.2.1
      allowedRange: ">=5.0, <6"
      features: [sso]
  config:
    log.level: info
    retention.days: 30
    db.password: { secretRef: tenantry }
  updatePolicy:
    approval: majors_only
    timezone: Europe/Berlin
    maxDelayDays: 30
    windows: [{ day: saturday, start: "22:00", end: "02:00" }]
    blackouts:
      - { starts: "2026-12-24T00:00:00Z", ends: "2026-12-27T00:00:00Z", reason: Holidays }
  backups: { keepDaily: 7, keepWeekly: 4, keepMonthly: 12, restoreTestDays: 30 }
  secretRotation: { database: 90 }
  webhooks:
    - url: https://hooks.acme.example/tenantry
      events: [change.*]
"#;

    pub(crate) fn acme() -> TenantManifest {
        parse_documents(ACME)
            .expect("the example is valid")
            .remove(0)
    }

    fn problems(text: &str) -> Vec<(String, String)> {
        parse_documents(text)
            .expect_err("refused")
            .0
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn a_manifest_is_read_into_its_normal_form() {
        let m = acme();
        assert_eq!(m.metadata.labels, ["eu", "pilot"]);
        assert_eq!(m.metadata.contacts["technical"], "ops@acme.example");
        assert_eq!(
            m.spec.placement.allowed_regions,
            ["eu-central-1", "eu-west-1"]
        );
        let config = m.spec.config.as_ref().unwrap();
        assert_eq!(config["retention.days"], ConfigValue::Plain("30".into()));
        assert!(config["db.password"].is_secret());
        let window = &m.spec.update_policy.as_ref().unwrap().windows[0];
        assert_eq!(
            (
                window.day.as_str(),
                window.start.as_str(),
                window.end.as_str()
            ),
            ("sat", "22:00", "02:00")
        );
        assert!(m.spec.webhooks.as_ref().unwrap()[0].enabled);
    }

    #[test]
    fn yaml_and_json_of_one_manifest_are_the_same_manifest() {
        let json = serde_json::to_string(&acme()).unwrap();
        assert_eq!(parse_documents(&json).unwrap(), vec![acme()]);
        let yaml = to_yaml(&acme());
        assert_eq!(parse_documents(&yaml).unwrap(), vec![acme()]);
    }

    #[test]
    fn several_documents_are_read_and_their_problems_carry_their_place() {
        let two = format!("{ACME}\n---\n{}", ACME.replace("acme-prod", "acme-stage"));
        assert_eq!(parse_documents(&two).unwrap().len(), 2);
        let bad = format!("{ACME}\n---\n{}", ACME.replace("5.2.1", "4.x"));
        assert_eq!(
            problems(&bad),
            [(
                "[1].spec.products[0].version".to_owned(),
                "4.x is not a version; write it like 5.2.1, or latest.".to_owned()
            )]
        );
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_refused_at_their_path() {
        let unknown = ACME.replace("maxDelayDays: 30", "maxDelayDays: 30\n    colour: blue");
        let found = problems(&unknown);
        assert_eq!(found[0].0, "spec.updatePolicy.colour");
        assert!(found[0].1.contains("unknown field `colour`"), "{found:?}");
        let wrong = ACME.replace("maxDelayDays: 30", "maxDelayDays: soon");
        let found = problems(&wrong);
        assert_eq!(found[0].0, "spec.updatePolicy.maxDelayDays");
        assert!(found[0].1.contains("invalid type"), "{found:?}");
        let missing = ACME.replace("  plan: enterprise\n", "");
        assert!(problems(&missing)[0].1.contains("missing field `plan`"));
    }

    #[test]
    fn every_bad_value_is_named_by_its_path_at_once() {
        let bad = ACME
            .replace("slug: acme-prod", "slug: Acme Prod!")
            .replace("technical: Ops@Acme.example", "pager: ops@acme.example")
            .replace("region: eu-central-1", "region: us-east-1")
            .replace("allowedRange: \">=5.0, <6\"", "allowedRange: \">=6\"")
            .replace("log.level: info", "Log Level: info")
            .replace("{ secretRef: tenantry }", "{ secretRef: vault }")
            .replace("timezone: Europe/Berlin", "timezone: Mars/Olympus")
            .replace("end: \"02:00\"", "end: \"25:00\"")
            .replace("keepDaily: 7", "keepDaily: 400")
            .replace("database: 90", "database: 0")
            .replace("https://hooks.acme.example/tenantry", "ftp://hooks")
            .replace("change.*", "nothing.real");
        let paths: Vec<String> = problems(&bad).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "metadata.slug",
                "metadata.contacts.pager",
                "spec.placement.region",
                "spec.products[0].version",
                "spec.config.Log Level",
                "spec.config.db.password.secretRef",
                "spec.updatePolicy.timezone",
                "spec.updatePolicy.windows[0].end",
                "spec.backups.keepDaily",
                "spec.secretRotation.database",
                "spec.webhooks[0].url",
                "spec.webhooks[0].events",
            ]
        );
    }

    #[test]
    fn the_header_must_name_this_kind_of_manifest() {
        let bad = ACME
            .replace("tenantry/v1", "tenantry/v2")
            .replace("kind: Tenant", "kind: Rollout");
        let paths: Vec<String> = problems(&bad).into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["apiVersion", "kind"]);
    }

    #[test]
    fn text_that_is_neither_yaml_nor_json_says_so() {
        assert!(
            problems("{ not json")[0]
                .1
                .starts_with("This is not valid JSON")
        );
        assert!(
            problems("a: [unclosed")[0]
                .1
                .starts_with("This is not valid YAML")
        );
        assert_eq!(problems("   \n")[0].1, "The text holds no manifest.");
    }

    #[test]
    fn the_schema_names_the_fields_and_refuses_unknown_ones() {
        let schema = schema();
        assert_eq!(schema["$id"], SCHEMA_PATH);
        assert_eq!(schema["additionalProperties"], false);
        let required = schema["required"].as_array().unwrap();
        assert!(required.contains(&Value::String("apiVersion".into())));
        let text = schema.to_string();
        for field in [
            "allowedRegions",
            "secretRef",
            "maxRunningChanges",
            "restoreTestDays",
        ] {
            assert!(text.contains(field), "{field} is in the schema");
        }
    }

    #[test]
    fn the_published_schema_file_is_the_schema() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/schemas/tenant-manifest.json"
        );
        if std::env::var_os("TENANTRY_WRITE_SCHEMA").is_some() {
            let text = serde_json::to_string_pretty(&schema()).unwrap();
            std::fs::write(path, text + "\n").unwrap();
        }
        let published = std::fs::read_to_string(path).unwrap();
        let file: Value = serde_json::from_str(&published).unwrap();
        assert_eq!(
            file,
            schema(),
            "docs/schemas/tenant-manifest.json is stale: run `tenantry manifest-schema > docs/schemas/tenant-manifest.json` (or this test with TENANTRY_WRITE_SCHEMA=1)"
        );
    }
}
