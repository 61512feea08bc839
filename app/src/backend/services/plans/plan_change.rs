//! A plan change is a change request the vendor makes: refused up front when
//! the new plan's quotas are below what the tenant uses (with the list of
//! what exceeds), checked again when it runs, and it moves the tenant to the
//! new plan only when its step has run.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{change_request, plan, tenant};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::services::changes::{self, NewChange};
use crate::domain::access::authority::acts_for_vendor;
use crate::domain::access::permission::Permission;
use crate::domain::changes::change::{ChangeKind, ChangeStatus};
use crate::domain::plans::limits::{Excess, exceeding};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::model::plans::PlanChangeForm;

/// What moving `tenant` to `plan` would leave over quota.
pub async fn excess<C: ConnectionTrait>(
    conn: &C,
    tenant: &tenant::Model,
    target: &plan::Model,
) -> ServiceResult<Vec<Excess>> {
    let (_, quotas) = super::catalog::typed(target);
    let (overrides, _) = super::limits::overrides(conn, tenant.id).await?;
    let usage = super::limits::usage(conn, tenant.id).await?;
    Ok(exceeding(&quotas, &overrides, &usage))
}

fn over_quota_refusal(plan_name: &str, over: &[Excess]) -> String {
    format!(
        "Moving to {plan_name} would leave the tenant over quota — {}. Reduce the usage or ask for an override first.",
        over.iter()
            .map(Excess::describe)
            .collect::<Vec<_>>()
            .join("; ")
    )
}

/// Requests moving a tenant to another plan: a change request that runs at
/// once (the vendor decides plans) and returns its id.
pub async fn request(
    ctx: &Ctx,
    reference: &str,
    form: &PlanChangeForm,
) -> ServiceResult<change_request::Model> {
    ctx.principal.require(Permission::TenantManage)?;
    let (tenant_id, _) =
        crate::backend::services::tenants::resolve_tenant_id(ctx, reference).await?;
    let refuse = |message: String| {
        ServiceError::Validation(FieldErrors(vec![FieldError::new("plan", message)]))
    };
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let tenant = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let Some(target) = plan::Entity::find_by_id(form.plan.trim()).one(&txn).await? else {
        return Err(refuse(format!(
            "There is no plan `{}`; choose one from the catalogue.",
            form.plan.trim()
        )));
    };
    if target.code == tenant.plan_code {
        return Err(refuse(format!("The tenant is on {} already.", target.name)));
    }
    if let Some(pending) = change_request::Entity::find()
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
    {
        return Err(ServiceError::Conflict(format!(
            "A plan change is already under way (/changes/{}); wait for it or cancel it.",
            pending.id
        )));
    }
    let over = excess(&txn, &tenant, &target).await?;
    if !over.is_empty() {
        return Err(ServiceError::Validation(FieldErrors(
            std::iter::once(FieldError::new(
                "plan",
                over_quota_refusal(&target.name, &over),
            ))
            .chain(
                over.iter()
                    .map(|e| FieldError::new(format!("usage.{}", e.quota.as_str()), e.describe())),
            )
            .collect(),
        )));
    }
    let actor = Actor::from(&ctx.principal);
    let note = form.note.trim();
    let created = changes::insert(
        &txn,
        &actor,
        NewChange {
            tenant: tenant.clone(),
            kind: ChangeKind::ChangePlan,
            product_id: None,
            target_version: None,
            target_plan: Some(target.code.clone()),
            title: format!(
                "Change plan of {}: {} → {}",
                tenant.slug, tenant.plan_code, target.code
            ),
            status: ChangeStatus::Running,
            requires_approval: false,
            not_before: None,
            next_start: Some((now, "Requested by the vendor: runs at once".into())),
            rollout_id: None,
            target_filter: None,
            by_vendor: acts_for_vendor(&ctx.principal.grants),
            correlation_id: ctx.request.request_id.clone(),
            model: None,
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(actor, "change.create", "change_request")
            .target(created.id)
            .tenant(tenant.id)
            .details(json!({
                "kind": ChangeKind::ChangePlan.as_str(),
                "status": ChangeStatus::Running.as_str(),
                "from_plan": tenant.plan_code,
                "to_plan": target.code,
                "note": note,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Why a plan change may not land now (usage grew past the new plan since
/// it was requested, or the plan is gone), checked as it finishes.
pub(crate) async fn refusal_at_apply<C: ConnectionTrait>(
    conn: &C,
    change: &change_request::Model,
) -> ServiceResult<Option<String>> {
    let Some(code) = change.target_plan.as_deref() else {
        return Ok(Some("The change names no plan.".to_owned()));
    };
    let Some(target) = plan::Entity::find_by_id(code).one(conn).await? else {
        return Ok(Some(format!("The plan {code} no longer exists.")));
    };
    let tenant = tenant::Entity::find_by_id(change.tenant_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let over = excess(conn, &tenant, &target).await?;
    Ok((!over.is_empty()).then(|| over_quota_refusal(&target.name, &over)))
}

/// Moves the tenant to the change's plan (its step has run), with the
/// field change and an audit record naming the change as the cause.
pub(crate) async fn apply<C: ConnectionTrait>(
    conn: &C,
    change: &change_request::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(code) = change.target_plan.clone() else {
        return Ok(());
    };
    let current = tenant::Entity::find_by_id(change.tenant_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if current.plan_code == code {
        return Ok(());
    }
    let before = current.plan_code.clone();
    let mut record: tenant::ActiveModel = current.clone().into();
    record.plan_code = Set(code.clone());
    record.version = Set(current.version + 1);
    record.updated_at = Set(now);
    record.update(conn).await?;
    let actor = Actor::System("executor");
    crate::backend::services::tenants::log_field_change(
        conn,
        current.id,
        "plan_code",
        Some(&before),
        Some(&code),
        &actor,
        now,
    )
    .await?;
    audit::record(
        conn,
        &changes::change_context(change),
        AuditEntry::new(actor, "tenant.plan_changed", "tenant")
            .target(current.id)
            .tenant(current.id)
            .details(json!({ "before": before, "after": code, "change_request_id": change.id })),
    )
    .await?;
    crate::backend::rate_limit::forget_tenant(current.id);
    Ok(())
}
