//! What each tenant licenses and runs: the source of truth for versions.
//! Licensing is the vendor's (`release.manage`); tenants read their own.

use crate::backend::columns::JsonText;
use std::collections::{BTreeMap, HashMap};

use crate::domain::releases::compliance::compliance_day;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{compliance_status, product, release, tenant, tenant_product};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::services::releases::compliance;
use crate::backend::services::releases::policies;
use crate::domain::access::permission::Permission;
use crate::domain::releases::catalog::deployment_blocked;
use crate::domain::releases::catalog::parse_allowed_range;
use crate::domain::releases::catalog::parse_feature_flags;
use crate::domain::validation::FieldErrors;
use crate::model::releases::compliance::TenantProductForm;
use crate::model::releases::compliance::TenantProductRow;
use crate::model::releases::compliance::TenantVersionsView;

pub async fn view(ctx: &Ctx, tenant_id: Uuid) -> ServiceResult<TenantVersionsView> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_on_tenant(Permission::TenantRead, tenant_id)?;
    tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let products = product::Entity::find()
        .order_by_asc(product::Column::Name)
        .all(db)
        .await?;
    let names: HashMap<Uuid, &product::Model> = products.iter().map(|p| (p.id, p)).collect();
    let statuses: HashMap<Uuid, compliance_status::Model> = compliance_status::Entity::find()
        .filter(compliance_status::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.product_id, s))
        .collect();
    let mut rows = vec![];
    for licensed in tenant_product::Entity::find()
        .filter(tenant_product::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?
    {
        let Some(p) = names.get(&licensed.product_id) else {
            continue;
        };
        let status = statuses.get(&licensed.product_id);
        rows.push(TenantProductRow {
            product_id: p.id,
            product_key: p.key.clone(),
            product_name: p.name.clone(),
            allowed_range: licensed.allowed_range,
            feature_flags: licensed.feature_flags.0,
            running_version: licensed.running_version,
            components: licensed.components.0,
            status: status.map(|s| s.status.clone()),
            detail: status.map(|s| s.detail.clone()),
            days_left: status.and_then(|s| s.days_left),
            policy_level: status.map(|s| s.policy_level.clone()),
        });
    }
    rows.sort_by(|a, b| a.product_name.cmp(&b.product_name));
    Ok(TenantVersionsView {
        rows,
        products: products
            .iter()
            .map(|p| (p.id, p.key.clone(), p.name.clone()))
            .collect(),
        extensions: policies::extensions_of(db, Some(tenant_id)).await?,
    })
}

/// A product licence for a tenant and what it runs, parsed at the door.
#[derive(Clone, Debug)]
pub struct LicenseProduct {
    pub product_id: Uuid,
    /// None: licensed, not yet deployed.
    pub running_version: Option<semver::Version>,
    /// The requirement as entered (kept for display) and as read.
    pub allowed_range: Option<(String, semver::VersionReq)>,
    pub feature_flags: Vec<String>,
}

impl TryFrom<&TenantProductForm> for LicenseProduct {
    type Error = FieldErrors;

    fn try_from(form: &TenantProductForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let range = parse_allowed_range(&form.allowed_range)
            .map_err(|found| errors.0.extend(found.0))
            .ok()
            .flatten();
        let feature_flags = parse_feature_flags(&form.feature_flags)
            .map_err(|found| errors.0.extend(found.0))
            .unwrap_or_default();
        let running = form.running_version.trim().trim_start_matches('v');
        let running_version = match running {
            "" => None,
            running => semver::Version::parse(running)
                .map_err(|_| {
                    errors.push(
                        "running_version",
                        format!("'{running}' is not a semantic version."),
                    )
                })
                .ok(),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            product_id: form.product_id,
            running_version,
            allowed_range: range.map(|req| (form.allowed_range.trim().to_owned(), req)),
            feature_flags,
        })
    }
}

/// Licenses the product to the tenant or updates what it runs. The running
/// version must be a release of the product inside the allowed range; its
/// component pins are recorded with it.
pub async fn set(
    ctx: &Ctx,
    tenant_id: Uuid,
    licence: crate::backend::error::Parsed<LicenseProduct>,
) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_on_tenant(Permission::TenantRead, tenant_id)?;
    principal.require(Permission::ReleaseManage)?;
    let licence = &licence?;
    let mut errors = FieldErrors::default();
    let product_id = licence.product_id;
    let flags = licence.feature_flags.clone();
    let range_text = licence.allowed_range.as_ref().map(|(raw, _)| raw.clone());
    let txn = db.begin().await?;
    tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let found_product = product::Entity::find_by_id(product_id).one(&txn).await?;
    if found_product.is_none() {
        errors.push("product_id", "Choose a product from the catalog.");
    }
    let mut components: BTreeMap<String, String> = BTreeMap::new();
    if let Some(version) = &licence.running_version {
        let known = release::Entity::find()
            .filter(release::Column::ProductId.eq(product_id))
            .filter(release::Column::Version.eq(version.to_string()))
            .one(&txn)
            .await?;
        match known {
            None => errors.push(
                "running_version",
                format!(
                    "{version} is not a release of this product; publish it in the catalog first."
                ),
            ),
            Some(r) => {
                components = r.components.0;
            }
        }
        if let Some((raw, range)) = &licence.allowed_range {
            if !range.matches(version) {
                errors.push(
                    "running_version",
                    format!("{version} is outside the allowed range {raw}."),
                );
            }
        }
    }
    let running = licence.running_version.as_ref().map(ToString::to_string);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let existing = tenant_product::Entity::find_by_id((tenant_id, product_id))
        .one(&txn)
        .await?;
    // A policy may forbid deploying an end-of-life version (keeping one that
    // already runs is not a deployment).
    let changes_version = existing.as_ref().map(|e| &e.running_version) != Some(&running);
    if let Some(version) = running.as_deref().filter(|_| changes_version) {
        let version = semver::Version::parse(version).map_err(ServiceError::internal)?;
        let (status, actions) = compliance::preview(
            &txn,
            tenant_id,
            product_id,
            &version,
            compliance_day(ctx.now()),
        )
        .await?;
        if deployment_blocked(&status, &actions) {
            let mut errors = FieldErrors::default();
            errors.push(
                "running_version",
                format!("{version} is past its end of life and the version policy blocks deploying it; choose a supported release."),
            );
            return Err(errors.into());
        }
    }
    let before = existing.as_ref().map(|e| {
        json!({ "running_version": e.running_version, "allowed_range": e.allowed_range, "feature_flags": *e.feature_flags })
    });
    let model = tenant_product::ActiveModel {
        tenant_id: Set(tenant_id),
        product_id: Set(product_id),
        allowed_range: Set(range_text.clone()),
        feature_flags: Set(JsonText(flags.clone())),
        running_version: Set(running.clone()),
        components: Set(JsonText(components)),
        updated_at: Set(ctx.now()),
    };
    if existing.is_some() {
        model.update(&txn).await?;
    } else {
        model.insert(&txn).await?;
    }
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "tenant.product.set", "tenant")
            .target(tenant_id)
            .tenant(tenant_id)
            .details(json!({
                "product": found_product.map(|p| p.key),
                "before": before,
                "after": { "running_version": running, "allowed_range": range_text.as_deref().unwrap_or_default(), "feature_flags": flags },
            })),
    )
    .await?;
    txn.commit().await?;
    compliance::assess(db, compliance::Reach::Tenant(tenant_id), ctx.now()).await?;
    Ok(())
}
