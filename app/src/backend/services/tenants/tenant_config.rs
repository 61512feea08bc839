//! Tenant configuration: set and remove entries, each change in the field
//! change log and the audit trail, secrets masked in both.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{tenant, tenant_setting};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::services::tenants::{find_by_slug, log_field_change};
use crate::domain::access::permission::Permission;
use crate::domain::tenants::config::ConfigKey;
use crate::domain::tenants::config::check_value;
use crate::domain::tenants::config::displayed_value;
use crate::domain::validation::FieldErrors;
use crate::model::tenants::ConfigEntryRow;

pub async fn entries<C: sea_orm::ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> ServiceResult<Vec<ConfigEntryRow>> {
    Ok(tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(tenant_id))
        .order_by_asc(tenant_setting::Column::Key)
        .all(db)
        .await?
        .into_iter()
        .map(|s| ConfigEntryRow {
            value: (!s.is_secret).then(|| s.value.clone()),
            key: s.key,
            is_secret: s.is_secret,
            updated_at: s.updated_at,
            updated_by: s.updated_by,
        })
        .collect())
}

/// Sets `key` to `value`. A secret stays secret: it cannot be turned back into
/// a plain value (that would reveal it); remove it and add it again instead.
pub async fn set(ctx: &Ctx, slug: &str, key: &str, value: &str, secret: bool) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::TenantRead)?;
    let mut errors = FieldErrors::default();
    let key = ConfigKey::parse(key)
        .map_err(|m| errors.push("key", m))
        .ok();
    if let Err(message) = check_value(value) {
        errors.push("value", message);
    }
    let Some(key) = key.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let txn = db.begin().await?;
    let t: tenant::Model = find_by_slug(&txn, slug).await?;
    principal.require_on_tenant(Permission::TenantManage, t.id)?;
    let existing = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(t.id))
        .filter(tenant_setting::Column::Key.eq(key.as_str()))
        .one(&txn)
        .await?;
    let actor = Actor::from(principal);
    let now = ctx.now();
    let (old_shown, is_secret) = match &existing {
        Some(old) if old.is_secret && !secret => {
            let mut errors = FieldErrors::default();
            errors.push(
                "secret",
                "This entry is a secret; remove it and add it again to store a plain value.",
            );
            return Err(errors.into());
        }
        Some(old) => (
            Some(displayed_value(&old.value, old.is_secret)),
            old.is_secret || secret,
        ),
        None => (None, secret),
    };
    match existing {
        Some(old) => {
            let mut record = old.into_active_model();
            record.value = Set(stored_value(value, is_secret));
            record.is_secret = Set(is_secret);
            record.updated_at = Set(now);
            record.updated_by = Set(actor.label());
            record.update(&txn).await?;
        }
        None => {
            tenant_setting::ActiveModel {
                id: Set(Uuid::new_v4()),
                tenant_id: Set(t.id),
                key: Set(key.as_str().to_owned()),
                value: Set(stored_value(value, is_secret)),
                is_secret: Set(is_secret),
                updated_at: Set(now),
                updated_by: Set(actor.label()),
            }
            .insert(&txn)
            .await?;
        }
    }
    let new_shown = displayed_value(value, is_secret);
    let field = format!("config.{}", key.as_str());
    log_field_change(
        &txn,
        t.id,
        &field,
        old_shown.as_deref(),
        Some(&new_shown),
        &actor,
        ctx.now(),
    )
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(actor, "tenant.config.set", "tenant")
            .target(t.id)
            .tenant(t.id)
            .details(json!({ "key": key.as_str(), "secret": is_secret, "before": old_shown, "after": new_shown })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn remove(ctx: &Ctx, slug: &str, key: &str) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::TenantRead)?;
    let key = ConfigKey::parse(key).map_err(|_| ServiceError::NotFound)?;
    let txn = db.begin().await?;
    let t = find_by_slug(&txn, slug).await?;
    principal.require_on_tenant(Permission::TenantManage, t.id)?;
    let existing = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(t.id))
        .filter(tenant_setting::Column::Key.eq(key.as_str()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let old_shown = displayed_value(&existing.value, existing.is_secret);
    tenant_setting::Entity::delete_by_id(existing.id)
        .exec(&txn)
        .await?;
    let actor = Actor::from(principal);
    log_field_change(
        &txn,
        t.id,
        &format!("config.{}", key.as_str()),
        Some(&old_shown),
        None,
        &actor,
        ctx.now(),
    )
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(actor, "tenant.config.remove", "tenant")
            .target(t.id)
            .tenant(t.id)
            .details(json!({ "key": key.as_str(), "before": old_shown })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A secret value is stored sealed (see `backend::crypto`); plain values as they are.
fn stored_value(value: &str, is_secret: bool) -> String {
    if is_secret {
        crate::backend::services::platform::secrets_at_rest::seal(
            crate::backend::crypto::Purpose::TenantSecret,
            value,
        )
    } else {
        value.to_owned()
    }
}
