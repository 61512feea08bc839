//! From a difference to the ordered actions that would close it.
//!
//! The portal's own fields (names, labels, contacts, config, policies,
//! schedules, subscriptions) are set directly, in one transaction. What
//! touches the running tenant becomes a change request, which then follows
//! approvals, windows and blackouts like any other: a plan change, a move to
//! another region or isolation, and an upgrade per product. They are
//! ordered so that each finds what it needs in place: the fields first (the
//! windows and policy the changes are routed by), then the plan (its limits
//! and features), then the move, then the upgrades (on the new placement).

use std::collections::BTreeMap;

use super::diff::{FieldDiff, diff};
use super::manifest::{LATEST, ProductSpec, TenantManifest};
use crate::domain::validation::FieldErrors;

/// One step of a plan, in the order it would run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlannedAction {
    /// The tenant does not exist: it is onboarded from the manifest (its
    /// identity, placement and plan) and provisioned.
    Create,
    /// The portal's own fields, set in one transaction.
    SetFields { paths: Vec<String> },
    /// A plan-change request.
    ChangePlan { from: String, to: String },
    /// A migration request to another region and/or isolation.
    Migrate { region: String, isolation: String },
    /// An upgrade (or patch) request for one product.
    Upgrade {
        product: String,
        from: Option<String>,
        to: String,
    },
}

impl PlannedAction {
    /// Whether it becomes a change request (else it is written directly).
    pub fn is_change_request(&self) -> bool {
        !matches!(self, Self::SetFields { .. })
    }
}

/// Fields set when a tenant is created and never changed afterwards.
const FIXED_AT_CREATION: [(&str, &str); 3] = [
    ("metadata.customer", "the customer"),
    ("spec.environment", "the environment"),
    ("spec.deployment", "the deployment kind"),
];

/// The differences and ordered actions from `current` (the tenant's export;
/// `None` when it does not exist) to `desired`. Product versions must be
/// concrete: `latest` is resolved by the caller, who knows the releases.
/// Refused, with the path, for what no manifest may change.
pub fn plan(
    current: Option<&TenantManifest>,
    desired: &TenantManifest,
) -> Result<(Vec<FieldDiff>, Vec<PlannedAction>), FieldErrors> {
    let Some(current) = current else {
        return Ok((Vec::new(), plan_creation(desired)));
    };
    let diffs = diff(current, desired);
    let mut errors = FieldErrors::default();
    for (path, what) in FIXED_AT_CREATION {
        if diffs.iter().any(|d| d.path == path) {
            errors.push(
                path,
                format!("A manifest cannot change {what} of an existing tenant; onboard a new tenant instead."),
            );
        }
    }
    let current_products = products_by_key(current);
    if let Some(wanted) = &desired.spec.products {
        for key in current_products.keys() {
            if !wanted.iter().any(|p| &p.product == key) {
                errors.push(
                    "spec.products",
                    format!("{key} is licensed to this tenant; a manifest cannot remove a product, so list it (its offboarding is a change of its own)."),
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut actions = Vec::new();
    let direct: Vec<String> = diffs
        .iter()
        .filter(|d| !runs_as_change(&d.path))
        .map(|d| d.path.clone())
        .collect();
    if !direct.is_empty() {
        actions.push(PlannedAction::SetFields { paths: direct });
    }
    if current.spec.plan != desired.spec.plan {
        actions.push(PlannedAction::ChangePlan {
            from: current.spec.plan.clone(),
            to: desired.spec.plan.clone(),
        });
    }
    let (here, there) = (&current.spec.placement, &desired.spec.placement);
    if here.region != there.region || here.isolation != there.isolation {
        actions.push(PlannedAction::Migrate {
            region: there.region.clone(),
            isolation: there.isolation.clone(),
        });
    }
    actions.extend(upgrades(&current_products, desired));
    Ok((diffs, actions))
}

fn plan_creation(desired: &TenantManifest) -> Vec<PlannedAction> {
    let mut actions = vec![PlannedAction::Create];
    let spec = &desired.spec;
    let sections: Vec<String> = [
        ("spec.products", spec.products.is_some()),
        (
            "spec.config",
            spec.config.as_ref().is_some_and(|c| !c.is_empty()),
        ),
        ("spec.updatePolicy", spec.update_policy.is_some()),
        ("spec.backups", spec.backups.is_some()),
        (
            "spec.secretRotation",
            spec.secret_rotation.as_ref().is_some_and(|r| !r.is_empty()),
        ),
        (
            "spec.webhooks",
            spec.webhooks.as_ref().is_some_and(|w| !w.is_empty()),
        ),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(path, _)| path.to_owned())
    .collect();
    if !sections.is_empty() {
        actions.push(PlannedAction::SetFields { paths: sections });
    }
    actions.extend(upgrades(&BTreeMap::new(), desired));
    actions
}

/// Whether a field is closed by a change request rather than written.
fn runs_as_change(path: &str) -> bool {
    path == "spec.plan"
        || path == "spec.placement.region"
        || path == "spec.placement.isolation"
        || (path.starts_with("spec.products[") && path.ends_with("].version"))
}

fn products_by_key(manifest: &TenantManifest) -> BTreeMap<String, ProductSpec> {
    manifest
        .spec
        .products
        .iter()
        .flatten()
        .map(|p| (p.product.clone(), p.clone()))
        .collect()
}

fn upgrades(
    current: &BTreeMap<String, ProductSpec>,
    desired: &TenantManifest,
) -> Vec<PlannedAction> {
    let mut found = Vec::new();
    for wanted in desired.spec.products.iter().flatten() {
        let Some(to) = wanted.version.as_deref().filter(|v| *v != LATEST) else {
            continue;
        };
        let from = current.get(&wanted.product).and_then(|p| p.version.clone());
        if from.as_deref() != Some(to) {
            found.push(PlannedAction::Upgrade {
                product: wanted.product.clone(),
                from,
                to: to.to_owned(),
            });
        }
    }
    found.sort_by(|a, b| match (a, b) {
        (PlannedAction::Upgrade { product: x, .. }, PlannedAction::Upgrade { product: y, .. }) => {
            x.cmp(y)
        }
        _ => std::cmp::Ordering::Equal,
    });
    found
}

/// The tenant as it would be once every action of the plan has landed:
/// `desired`'s managed sections over `current`. Planning again from it
/// finds nothing to do.
pub fn landed(current: &TenantManifest, desired: &TenantManifest) -> TenantManifest {
    let mut result = desired.clone();
    let spec = &mut result.spec;
    let before = &current.spec;
    if spec.products.is_none() {
        spec.products = before.products.clone();
    } else if let Some(products) = &mut spec.products {
        for product in products.iter_mut().filter(|p| p.version.is_none()) {
            product.version = before
                .products
                .iter()
                .flatten()
                .find(|p| p.product == product.product)
                .and_then(|p| p.version.clone());
        }
    }
    if spec.config.is_none() {
        spec.config = before.config.clone();
    }
    if spec.update_policy.is_none() {
        spec.update_policy = before.update_policy.clone();
    }
    if spec.backups.is_none() {
        spec.backups = before.backups.clone();
    }
    if spec.secret_rotation.is_none() {
        spec.secret_rotation = before.secret_rotation.clone();
    }
    if spec.webhooks.is_none() {
        spec.webhooks = before.webhooks.clone();
    }
    result
}

/// Why a tenant's own people may not set the field at `path`, when only
/// the vendor (tenant.manage platform-wide) may.
pub fn vendor_only(path: &str) -> Option<String> {
    use crate::domain::access::authority::vendor_field_refusal;
    match path {
        "spec.plan" => vendor_field_refusal("plan_code"),
        "metadata.labels" => vendor_field_refusal("labels"),
        "spec.updatePolicy.maxDelayDays" => vendor_field_refusal("max_delay_days"),
        "spec.updatePolicy.maxRunningChanges" => vendor_field_refusal("max_running_changes"),
        _ if path.starts_with("spec.placement.") => vendor_field_refusal("region"),
        _ if path.starts_with("spec.products[") && !path.ends_with("].version") => Some(
            "Only the vendor licenses products and sets their allowed versions and features (tenant.manage platform-wide).".into(),
        ),
        _ if path.starts_with("metadata.externalIds") => Some(
            "Only the vendor changes a tenant's external ids (tenant.manage platform-wide).".into(),
        ),
        _ => None,
    }
}

/// The kind of upgrade request: a patch when only the patch number rises.
pub fn is_patch(from: Option<&str>, to: &str) -> bool {
    let parse = |v: &str| semver::Version::parse(v).ok();
    match (from.and_then(parse), parse(to)) {
        (Some(a), Some(b)) => a.major == b.major && a.minor == b.minor && b.patch > a.patch,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::manifests::manifest::tests::acme;
    use crate::domain::manifests::manifest::{ConfigValue, WindowSpec};
    use proptest::prelude::*;

    fn kinds(actions: &[PlannedAction]) -> Vec<&'static str> {
        actions
            .iter()
            .map(|a| match a {
                PlannedAction::Create => "create",
                PlannedAction::SetFields { .. } => "fields",
                PlannedAction::ChangePlan { .. } => "plan",
                PlannedAction::Migrate { .. } => "migrate",
                PlannedAction::Upgrade { .. } => "upgrade",
            })
            .collect()
    }

    #[test]
    fn nothing_to_do_when_the_tenant_matches() {
        let (diffs, actions) = plan(Some(&acme()), &acme()).unwrap();
        assert!(diffs.is_empty() && actions.is_empty());
    }

    #[test]
    fn fields_come_first_then_plan_then_move_then_upgrades() {
        let mut desired = acme();
        desired.spec.products.as_mut().unwrap()[0].version = Some("5.3.0".into());
        desired.spec.placement.region = "eu-west-1".into();
        desired.spec.plan = "standard".into();
        desired.metadata.labels.push("gold".into());
        desired
            .spec
            .update_policy
            .as_mut()
            .unwrap()
            .windows
            .push(WindowSpec {
                day: "sun".into(),
                start: "03:00".into(),
                end: "05:00".into(),
            });
        let (_, actions) = plan(Some(&acme()), &desired).unwrap();
        assert_eq!(kinds(&actions), ["fields", "plan", "migrate", "upgrade"]);
        assert_eq!(
            actions[0],
            PlannedAction::SetFields {
                paths: vec!["metadata.labels".into(), "spec.updatePolicy.windows".into()]
            }
        );
        assert_eq!(
            actions[2],
            PlannedAction::Migrate {
                region: "eu-west-1".into(),
                isolation: "shared".into()
            }
        );
        assert_eq!(
            actions[3],
            PlannedAction::Upgrade {
                product: "portal".into(),
                from: Some("5.2.1".into()),
                to: "5.3.0".into()
            }
        );
    }

    #[test]
    fn what_is_fixed_at_creation_is_refused_at_its_path() {
        let mut desired = acme();
        desired.spec.environment = "staging".into();
        desired.metadata.customer = "Other Corp".into();
        desired.spec.products = Some(vec![]);
        let refused = plan(Some(&acme()), &desired).unwrap_err();
        let paths: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            paths,
            ["metadata.customer", "spec.environment", "spec.products"]
        );
    }

    #[test]
    fn a_new_tenant_is_created_then_given_its_sections_and_versions() {
        let (diffs, actions) = plan(None, &acme()).unwrap();
        assert!(diffs.is_empty());
        assert_eq!(kinds(&actions), ["create", "fields", "upgrade"]);
    }

    #[test]
    fn a_tenant_admin_may_not_set_what_the_vendor_decides() {
        for vendor in [
            "spec.plan",
            "metadata.labels",
            "metadata.externalIds.crm",
            "spec.placement.region",
            "spec.placement.allowedRegions",
            "spec.products[portal]",
            "spec.products[portal].features",
            "spec.updatePolicy.maxDelayDays",
        ] {
            assert!(vendor_only(vendor).is_some(), "{vendor}");
        }
        for own in [
            "metadata.name",
            "metadata.contacts.technical",
            "spec.products[portal].version",
            "spec.config.log.level",
            "spec.updatePolicy.windows",
            "spec.backups.keepDaily",
            "spec.webhooks[https://hooks.example/x].events",
        ] {
            assert!(vendor_only(own).is_none(), "{own}");
        }
    }

    #[test]
    fn patches_are_told_from_upgrades() {
        assert!(is_patch(Some("5.2.1"), "5.2.3"));
        assert!(!is_patch(Some("5.2.1"), "5.3.0"));
        assert!(!is_patch(Some("5.2.3"), "5.2.1"));
        assert!(!is_patch(None, "5.2.1"));
    }

    fn variant() -> impl Strategy<Value = TenantManifest> {
        (
            prop::option::of("[a-z]{1,8}"),
            prop::bool::ANY,
            prop::option::of(0u32..20),
            prop::option::of("(5|6)\\.[0-9]\\.[0-9]"),
            prop::bool::ANY,
            prop::option::of(1u32..365),
        )
            .prop_map(|(label, drop_config, daily, version, move_it, rotate)| {
                let mut m = acme();
                if let Some(label) = label {
                    m.metadata.labels.push(label);
                    m.metadata.labels.sort();
                    m.metadata.labels.dedup();
                }
                if drop_config {
                    m.spec.config = None;
                } else if let Some(config) = &mut m.spec.config {
                    config.insert("extra.key".into(), ConfigValue::Plain("on".into()));
                }
                if let Some(daily) = daily {
                    m.spec.backups.as_mut().unwrap().keep_daily = daily;
                }
                m.spec.products.as_mut().unwrap()[0].version = version;
                if move_it {
                    m.spec.placement.region = "eu-west-1".into();
                }
                if let Some(days) = rotate {
                    m.spec
                        .secret_rotation
                        .as_mut()
                        .unwrap()
                        .insert("webapp".into(), days);
                }
                m
            })
    }

    proptest! {
        #[test]
        fn once_a_plan_has_landed_planning_again_finds_nothing(
            current in variant(),
            desired in variant(),
        ) {
            let after = landed(&current, &desired);
            let (diffs, actions) = plan(Some(&after), &desired).unwrap();
            prop_assert!(diffs.is_empty(), "{diffs:?}");
            prop_assert!(actions.is_empty());
        }

        #[test]
        fn a_plan_acts_only_where_the_manifests_differ(
            current in variant(),
            desired in variant(),
        ) {
            let (diffs, actions) = plan(Some(&current), &desired).unwrap();
            prop_assert_eq!(diffs.is_empty(), actions.is_empty());
            let changes = actions.iter().filter(|a| a.is_change_request()).count();
            prop_assert!(changes <= 3);
        }
    }
}
