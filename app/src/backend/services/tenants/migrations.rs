//! Tenant migration: moving a tenant to another region or isolation mode as
//! a change the executor carries out step by step — back up (a backup record
//! like any other), prepare the target (which reports where it answers),
//! migrate the data (handed the backup's data snapshot), validate the health
//! baseline at the target, cut over, clean up the source. The placement
//! decision is recorded when it is asked for; the tenant's region, isolation
//! and address move in the transaction that records the cut-over step, so
//! what the portal says is where the tenant serves from. The change engine
//! makes every step resumable after a crash (a step that succeeded is never
//! run again); a failure before the cut-over tears the target down, one
//! after it leaves the tenant at its target with the source to clean up.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{
    backup, change_request, change_step, edge_deployment, tenant, tenant_migration,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::executor::StepOrder;
use crate::backend::principal::Actor;
use crate::backend::services::changes::{self, change_context};
use crate::domain::access::authority::acts_for_vendor;
use crate::domain::access::permission::{Permission, Scope};
use crate::domain::changes::change::{ChangeKind, ChangeStatus};
use crate::domain::deployments::bluegreen::{Slot, SlotState};
use crate::domain::tenants::lifecycle::LifecycleAction;
use crate::domain::tenants::migration::{
    MigrationStatus, MigrationStep, Placement, check_reason, checked_reported_address, ending,
    plan_placement, router_endpoint, state_refusal, waits_for_migration,
};
use crate::domain::tenants::tenant::{IsolationMode, Region};
use crate::domain::validation::FieldErrors;
use crate::model::tenants::migrations::{
    MigrationForm, MigrationRow, MigrationStepRow, TenantMigrations,
};

use super::edit::log_field_change;
use super::residency::residency_lists;

fn status_of(m: &tenant_migration::Model) -> MigrationStatus {
    MigrationStatus::parse(&m.status).unwrap_or(MigrationStatus::Failed)
}

fn row(m: tenant_migration::Model, steps: Vec<change_step::Model>) -> MigrationRow {
    let status = status_of(&m);
    MigrationRow {
        id: m.id,
        status: status.as_str().to_owned(),
        status_label: status.label().to_owned(),
        from_region: m.from_region,
        from_isolation: m.from_isolation,
        to_region: m.to_region,
        to_isolation: m.to_isolation,
        target_address: m.target_address,
        reason: m.reason,
        decided_by: m.decided_by,
        decision: serde_json::from_str(&m.decision).unwrap_or_default(),
        change_id: m.change_request_id,
        backup_id: m.backup_id,
        steps: steps
            .into_iter()
            .map(|s| MigrationStepRow {
                step: if s.rollback {
                    "rollback".to_owned()
                } else {
                    MigrationStep::of_label(&s.name)
                        .map_or("other", MigrationStep::as_str)
                        .to_owned()
                },
                name: s.name,
                status: s.status.as_str().to_owned(),
                attempts: s.attempts,
                finished_at: s.finished_at,
            })
            .collect(),
        note: m.note,
        requested_at: m.requested_at,
        cut_over_at: m.cut_over_at,
        finished_at: m.finished_at,
    }
}

fn placement_of(t: &tenant::Model) -> Result<Placement, String> {
    Ok(Placement {
        region: Region::parse(&t.region)?,
        isolation: t.isolation_mode,
    })
}

async fn open_migration<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<Option<tenant_migration::Model>> {
    Ok(tenant_migration::Entity::find()
        .filter(tenant_migration::Column::TenantId.eq(tenant_id))
        .filter(
            tenant_migration::Column::Status.is_in(
                MigrationStatus::ALL
                    .into_iter()
                    .filter(|s| s.is_open())
                    .map(MigrationStatus::as_str),
            ),
        )
        .one(conn)
        .await?)
}

/// A tenant's placement, where it may move and its migrations.
pub async fn view(ctx: &Ctx, reference: &str) -> ServiceResult<TenantMigrations> {
    let (tenant_id, slug) = super::resolve_tenant_id(ctx, reference).await?;
    let db = &ctx.reads;
    let target = tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (allowed, configured) = residency_lists(db, &target).await?;
    let migrations = tenant_migration::Entity::find()
        .filter(tenant_migration::Column::TenantId.eq(tenant_id))
        .order_by_desc(tenant_migration::Column::RequestedAt)
        .all(db)
        .await?;
    let mut steps = change_step::Entity::find()
        .filter(
            change_step::Column::ChangeRequestId
                .is_in(migrations.iter().map(|m| m.change_request_id)),
        )
        .order_by_asc(change_step::Column::Position)
        .all(db)
        .await?;
    let may = ctx
        .principal
        .can(Permission::TenantLifecycle, Scope::Tenant(tenant_id));
    let why_not = if !may {
        Some("Moving a tenant is the vendor's: it needs the tenant.lifecycle permission.".into())
    } else if let Some(open) = migrations.iter().find(|m| status_of(m).is_open()) {
        Some(format!(
            "A migration to {} is under way (/changes/{}).",
            open.to_region, open.change_request_id
        ))
    } else {
        state_refusal(&target.slug, target.lifecycle_state)
    };
    Ok(TenantMigrations {
        slug,
        region: target.region.clone(),
        isolation: target.isolation_mode.as_str().to_owned(),
        address: target.base_url.clone(),
        regions: allowed
            .iter()
            .filter(|r| configured.contains(r))
            .map(|r| r.as_str().to_owned())
            .collect(),
        isolations: IsolationMode::ALL
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect(),
        can_migrate: why_not.is_none(),
        why_not,
        migrations: migrations
            .into_iter()
            .map(|m| {
                let (mine, rest): (Vec<_>, Vec<_>) = steps
                    .drain(..)
                    .partition(|s| s.change_request_id == m.change_request_id);
                steps = rest;
                row(m, mine)
            })
            .collect(),
    })
}

/// Asks for a tenant to move (`tenant.lifecycle`; the slug typed to
/// confirm). The target must be among the tenant's allowed regions and the
/// installation's (data residency); the decision, with what residency
/// allowed, is recorded with the change that carries it out, which is
/// routed like any change (approval per policy, then the tenant's window).
pub async fn request(
    ctx: &Ctx,
    reference: &str,
    form: &MigrationForm,
) -> ServiceResult<MigrationRow> {
    let (tenant_id, slug) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantLifecycle, tenant_id)?;
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let current = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (allowed, configured) = residency_lists(&txn, &current).await?;
    let from = placement_of(&current).map_err(ServiceError::Policy)?;
    let mut errors = FieldErrors::default();
    let to = match plan_placement(&from, &form.region, &form.isolation, &allowed, &configured) {
        Ok(to) => Some(to),
        Err(problems) => {
            errors.0.extend(problems.0);
            None
        }
    };
    let reason = check_reason(&form.reason).unwrap_or_else(|problem| {
        errors.push("reason", problem);
        String::new()
    });
    if form.confirm.trim() != slug {
        errors.push(
            "confirm",
            format!("Type the tenant's slug, {slug}, to confirm the move."),
        );
    }
    let Some(to) = to.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    if let Some(refusal) = state_refusal(&current.slug, current.lifecycle_state) {
        return Err(ServiceError::Policy(refusal));
    }
    if let Some(open) = open_migration(&txn, tenant_id).await? {
        return Err(ServiceError::Conflict(format!(
            "A migration to {} is under way (/changes/{}); wait for it to end.",
            open.to_region, open.change_request_id
        )));
    }
    super::backups::refuse_if_busy(&txn, tenant_id).await?;
    if let Some(deployment) =
        crate::backend::services::deployments::tenant_switch_in_progress(&txn, tenant_id).await?
    {
        return Err(ServiceError::Conflict(format!(
            "A blue-green switch is under way on /deployments/{deployment}; move the tenant once it has ended."
        )));
    }
    let actor = Actor::from(&ctx.principal);
    let created = changes::insert_routed(
        &txn,
        &actor,
        &ctx.request,
        changes::RoutedChange {
            target: &current,
            kind: ChangeKind::Migrate,
            title: format!(
                "Move {slug} to {} ({})",
                to.region,
                to.isolation.label().to_lowercase()
            ),
            by_vendor: acts_for_vendor(&ctx.principal.grants),
            model: None,
            details: json!({ "to": { "region": to.region.as_str(), "isolation": to.isolation.as_str() } }),
        },
        now,
    )
    .await?;
    let names = |regions: &[Region]| {
        regions
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    let decision = json!({
        "from": { "region": from.region.as_str(), "isolation": from.isolation.as_str() },
        "to": { "region": to.region.as_str(), "isolation": to.isolation.as_str() },
        "allowed_regions": names(&allowed),
        "configured_regions": names(&configured),
        "verdict": format!(
            "{} is among the tenant's allowed regions and the installation's regions.",
            to.region
        ),
    });
    let recorded = tenant_migration::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        change_request_id: Set(created.id),
        status: Set(MigrationStatus::Requested.as_str().to_owned()),
        from_region: Set(from.region.as_str().to_owned()),
        from_isolation: Set(from.isolation.as_str().to_owned()),
        from_address: Set(current.base_url.clone()),
        to_region: Set(to.region.as_str().to_owned()),
        to_isolation: Set(to.isolation.as_str().to_owned()),
        target_address: Set(None),
        reason: Set(reason.clone()),
        decided_by: Set(actor.label()),
        decision: Set(decision.to_string()),
        backup_id: Set(None),
        note: Set(created.schedule_reason.clone()),
        requested_at: Set(now),
        cut_over_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(actor, "migration.request", "tenant")
            .target(tenant_id)
            .tenant(tenant_id)
            .details(json!({
                "migration_id": recorded.id, "change_request_id": created.id,
                "reason": reason, "decision": decision,
            })),
    )
    .await?;
    // A change that could end at once (refused when handed over) ends its
    // migration too, in this transaction.
    let ended = change_request::Entity::find_by_id(created.id)
        .one(&txn)
        .await?
        .filter(|c| c.status.is_terminal());
    if let Some(c) = ended {
        change_ended(&txn, &c, c.status, c.outcome.as_deref().unwrap_or(""), now).await?;
    }
    let steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(created.id))
        .order_by_asc(change_step::Column::Position)
        .all(&txn)
        .await?;
    let saved = tenant_migration::Entity::find_by_id(recorded.id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    txn.commit().await?;
    Ok(row(saved, steps))
}

/// Why `action` must wait for the tenant's open migration, if it must: a
/// tenant half-way to another placement is not suspended, archived,
/// deleted, backed up, restored or upgraded meanwhile (maintenance and
/// health checks go on).
pub(crate) async fn lifecycle_refusal<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    action: LifecycleAction,
) -> ServiceResult<Option<String>> {
    if !waits_for_migration(action) {
        return Ok(None);
    }
    Ok(open_migration(conn, tenant_id).await?.map(|open| {
        format!(
            "Cannot {} while the tenant's migration to {} is under way (/changes/{}); wait for it to end, or cancel it before it starts.",
            action.label().to_lowercase(),
            open.to_region,
            open.change_request_id
        )
    }))
}

async fn of_change<C: ConnectionTrait>(
    conn: &C,
    change_id: Uuid,
) -> ServiceResult<Option<tenant_migration::Model>> {
    Ok(tenant_migration::Entity::find()
        .filter(tenant_migration::Column::ChangeRequestId.eq(change_id))
        .one(conn)
        .await?)
}

/// Whether a migration's cut-over has happened (the target serves): from
/// then on a failure is not undone.
pub(crate) async fn cut_over_done<C: ConnectionTrait>(
    conn: &C,
    change: &change_request::Model,
) -> ServiceResult<bool> {
    if change.kind != ChangeKind::Migrate {
        return Ok(false);
    }
    Ok(of_change(conn, change.id)
        .await?
        .is_some_and(|m| m.cut_over_at.is_some()))
}

/// What a migration's step is handed besides the usual: the target
/// placement; for the data step the backup's data snapshot; for the steps
/// that work on the target, its address. The migration is running from its
/// first step on.
pub(crate) async fn prepare_order(
    db: &DatabaseConnection,
    change: &change_request::Model,
    order: &mut StepOrder,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if change.kind != ChangeKind::Migrate {
        return Ok(());
    }
    let Some(found) = of_change(db, change.id).await? else {
        return Ok(());
    };
    if let (Ok(region), Ok(isolation)) = (
        Region::parse(&found.to_region),
        IsolationMode::parse(&found.to_isolation),
    ) {
        order.placement = Some(Placement { region, isolation });
    }
    let step = MigrationStep::of_label(&order.step);
    if step == Some(MigrationStep::MigrateData) {
        order.data_snapshot = backup::Entity::find()
            .filter(backup::Column::ChangeRequestId.eq(change.id))
            .one(db)
            .await?
            .and_then(|b| b.data_snapshot);
    }
    let on_target = order.rollback
        || matches!(
            step,
            Some(
                MigrationStep::MigrateData | MigrationStep::ValidateTarget | MigrationStep::CutOver
            )
        );
    if on_target && found.target_address.is_some() {
        order.address = found.target_address.clone();
    }
    if status_of(&found) == MigrationStatus::Requested {
        tenant_migration::Entity::update_many()
            .col_expr(
                tenant_migration::Column::Status,
                Expr::value(MigrationStatus::Running.as_str()),
            )
            .col_expr(tenant_migration::Column::Note, Expr::value(""))
            .col_expr(tenant_migration::Column::UpdatedAt, Expr::value(now))
            .filter(tenant_migration::Column::Id.eq(found.id))
            .filter(tenant_migration::Column::Status.eq(MigrationStatus::Requested.as_str()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Checks what the executor said of a migration step before it is taken as
/// done: a target address the prepare step reports must be one the server
/// may call.
pub(crate) fn check_output(
    change: &change_request::Model,
    step: &str,
    rollback: bool,
    output: &str,
) -> Result<(), String> {
    if change.kind != ChangeKind::Migrate
        || rollback
        || MigrationStep::of_label(step) != Some(MigrationStep::PrepareTarget)
    {
        return Ok(());
    }
    checked_reported_address(output)
        .map(|_| ())
        .map_err(|problem| format!("the executor reported an unusable target address: {problem}"))
}

/// Where the health baseline of a migration's validation step runs: the
/// target's address as the prepare step reported it. `None` for other
/// steps, or with no address reported.
pub(crate) async fn baseline_address(
    db: &DatabaseConnection,
    change: &change_request::Model,
    step: &str,
    rollback: bool,
) -> ServiceResult<Option<String>> {
    if change.kind != ChangeKind::Migrate
        || rollback
        || MigrationStep::of_label(step) != Some(MigrationStep::ValidateTarget)
    {
        return Ok(None);
    }
    Ok(of_change(db, change.id)
        .await?
        .and_then(|m| m.target_address))
}

/// At an edge tenant's cut-over the traffic router moves it: the idle slot
/// of each of its deployments is pointed at the target's address and takes
/// all the traffic. Returns what it did for the step log, or why the step
/// fails (the tenant then still serves from its source). Repeating it after
/// a crash does the same again: the deployment's slots change only with the
/// step's record.
pub(crate) async fn cut_over_traffic(
    db: &DatabaseConnection,
    change: &change_request::Model,
    step: &str,
    rollback: bool,
) -> ServiceResult<Result<Option<String>, String>> {
    if change.kind != ChangeKind::Migrate
        || rollback
        || MigrationStep::of_label(step) != Some(MigrationStep::CutOver)
    {
        return Ok(Ok(None));
    }
    let deployments = edge_deployment::Entity::find()
        .filter(edge_deployment::Column::TenantId.eq(change.tenant_id))
        .all(db)
        .await?;
    if deployments.is_empty() {
        return Ok(Ok(None));
    }
    let Some(address) = of_change(db, change.id)
        .await?
        .and_then(|m| m.target_address)
    else {
        return Ok(Err(
            "The tenant runs on an edge deployment, but the prepare step reported no target address (`address: <url>`): its traffic cannot be moved.".into(),
        ));
    };
    let (ip, port) = match router_endpoint(&address) {
        Ok(endpoint) => endpoint,
        Err(problem) => return Ok(Err(problem)),
    };
    let mut said = Vec::new();
    for d in deployments {
        let target = crate::backend::services::deployments::router_target(&d);
        let router = crate::backend::traffic::router_for(d.router_kind);
        let idle = d.live_slot.other();
        if let Err(e) = router.repoint(&target, idle, ip, port).await {
            return Ok(Err(format!(
                "The router could not point the {} slot of deployment {} at {address}: {e}",
                idle.as_str(),
                d.id
            )));
        }
        let (blue, green) = match idle {
            Slot::Blue => (100, 0),
            Slot::Green => (0, 100),
        };
        if let Err(e) = router.set_weights(&target, blue, green).await {
            return Ok(Err(format!(
                "The router could not move deployment {}'s traffic to the {} slot: {e}",
                d.id,
                idle.as_str()
            )));
        }
        said.push(format!(
            "Deployment {}: the {} slot now points at {ip}:{port} and takes 100 % of the traffic.",
            d.id,
            idle.as_str()
        ));
    }
    Ok(Ok(Some(said.join("\n"))))
}

/// The cut-over moved an edge tenant's traffic: each deployment's idle slot
/// is the live one now, at the target's address and running the version
/// the source ran; the source's slot is idle (its resources are cleaned up
/// next).
async fn record_traffic_moved<C: ConnectionTrait>(
    txn: &C,
    tenant_id: Uuid,
    address: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    for d in edge_deployment::Entity::find()
        .filter(edge_deployment::Column::TenantId.eq(tenant_id))
        .all(txn)
        .await?
    {
        let source = d.live_slot;
        let target = source.other();
        let version = crate::backend::services::deployments::version_of(&d, source);
        let mut record: edge_deployment::ActiveModel = d.into();
        record.live_slot = Set(target);
        match target {
            Slot::Blue => {
                record.blue_url = Set(address.to_owned());
                record.blue_version = Set(version);
                record.blue_state = Set(SlotState::Live);
                record.green_state = Set(SlotState::Idle);
                record.blue_weight = Set(100);
                record.green_weight = Set(0);
            }
            Slot::Green => {
                record.green_url = Set(address.to_owned());
                record.green_version = Set(version);
                record.green_state = Set(SlotState::Live);
                record.blue_state = Set(SlotState::Idle);
                record.green_weight = Set(100);
                record.blue_weight = Set(0);
            }
        }
        record.updated_at = Set(now);
        record.update(txn).await?;
    }
    Ok(())
}

/// Records what a migration step that succeeded changed, in the transaction
/// that records the step: the backup it took, the target's address, and —
/// at the cut-over — the tenant's placement and address themselves.
pub(crate) async fn step_succeeded<C: ConnectionTrait>(
    txn: &C,
    change: &change_request::Model,
    step: &str,
    rollback: bool,
    output: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if change.kind != ChangeKind::Migrate || rollback {
        return Ok(());
    }
    let Some(found) = of_change(txn, change.id).await? else {
        return Ok(());
    };
    let mut update = tenant_migration::Entity::update_many()
        .col_expr(tenant_migration::Column::UpdatedAt, Expr::value(now))
        .filter(tenant_migration::Column::Id.eq(found.id));
    match MigrationStep::of_label(step) {
        Some(MigrationStep::BackUp) => {
            let taken = backup::Entity::find()
                .filter(backup::Column::ChangeRequestId.eq(change.id))
                .one(txn)
                .await?
                .map(|b| b.id);
            update = update.col_expr(tenant_migration::Column::BackupId, Expr::value(taken));
        }
        Some(MigrationStep::PrepareTarget) => {
            let address = checked_reported_address(output)
                .ok()
                .flatten()
                .map(|a| a.as_str().to_owned());
            update = update.col_expr(
                tenant_migration::Column::TargetAddress,
                Expr::value(address),
            );
        }
        Some(MigrationStep::CutOver) if found.cut_over_at.is_none() => {
            move_placement(txn, change, &found, now).await?;
            if let Some(address) = &found.target_address {
                record_traffic_moved(txn, found.tenant_id, address, now).await?;
            }
            update = update
                .col_expr(
                    tenant_migration::Column::Status,
                    Expr::value(MigrationStatus::CutOver.as_str()),
                )
                .col_expr(tenant_migration::Column::CutOverAt, Expr::value(now));
        }
        _ => return Ok(()),
    }
    update.exec(txn).await?;
    Ok(())
}

/// The cut-over happened: the tenant's region, isolation and (when the
/// target reported one) address are the target's, each difference in the
/// change log.
async fn move_placement<C: ConnectionTrait>(
    txn: &C,
    change: &change_request::Model,
    found: &tenant_migration::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let current = tenant::Entity::find_by_id(found.tenant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let isolation = IsolationMode::parse(&found.to_isolation).map_err(ServiceError::Policy)?;
    let address = found.target_address.clone().or(current.base_url.clone());
    let mut record: tenant::ActiveModel = current.clone().into();
    record.region = Set(found.to_region.clone());
    record.isolation_mode = Set(isolation);
    record.base_url = Set(address.clone());
    record.version = Set(current.version + 1);
    record.updated_at = Set(now);
    record.update(txn).await?;
    let actor = Actor::System("executor");
    for (field, before, after) in [
        (
            "region",
            Some(current.region.as_str()),
            Some(found.to_region.as_str()),
        ),
        (
            "isolation_mode",
            Some(current.isolation_mode.as_str()),
            Some(isolation.as_str()),
        ),
        ("base_url", current.base_url.as_deref(), address.as_deref()),
    ] {
        if before != after {
            log_field_change(txn, current.id, field, before, after, &actor, now).await?;
        }
    }
    audit::record(
        txn,
        &change_context(change),
        AuditEntry::new(actor, "migration.cut_over", "tenant")
            .target(current.id)
            .tenant(current.id)
            .details(json!({
                "migration_id": found.id, "change_request_id": change.id,
                "from": { "region": current.region, "isolation": current.isolation_mode.as_str(), "address": current.base_url },
                "to": { "region": found.to_region, "isolation": found.to_isolation, "address": address },
            })),
    )
    .await?;
    Ok(())
}

/// A migration's change has ended (in its closing transaction): so has the
/// migration, as the domain's `ending` says.
pub(crate) async fn change_ended<C: ConnectionTrait>(
    conn: &C,
    change: &change_request::Model,
    status: ChangeStatus,
    outcome: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if change.kind != ChangeKind::Migrate {
        return Ok(());
    }
    let Some(found) = of_change(conn, change.id).await? else {
        return Ok(());
    };
    if !status_of(&found).is_open() {
        return Ok(());
    }
    let ended = ending(status, found.cut_over_at.is_some());
    let note = match ended {
        MigrationStatus::Completed => format!(
            "The tenant runs in {} ({}); its source in {} was cleaned up.",
            found.to_region, found.to_isolation, found.from_region
        ),
        MigrationStatus::CleanupFailed => format!(
            "The tenant serves from {} but its source in {} was not cleaned up: {outcome} Remove the source's resources, or request the clean-up again.",
            found.to_region, found.from_region
        ),
        MigrationStatus::RolledBack => format!(
            "The target was torn down; the tenant still runs in {}. {outcome}",
            found.from_region
        ),
        _ => outcome.to_owned(),
    };
    tenant_migration::Entity::update_many()
        .col_expr(
            tenant_migration::Column::Status,
            Expr::value(ended.as_str()),
        )
        .col_expr(
            tenant_migration::Column::Note,
            Expr::value(note.trim().to_owned()),
        )
        .col_expr(tenant_migration::Column::FinishedAt, Expr::value(now))
        .col_expr(tenant_migration::Column::UpdatedAt, Expr::value(now))
        .filter(tenant_migration::Column::Id.eq(found.id))
        .exec(conn)
        .await?;
    audit::record(
        conn,
        &change_context(change),
        AuditEntry::new(Actor::System("executor"), "migration.end", "tenant")
            .target(found.tenant_id)
            .tenant(found.tenant_id)
            .details(json!({
                "migration_id": found.id, "change_request_id": change.id,
                "status": ended.as_str(), "outcome": outcome,
            })),
    )
    .await?;
    Ok(())
}
