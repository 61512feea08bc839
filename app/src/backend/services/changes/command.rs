//! The commands of the changes context, parsed at the door (a page's form or
//! an API body) so the services see kinds, versions and times, never raw words.

use super::*;
use crate::model::changes::ChangeForm;

/// The release an upgrade or patch moves to: a product (key or id, looked up
/// by the service) and a semantic version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateTarget {
    pub product: String,
    pub version: semver::Version,
}

/// What to change, whichever tenant it is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSpec {
    pub kind: ChangeKind,
    /// Set exactly when the kind is an upgrade or a patch.
    pub update: Option<UpdateTarget>,
    pub not_before: Option<DateTime<Utc>>,
    pub note: String,
    /// Save it as a draft instead of submitting it.
    pub draft: bool,
}

/// A change for one tenant (its slug or id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChangeRequest {
    pub tenant: String,
    pub spec: ChangeSpec,
}

/// The same change for every tenant a saved filter (its id or name) matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterChangeRequest {
    pub filter: String,
    pub spec: ChangeSpec,
}

impl ChangeSpec {
    /// Every field problem of the form at once, named by its field.
    fn parse(form: &ChangeForm, errors: &mut FieldErrors) -> Option<Self> {
        let kind = ChangeKind::parse(form.kind.trim());
        if kind.is_none() {
            errors.push("kind", "Choose what to change, e.g. upgrade or suspend.");
        }
        let not_before = parse_utc_time(&form.not_before).unwrap_or_else(|message| {
            errors.push("not_before", message);
            None
        });
        let update = match kind {
            Some(kind) if kind.is_update() => parse_update_target(form, errors),
            _ => None,
        };
        if kind == Some(ChangeKind::ChangePlan) {
            errors.push(
                "kind",
                "A plan change names its plan: request it from the tenant's Limits tab or POST /api/v1/tenants/{id}/plan-change.",
            );
        }
        if kind == Some(ChangeKind::RotateSecret) {
            errors.push(
                "kind",
                "A rotation names its secret: rotate it on the tenant's Config tab or POST /api/v1/tenants/{id}/secrets/{name}/rotate.",
            );
        }
        if kind == Some(ChangeKind::Migrate) {
            errors.push(
                "kind",
                "A migration names its target placement: request it from the tenant's Placement tab or POST /api/v1/tenants/{id}/migrations.",
            );
        }
        if kind == Some(ChangeKind::RestoreTest) {
            errors.push(
                "kind",
                "A restore test names its backup: start it from the tenant's Backups tab or POST /api/v1/tenants/{id}/backups/{backup}/restore-test.",
            );
        }
        if kind == Some(ChangeKind::Restore) {
            errors.push(
                "kind",
                "A restore names its backup: choose one on the tenant's Backups tab or POST /api/v1/tenants/{id}/restore.",
            );
        }
        let kind = kind?;
        if kind.is_update() && update.is_none() {
            return None;
        }
        Some(Self {
            kind,
            update,
            not_before,
            note: form.note.trim().to_owned(),
            draft: form.draft,
        })
    }
}

fn parse_update_target(form: &ChangeForm, errors: &mut FieldErrors) -> Option<UpdateTarget> {
    let product = form.product.trim();
    if product.is_empty() {
        errors.push("product", "Choose a product from the catalog.");
    }
    let version = form.target_version.trim().trim_start_matches('v');
    let version = match semver::Version::parse(version) {
        Ok(version) => Some(version),
        Err(_) => {
            errors.push(
                "target_version",
                format!("'{version}' is not a semantic version, e.g. 2.4.1."),
            );
            None
        }
    };
    Some(UpdateTarget {
        product: (!product.is_empty()).then(|| product.to_owned())?,
        version: version?,
    })
}

impl TryFrom<&ChangeForm> for NewChangeRequest {
    type Error = FieldErrors;

    fn try_from(form: &ChangeForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        if !form.target_filter.trim().is_empty() {
            errors.push(
                "target_filter",
                "A change for a saved filter makes one change per tenant: request it through the filter.",
            );
        }
        let tenant = form.tenant.trim();
        if tenant.is_empty() {
            errors.push("tenant", "Name the tenant by its slug.");
        }
        let spec = ChangeSpec::parse(form, &mut errors);
        match spec {
            Some(spec) if errors.is_empty() => Ok(Self {
                tenant: tenant.to_owned(),
                spec,
            }),
            _ => Err(errors),
        }
    }
}

impl FilterChangeRequest {
    /// The form's change for the filter named apart (the REST path's id) or
    /// in the form's `target_filter`.
    pub fn parse(filter: Option<&str>, form: &ChangeForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let filter = filter.unwrap_or(&form.target_filter).trim();
        if filter.is_empty() {
            errors.push("target_filter", "Choose a saved filter.");
        }
        let spec = ChangeSpec::parse(form, &mut errors);
        match spec {
            Some(spec) if errors.is_empty() => Ok(Self {
                filter: filter.to_owned(),
                spec,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str) -> ChangeForm {
        ChangeForm {
            tenant: "acme".into(),
            kind: kind.into(),
            product: String::new(),
            target_version: String::new(),
            not_before: String::new(),
            note: String::new(),
            draft: false,
            target_filter: String::new(),
        }
    }

    fn fields(errors: FieldErrors) -> Vec<String> {
        errors.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_lifecycle_change_needs_only_a_tenant_and_a_kind() {
        let request = NewChangeRequest::try_from(&form("suspend")).unwrap();
        assert_eq!(request.tenant, "acme");
        assert_eq!(request.spec.kind, ChangeKind::Suspend);
        assert_eq!(request.spec.update, None);
    }

    #[test]
    fn an_upgrade_names_its_product_and_a_semantic_version() {
        let mut upgrade = form("upgrade");
        upgrade.product = "core".into();
        upgrade.target_version = "v2.4.1".into();
        upgrade.not_before = "2026-12-24T22:00".into();
        let request = NewChangeRequest::try_from(&upgrade).unwrap();
        let target = request.spec.update.unwrap();
        assert_eq!(target.product, "core");
        assert_eq!(target.version, semver::Version::new(2, 4, 1));
        assert_eq!(
            request.spec.not_before.unwrap().to_rfc3339(),
            "2026-12-24T22:00:00+00:00"
        );
    }

    #[test]
    fn every_field_problem_is_named_at_once() {
        let mut bad = form("upgrade");
        bad.tenant = " ".into();
        bad.target_version = "latest".into();
        bad.not_before = "tomorrow".into();
        let errors = NewChangeRequest::try_from(&bad).unwrap_err();
        assert_eq!(
            fields(errors),
            ["tenant", "not_before", "product", "target_version"]
        );
        let errors = NewChangeRequest::try_from(&form("reboot")).unwrap_err();
        assert_eq!(fields(errors), ["kind"]);
    }

    #[test]
    fn a_filter_request_goes_through_the_filter_door() {
        let mut for_filter = form("resume");
        for_filter.target_filter = "eu-pilots".into();
        let errors = NewChangeRequest::try_from(&for_filter).unwrap_err();
        assert_eq!(fields(errors), ["target_filter"]);
        let request = FilterChangeRequest::parse(None, &for_filter).unwrap();
        assert_eq!(request.filter, "eu-pilots");
        let request = FilterChangeRequest::parse(Some("0b5c"), &form("resume")).unwrap();
        assert_eq!(request.filter, "0b5c");
    }
}
