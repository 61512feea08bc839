//! Change requests: the only door for changing a tenant. A request is
//! approved (by the tenant's update policy, or by a person), scheduled into
//! the tenant's maintenance window outside blackouts, executed step by step by
//! an executor through the durable job engine, and audited at every move.

pub mod delays;
pub mod update_policy;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::{Clock, Ctx};
use crate::backend::db::scoped_read;
use crate::backend::entities::{
    change_decision, change_request, change_step, product, release, rollout_target, tenant,
    tenant_product,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::executor::{Executor, StepOrder};
use crate::backend::jobs::{self, ClaimedJob, JobSpec};
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::tenants;
use crate::backend::services::tenants::backups;
use crate::backend::services::tenants::saved_filters;
use crate::backend::services::tenants::secret_rotation;
use crate::domain::access::authority::acts_for_vendor;
use crate::domain::access::authority::may_stop_change;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::Scope;
use crate::domain::access::permission::TenantScope;
use crate::domain::changes::change::ApprovalMode;
use crate::domain::changes::change::ChangeKind;
use crate::domain::changes::change::ChangeModel;
use crate::domain::changes::change::ChangeStatus;
use crate::domain::changes::change::StepStatus;
use crate::domain::changes::change::approval_required;
use crate::domain::changes::change::change_model;
use crate::domain::changes::change::check_decider;
use crate::domain::changes::change::checks_health;
use crate::domain::changes::change::plan_rollback_steps;
use crate::domain::changes::change::plan_secret_rollback_steps;
use crate::domain::changes::change::plan_steps;
use crate::domain::changes::change::request_permission;
use crate::domain::changes::change::rolls_back;
use crate::domain::changes::decision::Decision;
use crate::domain::rollouts::rollout::TargetStatus;
use crate::domain::tenants::lifecycle::LifecycleState;
use crate::domain::tenants::lifecycle::plan_transition;
use crate::domain::tenants::saved_filter::MAX_FILTER_TARGETS;
use crate::domain::validation::FieldErrors;
use crate::model::changes::{
    ChangeDetail, ChangeFormOptions, ChangePage, ChangeQuery, ChangeRow, DecisionRow,
    FilterRequestOutcome, SkippedTenant, StepRow,
};

mod command;
mod decide;
mod execute;
mod query;
mod request;
mod upgrade;

pub use command::{ChangeSpec, FilterChangeRequest, NewChangeRequest, UpdateTarget};
pub use decide::*;
pub use execute::*;
pub use query::*;
pub use request::*;
pub use upgrade::upgrade_choices;

/// The job kind that executes a change request.
pub const EXECUTE_JOB: &str = "change.execute";
/// The job kind that runs a failed update's rollback steps.
pub const ROLLBACK_JOB: &str = "change.rollback";
/// A stale worker's result: discarded, the job's new holder carries on.
const LEASE_LOST: &str = "this worker lost the job's lease; its result was discarded";
/// Attempts per change before it is given up as failed.
pub const MAX_ATTEMPTS: i32 = 3;
const PER_PAGE: u64 = 25;

/// Everything needed to insert a change request.
pub(crate) struct NewChange {
    pub tenant: tenant::Model,
    pub kind: ChangeKind,
    pub product_id: Option<Uuid>,
    pub target_version: Option<String>,
    /// A plan change's plan.
    pub target_plan: Option<String>,
    pub title: String,
    pub status: ChangeStatus,
    pub requires_approval: bool,
    pub not_before: Option<DateTime<Utc>>,
    pub next_start: Option<(DateTime<Utc>, String)>,
    pub rollout_id: Option<Uuid>,
    /// The saved filter (id, name) it was requested for.
    pub target_filter: Option<(Uuid, String)>,
    /// A platform principal asked for it (the system always acts for the vendor).
    pub by_vendor: bool,
    /// The creating request's id; `None` for the system's own changes,
    /// which get a fresh one.
    pub correlation_id: Option<String>,
    /// How it reaches the tenant when not the kind's usual way (a web
    /// password rotates live); `None`: the kind's model on the tenant.
    pub model: Option<ChangeModel>,
}

/// The audit context of the system's work on a change: its correlation id,
/// so the audit explorer shows a change's whole trail under one id.
pub(crate) fn change_context(change: &change_request::Model) -> RequestContext {
    RequestContext {
        request_id: change.correlation_id.clone(),
        client_address: None,
    }
}

/// Inserts a change request with its planned steps (and, when it is to run
/// now, its job) in the caller's transaction.
pub(crate) async fn insert<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    change: NewChange,
    now: DateTime<Utc>,
) -> ServiceResult<change_request::Model> {
    let deployment = change.tenant.deployment_kind;
    let model = change
        .model
        .unwrap_or_else(|| change_model(change.kind, deployment));
    let id = Uuid::new_v4();
    let (next_start_at, schedule_reason) = match change.next_start {
        Some((at, why)) => (Some(at), why),
        None => (None, String::new()),
    };
    let created = change_request::ActiveModel {
        id: Set(id),
        tenant_id: Set(change.tenant.id),
        kind: Set(change.kind),
        change_model: Set(model),
        status: Set(change.status),
        title: Set(change.title),
        product_id: Set(change.product_id),
        target_version: Set(change.target_version.clone()),
        requested_by: Set(actor.id()),
        requester_label: Set(actor.label()),
        requires_approval: Set(change.requires_approval),
        not_before: Set(change.not_before),
        next_start_at: Set(next_start_at),
        schedule_reason: Set(schedule_reason),
        delayed_days: Set(0),
        progress: Set(0),
        rollout_id: Set(change.rollout_id),
        outcome: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
        target_filter_id: Set(change.target_filter.as_ref().map(|(id, _)| *id)),
        target_filter_name: Set(change.target_filter.map(|(_, name)| name)),
        requested_by_vendor: Set(change.by_vendor || matches!(actor, Actor::System(_))),
        correlation_id: Set(Some(
            change
                .correlation_id
                .unwrap_or_else(|| Uuid::new_v4().to_string()),
        )),
        target_plan: Set(change.target_plan),
        backup_id: Set(None),
        backup_class: Set(None),
    }
    .insert(conn)
    .await?;
    let steps: Vec<change_step::ActiveModel> =
        plan_steps(change.kind, model, change.target_version.as_deref())
            .into_iter()
            .enumerate()
            .map(|(i, name)| change_step::ActiveModel {
                id: Set(Uuid::new_v4()),
                change_request_id: Set(id),
                tenant_id: Set(change.tenant.id),
                position: Set(i as i32 + 1),
                name: Set(name),
                status: Set(StepStatus::Pending),
                idempotency_key: Set(format!("change:{id}:step:{}", i + 1)),
                attempts: Set(0),
                output: Set(String::new()),
                started_at: Set(None),
                finished_at: Set(None),
                rollback: Set(false),
            })
            .collect();
    change_step::Entity::insert_many(steps).exec(conn).await?;
    if change.status == ChangeStatus::Running
        && let Err(why) = hand_over(conn, &created, now).await?
    {
        finish(conn, &created, ChangeStatus::Failed, &why, now).await?;
    }
    Ok(created)
}

/// A change the portal asks for on a person's behalf outside the change
/// form (a backup, a restore, a secret rotation, a migration).
pub(crate) struct RoutedChange<'a> {
    pub target: &'a tenant::Model,
    pub kind: ChangeKind,
    pub title: String,
    pub by_vendor: bool,
    pub model: Option<ChangeModel>,
    /// What the `change.create` audit record says besides the kind, model,
    /// status and approval mode.
    pub details: serde_json::Value,
}

/// Routes a change by the tenant's update policy (approval, then its next
/// window), inserts it with its steps and writes its `change.create` audit
/// record, in the caller's transaction.
pub(crate) async fn insert_routed(
    txn: &DatabaseTransaction,
    actor: &Actor,
    context: &RequestContext,
    asked: RoutedChange<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<change_request::Model> {
    let target = asked.target;
    let mut route = route(txn, target.id, asked.kind, None, None, None, now).await?;
    if crate::domain::changes::change::works_beside_the_tenant(asked.kind) {
        route.status = ChangeStatus::Scheduled;
        route.needs_approval = false;
        route.next_start = Some((
            now,
            "It works beside the tenant, not on it: it starts at once.".to_owned(),
        ));
    }
    let created = insert(
        txn,
        actor,
        NewChange {
            tenant: target.clone(),
            kind: asked.kind,
            product_id: None,
            target_version: None,
            target_plan: None,
            title: asked.title,
            status: route.status,
            requires_approval: route.needs_approval,
            not_before: None,
            next_start: route.next_start,
            rollout_id: None,
            target_filter: None,
            by_vendor: asked.by_vendor,
            correlation_id: context.request_id.clone(),
            model: asked.model,
        },
        now,
    )
    .await?;
    let mut details = json!({
        "kind": asked.kind.as_str(), "change_model": created.change_model.as_str(),
        "status": route.status.as_str(), "approval_mode": route.mode.as_str(),
    });
    if let (Some(all), serde_json::Value::Object(extra)) = (details.as_object_mut(), asked.details)
    {
        all.extend(extra);
    }
    audit::record(
        txn,
        context,
        AuditEntry::new(actor.clone(), "change.create", "change_request")
            .target(created.id)
            .tenant(target.id)
            .details(details),
    )
    .await?;
    Ok(created)
}

async fn enqueue_execution<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    jobs::enqueue(
        conn,
        JobSpec {
            kind: EXECUTE_JOB,
            payload: json!({ "change_request_id": id }),
            key: format!("change:{id}:execute"),
            run_at: now,
            max_attempts: MAX_ATTEMPTS,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Records a lifecycle action taken from the tenant page as a change request
/// (called by `tenants::transition` in its transaction, after the tenant has
/// moved) and queues it: its steps run through the executor like any other
/// change's. Long actions land the tenant in its target state when they end;
/// the others already took the portal's side of their effect (who may still
/// act) in that transaction, and the executor does the outside half.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_lifecycle_change(
    txn: &DatabaseTransaction,
    actor: &Actor,
    by_vendor: bool,
    context: &RequestContext,
    tenant: &tenant::Model,
    kind: ChangeKind,
    source: &str,
    now: DateTime<Utc>,
) -> ServiceResult<change_request::Model> {
    let created = insert(
        txn,
        actor,
        NewChange {
            tenant: tenant.clone(),
            kind,
            product_id: None,
            target_version: None,
            target_plan: None,
            title: format!("{} {}", kind.label(), tenant.slug),
            status: ChangeStatus::Running,
            requires_approval: false,
            not_before: None,
            next_start: Some((now, format!("Started at once from the {source}"))),
            rollout_id: None,
            target_filter: None,
            by_vendor,
            correlation_id: context.request_id.clone(),
            model: None,
        },
        now,
    )
    .await?;
    audit::record(
        txn,
        context,
        AuditEntry::new(actor.clone(), "change.create", "change_request")
            .target(created.id)
            .tenant(tenant.id)
            .details(json!({ "kind": kind.as_str(), "status": ChangeStatus::Running.as_str(), "source": source })),
    )
    .await?;
    Ok(created)
}

/// The lifecycle change still running on a tenant, if any: a new lifecycle
/// move would race its executor steps (block, then restore, public access).
pub(crate) async fn running_lifecycle_change<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<Option<change_request::Model>> {
    let lifecycle_kinds: Vec<&str> = ChangeKind::ALL
        .into_iter()
        .filter(|k| k.lifecycle_action().is_some())
        .map(ChangeKind::as_str)
        .collect();
    Ok(change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(tenant_id))
        .filter(change_request::Column::Status.eq(ChangeStatus::Running.as_str()))
        .filter(change_request::Column::Kind.is_in(lifecycle_kinds))
        .one(conn)
        .await?)
}

/// A catalog product by its key or id.
pub(crate) async fn find_product<C: ConnectionTrait>(
    conn: &C,
    reference: &str,
) -> ServiceResult<Option<product::Model>> {
    if reference.is_empty() {
        return Ok(None);
    }
    let query = match Uuid::parse_str(reference) {
        Ok(id) => product::Entity::find_by_id(id),
        Err(_) => product::Entity::find().filter(product::Column::Key.eq(reference)),
    };
    Ok(query.one(conn).await?)
}

/// `YYYY-MM-DDTHH:MM` (UTC, as an HTML datetime-local sends it) or RFC 3339.
pub(crate) fn parse_utc_time(raw: &str) -> Result<Option<DateTime<Utc>>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .map(|at| Some(at.and_utc()))
        .map_err(|_| format!("'{raw}' is not a time; use YYYY-MM-DDTHH:MM (UTC)."))
}

/// A change the principal may read; others' are "not found".
pub(crate) async fn find_visible<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    id: Uuid,
) -> ServiceResult<change_request::Model> {
    let found = change_request::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !principal.can(Permission::TenantRead, Scope::Tenant(found.tenant_id)) {
        return Err(ServiceError::NotFound);
    }
    Ok(found)
}
