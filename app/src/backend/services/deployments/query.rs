//! Reading deployments: the fleet, one deployment's control panel, its health runs.

use super::*;
use crate::backend::context::Ctx;

pub(super) fn slot_view(d: &edge_deployment::Model, slot: Slot) -> SlotView {
    let (version, state, health, weight) = match slot {
        Slot::Blue => (
            &d.blue_version,
            &d.blue_state,
            &d.blue_health,
            d.blue_weight,
        ),
        Slot::Green => (
            &d.green_version,
            &d.green_state,
            &d.green_health,
            d.green_weight,
        ),
    };
    SlotView {
        slot,
        version: version.clone(),
        state: *state,
        health: *health,
        weight,
    }
}

pub(super) fn summary(s: &deployment_switch::Model) -> SwitchSummary {
    SwitchSummary {
        id: s.id,
        status: s.status,
        from_slot: s.from_slot,
        to_slot: s.to_slot,
        from_version: s.from_version.clone(),
        to_version: s.to_version.clone(),
        steps: s.steps.to_vec(),
        step_index: s.step_index,
        reason: s.reason.clone(),
        requester: s.requester_label.clone(),
        created_at: s.created_at,
        finished_at: s.finished_at,
    }
}

pub(super) fn row(
    d: &edge_deployment::Model,
    tenants: &HashMap<Uuid, tenant::Model>,
    products: &HashMap<Uuid, product::Model>,
    active: Option<&deployment_switch::Model>,
) -> DeploymentRow {
    let live = d.live_slot;
    let tenant = tenants.get(&d.tenant_id);
    let product = products.get(&d.product_id);
    DeploymentRow {
        id: d.id,
        tenant_id: d.tenant_id,
        tenant_slug: tenant.map(|t| t.slug.clone()).unwrap_or_default(),
        tenant_name: tenant.map(|t| t.display_name.clone()).unwrap_or_default(),
        product_key: product.map(|p| p.key.clone()).unwrap_or_default(),
        product_name: product.map(|p| p.name.clone()).unwrap_or_default(),
        live_slot: d.live_slot,
        live_version: version_of(d, live),
        blue: slot_view(d, Slot::Blue),
        green: slot_view(d, Slot::Green),
        router: d.router_kind,
        active_switch: active.map(summary),
    }
}

pub(super) async fn names<C: ConnectionTrait>(
    conn: &C,
    deployments: &[edge_deployment::Model],
) -> ServiceResult<(HashMap<Uuid, tenant::Model>, HashMap<Uuid, product::Model>)> {
    let tenant_ids: Vec<Uuid> = deployments.iter().map(|d| d.tenant_id).collect();
    let product_ids: Vec<Uuid> = deployments.iter().map(|d| d.product_id).collect();
    let tenants = tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(tenant_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let products = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok((tenants, products))
}

pub(super) fn active_statuses() -> Vec<&'static str> {
    SwitchStatus::ACTIVE.iter().map(|s| s.as_str()).collect()
}

/// Every edge deployment the principal may read, with the switches in progress.
pub async fn fleet(ctx: &Ctx) -> ServiceResult<Vec<DeploymentRow>> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    let mut query = edge_deployment::Entity::find();
    let scope = principal.tenant_scope(Permission::TenantRead);
    let txn = scoped_read(db, &scope).await?;
    let db = &txn;
    if let TenantScope::Only(ids) = &scope {
        query = query.filter(edge_deployment::Column::TenantId.is_in(ids.clone()));
    }
    let deployments = query
        .order_by_asc(edge_deployment::Column::CreatedAt)
        .all(db)
        .await?;
    let (tenants, products) = names(db, &deployments).await?;
    let active: HashMap<Uuid, deployment_switch::Model> = deployment_switch::Entity::find()
        .filter(
            deployment_switch::Column::DeploymentId
                .is_in(deployments.iter().map(|d| d.id).collect::<Vec<_>>()),
        )
        .filter(deployment_switch::Column::Status.is_in(active_statuses()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.deployment_id, s))
        .collect();
    let mut rows: Vec<DeploymentRow> = deployments
        .iter()
        .map(|d| row(d, &tenants, &products, active.get(&d.id)))
        .collect();
    rows.sort_by(|a, b| (&a.tenant_slug, &a.product_key).cmp(&(&b.tenant_slug, &b.product_key)));
    txn.commit().await?;
    Ok(rows)
}

/// What a new deployment can be made of: edge tenants (slug, name) and
/// products (key, name). The vendor's (platform `tenant.manage`).
pub async fn create_options(ctx: &Ctx) -> ServiceResult<DeploymentChoices> {
    let db = &ctx.reads;
    ctx.principal.require(Permission::TenantManage)?;
    let tenants = tenant::Entity::find()
        .filter(tenant::Column::DeploymentKind.eq("edge"))
        .order_by_asc(tenant::Column::Slug)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.slug, t.display_name))
        .collect();
    let products = product::Entity::find()
        .order_by_asc(product::Column::Key)
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.key, p.name))
        .collect();
    Ok(DeploymentChoices { tenants, products })
}

/// One deployment's control panel.
pub async fn detail(ctx: &Ctx, id: Uuid) -> ServiceResult<DeploymentDetail> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let txn = scoped_read(db, &principal.tenant_scope(Permission::TenantRead)).await?;
    let db = &txn;
    let d = find_visible(db, principal, id).await?;
    let switches = deployment_switch::Entity::find()
        .filter(deployment_switch::Column::DeploymentId.eq(id))
        .order_by_desc(deployment_switch::Column::CreatedAt)
        .limit(21)
        .all(db)
        .await?;
    let latest = switches.first().cloned();
    let active = latest.as_ref().filter(|s| s.status.is_active());
    let (tenants, products) = names(db, std::slice::from_ref(&d)).await?;
    let can_operate = principal.can(Permission::UpdateExecute, Scope::Tenant(d.tenant_id));
    let actions = match (&latest, can_operate) {
        (Some(s), true) => {
            let steps = s.steps.len();
            bluegreen::offered_actions(s.status, s.step_index, steps)
                .into_iter()
                .map(String::from)
                .collect()
        }
        _ => Vec::new(),
    };
    let samples = match &latest {
        Some(s) => {
            let mut recent = traffic_sample::Entity::find()
                .filter(traffic_sample::Column::SwitchId.eq(s.id))
                .order_by_desc(traffic_sample::Column::At)
                .limit(240)
                .all(db)
                .await?;
            recent.reverse();
            recent
                .into_iter()
                .map(|t| SampleRow {
                    at: t.at,
                    slot: t.slot,
                    weight: t.weight,
                    requests: t.requests,
                    errors: t.errors,
                    error_rate: if t.requests == 0 {
                        0.0
                    } else {
                        t.errors as f64 * 100.0 / t.requests as f64
                    },
                    latency_ms: t.latency_ms,
                })
                .collect()
        }
        None => Vec::new(),
    };
    let events = switch_event::Entity::find()
        .filter(switch_event::Column::DeploymentId.eq(id))
        .order_by_desc(switch_event::Column::At)
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(|e| EventRow {
            at: e.at,
            kind: e.kind,
            message: e.message,
            actor: e.actor,
        })
        .collect();
    let health_runs = recent_health_runs(db, id, 12).await?;
    let versions = release::Entity::find()
        .filter(release::Column::ProductId.eq(d.product_id))
        .order_by_desc(release::Column::SortKey)
        .limit(50)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.version)
        .collect();
    let simulation = (d.router_kind == RouterKind::Simulator).then(|| simulation_of(&d));
    let baseline = baseline_checks(db, d.product_id).await?;
    txn.commit().await?;
    Ok(DeploymentDetail {
        deployment: row(&d, &tenants, &products, active),
        switch: latest.as_ref().map(summary),
        actions,
        samples,
        events,
        health_runs,
        history: switches.iter().skip(1).map(summary).collect(),
        steps: d.steps.as_str(),
        bake_seconds: d.bake_seconds,
        interval_seconds: d.interval_seconds,
        thresholds: d.thresholds.0.clone(),
        baseline,
        simulation,
        versions,
    })
}

pub(super) async fn recent_health_runs<C: ConnectionTrait>(
    conn: &C,
    deployment_id: Uuid,
    limit: u64,
) -> ServiceResult<Vec<HealthRunRow>> {
    Ok(health_run::Entity::find()
        .filter(health_run::Column::DeploymentId.eq(deployment_id))
        .order_by_desc(health_run::Column::At)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| HealthRunRow {
            at: r.at,
            slot: r.slot,
            passed: r.passed,
            results: r.results.0,
        })
        .collect())
}

/// The health-check runs of a deployment, newest first (REST).
pub async fn health_runs(ctx: &Ctx, id: Uuid) -> ServiceResult<Vec<HealthRunRow>> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let d = find_visible(db, principal, id).await?;
    recent_health_runs(db, d.id, 200).await
}
