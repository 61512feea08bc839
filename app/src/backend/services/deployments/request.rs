//! Starting a switch and acting on one (pause, resume, promote, roll back, abort).

use super::*;
use crate::backend::context::Ctx;
use crate::backend::error::Parsed;

// ------------------------------------------------------------------ switching

/// Asks to move the deployment to `version` on its idle slot. A switch is
/// the tenant's upgrade: it becomes a change request (approvals, windows,
/// blackouts and the version policy apply as to any upgrade) and starts at
/// once when the tenant's policy lets it.
pub async fn start_switch(
    ctx: &Ctx,
    id: Uuid,
    to: Parsed<SwitchTarget>,
) -> ServiceResult<SwitchRequest> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::UpdateExecute)?;
    let d = find_visible(db, principal, id).await?;
    principal.require_on_tenant(Permission::UpdateExecute, d.tenant_id)?;
    let to = to?;
    let version = to.version.to_string();
    let known = release::Entity::find()
        .filter(release::Column::ProductId.eq(d.product_id))
        .filter(release::Column::Version.eq(version.as_str()))
        .one(db)
        .await?;
    let mut errors = FieldErrors::default();
    if known.is_none() {
        errors.push(
            "version",
            "Choose a release of this product from the catalog.",
        );
    } else if version_of(&d, d.live_slot).as_deref() == Some(version.as_str()) {
        errors.push("version", format!("{version} is already live."));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    if let Some(running) = active_switch(db, id).await? {
        return Err(ServiceError::Conflict(format!(
            "A switch to {} is already in progress on this deployment; finish, abort or roll it back first.",
            running.to_version
        )));
    }
    let tenant = tenant::Entity::find_by_id(d.tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let product = product::Entity::find_by_id(d.product_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let form = crate::model::changes::ChangeForm {
        tenant: tenant.slug,
        kind: "upgrade".into(),
        product: product.key,
        target_version: version,
        ..Default::default()
    };
    let change = crate::backend::services::changes::create(
        ctx,
        crate::backend::services::changes::NewChangeRequest::try_from(&form).map_err(Into::into),
    )
    .await
    .map_err(|error| match error {
        // The switch form has one field: the release.
        ServiceError::Validation(fields) => {
            let mut errors = FieldErrors::default();
            for field in fields.0 {
                errors.push("version", field.message);
            }
            ServiceError::Validation(errors)
        }
        other => other,
    })?;
    crate::backend::services::changes::start_if_due(db, change.id, ctx.now()).await?;
    let switch_id = deployment_switch::Entity::find()
        .filter(deployment_switch::Column::ChangeRequestId.eq(change.id))
        .one(db)
        .await?
        .map(|s| s.id);
    let waiting = match switch_id {
        Some(_) => None,
        None => Some(crate::backend::services::changes::waiting_reason(db, change.id).await?),
    };
    Ok(SwitchRequest {
        change_id: change.id,
        switch_id,
        waiting,
    })
}

/// The deployment whose switch in progress carries out this change, if any.
pub(crate) async fn switch_in_progress_for<C: ConnectionTrait>(
    conn: &C,
    change_id: Uuid,
) -> ServiceResult<Option<Uuid>> {
    Ok(deployment_switch::Entity::find()
        .filter(deployment_switch::Column::ChangeRequestId.eq(change_id))
        .filter(deployment_switch::Column::Status.is_in(active_statuses()))
        .one(conn)
        .await?
        .map(|s| s.deployment_id))
}

/// A blue-green switch under way on any of the tenant's deployments: its
/// traffic is split, so nothing else may move it meanwhile.
pub(crate) async fn tenant_switch_in_progress<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<Option<Uuid>> {
    for d in edge_deployment::Entity::find()
        .filter(edge_deployment::Column::TenantId.eq(tenant_id))
        .all(conn)
        .await?
    {
        if active_switch(conn, d.id).await?.is_some() {
            return Ok(Some(d.id));
        }
    }
    Ok(None)
}

async fn active_switch<C: ConnectionTrait>(
    conn: &C,
    deployment_id: Uuid,
) -> ServiceResult<Option<deployment_switch::Model>> {
    Ok(deployment_switch::Entity::find()
        .filter(deployment_switch::Column::DeploymentId.eq(deployment_id))
        .filter(deployment_switch::Column::Status.is_in(active_statuses()))
        .one(conn)
        .await?)
}

/// The edge deployment of the tenant's product, if it has one: an update
/// of that product is then a blue-green switch.
pub(crate) async fn deployment_of<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    product_id: Uuid,
) -> ServiceResult<Option<edge_deployment::Model>> {
    Ok(edge_deployment::Entity::find()
        .filter(edge_deployment::Column::TenantId.eq(tenant_id))
        .filter(edge_deployment::Column::ProductId.eq(product_id))
        .one(conn)
        .await?)
}

/// Starts the switch a running change request carries out, in the change's
/// transaction. `Ok(Err(why))` when it cannot start (another switch is in
/// progress, the release is already live): the change fails saying so.
pub(crate) async fn begin_switch<C: ConnectionTrait>(
    txn: &C,
    deployment_id: Uuid,
    version: &str,
    change: &change_request::Model,
    context: &RequestContext,
    now: DateTime<Utc>,
) -> ServiceResult<Result<Uuid, String>> {
    let d = lock_deployment(txn, deployment_id).await?;
    let live = d.live_slot;
    if let Some(running) = active_switch(txn, d.id).await? {
        return Ok(Err(format!(
            "A switch to {} was already in progress on the deployment.",
            running.to_version
        )));
    }
    if version_of(&d, live).as_deref() == Some(version) {
        return Ok(Err(format!("{version} is already live.")));
    }
    let to = live.other();
    let switch_id = Uuid::new_v4();
    deployment_switch::ActiveModel {
        id: Set(switch_id),
        deployment_id: Set(d.id),
        tenant_id: Set(d.tenant_id),
        from_slot: Set(live),
        to_slot: Set(to),
        from_version: Set(version_of(&d, live)),
        to_version: Set(version.into()),
        status: Set(SwitchStatus::Preparing),
        steps: Set(d.steps.clone()),
        step_index: Set(-1),
        step_started_at: Set(None),
        bake_seconds: Set(d.bake_seconds),
        interval_seconds: Set(d.interval_seconds),
        thresholds: Set(d.thresholds.clone()),
        consecutive_failures: Set(0),
        generation: Set(1),
        reason: Set(None),
        requested_by: Set(change.requested_by),
        requester_label: Set(change.requester_label.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
        change_request_id: Set(Some(change.id)),
    }
    .insert(txn)
    .await?;
    set_slot(
        txn,
        d.id,
        to,
        Some(version),
        SlotState::Preparing,
        Some(SlotHealth::Unknown),
        now,
    )
    .await?;
    enqueue_run(txn, switch_id, 1, now).await?;
    event(
        txn,
        d.id,
        Some(switch_id),
        d.tenant_id,
        SwitchEventKind::Switch,
        format!(
            "Switch to {version} started for change \"{}\": {} stays live on {}, {} gets the new release.",
            change.title,
            version_of(&d, live).unwrap_or_default(),
            live.label().to_lowercase(),
            to.label().to_lowercase()
        ),
        &change.requester_label,
        now,
    )
    .await?;
    audit::record(
        txn,
        context,
        AuditEntry::new(
            Actor::System("changes"),
            "deployment.switch",
            "edge_deployment",
        )
        .target(d.id)
        .tenant(d.tenant_id)
        .details(json!({ "switch": switch_id, "change": change.id, "version": version, "to_slot": to.as_str() })),
    )
    .await?;
    Ok(Ok(switch_id))
}

pub(super) async fn enqueue_run<C: ConnectionTrait>(
    conn: &C,
    switch_id: Uuid,
    generation: i32,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    jobs::enqueue(
        conn,
        JobSpec {
            kind: SWITCH_JOB,
            payload: json!(SwitchJob {
                switch_id,
                generation
            }),
            key: format!("switch:{switch_id}:{generation}"),
            run_at: now,
            max_attempts: 5,
        },
        now,
    )
    .await?;
    Ok(())
}

/// A person's action on the deployment's latest switch: promote, pause,
/// resume, abort or rollback. Rollback and abort move all traffic back to
/// the old slot before they return.
pub async fn act(ctx: &Ctx, id: Uuid, action: &str) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::UpdateExecute)?;
    let d = find_visible(db, principal, id).await?;
    principal.require_on_tenant(Permission::UpdateExecute, d.tenant_id)?;
    let latest = deployment_switch::Entity::find()
        .filter(deployment_switch::Column::DeploymentId.eq(id))
        .order_by_desc(deployment_switch::Column::CreatedAt)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Conflict("This deployment has no switch yet.".into()))?;
    let txn = db.begin().await?;
    let d = lock_deployment(&txn, id).await?;
    let s = lock_switch(&txn, latest.id).await?;
    let status = s.status;
    let next = switch_move(action, status).map_err(|sentence| {
        if bluegreen::SWITCH_ACTIONS.contains(&action) {
            ServiceError::Conflict(sentence)
        } else {
            let mut errors = FieldErrors::default();
            errors.push("action", sentence);
            ServiceError::Validation(errors)
        }
    })?;
    let (from, to) = (s.from_slot, s.to_slot);
    let steps = s.steps.to_vec();
    let now = ctx.now();
    let mut update = deployment_switch::Entity::update_many()
        .col_expr(deployment_switch::Column::UpdatedAt, now.into());
    let message;
    match action {
        "pause" => {
            update = update.col_expr(deployment_switch::Column::Status, next.as_str().into());
            message = "Paused: traffic stays where it is.".to_string();
        }
        "resume" => {
            // Paused before traffic moved: prepare and validate again (both
            // are idempotent), so nothing is skipped.
            let resumed = if s.step_index >= 0 {
                SwitchStatus::Shifting
            } else {
                SwitchStatus::Preparing
            };
            update = update
                .col_expr(deployment_switch::Column::Status, resumed.as_str().into())
                .col_expr(
                    deployment_switch::Column::Generation,
                    (s.generation + 1).into(),
                );
            enqueue_run(&txn, s.id, s.generation + 1, ctx.now()).await?;
            message = "Resumed.".to_string();
        }
        "promote" => {
            let last = steps.len() as i32 - 1;
            route(&txn, &d, to, 100, ctx.now()).await?;
            update = update
                .col_expr(deployment_switch::Column::Status, next.as_str().into())
                .col_expr(deployment_switch::Column::StepIndex, last.into())
                // The workflow starts the last step's bake (and says so).
                .col_expr(
                    deployment_switch::Column::StepStartedAt,
                    Option::<DateTime<Utc>>::None.into(),
                );
            if status == SwitchStatus::Paused {
                update = update.col_expr(
                    deployment_switch::Column::Generation,
                    (s.generation + 1).into(),
                );
                enqueue_run(&txn, s.id, s.generation + 1, ctx.now()).await?;
            }
            message = format!(
                "Promoted: all traffic on {}; the last step bakes before the switch completes.",
                to.label().to_lowercase()
            );
        }
        _ => {
            // abort or rollback: all traffic back on the old slot now.
            route(&txn, &d, from, 100, ctx.now()).await?;
            if status == SwitchStatus::Completed {
                edge_deployment::Entity::update_many()
                    .col_expr(edge_deployment::Column::LiveSlot, from.as_str().into())
                    .filter(edge_deployment::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
                // Back on the old version: the tenant runs it again.
                if let Some(version) = s.from_version.as_deref() {
                    crate::backend::services::changes::record_running_version(
                        &txn,
                        d.tenant_id,
                        d.product_id,
                        version,
                        &Actor::from(principal),
                        now,
                    )
                    .await?;
                }
            }
            set_slot(&txn, id, from, None, SlotState::Live, None, ctx.now()).await?;
            set_slot(&txn, id, to, None, SlotState::Idle, None, ctx.now()).await?;
            let reason = format!(
                "{} by {}: all traffic back on {} ({}).",
                if action == "abort" {
                    "Aborted"
                } else {
                    "Rolled back"
                },
                principal.email,
                from.label().to_lowercase(),
                s.from_version.clone().unwrap_or_default()
            );
            update = update
                .col_expr(deployment_switch::Column::Status, next.as_str().into())
                .col_expr(
                    deployment_switch::Column::Reason,
                    Some(reason.clone()).into(),
                )
                .col_expr(deployment_switch::Column::FinishedAt, Some(now).into());
            // The change the switch carries out ends with it (one that
            // already succeeded stays so: this is a later rollback).
            crate::backend::services::changes::switch_ended(
                &txn,
                s.change_request_id,
                next,
                &reason,
                s.step_index >= 0,
                now,
            )
            .await?;
            message = reason;
        }
    }
    update
        .filter(deployment_switch::Column::Id.eq(s.id))
        .exec(&txn)
        .await?;
    event(
        &txn,
        id,
        Some(s.id),
        d.tenant_id,
        SwitchEventKind::Action,
        message,
        &principal.email,
        ctx.now(),
    )
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            action_audit(action),
            "edge_deployment",
        )
        .target(id)
        .tenant(d.tenant_id)
        .details(json!({ "switch": s.id, "before": s.status.as_str(), "step": s.step_index })),
    )
    .await?;
    txn.commit().await?;
    if status == SwitchStatus::Completed && matches!(action, "rollback" | "abort") {
        crate::backend::services::changes::reassess_tenant(db, d.tenant_id, ctx.now()).await;
    }
    Ok(())
}

pub(super) fn action_audit(action: &str) -> &'static str {
    match action {
        "promote" => "deployment.promote",
        "pause" => "deployment.pause",
        "resume" => "deployment.resume",
        "abort" => "deployment.abort",
        _ => "deployment.rollback",
    }
}
