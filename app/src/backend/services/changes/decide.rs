//! Deciding on changes: approve, reject, cancel, and the approvals inbox.

use super::*;
use crate::backend::context::Ctx;
use crate::domain::changes::decision::ChangeDecision;

/// Approves or rejects a change awaiting a decision. The tenant's approvers
/// (and platform approvers) decide; never the person who asked.
pub async fn decide(ctx: &Ctx, id: Uuid, decision: &str, comment: &str) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::UpdateApprove)?;
    let decision = Decision::parse(decision, comment)?;
    let approve = decision.approves();
    let comment = decision.comment.as_deref().unwrap_or_default();
    let txn = db.begin().await?;
    let found = find_visible(&txn, principal, id).await?;
    principal.require_on_tenant(Permission::UpdateApprove, found.tenant_id)?;
    check_decider(found.requested_by, principal.user_id).map_err(ServiceError::Policy)?;
    if !approve {
        may_stop_change(
            found.requested_by_vendor,
            acts_for_vendor(&principal.grants),
        )
        .map_err(ServiceError::Policy)?;
    }
    if found.status != ChangeStatus::PendingApproval {
        return Err(ServiceError::Conflict(format!(
            "This change is {} and no longer awaits a decision.",
            found.status.label().to_lowercase()
        )));
    }
    let now = ctx.now();
    change_decision::ActiveModel {
        id: Set(Uuid::new_v4()),
        change_request_id: Set(id),
        tenant_id: Set(found.tenant_id),
        decision: Set(if approve {
            ChangeDecision::Approved
        } else {
            ChangeDecision::Rejected
        }),
        decided_by: Set(principal.user_id),
        decider_label: Set(principal.email.clone()),
        comment: Set(comment.to_owned()),
        decided_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let tenant_id = found.tenant_id;
    let mut record: change_request::ActiveModel = found.clone().into();
    if approve {
        let schedule = update_policy::schedule_for(&txn, tenant_id, ctx.now()).await?;
        let (at, why) = update_policy::next_start(
            &schedule,
            std::cmp::max(found.not_before.unwrap_or(now), now),
        );
        record.status = Set(ChangeStatus::Scheduled);
        record.next_start_at = Set(Some(at));
        record.schedule_reason = Set(why);
    } else {
        record.status = Set(ChangeStatus::Cancelled);
        record.outcome = Set(Some(format!("Rejected by {}: {comment}", principal.email)));
        record.finished_at = Set(Some(now));
    }
    record.updated_at = Set(now);
    let decided = record.update(&txn).await?;
    if !approve {
        let outcome = decided.outcome.clone().unwrap_or_default();
        ended_elsewhere(&txn, &decided, ChangeStatus::Cancelled, &outcome, now).await?;
    }
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            if approve {
                "change.approve"
            } else {
                "change.reject"
            },
            "change_request",
        )
        .target(id)
        .tenant(tenant_id)
        .details(json!({ "comment": comment })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Cancels a change that has not started.
pub async fn cancel(ctx: &Ctx, id: Uuid) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let txn = db.begin().await?;
    let found = find_visible(&txn, principal, id).await?;
    let kind = found.kind;
    let may = principal.can(request_permission(kind), Scope::Tenant(found.tenant_id))
        || principal.can(Permission::UpdateApprove, Scope::Tenant(found.tenant_id));
    if !may {
        return Err(ServiceError::Forbidden);
    }
    may_stop_change(
        found.requested_by_vendor,
        acts_for_vendor(&principal.grants),
    )
    .map_err(ServiceError::Policy)?;
    let status = found.status;
    if !status.can_move_to(ChangeStatus::Cancelled) {
        return Err(ServiceError::Conflict(format!(
            "This change is {} and can no longer be cancelled.",
            status.label().to_lowercase()
        )));
    }
    if status == ChangeStatus::Running
        && let Some(deployment) =
            crate::backend::services::deployments::switch_in_progress_for(&txn, found.id).await?
    {
        // Traffic may be split: only the switch's own abort or rollback puts
        // it back safely (and then ends this change).
        return Err(ServiceError::Conflict(format!(
            "This change is a blue-green switch in progress; abort or roll it back on its deployment page (/deployments/{deployment})."
        )));
    }
    if status == ChangeStatus::Running && kind == ChangeKind::Migrate {
        // Stopped between steps, a migration would leave a half-built
        // target (or, after its cut-over, an uncleaned source) behind.
        return Err(ServiceError::Conflict(
            "A migration under way cannot be cancelled between its steps: a failure before its cut-over tears the target down by itself; wait for it to end.".into(),
        ));
    }
    if status == ChangeStatus::Running && kind == ChangeKind::RestoreTest {
        // Stopped between steps, a drill would leave its scratch target
        // (a copy of the tenant's data) standing.
        return Err(ServiceError::Conflict(
            "A restore test under way cannot be cancelled between its steps: it tears its scratch target down when it ends, passed or failed; wait for it.".into(),
        ));
    }
    let now = ctx.now();
    let tenant_id = found.tenant_id;
    let mut record: change_request::ActiveModel = found.into();
    record.status = Set(ChangeStatus::Cancelled);
    record.outcome = Set(Some(format!("Cancelled by {}", principal.email)));
    record.finished_at = Set(Some(now));
    record.updated_at = Set(now);
    let cancelled = record.update(&txn).await?;
    let outcome = cancelled.outcome.clone().unwrap_or_default();
    ended_elsewhere(&txn, &cancelled, ChangeStatus::Cancelled, &outcome, now).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "change.cancel", "change_request")
            .target(id)
            .tenant(tenant_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The approvals inbox: changes awaiting a decision the principal may take
/// (never their own requests), oldest first.
pub async fn approvals(ctx: &Ctx) -> ServiceResult<ChangePage> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    if !principal.grants.allows_somewhere(Permission::UpdateApprove) {
        return Ok(ChangePage {
            rows: vec![],
            total: 0,
            page: 1,
            per_page: 200,
        });
    }
    let mut select = change_request::Entity::find()
        .filter(change_request::Column::Status.eq(ChangeStatus::PendingApproval.as_str()))
        .filter(
            change_request::Column::RequestedBy
                .ne(principal.user_id)
                .or(change_request::Column::RequestedBy.is_null()),
        );
    if let TenantScope::Only(ids) = principal.tenant_scope(Permission::UpdateApprove) {
        select = select.filter(change_request::Column::TenantId.is_in(ids));
    }
    let models = select
        .order_by_asc(change_request::Column::CreatedAt)
        .limit(200)
        .all(db)
        .await?;
    let total = models.len() as u64;
    Ok(ChangePage {
        rows: to_rows(db, models).await?,
        total,
        page: 1,
        per_page: 200,
    })
}
