//! Creating a deployment and changing its switch settings and simulation.

use super::*;
use crate::backend::context::Ctx;
use crate::backend::error::Parsed;

// ------------------------------------------------------------------ creating

pub(super) fn or_default<'a>(value: &'a str, default: &'a str) -> &'a str {
    match value.trim() {
        "" => default,
        trimmed => trimmed,
    }
}

/// Puts a tenant's product on blue-green: blue runs `version` and is live.
pub async fn create(ctx: &Ctx, new: Parsed<NewDeployment>) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    // The router, its socket, names and slot URLs are the vendor's
    // infrastructure: a tenant's own admins see and switch deployments but
    // never point the server at a socket or an address.
    principal.require(Permission::TenantManage)?;
    let new = &new?;
    let (tenant_id, _) = resolve_tenant_id(ctx, &new.tenant).await?;
    crate::backend::services::plans::limits::require_feature(
        db,
        tenant_id,
        crate::domain::plans::plan::FeatureFlag::BlueGreen,
    )
    .await?;
    let tenant = Some(tenant_id);
    let mut errors = FieldErrors::default();
    let product = find_product(db, &new.product).await?;
    if product.is_none() {
        errors.push("product", "Choose a product from the catalog.");
    }
    let version = new.version.to_string();
    if let Some(p) = &product {
        let known = release::Entity::find()
            .filter(release::Column::ProductId.eq(p.id))
            .filter(release::Column::Version.eq(version.as_str()))
            .one(db)
            .await?;
        if known.is_none() {
            errors.push(
                "version",
                format!("{} has no release {version:?} in the catalog.", p.name),
            );
        }
    }
    let router = new.router;
    let socket = new.router_socket.as_str();
    let (blue_url, green_url) = (new.blue_url.as_str(), new.green_url.as_str());
    let (Some(tenant_id), Some(product), true) = (tenant, product, errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let now = ctx.now();
    let id = Uuid::new_v4();
    let txn = db.begin().await?;
    edge_deployment::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        product_id: Set(product.id),
        live_slot: Set(Slot::Blue),
        blue_version: Set(Some(version.clone())),
        green_version: Set(None),
        blue_state: Set(SlotState::Live),
        green_state: Set(SlotState::Idle),
        blue_health: Set(SlotHealth::Unknown),
        green_health: Set(SlotHealth::Unknown),
        blue_weight: Set(100),
        green_weight: Set(0),
        router_kind: Set(router),
        router_address: Set(socket.into()),
        router_backend: Set(new.router_backend.as_str().into()),
        blue_server: Set(new.blue_server.as_str().into()),
        green_server: Set(new.green_server.as_str().into()),
        blue_url: Set(blue_url.into()),
        green_url: Set(green_url.into()),
        steps: Set(bluegreen::TrafficSteps::default_steps()),
        bake_seconds: Set(DEFAULT_BAKE_SECONDS),
        interval_seconds: Set(DEFAULT_INTERVAL_SECONDS),
        thresholds: Set(JsonText(Thresholds::default())),
        simulation: Set(JsonText(Simulation::default())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        ServiceError::on_unique_violation(
            e,
            "product",
            "This tenant already has a blue-green deployment of this product.",
        )
    })?;
    // The live slot's release is what the tenant runs of the product (its
    // compliance, its upgrades: which now go through this deployment).
    crate::backend::services::changes::record_running_version(
        &txn,
        tenant_id,
        product.id,
        &version,
        &Actor::from(principal),
        now,
    )
    .await?;
    event(
        &txn,
        id,
        None,
        tenant_id,
        SwitchEventKind::Note,
        format!("Deployment created: {version} live on blue."),
        &principal.email,
        ctx.now(),
    )
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "deployment.create",
            "edge_deployment",
        )
        .target(id)
        .tenant(tenant_id)
        .details(json!({ "product": product.key, "version": version, "router": router.as_str() })),
    )
    .await?;
    txn.commit().await?;
    crate::backend::services::changes::reassess_tenant(db, tenant_id, now).await;
    Ok(id)
}

pub(super) fn parse_number<T: std::str::FromStr>(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
    message: &str,
) -> Option<T> {
    match raw.trim().parse() {
        Ok(value) => Some(value),
        Err(_) => {
            errors.push(field, message);
            None
        }
    }
}

/// The deployment's switch settings: steps, bake time, interval, thresholds.
pub async fn save_settings(
    ctx: &Ctx,
    id: Uuid,
    settings: Parsed<SwitchSettings>,
) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::TenantManage)?;
    let d = find_visible(db, principal, id).await?;
    principal.require_on_tenant(Permission::TenantManage, d.tenant_id)?;
    let settings = &settings?;
    let thresholds = &settings.thresholds;
    let txn = db.begin().await?;
    let mut active: edge_deployment::ActiveModel = d.clone().into();
    active.steps = Set(settings.steps.clone());
    active.bake_seconds = Set(settings.bake_seconds);
    active.interval_seconds = Set(settings.interval_seconds);
    active.thresholds = Set(JsonText(thresholds.clone()));
    active.updated_at = Set(ctx.now());
    active.update(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "deployment.settings",
            "edge_deployment",
        )
        .target(id)
        .tenant(d.tenant_id)
        .details(json!({ "steps": settings.steps.as_str(), "thresholds": thresholds })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The simulator's injected faults (demos: make green fail on purpose).
pub async fn save_simulation(
    ctx: &Ctx,
    id: Uuid,
    simulation: Parsed<Simulation>,
) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::TenantManage)?;
    let d = find_visible(db, principal, id).await?;
    principal.require_on_tenant(Permission::TenantManage, d.tenant_id)?;
    let simulation = &simulation?;
    let mut errors = FieldErrors::default();
    if d.router_kind != RouterKind::Simulator {
        errors.push(
            "simulation",
            "Only simulated deployments take injected faults.",
        );
    }
    if !(0.0..=100_000.0).contains(&simulation.requests_per_second) {
        errors.push(
            "requests_per_second",
            "Give 0 to 100000 requests per second.",
        );
    }
    for (slot, faults) in [("blue", &simulation.blue), ("green", &simulation.green)] {
        if !(0.0..=100.0).contains(&faults.error_rate) {
            errors.push(
                &format!("{slot}.error_rate"),
                "Give a percentage from 0 to 100.",
            );
        }
        if !(0.0..=60_000.0).contains(&faults.latency_ms) {
            errors.push(&format!("{slot}.latency_ms"), "Give 0 to 60000 ms.");
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let txn = db.begin().await?;
    let mut active: edge_deployment::ActiveModel = d.clone().into();
    active.simulation = Set(JsonText(simulation.clone()));
    active.updated_at = Set(ctx.now());
    active.update(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "deployment.simulation",
            "edge_deployment",
        )
        .target(id)
        .tenant(d.tenant_id)
        .details(json!(simulation)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
