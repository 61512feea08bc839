//! Secret rotation: a tenant's named secrets (web application, database,
//! Airflow, and any secret configuration entry) rotated by a change request
//! with the change model each needs. The portal generates the new value (or
//! takes one), keeps it sealed beside the change, hands it to the executor
//! only for the step that sets it, and stores it as the secret's value when
//! the change succeeds; a failed rotation runs its rollback, which hands the
//! executor the previous value again, and the stored value never changed.
//! Neither value is ever written to the audit trail, the change log, the
//! step logs or events. Rotations can be scheduled per secret.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::Ctx;
use crate::backend::crypto::Purpose;
use crate::backend::entities::{
    change_request, field_change, secret_rotation, secret_schedule, tenant, tenant_setting,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::executor::StepSecret;
use crate::backend::principal::Actor;
use crate::backend::services::changes::{self, change_context};
use crate::backend::services::platform::secrets_at_rest::{reveal, seal};
use crate::domain::access::authority::acts_for_vendor;
use crate::domain::access::permission::{Permission, Scope};
use crate::domain::changes::change::{ChangeKind, ChangeStatus};
use crate::domain::changes::change::{PUT_SECRET_BACK, is_work_step};
use crate::domain::tenants::config::MASK;
use crate::domain::tenants::secret_rotation::{
    RotationStatus, SecretName, check_new_value, parse_interval, rotation_due,
};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::model::tenants::secrets::{
    RotationForm, RotationRow, SecretRow, SecretScheduleForm, TenantSecrets,
};

fn field_error(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Validation(FieldErrors(vec![FieldError::new(field, message.into())]))
}

/// A tenant's secrets (the three well-known ones, and every secret
/// configuration entry), their schedules and recent rotations.
pub async fn view(ctx: &Ctx, reference: &str) -> ServiceResult<TenantSecrets> {
    let (tenant_id, slug) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantRead, tenant_id)?;
    let db = &ctx.reads;
    let target = tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let settings = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(tenant_id))
        .filter(tenant_setting::Column::IsSecret.eq(true))
        .order_by_asc(tenant_setting::Column::Key)
        .all(db)
        .await?;
    let schedules = secret_schedule::Entity::find()
        .filter(secret_schedule::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?;
    let mut names: Vec<SecretName> = SecretName::WELL_KNOWN.to_vec();
    for s in &settings {
        if let Some(name) = SecretName::of_config_key(&s.key)
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    let secrets = names
        .into_iter()
        .map(|name| {
            let stored = settings.iter().find(|s| s.key == name.config_key());
            let schedule = schedules.iter().find(|s| s.secret_name == name.as_str());
            SecretRow {
                name: name.as_str().to_owned(),
                label: name.label(),
                config_key: name.config_key(),
                present: stored.is_some(),
                updated_at: stored.map(|s| s.updated_at),
                updated_by: stored.map(|s| s.updated_by.clone()),
                change_model: name
                    .rotation_model(target.deployment_kind)
                    .as_str()
                    .to_owned(),
                interval_days: schedule.map(|s| s.interval_days),
                last_rotated_at: schedule.and_then(|s| s.last_rotated_at),
            }
        })
        .collect();
    let rotations = secret_rotation::Entity::find()
        .filter(secret_rotation::Column::TenantId.eq(tenant_id))
        .order_by_desc(secret_rotation::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .take(50)
        .map(|r| RotationRow {
            id: r.id,
            change_request_id: r.change_request_id,
            secret_name: r.secret_name,
            status: r.status,
            generated: r.generated,
            requested_by: r.requested_by,
            created_at: r.created_at,
            finished_at: r.finished_at,
        })
        .collect();
    Ok(TenantSecrets {
        tenant_id,
        slug,
        secrets,
        rotations,
        can_rotate: ctx
            .principal
            .can(Permission::TenantLifecycle, Scope::Tenant(tenant_id)),
    })
}

/// Asks for a rotation of one secret: a change request with the secret's
/// change model, routed by the tenant's policy; the new value (generated
/// when none is given) waits sealed beside it.
pub async fn request(
    ctx: &Ctx,
    reference: &str,
    name: &str,
    form: &RotationForm,
) -> ServiceResult<change_request::Model> {
    let (tenant_id, _) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantLifecycle, tenant_id)?;
    let name = SecretName::parse(name).map_err(|m| field_error("name", m))?;
    let supplied = form.value.trim();
    if !supplied.is_empty() {
        check_new_value(supplied).map_err(|m| field_error("value", m))?;
    }
    if form.note.trim().chars().count() > 500 {
        return Err(field_error("note", "Keep the note under 500 characters."));
    }
    let actor = Actor::from(&ctx.principal);
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let created = create_rotation(
        &txn,
        &actor,
        &ctx.request,
        tenant_id,
        &name,
        (!supplied.is_empty()).then_some(supplied),
        acts_for_vendor(&ctx.principal.grants),
        form.note.trim(),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

#[allow(clippy::too_many_arguments)]
async fn create_rotation(
    txn: &DatabaseTransaction,
    actor: &Actor,
    context: &RequestContext,
    tenant_id: Uuid,
    name: &SecretName,
    supplied: Option<&str>,
    by_vendor: bool,
    note: &str,
    now: DateTime<Utc>,
) -> ServiceResult<change_request::Model> {
    let target = tenant::Entity::find_by_id(tenant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !target.lifecycle_state.runs_software() {
        return Err(field_error(
            "name",
            format!(
                "The tenant is {}: no software runs whose secret could change.",
                target.lifecycle_state.label().to_lowercase()
            ),
        ));
    }
    let key = name.config_key();
    let current = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(tenant_id))
        .filter(tenant_setting::Column::Key.eq(key.as_str()))
        .one(txn)
        .await?;
    match (&current, name) {
        (Some(stored), _) if !stored.is_secret => {
            return Err(field_error(
                "name",
                format!("The configuration entry {key} is not a secret."),
            ));
        }
        (None, SecretName::Custom(_)) => {
            return Err(field_error(
                "name",
                format!("The tenant has no secret configuration entry {key}."),
            ));
        }
        _ => {}
    }
    if let Some(open) = secret_rotation::Entity::find()
        .filter(secret_rotation::Column::TenantId.eq(tenant_id))
        .filter(secret_rotation::Column::SecretName.eq(name.as_str()))
        .filter(secret_rotation::Column::Status.eq(RotationStatus::Pending.as_str()))
        .one(txn)
        .await?
    {
        return Err(ServiceError::Conflict(format!(
            "A rotation of this secret is under way (/changes/{}); wait for it or cancel it.",
            open.change_request_id
        )));
    }
    let generated = supplied.is_none();
    // The model is the secret's, not the kind's (a web password changes live).
    let model = name.rotation_model(target.deployment_kind);
    let created = changes::insert_routed(
        txn,
        actor,
        context,
        changes::RoutedChange {
            target: &target,
            kind: ChangeKind::RotateSecret,
            title: format!(
                "Rotate the {} of {}",
                name.label().to_lowercase(),
                target.slug
            ),
            by_vendor,
            model: Some(model),
            details: json!({ "secret": name.as_str(), "generated": generated, "note": note }),
        },
        now,
    )
    .await?;
    let value = supplied
        .map(str::to_owned)
        .unwrap_or_else(crate::backend::secret::random_url_safe);
    secret_rotation::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        change_request_id: Set(created.id),
        secret_name: Set(name.as_str().to_owned()),
        config_key: Set(key),
        new_value: Set(seal(Purpose::TenantSecret, &value)),
        previous_value: Set(current.map(|s| s.value)),
        status: Set(RotationStatus::Pending.as_str().to_owned()),
        generated: Set(generated),
        requested_by: Set(actor.label()),
        created_at: Set(now),
        finished_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(created)
}

/// The value a rotation's step hands the executor: the new one for the
/// step that sets it, the previous one for the rollback that puts it back.
pub(crate) async fn secret_for_step<C: ConnectionTrait>(
    conn: &C,
    change: &change_request::Model,
    step: &str,
    rollback: bool,
) -> ServiceResult<Option<StepSecret>> {
    // The work step sets the new value; the rollback's first step puts the
    // previous one back.
    let wanted = is_work_step(ChangeKind::RotateSecret, step, rollback)
        || (rollback && step == PUT_SECRET_BACK);
    if change.kind != ChangeKind::RotateSecret || !wanted {
        return Ok(None);
    }
    let Some(rotation) = secret_rotation::Entity::find()
        .filter(secret_rotation::Column::ChangeRequestId.eq(change.id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let sealed = if rollback {
        rotation.previous_value.clone()
    } else {
        Some(rotation.new_value.clone())
    };
    Ok(match sealed {
        Some(sealed) => Some(StepSecret {
            name: rotation.config_key.clone(),
            value: reveal(Purpose::TenantSecret, &sealed)?,
        }),
        None => None,
    })
}

/// A rotation succeeded: its value becomes the secret's stored value (sealed
/// as it already is), in the change log and audit without either value.
pub(crate) async fn apply<C: ConnectionTrait>(
    txn: &C,
    change: &change_request::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(rotation) = secret_rotation::Entity::find()
        .filter(secret_rotation::Column::ChangeRequestId.eq(change.id))
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let cause = format!("rotation {}", change.id);
    let existing = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(rotation.tenant_id))
        .filter(tenant_setting::Column::Key.eq(rotation.config_key.as_str()))
        .one(txn)
        .await?;
    let had = existing.is_some();
    match existing {
        Some(stored) => {
            let mut record = stored.into_active_model();
            record.value = Set(rotation.new_value.clone());
            record.is_secret = Set(true);
            record.updated_at = Set(now);
            record.updated_by = Set(cause.clone());
            record.update(txn).await?;
        }
        None => {
            tenant_setting::ActiveModel {
                id: Set(Uuid::new_v4()),
                tenant_id: Set(rotation.tenant_id),
                key: Set(rotation.config_key.clone()),
                value: Set(rotation.new_value.clone()),
                is_secret: Set(true),
                updated_at: Set(now),
                updated_by: Set(cause.clone()),
            }
            .insert(txn)
            .await?;
        }
    }
    field_change::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(rotation.tenant_id),
        field: Set(format!("config.{}", rotation.config_key)),
        old_value: Set(had.then(|| MASK.to_owned())),
        new_value: Set(Some(MASK.to_owned())),
        actor_label: Set(cause),
        changed_at: Set(now),
    }
    .insert(txn)
    .await?;
    finish_rotation(txn, &rotation, RotationStatus::Applied, now).await?;
    secret_schedule::Entity::update_many()
        .col_expr(secret_schedule::Column::LastRotatedAt, Expr::value(now))
        .filter(secret_schedule::Column::TenantId.eq(rotation.tenant_id))
        .filter(secret_schedule::Column::SecretName.eq(rotation.secret_name.as_str()))
        .exec(txn)
        .await?;
    audit::record(
        txn,
        &change_context(change),
        AuditEntry::new(Actor::System("executor"), "tenant.secret_rotated", "tenant")
            .target(rotation.tenant_id)
            .tenant(rotation.tenant_id)
            .details(json!({
                "secret": rotation.secret_name, "config_key": rotation.config_key,
                "change_request_id": change.id, "generated": rotation.generated,
            })),
    )
    .await?;
    Ok(())
}

/// A rotation that will not land: rolled back (its previous value put back
/// by the executor) or failed; the stored value never changed.
pub(crate) async fn close_unapplied<C: ConnectionTrait>(
    txn: &C,
    change: &change_request::Model,
    ended: ChangeStatus,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if change.kind != ChangeKind::RotateSecret {
        return Ok(());
    }
    let Some(to) = RotationStatus::unapplied_end(ended) else {
        return Ok(());
    };
    if let Some(rotation) = secret_rotation::Entity::find()
        .filter(secret_rotation::Column::ChangeRequestId.eq(change.id))
        .filter(secret_rotation::Column::Status.eq(RotationStatus::Pending.as_str()))
        .one(txn)
        .await?
    {
        finish_rotation(txn, &rotation, to, now).await?;
    }
    Ok(())
}

async fn finish_rotation<C: ConnectionTrait>(
    txn: &C,
    rotation: &secret_rotation::Model,
    to: RotationStatus,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let mut record = rotation.clone().into_active_model();
    record.status = Set(to.as_str().to_owned());
    record.finished_at = Set(Some(now));
    // The pending value is of no use once the rotation ended unapplied.
    if to != RotationStatus::Applied {
        record.new_value = Set(String::new());
    }
    record.update(txn).await?;
    Ok(())
}

/// Sets (or clears, with an empty interval) a secret's rotation schedule.
pub async fn set_schedule(
    ctx: &Ctx,
    reference: &str,
    name: &str,
    form: &SecretScheduleForm,
) -> ServiceResult<Option<i32>> {
    let (tenant_id, _) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantLifecycle, tenant_id)?;
    let name = SecretName::parse(name).map_err(|m| field_error("name", m))?;
    let interval =
        parse_interval(&form.interval_days).map_err(|m| field_error("interval_days", m))?;
    let actor = Actor::from(&ctx.principal);
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let existing = secret_schedule::Entity::find_by_id((tenant_id, name.as_str().to_owned()))
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|s| s.interval_days);
    match (existing, interval) {
        (Some(found), None) => {
            secret_schedule::Entity::delete_by_id((found.tenant_id, found.secret_name))
                .exec(&txn)
                .await?;
        }
        (Some(found), Some(days)) => {
            let mut record = found.into_active_model();
            record.interval_days = Set(days);
            record.updated_by = Set(actor.label());
            record.updated_at = Set(now);
            record.update(&txn).await?;
        }
        (None, Some(days)) => {
            let last = secret_rotation::Entity::find()
                .filter(secret_rotation::Column::TenantId.eq(tenant_id))
                .filter(secret_rotation::Column::SecretName.eq(name.as_str()))
                .filter(secret_rotation::Column::Status.eq(RotationStatus::Applied.as_str()))
                .order_by_desc(secret_rotation::Column::FinishedAt)
                .one(&txn)
                .await?
                .and_then(|r| r.finished_at);
            secret_schedule::ActiveModel {
                tenant_id: Set(tenant_id),
                secret_name: Set(name.as_str().to_owned()),
                interval_days: Set(days),
                last_rotated_at: Set(last),
                updated_by: Set(actor.label()),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        (None, None) => {}
    }
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(actor, "secret.schedule", "tenant")
            .target(tenant_id)
            .tenant(tenant_id)
            .details(json!({ "secret": name.as_str(), "before": before, "after": interval })),
    )
    .await?;
    txn.commit().await?;
    Ok(interval)
}

/// Asks for every scheduled rotation that is due (a generated value each).
pub async fn schedule_due(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<usize> {
    let schedules = secret_schedule::Entity::find().all(db).await?;
    let mut asked = 0;
    for schedule in schedules {
        if !rotation_due(schedule.last_rotated_at, schedule.interval_days, now) {
            continue;
        }
        let Ok(name) = SecretName::parse(&schedule.secret_name) else {
            continue;
        };
        let txn = db.begin().await?;
        match create_rotation(
            &txn,
            &Actor::System("secret-schedule"),
            &RequestContext::default(),
            schedule.tenant_id,
            &name,
            None,
            true,
            "scheduled",
            now,
        )
        .await
        {
            Ok(_) => {
                txn.commit().await?;
                asked += 1;
            }
            // Under way already, or the tenant runs nothing now: next time.
            Err(ServiceError::Conflict(_) | ServiceError::Validation(_)) => {
                txn.rollback().await?;
            }
            Err(other) => return Err(other),
        }
    }
    Ok(asked)
}
