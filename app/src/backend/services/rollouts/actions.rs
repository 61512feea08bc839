//! What an operator does to a rollout: approve, pause, resume, retry the
//! failed targets, abort.

use super::*;
use crate::backend::context::Ctx;

/// Pause, resume, abort, retry failed targets, or approve before start.
pub async fn act(ctx: &Ctx, id: Uuid, action: RolloutAction) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(if action == RolloutAction::Approve {
        Permission::UpdateApprove
    } else {
        Permission::UpdateExecute
    })?;
    let txn = db.begin().await?;
    let found = rollout::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if action == RolloutAction::Approve {
        if found.created_by == Some(principal.user_id) {
            return Err(ServiceError::Policy(
                "You created this rollout; someone else must approve it.".into(),
            ));
        }
    }
    let now = ctx.now();
    let RolloutMove {
        to: status,
        clears_halt: clears_reason,
    } = rollout_move(action, found.status).map_err(ServiceError::Conflict)?;
    if action == RolloutAction::RetryFailed {
        rollout_target::Entity::update_many()
            .col_expr(
                rollout_target::Column::Status,
                TargetStatus::Pending.as_str().into(),
            )
            .col_expr(
                rollout_target::Column::ChangeRequestId,
                Option::<Uuid>::None.into(),
            )
            .filter(rollout_target::Column::RolloutId.eq(id))
            .filter(rollout_target::Column::Status.eq(TargetStatus::Failed))
            .exec(&txn)
            .await?;
    }
    if action == RolloutAction::Abort {
        // Targets not started never will be; running ones finish their change.
        rollout_target::Entity::update_many()
            .col_expr(
                rollout_target::Column::Status,
                TargetStatus::Skipped.as_str().into(),
            )
            .filter(rollout_target::Column::RolloutId.eq(id))
            .filter(rollout_target::Column::Status.eq(TargetStatus::Pending))
            .exec(&txn)
            .await?;
    }
    let mut update = rollout::Entity::update_many()
        .col_expr(rollout::Column::Status, status.as_str().into())
        .col_expr(rollout::Column::UpdatedAt, now.into());
    if clears_reason {
        update = update.col_expr(rollout::Column::HaltReason, Option::<String>::None.into());
    }
    if status == RolloutStatus::Aborted {
        update = update.col_expr(rollout::Column::FinishedAt, Some(now).into());
    }
    if action == RolloutAction::RetryFailed {
        update = update.col_expr(
            rollout::Column::FinishedAt,
            Option::<DateTime<Utc>>::None.into(),
        );
    }
    update.filter(rollout::Column::Id.eq(id)).exec(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), action_audit(action), "rollout")
            .target(id)
            .details(json!({ "before": found.status.as_str(), "after": status.as_str() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub(super) fn action_audit(action: RolloutAction) -> &'static str {
    match action {
        RolloutAction::Approve => "rollout.approve",
        RolloutAction::Pause => "rollout.pause",
        RolloutAction::Resume => "rollout.resume",
        RolloutAction::Abort => "rollout.abort",
        RolloutAction::RetryFailed => "rollout.retry_failed",
    }
}

/// Reads an action word from a form or a request body.
pub fn parse_action(raw: &str) -> ServiceResult<RolloutAction> {
    RolloutAction::parse(raw).ok_or_else(|| {
        let mut errors = FieldErrors::default();
        errors.push(
            "action",
            "Choose approve, pause, resume, abort or retry_failed.",
        );
        ServiceError::Validation(errors)
    })
}
