//! Advancing rollouts (no principal: the system acts): start the next
//! targets of the current wave, judge each finished wave, halt or go on.

use super::*;

/// Advances every rollout that is due (scheduler round).
pub async fn advance_all(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<()> {
    let ids: Vec<Uuid> = rollout::Entity::find()
        .filter(
            rollout::Column::Status
                .eq(RolloutStatus::Running)
                .or(rollout::Column::Status.eq(RolloutStatus::Scheduled).and(
                    rollout::Column::StartAt
                        .is_null()
                        .or(rollout::Column::StartAt.lte(now)),
                )),
        )
        .select_only()
        .column(rollout::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for id in ids {
        let txn = db.begin().await?;
        advance(&txn, id, now).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// One controller step for one rollout, under its row lock (PostgreSQL) or
/// the single writer (SQLite), so two replicas never both start a target.
pub(super) async fn advance(
    txn: &DatabaseTransaction,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let mut select = rollout::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    let Some(mut current) = select.one(txn).await? else {
        return Ok(());
    };
    if current.status == RolloutStatus::Scheduled {
        current.status = RolloutStatus::Running;
        current.started_at = Some(now);
        rollout::Entity::update_many()
            .col_expr(
                rollout::Column::Status,
                RolloutStatus::Running.as_str().into(),
            )
            .col_expr(rollout::Column::StartedAt, Some(now).into())
            .filter(rollout::Column::Id.eq(id))
            .exec(txn)
            .await?;
        system_audit(txn, "rollout.start", id, json!({})).await?;
    } else if current.status != RolloutStatus::Running {
        return Ok(());
    } else if current.started_at.is_none() {
        // Paused (or approved) before it ever started: it starts now.
        rollout::Entity::update_many()
            .col_expr(rollout::Column::StartedAt, Some(now).into())
            .filter(rollout::Column::Id.eq(id))
            .exec(txn)
            .await?;
    }
    let waves = last_wave(txn, id).await?;
    let thresholds = Thresholds {
        success_percent: std::cmp::max(current.success_threshold, 0) as u32,
        error_percent: std::cmp::max(current.error_threshold, 0) as u32,
    };
    loop {
        let progress = wave_progress(txn, id, current.current_wave).await?;
        match wave_decision(current.current_wave as u32, &progress, &thresholds) {
            WaveDecision::Halt { reason } => {
                let status = if current.on_error == "stop" {
                    RolloutStatus::Stopped
                } else {
                    RolloutStatus::Paused
                };
                let mut update = rollout::Entity::update_many()
                    .col_expr(rollout::Column::Status, status.as_str().into())
                    .col_expr(rollout::Column::HaltReason, Some(reason.clone()).into())
                    .col_expr(rollout::Column::UpdatedAt, now.into());
                if status == RolloutStatus::Stopped {
                    update = update.col_expr(rollout::Column::FinishedAt, Some(now).into());
                }
                update.filter(rollout::Column::Id.eq(id)).exec(txn).await?;
                system_audit(
                    txn,
                    "rollout.halt",
                    id,
                    json!({ "reason": reason, "status": status }),
                )
                .await?;
                return Ok(());
            }
            WaveDecision::Advance if current.current_wave < waves => {
                current.current_wave += 1;
                rollout::Entity::update_many()
                    .col_expr(rollout::Column::CurrentWave, current.current_wave.into())
                    .col_expr(rollout::Column::UpdatedAt, now.into())
                    .filter(rollout::Column::Id.eq(id))
                    .exec(txn)
                    .await?;
                system_audit(
                    txn,
                    "rollout.wave_start",
                    id,
                    json!({ "wave": current.current_wave }),
                )
                .await?;
            }
            WaveDecision::Advance => {
                rollout::Entity::update_many()
                    .col_expr(
                        rollout::Column::Status,
                        RolloutStatus::Succeeded.as_str().into(),
                    )
                    .col_expr(rollout::Column::FinishedAt, Some(now).into())
                    .col_expr(rollout::Column::UpdatedAt, now.into())
                    .filter(rollout::Column::Id.eq(id))
                    .exec(txn)
                    .await?;
                system_audit(txn, "rollout.succeeded", id, json!({})).await?;
                return Ok(());
            }
            WaveDecision::Continue => {
                return start_targets(txn, &current, now).await;
            }
        }
    }
}

pub(super) async fn last_wave(txn: &DatabaseTransaction, id: Uuid) -> ServiceResult<i32> {
    let max: Option<i32> = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(id))
        .select_only()
        .column_as(rollout_target::Column::Wave.max(), "w")
        .into_tuple()
        .one(txn)
        .await?
        .flatten();
    Ok(max.unwrap_or(1))
}

/// Starts pending targets of the current wave while fewer than `concurrency`
/// targets of the rollout run. Each start is a change request with its job,
/// written in this transaction.
pub(super) async fn start_targets(
    txn: &DatabaseTransaction,
    current: &rollout::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let running = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(current.id))
        .filter(rollout_target::Column::Status.eq(TargetStatus::Running))
        .count_rows(txn)
        .await?;
    let free = (std::cmp::max(current.concurrency, 1) as u64).saturating_sub(running);
    if free == 0 {
        return Ok(());
    }
    let version =
        semver::Version::parse(&current.target_version).map_err(ServiceError::internal)?;
    if current.scope == ENDPOINTS {
        // Endpoints install themselves: an assigned target is "running" until
        // its agent reports the result (GET/POST /api/v1/agents/assignments).
        let next = rollout_target::Entity::find()
            .filter(rollout_target::Column::RolloutId.eq(current.id))
            .filter(rollout_target::Column::Wave.eq(current.current_wave))
            .filter(rollout_target::Column::Status.eq(TargetStatus::Pending))
            .order_by_asc(rollout_target::Column::Position)
            .limit(free)
            .all(txn)
            .await?;
        let mut assigned = vec![];
        for target in next {
            // Policy before action: no agent is handed a release its
            // tenant's version policy refuses.
            if !fail_if_policy_refuses(txn, current, &target, &version, now).await? {
                assigned.push(target.id);
            }
        }
        rollout_target::Entity::update_many()
            .col_expr(
                rollout_target::Column::Status,
                TargetStatus::Running.as_str().into(),
            )
            .col_expr(rollout_target::Column::StartedAt, Some(now).into())
            .filter(rollout_target::Column::Id.is_in(assigned))
            .exec(txn)
            .await?;
        return Ok(());
    }
    let next = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(current.id))
        .filter(rollout_target::Column::Wave.eq(current.current_wave))
        .filter(rollout_target::Column::Status.eq(TargetStatus::Pending))
        .order_by_asc(rollout_target::Column::Position)
        .limit(free)
        .all(txn)
        .await?;
    if next.is_empty() {
        return Ok(());
    }
    let tenants: HashMap<Uuid, tenant::Model> = tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(next.iter().map(|t| t.tenant_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let actor = Actor::System("rollout");
    for target in next {
        let Some(found) = tenants.get(&target.tenant_id) else {
            continue;
        };
        // Policy before action: a tenant whose version policy refuses the
        // release (end of life, outside its range) fails with the rule named.
        if fail_if_policy_refuses(txn, current, &target, &version, now).await? {
            continue;
        }
        let change = changes::insert(
            txn,
            &actor,
            NewChange {
                tenant: found.clone(),
                kind: ChangeKind::Upgrade,
                product_id: Some(current.product_id),
                target_version: Some(current.target_version.clone()),
                target_plan: None,
                title: format!(
                    "Upgrade {} to {} (rollout {})",
                    found.slug, current.target_version, current.name
                ),
                status: ChangeStatus::Running,
                requires_approval: false,
                not_before: None,
                next_start: Some((
                    now,
                    format!("Wave {} of rollout {}", current.current_wave, current.name),
                )),
                rollout_id: Some(current.id),
                target_filter: None,
                by_vendor: true,
                correlation_id: None,
                model: None,
            },
            now,
        )
        .await?;
        rollout_target::Entity::update_many()
            .col_expr(
                rollout_target::Column::Status,
                TargetStatus::Running.as_str().into(),
            )
            .col_expr(
                rollout_target::Column::ChangeRequestId,
                Some(change.id).into(),
            )
            .col_expr(rollout_target::Column::StartedAt, Some(now).into())
            .filter(rollout_target::Column::Id.eq(target.id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Fails a target whose tenant's version policy refuses the rollout's release
/// (end of life, outside its range), with the rule named; true when it did.
async fn fail_if_policy_refuses(
    txn: &DatabaseTransaction,
    current: &rollout::Model,
    target: &rollout_target::Model,
    version: &semver::Version,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let Some(refusal) =
        changes::policy_refusal(txn, target.tenant_id, current.product_id, version, now).await?
    else {
        return Ok(false);
    };
    rollout_target::Entity::update_many()
        .col_expr(
            rollout_target::Column::Status,
            TargetStatus::Failed.as_str().into(),
        )
        .col_expr(rollout_target::Column::LastError, Some(refusal).into())
        .col_expr(rollout_target::Column::StartedAt, Some(now).into())
        .col_expr(rollout_target::Column::FinishedAt, Some(now).into())
        .filter(rollout_target::Column::Id.eq(target.id))
        .exec(txn)
        .await?;
    Ok(true)
}
