//! What an operator does to a rollout: approve, pause, resume, retry the
//! failed targets, abort.

use super::*;

/// Pause, resume, abort, retry failed targets, or approve before start.
pub async fn act(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
    action: &str,
) -> ServiceResult<()> {
    principal.require(if action == "approve" {
        Permission::UpdateApprove
    } else {
        Permission::UpdateExecute
    })?;
    let txn = db.begin().await?;
    let found = rollout::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if action == "approve" {
        if found.created_by == Some(principal.user_id) {
            return Err(ServiceError::Policy(
                "You created this rollout; someone else must approve it.".into(),
            ));
        }
    }
    let now = Utc::now();
    let RolloutMove {
        to: status,
        clears_halt: clears_reason,
    } = rollout_move(action, &found.status).map_err(|refusal| match refusal {
        Some(sentence) => ServiceError::Conflict(sentence),
        None => {
            let mut errors = FieldErrors::default();
            errors.push(
                "action",
                "Choose approve, pause, resume, abort or retry_failed.",
            );
            ServiceError::Validation(errors)
        }
    })?;
    if action == "retry_failed" {
        rollout_target::Entity::update_many()
            .col_expr(rollout_target::Column::Status, "pending".into())
            .col_expr(
                rollout_target::Column::ChangeRequestId,
                Option::<Uuid>::None.into(),
            )
            .filter(rollout_target::Column::RolloutId.eq(id))
            .filter(rollout_target::Column::Status.eq("failed"))
            .exec(&txn)
            .await?;
    }
    if action == "abort" {
        // Targets not started never will be; running ones finish their change.
        rollout_target::Entity::update_many()
            .col_expr(rollout_target::Column::Status, "skipped".into())
            .filter(rollout_target::Column::RolloutId.eq(id))
            .filter(rollout_target::Column::Status.eq("pending"))
            .exec(&txn)
            .await?;
    }
    let mut update = rollout::Entity::update_many()
        .col_expr(rollout::Column::Status, status.into())
        .col_expr(rollout::Column::UpdatedAt, now.into());
    if clears_reason {
        update = update.col_expr(rollout::Column::HaltReason, Option::<String>::None.into());
    }
    if status == ABORTED {
        update = update.col_expr(rollout::Column::FinishedAt, Some(now).into());
    }
    if action == "retry_failed" {
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
            .details(json!({ "before": found.status, "after": status })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub(super) fn action_audit(action: &str) -> &'static str {
    match action {
        "approve" => "rollout.approve",
        "pause" => "rollout.pause",
        "resume" => "rollout.resume",
        "abort" => "rollout.abort",
        _ => "rollout.retry_failed",
    }
}
