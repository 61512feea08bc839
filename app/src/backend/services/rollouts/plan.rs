//! Creating a rollout: its settings, its targets (tenants or endpoints,
//! explicit or by filter and wave rules) and their waves.

use super::*;
use crate::backend::context::Ctx;
use crate::backend::error::Parsed;
use crate::domain::releases::compliance::ComplianceKind;
use crate::domain::rollouts::rollout::WaveRule;

/// Plans and stores a rollout: picks the targets, splits them into waves.
pub async fn create(ctx: &Ctx, new: Parsed<NewRollout>) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::UpdateExecute)?;
    let new = &new?;
    let mut errors = FieldErrors::default();
    let found_product = changes::find_product(db, &new.product).await?;
    let version = new.version.to_string();
    match &found_product {
        None => errors.push("product", "Choose a product from the catalog."),
        Some(p) => {
            let published = release::Entity::find()
                .filter(release::Column::ProductId.eq(p.id))
                .filter(release::Column::Version.eq(version.as_str()))
                .filter(release::Column::Status.eq(ReleaseStatus::Published))
                .one(db)
                .await?;
            if published.is_none() {
                errors.push(
                    "target_version",
                    format!("'{version}' is not a published release of {}.", p.name),
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let product = found_product.expect("checked above");
    let settings = &new.settings;
    let (name, splits) = (&settings.name, &settings.splits);
    if new.scope == ENDPOINTS {
        return plan_endpoints(ctx, &new.selection, &product, &version, settings).await;
    }
    let targets = select_targets(db, product.id, &version, &new.selection).await?;
    if targets.is_empty() {
        let mut errors = FieldErrors::default();
        errors.push(
            "tenants",
            "No tenant matches: every selected tenant already runs this version, does not license the product, or the filters exclude all.",
        );
        return Err(errors.into());
    }
    let planned = if new.wave_rules.is_empty() {
        let sizes = wave_sizes(targets.len(), splits);
        let mut waves = vec![];
        for (wave, size) in sizes.iter().enumerate() {
            waves.extend(std::iter::repeat_n(wave, *size));
        }
        waves
            .into_iter()
            .zip(targets)
            .map(|(wave, (tenant, from))| (wave, tenant, from))
            .collect::<Vec<_>>()
    } else {
        plan_by_rules(db, product.id, &new.wave_rules, targets).await?
    };
    if planned.is_empty() {
        let mut errors = FieldErrors::default();
        errors.push(
            "wave_plan",
            "No line of the wave plan matches any target; add a 'rest' line or widen a filter.",
        );
        return Err(errors.into());
    }
    let mut sizes: Vec<usize> = vec![];
    for (wave, _, _) in &planned {
        if sizes.len() <= *wave {
            sizes.resize(wave + 1, 0);
        }
        sizes[*wave] += 1;
    }
    // Lines that matched nobody leave no empty wave behind.
    let renumber: Vec<usize> = sizes
        .iter()
        .scan(0, |next, size| {
            let number = *next;
            if *size > 0 {
                *next += 1;
            }
            Some(number)
        })
        .collect();
    sizes.retain(|size| *size > 0);
    let id = Uuid::new_v4();
    let status = if settings.requires_approval {
        RolloutStatus::PendingApproval
    } else {
        RolloutStatus::Scheduled
    };
    let selection = new.selection.describe();
    let txn = db.begin().await?;
    new_rollout(
        id,
        TENANTS,
        product.id,
        &version,
        &selection,
        settings,
        principal,
        ctx.now(),
    )
    .insert(&txn)
    .await?;
    let mut rows = Vec::with_capacity(planned.len());
    for (position, (wave, tenant_id, from_version)) in planned.iter().enumerate() {
        rows.push(rollout_target::ActiveModel {
            id: Set(Uuid::new_v4()),
            rollout_id: Set(id),
            wave: Set(renumber[*wave] as i32 + 1),
            position: Set(position as i32 + 1),
            tenant_id: Set(*tenant_id),
            endpoint_id: Set(None),
            from_version: Set(from_version.clone()),
            status: Set(TargetStatus::Pending),
            attempts: Set(0),
            message: Set(None),
            change_request_id: Set(None),
            last_error: Set(None),
            started_at: Set(None),
            finished_at: Set(None),
        });
    }
    for chunk in rows.chunks(500) {
        rollout_target::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "rollout.create", "rollout")
            .target(id)
            .details(json!({
                "name": name, "product": product.key, "target_version": version, "targets": planned.len(),
                "waves": sizes, "selection": selection, "status": status,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// A new rollout row: waiting for approval, or scheduled to start.
pub(super) fn new_rollout(
    id: Uuid,
    scope: RolloutScope,
    product_id: Uuid,
    version: &str,
    selection: &str,
    settings: &RolloutSettings,
    principal: &Principal,
    now: DateTime<Utc>,
) -> rollout::ActiveModel {
    rollout::ActiveModel {
        id: Set(id),
        name: Set(settings.name.clone()),
        scope: Set(scope),
        product_id: Set(product_id),
        target_version: Set(version.to_owned()),
        status: Set(if settings.requires_approval {
            RolloutStatus::PendingApproval
        } else {
            RolloutStatus::Scheduled
        }
        .into()),
        selection: Set(selection.to_owned()),
        wave_splits: Set(settings
            .splits
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")),
        success_threshold: Set(settings.thresholds.success_percent as i32),
        error_threshold: Set(settings.thresholds.error_percent as i32),
        on_error: Set(settings.on_error.into()),
        concurrency: Set(settings.concurrency as i32),
        start_at: Set(settings.start_at),
        requires_approval: Set(settings.requires_approval),
        current_wave: Set(1),
        halt_reason: Set(None),
        created_by: Set(Some(principal.user_id)),
        creator_label: Set(principal.email.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
    }
}

/// Active tenants that license the product, do not run the target version
/// yet and match the selection, in slug order (stable plans).
pub(super) async fn select_targets(
    db: &DatabaseConnection,
    product_id: Uuid,
    version: &str,
    selection: &TargetSelection,
) -> ServiceResult<Vec<(Uuid, Option<String>)>> {
    let mut query = tenant_product::Entity::find()
        .filter(tenant_product::Column::ProductId.eq(product_id))
        .filter(
            tenant_product::Column::RunningVersion
                .ne(version)
                .or(tenant_product::Column::RunningVersion.is_null()),
        );
    let mut tenants = tenant::Entity::find().filter(tenant::Column::LifecycleState.eq("active"));
    if let Some(filters) = selection.filters() {
        if let Some(plan) = &filters.plan {
            tenants = tenants.filter(tenant::Column::PlanCode.eq(plan.as_str()));
        }
        if let Some(region) = &filters.region {
            tenants = tenants.filter(tenant::Column::Region.eq(region.as_str()));
        }
        if let Some(label) = &filters.label {
            tenants = tenants.filter(crate::backend::db::contains_literally(
                (tenant::Entity, tenant::Column::Labels),
                &format!("\"{label}\""),
            ));
        }
        if let Some(running) = &filters.current_version {
            query = query.filter(tenant_product::Column::RunningVersion.eq(running.as_str()));
        }
    } else {
        tenants = tenants.filter(tenant::Column::Slug.is_in(selection.tenants.clone()));
    }
    let eligible: HashMap<Uuid, String> = tenants
        .select_only()
        .column(tenant::Column::Id)
        .column(tenant::Column::Slug)
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut in_status: Option<std::collections::HashSet<Uuid>> = None;
    if let Some(status) = selection
        .filters()
        .and_then(|f| f.compliance_status.as_ref())
    {
        in_status = Some(
            compliance_status::Entity::find()
                .filter(compliance_status::Column::ProductId.eq(product_id))
                .filter(compliance_status::Column::Status.eq(*status))
                .select_only()
                .column(compliance_status::Column::TenantId)
                .into_tuple::<Uuid>()
                .all(db)
                .await?
                .into_iter()
                .collect(),
        );
    }
    let mut targets: Vec<(String, Uuid, Option<String>)> = query
        .all(db)
        .await?
        .into_iter()
        .filter(|tp| {
            in_status
                .as_ref()
                .is_none_or(|set| set.contains(&tp.tenant_id))
        })
        .filter_map(|tp| {
            eligible
                .get(&tp.tenant_id)
                .map(|slug| (slug.clone(), tp.tenant_id, tp.running_version))
        })
        .collect();
    targets.sort();
    Ok(targets.into_iter().map(|(_, id, v)| (id, v)).collect())
}

/// Places targets by an explicit wave plan (one line per wave): the first
/// line that matches a tenant decides its wave; tenants no line matches stay
/// out. Within a wave, plan order (slug) is kept.
pub(super) async fn plan_by_rules(
    db: &DatabaseConnection,
    product_id: Uuid,
    rules: &[WaveRule],
    targets: Vec<(Uuid, Option<String>)>,
) -> ServiceResult<Vec<(usize, Uuid, Option<String>)>> {
    let ids: Vec<Uuid> = targets.iter().map(|(id, _)| *id).collect();
    let mut facts: HashMap<Uuid, Candidate> = HashMap::new();
    for chunk in ids.chunks(500) {
        for t in tenant::Entity::find()
            .filter(tenant::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            facts.insert(
                t.id,
                Candidate {
                    slug: t.slug,
                    plan: t.plan_code,
                    region: t.region,
                    labels: t.labels.0.clone(),
                    version: None,
                    compliance: None,
                },
            );
        }
        for (tenant_id, status) in compliance_status::Entity::find()
            .filter(compliance_status::Column::ProductId.eq(product_id))
            .filter(compliance_status::Column::TenantId.is_in(chunk.to_vec()))
            .select_only()
            .column(compliance_status::Column::TenantId)
            .column(compliance_status::Column::Status)
            .into_tuple::<(Uuid, ComplianceKind)>()
            .all(db)
            .await?
        {
            if let Some(c) = facts.get_mut(&tenant_id) {
                c.compliance = Some(status);
            }
        }
    }
    let candidates: Vec<Candidate> = targets
        .iter()
        .map(|(id, version)| {
            let mut c = facts.get(id).cloned().unwrap_or_default();
            c.version = version.clone();
            c
        })
        .collect();
    let mut planned: Vec<(usize, Uuid, Option<String>)> = assign_waves(rules, &candidates)
        .into_iter()
        .zip(targets)
        .filter_map(|(wave, (id, version))| wave.map(|w| (w, id, version)))
        .collect();
    planned.sort_by_key(|(wave, _, _)| *wave);
    Ok(planned)
}

/// Plans an endpoint rollout set-based: one `INSERT … SELECT` numbers the
/// matching endpoints (by tenant, then host name) and places each in its
/// wave, so 100,000 endpoints plan in one statement.
pub(super) async fn plan_endpoints(
    ctx: &Ctx,
    selection: &TargetSelection,
    product: &product::Model,
    version: &str,
    settings: &RolloutSettings,
) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let splits = &settings.splits;
    use sea_orm::{Statement, Value};
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![product.id.into(), version.to_owned().into()];
    let mut conditions = vec![
        "ep.product_id = $1".to_owned(),
        "ep.version <> $2".to_owned(),
        "t.lifecycle_state = 'active'".to_owned(),
    ];
    let bind = |values: &mut Vec<Value>, value: Value| {
        values.push(value);
        format!("${}", values.len())
    };
    if let Some(filters) = selection.filters() {
        for (column, value) in [
            ("t.plan_code", &filters.plan),
            ("t.region", &filters.region),
            ("ep.version", &filters.current_version),
        ] {
            if let Some(value) = value {
                let mark = bind(&mut values, value.clone().into());
                conditions.push(format!("{column} = {mark}"));
            }
        }
        if let Some(label) = &filters.label {
            let pattern = format!("%\"{}\"%", crate::backend::db::escape_like(label));
            let mark = bind(&mut values, pattern.into());
            conditions.push(format!("t.labels LIKE {mark} ESCAPE '\\'"));
        }
        if let Some(status) = &filters.compliance_status {
            let mark = bind(&mut values, status.as_str().into());
            conditions.push(format!(
                "t.id IN (SELECT tenant_id FROM compliance_status WHERE product_id = $1 AND status = {mark})"
            ));
        }
    } else {
        let marks: Vec<String> = selection
            .tenants
            .iter()
            .map(|s| bind(&mut values, s.clone().into()))
            .collect();
        conditions.push(format!("t.slug IN ({})", marks.join(", ")));
    }
    let from = format!(
        "FROM endpoint_products ep JOIN endpoints e ON e.id = ep.endpoint_id JOIN tenants t ON t.id = e.tenant_id WHERE {}",
        conditions.join(" AND ")
    );
    let count: i64 = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT COUNT(*) AS n {from}"),
            values.clone(),
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if count == 0 {
        let mut errors = FieldErrors::default();
        errors.push("tenants", "No endpoint matches: every matching endpoint already runs this version, or the filters exclude all.");
        return Err(errors.into());
    }
    let sizes = wave_sizes(count as usize, splits);
    let mut bounds = vec![];
    let mut total = 0;
    for (i, size) in sizes.iter().enumerate() {
        total += size;
        bounds.push(format!("WHEN n <= {total} THEN {}", i + 1));
    }
    let id = Uuid::new_v4();
    let new_id = match backend {
        DbBackend::Postgres => "gen_random_uuid()",
        _ => "randomblob(16)",
    };
    let rollout_mark = bind(&mut values, id.into());
    let insert = format!(
        "INSERT INTO rollout_targets (id, rollout_id, wave, position, tenant_id, endpoint_id, from_version, status, attempts) \
         SELECT {new_id}, {rollout_mark}, CASE {} ELSE {} END, n, tenant_id, endpoint_id, version, 'pending', 0 FROM \
         (SELECT e.tenant_id AS tenant_id, e.id AS endpoint_id, ep.version AS version, \
                 ROW_NUMBER() OVER (ORDER BY t.slug, e.hostname, e.id) AS n {from}) ranked",
        bounds.join(" "),
        sizes.len()
    );
    let described = format!("endpoints of {}", selection.describe());
    let txn = db.begin().await?;
    new_rollout(
        id,
        ENDPOINTS,
        product.id,
        version,
        &described,
        settings,
        principal,
        ctx.now(),
    )
    .insert(&txn)
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(backend, insert, values))
        .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "rollout.create", "rollout")
            .target(id)
            .details(json!({
                "name": settings.name, "product": product.key, "target_version": version, "scope": ENDPOINTS.as_str(),
                "targets": count, "waves": sizes, "selection": described,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}
