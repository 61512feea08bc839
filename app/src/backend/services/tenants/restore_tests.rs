//! Restore tests: a drill restores one of a tenant's backups into a scratch
//! target beside the tenant, runs the tenant's health baseline there and
//! tears the scratch target down — a change the executor carries out step
//! by step (resumable after a crash like any change), asked for by a person
//! or by the tenant's backup schedule. The running tenant is never touched:
//! its steps are handed the scratch target's address, never the tenant's,
//! and the baseline's verdict goes to the step log, not to the tenant's
//! health history. The drill's verdict lands on the backup it tested.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::Ctx;
use crate::backend::entities::{backup, backup_policy, change_request, restore_test, tenant};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::executor::StepOrder;
use crate::backend::principal::Actor;
use crate::backend::services::changes::{self, change_context};
use crate::domain::access::authority::acts_for_vendor;
use crate::domain::access::permission::Permission;
use crate::domain::changes::change::{ChangeKind, ChangeStatus};
use crate::domain::tenants::backup::VerifyStatus;
use crate::domain::tenants::migration::{Placement, checked_reported_address};
use crate::domain::tenants::restore_test::{
    RestoreTestStatus, RestoreTestStep, due, ending, refusal, tenant_refusal,
};
use crate::domain::tenants::tenant::Region;
use crate::model::tenants::backups::RestoreTestRow;

fn status_of(t: &restore_test::Model) -> RestoreTestStatus {
    RestoreTestStatus::parse(&t.status).unwrap_or(RestoreTestStatus::Failed)
}

fn row(t: restore_test::Model) -> RestoreTestRow {
    RestoreTestRow {
        id: t.id,
        backup_id: t.backup_id,
        change_request_id: t.change_request_id,
        status: t.status,
        scratch_address: t.scratch_address,
        note: t.note,
        scheduled: t.scheduled,
        requested_by: t.requested_by,
        requested_at: t.requested_at,
        finished_at: t.finished_at,
    }
}

/// The latest restore test of each of a tenant's backups, by backup.
pub(crate) async fn latest_of<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<BTreeMap<Uuid, RestoreTestRow>> {
    let mut latest = BTreeMap::new();
    for drill in restore_test::Entity::find()
        .filter(restore_test::Column::TenantId.eq(tenant_id))
        .order_by_desc(restore_test::Column::RequestedAt)
        .limit(1000)
        .all(conn)
        .await?
    {
        latest.entry(drill.backup_id).or_insert_with(|| row(drill));
    }
    Ok(latest)
}

async fn of_change<C: ConnectionTrait>(
    conn: &C,
    change_id: Uuid,
) -> ServiceResult<Option<restore_test::Model>> {
    Ok(restore_test::Entity::find()
        .filter(restore_test::Column::ChangeRequestId.eq(change_id))
        .one(conn)
        .await?)
}

/// Asks for a restore test of one of a tenant's backups (`latest` names
/// its newest): a drill that starts at once — it does not wait for a
/// window, since the running tenant is not touched.
pub async fn request(
    ctx: &Ctx,
    reference: &str,
    backup_id: &str,
) -> ServiceResult<change_request::Model> {
    let (tenant_id, _) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantLifecycle, tenant_id)?;
    let chosen = super::backups::backup_of(&ctx.db, tenant_id, backup_id).await?;
    let txn = ctx.db.begin().await?;
    let target = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let created = create(
        &txn,
        &Actor::from(&ctx.principal),
        &ctx.request,
        &target,
        &chosen,
        acts_for_vendor(&ctx.principal.grants),
        ctx.now(),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Creates a drill's change and its record in the caller's transaction.
/// A person's drill and a scheduled one differ only in who asked.
async fn create(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    context: &RequestContext,
    target: &tenant::Model,
    chosen: &backup::Model,
    by_vendor: bool,
    now: DateTime<Utc>,
) -> ServiceResult<change_request::Model> {
    if let Some(why) = refusal(&chosen.verify_status, chosen.deleted_at.is_some()) {
        return Err(ServiceError::Conflict(why.into()));
    }
    if let Some(why) = tenant_refusal(target.lifecycle_state) {
        return Err(ServiceError::Policy(why.into()));
    }
    if let Some(open) = change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(target.id))
        .filter(change_request::Column::Kind.eq(ChangeKind::RestoreTest.as_str()))
        .filter(change_request::Column::Status.is_in(super::backups::open_statuses()))
        .one(txn)
        .await?
    {
        return Err(ServiceError::Conflict(format!(
            "{} is under way (/changes/{}); one restore test at a time.",
            open.title, open.id
        )));
    }
    let scheduled = matches!(actor, Actor::System(_));
    let created = changes::insert_routed(
        txn,
        actor,
        context,
        changes::RoutedChange {
            target,
            kind: ChangeKind::RestoreTest,
            title: format!(
                "Test a restore of {}'s backup of {}",
                target.slug,
                chosen.taken_at.format("%Y-%m-%d %H:%M UTC")
            ),
            by_vendor,
            model: None,
            details: json!({
                "backup_id": chosen.id, "backup_sha256": chosen.sha256, "scheduled": scheduled,
            }),
        },
        now,
    )
    .await?;
    change_request::Entity::update_many()
        .col_expr(change_request::Column::BackupId, Expr::value(chosen.id))
        .filter(change_request::Column::Id.eq(created.id))
        .exec(txn)
        .await?;
    let drill = restore_test::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(target.id),
        backup_id: Set(chosen.id),
        change_request_id: Set(created.id),
        status: Set(RestoreTestStatus::Requested.as_str().to_owned()),
        scratch_address: Set(None),
        note: Set(String::new()),
        scheduled: Set(scheduled),
        requested_by: Set(actor.label()),
        requested_at: Set(now),
        finished_at: Set(None),
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        context,
        AuditEntry::new(actor.clone(), "restore_test.request", "backup")
            .target(chosen.id)
            .tenant(target.id)
            .details(json!({
                "restore_test_id": drill.id, "change_request_id": created.id,
                "scheduled": scheduled,
            })),
    )
    .await?;
    Ok(created)
}

/// Asks for the restore tests tenants' schedules want now: the latest
/// verified backup of each tenant whose last drill is its interval old (or
/// that was never drilled), one open drill per tenant at most.
pub async fn schedule_due(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<usize> {
    let policies: Vec<(Uuid, i32)> = backup_policy::Entity::find()
        .select_only()
        .column(backup_policy::Column::TenantId)
        .column(backup_policy::Column::RestoreTestDays)
        .filter(backup_policy::Column::RestoreTestDays.gt(0))
        .into_tuple()
        .all(db)
        .await?;
    if policies.is_empty() {
        return Ok(0);
    }
    let latest: BTreeMap<Uuid, DateTime<Utc>> = restore_test::Entity::find()
        .select_only()
        .column(restore_test::Column::TenantId)
        .column_as(restore_test::Column::RequestedAt.max(), "latest")
        .group_by(restore_test::Column::TenantId)
        .into_tuple::<(Uuid, DateTime<Utc>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let open: BTreeSet<Uuid> = restore_test::Entity::find()
        .select_only()
        .column(restore_test::Column::TenantId)
        .filter(restore_test::Column::Status.is_in([
            RestoreTestStatus::Requested.as_str(),
            RestoreTestStatus::Running.as_str(),
        ]))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let due_tenants: Vec<Uuid> = policies
        .into_iter()
        .filter(|(tenant_id, every)| {
            !open.contains(tenant_id) && due(*every, latest.get(tenant_id).copied(), now)
        })
        .map(|(tenant_id, _)| tenant_id)
        .collect();
    let actor = Actor::System("restore-test-schedule");
    let context = RequestContext::default();
    let mut asked = 0;
    for chunk in due_tenants.chunks(200) {
        let tenants: BTreeMap<Uuid, tenant::Model> = tenant::Entity::find()
            .filter(tenant::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let txn = db.begin().await?;
        for tenant_id in chunk {
            let Some(target) = tenants.get(tenant_id) else {
                continue;
            };
            let Some(newest) = backup::Entity::find()
                .filter(backup::Column::TenantId.eq(*tenant_id))
                .filter(backup::Column::VerifyStatus.eq(VerifyStatus::Verified.as_str()))
                .filter(backup::Column::DeletedAt.is_null())
                .order_by_desc(backup::Column::TakenAt)
                .one(&txn)
                .await?
            else {
                continue; // nothing verified to test yet
            };
            match create(&txn, &actor, &context, target, &newest, true, now).await {
                Ok(_) => asked += 1,
                Err(ServiceError::Conflict(_) | ServiceError::Policy(_)) => {}
                Err(other) => return Err(other),
            }
        }
        txn.commit().await?;
    }
    Ok(asked)
}

// ---- The drill's steps (called by the change executor) ---------------------

/// What a drill's step is handed: where the scratch target goes (the
/// tenant's own region and isolation — the data stays where it may live),
/// for the restore step the backup's data snapshot, and for the steps that
/// work on the scratch target its address — never the running tenant's.
/// The drill is running from its first step on.
pub(crate) async fn prepare_order(
    db: &DatabaseConnection,
    change: &change_request::Model,
    target: &tenant::Model,
    order: &mut StepOrder,
) -> ServiceResult<()> {
    if change.kind != ChangeKind::RestoreTest {
        return Ok(());
    }
    let Some(found) = of_change(db, change.id).await? else {
        return Ok(());
    };
    if let Ok(region) = Region::parse(&target.region) {
        order.placement = Some(Placement {
            region,
            isolation: target.isolation_mode,
        });
    }
    let step = RestoreTestStep::of_label(&order.step);
    order.address = if order.rollback || step.is_some_and(RestoreTestStep::on_scratch) {
        found.scratch_address.clone()
    } else {
        None
    };
    if step == Some(RestoreTestStep::RestoreData) && !order.rollback {
        order.data_snapshot = backup::Entity::find_by_id(found.backup_id)
            .one(db)
            .await?
            .and_then(|b| b.data_snapshot);
    }
    if status_of(&found) == RestoreTestStatus::Requested {
        restore_test::Entity::update_many()
            .col_expr(
                restore_test::Column::Status,
                Expr::value(RestoreTestStatus::Running.as_str()),
            )
            .filter(restore_test::Column::Id.eq(found.id))
            .filter(restore_test::Column::Status.eq(RestoreTestStatus::Requested.as_str()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Before the restore step reaches the executor the bundle is re-read and
/// re-hashed (recorded like any verify): a corrupt or missing one fails the
/// step, and nothing is restored anywhere.
pub(crate) async fn check_before_restore(
    db: &DatabaseConnection,
    change: &change_request::Model,
    step: &str,
    rollback: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<Result<String, String>>> {
    if change.kind != ChangeKind::RestoreTest
        || rollback
        || RestoreTestStep::of_label(step) != Some(RestoreTestStep::RestoreData)
    {
        return Ok(None);
    }
    let Some(found) = of_change(db, change.id).await? else {
        return Ok(Some(Err("The restore test's record is gone.".into())));
    };
    let Some(chosen) = backup::Entity::find_by_id(found.backup_id).one(db).await? else {
        return Ok(Some(Err("The backup is gone.".into())));
    };
    if chosen.deleted_at.is_some() {
        return Ok(Some(Err(
            "Retention deleted this backup's bundle meanwhile, so nothing was restored.".into(),
        )));
    }
    // Re-hashed on every attempt, whatever an earlier verify found.
    let checked = super::backups::verify_one(
        db,
        &chosen,
        &Actor::System("restore-test"),
        &change_context(change),
        now,
    )
    .await?;
    Ok(Some(
        if checked.verify_status == VerifyStatus::Verified.as_str() {
            Ok(format!(
                "Checksum of backup {} verified ({} bytes, SHA-256 {}).",
                checked.id, checked.size_bytes, checked.sha256
            ))
        } else {
            Err(format!(
                "Backup {} failed its check, so nothing was restored: {}",
                checked.id, checked.verify_message
            ))
        },
    ))
}

/// Checks what the executor said of a drill's prepare step before it is
/// taken as done: a scratch address must be one the server may call.
pub(crate) fn check_output(
    change: &change_request::Model,
    step: &str,
    rollback: bool,
    output: &str,
) -> Result<(), String> {
    if change.kind != ChangeKind::RestoreTest
        || rollback
        || RestoreTestStep::of_label(step) != Some(RestoreTestStep::PrepareScratch)
    {
        return Ok(());
    }
    checked_reported_address(output)
        .map(|_| ())
        .map_err(|problem| format!("the executor reported an unusable scratch address: {problem}"))
}

/// Where a drill's validation step runs the tenant's baseline: the scratch
/// target's address. `None` for other steps, or when the prepare step
/// reported none (the executor's own check of the restored copy stands).
pub(crate) async fn baseline_address(
    db: &DatabaseConnection,
    change: &change_request::Model,
    step: &str,
    rollback: bool,
) -> ServiceResult<Option<String>> {
    if change.kind != ChangeKind::RestoreTest
        || rollback
        || RestoreTestStep::of_label(step) != Some(RestoreTestStep::ValidateScratch)
    {
        return Ok(None);
    }
    Ok(of_change(db, change.id)
        .await?
        .and_then(|t| t.scratch_address))
}

/// Records the scratch target's address when the prepare step that
/// reported it is recorded (same transaction).
pub(crate) async fn step_succeeded<C: ConnectionTrait>(
    txn: &C,
    change: &change_request::Model,
    step: &str,
    rollback: bool,
    output: &str,
) -> ServiceResult<()> {
    if change.kind != ChangeKind::RestoreTest
        || rollback
        || RestoreTestStep::of_label(step) != Some(RestoreTestStep::PrepareScratch)
    {
        return Ok(());
    }
    let address = checked_reported_address(output)
        .ok()
        .flatten()
        .map(|a| a.as_str().to_owned());
    restore_test::Entity::update_many()
        .col_expr(restore_test::Column::ScratchAddress, Expr::value(address))
        .filter(restore_test::Column::ChangeRequestId.eq(change.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// A drill's change has ended (in its closing transaction): its verdict
/// lands on the backup, in the audit trail and as an event.
pub(crate) async fn change_ended<C: ConnectionTrait>(
    conn: &C,
    change: &change_request::Model,
    status: ChangeStatus,
    outcome: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if change.kind != ChangeKind::RestoreTest {
        return Ok(());
    }
    let Some(found) = of_change(conn, change.id).await? else {
        return Ok(());
    };
    if !status_of(&found).is_open() {
        return Ok(());
    }
    let ended = ending(status);
    let note = match ended {
        RestoreTestStatus::Passed => {
            "Restored into a scratch target, its health baseline passed there, torn down."
                .to_owned()
        }
        _ => outcome.trim().to_owned(),
    };
    restore_test::Entity::update_many()
        .col_expr(restore_test::Column::Status, Expr::value(ended.as_str()))
        .col_expr(restore_test::Column::Note, Expr::value(note.clone()))
        .col_expr(restore_test::Column::FinishedAt, Expr::value(now))
        .filter(restore_test::Column::Id.eq(found.id))
        .exec(conn)
        .await?;
    audit::record(
        conn,
        &change_context(change),
        AuditEntry::new(Actor::System("executor"), "restore_test.end", "backup")
            .target(found.backup_id)
            .tenant(found.tenant_id)
            .details(json!({
                "restore_test_id": found.id, "change_request_id": change.id,
                "status": ended.as_str(), "note": note, "scheduled": found.scheduled,
            })),
    )
    .await?;
    Ok(())
}
