//! Creating a deployment and changing its switch settings and simulation.

use super::*;
use crate::backend::context::Ctx;

// ------------------------------------------------------------------ creating

pub(super) fn or_default<'a>(value: &'a str, default: &'a str) -> &'a str {
    match value.trim() {
        "" => default,
        trimmed => trimmed,
    }
}

/// Puts a tenant's product on blue-green: blue runs `version` and is live.
pub async fn create(ctx: &Ctx, form: &DeploymentForm) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    // The router, its socket, names and slot URLs are the vendor's
    // infrastructure: a tenant's own admins see and switch deployments but
    // never point the server at a socket or an address.
    principal.require(Permission::TenantManage)?;
    let (tenant_id, _) = resolve_tenant_id(ctx, form.tenant.trim()).await?;
    let tenant = Some(tenant_id);
    let mut errors = FieldErrors::default();
    let product = find_product(db, form.product.trim()).await?;
    if product.is_none() {
        errors.push("product", "Choose a product from the catalog.");
    }
    let version = form.version.trim();
    if let Some(p) = &product {
        let known = release::Entity::find()
            .filter(release::Column::ProductId.eq(p.id))
            .filter(release::Column::Version.eq(version))
            .one(db)
            .await?;
        if known.is_none() {
            errors.push(
                "version",
                format!("{} has no release {version:?} in the catalog.", p.name),
            );
        }
    }
    let router = or_default(&form.router, traffic::SIMULATOR);
    let socket = form.router_socket.trim();
    match router {
        traffic::SIMULATOR => {}
        traffic::HAPROXY => {
            if let Err(problem) =
                socket_path_within(socket, &outbound::settings().haproxy_socket_dir)
            {
                errors.push("router_socket", problem);
            }
        }
        _ => errors.push("router", "Choose simulator or haproxy."),
    }
    let router_backend = or_default(&form.router_backend, "app");
    let blue_server = or_default(&form.blue_server, "blue");
    let green_server = or_default(&form.green_server, "green");
    for (field, name) in [
        ("router_backend", router_backend),
        ("blue_server", blue_server),
        ("green_server", green_server),
    ] {
        if let Err(problem) = HaproxyName::parse(name) {
            errors.push(field, problem);
        }
    }
    let default_url = if router == traffic::SIMULATOR {
        "sim://"
    } else {
        ""
    };
    let blue_url = or_default(&form.blue_url, default_url);
    let green_url = or_default(&form.green_url, default_url);
    let http = outbound::http();
    for (field, url) in [("blue_url", blue_url), ("green_url", green_url)] {
        if router == traffic::SIMULATOR && url == "sim://" {
            continue;
        }
        if let Err(problem) = http.check(url) {
            errors.push(
                field,
                format!("{problem} Give the slot's base URL (http:// or https://) for its health checks."),
            );
        }
    }
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
        blue_version: Set(Some(version.into())),
        green_version: Set(None),
        blue_state: Set(LIVE.into()),
        green_state: Set(IDLE.into()),
        blue_health: Set("unknown".into()),
        green_health: Set("unknown".into()),
        blue_weight: Set(100),
        green_weight: Set(0),
        router_kind: Set(router.into()),
        router_address: Set(socket.into()),
        router_backend: Set(router_backend.into()),
        blue_server: Set(blue_server.into()),
        green_server: Set(green_server.into()),
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
    event(
        &txn,
        id,
        None,
        tenant_id,
        "note",
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
        .details(json!({ "product": product.key, "version": version, "router": router })),
    )
    .await?;
    txn.commit().await?;
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
pub async fn save_settings(ctx: &Ctx, id: Uuid, form: &SwitchSettingsForm) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::TenantManage)?;
    let d = find_visible(db, principal, id).await?;
    principal.require_on_tenant(Permission::TenantManage, d.tenant_id)?;
    let mut errors = FieldErrors::default();
    if let Err(problem) = parse_steps(&form.steps) {
        errors.push("steps", problem);
    }
    let bake: Option<i32> = parse_number(
        &mut errors,
        "bake_seconds",
        &form.bake_seconds,
        "Give the bake time per step in whole seconds.",
    );
    let interval: Option<i32> = parse_number(
        &mut errors,
        "interval_seconds",
        &form.interval_seconds,
        "Give the monitoring interval in whole seconds.",
    );
    // Each bound is judged only once its number could be read.
    let timing = bluegreen::timing_problems(bake.unwrap_or(0), interval.unwrap_or(1));
    for (field, message) in timing {
        errors.push(field, message);
    }
    let number_message = "Give a number.";
    let thresholds = Thresholds {
        max_error_rate: parse_number(
            &mut errors,
            "max_error_rate",
            &form.max_error_rate,
            number_message,
        )
        .unwrap_or(0.0),
        max_latency_ms: parse_number(
            &mut errors,
            "max_latency_ms",
            &form.max_latency_ms,
            number_message,
        )
        .unwrap_or(1.0),
        max_error_rate_over_live: parse_number(
            &mut errors,
            "max_error_rate_over_live",
            &form.max_error_rate_over_live,
            number_message,
        )
        .unwrap_or(0.0),
        max_latency_ratio_to_live: parse_number(
            &mut errors,
            "max_latency_ratio_to_live",
            &form.max_latency_ratio_to_live,
            number_message,
        )
        .unwrap_or(1.0),
        min_requests: parse_number(
            &mut errors,
            "min_requests",
            &form.min_requests,
            "Give a whole number of requests.",
        )
        .unwrap_or(1),
        max_consecutive_failures: parse_number(
            &mut errors,
            "max_consecutive_failures",
            &form.max_consecutive_failures,
            "Give a whole number.",
        )
        .unwrap_or(1),
    };
    for (field, message) in thresholds.problems() {
        if errors.for_field(field).is_none() {
            errors.push(field, message);
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let steps = bluegreen::TrafficSteps::parse(&form.steps).map_err(|problem| {
        let mut errors = FieldErrors::default();
        errors.push("steps", problem);
        ServiceError::Validation(errors)
    })?;
    let txn = db.begin().await?;
    let mut active: edge_deployment::ActiveModel = d.clone().into();
    active.steps = Set(steps);
    active.bake_seconds = Set(bake.unwrap_or(DEFAULT_BAKE_SECONDS));
    active.interval_seconds = Set(interval.unwrap_or(DEFAULT_INTERVAL_SECONDS));
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
        .details(json!({ "steps": form.steps, "thresholds": thresholds })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The demo form: its numbers read (range checks are `save_simulation`'s).
pub async fn save_simulation_form(ctx: &Ctx, id: Uuid, form: &SimulationForm) -> ServiceResult<()> {
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantManage)?;
    let simulation = parse_simulation(form)?;
    save_simulation(ctx, id, &simulation).await
}

pub(super) fn parse_simulation(form: &SimulationForm) -> ServiceResult<Simulation> {
    let mut errors = FieldErrors::default();
    let message = "Give a number.";
    let simulation = Simulation {
        requests_per_second: parse_number(
            &mut errors,
            "requests_per_second",
            &form.requests_per_second,
            message,
        )
        .unwrap_or(0.0),
        blue: SlotSimulation {
            error_rate: parse_number(
                &mut errors,
                "blue.error_rate",
                &form.blue_error_rate,
                message,
            )
            .unwrap_or(0.0),
            latency_ms: parse_number(
                &mut errors,
                "blue.latency_ms",
                &form.blue_latency_ms,
                message,
            )
            .unwrap_or(0.0),
        },
        green: SlotSimulation {
            error_rate: parse_number(
                &mut errors,
                "green.error_rate",
                &form.green_error_rate,
                message,
            )
            .unwrap_or(0.0),
            latency_ms: parse_number(
                &mut errors,
                "green.latency_ms",
                &form.green_latency_ms,
                message,
            )
            .unwrap_or(0.0),
        },
    };
    if errors.is_empty() {
        Ok(simulation)
    } else {
        Err(ServiceError::Validation(errors))
    }
}

/// The simulator's injected faults (demos: make green fail on purpose).
pub async fn save_simulation(ctx: &Ctx, id: Uuid, simulation: &Simulation) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::TenantManage)?;
    let d = find_visible(db, principal, id).await?;
    principal.require_on_tenant(Permission::TenantManage, d.tenant_id)?;
    let mut errors = FieldErrors::default();
    if d.router_kind != traffic::SIMULATOR {
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
