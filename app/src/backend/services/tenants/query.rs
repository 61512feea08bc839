//! Finding tenants: the filtered, sorted list, references by slug, id or external id, and one tenant's detail.

use super::*;
use crate::backend::context::Ctx;

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

/// The tenants matching `query` among those in `visible`.
pub(super) fn filtered(query: &TenantQuery, visible: &TenantScope) -> Select<tenant::Entity> {
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
    fields: &crate::domain::tenants::saved_filter::FilterFields,
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
    crate::domain::validation::check_paging(&mut errors, query.page, query.per_page, MAX_PER_PAGE);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Search, filter, sort and paginate tenants.
pub async fn list(ctx: &Ctx, query: &TenantQuery) -> ServiceResult<TenantPage> {
    let db = &ctx.db;
    let principal = &ctx.principal;
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
pub(super) fn in_scope(
    select: Select<tenant::Entity>,
    visible: &TenantScope,
) -> Select<tenant::Entity> {
    match visible {
        TenantScope::All => select,
        TenantScope::Only(ids) => select.filter(tenant::Column::Id.is_in(ids.clone())),
    }
}

pub(super) async fn rows_with_customers<C: ConnectionTrait>(
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

pub(super) fn to_row(t: tenant::Model, customer: Option<String>) -> TenantRow {
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

/// The slug of the tenant `reference` names, by id (a UUID) or by slug.
pub async fn resolve_reference(ctx: &Ctx, reference: &str) -> ServiceResult<String> {
    Ok(resolve_tenant_id(ctx, reference).await?.1)
}

/// A tenant's id and slug from either of them, if the principal may read it.
pub async fn resolve_tenant_id(ctx: &Ctx, reference: &str) -> ServiceResult<(Uuid, String)> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    let found = match Uuid::parse_str(reference) {
        Ok(id) => tenant::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(ServiceError::NotFound)?,
        Err(_) => find_by_slug(db, reference).await?,
    };
    principal.require_on_tenant(Permission::TenantRead, found.id)?;
    crate::backend::log_context::tenant(found.id, &found.slug, found.environment.as_str());
    Ok((found.id, found.slug))
}

/// The tenant another system knows as `value` (e.g. system `crm`).
pub async fn find_by_external_id(ctx: &Ctx, system: &str, value: &str) -> ServiceResult<TenantRow> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
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

pub async fn detail(ctx: &Ctx, slug: &str) -> ServiceResult<TenantDetail> {
    let db = &ctx.db;
    let principal = &ctx.principal;
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
    let busy_with = crate::backend::services::changes::running_lifecycle_change(db, t.id)
        .await?
        .map(|running| format!("Wait until \"{}\" finishes.", running.title));
    let actions = allowed_actions(state)
        .into_iter()
        .map(|(action, allowed)| ActionOption {
            action,
            unavailable_because: match allowed {
                Ok(()) if busy_with.is_some() => busy_with.clone(),
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
    let config = crate::backend::services::tenants::tenant_config::entries(db, t.id).await?;
    let access_restriction =
        crate::backend::services::releases::compliance::access_restrictions(db, &[t.id])
            .await?
            .pop()
            .map(|(_, reason)| reason);
    let lifecycle_access =
        if state.tenant_access() == crate::domain::tenants::lifecycle::TenantAccess::Full {
            None
        } else {
            Some(
                crate::backend::services::changes::update_policy::access_refusal(
                    &txn,
                    t.id,
                    &t.slug,
                    state,
                    ctx.now(),
                )
                .await?,
            )
        };
    txn.commit().await?;
    Ok(TenantDetail {
        access_restriction,
        lifecycle_access,
        state_reason: t.state_reason.clone(),
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
