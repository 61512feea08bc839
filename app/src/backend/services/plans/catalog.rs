//! The plan catalogue: every signed-in person may read it (tenant users see
//! what their plan holds and what another would); the vendor's settings
//! managers create and edit plans, each save audited with before and after.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{plan, tenant};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::domain::access::permission::Permission;
use crate::domain::plans::plan::{
    FeatureFlag, PlanDraft, Quota, Quotas, flags_from_json, quotas_from_json, quotas_to_json,
};
use crate::model::plans::{Plan, PlanForm, QuotaLimit};

/// A stored plan's flags and quotas as typed values.
pub fn typed(row: &plan::Model) -> (Vec<FeatureFlag>, Quotas) {
    let parse = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    (
        flags_from_json(&parse(&row.feature_flags)),
        quotas_from_json(&parse(&row.quotas)),
    )
}

fn view(row: &plan::Model, tenants: u64) -> Plan {
    let (feature_flags, quotas) = typed(row);
    Plan {
        code: row.code.clone(),
        name: row.name.clone(),
        description: row.description.clone(),
        feature_flags,
        quotas: Quota::ALL
            .into_iter()
            .map(|quota| QuotaLimit {
                quota,
                limit: quotas.get(&quota).copied(),
            })
            .collect(),
        tenants,
        updated_at: row.updated_at,
    }
}

/// Every plan, cheapest first (by user quota, unlimited last), with its
/// number of tenants.
pub async fn list(ctx: &Ctx) -> ServiceResult<Vec<Plan>> {
    ctx.principal.require_somewhere(Permission::TenantRead)?;
    let rows = plan::Entity::find()
        .order_by_asc(plan::Column::Code)
        .all(&ctx.reads)
        .await?;
    let counts: HashMap<String, i64> = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::PlanCode)
        .column_as(tenant::Column::Id.count(), "n")
        .group_by(tenant::Column::PlanCode)
        .into_tuple::<(String, i64)>()
        .all(&ctx.reads)
        .await?
        .into_iter()
        .collect();
    // Tenant users count only what they can see: the fleet's size is the vendor's.
    let vendor = ctx.principal.can(
        Permission::TenantRead,
        crate::domain::access::permission::Scope::Platform,
    );
    let mut plans: Vec<Plan> = rows
        .iter()
        .map(|row| {
            view(
                row,
                if vendor {
                    counts.get(&row.code).copied().unwrap_or(0) as u64
                } else {
                    0
                },
            )
        })
        .collect();
    plans.sort_by_key(|p| {
        let users = p
            .quotas
            .iter()
            .find(|q| q.quota == Quota::Users)
            .and_then(|q| q.limit);
        (users.is_none(), users, p.code.clone())
    });
    Ok(plans)
}

/// One plan by code.
pub async fn get(ctx: &Ctx, code: &str) -> ServiceResult<Plan> {
    ctx.principal.require_somewhere(Permission::TenantRead)?;
    let row = plan::Entity::find_by_id(code.trim())
        .one(&ctx.reads)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let tenants = tenant::Entity::find()
        .filter(tenant::Column::PlanCode.eq(row.code.clone()))
        .count(&ctx.reads)
        .await?;
    Ok(view(&row, tenants))
}

/// Creates a plan (`code` absent) or edits one (`code` names it; the form's
/// code must match). Edits take effect for every tenant on the plan at once:
/// quotas are checked where things are created, not retroactively.
pub async fn save(ctx: &Ctx, code: Option<&str>, form: &PlanForm) -> ServiceResult<Plan> {
    ctx.principal.require(Permission::SettingsManage)?;
    let draft = PlanDraft::parse(form).map_err(ServiceError::Validation)?;
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let existing = plan::Entity::find_by_id(draft.code.as_str())
        .one(&txn)
        .await?;
    let flags = json!(
        draft
            .feature_flags
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
    )
    .to_string();
    let quotas = quotas_to_json(&draft.quotas).to_string();
    let (saved, action, before) = match (code, existing) {
        (Some(code), _) if code.trim() != draft.code.as_str() => {
            return Err(ServiceError::Validation(
                crate::domain::validation::FieldErrors(vec![
                    crate::domain::validation::FieldError::new(
                        "code",
                        "A plan's code cannot change; create a new plan and move tenants to it.",
                    ),
                ]),
            ));
        }
        (Some(_), None) => return Err(ServiceError::NotFound),
        (None, Some(_)) => {
            return Err(ServiceError::Validation(
                crate::domain::validation::FieldErrors(vec![
                    crate::domain::validation::FieldError::new(
                        "code",
                        format!("A plan {} exists already; edit it instead.", draft.code),
                    ),
                ]),
            ));
        }
        (Some(_), Some(row)) => {
            let before = view(&row, 0);
            let mut active: plan::ActiveModel = row.into();
            active.name = Set(draft.name.clone());
            active.description = Set(draft.description.clone());
            active.feature_flags = Set(flags);
            active.quotas = Set(quotas);
            active.updated_at = Set(Some(now));
            (active.update(&txn).await?, "plan.update", Some(before))
        }
        (None, None) => (
            plan::ActiveModel {
                code: Set(draft.code.as_str().to_owned()),
                name: Set(draft.name.clone()),
                description: Set(draft.description.clone()),
                feature_flags: Set(flags),
                quotas: Set(quotas),
                updated_at: Set(Some(now)),
            }
            .insert(&txn)
            .await?,
            "plan.create",
            None,
        ),
    };
    let after = view(&saved, 0);
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(Actor::from(&ctx.principal), action, "plan")
            .target(&saved.code)
            .details(json!({ "before": before, "after": after })),
    )
    .await?;
    txn.commit().await?;
    get(ctx, &saved.code).await
}
