//! Backups as records: a backup change writes a bundle (the portal's own part
//! of the tenant and the executor's data snapshot reference) to the backup
//! target and records where, how big and its SHA-256; verify re-reads and
//! re-hashes; a restore change checks the bundle first, puts the portal's
//! part back exactly and hands the data reference to the executor; each
//! tenant's schedule asks for daily, weekly and monthly backups, and
//! retention deletes expired bundles unless a legal hold stands.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::backup_store::{self, StoreError};
use crate::backend::context::Ctx;
use crate::backend::entities::{
    backup, backup_policy, change_request, endpoint, field_change, legal_hold, product, tenant,
    tenant_product, tenant_setting,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::services::changes::{self, change_context};
use crate::domain::access::authority::acts_for_vendor;
use crate::domain::access::permission::{Permission, Scope};
use crate::domain::changes::change::{ChangeKind, ChangeStatus, is_work_step};
use crate::domain::tenants::backup::{
    BUNDLE_FORMAT, BackupKind, BackupSchedule, Bundle, BundleProduct, BundleSetting, ConfigDelta,
    RetentionClass, VerifyStatus, check_hold_reason, config_deltas, expires_at, judge_bundle,
    sha256_hex, snapshot_reference,
};
use crate::domain::tenants::lifecycle::{LifecycleAction, plan_transition};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::model::tenants::backups::{
    BackupRequestForm, BackupRow, BackupScheduleForm, InFlightChange, LegalHoldForm, LegalHoldRow,
    RestoreForm, RestoreTestRow, TenantBackups,
};

fn field_error(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Validation(FieldErrors(vec![FieldError::new(field, message.into())]))
}

fn store_failure(error: StoreError) -> ServiceError {
    ServiceError::internal_in("backup target", error.to_string())
}

fn row(b: backup::Model, restore_test: Option<RestoreTestRow>) -> BackupRow {
    BackupRow {
        id: b.id,
        change_request_id: b.change_request_id,
        kind: b.kind,
        retention_class: b.retention_class,
        location: b.location,
        size_bytes: b.size_bytes,
        sha256: b.sha256,
        data_snapshot: b.data_snapshot,
        contents: serde_json::from_str(&b.contents).unwrap_or(serde_json::Value::Null),
        taken_at: b.taken_at,
        verify_status: b.verify_status,
        verified_at: b.verified_at,
        verify_message: b.verify_message,
        expires_at: b.expires_at,
        deleted_at: b.deleted_at,
        delete_reason: b.delete_reason,
        restore_test,
    }
}

pub(crate) fn hold_row(h: legal_hold::Model) -> LegalHoldRow {
    LegalHoldRow {
        id: h.id,
        reason: h.reason,
        set_by: h.set_by,
        set_at: h.set_at,
        lifted_by: h.lifted_by,
        lifted_at: h.lifted_at,
        lift_reason: h.lift_reason,
    }
}

/// A tenant's schedule (all zero when none was set).
pub async fn schedule_of<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<BackupSchedule> {
    Ok(backup_policy::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .map(|p| BackupSchedule {
            keep_daily: p.keep_daily,
            keep_weekly: p.keep_weekly,
            keep_monthly: p.keep_monthly,
            restore_test_days: p.restore_test_days,
        })
        .unwrap_or_default())
}

/// The legal hold standing on a tenant, if any.
pub async fn standing_hold<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<Option<legal_hold::Model>> {
    Ok(legal_hold::Entity::find()
        .filter(legal_hold::Column::TenantId.eq(tenant_id))
        .filter(legal_hold::Column::LiftedAt.is_null())
        .one(conn)
        .await?)
}

/// Work that takes or puts back a tenant's data: one at a time (a
/// migration backs up and moves the data too).
fn in_flight_kinds() -> [&'static str; 3] {
    [
        ChangeKind::Backup.as_str(),
        ChangeKind::Restore.as_str(),
        ChangeKind::Migrate.as_str(),
    ]
}

pub(crate) fn open_statuses() -> Vec<&'static str> {
    ChangeStatus::ALL
        .iter()
        .filter(|s| !s.is_terminal())
        .map(|s| s.as_str())
        .collect()
}

/// The most held backups a tenant's view lists (more than any schedule
/// keeps: 366 daily + 260 weekly + 120 monthly, and manual ones).
const MAX_LISTED_HELD: u64 = 2_000;
/// The most deleted backup records a tenant's view lists.
const MAX_LISTED_DELETED: u64 = 100;

/// A tenant's backups, schedule, holds and backup work under way.
pub async fn view(ctx: &Ctx, reference: &str) -> ServiceResult<TenantBackups> {
    let (tenant_id, slug) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantRead, tenant_id)?;
    let db = &ctx.reads;
    // Every backup whose bundle is still held is listed (a schedule keeps
    // at most a few hundred); of the records retention left behind, the
    // newest — the older ones' deletions are in the audit trail.
    let mut backups = backup::Entity::find()
        .filter(backup::Column::TenantId.eq(tenant_id))
        .filter(backup::Column::DeletedAt.is_null())
        .order_by_desc(backup::Column::TakenAt)
        .limit(MAX_LISTED_HELD)
        .all(db)
        .await?;
    let deleted = backup::Entity::find()
        .filter(backup::Column::TenantId.eq(tenant_id))
        .filter(backup::Column::DeletedAt.is_not_null());
    let deleted_total = deleted.clone().count(db).await?;
    backups.extend(
        deleted
            .order_by_desc(backup::Column::TakenAt)
            .limit(MAX_LISTED_DELETED)
            .all(db)
            .await?,
    );
    backups.sort_by(|a, b| b.taken_at.cmp(&a.taken_at));
    let mut drills = super::restore_tests::latest_of(db, tenant_id).await?;
    let schedule = schedule_of(db, tenant_id).await?;
    let mut holds = legal_hold::Entity::find()
        .filter(legal_hold::Column::TenantId.eq(tenant_id))
        .order_by_desc(legal_hold::Column::SetAt)
        .all(db)
        .await?;
    holds.sort_by_key(|h| h.lifted_at.is_some());
    let in_flight = change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(tenant_id))
        .filter(
            change_request::Column::Kind.is_in(
                in_flight_kinds()
                    .into_iter()
                    .chain([ChangeKind::RestoreTest.as_str()]),
            ),
        )
        .filter(change_request::Column::Status.is_in(open_statuses()))
        .order_by_asc(change_request::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|c| InFlightChange {
            id: c.id,
            title: c.title,
            status: c.status.as_str().to_owned(),
            progress: c.progress,
            schedule_reason: c.schedule_reason,
        })
        .collect();
    Ok(TenantBackups {
        tenant_id,
        slug,
        backups: backups
            .into_iter()
            .map(|b| {
                let drill = drills.remove(&b.id);
                row(b, drill)
            })
            .collect(),
        older_deleted: deleted_total.saturating_sub(MAX_LISTED_DELETED),
        keep_daily: schedule.keep_daily,
        keep_weekly: schedule.keep_weekly,
        keep_monthly: schedule.keep_monthly,
        restore_test_days: schedule.restore_test_days,
        legal_holds: holds.into_iter().map(hold_row).collect(),
        target: backup_store::current()
            .map(|t| t.base().to_owned())
            .unwrap_or_else(|e| e.to_string()),
        in_flight,
        can_operate: ctx
            .principal
            .can(Permission::TenantLifecycle, Scope::Tenant(tenant_id)),
        can_hold: ctx.principal.can(Permission::LegalHold, Scope::Platform),
    })
}

/// Refuses a second backup or restore while one is under way.
pub(crate) async fn refuse_if_busy<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<()> {
    if let Some(open) = change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(tenant_id))
        .filter(change_request::Column::Kind.is_in(in_flight_kinds()))
        .filter(change_request::Column::Status.is_in(open_statuses()))
        .one(conn)
        .await?
    {
        return Err(ServiceError::Conflict(format!(
            "{} is under way (/changes/{}); wait for it or cancel it.",
            open.title, open.id
        )));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
/// Creates a backup change for `class` in the caller's transaction: routed
/// like any change (approval per the tenant's policy, then its next window:
/// a backup runs in maintenance).
async fn create_backup_change(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    context: &RequestContext,
    target: &tenant::Model,
    class: RetentionClass,
    by_vendor: bool,
    note: &str,
    now: DateTime<Utc>,
) -> ServiceResult<change_request::Model> {
    if let Err(refusal) = plan_transition(target.lifecycle_state, LifecycleAction::BackUp) {
        return Err(ServiceError::Policy(refusal.reason));
    }
    refuse_if_busy(txn, target.id).await?;
    let title = match class {
        RetentionClass::Manual => format!("Back up {}", target.slug),
        _ => format!("Back up {} ({})", target.slug, class.label().to_lowercase()),
    };
    let created = changes::insert_routed(
        txn,
        actor,
        context,
        changes::RoutedChange {
            target,
            kind: ChangeKind::Backup,
            title,
            by_vendor,
            model: None,
            details: json!({ "retention_class": class.as_str(), "note": note }),
        },
        now,
    )
    .await?;
    change_request::Entity::update_many()
        .col_expr(
            change_request::Column::BackupClass,
            Expr::value(class.as_str()),
        )
        .filter(change_request::Column::Id.eq(created.id))
        .exec(txn)
        .await?;
    Ok(created)
}

/// Asks for a backup of a tenant now (a manual backup, kept 90 days).
pub async fn request_backup(
    ctx: &Ctx,
    reference: &str,
    form: &BackupRequestForm,
) -> ServiceResult<change_request::Model> {
    let (tenant_id, _) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantLifecycle, tenant_id)?;
    let note = form.note.trim();
    if note.chars().count() > 500 {
        return Err(field_error("note", "Keep the note under 500 characters."));
    }
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let target = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let created = create_backup_change(
        &txn,
        &Actor::from(&ctx.principal),
        &ctx.request,
        &target,
        RetentionClass::Manual,
        acts_for_vendor(&ctx.principal.grants),
        note,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The backup `id` of `tenant_id` (another tenant's is not found), or its
/// newest one still held for `latest`.
pub(crate) async fn backup_of<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    id: &str,
) -> ServiceResult<backup::Model> {
    if id.trim() == "latest" {
        return backup::Entity::find()
            .filter(backup::Column::TenantId.eq(tenant_id))
            .filter(backup::Column::DeletedAt.is_null())
            .order_by_desc(backup::Column::TakenAt)
            .one(conn)
            .await?
            .ok_or_else(|| ServiceError::Conflict("This tenant has no backups yet.".into()));
    }
    let id = Uuid::parse_str(id.trim()).map_err(|_| ServiceError::NotFound)?;
    backup::Entity::find_by_id(id)
        .filter(backup::Column::TenantId.eq(tenant_id))
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Re-reads a backup's bundle and re-hashes it, recording what it found
/// (and its event when the bundle is corrupt or missing).
pub(crate) async fn verify_one(
    db: &DatabaseConnection,
    found: &backup::Model,
    actor: &Actor,
    context: &RequestContext,
    now: DateTime<Utc>,
) -> ServiceResult<backup::Model> {
    let target = backup_store::current().map_err(store_failure)?;
    let read = match target.get(&found.location).await {
        Ok(bytes) => Some(bytes),
        Err(StoreError::Missing(_)) => None,
        Err(other) => return Err(store_failure(other)),
    };
    let (status, message) = judge_bundle(&found.sha256, read.as_deref());
    let txn = db.begin().await?;
    let mut record = found.clone().into_active_model();
    record.verify_status = Set(status.as_str().to_owned());
    record.verified_at = Set(Some(now));
    record.verify_message = Set(message.clone());
    let updated = record.update(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(actor.clone(), "backup.verify", "backup")
            .target(found.id)
            .tenant(found.tenant_id)
            .details(json!({ "status": status.as_str(), "message": message })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Verifies one backup now.
pub async fn verify(ctx: &Ctx, reference: &str, backup_id: &str) -> ServiceResult<BackupRow> {
    let (tenant_id, _) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantLifecycle, tenant_id)?;
    let found = backup_of(&ctx.db, tenant_id, backup_id).await?;
    if found.deleted_at.is_some() {
        return Err(ServiceError::Conflict(
            "Retention deleted this backup's bundle; there is nothing to verify.".into(),
        ));
    }
    let updated = verify_one(
        &ctx.db,
        &found,
        &Actor::from(&ctx.principal),
        &ctx.request,
        ctx.now(),
    )
    .await?;
    let drill = super::restore_tests::latest_of(&ctx.reads, tenant_id)
        .await?
        .remove(&updated.id);
    Ok(row(updated, drill))
}

/// Asks for a restore of a tenant from one of its backups: the bundle is
/// checked first (a corrupt or missing one is refused and nothing changes);
/// the restore change then follows the tenant's policy like any change.
pub async fn request_restore(
    ctx: &Ctx,
    reference: &str,
    form: &RestoreForm,
) -> ServiceResult<change_request::Model> {
    let (tenant_id, slug) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantLifecycle, tenant_id)?;
    let mut errors = FieldErrors::default();
    if form.confirm.trim() != slug {
        errors.push(
            "confirm",
            format!("Type the tenant's slug, {slug}, to confirm the restore."),
        );
    }
    let chosen = match Uuid::parse_str(form.backup_id.trim()) {
        Err(_) => {
            errors.push("backup_id", "Choose one of the tenant's backups.");
            None
        }
        Ok(_) => match backup_of(&ctx.db, tenant_id, &form.backup_id).await {
            Ok(found) => Some(found),
            Err(ServiceError::NotFound) => {
                errors.push("backup_id", "This tenant has no such backup.");
                None
            }
            Err(other) => return Err(other),
        },
    };
    if let Some(found) = &chosen
        && found.deleted_at.is_some()
    {
        errors.push(
            "backup_id",
            "Retention deleted this backup's bundle; choose a newer backup.",
        );
    }
    if form.note.trim().chars().count() > 500 {
        errors.push("note", "Keep the note under 500 characters.");
    }
    let Some(chosen) = chosen.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let actor = Actor::from(&ctx.principal);
    // The bundle must still be what was written before anything is asked.
    let checked = verify_one(&ctx.db, &chosen, &actor, &ctx.request, ctx.now()).await?;
    if checked.verify_status != VerifyStatus::Verified.as_str() {
        return Err(field_error(
            "backup_id",
            format!(
                "This backup failed its check, so it cannot be restored: {} Nothing was changed.",
                checked.verify_message
            ),
        ));
    }
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let target = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Err(refusal) = plan_transition(target.lifecycle_state, LifecycleAction::Restore) {
        return Err(ServiceError::Policy(refusal.reason));
    }
    if let Some(refusal) =
        super::residency::activation_refusal(&txn, &target, LifecycleAction::Restore).await?
    {
        return Err(field_error("kind", refusal));
    }
    refuse_if_busy(&txn, tenant_id).await?;
    let created = changes::insert_routed(
        &txn,
        &actor,
        &ctx.request,
        changes::RoutedChange {
            target: &target,
            kind: ChangeKind::Restore,
            title: format!(
                "Restore {} from the backup of {}",
                target.slug,
                chosen.taken_at.format("%Y-%m-%d %H:%M UTC")
            ),
            by_vendor: acts_for_vendor(&ctx.principal.grants),
            model: None,
            details: json!({
                "backup_id": chosen.id, "backup_sha256": chosen.sha256,
                "note": form.note.trim(),
            }),
        },
        now,
    )
    .await?;
    change_request::Entity::update_many()
        .col_expr(change_request::Column::BackupId, Expr::value(chosen.id))
        .filter(change_request::Column::Id.eq(created.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(created)
}

/// Sets a tenant's backup schedule.
pub async fn set_schedule(
    ctx: &Ctx,
    reference: &str,
    form: &BackupScheduleForm,
) -> ServiceResult<BackupSchedule> {
    let (tenant_id, _) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantLifecycle, tenant_id)?;
    let schedule = BackupSchedule::parse(
        &form.keep_daily,
        &form.keep_weekly,
        &form.keep_monthly,
        &form.restore_test_days,
    )?;
    let actor = Actor::from(&ctx.principal);
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let before = schedule_of(&txn, tenant_id).await?;
    let record = backup_policy::ActiveModel {
        tenant_id: Set(tenant_id),
        keep_daily: Set(schedule.keep_daily),
        keep_weekly: Set(schedule.keep_weekly),
        keep_monthly: Set(schedule.keep_monthly),
        restore_test_days: Set(schedule.restore_test_days),
        updated_at: Set(now),
        updated_by: Set(actor.label()),
    };
    if backup_policy::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .is_some()
    {
        record.update(&txn).await?;
    } else {
        record.insert(&txn).await?;
    }
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(actor, "backup.schedule", "tenant")
            .target(tenant_id)
            .tenant(tenant_id)
            .details(json!({ "before": before, "after": schedule })),
    )
    .await?;
    txn.commit().await?;
    Ok(schedule)
}

/// Sets a legal hold on a tenant (one stands at a time).
pub async fn set_legal_hold(
    ctx: &Ctx,
    reference: &str,
    form: &LegalHoldForm,
) -> ServiceResult<LegalHoldRow> {
    ctx.principal.require(Permission::LegalHold)?;
    let (tenant_id, _) = super::resolve_tenant_id(ctx, reference).await?;
    let reason = check_hold_reason(&form.reason).map_err(|m| field_error("reason", m))?;
    let actor = Actor::from(&ctx.principal);
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    if let Some(standing) = standing_hold(&txn, tenant_id).await? {
        return Err(ServiceError::Conflict(format!(
            "A legal hold already stands on this tenant (set by {} on {}: {}).",
            standing.set_by,
            standing.set_at.format("%Y-%m-%d"),
            standing.reason
        )));
    }
    let hold = legal_hold::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        reason: Set(reason.clone()),
        set_by: Set(actor.label()),
        set_at: Set(now),
        lifted_by: Set(None),
        lifted_at: Set(None),
        lift_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(actor, "legal_hold.set", "tenant")
            .target(tenant_id)
            .tenant(tenant_id)
            .details(json!({ "hold_id": hold.id, "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    Ok(hold_row(hold))
}

/// Lifts the legal hold standing on a tenant, saying why.
pub async fn lift_legal_hold(
    ctx: &Ctx,
    reference: &str,
    form: &LegalHoldForm,
) -> ServiceResult<LegalHoldRow> {
    ctx.principal.require(Permission::LegalHold)?;
    let (tenant_id, _) = super::resolve_tenant_id(ctx, reference).await?;
    let reason = check_hold_reason(&form.reason).map_err(|m| field_error("reason", m))?;
    let actor = Actor::from(&ctx.principal);
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let Some(standing) = standing_hold(&txn, tenant_id).await? else {
        return Err(ServiceError::Conflict(
            "No legal hold stands on this tenant.".into(),
        ));
    };
    let mut record = standing.clone().into_active_model();
    record.lifted_by = Set(Some(actor.label()));
    record.lifted_at = Set(Some(now));
    record.lift_reason = Set(Some(reason.clone()));
    let lifted = record.update(&txn).await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(actor, "legal_hold.lift", "tenant")
            .target(tenant_id)
            .tenant(tenant_id)
            .details(
                json!({ "hold_id": standing.id, "reason": reason, "held_since": standing.set_at }),
            ),
    )
    .await?;
    txn.commit().await?;
    Ok(hold_row(lifted))
}

// ---- The executor's side ------------------------------------------------

/// Whether the portal has work of its own around this step (besides the
/// executor's): a backup's bundle after the executor's snapshot, a
/// restore's checks and the portal's part before the executor's.
pub(crate) fn captures_after(kind: ChangeKind, step: &str, rollback: bool) -> bool {
    (kind == ChangeKind::Backup && is_work_step(kind, step, rollback))
        || (kind == ChangeKind::Migrate
            && !rollback
            && step == crate::domain::tenants::migration::MigrationStep::BackUp.label())
}

pub(crate) fn restores_before(kind: ChangeKind, step: &str, rollback: bool) -> bool {
    kind == ChangeKind::Restore && is_work_step(kind, step, rollback)
}

/// The portal's own part of a tenant as it stands, for a bundle.
async fn portal_part<C: ConnectionTrait>(
    conn: &C,
    target: &tenant::Model,
) -> ServiceResult<(
    serde_json::Value,
    Vec<BundleSetting>,
    Vec<BundleProduct>,
    Vec<serde_json::Value>,
)> {
    let config = current_settings(conn, target.id).await?;
    let keys: BTreeMap<Uuid, String> = product::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.key))
        .collect();
    let products = tenant_product::Entity::find()
        .filter(tenant_product::Column::TenantId.eq(target.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|tp| BundleProduct {
            product_key: keys.get(&tp.product_id).cloned().unwrap_or_default(),
            product_id: tp.product_id,
            allowed_range: tp.allowed_range,
            feature_flags: tp.feature_flags.0,
            running_version: tp.running_version,
            components: tp.components.0,
        })
        .collect();
    let endpoints = endpoint::Entity::find()
        .filter(endpoint::Column::TenantId.eq(target.id))
        .order_by_asc(endpoint::Column::Hostname)
        .all(conn)
        .await?
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id, "hostname": e.hostname, "platform": e.platform,
                "agent_version": e.agent_version, "registered_at": e.registered_at,
                "last_seen_at": e.last_seen_at,
            })
        })
        .collect();
    Ok((
        crate::backend::events::tenant_state(target),
        config,
        products,
        endpoints,
    ))
}

async fn current_settings<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<Vec<BundleSetting>> {
    Ok(tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(tenant_id))
        .order_by_asc(tenant_setting::Column::Key)
        .all(conn)
        .await?
        .into_iter()
        .map(|s| BundleSetting {
            key: s.key,
            value: s.value,
            is_secret: s.is_secret,
        })
        .collect())
}

/// After the executor's backup step: writes the bundle (the portal's part
/// and the snapshot reference the executor reported) to the target and
/// records the backup. Handed the same step again, it finds its record.
pub async fn capture(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    change: &change_request::Model,
    target: &tenant::Model,
    executor_output: &str,
) -> ServiceResult<String> {
    if let Some(done) = backup::Entity::find()
        .filter(backup::Column::ChangeRequestId.eq(change.id))
        .one(db)
        .await?
    {
        return Ok(format!("The backup {} was already recorded.", done.id));
    }
    let snapshot = snapshot_reference(executor_output);
    let kind = if snapshot.is_some() {
        BackupKind::Full
    } else {
        BackupKind::Config
    };
    let (declared, config, products, endpoints) = portal_part(db, target).await?;
    let bundle = Bundle {
        format: BUNDLE_FORMAT.to_owned(),
        backup_id: Uuid::new_v4(),
        change_request_id: change.id,
        kind,
        taken_at: now,
        tenant: declared,
        config,
        products,
        endpoints,
        data_snapshot: snapshot.clone(),
    };
    let bytes = serde_json::to_vec(&bundle)
        .map_err(|e| ServiceError::internal_in("backup bundle", e.to_string()))?;
    let checksum = sha256_hex(&bytes);
    let size = bytes.len() as i64;
    let key = format!("tenants/{}/{}.json", target.id, change.id);
    let store = backup_store::current().map_err(store_failure)?;
    let location = store.put(&key, bytes).await.map_err(store_failure)?;
    let class = change
        .backup_class
        .as_deref()
        .and_then(RetentionClass::parse)
        .unwrap_or(RetentionClass::Manual);
    let txn = db.begin().await?;
    let schedule = schedule_of(&txn, target.id).await?;
    let contents = bundle.contents();
    let recorded = backup::ActiveModel {
        id: Set(bundle.backup_id),
        tenant_id: Set(target.id),
        change_request_id: Set(change.id),
        kind: Set(kind.as_str().to_owned()),
        retention_class: Set(class.as_str().to_owned()),
        location: Set(location.clone()),
        size_bytes: Set(size),
        sha256: Set(checksum.clone()),
        data_snapshot: Set(snapshot.clone()),
        contents: Set(contents.to_string()),
        taken_at: Set(now),
        verify_status: Set(VerifyStatus::Unverified.as_str().to_owned()),
        verified_at: Set(None),
        verify_message: Set(String::new()),
        expires_at: Set(Some(expires_at(class, &schedule, now))),
        deleted_at: Set(None),
        delete_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &change_context(change),
        AuditEntry::new(Actor::System("executor"), "backup.create", "backup")
            .target(recorded.id)
            .tenant(target.id)
            .details(json!({
                "change_request_id": change.id, "kind": kind.as_str(),
                "retention_class": class.as_str(), "location": location,
                "size_bytes": size, "sha256": checksum, "data_snapshot": snapshot,
                "contents": contents,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(format!(
        "Backup {} written to {location}: {size} bytes, SHA-256 {checksum}; {}.",
        recorded.id,
        match &snapshot {
            Some(reference) => format!("data snapshot {reference}"),
            None => "the executor reported no data snapshot (no `snapshot: <reference>` line), so this backup holds the portal's part only".to_owned(),
        }
    ))
}

/// Before the executor's restore step: checks the chosen bundle against its
/// checksum (a mismatch fails the step and nothing is restored), then puts
/// the portal's part back exactly — configuration and versions as they were,
/// each difference in the change log naming the restore — and returns what
/// it did and the data snapshot reference for the executor. Handed the same
/// step again, it finds nothing left to change.
pub(crate) async fn restore_portal_part(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    change: &change_request::Model,
    target: &tenant::Model,
) -> ServiceResult<Result<(String, Option<String>), String>> {
    let Some(backup_id) = change.backup_id else {
        return Ok(Err(
            "This restore names no backup; request it from the tenant's Backups tab.".into(),
        ));
    };
    let Some(found) = backup::Entity::find_by_id(backup_id)
        .filter(backup::Column::TenantId.eq(target.id))
        .one(db)
        .await?
    else {
        return Ok(Err("The backup to restore from is gone.".into()));
    };
    if found.deleted_at.is_some() {
        return Ok(Err(
            "Retention deleted this backup's bundle since the restore was requested.".into(),
        ));
    }
    let checked = verify_one(
        db,
        &found,
        &Actor::System("executor"),
        &change_context(change),
        now,
    )
    .await?;
    if checked.verify_status != VerifyStatus::Verified.as_str() {
        return Ok(Err(format!(
            "The backup failed its checksum check, so nothing was restored: {}",
            checked.verify_message
        )));
    }
    let store = backup_store::current().map_err(store_failure)?;
    let bytes = store.get(&found.location).await.map_err(store_failure)?;
    let bundle: Bundle = match serde_json::from_slice(&bytes) {
        Ok(bundle) => bundle,
        Err(e) => return Ok(Err(format!("The bundle cannot be read: {e}"))),
    };
    if bundle.format != BUNDLE_FORMAT {
        return Ok(Err(format!(
            "The bundle is in format {}, which this portal does not read.",
            bundle.format
        )));
    }
    let cause = format!("restore {} (backup {})", change.id, found.id);
    let txn = db.begin().await?;
    let current = current_settings(&txn, target.id).await?;
    let deltas = config_deltas(&current, &bundle.config);
    let mut log = Vec::new();
    for delta in &deltas {
        let field = format!("config.{}", delta.key());
        match delta {
            ConfigDelta::Add(back) => {
                tenant_setting::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    tenant_id: Set(target.id),
                    key: Set(back.key.clone()),
                    value: Set(back.value.clone()),
                    is_secret: Set(back.is_secret),
                    updated_at: Set(now),
                    updated_by: Set(cause.clone()),
                }
                .insert(&txn)
                .await?;
                log.push((field, None, Some(shown(back))));
            }
            ConfigDelta::Change { now: was, back } => {
                tenant_setting::Entity::update_many()
                    .col_expr(
                        tenant_setting::Column::Value,
                        Expr::value(back.value.clone()),
                    )
                    .col_expr(
                        tenant_setting::Column::IsSecret,
                        Expr::value(back.is_secret),
                    )
                    .col_expr(tenant_setting::Column::UpdatedAt, Expr::value(now))
                    .col_expr(
                        tenant_setting::Column::UpdatedBy,
                        Expr::value(cause.clone()),
                    )
                    .filter(tenant_setting::Column::TenantId.eq(target.id))
                    .filter(tenant_setting::Column::Key.eq(back.key.as_str()))
                    .exec(&txn)
                    .await?;
                log.push((field, Some(shown(was)), Some(shown(back))));
            }
            ConfigDelta::Remove(was) => {
                tenant_setting::Entity::delete_many()
                    .filter(tenant_setting::Column::TenantId.eq(target.id))
                    .filter(tenant_setting::Column::Key.eq(was.key.as_str()))
                    .exec(&txn)
                    .await?;
                log.push((field, Some(shown(was)), None));
            }
        }
    }
    let mut versions = 0;
    for back in &bundle.products {
        let Some(present) = tenant_product::Entity::find_by_id((target.id, back.product_id))
            .one(&txn)
            .await?
        else {
            continue; // no longer licensed: the vendor's catalogue decides that
        };
        let same = present.running_version == back.running_version
            && present.components.0 == back.components
            && present.allowed_range == back.allowed_range
            && present.feature_flags.0 == back.feature_flags;
        if same {
            continue;
        }
        versions += 1;
        if present.running_version != back.running_version {
            log.push((
                format!("version.{}", back.product_key),
                present.running_version.clone(),
                back.running_version.clone(),
            ));
        }
        let mut record = present.into_active_model();
        record.running_version = Set(back.running_version.clone());
        record.components = Set(crate::backend::columns::JsonText(back.components.clone()));
        record.allowed_range = Set(back.allowed_range.clone());
        record.feature_flags = Set(crate::backend::columns::JsonText(
            back.feature_flags.clone(),
        ));
        record.updated_at = Set(now);
        record.update(&txn).await?;
    }
    for (field, old, new) in &log {
        field_change::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(target.id),
            field: Set(field.clone()),
            old_value: Set(old.clone()),
            new_value: Set(new.clone()),
            actor_label: Set(cause.clone()),
            changed_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    if !log.is_empty() {
        audit::record(
            &txn,
            &change_context(change),
            AuditEntry::new(
                Actor::System("executor"),
                "tenant.config_restored",
                "tenant",
            )
            .target(target.id)
            .tenant(target.id)
            .details(json!({
                "change_request_id": change.id, "backup_id": found.id,
                "config_changes": deltas.len(), "products_changed": versions,
                "fields": log.iter().map(|(f, _, _)| f.as_str()).collect::<Vec<_>>(),
            })),
        )
        .await?;
    }
    txn.commit().await?;
    let summary = format!(
        "Checksum of backup {} verified; configuration: {} key(s) put back, versions: {} product(s) put back.",
        found.id,
        deltas.len(),
        versions
    );
    Ok(Ok((summary, bundle.data_snapshot)))
}

/// How a configuration value shows in the change log: secrets never.
fn shown(setting: &BundleSetting) -> String {
    crate::domain::tenants::config::displayed_value(&setting.value, setting.is_secret)
}

// ---- The schedule and retention ------------------------------------------

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub scheduled: usize,
    pub pruned: usize,
    pub kept_on_hold: usize,
    pub verified: usize,
    pub failed_verify: usize,
    /// Restore tests the tenants' schedules asked for.
    pub restore_tests: usize,
}

/// The hourly backup sweep: asks for each tenant's due scheduled backup,
/// deletes expired bundles (never a held tenant's), verifies backups not
/// verified yet and asks for the restore tests schedules want.
pub async fn sweep(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<SweepReport> {
    let mut report = SweepReport {
        scheduled: schedule_due(db, now).await?,
        ..Default::default()
    };
    prune(db, now, &mut report).await?;
    let unverified = backup::Entity::find()
        .filter(backup::Column::VerifyStatus.eq(VerifyStatus::Unverified.as_str()))
        .filter(backup::Column::DeletedAt.is_null())
        .order_by_asc(backup::Column::TakenAt)
        .limit(50)
        .all(db)
        .await?;
    for found in unverified {
        let checked = verify_one(
            db,
            &found,
            &Actor::System("backup-verify"),
            &RequestContext::default(),
            now,
        )
        .await?;
        if checked.verify_status == VerifyStatus::Verified.as_str() {
            report.verified += 1;
        } else {
            report.failed_verify += 1;
        }
    }
    report.restore_tests = super::restore_tests::schedule_due(db, now).await?;
    Ok(report)
}

/// Asks for the scheduled backups that are due, one per tenant at most.
pub async fn schedule_due(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<usize> {
    let policies = backup_policy::Entity::find().all(db).await?;
    if policies.is_empty() {
        return Ok(0);
    }
    // The latest backup (taken, or asked for) of each class, per tenant.
    let mut latest: BTreeMap<Uuid, BTreeMap<&'static str, DateTime<Utc>>> = BTreeMap::new();
    let since = now - chrono::Duration::days(32);
    let taken: Vec<(Uuid, String, DateTime<Utc>)> = backup::Entity::find()
        .select_only()
        .column(backup::Column::TenantId)
        .column(backup::Column::RetentionClass)
        .column_as(backup::Column::TakenAt.max(), "latest")
        .filter(backup::Column::TakenAt.gte(since))
        .group_by(backup::Column::TenantId)
        .group_by(backup::Column::RetentionClass)
        .into_tuple()
        .all(db)
        .await?;
    let asked: Vec<(Uuid, Option<String>, DateTime<Utc>, ChangeStatus)> =
        change_request::Entity::find()
            .select_only()
            .column(change_request::Column::TenantId)
            .column(change_request::Column::BackupClass)
            .column(change_request::Column::CreatedAt)
            .column(change_request::Column::Status)
            .filter(change_request::Column::Kind.eq(ChangeKind::Backup.as_str()))
            .filter(change_request::Column::CreatedAt.gte(since))
            .into_tuple()
            .all(db)
            .await?;
    let mut busy = std::collections::BTreeSet::new();
    for (tenant_id, class, at) in taken {
        if let Some(class) = RetentionClass::parse(&class) {
            note_latest(&mut latest, tenant_id, class, at);
        }
    }
    for (tenant_id, class, at, status) in asked {
        if !status.is_terminal() {
            busy.insert(tenant_id);
        }
        // A failed or cancelled backup is asked for again.
        if matches!(
            status,
            ChangeStatus::Failed | ChangeStatus::Cancelled | ChangeStatus::RolledBack
        ) {
            continue;
        }
        if let Some(class) = class.as_deref().and_then(RetentionClass::parse) {
            note_latest(&mut latest, tenant_id, class, at);
        }
    }
    let empty = BTreeMap::new();
    let mut due = Vec::new();
    for policy in &policies {
        let schedule = BackupSchedule {
            keep_daily: policy.keep_daily,
            keep_weekly: policy.keep_weekly,
            keep_monthly: policy.keep_monthly,
            restore_test_days: policy.restore_test_days,
        };
        if busy.contains(&policy.tenant_id) {
            continue;
        }
        let seen = latest.get(&policy.tenant_id).unwrap_or(&empty);
        if let Some(class) = schedule.due(seen, now) {
            due.push((policy.tenant_id, class));
        }
    }
    let mut scheduled = 0;
    let context = RequestContext::default();
    let actor = Actor::System("backup-schedule");
    for chunk in due.chunks(200) {
        let ids: Vec<Uuid> = chunk.iter().map(|(id, _)| *id).collect();
        let tenants: BTreeMap<Uuid, tenant::Model> = tenant::Entity::find()
            .filter(tenant::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let txn = db.begin().await?;
        for (tenant_id, class) in chunk {
            let Some(target) = tenants.get(tenant_id) else {
                continue;
            };
            if plan_transition(target.lifecycle_state, LifecycleAction::BackUp).is_err() {
                continue; // not running (draft, suspended, archived…) or busy now
            }
            match create_backup_change(
                &txn,
                &actor,
                &context,
                target,
                *class,
                true,
                "scheduled",
                now,
            )
            .await
            {
                Ok(_) => scheduled += 1,
                Err(ServiceError::Conflict(_) | ServiceError::Validation(_)) => {}
                Err(other) => return Err(other),
            }
        }
        txn.commit().await?;
    }
    Ok(scheduled)
}

fn note_latest(
    latest: &mut BTreeMap<Uuid, BTreeMap<&'static str, DateTime<Utc>>>,
    tenant_id: Uuid,
    class: RetentionClass,
    at: DateTime<Utc>,
) {
    let slot = latest
        .entry(tenant_id)
        .or_default()
        .entry(class.as_str())
        .or_insert(at);
    if at > *slot {
        *slot = at;
    }
}

/// Deletes the bundles whose retention ended, except a held tenant's; each
/// deletion in the audit trail, the record kept with why.
async fn prune(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> ServiceResult<()> {
    let expired = backup::Entity::find()
        .filter(backup::Column::ExpiresAt.lte(now))
        .filter(backup::Column::DeletedAt.is_null())
        .order_by_asc(backup::Column::ExpiresAt)
        .limit(500)
        .all(db)
        .await?;
    if expired.is_empty() {
        return Ok(());
    }
    let held: std::collections::BTreeSet<Uuid> = legal_hold::Entity::find()
        .filter(legal_hold::Column::LiftedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|h| h.tenant_id)
        .collect();
    let store = backup_store::current().map_err(store_failure)?;
    for found in expired {
        if held.contains(&found.tenant_id) {
            report.kept_on_hold += 1;
            continue;
        }
        match store.delete(&found.location).await {
            Ok(()) => {}
            Err(StoreError::Elsewhere(..)) => {} // another target's: only its record ends
            Err(other) => return Err(store_failure(other)),
        }
        let reason = format!(
            "Retention: the {} backup expired on {}.",
            found.retention_class,
            found
                .expires_at
                .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        );
        let txn = db.begin().await?;
        backup::Entity::update_many()
            .col_expr(backup::Column::DeletedAt, Expr::value(now))
            .col_expr(backup::Column::DeleteReason, Expr::value(reason.clone()))
            .filter(backup::Column::Id.eq(found.id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            &RequestContext::default(),
            AuditEntry::new(Actor::System("backup-retention"), "backup.prune", "backup")
                .target(found.id)
                .tenant(found.tenant_id)
                .details(json!({
                    "location": found.location, "sha256": found.sha256,
                    "retention_class": found.retention_class, "reason": reason,
                })),
        )
        .await?;
        txn.commit().await?;
        report.pruned += 1;
    }
    Ok(())
}
