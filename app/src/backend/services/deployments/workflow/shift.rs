//! Shifting traffic step by step while watching the new slot's readings.

use super::*;

pub(in crate::backend::services::deployments) async fn shift(
    db: &DatabaseConnection,
    executor: &dyn Executor,
    job: &ClaimedJob,
    s: &deployment_switch::Model,
    d: &edge_deployment::Model,
    monitor: &mut Monitor,
    clock: &dyn Clock,
) -> ServiceResult<()> {
    let (from, to) = (s.from_slot, s.to_slot);
    let steps = s.steps.to_vec();
    let index = s.step_index.clamp(0, steps.len() as i32 - 1);
    let percent = steps[index as usize];
    let target = router_target(d);
    let router = traffic::router_for(d.router_kind);

    if monitor.applied_step != Some(index) {
        // (Re)apply this step's weights: the router may have restarted too,
        // and the same weights again never move traffic back.
        let txn = db.begin().await?;
        let Some((s, d)) = still(&txn, s).await? else {
            return Ok(());
        };
        route(&txn, &d, to, percent, clock.now()).await?;
        let first = s.step_started_at.is_none();
        if first {
            deployment_switch::Entity::update_many()
                .col_expr(
                    deployment_switch::Column::StepStartedAt,
                    Some(clock.now()).into(),
                )
                .col_expr(deployment_switch::Column::UpdatedAt, clock.now().into())
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
        system_event(&txn, &s, SwitchEventKind::Step, message, clock.now()).await?;
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
    let (passed, results) = run_baseline(db, executor, d, Some(s.id), to, clock.now()).await?;
    let thresholds: Thresholds = s.thresholds.0.clone();

    let txn = db.begin().await?;
    let Some((s, d)) = still(&txn, s).await? else {
        return Ok(());
    };
    let failures = if passed {
        0
    } else {
        s.consecutive_failures + 1
    };
    let now = clock.now();
    let (blue_weight, green_weight) = bluegreen::weights(to, percent);
    for (slot, stats) in [(to, candidate), (from, live)] {
        traffic_sample::ActiveModel {
            id: Set(Uuid::new_v4()),
            deployment_id: Set(d.id),
            switch_id: Set(s.id),
            tenant_id: Set(d.tenant_id),
            at: Set(now),
            slot: Set(slot),
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
            SwitchEventKind::Health,
            format!(
                "Health check failed on {} ({failures} in a row): {}",
                to.label().to_lowercase(),
                failures_text(&results)
            ),
            clock.now(),
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
            end(
                &txn,
                &s,
                &d,
                SwitchStatus::RolledBack,
                &reason,
                true,
                clock.now(),
            )
            .await?;
            txn.commit().await?;
            return Ok(());
        }
        Verdict::TooLittleTraffic => {
            if !monitor.noted_waiting {
                monitor.noted_waiting = true;
                system_event(&txn, &s, SwitchEventKind::Note, format!(
                        "Too little traffic to judge {} ({} requests in {} s, at least {} needed): the step waits for traffic.",
                        to.label().to_lowercase(),
                        candidate.requests,
                        s.interval_seconds,
                        thresholds.min_requests
                    ), clock.now())
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
                complete(&txn, &s, &d, clock.now()).await?;
                txn.commit().await?;
                crate::backend::services::changes::reassess_tenant(db, d.tenant_id, clock.now())
                    .await;
                return Ok(());
            }
        }
    }
    txn.commit().await?;
    Ok(())
}
