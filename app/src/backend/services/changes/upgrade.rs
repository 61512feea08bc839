//! What the tenant page's Upgrade form offers: releases with the policy's
//! verdict on each, judged by the same rule the change door applies.

use super::*;
use crate::domain::releases::catalog::ReleaseStatus;
use crate::model::changes::{UpgradeChoices, UpgradeProduct, UpgradeRelease};

pub async fn upgrade_choices(ctx: &Ctx, slug: &str) -> ServiceResult<UpgradeChoices> {
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    let (tenant_id, _) = tenants::resolve_tenant_id(ctx, slug).await?;
    principal.require_on_tenant(request_permission(ChangeKind::Upgrade), tenant_id)?;
    let db = &ctx.db;
    let deployment = tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?
        .deployment_kind;
    let model = crate::domain::changes::change::change_model(ChangeKind::Upgrade, deployment);
    let licensed = tenant_product::Entity::find()
        .filter(tenant_product::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?;
    let mut products = vec![];
    for licence in licensed {
        let Some(found) = product::Entity::find_by_id(licence.product_id)
            .one(db)
            .await?
        else {
            continue;
        };
        let running = licence
            .running_version
            .as_deref()
            .and_then(|v| semver::Version::parse(v).ok());
        let mut versions: Vec<semver::Version> = release::Entity::find()
            .filter(release::Column::ProductId.eq(found.id))
            .filter(release::Column::Status.eq(ReleaseStatus::Published))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|r| semver::Version::parse(&r.version).ok())
            .filter(|v| Some(v) != running.as_ref())
            .collect();
        versions.sort_by(|a, b| b.cmp(a));
        let mut releases = vec![];
        for version in versions {
            releases.push(UpgradeRelease {
                downgrade: running.as_ref().is_some_and(|r| &version < r),
                refused_because: policy_refusal(db, tenant_id, found.id, &version, ctx.now())
                    .await?,
                version: version.to_string(),
            });
        }
        let on_edge = crate::backend::services::deployments::deployment_of(db, tenant_id, found.id)
            .await?
            .is_some();
        products.push(UpgradeProduct {
            path: crate::domain::changes::change::upgrade_path(model, on_edge).to_owned(),
            key: found.key,
            name: found.name,
            running: licence.running_version,
            releases,
        });
    }
    products.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(UpgradeChoices {
        slug: slug.to_owned(),
        products,
    })
}
