//! Editing a tenant's attributes, each field change logged beside the audit record.

use super::*;
use crate::backend::context::Ctx;

pub(crate) async fn log_field_change<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> ServiceResult<()> {
    field_change::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        field: Set(field.to_owned()),
        old_value: Set(old.map(str::to_owned)),
        new_value: Set(new.map(str::to_owned)),
        actor_label: Set(actor.label()),
        changed_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A tenant's editable attributes, parsed at the door.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantEdit {
    pub display_name: DisplayName,
    pub plan_code: PlanCode,
    pub labels: Vec<String>,
    /// Role (`technical`, `billing`, `incident`) → address.
    pub contacts: BTreeMap<String, String>,
}

impl TryFrom<&crate::model::tenants::TenantEditForm> for TenantEdit {
    type Error = FieldErrors;

    fn try_from(edit: &crate::model::tenants::TenantEditForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let display_name = take(
            &mut errors,
            "display_name",
            DisplayName::parse(&edit.display_name),
        );
        let plan_code = take(&mut errors, "plan_code", PlanCode::parse(&edit.plan_code));
        let labels = take(&mut errors, "labels", parse_labels(&edit.labels)).unwrap_or_default();
        let contacts = parse_contacts(
            &mut errors,
            [
                &edit.contact_technical,
                &edit.contact_billing,
                &edit.contact_incident,
            ],
        )
        .into_iter()
        .map(|(role, email)| (role.to_owned(), email.as_str().to_owned()))
        .collect();
        match (display_name, plan_code) {
            (Some(display_name), Some(plan_code)) if errors.is_empty() => Ok(Self {
                display_name,
                plan_code,
                labels,
                contacts,
            }),
            _ => Err(errors),
        }
    }
}

/// Edits display name, plan, labels and contacts. The edit was made against
/// `expected_version`; if the tenant changed since, nothing is written and
/// the caller is told to reload. Every changed field lands in the change log.
pub async fn update(
    ctx: &Ctx,
    slug: &str,
    expected_version: i64,
    edit: crate::backend::error::Parsed<TenantEdit>,
) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::TenantRead)?;
    let TenantEdit {
        display_name,
        plan_code,
        labels,
        contacts,
    } = edit?;
    if plan::Entity::find_by_id(plan_code.as_str())
        .one(db)
        .await?
        .is_none()
    {
        let mut errors = FieldErrors::default();
        errors.push(
            "plan_code",
            format!("Plan {plan_code} does not exist; choose one of the listed plans."),
        );
        return Err(errors.into());
    }

    let txn = db.begin().await?;
    let current = find_by_slug(&txn, slug).await?;
    principal.require_on_tenant(Permission::TenantManage, current.id)?;
    if current.version != expected_version {
        return Err(ServiceError::Conflict(
            "This tenant was changed by someone else since you opened the form. Reload to see the current values, then make your edit again.".into(),
        ));
    }
    // A plan change checks usage against the new quotas and runs as a
    // change request: one door for it (the Limits tab, the plan-change API).
    if current.plan_code != plan_code.as_str()
        && principal.can(Permission::TenantManage, Scope::Platform)
    {
        let mut errors = FieldErrors::default();
        errors.push(
            "plan_code",
            format!(
                "A plan change is a change request: request it on the tenant's Limits tab (/tenants/{}/limits) or with POST /api/v1/tenants/{{id}}/plan-change.",
                current.slug
            ),
        );
        return Err(errors.into());
    }
    let new_labels = JsonText(labels.clone());
    let new_contacts = JsonText(contacts.clone());
    let changes: Vec<(&str, String, String)> = [
        (
            "display_name",
            current.display_name.clone(),
            display_name.as_str().to_owned(),
        ),
        (
            "plan_code",
            current.plan_code.clone(),
            plan_code.as_str().to_owned(),
        ),
        ("labels", current.labels.to_text(), new_labels.to_text()),
        (
            "contacts",
            current.contacts.to_text(),
            new_contacts.to_text(),
        ),
    ]
    .into_iter()
    .filter(|(_, old, new)| old != new)
    .collect();
    if changes.is_empty() {
        return Ok(());
    }
    if !principal.can(Permission::TenantManage, Scope::Platform) {
        let mut refused = FieldErrors::default();
        for (field, _, _) in &changes {
            if let Some(reason) = vendor_field_refusal(field) {
                refused.push(*field, reason);
            }
        }
        if !refused.is_empty() {
            return Err(refused.into());
        }
    }
    let before = snapshot(&current);
    let mut record = current.clone().into_active_model();
    record.display_name = Set(display_name.as_str().to_owned());
    let customer_name = match current.customer_id {
        Some(id) => customer::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .map(|c| c.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    record.search_text = Set(search_text(
        &current.slug,
        display_name.as_str(),
        &customer_name,
        &current.external_ids.to_text(),
    ));
    record.plan_code = Set(plan_code.as_str().to_owned());
    record.labels = Set(new_labels);
    record.contacts = Set(new_contacts);
    record.version = Set(current.version + 1);
    record.updated_at = Set(ctx.now());
    // The version in the WHERE clause makes a concurrent writer lose cleanly.
    let result = tenant::Entity::update_many()
        .set(record)
        .filter(tenant::Column::Id.eq(current.id))
        .filter(tenant::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(ServiceError::Conflict(
            "This tenant was changed by someone else just now. Reload and try again.".into(),
        ));
    }
    let actor = Actor::from(principal);
    for (field, old, new) in &changes {
        log_field_change(
            &txn,
            current.id,
            field,
            Some(old),
            Some(new),
            &actor,
            ctx.now(),
        )
        .await?;
    }
    let updated = find_by_slug(&txn, slug).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(actor, "tenant.update", "tenant")
            .target(current.id)
            .tenant(current.id)
            .details(json!({ "before": before, "after": snapshot(&updated), "fields": changes.iter().map(|c| c.0).collect::<Vec<_>>() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
