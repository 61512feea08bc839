//! Onboarding: the wizard's options and checks, and creating a tenant with its customer, plan and first audit record.

use super::*;
use crate::backend::context::Ctx;

/// A tenant to onboard, parsed from the form.
pub struct NewTenant {
    pub customer: String,
    pub slug: TenantSlug,
    pub display_name: DisplayName,
    pub environment: Environment,
    pub deployment_kind: DeploymentKind,
    pub isolation_mode: IsolationMode,
    pub plan_code: PlanCode,
    pub region: Region,
    pub allowed_regions: Vec<Region>,
    pub contacts: Vec<(&'static str, Email)>,
    pub external_ids: Vec<(&'static str, String)>,
    pub labels: Vec<String>,
}

impl NewTenant {
    /// Every field problem at once, named by the form field it belongs to.
    pub fn parse(form: &NewTenantForm, configured_regions: &[Region]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let customer = form.customer.trim().to_owned();
        let customer_ok = take(
            &mut errors,
            "customer",
            if customer.is_empty() {
                Err("Enter the customer's name.".to_owned())
            } else if customer.chars().count() > 120 {
                Err("Use at most 120 characters.".to_owned())
            } else {
                Ok(())
            },
        );
        let slug = take(&mut errors, "slug", TenantSlug::parse(&form.slug));
        let display_name = take(
            &mut errors,
            "display_name",
            DisplayName::parse(&form.display_name),
        );
        let environment = take(
            &mut errors,
            "environment",
            Environment::parse(&form.environment),
        );
        let deployment_kind = take(
            &mut errors,
            "deployment_kind",
            DeploymentKind::parse(&form.deployment_kind),
        );
        let isolation_mode = take(
            &mut errors,
            "isolation_mode",
            IsolationMode::parse(&form.isolation_mode),
        );
        let plan_code = take(&mut errors, "plan_code", PlanCode::parse(&form.plan_code));
        let region = take(&mut errors, "region", Region::parse(&form.region));
        let allowed: Result<Vec<Region>, String> = split_list(&form.allowed_regions)
            .iter()
            .map(|r| Region::parse(r))
            .collect();
        let allowed_regions = take(&mut errors, "allowed_regions", allowed);
        if let (Some(region), Some(allowed)) = (&region, &allowed_regions) {
            take(
                &mut errors,
                "region",
                check_residency(region, allowed, configured_regions),
            );
        }
        let contacts = parse_contacts(
            &mut errors,
            [
                &form.contact_technical,
                &form.contact_billing,
                &form.contact_incident,
            ],
        );
        let external_ids = [
            ("crm", &form.external_crm),
            ("billing", &form.external_billing),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect();
        let labels = take(&mut errors, "labels", parse_labels(&form.labels));
        match (
            customer_ok,
            slug,
            display_name,
            environment,
            deployment_kind,
            isolation_mode,
            plan_code,
            region,
            allowed_regions,
            labels,
        ) {
            (
                Some(()),
                Some(slug),
                Some(display_name),
                Some(environment),
                Some(deployment_kind),
                Some(isolation_mode),
                Some(plan_code),
                Some(region),
                Some(allowed_regions),
                Some(labels),
            ) if errors.is_empty() => Ok(Self {
                customer,
                slug,
                display_name,
                environment,
                deployment_kind,
                isolation_mode,
                plan_code,
                region,
                allowed_regions,
                contacts,
                external_ids,
                labels,
            }),
            _ => Err(errors),
        }
    }
}

/// Technical, billing and incident contacts (in that order); blank ones are
/// left out, malformed ones recorded against their form field.
pub(super) fn parse_contacts(
    errors: &mut FieldErrors,
    raw: [&String; 3],
) -> Vec<(&'static str, Email)> {
    [
        ("technical", "contact_technical"),
        ("billing", "contact_billing"),
        ("incident", "contact_incident"),
    ]
    .into_iter()
    .zip(raw)
    .filter(|(_, value)| !value.trim().is_empty())
    .filter_map(|((role, field), value)| {
        take(
            errors,
            field,
            Email::parse(value).map_err(|e| e.to_string()),
        )
        .map(|email| (role, email))
    })
    .collect()
}

/// The parsed value, or `None` with the message recorded against `field`.
pub(super) fn take<T>(
    errors: &mut FieldErrors,
    field: &str,
    result: Result<T, String>,
) -> Option<T> {
    result.map_err(|message| errors.push(field, message)).ok()
}

pub(super) fn split_list(raw: &str) -> Vec<String> {
    let mut items: Vec<String> = raw
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    items.dedup();
    items
}

pub async fn form_options(ctx: &Ctx, regions: &[Region]) -> ServiceResult<FormOptions> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    let plans = plan::Entity::find()
        .order_by_asc(plan::Column::Code)
        .all(db)
        .await?;
    Ok(FormOptions {
        plans: plans.into_iter().map(|p| (p.code, p.name)).collect(),
        regions: regions.iter().map(|r| r.as_str().to_owned()).collect(),
    })
}

/// Onboards a tenant in `draft`. Returns its slug.
/// Parses the onboarding form and checks it against the database: every
/// field problem at once, including a taken slug and an unknown plan.
pub(super) async fn validate_new(
    db: &DatabaseConnection,
    form: &NewTenantForm,
    configured_regions: &[Region],
) -> ServiceResult<NewTenant> {
    let parsed = NewTenant::parse(form, configured_regions);
    let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
    if let Ok(slug) = TenantSlug::parse(&form.slug) {
        let taken = tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug.as_str()))
            .count(db)
            .await?
            > 0;
        if taken {
            errors.push("slug", "This slug is already taken; choose another.");
        }
    }
    if let Ok(plan_code) = PlanCode::parse(&form.plan_code) {
        if plan::Entity::find_by_id(plan_code.as_str())
            .one(db)
            .await?
            .is_none()
        {
            errors.push(
                "plan_code",
                format!("Plan {plan_code} does not exist; choose one of the listed plans."),
            );
        }
    }
    match parsed {
        Ok(new) if errors.is_empty() => Ok(new),
        _ => Err(errors.into()),
    }
}

/// Checks an onboarding form without creating anything (the wizard's steps).
pub async fn check_new(
    ctx: &Ctx,
    configured_regions: &[Region],
    form: &NewTenantForm,
) -> ServiceResult<()> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    principal.require(Permission::TenantManage)?;
    validate_new(db, form, configured_regions).await.map(|_| ())
}

pub async fn create(
    ctx: &Ctx,
    configured_regions: &[Region],
    form: &NewTenantForm,
) -> ServiceResult<String> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::TenantManage)?;
    let new = validate_new(db, form, configured_regions).await?;
    let now = ctx.now();
    let txn = db.begin().await?;
    let customer_id = match customer::Entity::find()
        .filter(customer::Column::Name.eq(&new.customer))
        .one(&txn)
        .await?
    {
        Some(existing) => existing.id,
        None => {
            let id = Uuid::new_v4();
            customer::ActiveModel {
                id: Set(id),
                name: Set(new.customer.clone()),
                external_ids: Set("{}".into()),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            audit::record(
                &txn,
                context,
                AuditEntry::new(Actor::from(principal), "customer.create", "customer")
                    .target(id)
                    .details(json!({ "after": { "name": new.customer } })),
            )
            .await?;
            id
        }
    };
    let id = Uuid::new_v4();
    let contacts: BTreeMap<String, String> = new
        .contacts
        .iter()
        .map(|(role, email)| (role.to_string(), email.as_str().to_owned()))
        .collect();
    let external_ids = JsonText(
        new.external_ids
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<String, String>>(),
    );
    let record = tenant::ActiveModel {
        id: Set(id),
        slug: Set(new.slug.as_str().to_owned()),
        display_name: Set(new.display_name.as_str().to_owned()),
        lifecycle_state: Set(LifecycleState::Draft),
        created_at: Set(now),
        updated_at: Set(now),
        customer_id: Set(Some(customer_id)),
        environment: Set(new.environment),
        deployment_kind: Set(new.deployment_kind),
        isolation_mode: Set(new.isolation_mode),
        plan_code: Set(new.plan_code.as_str().to_owned()),
        region: Set(new.region.as_str().to_owned()),
        allowed_regions: Set(JsonText(
            new.allowed_regions
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
        )),
        contacts: Set(JsonText(contacts)),
        external_ids: Set(external_ids.clone()),
        labels: Set(JsonText(new.labels.clone())),
        requested_state: Set(None),
        version: Set(1),
        archived_at: Set(None),
        state_reason: Set(None),
        base_url: Set(None),
        health_failures: Set(0),
        health_next_at: Set(None),
        search_text: Set(search_text(
            new.slug.as_str(),
            new.display_name.as_str(),
            &new.customer,
            &external_ids.to_text(),
        )),
    };
    let inserted = record.insert(&txn).await.map_err(|e| {
        ServiceError::on_unique_violation(e, "slug", "This slug is already taken; choose another.")
    })?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "tenant.create", "tenant")
            .target(id)
            .tenant(id)
            .details(json!({ "after": snapshot(&inserted) })),
    )
    .await?;
    txn.commit().await?;
    Ok(inserted.slug)
}
