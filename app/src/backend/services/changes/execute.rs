//! Scheduling and execution (no principal: the system acts): due changes
//! become jobs, each job runs the change's steps through the executor and
//! applies its effect.

use super::*;

// ---- Scheduling and execution (no principal: the system acts) ------------

/// Starts scheduled changes whose time has come: if the tenant's window is
/// open now (and no blackout began since they were scheduled) they move to
/// running and get their job; otherwise their next start is recomputed.
/// Each change moves in its own short transaction; the status condition makes
/// a second replica's identical attempt a no-op.
pub async fn dispatch_due(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<usize> {
    let due = change_request::Entity::find()
        .filter(change_request::Column::Status.eq(ChangeStatus::Scheduled.as_str()))
        .filter(change_request::Column::NextStartAt.lte(now))
        .order_by_asc(change_request::Column::NextStartAt)
        .limit(200)
        .all(db)
        .await?;
    let mut started = 0;
    for change in due {
        started += usize::from(dispatch_one(db, change, now).await?);
    }
    Ok(started)
}

/// Starts one change when it is due (the change page's or a switch's
/// "now", without waiting for the scheduler's next round).
pub async fn start_if_due(
    db: &DatabaseConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    match change_request::Entity::find_by_id(id).one(db).await? {
        Some(change)
            if change.status == ChangeStatus::Scheduled
                && change.next_start_at.is_some_and(|at| at <= now) =>
        {
            dispatch_one(db, change, now).await
        }
        _ => Ok(false),
    }
}

/// Why a change has not started: it waits for approval, or for its window,
/// a blackout's end or a running change (its schedule's reason).
pub async fn waiting_reason(db: &DatabaseConnection, id: Uuid) -> ServiceResult<String> {
    let change = change_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(match change.status {
        ChangeStatus::PendingApproval => {
            "It waits for approval under the tenant's update policy.".to_owned()
        }
        ChangeStatus::Scheduled => match change.next_start_at {
            Some(at) => format!(
                "It starts at {} UTC: {}",
                at.format("%Y-%m-%d %H:%M"),
                change.schedule_reason
            ),
            None => change.schedule_reason,
        },
        other => format!(
            "It is {}: {}",
            other.label().to_lowercase(),
            change.outcome.unwrap_or_default()
        ),
    })
}

/// Moves one due change to running (window, blackouts and the tenant's
/// limit of changes at once permitting) and hands it to its executor: a job
/// for its steps, or, for an update of a product the tenant runs on an edge
/// deployment, a blue-green switch.
async fn dispatch_one(
    db: &DatabaseConnection,
    change: change_request::Model,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let mut started = false;
    let txn = db.begin().await?;
    {
        let schedule = update_policy::schedule_for(&txn, change.tenant_id, now).await?;
        let (at, why) = update_policy::next_start(&schedule, now);
        if at > now && !crate::domain::changes::change::works_beside_the_tenant(change.kind) {
            change_request::Entity::update_many()
                .col_expr(change_request::Column::NextStartAt, at.into())
                .col_expr(change_request::Column::ScheduleReason, why.into())
                .filter(change_request::Column::Id.eq(change.id))
                .filter(change_request::Column::Status.eq(ChangeStatus::Scheduled.as_str()))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            return Ok(false);
        }
        // At most the tenant's limit of changes run at once; the rest wait,
        // saying why, and start in a later round when one has finished. The
        // tenant's row lock (PostgreSQL; SQLite has one writer) makes the
        // count and the start one step, so two replicas starting two of its
        // changes at once cannot both see room for one.
        let mut select = tenant::Entity::find_by_id(change.tenant_id);
        if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
            select = select.lock_exclusive();
        }
        if let Some(tenant) = select.one(&txn).await? {
            let policy = update_policy::load(&txn, change.tenant_id).await?;
            let limit = update_policy::running_limit(&txn, &tenant, &policy).await?;
            let running = change_request::Entity::find()
                .filter(change_request::Column::TenantId.eq(change.tenant_id))
                .filter(change_request::Column::Status.eq(ChangeStatus::Running.as_str()))
                .count(&txn)
                .await?;
            if let Some(why) = crate::domain::changes::schedule::concurrency_wait(running, limit) {
                change_request::Entity::update_many()
                    .col_expr(change_request::Column::ScheduleReason, why.into())
                    .filter(change_request::Column::Id.eq(change.id))
                    .filter(change_request::Column::Status.eq(ChangeStatus::Scheduled.as_str()))
                    .exec(&txn)
                    .await?;
                txn.commit().await?;
                return Ok(false);
            }
        }
        let moved = change_request::Entity::update_many()
            .col_expr(
                change_request::Column::Status,
                ChangeStatus::Running.as_str().into(),
            )
            .col_expr(change_request::Column::UpdatedAt, now.into())
            .filter(change_request::Column::Id.eq(change.id))
            .filter(change_request::Column::Status.eq(ChangeStatus::Scheduled.as_str()))
            .exec(&txn)
            .await?;
        if moved.rows_affected == 1 {
            if let Err(reason) = begin_lifecycle(&txn, &change, now).await? {
                finish(&txn, &change, ChangeStatus::Failed, &reason, now).await?;
            } else if let Err(reason) = hand_over(&txn, &change, now).await? {
                finish(&txn, &change, ChangeStatus::Failed, &reason, now).await?;
            } else {
                audit::record(
                    &txn,
                    &change_context(&change),
                    AuditEntry::new(Actor::System("scheduler"), "change.start", "change_request")
                        .target(change.id)
                        .tenant(change.tenant_id)
                        .details(json!({ "window": why })),
                )
                .await?;
                started = true;
            }
        }
        txn.commit().await?;
    }
    Ok(started)
}

/// Gives a change that has just started to what carries it out.
pub(super) async fn hand_over<C: ConnectionTrait>(
    txn: &C,
    change: &change_request::Model,
    now: DateTime<Utc>,
) -> ServiceResult<Result<(), String>> {
    let deployment = match (change.kind.is_update(), change.product_id) {
        (true, Some(product)) => {
            crate::backend::services::deployments::deployment_of(txn, change.tenant_id, product)
                .await?
        }
        _ => None,
    };
    let (Some(d), Some(version)) = (deployment, change.target_version.as_deref()) else {
        enqueue_execution(txn, change.id, now).await?;
        return Ok(Ok(()));
    };
    let switch = match crate::backend::services::deployments::begin_switch(
        txn,
        d.id,
        version,
        change,
        &change_context(change),
        now,
    )
    .await?
    {
        Ok(switch) => switch,
        Err(why) => return Ok(Err(why)),
    };
    // The switch is the change's one step from here on: its plan's steps
    // are what the switch does (prepare, validate, shift), shown on the
    // deployment page step by step.
    change_step::Entity::delete_many()
        .filter(change_step::Column::ChangeRequestId.eq(change.id))
        .filter(change_step::Column::Status.eq(StepStatus::Pending.as_str()))
        .exec(txn)
        .await?;
    change_step::ActiveModel {
        id: Set(Uuid::new_v4()),
        change_request_id: Set(change.id),
        tenant_id: Set(change.tenant_id),
        position: Set(1),
        name: Set(format!("Blue-green switch to {version}")),
        status: Set(StepStatus::Running),
        idempotency_key: Set(format!("change:{}:switch", change.id)),
        attempts: Set(1),
        output: Set(format!(
            "Switch {switch} on deployment /deployments/{}: deploy to the idle slot, validate the health baseline, shift traffic {}.",
            d.id,
            d.steps.to_vec().iter().map(|w| format!("{w} %")).collect::<Vec<_>>().join(" → ")
        )),
        started_at: Set(Some(now)),
        finished_at: Set(None),
        rollback: Set(false),
    }
    .insert(txn)
    .await?;
    Ok(Ok(()))
}

/// A switch that carried out a change has ended: so does the change, in the
/// same transaction, as the domain's `switch_outcome` says.
pub(crate) async fn switch_ended(
    txn: &DatabaseTransaction,
    change_id: Option<Uuid>,
    status: crate::domain::deployments::bluegreen::SwitchStatus,
    reason: &str,
    traffic_moved: bool,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(id) = change_id else {
        return Ok(());
    };
    let Some(change) = change_request::Entity::find_by_id(id).one(txn).await? else {
        return Ok(());
    };
    if change.status != ChangeStatus::Running {
        return Ok(());
    }
    let (step, ended, outcome) =
        crate::domain::changes::change::switch_outcome(status, traffic_moved, reason);
    // The tenant leaves its working state (upgrading) for where it was:
    // the switch either moved it to the new release or left it on the old.
    let current = tenant::Entity::find_by_id(change.tenant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Some(back) = current.requested_state {
        set_tenant_state(txn, &current, back, None, None, now).await?;
    }
    for running in change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(id))
        .filter(change_step::Column::Status.eq(StepStatus::Running.as_str()))
        .all(txn)
        .await?
    {
        change_step::Entity::update_many()
            .col_expr(change_step::Column::Status, step.as_str().into())
            .col_expr(
                change_step::Column::Output,
                format!("{}\n{reason}", running.output).into(),
            )
            .col_expr(change_step::Column::FinishedAt, Some(now).into())
            .filter(change_step::Column::Id.eq(running.id))
            .exec(txn)
            .await?;
    }
    finish(txn, &change, ended, &outcome, now).await
}

/// A scheduled lifecycle change moves the tenant into its working state when
/// it starts (the tenant may have changed since it was requested).
pub(super) async fn begin_lifecycle(
    txn: &DatabaseTransaction,
    change: &change_request::Model,
    now: DateTime<Utc>,
) -> ServiceResult<Result<(), String>> {
    let Some(action) = change.kind.lifecycle_action() else {
        return Ok(Ok(()));
    };
    let current = tenant::Entity::find_by_id(change.tenant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let state = current.lifecycle_state;
    let plan = match plan_transition(state, action) {
        Ok(plan) => plan,
        Err(refusal) => return Ok(Err(refusal.reason)),
    };
    if plan.already_done {
        return Ok(Ok(()));
    }
    if let Some(refusal) =
        crate::backend::services::tenants::residency::activation_refusal(txn, &current, action)
            .await?
    {
        return Ok(Err(refusal));
    }
    let now_state = plan.via.unwrap_or(plan.target);
    set_tenant_state(
        txn,
        &current,
        now_state,
        Some(plan.target).filter(|_| plan.via.is_some()),
        None,
        now,
    )
    .await?;
    Ok(Ok(()))
}

pub(crate) async fn set_tenant_state(
    txn: &DatabaseTransaction,
    current: &tenant::Model,
    state: LifecycleState,
    requested: Option<LifecycleState>,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let mut record: tenant::ActiveModel = current.clone().into();
    record.lifecycle_state = Set(state);
    record.requested_state = Set(requested);
    record.state_reason = Set(reason.map(str::to_owned));
    record.version = Set(current.version + 1);
    record.updated_at = Set(now);
    if state == LifecycleState::Archived {
        record.archived_at = Set(Some(now));
    }
    let after = record.update(txn).await?;
    crate::backend::events::tenant_moved(
        txn,
        current,
        &after,
        &Actor::System("executor"),
        None,
        reason,
    )
    .await?;
    tenants::log_field_change(
        txn,
        current.id,
        "lifecycle_state",
        Some(current.lifecycle_state.as_str()),
        Some(state.as_str()),
        &Actor::System("executor"),
        now,
    )
    .await?;
    tenants::revoke_access_if_gone(
        txn,
        &Default::default(),
        &Actor::System("executor"),
        current.id,
        state,
        now,
    )
    .await?;
    Ok(())
}

/// The change request a job of this engine works on.
fn change_of(job: &ClaimedJob) -> Result<Uuid, String> {
    job.payload
        .get("change_request_id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
        .ok_or_else(|| "the job names no change request".to_owned())
}

/// The change and its tenant, if the change is still running.
async fn running_change(
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<Option<(change_request::Model, tenant::Model)>, String> {
    let change = change_request::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the change request is gone")?;
    if change.status != ChangeStatus::Running {
        return Ok(None); // cancelled or already finished: nothing to do
    }
    let target = tenant::Entity::find_by_id(change.tenant_id)
        .one(db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the tenant is gone")?;
    Ok(Some((change, target)))
}

async fn is_rolling_back<C: ConnectionTrait>(conn: &C, id: Uuid) -> ServiceResult<bool> {
    Ok(change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(id))
        .filter(change_step::Column::Rollback.eq(true))
        .count(conn)
        .await?
        > 0)
}

/// Runs a change's remaining steps through the executor. Steps already
/// succeeded (before a crash) are skipped; a step caught mid-way is handed to
/// the executor again under its same idempotency key. When all steps are done
/// the change's effect (tenant state, running version) lands in the same
/// transaction as its "succeeded" status and its audit record.
pub async fn execute(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    executor: &dyn Executor,
    job: &ClaimedJob,
) -> Result<(), String> {
    let id = change_of(job)?;
    let internal = |e: ServiceError| e.to_string();
    let Some((change, target)) = running_change(db, id).await? else {
        return Ok(());
    };
    log_about(&change, &target);
    if is_rolling_back(db, id).await.map_err(internal)? {
        return Ok(()); // its rollback owns it now
    }
    run_steps(db, clock, executor, job, &change, &target, false).await?;
    let (txn, still_running) = closing(db, clock, job, id).await?;
    if still_running {
        let now = clock.now();
        let refusal = match change.kind {
            ChangeKind::ChangePlan => {
                crate::backend::services::plans::plan_change::refusal_at_apply(&txn, &change)
                    .await
                    .map_err(internal)?
            }
            _ => None,
        };
        if let Some(reason) = refusal {
            finish(&txn, &change, ChangeStatus::Failed, &reason, now)
                .await
                .map_err(internal)?;
        } else {
            apply_effect(&txn, &change, now).await.map_err(internal)?;
            finish(
                &txn,
                &change,
                ChangeStatus::Succeeded,
                "All steps succeeded.",
                now,
            )
            .await
            .map_err(internal)?;
        }
    }
    txn.commit().await.map_err(|e| e.to_string())?;
    if still_running && (change.target_version.is_some() || change.kind == ChangeKind::Restore) {
        // The tenant runs another version now: its compliance changed.
        reassess_tenant(db, change.tenant_id, clock.now()).await;
    }
    Ok(())
}

/// Runs a failed update's rollback steps through the executor (the same
/// way, crash-safe), then ends the change `rolled_back`: the tenant returns to
/// where it was and no version is recorded.
pub async fn roll_back(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    executor: &dyn Executor,
    job: &ClaimedJob,
) -> Result<(), String> {
    let id = change_of(job)?;
    let internal = |e: ServiceError| e.to_string();
    let Some((change, target)) = running_change(db, id).await? else {
        return Ok(());
    };
    log_about(&change, &target);
    run_steps(db, clock, executor, job, &change, &target, true).await?;
    let (txn, still_running) = closing(db, clock, job, id).await?;
    if still_running {
        let now = clock.now();
        let current = tenant::Entity::find_by_id(change.tenant_id)
            .one(&txn)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the tenant is gone")?;
        if let Some(back) = current.requested_state {
            set_tenant_state(&txn, &current, back, None, None, now)
                .await
                .map_err(internal)?;
        }
        let why = change.outcome.clone().unwrap_or_default();
        let undone = match change.kind {
            ChangeKind::RotateSecret => {
                "the executor put the previous secret back and the stored one never changed"
            }
            ChangeKind::Migrate => "the target was torn down and the tenant stays where it was",
            ChangeKind::RestoreTest => {
                "the scratch target was torn down; the running tenant was never touched"
            }
            _ => "the rollback steps succeeded and no version changed",
        };
        finish(
            &txn,
            &change,
            ChangeStatus::RolledBack,
            &format!("{why} Rolled back: {undone}."),
            now,
        )
        .await
        .map_err(internal)?;
    }
    txn.commit().await.map_err(|e| e.to_string())
}

/// Opens the transaction that closes a change, while this worker still holds
/// the job (a stale worker's result is discarded), and says whether the change
/// is still running (an operator may have cancelled it meanwhile).
async fn closing(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    job: &ClaimedJob,
    id: Uuid,
) -> Result<(DatabaseTransaction, bool), String> {
    let txn = db.begin().await.map_err(|e| e.to_string())?;
    if !jobs::fence(&txn, job, clock.now())
        .await
        .map_err(|e| e.to_string())?
    {
        txn.rollback().await.map_err(|e| e.to_string())?;
        return Err(LEASE_LOST.into());
    }
    let still_running = change_request::Entity::find_by_id(id)
        .one(&txn)
        .await
        .map_err(|e| e.to_string())?
        .is_some_and(|c| c.status == ChangeStatus::Running);
    Ok((txn, still_running))
}

/// The job's log lines name the change, its correlation id and its tenant.
fn log_about(change: &change_request::Model, target: &tenant::Model) {
    crate::backend::log_context::change(change.id, change.correlation_id.as_deref());
    crate::backend::log_context::tenant(target.id, &target.slug, target.environment.as_str());
}

/// Runs the pending steps of one phase (forward, or the rollback) in order.
async fn run_steps(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    executor: &dyn Executor,
    job: &ClaimedJob,
    change: &change_request::Model,
    target: &tenant::Model,
    rollback: bool,
) -> Result<(), String> {
    let internal = |e: ServiceError| e.to_string();
    let steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(change.id))
        .filter(change_step::Column::Rollback.eq(rollback))
        .order_by_asc(change_step::Column::Position)
        .all(db)
        .await
        .map_err(|e| e.to_string())?;
    let total = steps.len().max(1) as i32;
    for (done, step) in steps.into_iter().enumerate() {
        if step.status == StepStatus::Succeeded {
            continue;
        }
        let attempts = step.attempts + 1;
        change_step::Entity::update_many()
            .col_expr(
                change_step::Column::Status,
                StepStatus::Running.as_str().into(),
            )
            .col_expr(change_step::Column::Attempts, attempts.into())
            .col_expr(change_step::Column::StartedAt, clock.now().into())
            .filter(change_step::Column::Id.eq(step.id))
            .exec(db)
            .await
            .map_err(|e| e.to_string())?;
        let mut order = StepOrder {
            key: step.idempotency_key.clone(),
            tenant_slug: target.slug.clone(),
            tenant_labels: target.labels.0.clone(),
            kind: change.kind.as_str().to_owned(),
            step: step.name.clone(),
            target_version: change.target_version.clone(),
            attempt: attempts,
            rollback,
            correlation_id: change.correlation_id.clone().unwrap_or_default(),
            address: target.base_url.clone(),
            data_snapshot: None,
            secret: None,
            placement: None,
        };
        order.secret = secret_rotation::secret_for_step(db, change, &step.name, rollback)
            .await
            .map_err(internal)?;
        tenants::migrations::prepare_order(db, change, &mut order, clock.now())
            .await
            .map_err(internal)?;
        tenants::restore_tests::prepare_order(db, change, target, &mut order)
            .await
            .map_err(internal)?;
        let before = portal_part_before(db, clock, change, target, &step.name, rollback)
            .await
            .map_err(internal)?;
        let mut result = match before {
            Err(refusal) => Err(refusal),
            Ok((summary, reference)) => {
                order.data_snapshot = reference.or(order.data_snapshot.take());
                executor
                    .run_step(&order)
                    .await
                    .map(|out| join_output(summary.as_deref(), &out))
            }
        };
        // A backup's bundle is written once the executor took its snapshot.
        if let Ok(done) = &result
            && backups::captures_after(change.kind, &step.name, rollback)
        {
            result = match backups::capture(db, clock.now(), change, target, done).await {
                Ok(recorded) => Ok(format!("{}\n{recorded}", done.trim_end())),
                Err(error) => Err(format!(
                    "{}\nthe backup bundle could not be written: {error}",
                    done.trim_end()
                )),
            };
        }
        if let Ok(done) = &result
            && let Err(problem) = tenants::migrations::check_output(
                change, &step.name, rollback, done,
            )
            .and_then(|()| tenants::restore_tests::check_output(change, &step.name, rollback, done))
        {
            result = Err(format!("{}\n{problem}", done.trim_end()));
        }
        // An edge tenant's cut-over: the traffic router moves it.
        if let Ok(done) = &result {
            match tenants::migrations::cut_over_traffic(db, change, &step.name, rollback)
                .await
                .map_err(internal)?
            {
                Ok(None) => {}
                Ok(Some(moved)) => result = Ok(format!("{}\n{moved}", done.trim_end())),
                Err(problem) => result = Err(format!("{}\n{problem}", done.trim_end())),
            }
        }
        // A health step also runs the tenant's own baseline at its address;
        // a migration's or restore test's validation step runs it where the
        // tenant would answer from its target or scratch copy.
        if let Ok(done) = &result {
            let verdict = if checks_health(&step.name) {
                crate::backend::services::tenants::health::run_for_change(
                    db, target, clock, executor,
                )
                .await
            } else {
                match elsewhere_address(db, change, &step.name, rollback)
                    .await
                    .map_err(internal)?
                {
                    Some(address) => crate::backend::services::tenants::health::run_elsewhere(
                        db, target, &address, executor,
                    )
                    .await
                    .map(Some),
                    None => Ok(None),
                }
            };
            match verdict {
                Ok(None) => {}
                Ok(Some(Ok(summary))) => result = Ok(format!("{}\n{summary}", done.trim_end())),
                Ok(Some(Err(failure))) => result = Err(format!("{}\n{failure}", done.trim_end())),
                Err(error) => result = Err(format!("the health baseline could not run: {error}")),
            }
        }
        let (status, output) = match &result {
            Ok(output) => (StepStatus::Succeeded, output.clone()),
            Err(error) => (StepStatus::Failed, error.clone()),
        };
        let log = if step.output.is_empty() {
            output
        } else {
            format!("{}\n--- attempt {attempts} ---\n{output}", step.output)
        };
        // The step's result lands only while this worker holds the job.
        let txn = db.begin().await.map_err(|e| e.to_string())?;
        if !jobs::fence(&txn, job, clock.now())
            .await
            .map_err(internal)?
        {
            txn.rollback().await.map_err(|e| e.to_string())?;
            return Err(LEASE_LOST.into());
        }
        change_step::Entity::update_many()
            .col_expr(change_step::Column::Status, status.as_str().into())
            .col_expr(change_step::Column::Output, log.into())
            .col_expr(change_step::Column::FinishedAt, clock.now().into())
            .filter(change_step::Column::Id.eq(step.id))
            .exec(&txn)
            .await
            .map_err(|e| e.to_string())?;
        if let Ok(done) = &result {
            tenants::migrations::step_succeeded(
                &txn,
                change,
                &step.name,
                rollback,
                done,
                clock.now(),
            )
            .await
            .map_err(internal)?;
            tenants::restore_tests::step_succeeded(&txn, change, &step.name, rollback, done)
                .await
                .map_err(internal)?;
        }
        let state =
            crate::backend::events::resource_state(&txn, "change_request", &change.id.to_string())
                .await
                .map_err(|e| e.to_string())?;
        crate::backend::events::append(
            &txn,
            crate::backend::events::NewEvent {
                event_type: crate::domain::events::event_type("change.step_finished")
                    .expect("in the catalogue"),
                tenant_id: Some(change.tenant_id),
                correlation_id: change.correlation_id.clone(),
                actor: &Actor::System("executor"),
                resource_id: Some(change.id.to_string()),
                data: json!({
                    "state": state,
                    "details": {
                        "step": step.name, "position": step.position, "status": status.as_str(),
                        "attempt": attempts, "rollback": rollback,
                    },
                }),
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        txn.commit().await.map_err(|e| e.to_string())?;
        if result.is_ok() {
            tracing::info!(
                step = %step.name,
                position = step.position,
                attempt = attempts,
                rollback,
                "a change step succeeded"
            );
        }
        if let Err(error) = result {
            tracing::warn!(
                correlation_id = change.correlation_id.as_deref().unwrap_or_default(),
                change = %change.id,
                tenant = %target.slug,
                step = %step.name,
                attempt = attempts,
                rollback,
                %error,
                "a change step failed"
            );
            return Err(format!("{}: {error}", step.name));
        }
        if !rollback {
            change_request::Entity::update_many()
                .col_expr(
                    change_request::Column::Progress,
                    ((done as i32 + 1) * 100 / total).into(),
                )
                .col_expr(change_request::Column::UpdatedAt, clock.now().into())
                .filter(change_request::Column::Id.eq(change.id))
                .exec(db)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The portal's own work before a step reaches the executor: a restore
/// checks its backup and puts the portal's part back (returning what it did
/// and the data reference for the executor), and a restored tenant is under
/// test while its baseline runs. `Err` fails the step without the executor.
async fn portal_part_before(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    change: &change_request::Model,
    target: &tenant::Model,
    step: &str,
    rollback: bool,
) -> ServiceResult<Result<(Option<String>, Option<String>), String>> {
    if let Some(checked) =
        tenants::restore_tests::check_before_restore(db, change, step, rollback, clock.now())
            .await?
    {
        return Ok(checked.map(|summary| (Some(summary), None)));
    }
    if backups::restores_before(change.kind, step, rollback) {
        return Ok(
            backups::restore_portal_part(db, clock.now(), change, target)
                .await?
                .map(|(summary, reference)| (Some(summary), reference)),
        );
    }
    if change.kind == ChangeKind::Restore && checks_health(step) && !rollback {
        let txn = db.begin().await?;
        if let Some(current) = tenant::Entity::find_by_id(target.id).one(&txn).await?
            && current.lifecycle_state == LifecycleState::Restoring
        {
            set_tenant_state(
                &txn,
                &current,
                LifecycleState::Testing,
                current.requested_state,
                None,
                clock.now(),
            )
            .await?;
        }
        txn.commit().await?;
    }
    Ok(Ok((None, None)))
}

/// Where a step validates a copy of the tenant that does not serve yet: a
/// migration's target, a restore test's scratch target.
async fn elsewhere_address(
    db: &DatabaseConnection,
    change: &change_request::Model,
    step: &str,
    rollback: bool,
) -> ServiceResult<Option<String>> {
    if let Some(address) = tenants::migrations::baseline_address(db, change, step, rollback).await?
    {
        return Ok(Some(address));
    }
    tenants::restore_tests::baseline_address(db, change, step, rollback).await
}

/// The step log: what the portal did, then what the executor said.
fn join_output(before: Option<&str>, executor: &str) -> String {
    match before {
        Some(before) => format!("{before}\n{executor}"),
        None => executor.to_owned(),
    }
}

/// What a succeeded change leaves behind.
pub(super) async fn apply_effect(
    txn: &DatabaseTransaction,
    change: &change_request::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let current = tenant::Entity::find_by_id(change.tenant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Some(target) = current.requested_state {
        set_tenant_state(txn, &current, target, None, None, now).await?;
    }
    if let (Some(product_id), Some(version)) = (change.product_id, change.target_version.as_deref())
    {
        record_running_version(
            txn,
            change.tenant_id,
            product_id,
            version,
            &Actor::System("executor"),
            now,
        )
        .await?;
    }
    if change.kind == ChangeKind::ChangePlan {
        crate::backend::services::plans::plan_change::apply(txn, change, now).await?;
    }
    if change.kind == ChangeKind::RotateSecret {
        secret_rotation::apply(txn, change, now).await?;
    }
    Ok(())
}

/// The tenant now runs `version` of the product (a change succeeded, a
/// blue-green switch completed or was rolled back): its running version and
/// the release's pinned components, with the field change logged. The
/// caller re-assesses compliance once its transaction has committed.
pub(crate) async fn record_running_version(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    product_id: Uuid,
    version: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let components = release::Entity::find()
        .filter(release::Column::ProductId.eq(product_id))
        .filter(release::Column::Version.eq(version))
        .one(txn)
        .await?
        .map(|r| r.components)
        .unwrap_or_default();
    let existing = tenant_product::Entity::find_by_id((tenant_id, product_id))
        .one(txn)
        .await?;
    let before = existing.as_ref().and_then(|tp| tp.running_version.clone());
    if before.as_deref() == Some(version) {
        return Ok(());
    }
    if existing.is_none() {
        // A deployment of a product the tenant had no record of: it runs it now.
        tenant_product::ActiveModel {
            tenant_id: Set(tenant_id),
            product_id: Set(product_id),
            allowed_range: Set(None),
            feature_flags: Set(crate::backend::columns::JsonText(vec![])),
            running_version: Set(Some(version.to_owned())),
            components: Set(components),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
    } else {
        tenant_product::Entity::update_many()
            .col_expr(
                tenant_product::Column::RunningVersion,
                Some(version.to_owned()).into(),
            )
            .col_expr(
                tenant_product::Column::Components,
                sea_orm::sea_query::Expr::value(components),
            )
            .col_expr(tenant_product::Column::UpdatedAt, now.into())
            .filter(tenant_product::Column::TenantId.eq(tenant_id))
            .filter(tenant_product::Column::ProductId.eq(product_id))
            .exec(txn)
            .await?;
    }
    tenants::log_field_change(
        txn,
        tenant_id,
        "running_version",
        before.as_deref(),
        Some(version),
        actor,
        now,
    )
    .await?;
    Ok(())
}

/// Re-assesses one tenant's compliance after its running version moved. A
/// failure here is not the change's; the hourly assessment catches up.
pub(crate) async fn reassess_tenant(db: &DatabaseConnection, tenant_id: Uuid, now: DateTime<Utc>) {
    let reach = crate::backend::services::releases::compliance::Reach::Tenant(tenant_id);
    if let Err(err) = crate::backend::services::releases::compliance::assess(db, reach, now).await {
        tracing::warn!(error = %err, tenant = %tenant_id, "re-assessing compliance after a version change failed");
    }
}

/// Closes a change (and its rollout target, if any) with its audit record.
pub(super) async fn finish<C: ConnectionTrait>(
    txn: &C,
    change: &change_request::Model,
    status: ChangeStatus,
    outcome: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    tracing::info!(
        correlation_id = change.correlation_id.as_deref().unwrap_or_default(),
        change = %change.id,
        tenant = %change.tenant_id,
        status = status.as_str(),
        "a change ended"
    );
    let mut update = change_request::Entity::update_many()
        .col_expr(change_request::Column::Status, status.as_str().into())
        .col_expr(
            change_request::Column::Outcome,
            Some(outcome.to_owned()).into(),
        )
        .col_expr(change_request::Column::FinishedAt, Some(now).into())
        .col_expr(change_request::Column::UpdatedAt, now.into());
    if status == ChangeStatus::Succeeded {
        update = update.col_expr(change_request::Column::Progress, 100.into());
    }
    ended_elsewhere(txn, change, status, outcome, now).await?;
    update
        .filter(change_request::Column::Id.eq(change.id))
        .exec(txn)
        .await?;
    if change.rollout_id.is_some() {
        let target_status = if status == ChangeStatus::Succeeded {
            TargetStatus::Succeeded
        } else {
            TargetStatus::Failed
        };
        // A tenant target's attempts add up its changes' (one per retry of
        // the target): the most any step of this one took.
        let attempts: Option<i32> = change_step::Entity::find()
            .select_only()
            .column_as(change_step::Column::Attempts.max(), "attempts")
            .filter(change_step::Column::ChangeRequestId.eq(change.id))
            .into_tuple()
            .one(txn)
            .await?
            .flatten();
        rollout_target::Entity::update_many()
            .col_expr(
                rollout_target::Column::Status,
                target_status.as_str().into(),
            )
            .col_expr(
                rollout_target::Column::Attempts,
                sea_orm::sea_query::Expr::col(rollout_target::Column::Attempts)
                    .add(std::cmp::max(attempts.unwrap_or(1), 1)),
            )
            .col_expr(
                rollout_target::Column::LastError,
                (status != ChangeStatus::Succeeded)
                    .then(|| outcome.to_owned())
                    .into(),
            )
            .col_expr(rollout_target::Column::FinishedAt, Some(now).into())
            .filter(rollout_target::Column::ChangeRequestId.eq(change.id))
            .exec(txn)
            .await?;
    }
    audit::record(
        txn,
        &change_context(change),
        AuditEntry::new(Actor::System("executor"), status_audit(status), "change_request")
            .target(change.id)
            .tenant(change.tenant_id)
            .details(json!({ "outcome": outcome, "kind": change.kind, "target_version": change.target_version })),
    )
    .await?;
    Ok(())
}

/// What else ends with a change, in its closing transaction (however it
/// ends: run to its end, rejected or cancelled): a rotation not applied, an
/// offboarding's clean-up or deletion, a migration, a restore test.
pub(super) async fn ended_elsewhere<C: ConnectionTrait>(
    txn: &C,
    change: &change_request::Model,
    status: ChangeStatus,
    outcome: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    secret_rotation::close_unapplied(txn, change, status, now).await?;
    tenants::offboarding::change_ended(txn, change, status, outcome, now).await?;
    tenants::migrations::change_ended(txn, change, status, outcome, now).await?;
    tenants::restore_tests::change_ended(txn, change, status, outcome, now).await
}

pub(super) fn status_audit(status: ChangeStatus) -> &'static str {
    match status {
        ChangeStatus::Succeeded => "change.succeeded",
        ChangeStatus::RolledBack => "change.rolled_back",
        ChangeStatus::Cancelled => "change.cancel",
        _ => "change.failed",
    }
}

/// The last attempt failed: the change is abandoned (an update is rolled back).
pub async fn fail_for_good(
    txn: &DatabaseTransaction,
    job: &ClaimedJob,
    error: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    give_up(txn, job, "Failed", error, now).await
}

/// A rollback's last attempt failed: the tenant is left broken, saying why.
pub async fn rollback_failed_for_good(
    txn: &DatabaseTransaction,
    job: &ClaimedJob,
    error: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    give_up(txn, job, "The rollback failed", error, now).await
}

/// Abandons the job's change, saying what failed after how many attempts.
async fn give_up(
    txn: &DatabaseTransaction,
    job: &ClaimedJob,
    what: &str,
    error: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Ok(id) = change_of(job) else {
        return Ok(());
    };
    let reason = format!("{what} after {} attempts: {error}", job.attempt);
    abandon(txn, id, &reason, now).await
}

/// Ends a running change that will not finish (its last attempt failed, or
/// an operator cancelled its job). An update starts its rollback (its own
/// steps through the executor, see [`roll_back`]); other long work, or a
/// rollback that will not finish, leaves the tenant broken with the reason
/// for a person to look at.
pub async fn abandon(
    txn: &DatabaseTransaction,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(change) = change_request::Entity::find_by_id(id).one(txn).await? else {
        return Ok(());
    };
    if change.status != ChangeStatus::Running {
        return Ok(());
    }
    let current = tenant::Entity::find_by_id(change.tenant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let rolling_back = is_rolling_back(txn, id).await?;
    // A migration past its cut-over serves from its target: not undone.
    let undoable = !tenants::migrations::cut_over_done(txn, &change).await?;
    if rolls_back(change.kind) && !rolling_back && undoable {
        return begin_rollback(txn, &change, reason, now).await;
    }
    let outcome = if rolling_back {
        format!("{} {reason}", change.outcome.clone().unwrap_or_default())
            .trim()
            .to_owned()
    } else {
        reason.to_owned()
    };
    if current.requested_state.is_some() || rolling_back {
        let why = format!("{}: {outcome}", change.title);
        set_tenant_state(txn, &current, LifecycleState::Broken, None, Some(&why), now).await?;
    }
    finish(txn, &change, ChangeStatus::Failed, &outcome, now).await
}

/// Adds the rollback steps after the failed ones and queues their job; the
/// change stays running (its tenant in its working state) until they end.
async fn begin_rollback(
    txn: &DatabaseTransaction,
    change: &change_request::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let previous = match change.product_id {
        Some(product) => tenant_product::Entity::find_by_id((change.tenant_id, product))
            .one(txn)
            .await?
            .and_then(|tp| tp.running_version),
        None => None,
    };
    let last = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(change.id))
        .count(txn)
        .await? as i32;
    let planned = match change.kind {
        ChangeKind::RotateSecret => plan_secret_rollback_steps(change.change_model),
        ChangeKind::Migrate => crate::domain::tenants::migration::plan_rollback_steps(),
        ChangeKind::RestoreTest => crate::domain::tenants::restore_test::plan_rollback_steps(),
        _ => plan_rollback_steps(change.change_model, previous.as_deref()),
    };
    let steps: Vec<change_step::ActiveModel> = planned
        .into_iter()
        .enumerate()
        .map(|(i, name)| change_step::ActiveModel {
            id: Set(Uuid::new_v4()),
            change_request_id: Set(change.id),
            tenant_id: Set(change.tenant_id),
            position: Set(last + i as i32 + 1),
            name: Set(name),
            status: Set(StepStatus::Pending),
            idempotency_key: Set(format!("change:{}:rollback:{}", change.id, i + 1)),
            attempts: Set(0),
            output: Set(String::new()),
            started_at: Set(None),
            finished_at: Set(None),
            rollback: Set(true),
        })
        .collect();
    change_step::Entity::insert_many(steps).exec(txn).await?;
    change_request::Entity::update_many()
        .col_expr(
            change_request::Column::Outcome,
            Some(reason.to_owned()).into(),
        )
        .col_expr(change_request::Column::UpdatedAt, now.into())
        .filter(change_request::Column::Id.eq(change.id))
        .exec(txn)
        .await?;
    jobs::enqueue(
        txn,
        JobSpec {
            kind: ROLLBACK_JOB,
            payload: json!({ "change_request_id": change.id }),
            key: format!("change:{}:rollback", change.id),
            run_at: now,
            max_attempts: MAX_ATTEMPTS,
        },
        now,
    )
    .await?;
    audit::record(
        txn,
        &change_context(change),
        AuditEntry::new(
            Actor::System("executor"),
            "change.rollback_started",
            "change_request",
        )
        .target(change.id)
        .tenant(change.tenant_id)
        .details(json!({ "reason": reason, "back_to": previous })),
    )
    .await?;
    Ok(())
}
