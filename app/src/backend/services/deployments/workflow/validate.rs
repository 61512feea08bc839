//! Preparing the idle slot and validating it against the product's health baseline.

use super::*;

pub(in crate::backend::services::deployments) async fn prepare(
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
    // The change the switch carries out lends it its correlation id.
    let correlation_id = match s.change_request_id {
        Some(change) => change_request::Entity::find_by_id(change)
            .one(db)
            .await?
            .and_then(|c| c.correlation_id),
        None => None,
    }
    .unwrap_or_else(|| format!("switch:{}", s.id));
    let order = StepOrder {
        key: format!("switch:{}:prepare", s.id),
        tenant_slug: t.slug.clone(),
        tenant_labels: t.labels.0.clone(),
        kind: "bluegreen".into(),
        step: format!("deploy {} to the {} slot", s.to_version, to.as_str()),
        target_version: Some(s.to_version.clone()),
        attempt: job.attempt,
        rollback: false,
        correlation_id,
        address: Some(match to {
            Slot::Blue => d.blue_url.clone(),
            Slot::Green => d.green_url.clone(),
        }),
        data_snapshot: None,
        secret: None,
        placement: None,
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
                SlotState::Validating,
                Some(SlotHealth::Unknown),
                clock.now(),
            )
            .await?;
            system_event(
                &txn,
                &s,
                SwitchEventKind::Step,
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
pub(in crate::backend::services::deployments) async fn run_baseline<C: ConnectionTrait>(
    conn: &C,
    executor: &dyn Executor,
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
    let t = tenant::Entity::find_by_id(d.tenant_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let run_id = Uuid::new_v4();
    let target = traffic::BaselineTarget {
        address: url,
        tenant_slug: &t.slug,
        tenant_labels: &t.labels.0,
        run_key: format!("baseline:{}:{run_id}", d.id),
        correlation_id: switch_id
            .map_or_else(|| format!("baseline:{run_id}"), |s| format!("switch:{s}")),
        simulated: Some((faults, &version)),
    };
    let results: Vec<CheckResult> = traffic::run_checks(executor, &target, &checks)
        .await
        .into_iter()
        .map(|(result, _)| result)
        .collect();
    let passed = results.iter().all(|r| r.passed);
    health_run::ActiveModel {
        id: Set(run_id),
        deployment_id: Set(d.id),
        switch_id: Set(switch_id),
        tenant_id: Set(d.tenant_id),
        slot: Set(slot),
        at: Set(now),
        passed: Set(passed),
        results: Set(crate::backend::columns::JsonText(results.clone())),
    }
    .insert(conn)
    .await?;
    Ok((passed, results))
}

pub(in crate::backend::services::deployments) fn failures_text(results: &[CheckResult]) -> String {
    results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}", r.name, r.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(in crate::backend::services::deployments) async fn validate(
    db: &DatabaseConnection,
    executor: &dyn Executor,
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
        let (ok, results) = run_baseline(db, executor, d, Some(s.id), to, clock.now()).await?;
        if ok {
            passed = true;
            break;
        }
        last_failure = failures_text(&results);
    }
    // The live slot is checked too, so both slots show their health.
    let from = s.from_slot;
    let (live_healthy, _) = run_baseline(db, executor, d, Some(s.id), from, clock.now()).await?;
    let txn = db.begin().await?;
    let Some((s, d)) = still(&txn, s).await? else {
        return Ok(());
    };
    let live_state = match from {
        Slot::Blue => d.blue_state,
        Slot::Green => d.green_state,
    };
    let live_health = SlotHealth::of(live_healthy);
    set_slot(
        &txn,
        d.id,
        from,
        None,
        live_state,
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
            SlotState::TakingTraffic,
            Some(SlotHealth::Healthy),
            clock.now(),
        )
        .await?;
        system_event(
            &txn,
            &s,
            SwitchEventKind::Step,
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
