//! Field-level differences between two manifests of one tenant: what the
//! tenant has now (its export) and what a manifest asks for.
//!
//! Lists whose items have a natural key are compared item by item under that
//! key (`spec.products[portal].version`, `spec.webhooks[https://…].events`);
//! other lists (labels, windows, blackouts) are compared whole, in their
//! normal order. A section the desired manifest leaves out is not compared.

use serde_json::{Map, Value};

use super::manifest::TenantManifest;

/// One field that differs. `None` on a side: the field is absent there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDiff {
    pub path: String,
    pub current: Option<Value>,
    pub desired: Option<Value>,
}

/// The sections of `spec` a manifest may leave out (then not managed).
const OPTIONAL_SECTIONS: [&str; 6] = [
    "products",
    "config",
    "updatePolicy",
    "backups",
    "secretRotation",
    "webhooks",
];

/// What differs from `current` to `desired`, in path order.
pub fn diff(current: &TenantManifest, desired: &TenantManifest) -> Vec<FieldDiff> {
    let mut current = comparable(current);
    let desired = comparable(desired);
    leave_out_unmanaged(&mut current, &desired);
    let mut found = Vec::new();
    compare("", Some(&current), Some(&desired), &mut found);
    found
}

/// The manifest as a JSON tree with keyed lists turned into objects.
fn comparable(manifest: &TenantManifest) -> Value {
    let mut tree = serde_json::to_value(manifest).expect("a manifest is plain data");
    if let Some(spec) = tree.get_mut("spec").and_then(Value::as_object_mut) {
        key_list(spec, "products", "product");
        key_list(spec, "webhooks", "url");
    }
    tree
}

fn key_list(section: &mut Map<String, Value>, list: &str, key: &str) {
    let Some(Value::Array(items)) = section.remove(list) else {
        return;
    };
    let keyed = items
        .into_iter()
        .map(|item| {
            let name = item[key].as_str().unwrap_or_default().to_owned();
            (format!("[{name}]"), item)
        })
        .collect();
    section.insert(list.to_owned(), Value::Object(keyed));
}

/// Drops from `current` what `desired` does not manage: whole optional
/// sections, and a product's version when the desired product names none.
fn leave_out_unmanaged(current: &mut Value, desired: &Value) {
    let (Some(spec), Some(wanted)) = (
        current.get_mut("spec").and_then(Value::as_object_mut),
        desired.get("spec").and_then(Value::as_object),
    ) else {
        return;
    };
    for section in OPTIONAL_SECTIONS {
        if !wanted.contains_key(section) {
            spec.remove(section);
        }
    }
    if let (Some(Value::Object(products)), Some(Value::Object(wanted_products))) =
        (spec.get_mut("products"), wanted.get("products"))
    {
        for (key, product) in products.iter_mut() {
            let names_version = wanted_products
                .get(key)
                .is_some_and(|p| p.get("version").is_some());
            if !names_version && let Some(fields) = product.as_object_mut() {
                fields.remove("version");
            }
        }
    }
}

fn compare(
    path: &str,
    current: Option<&Value>,
    desired: Option<&Value>,
    found: &mut Vec<FieldDiff>,
) {
    match (current, desired) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else if key.starts_with('[') {
                    format!("{path}{key}")
                } else {
                    format!("{path}.{key}")
                };
                compare(&child, a.get(key), b.get(key), found);
            }
        }
        (a, b) if a == b => {}
        (a, b) => found.push(FieldDiff {
            path: path.to_owned(),
            current: a.cloned(),
            desired: b.cloned(),
        }),
    }
}

/// A value as one line of a diff: text as is, anything else as JSON.
pub fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::manifests::manifest::tests::acme;
    use crate::domain::manifests::manifest::{ConfigValue, ProductSpec};
    use serde_json::json;

    fn paths(found: &[FieldDiff]) -> Vec<&str> {
        found.iter().map(|d| d.path.as_str()).collect()
    }

    #[test]
    fn a_manifest_does_not_differ_from_itself() {
        assert!(diff(&acme(), &acme()).is_empty());
    }

    #[test]
    fn changed_fields_are_listed_with_both_values() {
        let mut desired = acme();
        desired.metadata.name = "Acme Prod".into();
        desired.spec.plan = "standard".into();
        let found = diff(&acme(), &desired);
        assert_eq!(paths(&found), ["metadata.name", "spec.plan"]);
        assert_eq!(found[1].current, Some(json!("enterprise")));
        assert_eq!(found[1].desired, Some(json!("standard")));
    }

    #[test]
    fn products_and_webhooks_are_compared_by_their_key() {
        let mut desired = acme();
        let products = desired.spec.products.as_mut().unwrap();
        products[0].version = Some("5.3.0".into());
        products.insert(
            0,
            ProductSpec {
                product: "analytics".into(),
                version: None,
                allowed_range: None,
                features: vec![],
            },
        );
        desired.spec.webhooks.as_mut().unwrap()[0].events = vec!["tenant.*".into()];
        let found = diff(&acme(), &desired);
        assert_eq!(
            paths(&found),
            [
                "spec.products[analytics]",
                "spec.products[portal].version",
                "spec.webhooks[https://hooks.acme.example/tenantry].events",
            ]
        );
        assert_eq!(found[0].current, None);
    }

    #[test]
    fn a_section_left_out_is_not_managed() {
        let mut desired = acme();
        desired.spec.config = None;
        desired.spec.webhooks = None;
        desired.spec.products.as_mut().unwrap()[0].version = None;
        assert!(diff(&acme(), &desired).is_empty());
    }

    #[test]
    fn an_emptied_section_removes_what_is_there() {
        let mut desired = acme();
        desired.spec.config = Some(Default::default());
        let found = diff(&acme(), &desired);
        assert_eq!(
            paths(&found),
            [
                "spec.config.db.password",
                "spec.config.log.level",
                "spec.config.retention.days"
            ]
        );
        assert!(found.iter().all(|d| d.desired.is_none()));
    }

    #[test]
    fn a_secret_shows_as_its_reference_never_a_value() {
        let mut current = acme();
        current
            .spec
            .config
            .as_mut()
            .unwrap()
            .insert("db.password".into(), ConfigValue::Plain("hunter2".into()));
        let found = diff(&current, &acme());
        assert_eq!(found[0].desired, Some(json!({ "secretRef": "tenantry" })));
        assert_eq!(
            shown(found[0].desired.as_ref().unwrap()),
            r#"{"secretRef":"tenantry"}"#
        );
    }
}
