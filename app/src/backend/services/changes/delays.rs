//! Delaying scheduled changes. A tenant's approvers postpone a change
//! themselves up to their update policy's limit (counting earlier delays of
//! the same change); beyond it the delay becomes a request that a platform
//! approver approves (the change moves then) or denies with a comment.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::Ctx;
use crate::backend::entities::{change_request, delay_request};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::changes::find_visible;
use crate::backend::services::changes::update_policy;
use crate::backend::services::tenants;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::Scope;
use crate::domain::access::permission::TenantScope;
use crate::domain::changes::change::ChangeStatus;
use crate::domain::changes::change::check_decider;
use crate::domain::changes::decision::Decision;
use crate::domain::changes::decision::DelayResult;
use crate::domain::changes::decision::RequestStatus;
use crate::domain::changes::schedule::DelayDecision;
use crate::domain::changes::schedule::delay_decision;
use crate::domain::changes::schedule::parse_delay_days;
use crate::domain::changes::schedule::parse_delay_reason;
use crate::domain::validation::FieldErrors;
use crate::model::changes::{DelayOutcome, DelayRequestRow};

/// Postpones a scheduled change by `days`, or asks a platform approver to
/// when that would take the change beyond its tenant's delay limit.
pub async fn delay(ctx: &Ctx, id: Uuid, days: &str, reason: &str) -> ServiceResult<DelayOutcome> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::UpdateApprove)?;
    let txn = db.begin().await?;
    let found = find_visible(&txn, principal, id).await?;
    principal.require_on_tenant(Permission::UpdateApprove, found.tenant_id)?;
    principal.refuse_if_restricted(found.tenant_id, "delay updates")?;
    let mut errors = FieldErrors::default();
    let days = parse_delay_days(days)
        .map_err(|message| errors.push("days", message))
        .ok();
    if found.status != ChangeStatus::Scheduled {
        return Err(ServiceError::Conflict(
            "Only scheduled changes can be delayed.".into(),
        ));
    }
    let policy = update_policy::load(&txn, found.tenant_id).await?;
    let decision = delay_decision(
        std::cmp::max(found.delayed_days, 0) as u32,
        days.unwrap_or(0),
        std::cmp::max(policy.max_delay_days, 0) as u32,
    );
    let by_platform = principal.can(Permission::UpdateApprove, Scope::Platform);
    // The vendor's approvers may delay beyond the limit directly.
    let decision = if by_platform {
        DelayDecision::Allowed
    } else {
        decision
    };
    let reason = parse_delay_reason(reason, decision)
        .map_err(|message| errors.push("reason", message))
        .ok()
        .flatten();
    let (Some(days), true) = (days, errors.is_empty()) else {
        return Err(errors.into());
    };
    let outcome = match decision {
        DelayDecision::Allowed => {
            let actor = Actor::from(principal);
            let at = apply(
                &txn,
                context,
                &actor,
                found,
                days,
                reason.as_deref(),
                ctx.now(),
            )
            .await?;
            DelayOutcome {
                status: DelayResult::Delayed,
                next_start_at: Some(at),
                request_id: None,
                message: format!("Delayed by {days} days."),
            }
        }
        DelayDecision::NeedsPlatformApproval { limit_days } => {
            let request_id = request(
                &txn,
                principal,
                context,
                &found,
                days,
                reason.unwrap_or_default(),
                ctx.now(),
            )
            .await?;
            DelayOutcome {
                status: DelayResult::Requested,
                next_start_at: found.next_start_at,
                request_id: Some(request_id),
                message: format!(
                    "This goes beyond the policy's {limit_days} days in total, so the vendor's approvers decide; the change keeps its schedule until then."
                ),
            }
        }
    };
    txn.commit().await?;
    Ok(outcome)
}

/// Moves the change `days` later into its tenant's next allowed start and
/// audits it; returns the new start.
async fn apply(
    txn: &DatabaseTransaction,
    context: &RequestContext,
    actor: &Actor,
    found: change_request::Model,
    days: u32,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<chrono::DateTime<Utc>> {
    let from = std::cmp::max(found.next_start_at.unwrap_or(now), now);
    let earliest = from + Duration::days(days as i64);
    let schedule = update_policy::schedule_for(txn, found.tenant_id, now).await?;
    let (at, why) = update_policy::next_start(&schedule, earliest);
    let id = found.id;
    let tenant_id = found.tenant_id;
    let delayed = found.delayed_days + days as i32;
    let mut record: change_request::ActiveModel = found.into();
    record.not_before = Set(Some(earliest));
    record.next_start_at = Set(Some(at));
    record.schedule_reason = Set(format!(
        "Delayed by {days} days by {}. {why}",
        actor.label()
    ));
    record.delayed_days = Set(delayed);
    record.updated_at = Set(now);
    record.update(txn).await?;
    audit::record(
        txn,
        context,
        AuditEntry::new(actor.clone(), "change.delay", "change_request")
            .target(id)
            .tenant(tenant_id)
            .details(json!({ "days": days, "total_delay_days": delayed, "next_start_at": at, "reason": reason })),
    )
    .await?;
    Ok(at)
}

async fn request(
    txn: &DatabaseTransaction,
    principal: &Principal,
    context: &RequestContext,
    change: &change_request::Model,
    days: u32,
    reason: String,
    now: DateTime<Utc>,
) -> ServiceResult<Uuid> {
    let waiting = delay_request::Entity::find()
        .filter(delay_request::Column::ChangeRequestId.eq(change.id))
        .filter(delay_request::Column::Status.eq(RequestStatus::Pending))
        .count(txn)
        .await?;
    if waiting > 0 {
        return Err(ServiceError::Conflict(
            "A delay request for this change is already waiting for the vendor's approvers.".into(),
        ));
    }
    let id = Uuid::new_v4();
    delay_request::ActiveModel {
        id: Set(id),
        change_request_id: Set(change.id),
        tenant_id: Set(change.tenant_id),
        days: Set(days as i32),
        reason: Set(reason.clone()),
        status: Set(RequestStatus::Pending),
        requested_by: Set(Some(principal.user_id)),
        requester_label: Set(principal.email.clone()),
        requested_at: Set(now),
        decided_by: Set(None),
        decider_label: Set(None),
        decided_at: Set(None),
        decision_comment: Set(None),
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "change.delay_request",
            "delay_request",
        )
        .target(id)
        .tenant(change.tenant_id)
        .details(json!({ "change_request_id": change.id, "days": days, "reason": reason })),
    )
    .await?;
    Ok(id)
}

/// A platform approver approves a delay request (the change moves by its
/// days, if it is still scheduled) or denies it with a comment.
pub async fn decide(ctx: &Ctx, id: Uuid, decision: &str, comment: &str) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::UpdateApprove)?;
    let decision = Decision::parse(decision, comment)?;
    let status = decision.outcome();
    let txn = db.begin().await?;
    let found = delay_request::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if found.status != RequestStatus::Pending {
        return Err(ServiceError::Conflict(format!(
            "This request was already {}.",
            found.status.as_str()
        )));
    }
    check_decider(found.requested_by, principal.user_id).map_err(ServiceError::Policy)?;
    let actor = Actor::from(principal);
    if decision.approves() {
        let change = change_request::Entity::find_by_id(found.change_request_id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if change.status != ChangeStatus::Scheduled {
            return Err(ServiceError::Conflict(
                "The change is no longer scheduled, so there is nothing to delay; deny the request instead.".into(),
            ));
        }
        let reason = format!("{} (asked by {})", found.reason, found.requester_label);
        apply(
            &txn,
            context,
            &actor,
            change,
            found.days as u32,
            Some(&reason),
            ctx.now(),
        )
        .await?;
    }
    let tenant_id = found.tenant_id;
    let change_id = found.change_request_id;
    let mut record: delay_request::ActiveModel = found.into();
    record.status = Set(status);
    record.decided_by = Set(Some(principal.user_id));
    record.decider_label = Set(Some(principal.email.clone()));
    record.decided_at = Set(Some(ctx.now()));
    record.decision_comment = Set(decision.comment.clone());
    record.update(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(actor, "change.delay_decide", "delay_request")
            .target(id)
            .tenant(tenant_id)
            .details(json!({ "change_request_id": change_id, "status": status.as_str(), "comment": decision.comment })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Delay requests waiting for a decision the principal may take: platform
/// approvers see them all, anyone else none.
pub async fn pending(ctx: &Ctx) -> ServiceResult<Vec<DelayRequestRow>> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    if !principal.can(Permission::UpdateApprove, Scope::Platform) {
        return Ok(vec![]);
    }
    let models = delay_request::Entity::find()
        .filter(delay_request::Column::Status.eq(RequestStatus::Pending))
        .order_by_asc(delay_request::Column::RequestedAt)
        .limit(200)
        .all(db)
        .await?;
    to_rows(db, models).await
}

/// How many delay requests await the principal (part of the top bar's badge).
pub async fn pending_count(ctx: &Ctx) -> ServiceResult<u64> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    if !principal.can(Permission::UpdateApprove, Scope::Platform) {
        return Ok(0);
    }
    Ok(delay_request::Entity::find()
        .filter(delay_request::Column::Status.eq(RequestStatus::Pending))
        .filter(
            delay_request::Column::RequestedBy
                .ne(principal.user_id)
                .or(delay_request::Column::RequestedBy.is_null()),
        )
        .count(db)
        .await?)
}

/// Every delay request of one change (already checked readable), newest first.
pub async fn of_change<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    change_id: Uuid,
) -> ServiceResult<Vec<DelayRequestRow>> {
    let mut select =
        delay_request::Entity::find().filter(delay_request::Column::ChangeRequestId.eq(change_id));
    if let TenantScope::Only(ids) = principal.tenant_scope(Permission::TenantRead) {
        select = select.filter(delay_request::Column::TenantId.is_in(ids));
    }
    let models = select
        .order_by_desc(delay_request::Column::RequestedAt)
        .all(conn)
        .await?;
    to_rows(conn, models).await
}

async fn to_rows<C: ConnectionTrait>(
    conn: &C,
    models: Vec<delay_request::Model>,
) -> ServiceResult<Vec<DelayRequestRow>> {
    let change_ids: Vec<Uuid> = models.iter().map(|m| m.change_request_id).collect();
    let titles: HashMap<Uuid, String> = change_request::Entity::find()
        .filter(change_request::Column::Id.is_in(change_ids))
        .select_only()
        .column(change_request::Column::Id)
        .column(change_request::Column::Title)
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let tenants = tenants::names_of(conn, models.iter().map(|m| m.tenant_id)).await?;
    Ok(models
        .into_iter()
        .map(|m| {
            let (slug, name) = tenants.get(&m.tenant_id).cloned().unwrap_or_default();
            let title = titles
                .get(&m.change_request_id)
                .cloned()
                .unwrap_or_default();
            DelayRequestRow {
                id: m.id,
                change_id: m.change_request_id,
                change_title: title,
                tenant_slug: slug,
                tenant_name: name,
                days: m.days,
                reason: m.reason,
                requested_by: m.requested_by,
                status: m.status,
                requester: m.requester_label,
                requested_at: m.requested_at,
                decider: m.decider_label,
                decided_at: m.decided_at,
                comment: m.decision_comment,
            }
        })
        .collect())
}
