//! Data residency after onboarding: the installation's regions are recorded
//! at start-up, and a tenant coming into service (activated, resumed,
//! restored from the archive) is checked against them and its own allowed
//! regions again, at every door and when a scheduled change starts.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Set, TransactionTrait};

use crate::backend::entities::{configured_region, tenant};
use crate::backend::error::ServiceResult;
use crate::domain::tenants::lifecycle::{LifecycleAction, brings_into_service};
use crate::domain::tenants::tenant::{Region, check_residency};

/// Records `regions` as the installation's list, replacing the last one.
/// Replicas sharing a database must be started with the same list.
pub async fn record_configured_regions(
    db: &sea_orm::DatabaseConnection,
    regions: &[Region],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let txn = db.begin().await?;
    configured_region::Entity::delete_many().exec(&txn).await?;
    if !regions.is_empty() {
        configured_region::Entity::insert_many(regions.iter().map(|region| {
            configured_region::ActiveModel {
                region: Set(region.as_str().to_owned()),
                recorded_at: Set(now),
            }
        }))
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Why `action` may not put `tenant` into service, if it may not: its region
/// must still be among its allowed regions and the installation's. A
/// database no server has started on yet holds no list; then only the
/// tenant's own allowed regions are checked.
pub(crate) async fn activation_refusal<C: ConnectionTrait>(
    db: &C,
    tenant: &tenant::Model,
    action: LifecycleAction,
) -> ServiceResult<Option<String>> {
    if !brings_into_service(tenant.lifecycle_state, action) {
        return Ok(None);
    }
    let cannot = format!("Cannot {} this tenant", action.label().to_lowercase());
    let region = match Region::parse(&tenant.region) {
        Ok(region) => region,
        Err(problem) => return Ok(Some(format!("{cannot}: {problem}"))),
    };
    let (allowed, configured) = residency_lists(db, tenant).await?;
    Ok(check_residency(&region, &allowed, &configured)
        .err()
        .map(|problem| format!("{cannot} (data residency): {problem}")))
}

/// The regions this portal runs tenants in (empty: none recorded).
pub(crate) async fn configured<C: ConnectionTrait>(db: &C) -> ServiceResult<Vec<Region>> {
    Ok(configured_region::Entity::find()
        .order_by_asc(configured_region::Column::Region)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| Region::parse(&row.region).ok())
        .collect())
}

/// The tenant's allowed regions and the installation's configured ones (the
/// allowed ones again while no server has recorded a list).
pub(crate) async fn residency_lists<C: ConnectionTrait>(
    db: &C,
    tenant: &tenant::Model,
) -> ServiceResult<(Vec<Region>, Vec<Region>)> {
    let allowed: Vec<Region> = tenant
        .allowed_regions
        .0
        .iter()
        .filter_map(|raw| Region::parse(raw).ok())
        .collect();
    let configured = configured(db).await?;
    let configured = if configured.is_empty() {
        allowed.clone()
    } else {
        configured
    };
    Ok((allowed, configured))
}
