//! Ending a switch: completed, failed or rolled back, and the job's last failure.

use super::*;

/// Ends a switch by the workflow's own decision: failed or rolled back.
/// Traffic goes back to the old slot when it had moved.
pub(in crate::backend::services::deployments) async fn end(
    txn: &DatabaseTransaction,
    s: &deployment_switch::Model,
    d: &edge_deployment::Model,
    status: SwitchStatus,
    reason: &str,
    traffic_moved: bool,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let (from, to) = (s.from_slot, s.to_slot);
    if traffic_moved {
        route(txn, d, from, 100, now).await?;
    }
    set_slot(
        txn,
        d.id,
        to,
        None,
        SlotState::Failed,
        Some(SlotHealth::Unhealthy),
        now,
    )
    .await?;
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
    system_event(txn, &s, SwitchEventKind::Decision, reason.to_string(), now).await?;
    crate::backend::services::changes::switch_ended(
        txn,
        s.change_request_id,
        status,
        reason,
        traffic_moved,
        now,
    )
    .await?;
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

pub(in crate::backend::services::deployments) async fn complete(
    txn: &DatabaseTransaction,
    s: &deployment_switch::Model,
    d: &edge_deployment::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let (from, to) = (s.from_slot, s.to_slot);
    edge_deployment::Entity::update_many()
        .col_expr(edge_deployment::Column::LiveSlot, to.as_str().into())
        .filter(edge_deployment::Column::Id.eq(d.id))
        .exec(txn)
        .await?;
    set_slot(
        txn,
        d.id,
        to,
        None,
        SlotState::Live,
        Some(SlotHealth::Healthy),
        now,
    )
    .await?;
    set_slot(txn, d.id, from, None, SlotState::Standby, None, now).await?;
    // The tenant runs the new version now (compliance is re-assessed once
    // this commits).
    crate::backend::services::changes::record_running_version(
        txn,
        d.tenant_id,
        d.product_id,
        &s.to_version,
        &Actor::System("bluegreen"),
        now,
    )
    .await?;
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
    let summary = format!(
        "Completed: {} live on {}; {} on standby with {} kept for an instant rollback.",
        s.to_version,
        to.label().to_lowercase(),
        from.label().to_lowercase(),
        s.from_version.clone().unwrap_or_default()
    );
    system_event(txn, &s, SwitchEventKind::Decision, summary.clone(), now).await?;
    crate::backend::services::changes::switch_ended(
        txn,
        s.change_request_id,
        SwitchStatus::Completed,
        &summary,
        true,
        now,
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
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Ok(order) = serde_json::from_value::<SwitchJob>(job.payload.clone()) else {
        return Ok(());
    };
    let s = lock_switch(txn, order.switch_id).await?;
    if !s.status.is_active() {
        return Ok(());
    }
    let d = lock_deployment(txn, s.deployment_id).await?;
    let reason = format!("The switch workflow gave up after repeated errors: {error}");
    let moved = s.step_index >= 0;
    match end(txn, &s, &d, SwitchStatus::Failed, &reason, moved, now).await {
        Err(ServiceError::Conflict(router)) => {
            // The router is unreachable: record the failure without moving traffic.
            end(
                txn,
                &s,
                &d,
                SwitchStatus::Failed,
                &format!("{reason} ({router})"),
                false,
                now,
            )
            .await
        }
        other => other,
    }
}
