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

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::columns::JsonText;
use crate::backend::context::Clock;
use crate::backend::db::scoped_read;
use crate::backend::entities::{
    change_request, deployment_switch, edge_deployment, health_baseline, health_run, product,
    release, switch_event, tenant, traffic_sample,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::executor::{Executor, StepOrder};
use crate::backend::jobs::{self, ClaimedJob, JobSpec};
use crate::backend::outbound;
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::changes::find_product;
use crate::backend::services::tenants::resolve_tenant_id;
use crate::backend::traffic::{self, Readings, RouterTarget};
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::Scope;
use crate::domain::access::permission::TenantScope;
use crate::domain::deployments::bluegreen;
use crate::domain::deployments::bluegreen::NextStep;
use crate::domain::deployments::bluegreen::RouterKind;
use crate::domain::deployments::bluegreen::Slot;
use crate::domain::deployments::bluegreen::SlotHealth;
use crate::domain::deployments::bluegreen::SlotState;
use crate::domain::deployments::bluegreen::SwitchEventKind;
use crate::domain::deployments::bluegreen::SwitchStatus;
use crate::domain::deployments::bluegreen::Thresholds;
use crate::domain::deployments::bluegreen::Verdict;
use crate::domain::deployments::bluegreen::after_step;
use crate::domain::deployments::bluegreen::analyze;
use crate::domain::deployments::bluegreen::interval_between;
use crate::domain::deployments::bluegreen::switch_move;
use crate::domain::deployments::health;
use crate::domain::deployments::health::CheckResult;
use crate::domain::deployments::health::HealthCheck;
use crate::domain::network::{HaproxyName, socket_path_within};
use crate::domain::validation::FieldErrors;
use crate::model::deployments::{
    BaselineView, DeploymentChoices, DeploymentDetail, DeploymentForm, DeploymentRow, EventRow,
    HealthRunRow, SampleRow, Simulation, SimulationForm, SlotSimulation, SlotView, SwitchForm,
    SwitchRequest, SwitchSettingsForm, SwitchSummary,
};

mod baselines;
mod command;
mod query;
mod request;
mod settings;
mod workflow;

pub use baselines::*;
pub use command::{NewDeployment, SwitchSettings, SwitchTarget};
pub use query::*;
pub use request::*;
pub use settings::*;
pub use workflow::*;

pub const SWITCH_JOB: &str = "bluegreen.switch";

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

pub(crate) fn version_of(d: &edge_deployment::Model, slot: Slot) -> Option<String> {
    match slot {
        Slot::Blue => d.blue_version.clone(),
        Slot::Green => d.green_version.clone(),
    }
}

fn simulation_of(d: &edge_deployment::Model) -> Simulation {
    d.simulation.0.clone()
}

pub(crate) fn router_target(d: &edge_deployment::Model) -> RouterTarget {
    RouterTarget {
        deployment_id: d.id,
        address: d.router_address.clone(),
        backend: d.router_backend.clone(),
        blue_server: d.blue_server.clone(),
        green_server: d.green_server.clone(),
        simulation: simulation_of(d),
    }
}

async fn lock_deployment<C: ConnectionTrait>(
    txn: &C,
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
    state: SlotState,
    health: Option<SlotHealth>,
    now: DateTime<Utc>,
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
        .col_expr(Column::UpdatedAt, now.into());
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
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let (blue, green) = bluegreen::weights(to, percent);
    traffic::router_for(d.router_kind)
        .set_weights(&router_target(d), blue, green)
        .await
        .map_err(|e| {
            ServiceError::Conflict(format!("The traffic router did not take the weights: {e}"))
        })?;
    edge_deployment::Entity::update_many()
        .col_expr(edge_deployment::Column::BlueWeight, blue.into())
        .col_expr(edge_deployment::Column::GreenWeight, green.into())
        .col_expr(edge_deployment::Column::UpdatedAt, now.into())
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
    kind: SwitchEventKind,
    message: String,
    actor: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    switch_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        deployment_id: Set(deployment_id),
        switch_id: Set(switch_id),
        tenant_id: Set(tenant_id),
        at: Set(now),
        kind: Set(kind),
        message: Set(message),
        actor: Set(actor.into()),
    }
    .insert(conn)
    .await?;
    Ok(())
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
    kind: SwitchEventKind,
    message: String,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    event(
        conn,
        s.deployment_id,
        Some(s.id),
        s.tenant_id,
        kind,
        message,
        SYSTEM,
        now,
    )
    .await
}
