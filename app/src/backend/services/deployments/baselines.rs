//! Health baselines: the checks each product's switches must pass.

use super::*;
use crate::backend::context::Ctx;

// ------------------------------------------------------------------ baselines

pub(crate) async fn baseline_checks<C: ConnectionTrait>(
    conn: &C,
    product_id: Uuid,
) -> ServiceResult<Vec<HealthCheck>> {
    Ok(health_baseline::Entity::find()
        .filter(health_baseline::Column::ProductId.eq(product_id))
        .one(conn)
        .await?
        .map(|b| b.checks.0)
        .unwrap_or_else(health::default_checks))
}

/// Every product's health baseline (the default where none is defined).
pub async fn baselines(ctx: &Ctx) -> ServiceResult<Vec<BaselineView>> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    let defined: HashMap<Uuid, health_baseline::Model> = health_baseline::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.product_id, b))
        .collect();
    Ok(product::Entity::find()
        .order_by_asc(product::Column::Key)
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            let own = defined.get(&p.id);
            BaselineView {
                product_key: p.key,
                product_name: p.name,
                checks: own
                    .map(|b| b.checks.0.clone())
                    .unwrap_or_else(health::default_checks),
                defined: own.is_some(),
                updated_by: own.map(|b| b.updated_by.clone()),
                updated_at: own.map(|b| b.updated_at),
            }
        })
        .collect())
}

/// Replaces a product's health baseline from its lines (the control panel's form).
pub async fn save_baseline_lines(
    ctx: &Ctx,
    product_reference: &str,
    lines: &str,
) -> ServiceResult<BaselineView> {
    let principal = &ctx.principal;
    principal.require(Permission::ReleaseManage)?;
    let checks = health::parse_check_lines(lines).map_err(|problem| {
        let mut errors = FieldErrors::default();
        errors.push("checks", problem);
        ServiceError::Validation(errors)
    })?;
    save_baseline(ctx, product_reference, &checks).await
}

/// Replaces a product's health baseline.
pub async fn save_baseline(
    ctx: &Ctx,
    product_reference: &str,
    checks: &[HealthCheck],
) -> ServiceResult<BaselineView> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::ReleaseManage)?;
    let product = find_product(db, product_reference)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut errors = FieldErrors::default();
    for (field, message) in health::check_problems(checks) {
        errors.push(&field, message);
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let txn = db.begin().await?;
    let now = ctx.now();
    let encoded = crate::backend::columns::JsonText(checks.to_vec());
    let existing = health_baseline::Entity::find()
        .filter(health_baseline::Column::ProductId.eq(product.id))
        .one(&txn)
        .await?;
    match existing {
        Some(found) => {
            let mut active: health_baseline::ActiveModel = found.into();
            active.checks = Set(encoded.clone());
            active.updated_by = Set(principal.email.clone());
            active.updated_at = Set(now);
            active.update(&txn).await?;
        }
        None => {
            health_baseline::ActiveModel {
                id: Set(Uuid::new_v4()),
                product_id: Set(product.id),
                checks: Set(encoded),
                updated_by: Set(principal.email.clone()),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "health_baseline.save", "product")
            .target(product.id)
            .details(json!({ "checks": checks.len() })),
    )
    .await?;
    txn.commit().await?;
    Ok(BaselineView {
        product_key: product.key,
        product_name: product.name,
        checks: checks.to_vec(),
        defined: true,
        updated_by: Some(principal.email.clone()),
        updated_at: Some(now),
    })
}
