//! Running a switch as a durable job: prepare the idle slot, validate it
//! against the health baseline, shift traffic in baked and monitored steps,
//! and complete or roll back.

use super::*;

// ------------------------------------------------------------------ the workflow

/// What this run of the workflow knows that the database does not: the last
/// router reading, and whether the current step was judged healthy since the
/// run started (a restarted run judges afresh before advancing).
#[derive(Default)]
pub(super) struct Monitor {
    applied_step: Option<i32>,
    last: Option<Readings>,
    judged_healthy: bool,
    noted_waiting: bool,
}

/// Runs a switch's workflow until it pauses, completes or ends.
pub async fn run_switch(
    db: &DatabaseConnection,
    executor: &dyn Executor,
    job: &ClaimedJob,
    clock: &dyn Clock,
) -> Result<(), String> {
    let order: SwitchJob =
        serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad payload: {e}"))?;
    let mut monitor = Monitor::default();
    loop {
        let s = deployment_switch::Entity::find_by_id(order.switch_id)
            .one(db)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the switch is gone")?;
        if s.generation != order.generation {
            return Ok(()); // a resume started a newer run
        }
        let d = edge_deployment::Entity::find_by_id(s.deployment_id)
            .one(db)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the deployment is gone")?;
        let outcome = match s.status {
            SwitchStatus::Preparing => prepare(db, executor, job, &s, &d, clock).await,
            SwitchStatus::Validating => validate(db, &s, &d, clock).await,
            SwitchStatus::Shifting => shift(db, job, &s, &d, &mut monitor, clock).await,
            _ => return Ok(()),
        };
        outcome.map_err(|e| e.to_string())?;
    }
}

/// The switch as it is now, under its lock, if it is still where the
/// workflow left it (same status, step and generation). A person may have
/// paused, promoted or rolled it back meanwhile: then the workflow stands
/// aside.
pub(super) async fn still(
    txn: &DatabaseTransaction,
    seen: &deployment_switch::Model,
) -> ServiceResult<Option<(deployment_switch::Model, edge_deployment::Model)>> {
    let d = lock_deployment(txn, seen.deployment_id).await?;
    let s = lock_switch(txn, seen.id).await?;
    let unchanged = s.status == seen.status
        && s.step_index == seen.step_index
        && s.generation == seen.generation;
    Ok(unchanged.then_some((s, d)))
}

pub(super) async fn prepare(
    db: &DatabaseConnection,
    executor: &dyn Executor,
    job: &ClaimedJob,
    s: &deployment_switch::Model,
    d: &edge_deployment::Model,
    clock: &dyn Clock,
) -> ServiceResult<()> {
    let to = s.to_slot;
    let t = tenant::Entity::find_by_id(d.tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let order = StepOrder {
        key: format!("switch:{}:prepare", s.id),
        tenant_slug: t.slug.clone(),
        tenant_labels: t.labels.0.clone(),
        kind: "bluegreen".into(),
        step: format!("deploy {} to the {} slot", s.to_version, to.as_str()),
        target_version: Some(s.to_version.clone()),
        attempt: job.attempt,
    };
    let outcome = executor.run_step(&order).await;
    let txn = db.begin().await?;
    let Some((s, d)) = still(&txn, s).await? else {
        return Ok(());
    };
    match outcome {
        Ok(output) => {
            deployment_switch::Entity::update_many()
                .col_expr(
                    deployment_switch::Column::Status,
                    SwitchStatus::Validating.as_str().into(),
                )
                .col_expr(deployment_switch::Column::UpdatedAt, clock.now().into())
                .filter(deployment_switch::Column::Id.eq(s.id))
                .exec(&txn)
                .await?;
            set_slot(
                &txn,
                d.id,
                to,
                None,
                VALIDATING,
                Some("unknown"),
                clock.now(),
            )
            .await?;
            system_event(
                &txn,
                &s,
                "step",
                format!(
                    "Prepared: {} deployed to {} ({}).",
                    s.to_version,
                    to.label().to_lowercase(),
                    output.trim()
                ),
                clock.now(),
            )
            .await?;
            audit::record(
                &txn,
                &RequestContext::default(),
                system_entry("deployment.prepared", &d).details(
                    json!({ "switch": s.id, "version": s.to_version, "slot": to.as_str() }),
                ),
            )
            .await?;
        }
        Err(error) => {
            let reason = format!(
                "Preparing {} failed: {error}. Traffic never left {}.",
                to.label().to_lowercase(),
                s.from_slot.label().to_lowercase()
            );
            end(
                &txn,
                &s,
                &d,
                SwitchStatus::Failed,
                &reason,
                false,
                clock.now(),
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Runs the product's baseline against one slot and records the run.
pub(super) async fn run_baseline<C: ConnectionTrait>(
    conn: &C,
    d: &edge_deployment::Model,
    switch_id: Option<Uuid>,
    slot: Slot,
    now: DateTime<Utc>,
) -> ServiceResult<(bool, Vec<CheckResult>)> {
    let checks = baseline_checks(conn, d.product_id).await?;
    let simulation = simulation_of(d);
    let (url, faults, version) = match slot {
        Slot::Blue => (&d.blue_url, &simulation.blue, d.blue_version.clone()),
        Slot::Green => (&d.green_url, &simulation.green, d.green_version.clone()),
    };
    let version = version.unwrap_or_default();
    let mut results = Vec::with_capacity(checks.len());
    for check in &checks {
        let answer = traffic::probe(&outbound::http(), url, check, Some((faults, &version))).await;
        results.push(health::judge(check, &answer));
    }
    let passed = results.iter().all(|r| r.passed);
    health_run::ActiveModel {
        id: Set(Uuid::new_v4()),
        deployment_id: Set(d.id),
        switch_id: Set(switch_id),
        tenant_id: Set(d.tenant_id),
        slot: Set(slot.as_str().into()),
        at: Set(now),
        passed: Set(passed),
        results: Set(crate::backend::columns::JsonText(results.clone())),
    }
    .insert(conn)
    .await?;
    Ok((passed, results))
}

pub(super) fn failures_text(results: &[CheckResult]) -> String {
    results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}", r.name, r.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) async fn validate(
    db: &DatabaseConnection,
    s: &deployment_switch::Model,
    d: &edge_deployment::Model,
    clock: &dyn Clock,
) -> ServiceResult<()> {
    let to = s.to_slot;
    let thresholds: Thresholds = s.thresholds.0.clone();
    let pause = Duration::from_secs(s.interval_seconds.clamp(1, 10) as u64);
    // A fresh slot may need a moment: it gets as many tries as the
    // consecutive-failure limit allows.
    let mut last_failure = String::new();
    let mut passed = false;
    for attempt in 0..thresholds.max_consecutive_failures.max(1) {
        if attempt > 0 {
            tokio::time::sleep(pause).await;
        }
        let (ok, results) = run_baseline(db, d, Some(s.id), to, clock.now()).await?;
        if ok {
            passed = true;
            break;
        }
        last_failure = failures_text(&results);
    }
    // The live slot is checked too, so both slots show their health.
    let from = s.from_slot;
    let (live_healthy, _) = run_baseline(db, d, Some(s.id), from, clock.now()).await?;
    let txn = db.begin().await?;
    let Some((s, d)) = still(&txn, s).await? else {
        return Ok(());
    };
    let live_state = match from {
        Slot::Blue => d.blue_state.clone(),
        Slot::Green => d.green_state.clone(),
    };
    let live_health = if live_healthy { "healthy" } else { "unhealthy" };
    set_slot(
        &txn,
        d.id,
        from,
        None,
        &live_state,
        Some(live_health),
        clock.now(),
    )
    .await?;
    if passed {
        deployment_switch::Entity::update_many()
            .col_expr(
                deployment_switch::Column::Status,
                SwitchStatus::Shifting.as_str().into(),
            )
            .col_expr(deployment_switch::Column::StepIndex, 0.into())
            .col_expr(
                deployment_switch::Column::StepStartedAt,
                Option::<DateTime<Utc>>::None.into(),
            )
            .col_expr(deployment_switch::Column::UpdatedAt, clock.now().into())
            .filter(deployment_switch::Column::Id.eq(s.id))
            .exec(&txn)
            .await?;
        set_slot(
            &txn,
            d.id,
            to,
            None,
            TAKING_TRAFFIC,
            Some("healthy"),
            clock.now(),
        )
        .await?;
        system_event(
            &txn,
            &s,
            "step",
            format!(
                "Validated: {} passed the health baseline.",
                to.label().to_lowercase()
            ),
            clock.now(),
        )
        .await?;
        audit::record(
            &txn,
            &RequestContext::default(),
            system_entry("deployment.validated", &d)
                .details(json!({ "switch": s.id, "slot": to.as_str() })),
        )
        .await?;
    } else {
        let reason = format!(
            "Validation failed on {}: {last_failure}. Traffic never left {}.",
            to.label().to_lowercase(),
            s.from_slot.label().to_lowercase()
        );
        end(
            &txn,
            &s,
            &d,
            SwitchStatus::Failed,
            &reason,
            false,
            clock.now(),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Ends a switch by the workflow's own decision: failed or rolled back.
/// Traffic goes back to the old slot when it had moved.
pub(super) async fn end(
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
    set_slot(txn, d.id, to, None, FAILED, Some("unhealthy"), now).await?;
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
    system_event(txn, &s, "decision", reason.to_string(), now).await?;
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

pub(super) async fn shift(
    db: &DatabaseConnection,
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
    let router = traffic::router_for(&d.router_kind);

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
        system_event(&txn, &s, "step", message, clock.now()).await?;
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
    let (passed, results) = run_baseline(db, d, Some(s.id), to, clock.now()).await?;
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
            slot: Set(slot.as_str().into()),
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
            "health",
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
                system_event(&txn, &s, "note", format!(
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
            }
        }
    }
    txn.commit().await?;
    Ok(())
}

pub(super) async fn complete(
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
    set_slot(txn, d.id, to, None, LIVE, Some("healthy"), now).await?;
    set_slot(txn, d.id, from, None, STANDBY, None, now).await?;
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
    system_event(
        txn,
        &s,
        "decision",
        format!(
            "Completed: {} live on {}; {} on standby with {} kept for an instant rollback.",
            s.to_version,
            to.label().to_lowercase(),
            from.label().to_lowercase(),
            s.from_version.clone().unwrap_or_default()
        ),
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
