//! Tenant registry use cases: onboarding, search, detail and lifecycle.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::columns::JsonText;
use crate::backend::db::contains_literally;
use crate::backend::entities::{audit_event, customer, field_change, plan, tenant};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::changes;
use crate::domain::authority::vendor_field_refusal;
use crate::domain::change::ChangeKind;
use crate::domain::email::Email;
use crate::domain::lifecycle::{LifecycleAction, LifecycleState, allowed_actions, plan_transition};
use crate::domain::permission::{Permission, Scope, TenantScope};
use crate::domain::tenant::{
    DeploymentKind, DisplayName, Environment, IsolationMode, PlanCode, Region, TenantSlug,
    check_residency, parse_labels,
};
use crate::domain::validation::FieldErrors;
use crate::model::dashboard::AuditEventRow;
use crate::model::tenants::{
    ActionOption, FieldChangeRow, FormOptions, NewTenantForm, TenantDetail, TenantPage,
    TenantQuery, TenantRow,
};

/// The list's sort keys and their columns; the first is the default.
pub const SORT_KEYS: [(&str, tenant::Column); 7] = [
    ("slug", tenant::Column::Slug),
    ("name", tenant::Column::DisplayName),
    ("state", tenant::Column::LifecycleState),
    ("plan", tenant::Column::PlanCode),
    ("region", tenant::Column::Region),
    ("environment", tenant::Column::Environment),
    ("updated", tenant::Column::UpdatedAt),
];

/// Page sizes the list screen offers; the API accepts any size up to the largest.
pub const PAGE_SIZES: [u64; 3] = [25, 50, 100];
pub const MAX_PER_PAGE: u64 = 100;

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
fn parse_contacts(errors: &mut FieldErrors, raw: [&String; 3]) -> Vec<(&'static str, Email)> {
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
fn take<T>(errors: &mut FieldErrors, field: &str, result: Result<T, String>) -> Option<T> {
    result.map_err(|message| errors.push(field, message)).ok()
}

fn split_list(raw: &str) -> Vec<String> {
    let mut items: Vec<String> = raw
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    items.dedup();
    items
}

pub async fn form_options(
    db: &DatabaseConnection,
    principal: &Principal,
    regions: &[Region],
) -> ServiceResult<FormOptions> {
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
async fn validate_new(
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
    db: &DatabaseConnection,
    principal: &Principal,
    configured_regions: &[Region],
    form: &NewTenantForm,
) -> ServiceResult<()> {
    principal.require(Permission::TenantManage)?;
    validate_new(db, form, configured_regions).await.map(|_| ())
}

pub async fn create(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    configured_regions: &[Region],
    form: &NewTenantForm,
) -> ServiceResult<String> {
    principal.require(Permission::TenantManage)?;
    let new = validate_new(db, form, configured_regions).await?;
    let now = Utc::now();
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

/// What an audit record keeps of a tenant as before/after.
fn snapshot(t: &tenant::Model) -> serde_json::Value {
    json!({
        "slug": t.slug, "display_name": t.display_name, "lifecycle_state": t.lifecycle_state,
        "requested_state": t.requested_state, "environment": t.environment, "deployment_kind": t.deployment_kind,
        "isolation_mode": t.isolation_mode, "plan_code": t.plan_code, "region": t.region,
        "allowed_regions": t.allowed_regions.to_text(), "labels": t.labels.to_text(), "contacts": t.contacts.to_text(), "version": t.version,
    })
}

/// What free-text search matches (the migration backfills the same text).
fn search_text(slug: &str, display_name: &str, customer: &str, external_ids: &str) -> String {
    format!("{slug} {display_name} {customer} {external_ids}").to_lowercase()
}

/// The tenants matching `query` among those in `visible`.
fn filtered(query: &TenantQuery, visible: &TenantScope) -> Select<tenant::Entity> {
    let mut select = in_scope(tenant::Entity::find(), visible);
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_lowercase)
    };
    if let Some(q) = text(&query.q) {
        // One scan of one pre-lowered column (see `search_text`).
        select = select.filter(
            Expr::col((tenant::Entity, tenant::Column::SearchText)).like(
                LikeExpr::new(format!("%{}%", crate::backend::db::escape_like(&q))).escape('\\'),
            ),
        );
    }
    if let Some(state) = text(&query.state) {
        select = select.filter(tenant::Column::LifecycleState.eq(state));
    }
    if let Some(plan) = text(&query.plan) {
        select = select.filter(tenant::Column::PlanCode.eq(plan));
    }
    if let Some(region) = text(&query.region) {
        select = select.filter(tenant::Column::Region.eq(region));
    }
    if let Some(environment) = text(&query.environment) {
        select = select.filter(tenant::Column::Environment.eq(environment));
    }
    if let Some(kind) = text(&query.kind) {
        select = select.filter(tenant::Column::DeploymentKind.eq(kind));
    }
    if let Some(label) = text(&query.label) {
        select = select.filter(contains_literally(
            (tenant::Entity, tenant::Column::Labels),
            &format!("\"{label}\""),
        ));
    }
    select
}

/// Slug and display name of each of these tenants, for rows that name them.
pub(crate) async fn names_of<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> ServiceResult<std::collections::HashMap<Uuid, (String, String)>> {
    Ok(tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(ids))
        .select_only()
        .column(tenant::Column::Id)
        .column(tenant::Column::Slug)
        .column(tenant::Column::DisplayName)
        .into_tuple::<(Uuid, String, String)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(id, slug, name)| (id, (slug, name)))
        .collect())
}

/// The slugs of the tenants `fields` match among those the principal may
/// read, in slug order, at most `limit` + 1 (so a caller can tell "too many").
pub(crate) async fn matching_slugs<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    fields: &crate::domain::saved_filter::FilterFields,
    limit: usize,
) -> ServiceResult<Vec<String>> {
    let query = TenantQuery {
        q: fields.q.clone(),
        state: fields.state.clone(),
        plan: fields.plan.clone(),
        region: fields.region.clone(),
        environment: fields.environment.clone(),
        kind: fields.kind.clone(),
        label: fields.label.clone(),
        ..Default::default()
    };
    Ok(
        filtered(&query, &principal.tenant_scope(Permission::TenantRead))
            .select_only()
            .column(tenant::Column::Slug)
            .order_by_asc(tenant::Column::Slug)
            .limit(limit as u64 + 1)
            .into_tuple()
            .all(db)
            .await?,
    )
}

/// A tenant query names known states, sort keys and directions and a page
/// size within bounds; the page and the API refuse the same values alike.
pub fn check_query(query: &TenantQuery) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    if let Some(state) = query.state.as_deref().filter(|s| !s.is_empty()) {
        if LifecycleState::parse(state).is_none() {
            errors.push("state", format!("Unknown state `{state}`."));
        }
    }
    if let Some(sort) = query.sort.as_deref() {
        if !SORT_KEYS.iter().any(|(key, _)| *key == sort) {
            let keys: Vec<&str> = SORT_KEYS.iter().map(|(key, _)| *key).collect();
            errors.push("sort", format!("Sort by one of: {}.", keys.join(", ")));
        }
    }
    if let Some(dir) = query.dir.as_deref() {
        if dir != "asc" && dir != "desc" {
            errors.push("dir", "Use `asc` or `desc`.");
        }
    }
    if query.page == Some(0) {
        errors.push("page", "Pages start at 1.");
    }
    if let Some(per_page) = query.per_page {
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            errors.push(
                "per_page",
                format!("Use 1 to {MAX_PER_PAGE} items per page."),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Search, filter, sort and paginate tenants.
pub async fn list(
    db: &DatabaseConnection,
    principal: &Principal,
    query: &TenantQuery,
) -> ServiceResult<TenantPage> {
    principal.require_somewhere(Permission::TenantRead)?;
    check_query(query)?;
    let visible = principal.tenant_scope(Permission::TenantRead);
    // Row-level security on PostgreSQL backs the explicit filters below.
    let txn = crate::backend::db::scoped_read(db, &visible).await?;
    let db = &txn;
    let per_page = query
        .per_page
        .filter(|p| (1..=MAX_PER_PAGE).contains(p))
        .unwrap_or(PAGE_SIZES[0]);
    let total = filtered(query, &visible).count(db).await?;
    let last_page = Ord::max(total.div_ceil(per_page), 1);
    let page = query.page.unwrap_or(1).clamp(1, last_page);
    let column = SORT_KEYS
        .iter()
        .find(|(key, _)| Some(*key) == query.sort.as_deref())
        .map_or(SORT_KEYS[0].1, |(_, column)| *column);
    let order = if query.dir.as_deref() == Some("desc") {
        Order::Desc
    } else {
        Order::Asc
    };
    let mut ordered = filtered(query, &visible).order_by(column, order);
    // Slugs are unique; other columns break ties by id ((column, id) indexes).
    if !matches!(column, tenant::Column::Slug) {
        ordered = ordered.order_by_asc(tenant::Column::Id);
    }
    // Deep pages: walk the (column, id) index for the page's ids only, then
    // fetch those rows — skipping thousands of narrow index entries instead
    // of thousands of wide rows.
    let ids: Vec<Uuid> = ordered
        .select_only()
        .column(tenant::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .into_tuple()
        .all(db)
        .await?;
    let mut models = if ids.is_empty() {
        vec![]
    } else {
        tenant::Entity::find()
            .filter(tenant::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?
    };
    models.sort_by_key(|m| ids.iter().position(|id| *id == m.id));
    let rows = rows_with_customers(db, models).await?;
    let any_tenants = total > 0 || in_scope(tenant::Entity::find(), &visible).count(db).await? > 0;
    txn.commit().await?;
    Ok(TenantPage {
        rows,
        total,
        page,
        per_page,
        any_tenants,
    })
}

/// Only the tenants in `visible` (tenant isolation for scoped users).
fn in_scope(select: Select<tenant::Entity>, visible: &TenantScope) -> Select<tenant::Entity> {
    match visible {
        TenantScope::All => select,
        TenantScope::Only(ids) => select.filter(tenant::Column::Id.is_in(ids.clone())),
    }
}

async fn rows_with_customers<C: ConnectionTrait>(
    db: &C,
    models: Vec<tenant::Model>,
) -> ServiceResult<Vec<TenantRow>> {
    let ids: Vec<Uuid> = models.iter().filter_map(|t| t.customer_id).collect();
    let customers = if ids.is_empty() {
        vec![]
    } else {
        customer::Entity::find()
            .filter(customer::Column::Id.is_in(ids))
            .all(db)
            .await?
    };
    Ok(models
        .into_iter()
        .map(|t| {
            let customer = customers
                .iter()
                .find(|c| Some(c.id) == t.customer_id)
                .map(|c| c.name.clone());
            to_row(t, customer)
        })
        .collect())
}

fn to_row(t: tenant::Model, customer: Option<String>) -> TenantRow {
    TenantRow {
        id: t.id,
        state: t.lifecycle_state,
        requested_state: t.requested_state,
        slug: t.slug,
        display_name: t.display_name,
        customer,
        environment: t.environment.as_str().into(),
        deployment_kind: t.deployment_kind.as_str().into(),
        plan_code: t.plan_code,
        region: t.region,
        updated_at: t.updated_at,
    }
}

pub(crate) async fn find_by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> ServiceResult<tenant::Model> {
    let slug = TenantSlug::parse(slug).map_err(|_| ServiceError::NotFound)?;
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The slug of the tenant `reference` names, by id (a UUID) or by slug.
pub async fn resolve_reference(
    db: &DatabaseConnection,
    principal: &Principal,
    reference: &str,
) -> ServiceResult<String> {
    Ok(resolve_tenant_id(db, principal, reference).await?.1)
}

/// A tenant's id and slug from either of them, if the principal may read it.
pub async fn resolve_tenant_id(
    db: &DatabaseConnection,
    principal: &Principal,
    reference: &str,
) -> ServiceResult<(Uuid, String)> {
    principal.require_somewhere(Permission::TenantRead)?;
    let found = match Uuid::parse_str(reference) {
        Ok(id) => tenant::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(ServiceError::NotFound)?,
        Err(_) => find_by_slug(db, reference).await?,
    };
    principal.require_on_tenant(Permission::TenantRead, found.id)?;
    Ok((found.id, found.slug))
}

/// The tenant another system knows as `value` (e.g. system `crm`).
pub async fn find_by_external_id(
    db: &DatabaseConnection,
    principal: &Principal,
    system: &str,
    value: &str,
) -> ServiceResult<TenantRow> {
    principal.require_somewhere(Permission::TenantRead)?;
    // External ids are stored as a compact JSON object; the exact member text
    // narrows the scan, and the parsed check below rules out look-alikes.
    let member = json!({ system: value }).to_string();
    let needle = member.trim_start_matches('{').trim_end_matches('}');
    // Only the caller's tenants are searched, so a limit cannot crowd out
    // the one they may see.
    let candidates = in_scope(
        tenant::Entity::find(),
        &principal.tenant_scope(Permission::TenantRead),
    )
    .filter(contains_literally(
        (tenant::Entity, tenant::Column::ExternalIds),
        needle,
    ))
    .limit(10)
    .all(db)
    .await?;
    let found = candidates.into_iter().find(|t| {
        principal.can(Permission::TenantRead, Scope::Tenant(t.id))
            && t.external_ids.get(system).is_some_and(|v| v == value)
    });
    let t = found.ok_or(ServiceError::NotFound)?;
    Ok(rows_with_customers(db, vec![t]).await?.remove(0))
}

pub async fn detail(
    db: &DatabaseConnection,
    principal: &Principal,
    slug: &str,
) -> ServiceResult<TenantDetail> {
    principal.require_somewhere(Permission::TenantRead)?;
    // Row-level security on PostgreSQL backs the checks below.
    let txn = crate::backend::db::scoped_read(db, &principal.tenant_scope(Permission::TenantRead))
        .await?;
    let db = &txn;
    let t = find_by_slug(db, slug).await?;
    principal.require_on_tenant(Permission::TenantRead, t.id)?;
    let changes = field_change::Entity::find()
        .filter(field_change::Column::TenantId.eq(t.id))
        .order_by_desc(field_change::Column::ChangedAt)
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(|c| FieldChangeRow {
            field: c.field,
            old_value: c.old_value,
            new_value: c.new_value,
            actor: c.actor_label,
            changed_at: c.changed_at,
        })
        .collect();
    let history = if principal.can(Permission::AuditRead, Scope::Tenant(t.id)) {
        audit_event::Entity::find()
            .filter(audit_event::Column::TenantId.eq(t.id))
            .order_by_desc(audit_event::Column::OccurredAt)
            .limit(50)
            .all(db)
            .await?
            .into_iter()
            .map(AuditEventRow::from)
            .collect()
    } else {
        vec![]
    };
    let state = t.lifecycle_state;
    let may_act = principal.can(Permission::TenantLifecycle, Scope::Tenant(t.id));
    let actions = allowed_actions(state)
        .into_iter()
        .map(|(action, allowed)| ActionOption {
            action,
            unavailable_because: match allowed {
                Ok(()) if may_act => None,
                Ok(()) => Some("You do not have permission to change the lifecycle.".to_owned()),
                Err(reason) => Some(reason),
            },
        })
        .collect();
    let pairs = |map: &BTreeMap<String, String>| -> Vec<(String, String)> {
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    let customer = match t.customer_id {
        Some(id) => customer::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|c| c.name),
        None => None,
    };
    let config = super::tenant_config::entries(db, t.id).await?;
    let access_restriction = super::compliance::access_restrictions(db, &[t.id])
        .await?
        .pop()
        .map(|(_, reason)| reason);
    txn.commit().await?;
    Ok(TenantDetail {
        access_restriction,
        isolation_mode: t.isolation_mode.as_str().into(),
        allowed_regions: t.allowed_regions.0.clone(),
        contacts: pairs(&t.contacts),
        external_ids: pairs(&t.external_ids),
        labels: t.labels.0.clone(),
        version: t.version,
        created_at: t.created_at,
        config,
        actions,
        changes,
        history,
        row: to_row(t, customer),
    })
}

/// Outcome of a lifecycle request.
#[derive(Debug, PartialEq, Eq)]
pub enum TransitionOutcome {
    /// The tenant moved (or started moving, through `via`).
    Started {
        via: Option<LifecycleState>,
        target: LifecycleState,
    },
    /// The action had already taken effect; nothing changed.
    AlreadyDone,
}

/// Runs a lifecycle action as a change request. Long actions move into their
/// intermediate state and record where they will land; the change request's
/// job (executor steps through the job engine) lands them there.
pub async fn transition(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    slug: &str,
    action: LifecycleAction,
    expected_version: Option<i64>,
    confirmation: Option<&str>,
) -> ServiceResult<TransitionOutcome> {
    // Checked on the tenant itself: another tenant's is "not found".
    principal.require_somewhere(Permission::TenantRead)?;
    let txn = db.begin().await?;
    let current = find_by_slug(&txn, slug).await?;
    principal.require_on_tenant(Permission::TenantLifecycle, current.id)?;
    if let Some(expected) = expected_version {
        if expected != current.version {
            return Err(ServiceError::Conflict(
                "This tenant was changed by someone else since you loaded the page. Reload to see the current state, then try again.".into(),
            ));
        }
    }
    let state = current.lifecycle_state;
    let plan =
        plan_transition(state, action).map_err(|refusal| ServiceError::Policy(refusal.reason))?;
    if plan.already_done {
        return Ok(TransitionOutcome::AlreadyDone);
    }
    if action == LifecycleAction::Delete
        && confirmation.map(str::trim) != Some(current.slug.as_str())
    {
        let mut errors = FieldErrors::default();
        errors.push(
            "confirm",
            format!("Type {} exactly to confirm the deletion.", current.slug),
        );
        return Err(errors.into());
    }
    let before = snapshot(&current);
    let now_state = plan.via.unwrap_or(plan.target);
    let mut record = current.clone().into_active_model();
    record.lifecycle_state = Set(now_state);
    record.requested_state = Set(plan.via.map(|_| plan.target));
    record.version = Set(current.version + 1);
    record.updated_at = Set(Utc::now());
    if plan.target == LifecycleState::Archived && plan.via.is_none() {
        record.archived_at = Set(Some(Utc::now()));
    }
    let updated = record.update(&txn).await?;
    log_field_change(
        &txn,
        current.id,
        "lifecycle_state",
        Some(current.lifecycle_state.as_str()),
        Some(now_state.as_str()),
        &Actor::from(principal),
    )
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), action_audit_name(action), "tenant")
            .target(current.id)
            .tenant(current.id)
            .details(json!({ "before": before, "after": snapshot(&updated) })),
    )
    .await?;
    changes::record_lifecycle_change(
        &txn,
        principal,
        context,
        &updated,
        ChangeKind::from_lifecycle(action),
        plan.via.is_some(),
    )
    .await?;
    txn.commit().await?;
    Ok(TransitionOutcome::Started {
        via: plan.via,
        target: plan.target,
    })
}

fn action_audit_name(action: LifecycleAction) -> &'static str {
    match action {
        LifecycleAction::Activate => "tenant.activate",
        LifecycleAction::EnterMaintenance => "tenant.enter_maintenance",
        LifecycleAction::ExitMaintenance => "tenant.exit_maintenance",
        LifecycleAction::BackUp => "tenant.back_up",
        LifecycleAction::Restore => "tenant.restore",
        LifecycleAction::Upgrade => "tenant.upgrade",
        LifecycleAction::ValidateHealth => "tenant.validate_health",
        LifecycleAction::Suspend => "tenant.suspend",
        LifecycleAction::Resume => "tenant.resume",
        LifecycleAction::Archive => "tenant.archive",
        LifecycleAction::Delete => "tenant.delete",
    }
}

pub(crate) async fn log_field_change<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    actor: &Actor,
) -> ServiceResult<()> {
    field_change::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        field: Set(field.to_owned()),
        old_value: Set(old.map(str::to_owned)),
        new_value: Set(new.map(str::to_owned)),
        actor_label: Set(actor.label()),
        changed_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Edits display name, plan, labels and contacts. The edit was made against
/// `expected_version`; if the tenant changed since, nothing is written and
/// the caller is told to reload. Every changed field lands in the change log.
pub async fn update(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    slug: &str,
    expected_version: i64,
    edit: &crate::model::tenants::TenantEditForm,
) -> ServiceResult<()> {
    principal.require_somewhere(Permission::TenantRead)?;
    let mut errors = FieldErrors::default();
    let display_name = take(
        &mut errors,
        "display_name",
        DisplayName::parse(&edit.display_name),
    );
    let plan_code = take(&mut errors, "plan_code", PlanCode::parse(&edit.plan_code));
    let labels = take(&mut errors, "labels", parse_labels(&edit.labels)).unwrap_or_default();
    let contacts: BTreeMap<String, String> = parse_contacts(
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
    let (Some(display_name), Some(plan_code)) = (display_name, plan_code) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
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
                refused.push(field, reason);
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
    record.updated_at = Set(Utc::now());
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
        log_field_change(&txn, current.id, field, Some(old), Some(new), &actor).await?;
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

/// Most tenants one bulk request may name.
pub const BULK_LIMIT: usize = 500;

/// Where each selected tenant stands with respect to `action`.
pub async fn bulk_preview(
    db: &DatabaseConnection,
    principal: &Principal,
    action: LifecycleAction,
    slugs: &[String],
) -> ServiceResult<Vec<crate::model::tenants::BulkItem>> {
    use crate::model::tenants::{BulkItem, BulkOutcome};
    principal.require_somewhere(Permission::TenantRead)?;
    if slugs.len() > BULK_LIMIT {
        return Err(ServiceError::Policy(format!(
            "Select at most {BULK_LIMIT} tenants at a time."
        )));
    }
    let mut items = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let visible = find_by_slug(db, slug).await.and_then(|t| {
            principal.require_on_tenant(Permission::TenantRead, t.id)?;
            Ok(t)
        });
        let item = match visible {
            Ok(t) => {
                let state = t.lifecycle_state;
                let outcome = match plan_transition(state, action) {
                    Ok(plan) if plan.already_done => BulkOutcome::AlreadyDone,
                    Ok(_) => BulkOutcome::Eligible,
                    Err(refusal) => BulkOutcome::Refused(refusal.reason),
                };
                BulkItem {
                    slug: t.slug,
                    display_name: Some(t.display_name),
                    state: Some(state),
                    outcome,
                }
            }
            Err(ServiceError::NotFound) => BulkItem {
                slug: slug.clone(),
                display_name: None,
                state: None,
                outcome: BulkOutcome::NotFound,
            },
            Err(other) => return Err(other),
        };
        items.push(item);
    }
    Ok(items)
}

/// Runs `action` on each tenant in turn, each in its own audited transaction.
/// Refusals are skipped (the preview shows why); other errors stop the run.
pub async fn bulk_run(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    action: LifecycleAction,
    slugs: &[String],
) -> ServiceResult<usize> {
    principal.require_somewhere(Permission::TenantLifecycle)?;
    if slugs.len() > BULK_LIMIT {
        return Err(ServiceError::Policy(format!(
            "Select at most {BULK_LIMIT} tenants at a time."
        )));
    }
    let mut changed = 0;
    for slug in slugs {
        match transition(db, principal, context, slug, action, None, None).await {
            Ok(TransitionOutcome::Started { .. }) => changed += 1,
            Ok(TransitionOutcome::AlreadyDone)
            | Err(ServiceError::Policy(_))
            | Err(ServiceError::NotFound)
            | Err(ServiceError::Forbidden) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(changed)
}
