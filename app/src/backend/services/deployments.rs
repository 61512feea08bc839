//! Blue-green edge deployments and their switches.
//!
//! A switch is one durable job (`bluegreen.switch`) that walks the phases:
//! prepare the idle slot (executor), validate it against the product's health
//! baseline, then shift traffic step by step, each step baked and monitored
//! interval by interval, and complete or roll back. Every phase change is a
//! guarded update under the switch's row lock (PostgreSQL) or the single
//! writer (SQLite), and the router is set inside that same transaction, so a
//! person's rollback and the workflow never interleave their weights. After a
//! crash the job is reclaimed and continues from the step the row records;
//! it re-applies that step's weights (the same weights: traffic never moves
//! back and forth) and judges at least one fresh interval before advancing.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::api::deployments::{
    BaselineView, DeploymentDetail, DeploymentForm, DeploymentRow, EventRow, Fleet, HealthRunRow,
    SampleRow, Simulation, SimulationForm, SlotSimulation, SlotView, SwitchForm,
    SwitchSettingsForm, SwitchSummary,
};
use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::db::scoped_read;
use crate::backend::entities::{
    deployment_switch, edge_deployment, health_baseline, health_run, product, release,
    switch_event, tenant, traffic_sample,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::executor::{Executor, StepOrder};
use crate::backend::jobs::{self, ClaimedJob, JobSpec};
use crate::backend::outbound;
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::changes::find_product;
use crate::backend::services::tenants::resolve_tenant_id;
use crate::backend::traffic::{self, Readings, RouterTarget};
use crate::domain::bluegreen::{
    self, NextStep, Slot, SwitchStatus, Thresholds, Verdict, after_step, analyze, interval_between,
    parse_steps, switch_move,
};
use crate::domain::health::{self, CheckResult, HealthCheck};
use crate::domain::network::{HaproxyName, socket_path_within};
use crate::domain::permission::{Permission, Scope, TenantScope};
use crate::domain::validation::FieldErrors;

pub const SWITCH_JOB: &str = "bluegreen.switch";

/// Slot states.
pub const LIVE: &str = "live";
pub const STANDBY: &str = "standby";
pub const IDLE: &str = "idle";
pub const PREPARING: &str = "preparing";
pub const VALIDATING: &str = "validating";
pub const TAKING_TRAFFIC: &str = "taking_traffic";
pub const FAILED: &str = "failed";

const DEFAULT_BAKE_SECONDS: i32 = 60;
const DEFAULT_INTERVAL_SECONDS: i32 = 10;

#[derive(Serialize, Deserialize)]
struct SwitchJob {
    switch_id: Uuid,
    generation: i32,
}

// ------------------------------------------------------------------ reading

async fn find_visible<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    id: Uuid,
) -> ServiceResult<edge_deployment::Model> {
    principal.require_somewhere(Permission::TenantRead)?;
    let found = edge_deployment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !principal.can(Permission::TenantRead, Scope::Tenant(found.tenant_id)) {
        return Err(ServiceError::NotFound);
    }
    Ok(found)
}

fn slot_of(raw: &str) -> Slot {
    Slot::parse(raw).unwrap_or(Slot::Blue)
}

fn slot_view(d: &edge_deployment::Model, slot: Slot) -> SlotView {
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
        slot: slot.as_str().into(),
        version: version.clone(),
        state: state.clone(),
        health: health.clone(),
        weight,
    }
}

fn version_of(d: &edge_deployment::Model, slot: Slot) -> Option<String> {
    match slot {
        Slot::Blue => d.blue_version.clone(),
        Slot::Green => d.green_version.clone(),
    }
}

fn summary(s: &deployment_switch::Model) -> SwitchSummary {
    let status = SwitchStatus::parse(&s.status);
    SwitchSummary {
        id: s.id,
        status: s.status.clone(),
        status_label: status.map(SwitchStatus::label).unwrap_or("Unknown").into(),
        from_slot: s.from_slot.clone(),
        to_slot: s.to_slot.clone(),
        from_version: s.from_version.clone(),
        to_version: s.to_version.clone(),
        steps: parse_steps(&s.steps).unwrap_or_default(),
        step_index: s.step_index,
        reason: s.reason.clone(),
        requester: s.requester_label.clone(),
        created_at: s.created_at,
        finished_at: s.finished_at,
    }
}

fn row(
    d: &edge_deployment::Model,
    tenants: &HashMap<Uuid, tenant::Model>,
    products: &HashMap<Uuid, product::Model>,
    active: Option<&deployment_switch::Model>,
) -> DeploymentRow {
    let live = slot_of(&d.live_slot);
    let tenant = tenants.get(&d.tenant_id);
    let product = products.get(&d.product_id);
    DeploymentRow {
        id: d.id,
        tenant_id: d.tenant_id,
        tenant_slug: tenant.map(|t| t.slug.clone()).unwrap_or_default(),
        tenant_name: tenant.map(|t| t.display_name.clone()).unwrap_or_default(),
        product_key: product.map(|p| p.key.clone()).unwrap_or_default(),
        product_name: product.map(|p| p.name.clone()).unwrap_or_default(),
        live_slot: d.live_slot.clone(),
        live_version: version_of(d, live),
        blue: slot_view(d, Slot::Blue),
        green: slot_view(d, Slot::Green),
        router: d.router_kind.clone(),
        active_switch: active.map(summary),
    }
}

async fn names<C: ConnectionTrait>(
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

fn active_statuses() -> Vec<&'static str> {
    SwitchStatus::ACTIVE.iter().map(|s| s.as_str()).collect()
}

/// Every edge deployment the principal may read, with the switches in progress.
pub async fn fleet(db: &DatabaseConnection, principal: &Principal) -> ServiceResult<Fleet> {
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
    let can_create = principal.can(Permission::TenantManage, Scope::Platform);
    let (tenant_choices, product_choices) = if can_create {
        let edge_tenants = tenant::Entity::find()
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
        (edge_tenants, products)
    } else {
        (Vec::new(), Vec::new())
    };
    txn.commit().await?;
    Ok(Fleet {
        rows,
        can_create,
        tenants: tenant_choices,
        products: product_choices,
    })
}

/// One deployment's control panel.
pub async fn detail(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
) -> ServiceResult<DeploymentDetail> {
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
    let active = latest
        .as_ref()
        .filter(|s| SwitchStatus::parse(&s.status).is_some_and(SwitchStatus::is_active));
    let (tenants, products) = names(db, std::slice::from_ref(&d)).await?;
    let can_operate = principal.can(Permission::UpdateExecute, Scope::Tenant(d.tenant_id));
    let can_configure = principal.can(Permission::TenantManage, Scope::Tenant(d.tenant_id));
    let actions = match (&latest, can_operate) {
        (Some(s), true) => SwitchStatus::parse(&s.status)
            .map(|status| {
                let steps = parse_steps(&s.steps).map_or(1, |steps| steps.len());
                bluegreen::offered_actions(status, s.step_index, steps)
            })
            .unwrap_or_default()
            .into_iter()
            .map(String::from)
            .collect(),
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
    let simulation = (d.router_kind == traffic::SIMULATOR).then(|| simulation_of(&d));
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
        steps: d.steps.clone(),
        bake_seconds: d.bake_seconds,
        interval_seconds: d.interval_seconds,
        thresholds: serde_json::from_str(&d.thresholds).unwrap_or_default(),
        baseline,
        can_edit_baseline: principal.can(Permission::ReleaseManage, Scope::Platform),
        simulation,
        versions,
        can_operate,
        can_configure,
    })
}

async fn recent_health_runs<C: ConnectionTrait>(
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
            results: serde_json::from_str(&r.results).unwrap_or_default(),
        })
        .collect())
}

/// The health-check runs of a deployment, newest first (REST).
pub async fn health_runs(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
) -> ServiceResult<Vec<HealthRunRow>> {
    let d = find_visible(db, principal, id).await?;
    recent_health_runs(db, d.id, 200).await
}

fn simulation_of(d: &edge_deployment::Model) -> Simulation {
    serde_json::from_str(&d.simulation).unwrap_or_default()
}

fn router_target(d: &edge_deployment::Model) -> RouterTarget {
    RouterTarget {
        deployment_id: d.id,
        address: d.router_address.clone(),
        backend: d.router_backend.clone(),
        blue_server: d.blue_server.clone(),
        green_server: d.green_server.clone(),
        simulation: simulation_of(d),
    }
}

// ------------------------------------------------------------------ baselines

async fn baseline_checks<C: ConnectionTrait>(
    conn: &C,
    product_id: Uuid,
) -> ServiceResult<Vec<HealthCheck>> {
    Ok(health_baseline::Entity::find()
        .filter(health_baseline::Column::ProductId.eq(product_id))
        .one(conn)
        .await?
        .and_then(|b| serde_json::from_str(&b.checks).ok())
        .unwrap_or_else(health::default_checks))
}

/// Every product's health baseline (the default where none is defined).
pub async fn baselines(
    db: &DatabaseConnection,
    principal: &Principal,
) -> ServiceResult<Vec<BaselineView>> {
    principal.require_somewhere(Permission::TenantRead)?;
    let defined: HashMap<Uuid, health_baseline::Model> = health_baseline::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.product_id, b))
        .collect();
    Ok(product::Entity::find()
        .order_by_asc(product::Column::Key)
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            let own = defined.get(&p.id);
            BaselineView {
                product_key: p.key,
                product_name: p.name,
                checks: own
                    .and_then(|b| serde_json::from_str(&b.checks).ok())
                    .unwrap_or_else(health::default_checks),
                defined: own.is_some(),
                updated_by: own.map(|b| b.updated_by.clone()),
                updated_at: own.map(|b| b.updated_at),
            }
        })
        .collect())
}

/// Replaces a product's health baseline from its lines (the control panel's form).
pub async fn save_baseline_lines(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    product_reference: &str,
    lines: &str,
) -> ServiceResult<BaselineView> {
    principal.require(Permission::ReleaseManage)?;
    let checks = health::parse_check_lines(lines).map_err(|problem| {
        let mut errors = FieldErrors::default();
        errors.push("checks", problem);
        ServiceError::Validation(errors)
    })?;
    save_baseline(db, principal, context, product_reference, &checks).await
}

/// Replaces a product's health baseline.
pub async fn save_baseline(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    product_reference: &str,
    checks: &[HealthCheck],
) -> ServiceResult<BaselineView> {
    principal.require(Permission::ReleaseManage)?;
    let product = find_product(db, product_reference)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut errors = FieldErrors::default();
    for (field, message) in health::check_problems(checks) {
        errors.push(&field, message);
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let txn = db.begin().await?;
    let now = Utc::now();
    let encoded = serde_json::to_string(checks).map_err(ServiceError::internal)?;
    let existing = health_baseline::Entity::find()
        .filter(health_baseline::Column::ProductId.eq(product.id))
        .one(&txn)
        .await?;
    match existing {
        Some(found) => {
            let mut active: health_baseline::ActiveModel = found.into();
            active.checks = Set(encoded);
            active.updated_by = Set(principal.email.clone());
            active.updated_at = Set(now);
            active.update(&txn).await?;
        }
        None => {
            health_baseline::ActiveModel {
                id: Set(Uuid::new_v4()),
                product_id: Set(product.id),
                checks: Set(encoded),
                updated_by: Set(principal.email.clone()),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "health_baseline.save", "product")
            .target(product.id)
            .details(json!({ "checks": checks.len() })),
    )
    .await?;
    txn.commit().await?;
    Ok(BaselineView {
        product_key: product.key,
        product_name: product.name,
        checks: checks.to_vec(),
        defined: true,
        updated_by: Some(principal.email.clone()),
        updated_at: Some(now),
    })
}

// ------------------------------------------------------------------ creating

fn or_default<'a>(value: &'a str, default: &'a str) -> &'a str {
    match value.trim() {
        "" => default,
        trimmed => trimmed,
    }
}

/// Puts a tenant's product on blue-green: blue runs `version` and is live.
pub async fn create(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    form: &DeploymentForm,
) -> ServiceResult<Uuid> {
    // The router, its socket, names and slot URLs are the vendor's
    // infrastructure: a tenant's own admins see and switch deployments but
    // never point the server at a socket or an address.
    principal.require(Permission::TenantManage)?;
    let (tenant_id, _) = resolve_tenant_id(db, principal, form.tenant.trim()).await?;
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
    let now = Utc::now();
    let id = Uuid::new_v4();
    let txn = db.begin().await?;
    edge_deployment::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        product_id: Set(product.id),
        live_slot: Set(Slot::Blue.as_str().into()),
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
        steps: Set(bluegreen::DEFAULT_STEPS.into()),
        bake_seconds: Set(DEFAULT_BAKE_SECONDS),
        interval_seconds: Set(DEFAULT_INTERVAL_SECONDS),
        thresholds: Set(
            serde_json::to_string(&Thresholds::default()).map_err(ServiceError::internal)?
        ),
        simulation: Set(
            serde_json::to_string(&Simulation::default()).map_err(ServiceError::internal)?
        ),
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

fn parse_number<T: std::str::FromStr>(
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
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
    form: &SwitchSettingsForm,
) -> ServiceResult<()> {
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
    let steps = parse_steps(&form.steps).unwrap_or_default();
    let txn = db.begin().await?;
    let mut active: edge_deployment::ActiveModel = d.clone().into();
    active.steps = Set(bluegreen::format_steps(&steps));
    active.bake_seconds = Set(bake.unwrap_or(DEFAULT_BAKE_SECONDS));
    active.interval_seconds = Set(interval.unwrap_or(DEFAULT_INTERVAL_SECONDS));
    active.thresholds = Set(serde_json::to_string(&thresholds).map_err(ServiceError::internal)?);
    active.updated_at = Set(Utc::now());
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
pub async fn save_simulation_form(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
    form: &SimulationForm,
) -> ServiceResult<()> {
    principal.require_somewhere(Permission::TenantManage)?;
    let simulation = parse_simulation(form)?;
    save_simulation(db, principal, context, id, &simulation).await
}

fn parse_simulation(form: &SimulationForm) -> ServiceResult<Simulation> {
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
pub async fn save_simulation(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
    simulation: &Simulation,
) -> ServiceResult<()> {
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
    active.simulation = Set(serde_json::to_string(simulation).map_err(ServiceError::internal)?);
    active.updated_at = Set(Utc::now());
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

// ------------------------------------------------------------------ switching

/// Starts moving the deployment to `version` on its idle slot.
pub async fn start_switch(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
    form: &SwitchForm,
) -> ServiceResult<Uuid> {
    principal.require_somewhere(Permission::UpdateExecute)?;
    let d = find_visible(db, principal, id).await?;
    principal.require_on_tenant(Permission::UpdateExecute, d.tenant_id)?;
    let version = form.version.trim();
    let known = release::Entity::find()
        .filter(release::Column::ProductId.eq(d.product_id))
        .filter(release::Column::Version.eq(version))
        .one(db)
        .await?;
    let live = slot_of(&d.live_slot);
    let mut errors = FieldErrors::default();
    if known.is_none() {
        errors.push(
            "version",
            "Choose a release of this product from the catalog.",
        );
    } else if version_of(&d, live).as_deref() == Some(version) {
        errors.push("version", format!("{version} is already live."));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let txn = db.begin().await?;
    let d = lock_deployment(&txn, id).await?;
    let running = deployment_switch::Entity::find()
        .filter(deployment_switch::Column::DeploymentId.eq(id))
        .filter(deployment_switch::Column::Status.is_in(active_statuses()))
        .one(&txn)
        .await?;
    if running.is_some() {
        return Err(ServiceError::Conflict(
            "A switch is already in progress on this deployment; finish, abort or roll it back first."
                .into(),
        ));
    }
    let to = live.other();
    let now = Utc::now();
    let switch_id = Uuid::new_v4();
    deployment_switch::ActiveModel {
        id: Set(switch_id),
        deployment_id: Set(id),
        tenant_id: Set(d.tenant_id),
        from_slot: Set(live.as_str().into()),
        to_slot: Set(to.as_str().into()),
        from_version: Set(version_of(&d, live)),
        to_version: Set(version.into()),
        status: Set(SwitchStatus::Preparing.as_str().into()),
        steps: Set(d.steps.clone()),
        step_index: Set(-1),
        step_started_at: Set(None),
        bake_seconds: Set(d.bake_seconds),
        interval_seconds: Set(d.interval_seconds),
        thresholds: Set(d.thresholds.clone()),
        consecutive_failures: Set(0),
        generation: Set(1),
        reason: Set(None),
        requested_by: Set(Some(principal.user_id)),
        requester_label: Set(principal.email.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(&txn)
    .await?;
    set_slot(&txn, d.id, to, Some(version), PREPARING, Some("unknown")).await?;
    enqueue_run(&txn, switch_id, 1).await?;
    event(
        &txn,
        id,
        Some(switch_id),
        d.tenant_id,
        "switch",
        format!(
            "Switch to {version} started: {} stays live on {}, {} gets the new release.",
            version_of(&d, live).unwrap_or_default(),
            live.label().to_lowercase(),
            to.label().to_lowercase()
        ),
        &principal.email,
    )
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "deployment.switch",
            "edge_deployment",
        )
        .target(id)
        .tenant(d.tenant_id)
        .details(json!({ "switch": switch_id, "version": version, "to_slot": to.as_str() })),
    )
    .await?;
    txn.commit().await?;
    Ok(switch_id)
}

async fn enqueue_run<C: ConnectionTrait>(
    conn: &C,
    switch_id: Uuid,
    generation: i32,
) -> ServiceResult<()> {
    jobs::enqueue(
        conn,
        JobSpec {
            kind: SWITCH_JOB,
            payload: json!(SwitchJob {
                switch_id,
                generation
            }),
            key: format!("switch:{switch_id}:{generation}"),
            run_at: Utc::now(),
            max_attempts: 5,
        },
    )
    .await?;
    Ok(())
}

async fn lock_deployment(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> ServiceResult<edge_deployment::Model> {
    let mut select = edge_deployment::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(txn).await?.ok_or(ServiceError::NotFound)
}

async fn lock_switch(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> ServiceResult<deployment_switch::Model> {
    let mut select = deployment_switch::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(txn).await?.ok_or(ServiceError::NotFound)
}

/// Sets one slot's state, and its version and health when given (`None`
/// keeps them), by id: callers need no fresh copy of the row.
async fn set_slot<C: ConnectionTrait>(
    conn: &C,
    deployment_id: Uuid,
    slot: Slot,
    version: Option<&str>,
    state: &str,
    health: Option<&str>,
) -> ServiceResult<()> {
    use edge_deployment::Column;
    let (version_column, state_column, health_column) = match slot {
        Slot::Blue => (Column::BlueVersion, Column::BlueState, Column::BlueHealth),
        Slot::Green => (
            Column::GreenVersion,
            Column::GreenState,
            Column::GreenHealth,
        ),
    };
    let mut update = edge_deployment::Entity::update_many()
        .col_expr(state_column, state.into())
        .col_expr(Column::UpdatedAt, Utc::now().into());
    if let Some(version) = version {
        update = update.col_expr(version_column, Some(version.to_owned()).into());
    }
    if let Some(health) = health {
        update = update.col_expr(health_column, health.into());
    }
    update
        .filter(Column::Id.eq(deployment_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Sets the router and records the weights, in the caller's transaction.
async fn route<C: ConnectionTrait>(
    conn: &C,
    d: &edge_deployment::Model,
    to: Slot,
    percent: u8,
) -> ServiceResult<()> {
    let (blue, green) = bluegreen::weights(to, percent);
    traffic::router_for(&d.router_kind)
        .set_weights(&router_target(d), blue, green)
        .await
        .map_err(|e| {
            ServiceError::Conflict(format!("The traffic router did not take the weights: {e}"))
        })?;
    edge_deployment::Entity::update_many()
        .col_expr(edge_deployment::Column::BlueWeight, blue.into())
        .col_expr(edge_deployment::Column::GreenWeight, green.into())
        .col_expr(edge_deployment::Column::UpdatedAt, Utc::now().into())
        .filter(edge_deployment::Column::Id.eq(d.id))
        .exec(conn)
        .await?;
    Ok(())
}

async fn event<C: ConnectionTrait>(
    conn: &C,
    deployment_id: Uuid,
    switch_id: Option<Uuid>,
    tenant_id: Uuid,
    kind: &str,
    message: String,
    actor: &str,
) -> ServiceResult<()> {
    switch_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        deployment_id: Set(deployment_id),
        switch_id: Set(switch_id),
        tenant_id: Set(tenant_id),
        at: Set(Utc::now()),
        kind: Set(kind.into()),
        message: Set(message),
        actor: Set(actor.into()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A person's action on the deployment's latest switch: promote, pause,
/// resume, abort or rollback. Rollback and abort move all traffic back to
/// the old slot before they return.
pub async fn act(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
    action: &str,
) -> ServiceResult<()> {
    principal.require_somewhere(Permission::UpdateExecute)?;
    let d = find_visible(db, principal, id).await?;
    principal.require_on_tenant(Permission::UpdateExecute, d.tenant_id)?;
    let latest = deployment_switch::Entity::find()
        .filter(deployment_switch::Column::DeploymentId.eq(id))
        .order_by_desc(deployment_switch::Column::CreatedAt)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Conflict("This deployment has no switch yet.".into()))?;
    let txn = db.begin().await?;
    let d = lock_deployment(&txn, id).await?;
    let s = lock_switch(&txn, latest.id).await?;
    let status = SwitchStatus::parse(&s.status)
        .ok_or_else(|| ServiceError::internal("unknown switch status"))?;
    let next = switch_move(action, status).map_err(|sentence| {
        if bluegreen::SWITCH_ACTIONS.contains(&action) {
            ServiceError::Conflict(sentence)
        } else {
            let mut errors = FieldErrors::default();
            errors.push("action", sentence);
            ServiceError::Validation(errors)
        }
    })?;
    let (from, to) = (slot_of(&s.from_slot), slot_of(&s.to_slot));
    let steps = parse_steps(&s.steps).unwrap_or_else(|_| vec![100]);
    let now = Utc::now();
    let mut update = deployment_switch::Entity::update_many()
        .col_expr(deployment_switch::Column::UpdatedAt, now.into());
    let message;
    match action {
        "pause" => {
            update = update.col_expr(deployment_switch::Column::Status, next.as_str().into());
            message = "Paused: traffic stays where it is.".to_string();
        }
        "resume" => {
            // Paused before traffic moved: prepare and validate again (both
            // are idempotent), so nothing is skipped.
            let resumed = if s.step_index >= 0 {
                SwitchStatus::Shifting
            } else {
                SwitchStatus::Preparing
            };
            update = update
                .col_expr(deployment_switch::Column::Status, resumed.as_str().into())
                .col_expr(
                    deployment_switch::Column::Generation,
                    (s.generation + 1).into(),
                );
            enqueue_run(&txn, s.id, s.generation + 1).await?;
            message = "Resumed.".to_string();
        }
        "promote" => {
            let last = steps.len() as i32 - 1;
            route(&txn, &d, to, 100).await?;
            update = update
                .col_expr(deployment_switch::Column::Status, next.as_str().into())
                .col_expr(deployment_switch::Column::StepIndex, last.into())
                // The workflow starts the last step's bake (and says so).
                .col_expr(
                    deployment_switch::Column::StepStartedAt,
                    Option::<DateTime<Utc>>::None.into(),
                );
            if status == SwitchStatus::Paused {
                update = update.col_expr(
                    deployment_switch::Column::Generation,
                    (s.generation + 1).into(),
                );
                enqueue_run(&txn, s.id, s.generation + 1).await?;
            }
            message = format!(
                "Promoted: all traffic on {}; the last step bakes before the switch completes.",
                to.label().to_lowercase()
            );
        }
        _ => {
            // abort or rollback: all traffic back on the old slot now.
            route(&txn, &d, from, 100).await?;
            if status == SwitchStatus::Completed {
                edge_deployment::Entity::update_many()
                    .col_expr(edge_deployment::Column::LiveSlot, from.as_str().into())
                    .filter(edge_deployment::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
            }
            set_slot(&txn, id, from, None, LIVE, None).await?;
            set_slot(&txn, id, to, None, IDLE, None).await?;
            let reason = format!(
                "{} by {}: all traffic back on {} ({}).",
                if action == "abort" {
                    "Aborted"
                } else {
                    "Rolled back"
                },
                principal.email,
                from.label().to_lowercase(),
                s.from_version.clone().unwrap_or_default()
            );
            update = update
                .col_expr(deployment_switch::Column::Status, next.as_str().into())
                .col_expr(
                    deployment_switch::Column::Reason,
                    Some(reason.clone()).into(),
                )
                .col_expr(deployment_switch::Column::FinishedAt, Some(now).into());
            message = reason;
        }
    }
    update
        .filter(deployment_switch::Column::Id.eq(s.id))
        .exec(&txn)
        .await?;
    event(
        &txn,
        id,
        Some(s.id),
        d.tenant_id,
        "action",
        message,
        &principal.email,
    )
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            action_audit(action),
            "edge_deployment",
        )
        .target(id)
        .tenant(d.tenant_id)
        .details(json!({ "switch": s.id, "before": s.status, "step": s.step_index })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn action_audit(action: &str) -> &'static str {
    match action {
        "promote" => "deployment.promote",
        "pause" => "deployment.pause",
        "resume" => "deployment.resume",
        "abort" => "deployment.abort",
        _ => "deployment.rollback",
    }
}

// ------------------------------------------------------------------ the workflow

/// What this run of the workflow knows that the database does not: the last
/// router reading, and whether the current step was judged healthy since the
/// run started (a restarted run judges afresh before advancing).
#[derive(Default)]
struct Monitor {
    applied_step: Option<i32>,
    last: Option<Readings>,
    judged_healthy: bool,
    noted_waiting: bool,
}

/// Runs a switch's workflow until it pauses, completes or ends.
pub async fn run_switch(
    db: &DatabaseConnection,
    executor: &dyn Executor,
    job: &ClaimedJob,
) -> Result<(), String> {
    let order: SwitchJob =
        serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad payload: {e}"))?;
    let mut monitor = Monitor::default();
    loop {
        let s = deployment_switch::Entity::find_by_id(order.switch_id)
            .one(db)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the switch is gone")?;
        if s.generation != order.generation {
            return Ok(()); // a resume started a newer run
        }
        let d = edge_deployment::Entity::find_by_id(s.deployment_id)
            .one(db)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the deployment is gone")?;
        let outcome = match SwitchStatus::parse(&s.status) {
            Some(SwitchStatus::Preparing) => prepare(db, executor, job, &s, &d).await,
            Some(SwitchStatus::Validating) => validate(db, &s, &d).await,
            Some(SwitchStatus::Shifting) => shift(db, job, &s, &d, &mut monitor).await,
            _ => return Ok(()),
        };
        outcome.map_err(|e| e.to_string())?;
    }
}

/// The switch as it is now, under its lock, if it is still where the
/// workflow left it (same status, step and generation). A person may have
/// paused, promoted or rolled it back meanwhile: then the workflow stands
/// aside.
async fn still(
    txn: &DatabaseTransaction,
    seen: &deployment_switch::Model,
) -> ServiceResult<Option<(deployment_switch::Model, edge_deployment::Model)>> {
    let d = lock_deployment(txn, seen.deployment_id).await?;
    let s = lock_switch(txn, seen.id).await?;
    let unchanged = s.status == seen.status
        && s.step_index == seen.step_index
        && s.generation == seen.generation;
    Ok(unchanged.then_some((s, d)))
}

fn system_entry(action: &'static str, d: &edge_deployment::Model) -> AuditEntry {
    AuditEntry::new(Actor::System("bluegreen"), action, "edge_deployment")
        .target(d.id)
        .tenant(d.tenant_id)
}

const SYSTEM: &str = "system:bluegreen";

/// A timeline entry of the workflow itself.
async fn system_event<C: ConnectionTrait>(
    conn: &C,
    s: &deployment_switch::Model,
    kind: &str,
    message: String,
) -> ServiceResult<()> {
    event(
        conn,
        s.deployment_id,
        Some(s.id),
        s.tenant_id,
        kind,
        message,
        SYSTEM,
    )
    .await
}

async fn prepare(
    db: &DatabaseConnection,
    executor: &dyn Executor,
    job: &ClaimedJob,
    s: &deployment_switch::Model,
    d: &edge_deployment::Model,
) -> ServiceResult<()> {
    let to = slot_of(&s.to_slot);
    let t = tenant::Entity::find_by_id(d.tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let order = StepOrder {
        key: format!("switch:{}:prepare", s.id),
        tenant_slug: t.slug.clone(),
        tenant_labels: serde_json::from_str(&t.labels).unwrap_or_default(),
        kind: "bluegreen".into(),
        step: format!("deploy {} to the {} slot", s.to_version, to.as_str()),
        target_version: Some(s.to_version.clone()),
        attempt: job.attempt,
    };
    let outcome = executor.run_step(&order).await;
    let txn = db.begin().await?;
    let Some((s, d)) = still(&txn, s).await? else {
        return Ok(());
    };
    match outcome {
        Ok(output) => {
            deployment_switch::Entity::update_many()
                .col_expr(
                    deployment_switch::Column::Status,
                    SwitchStatus::Validating.as_str().into(),
                )
                .col_expr(deployment_switch::Column::UpdatedAt, Utc::now().into())
                .filter(deployment_switch::Column::Id.eq(s.id))
                .exec(&txn)
                .await?;
            set_slot(&txn, d.id, to, None, VALIDATING, Some("unknown")).await?;
            system_event(
                &txn,
                &s,
                "step",
                format!(
                    "Prepared: {} deployed to {} ({}).",
                    s.to_version,
                    to.label().to_lowercase(),
                    output.trim()
                ),
            )
            .await?;
            audit::record(
                &txn,
                &RequestContext::default(),
                system_entry("deployment.prepared", &d).details(
                    json!({ "switch": s.id, "version": s.to_version, "slot": to.as_str() }),
                ),
            )
            .await?;
        }
        Err(error) => {
            let reason = format!(
                "Preparing {} failed: {error}. Traffic never left {}.",
                to.label().to_lowercase(),
                slot_of(&s.from_slot).label().to_lowercase()
            );
            end(&txn, &s, &d, SwitchStatus::Failed, &reason, false).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Runs the product's baseline against one slot and records the run.
async fn run_baseline<C: ConnectionTrait>(
    conn: &C,
    d: &edge_deployment::Model,
    switch_id: Option<Uuid>,
    slot: Slot,
) -> ServiceResult<(bool, Vec<CheckResult>)> {
    let checks = baseline_checks(conn, d.product_id).await?;
    let simulation = simulation_of(d);
    let (url, faults, version) = match slot {
        Slot::Blue => (&d.blue_url, &simulation.blue, d.blue_version.clone()),
        Slot::Green => (&d.green_url, &simulation.green, d.green_version.clone()),
    };
    let version = version.unwrap_or_default();
    let mut results = Vec::with_capacity(checks.len());
    for check in &checks {
        let answer = traffic::probe(&outbound::http(), url, check, Some((faults, &version))).await;
        results.push(health::judge(check, &answer));
    }
    let passed = results.iter().all(|r| r.passed);
    health_run::ActiveModel {
        id: Set(Uuid::new_v4()),
        deployment_id: Set(d.id),
        switch_id: Set(switch_id),
        tenant_id: Set(d.tenant_id),
        slot: Set(slot.as_str().into()),
        at: Set(Utc::now()),
        passed: Set(passed),
        results: Set(serde_json::to_string(&results).map_err(ServiceError::internal)?),
    }
    .insert(conn)
    .await?;
    Ok((passed, results))
}

fn failures_text(results: &[CheckResult]) -> String {
    results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}", r.name, r.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn validate(
    db: &DatabaseConnection,
    s: &deployment_switch::Model,
    d: &edge_deployment::Model,
) -> ServiceResult<()> {
    let to = slot_of(&s.to_slot);
    let thresholds: Thresholds = serde_json::from_str(&s.thresholds).unwrap_or_default();
    let pause = Duration::from_secs(s.interval_seconds.clamp(1, 10) as u64);
    // A fresh slot may need a moment: it gets as many tries as the
    // consecutive-failure limit allows.
    let mut last_failure = String::new();
    let mut passed = false;
    for attempt in 0..thresholds.max_consecutive_failures.max(1) {
        if attempt > 0 {
            tokio::time::sleep(pause).await;
        }
        let (ok, results) = run_baseline(db, d, Some(s.id), to).await?;
        if ok {
            passed = true;
            break;
        }
        last_failure = failures_text(&results);
    }
    // The live slot is checked too, so both slots show their health.
    let from = slot_of(&s.from_slot);
    let (live_healthy, _) = run_baseline(db, d, Some(s.id), from).await?;
    let txn = db.begin().await?;
    let Some((s, d)) = still(&txn, s).await? else {
        return Ok(());
    };
    let live_state = match from {
        Slot::Blue => d.blue_state.clone(),
        Slot::Green => d.green_state.clone(),
    };
    let live_health = if live_healthy { "healthy" } else { "unhealthy" };
    set_slot(&txn, d.id, from, None, &live_state, Some(live_health)).await?;
    if passed {
        deployment_switch::Entity::update_many()
            .col_expr(
                deployment_switch::Column::Status,
                SwitchStatus::Shifting.as_str().into(),
            )
            .col_expr(deployment_switch::Column::StepIndex, 0.into())
            .col_expr(
                deployment_switch::Column::StepStartedAt,
                Option::<DateTime<Utc>>::None.into(),
            )
            .col_expr(deployment_switch::Column::UpdatedAt, Utc::now().into())
            .filter(deployment_switch::Column::Id.eq(s.id))
            .exec(&txn)
            .await?;
        set_slot(&txn, d.id, to, None, TAKING_TRAFFIC, Some("healthy")).await?;
        system_event(
            &txn,
            &s,
            "step",
            format!(
                "Validated: {} passed the health baseline.",
                to.label().to_lowercase()
            ),
        )
        .await?;
        audit::record(
            &txn,
            &RequestContext::default(),
            system_entry("deployment.validated", &d)
                .details(json!({ "switch": s.id, "slot": to.as_str() })),
        )
        .await?;
    } else {
        let reason = format!(
            "Validation failed on {}: {last_failure}. Traffic never left {}.",
            to.label().to_lowercase(),
            slot_of(&s.from_slot).label().to_lowercase()
        );
        end(&txn, &s, &d, SwitchStatus::Failed, &reason, false).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Ends a switch by the workflow's own decision: failed or rolled back.
/// Traffic goes back to the old slot when it had moved.
async fn end(
    txn: &DatabaseTransaction,
    s: &deployment_switch::Model,
    d: &edge_deployment::Model,
    status: SwitchStatus,
    reason: &str,
    traffic_moved: bool,
) -> ServiceResult<()> {
    let (from, to) = (slot_of(&s.from_slot), slot_of(&s.to_slot));
    if traffic_moved {
        route(txn, d, from, 100).await?;
    }
    set_slot(txn, d.id, to, None, FAILED, Some("unhealthy")).await?;
    let now = Utc::now();
    deployment_switch::Entity::update_many()
        .col_expr(deployment_switch::Column::Status, status.as_str().into())
        .col_expr(
            deployment_switch::Column::Reason,
            Some(reason.to_string()).into(),
        )
        .col_expr(deployment_switch::Column::FinishedAt, Some(now).into())
        .col_expr(deployment_switch::Column::UpdatedAt, now.into())
        .filter(deployment_switch::Column::Id.eq(s.id))
        .exec(txn)
        .await?;
    system_event(txn, &s, "decision", reason.to_string()).await?;
    audit::record(
        txn,
        &RequestContext::default(),
        system_entry(
            if status == SwitchStatus::RolledBack {
                "deployment.auto_rollback"
            } else {
                "deployment.switch_failed"
            },
            &d,
        )
        .details(json!({ "switch": s.id, "reason": reason, "step": s.step_index })),
    )
    .await
}

async fn shift(
    db: &DatabaseConnection,
    job: &ClaimedJob,
    s: &deployment_switch::Model,
    d: &edge_deployment::Model,
    monitor: &mut Monitor,
) -> ServiceResult<()> {
    let (from, to) = (slot_of(&s.from_slot), slot_of(&s.to_slot));
    let steps = parse_steps(&s.steps).unwrap_or_else(|_| vec![100]);
    let index = s.step_index.clamp(0, steps.len() as i32 - 1);
    let percent = steps[index as usize];
    let target = router_target(d);
    let router = traffic::router_for(&d.router_kind);

    if monitor.applied_step != Some(index) {
        // (Re)apply this step's weights: the router may have restarted too,
        // and the same weights again never move traffic back.
        let txn = db.begin().await?;
        let Some((s, d)) = still(&txn, s).await? else {
            return Ok(());
        };
        route(&txn, &d, to, percent).await?;
        let first = s.step_started_at.is_none();
        if first {
            deployment_switch::Entity::update_many()
                .col_expr(
                    deployment_switch::Column::StepStartedAt,
                    Some(Utc::now()).into(),
                )
                .col_expr(deployment_switch::Column::UpdatedAt, Utc::now().into())
                .filter(deployment_switch::Column::Id.eq(s.id))
                .exec(&txn)
                .await?;
        }
        let message = if first {
            format!(
                "Step {} of {}: {percent} % of traffic to {} ({}).",
                index + 1,
                steps.len(),
                to.label().to_lowercase(),
                s.to_version
            )
        } else {
            format!(
                "Resumed at step {} ({percent} % to {}): weights re-applied, judging afresh before advancing (workflow run {}, attempt {}).",
                index + 1,
                to.label().to_lowercase(),
                s.generation,
                job.attempt
            )
        };
        system_event(&txn, &s, "step", message).await?;
        if first {
            audit::record(
                &txn,
                &RequestContext::default(),
                system_entry("deployment.step", &d)
                    .details(json!({ "switch": s.id, "step": index + 1, "percent": percent })),
            )
            .await?;
        }
        txn.commit().await?;
        *monitor = Monitor {
            applied_step: Some(index),
            ..Monitor::default()
        };
        return Ok(());
    }

    let before = match monitor.last {
        Some(readings) => readings,
        None => {
            let first = router.read(&target).await.map_err(ServiceError::Conflict)?;
            monitor.last = Some(first);
            first
        }
    };
    tokio::time::sleep(Duration::from_secs(s.interval_seconds.max(1) as u64)).await;
    let after = router.read(&target).await.map_err(ServiceError::Conflict)?;
    monitor.last = Some(after);
    let candidate = interval_between(before.of(to), after.of(to));
    let live = interval_between(before.of(from), after.of(from));
    let (passed, results) = run_baseline(db, d, Some(s.id), to).await?;
    let thresholds: Thresholds = serde_json::from_str(&s.thresholds).unwrap_or_default();

    let txn = db.begin().await?;
    let Some((s, d)) = still(&txn, s).await? else {
        return Ok(());
    };
    let failures = if passed {
        0
    } else {
        s.consecutive_failures + 1
    };
    let now = Utc::now();
    let (blue_weight, green_weight) = bluegreen::weights(to, percent);
    for (slot, stats) in [(to, candidate), (from, live)] {
        traffic_sample::ActiveModel {
            id: Set(Uuid::new_v4()),
            deployment_id: Set(d.id),
            switch_id: Set(s.id),
            tenant_id: Set(d.tenant_id),
            at: Set(now),
            slot: Set(slot.as_str().into()),
            weight: Set(if slot == Slot::Blue {
                blue_weight
            } else {
                green_weight
            }),
            requests: Set(stats.requests as i64),
            errors: Set(stats.errors as i64),
            latency_ms: Set(stats.latency_ms),
        }
        .insert(&txn)
        .await?;
    }
    deployment_switch::Entity::update_many()
        .col_expr(
            deployment_switch::Column::ConsecutiveFailures,
            failures.into(),
        )
        .filter(deployment_switch::Column::Id.eq(s.id))
        .exec(&txn)
        .await?;
    if !passed {
        system_event(
            &txn,
            &s,
            "health",
            format!(
                "Health check failed on {} ({failures} in a row): {}",
                to.label().to_lowercase(),
                failures_text(&results)
            ),
        )
        .await?;
    }
    let verdict = analyze(&thresholds, &candidate, &live, failures.max(0) as u32);
    match verdict {
        Verdict::RollBack(why) => {
            let reason = format!(
                "Automatic rollback at step {} ({percent} %): {why} All traffic back on {}.",
                index + 1,
                from.label().to_lowercase()
            );
            end(&txn, &s, &d, SwitchStatus::RolledBack, &reason, true).await?;
            txn.commit().await?;
            return Ok(());
        }
        Verdict::TooLittleTraffic => {
            if !monitor.noted_waiting {
                monitor.noted_waiting = true;
                system_event(&txn, &s, "note", format!(
                        "Too little traffic to judge {} ({} requests in {} s, at least {} needed): the step waits for traffic.",
                        to.label().to_lowercase(),
                        candidate.requests,
                        s.interval_seconds,
                        thresholds.min_requests
                    ))
                .await?;
            }
        }
        Verdict::Healthy => monitor.judged_healthy = true,
    }
    let baked = s
        .step_started_at
        .is_some_and(|at| bluegreen::step_baked((now - at).num_seconds(), s.bake_seconds));
    if monitor.judged_healthy && baked {
        match after_step(index as usize, steps.len()) {
            NextStep::Step(next) => {
                deployment_switch::Entity::update_many()
                    .col_expr(deployment_switch::Column::StepIndex, (next as i32).into())
                    .col_expr(
                        deployment_switch::Column::StepStartedAt,
                        Option::<DateTime<Utc>>::None.into(),
                    )
                    .col_expr(deployment_switch::Column::UpdatedAt, now.into())
                    .filter(deployment_switch::Column::Id.eq(s.id))
                    .exec(&txn)
                    .await?;
            }
            NextStep::Complete => {
                complete(&txn, &s, &d).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(())
}

async fn complete(
    txn: &DatabaseTransaction,
    s: &deployment_switch::Model,
    d: &edge_deployment::Model,
) -> ServiceResult<()> {
    let (from, to) = (slot_of(&s.from_slot), slot_of(&s.to_slot));
    let now = Utc::now();
    edge_deployment::Entity::update_many()
        .col_expr(edge_deployment::Column::LiveSlot, to.as_str().into())
        .filter(edge_deployment::Column::Id.eq(d.id))
        .exec(txn)
        .await?;
    set_slot(txn, d.id, to, None, LIVE, Some("healthy")).await?;
    set_slot(txn, d.id, from, None, STANDBY, None).await?;
    deployment_switch::Entity::update_many()
        .col_expr(
            deployment_switch::Column::Status,
            SwitchStatus::Completed.as_str().into(),
        )
        .col_expr(deployment_switch::Column::FinishedAt, Some(now).into())
        .col_expr(deployment_switch::Column::UpdatedAt, now.into())
        .filter(deployment_switch::Column::Id.eq(s.id))
        .exec(txn)
        .await?;
    system_event(
        txn,
        &s,
        "decision",
        format!(
            "Completed: {} live on {}; {} on standby with {} kept for an instant rollback.",
            s.to_version,
            to.label().to_lowercase(),
            from.label().to_lowercase(),
            s.from_version.clone().unwrap_or_default()
        ),
    )
    .await?;
    audit::record(
        txn,
        &RequestContext::default(),
        system_entry("deployment.complete", d)
            .details(json!({ "switch": s.id, "version": s.to_version })),
    )
    .await
}

/// The workflow's job died (its attempts ran out): the switch fails and
/// traffic goes back to the old slot if the router takes it.
pub async fn fail_for_good(
    txn: &DatabaseTransaction,
    job: &ClaimedJob,
    error: &str,
) -> ServiceResult<()> {
    let Ok(order) = serde_json::from_value::<SwitchJob>(job.payload.clone()) else {
        return Ok(());
    };
    let s = lock_switch(txn, order.switch_id).await?;
    if !SwitchStatus::parse(&s.status).is_some_and(SwitchStatus::is_active) {
        return Ok(());
    }
    let d = lock_deployment(txn, s.deployment_id).await?;
    let reason = format!("The switch workflow gave up after repeated errors: {error}");
    let moved = s.step_index >= 0;
    match end(txn, &s, &d, SwitchStatus::Failed, &reason, moved).await {
        Err(ServiceError::Conflict(router)) => {
            // The router is unreachable: record the failure without moving traffic.
            end(
                txn,
                &s,
                &d,
                SwitchStatus::Failed,
                &format!("{reason} ({router})"),
                false,
            )
            .await
        }
        other => other,
    }
}
