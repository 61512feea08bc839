//! The event outbox: events are written with the change and its audit record
//! (same transaction: if the event write fails, the change fails), carrying
//! the resource's state after the change; then one sequencer at a time gives
//! them their global and per-tenant numbers, gap-free, in the order they
//! became visible. Readers only ever see numbered events, so "after N" never
//! skips one that committed late.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::backend::audit::{AuditEntry, RequestContext};
use crate::backend::entities::{
    change_request, deployment_switch, edge_deployment, event, event_counter, release, rollout,
    tenant,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::domain::events::{EventType, announced_by};

/// How many pending events one sequencer round numbers.
const SEQUENCE_BATCH: u64 = 500;

/// One event before it is written.
pub struct NewEvent<'a> {
    pub event_type: &'static EventType,
    pub tenant_id: Option<Uuid>,
    pub correlation_id: Option<String>,
    pub actor: &'a Actor,
    pub resource_id: Option<String>,
    pub data: Value,
}

/// Writes one event with the caller's connection or transaction.
pub async fn append<C: ConnectionTrait>(conn: &C, new: NewEvent<'_>) -> ServiceResult<Uuid> {
    let id = Uuid::new_v4();
    event::ActiveModel {
        pk: Default::default(),
        id: Set(id),
        event_type: Set(new.event_type.name.to_owned()),
        version: Set(new.event_type.version as i32),
        occurred_at: Set(Utc::now()),
        tenant_id: Set(new.tenant_id),
        correlation_id: Set(new.correlation_id.map(|c| c.chars().take(128).collect())),
        actor_id: Set(new.actor.id()),
        actor_label: Set(new.actor.label().chars().take(254).collect()),
        resource_type: Set(new.event_type.resource.to_owned()),
        resource_id: Set(new.resource_id),
        data: Set(new.data.to_string()),
        global_seq: Set(None),
        tenant_seq: Set(None),
    }
    .insert(conn)
    .await
    .map_err(|e| ServiceError::internal_in("event write", e))?;
    Ok(id)
}

/// The events an audit record announces, each with the resource's state
/// after the change (called by `audit::record`, in its transaction).
pub(crate) async fn announce<C: ConnectionTrait>(
    conn: &C,
    context: &RequestContext,
    entry: &AuditEntry,
) -> ServiceResult<()> {
    let types = announced_by(entry.action, &entry.details);
    if types.is_empty() {
        return Ok(());
    }
    let state = match &entry.target_id {
        Some(id) => resource_state(conn, entry.target_type, id).await?,
        None => Value::Null,
    };
    for event_type in types {
        append(
            conn,
            NewEvent {
                event_type,
                tenant_id: entry.tenant_id,
                correlation_id: context.request_id.clone(),
                actor: &entry.actor,
                resource_id: entry.target_id.clone(),
                data: json!({ "state": state, "details": entry.details }),
            },
        )
        .await?;
    }
    Ok(())
}

/// The resource's state as a subscriber needs it (never secrets), by the
/// audit record's target type; `null` for a resource that is gone.
pub async fn resource_state<C: ConnectionTrait>(
    conn: &C,
    target_type: &str,
    id: &str,
) -> ServiceResult<Value> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(Value::Null);
    };
    Ok(match target_type {
        "tenant" => tenant::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map_or(Value::Null, |t| tenant_state(&t)),
        "change_request" => change_request::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map_or(Value::Null, |c| {
                json!({
                    "id": c.id, "tenant_id": c.tenant_id, "kind": c.kind.as_str(),
                    "change_model": c.change_model.as_str(), "status": c.status.as_str(),
                    "title": c.title, "product_id": c.product_id,
                    "target_version": c.target_version, "progress": c.progress,
                    "outcome": c.outcome, "rollout_id": c.rollout_id,
                    "requires_approval": c.requires_approval, "next_start_at": c.next_start_at,
                    "finished_at": c.finished_at,
                })
            }),
        "rollout" => rollout::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map_or(Value::Null, |r| {
                json!({
                    "id": r.id, "name": r.name, "scope": r.scope.as_str(),
                    "status": r.status.as_str(), "product_id": r.product_id,
                    "target_version": r.target_version, "current_wave": r.current_wave,
                    "halt_reason": r.halt_reason, "finished_at": r.finished_at,
                })
            }),
        "edge_deployment" => match edge_deployment::Entity::find_by_id(id).one(conn).await? {
            None => Value::Null,
            Some(d) => {
                let switch = deployment_switch::Entity::find()
                    .filter(deployment_switch::Column::DeploymentId.eq(d.id))
                    .order_by_desc(deployment_switch::Column::CreatedAt)
                    .one(conn)
                    .await?;
                json!({
                    "id": d.id, "tenant_id": d.tenant_id, "product_id": d.product_id,
                    "live_slot": d.live_slot.as_str(),
                    "blue": { "version": d.blue_version, "weight": d.blue_weight },
                    "green": { "version": d.green_version, "weight": d.green_weight },
                    "switch": switch.map(|s| json!({
                        "id": s.id, "status": s.status.as_str(), "from_slot": s.from_slot.as_str(),
                        "to_slot": s.to_slot.as_str(), "from_version": s.from_version,
                        "to_version": s.to_version, "step_index": s.step_index,
                        "change_request_id": s.change_request_id, "reason": s.reason,
                    })),
                })
            }
        },
        "backup" => crate::backend::entities::backup::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map_or(Value::Null, |b| {
                json!({
                    "id": b.id, "tenant_id": b.tenant_id, "kind": b.kind,
                    "retention_class": b.retention_class, "location": b.location,
                    "size_bytes": b.size_bytes, "sha256": b.sha256,
                    "data_snapshot": b.data_snapshot, "taken_at": b.taken_at,
                    "verify_status": b.verify_status, "verified_at": b.verified_at,
                    "expires_at": b.expires_at, "deleted_at": b.deleted_at,
                })
            }),
        "alert" => crate::backend::entities::alert::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map_or(Value::Null, |a| {
                crate::backend::services::platform::alerts::alert_state(&a)
            }),
        "release" => release::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map_or(Value::Null, |r| {
                json!({
                    "id": r.id, "product_id": r.product_id, "version": r.version,
                    "status": r.status.as_str(), "released_on": r.released_on,
                    "end_of_support": r.end_of_support, "end_of_life": r.end_of_life,
                    "components": r.components.0,
                })
            }),
        "licence_assignment" => {
            crate::backend::entities::licence_assignment::Entity::find_by_id(id)
                .one(conn)
                .await?
                .map_or(Value::Null, |l| {
                    json!({
                        "id": l.id, "tenant_id": l.tenant_id, "template_id": l.template_id,
                        "seats": l.seats, "valid_from": l.valid_from, "valid_to": l.valid_to,
                        "revoked_at": l.revoked_at, "revoked_reason": l.revoked_reason,
                    })
                })
        }
        _ => Value::Null,
    })
}

/// A tenant as events carry it.
pub fn tenant_state(t: &tenant::Model) -> Value {
    json!({
        "id": t.id, "slug": t.slug, "display_name": t.display_name,
        "lifecycle_state": t.lifecycle_state.as_str(), "state_reason": t.state_reason,
        "environment": t.environment.as_str(), "deployment_kind": t.deployment_kind.as_str(),
        "plan_code": t.plan_code, "region": t.region, "version": t.version,
    })
}

/// `tenant.state_changed` (and `tenant.deleted` when it landed there) for a
/// tenant that moved from `before`'s state to `after`'s, with the caller's
/// transaction; nothing when the state stayed.
pub async fn tenant_moved<C: ConnectionTrait>(
    conn: &C,
    before: &tenant::Model,
    after: &tenant::Model,
    actor: &Actor,
    correlation_id: Option<String>,
    reason: Option<&str>,
) -> ServiceResult<()> {
    if before.lifecycle_state == after.lifecycle_state {
        return Ok(());
    }
    let mut names = vec!["tenant.state_changed"];
    if after.lifecycle_state == crate::domain::tenants::lifecycle::LifecycleState::Deleted {
        names.push("tenant.deleted");
    }
    for name in names {
        append(
            conn,
            NewEvent {
                event_type: crate::domain::events::event_type(name).expect("in the catalogue"),
                tenant_id: Some(before.id),
                correlation_id: correlation_id.clone(),
                actor,
                resource_id: Some(before.id.to_string()),
                data: json!({
                    "state": tenant_state(after),
                    "details": {
                        "from": before.lifecycle_state.as_str(),
                        "to": after.lifecycle_state.as_str(),
                        "reason": reason,
                    },
                }),
            },
        )
        .await?;
    }
    Ok(())
}

/// Numbers the pending events: the global sequence and each tenant's, in
/// the order they were written among those visible now. One sequencer at a
/// time holds the global counter (row lock on PostgreSQL; SQLite has one
/// writer), so numbers are never given twice or skipped. Returns how many
/// were numbered; call until 0 to drain.
pub async fn sequence_pending(
    db: &DatabaseConnection,
    now: chrono::DateTime<Utc>,
) -> ServiceResult<usize> {
    let txn = db.begin().await?;
    let mut counter = event_counter::Entity::find_by_id("global".to_owned());
    if txn.get_database_backend() == DbBackend::Postgres {
        counter = counter.lock_exclusive();
    }
    let Some(global) = counter.one(&txn).await? else {
        return Err(ServiceError::internal_in(
            "event sequencer",
            "the global event counter is missing",
        ));
    };
    #[allow(clippy::type_complexity)]
    let pending: Vec<(
        i64,
        Option<Uuid>,
        Uuid,
        String,
        chrono::DateTime<Utc>,
        Option<String>,
    )> = event::Entity::find()
        .select_only()
        .column(event::Column::Pk)
        .column(event::Column::TenantId)
        .column(event::Column::Id)
        .column(event::Column::EventType)
        .column(event::Column::OccurredAt)
        .column(event::Column::ResourceId)
        .filter(event::Column::GlobalSeq.is_null())
        .order_by_asc(event::Column::Pk)
        .limit(SEQUENCE_BATCH)
        .into_tuple()
        .all(&txn)
        .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut next_global = global.last;
    let mut tenant_last: HashMap<Uuid, i64> = HashMap::new();
    let tenants: Vec<String> = pending
        .iter()
        .filter_map(|(_, t, ..)| t.map(|t| t.to_string()))
        .collect();
    for row in event_counter::Entity::find()
        .filter(event_counter::Column::Scope.is_in(tenants))
        .all(&txn)
        .await?
    {
        if let Ok(id) = Uuid::parse_str(&row.scope) {
            tenant_last.insert(id, row.last);
        }
    }
    let known: Vec<Uuid> = tenant_last.keys().copied().collect();
    let mut numbered = Vec::with_capacity(pending.len());
    for (pk, tenant_id, event_id, event_type, occurred_at, resource_id) in &pending {
        next_global += 1;
        let tenant_seq = tenant_id.map(|t| {
            let last = tenant_last.entry(t).or_insert(0);
            *last += 1;
            *last
        });
        event::Entity::update_many()
            .col_expr(event::Column::GlobalSeq, Expr::value(next_global))
            .col_expr(event::Column::TenantSeq, Expr::value(tenant_seq))
            .filter(event::Column::Pk.eq(*pk))
            .exec(&txn)
            .await?;
        numbered.push(crate::backend::services::events::webhooks::Numbered {
            event_id: *event_id,
            sequence: next_global,
            event_type: event_type.clone(),
            tenant_id: *tenant_id,
            occurred_at: *occurred_at,
            resource_id: resource_id.clone(),
        });
    }
    // Each numbered event gets its webhook deliveries here, once.
    crate::backend::services::events::webhooks::fan_out(&txn, &numbered, now).await?;
    event_counter::Entity::update_many()
        .col_expr(event_counter::Column::Last, Expr::value(next_global))
        .filter(event_counter::Column::Scope.eq("global"))
        .exec(&txn)
        .await?;
    for (tenant_id, last) in tenant_last {
        let scope = tenant_id.to_string();
        if known.contains(&tenant_id) {
            event_counter::Entity::update_many()
                .col_expr(event_counter::Column::Last, Expr::value(last))
                .filter(event_counter::Column::Scope.eq(scope))
                .exec(&txn)
                .await?;
        } else {
            event_counter::ActiveModel {
                scope: Set(scope),
                last: Set(last),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(pending.len())
}

/// Numbers every pending event (the pull API calls it first, so a reader
/// sees what was committed before it asked).
pub async fn sequence_all(
    db: &DatabaseConnection,
    now: chrono::DateTime<Utc>,
) -> ServiceResult<usize> {
    let mut total = 0;
    loop {
        let numbered = sequence_pending(db, now).await?;
        total += numbered;
        if numbered < SEQUENCE_BATCH as usize {
            return Ok(total);
        }
    }
}
