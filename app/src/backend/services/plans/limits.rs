//! A tenant's effective limits and usage, the vendor's overrides, and the
//! checks every door calls where a counted thing is created or a flagged
//! feature is used (so the page, the API, the CLI and agents meet one rule).

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::db::scoped_read;
use crate::backend::entities::{
    change_request, endpoint, invitation, plan, role_binding, tenant, tenant_quota_override, user,
    webhook_endpoint,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::domain::access::permission::Permission;
use crate::domain::changes::change::{ChangeKind, ChangeStatus};
use crate::domain::plans::limits::{
    EffectiveQuota, Overrides, UsageLevel, check_room, effective, percent_used,
};
use crate::domain::plans::plan::{FeatureFlag, Quota, Quotas, parse_limit};
use crate::domain::validation::FieldErrors;
use crate::model::plans::{PendingPlanChange, QuotaOverrideForm, QuotaUsage, TenantLimits};

/// A tenant's plan and overrides, read together.
pub struct Limits {
    pub plan: Option<plan::Model>,
    pub flags: Vec<FeatureFlag>,
    pub plan_quotas: Quotas,
    pub overrides: Overrides,
    pub reasons: BTreeMap<Quota, String>,
}

impl Limits {
    pub fn quotas(&self) -> Vec<EffectiveQuota> {
        effective(&self.plan_quotas, &self.overrides)
    }

    pub fn limit(&self, quota: Quota) -> Option<u64> {
        self.overrides
            .get(&quota)
            .copied()
            .unwrap_or_else(|| self.plan_quotas.get(&quota).copied())
    }
}

/// The overrides of one tenant.
pub async fn overrides<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<(Overrides, BTreeMap<Quota, String>)> {
    let mut overrides = Overrides::new();
    let mut reasons = BTreeMap::new();
    for row in tenant_quota_override::Entity::find()
        .filter(tenant_quota_override::Column::TenantId.eq(tenant_id))
        .all(conn)
        .await?
    {
        if let Some(quota) = Quota::parse(&row.quota) {
            overrides.insert(quota, row.quota_limit.map(|n| n.max(0) as u64));
            reasons.insert(quota, row.reason);
        }
    }
    Ok((overrides, reasons))
}

/// The limits of a tenant on `plan_code`.
pub async fn load<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    plan_code: &str,
) -> ServiceResult<Limits> {
    let plan = plan::Entity::find_by_id(plan_code).one(conn).await?;
    let (flags, plan_quotas) = plan.as_ref().map(super::catalog::typed).unwrap_or_default();
    let (overrides, reasons) = overrides(conn, tenant_id).await?;
    Ok(Limits {
        plan,
        flags,
        plan_quotas,
        overrides,
        reasons,
    })
}

async fn tenant_of<C: ConnectionTrait>(conn: &C, tenant_id: Uuid) -> ServiceResult<tenant::Model> {
    tenant::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The limit in force for one quota of a tenant (`None`: unlimited).
pub async fn limit_of<C: ConnectionTrait>(
    conn: &C,
    tenant: &tenant::Model,
    quota: Quota,
) -> ServiceResult<Option<u64>> {
    Ok(load(conn, tenant.id, &tenant.plan_code).await?.limit(quota))
}

/// What the tenant uses now: counted by the portal, and the storage its
/// installation reported last (none until it reports).
pub async fn usage<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<BTreeMap<Quota, u64>> {
    let mut used = BTreeMap::new();
    used.insert(Quota::Users, users_in_use(conn, tenant_id).await?);
    used.insert(
        Quota::Endpoints,
        endpoint::Entity::find()
            .filter(endpoint::Column::TenantId.eq(tenant_id))
            .count(conn)
            .await?,
    );
    used.insert(
        Quota::ConcurrentUpdates,
        change_request::Entity::find()
            .filter(change_request::Column::TenantId.eq(tenant_id))
            .filter(change_request::Column::Status.eq(ChangeStatus::Running.as_str()))
            .count(conn)
            .await?,
    );
    used.insert(
        Quota::WebhookEndpoints,
        webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::TenantId.eq(tenant_id))
            .count(conn)
            .await?,
    );
    if let Some(gb) = super::usage::latest_storage_gb(conn, tenant_id).await? {
        used.insert(Quota::StorageGb, gb);
    }
    Ok(used)
}

/// People with a role on the tenant, and invitations still open (each
/// will be one when accepted).
async fn users_in_use<C: ConnectionTrait>(conn: &C, tenant_id: Uuid) -> ServiceResult<u64> {
    let members = role_binding::Entity::find()
        .select_only()
        .column(role_binding::Column::UserId)
        .filter(role_binding::Column::TenantId.eq(tenant_id))
        .distinct()
        .into_tuple::<Uuid>()
        .all(conn)
        .await?
        .len() as u64;
    let open = invitation::Entity::find()
        .filter(invitation::Column::TenantId.eq(tenant_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(Utc::now()))
        .count(conn)
        .await?;
    Ok(members + open)
}

/// Refuses creating `adding` more of `quota` for the tenant when its
/// effective limit has no room, naming the quota and the usage.
pub async fn ensure_room<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    quota: Quota,
    adding: u64,
) -> ServiceResult<()> {
    let tenant = tenant_of(conn, tenant_id).await?;
    let Some(limit) = limit_of(conn, &tenant, quota).await? else {
        return Ok(());
    };
    let used = match quota {
        Quota::Users => users_in_use(conn, tenant_id).await?,
        other => usage(conn, tenant_id)
            .await?
            .get(&other)
            .copied()
            .unwrap_or(0),
    };
    check_room(quota, Some(limit), used, adding).map_err(ServiceError::Policy)
}

/// Refuses inviting `email` to the tenant beyond its user quota; someone
/// already counted (a member, or invited and not yet answered) takes no
/// new place.
pub async fn ensure_room_for_person<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    email: &str,
) -> ServiceResult<()> {
    let open_invitation = invitation::Entity::find()
        .filter(invitation::Column::TenantId.eq(tenant_id))
        .filter(invitation::Column::Email.eq(email))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(Utc::now()))
        .count(conn)
        .await?
        > 0;
    let member = match user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(conn)
        .await?
    {
        Some(person) => {
            role_binding::Entity::find()
                .filter(role_binding::Column::TenantId.eq(tenant_id))
                .filter(role_binding::Column::UserId.eq(person.id))
                .count(conn)
                .await?
                > 0
        }
        None => false,
    };
    let adding = u64::from(!(open_invitation || member));
    ensure_room(conn, tenant_id, Quota::Users, adding).await
}

/// Refuses a feature the tenant's plan does not include, naming the flag.
pub async fn require_feature<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    flag: FeatureFlag,
) -> ServiceResult<()> {
    let tenant = tenant_of(conn, tenant_id).await?;
    if has_feature(conn, &tenant, flag).await? {
        Ok(())
    } else {
        Err(ServiceError::Policy(flag.refusal()))
    }
}

pub async fn has_feature<C: ConnectionTrait>(
    conn: &C,
    tenant: &tenant::Model,
    flag: FeatureFlag,
) -> ServiceResult<bool> {
    Ok(load(conn, tenant.id, &tenant.plan_code)
        .await?
        .flags
        .contains(&flag))
}

/// A tenant's limits beside its usage, for its page and the API.
pub async fn view(ctx: &Ctx, reference: &str) -> ServiceResult<TenantLimits> {
    let (tenant_id, _) =
        crate::backend::services::tenants::resolve_tenant_id(ctx, reference).await?;
    let txn = scoped_read(
        &ctx.reads,
        &ctx.principal.tenant_scope(Permission::TenantRead),
    )
    .await?;
    let tenant = tenant_of(&txn, tenant_id).await?;
    let limits = load(&txn, tenant_id, &tenant.plan_code).await?;
    let used = usage(&txn, tenant_id).await?;
    let pending = change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(tenant_id))
        .filter(change_request::Column::Kind.eq(ChangeKind::ChangePlan.as_str()))
        .filter(
            change_request::Column::Status.is_in(
                ChangeStatus::ALL
                    .iter()
                    .filter(|s| !s.is_terminal())
                    .map(|s| s.as_str()),
            ),
        )
        .one(&txn)
        .await?
        .map(|c| PendingPlanChange {
            change_id: c.id,
            target_plan: c.target_plan.unwrap_or_default(),
            status: c.status.as_str().to_owned(),
        });
    let quotas = limits
        .quotas()
        .into_iter()
        .map(|q| {
            let used = used.get(&q.quota).copied();
            let limit = q.limit();
            QuotaUsage {
                quota: q.quota,
                plan_limit: q.plan,
                overridden: q.overridden.is_some(),
                override_reason: limits.reasons.get(&q.quota).cloned(),
                limit,
                used,
                percent: used.and_then(|u| percent_used(u, limit)),
                level: match used {
                    Some(u) if q.quota.is_amount() => UsageLevel::of(u, limit),
                    _ => UsageLevel::Fine,
                },
            }
        })
        .collect();
    Ok(TenantLimits {
        tenant_id,
        slug: tenant.slug,
        plan_name: limits
            .plan
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_else(|| tenant.plan_code.clone()),
        plan_code: tenant.plan_code,
        feature_flags: limits.flags,
        quotas,
        pending_plan_change: pending,
    })
}

/// Sets, lifts or removes the vendor's override of one quota for one
/// tenant (a reason is required to set one), audited with before and after.
pub async fn set_override(
    ctx: &Ctx,
    reference: &str,
    form: &QuotaOverrideForm,
) -> ServiceResult<TenantLimits> {
    ctx.principal.require(Permission::TenantManage)?;
    let (tenant_id, _) =
        crate::backend::services::tenants::resolve_tenant_id(ctx, reference).await?;
    let mut errors = FieldErrors::default();
    let quota = Quota::parse(&form.quota);
    if quota.is_none() {
        errors.push(
            "quota",
            format!(
                "Choose a quota: {}.",
                Quota::ALL.map(Quota::as_str).join(", ")
            ),
        );
    }
    let raw = form.limit.trim();
    let limit = match raw {
        "" => None,
        "unlimited" => Some(None),
        number => match parse_limit(number) {
            Ok(n) => Some(n),
            Err(message) => {
                errors.push(
                    "limit",
                    message.replace("leave it empty for unlimited", "write `unlimited`"),
                );
                None
            }
        },
    };
    let reason = form.reason.trim();
    if !raw.is_empty() && (reason.is_empty() || reason.chars().count() > 300) {
        errors.push(
            "reason",
            "Say why (1 to 300 characters): it is kept in the audit log.",
        );
    }
    let Some(quota) = quota.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let (before, _) = overrides(&txn, tenant_id).await?;
    let before = before.get(&quota).copied();
    match limit {
        None => {
            tenant_quota_override::Entity::delete_many()
                .filter(tenant_quota_override::Column::TenantId.eq(tenant_id))
                .filter(tenant_quota_override::Column::Quota.eq(quota.as_str()))
                .exec(&txn)
                .await?;
        }
        Some(value) => {
            tenant_quota_override::Entity::insert(tenant_quota_override::ActiveModel {
                tenant_id: Set(tenant_id),
                quota: Set(quota.as_str().to_owned()),
                quota_limit: Set(value.map(|n| n as i64)),
                reason: Set(reason.to_owned()),
                set_by: Set(Actor::from(&ctx.principal).label()),
                set_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([
                    tenant_quota_override::Column::TenantId,
                    tenant_quota_override::Column::Quota,
                ])
                .update_columns([
                    tenant_quota_override::Column::QuotaLimit,
                    tenant_quota_override::Column::Reason,
                    tenant_quota_override::Column::SetBy,
                    tenant_quota_override::Column::SetAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
    }
    let shown = |v: Option<Option<u64>>| match v {
        None => json!("plan"),
        Some(None) => json!("unlimited"),
        Some(Some(n)) => json!(n),
    };
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(
            Actor::from(&ctx.principal),
            "tenant.quota_override",
            "tenant",
        )
        .target(tenant_id)
        .tenant(tenant_id)
        .details(json!({
            "quota": quota.as_str(),
            "before": shown(before),
            "after": shown(limit),
            "reason": reason,
        })),
    )
    .await?;
    txn.commit().await?;
    crate::backend::rate_limit::forget_tenant(tenant_id);
    view(ctx, reference).await
}
