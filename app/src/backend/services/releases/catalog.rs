//! The release catalog: products and releases with their support dates.
//! Changing a release can change every tenant's compliance, so each change
//! is followed by a fresh assessment.

use crate::backend::columns::JsonText;
use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{product, release, tenant_product};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::services::releases::compliance;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::TenantScope;
use crate::domain::releases::catalog::ReleaseInput;
use crate::domain::releases::catalog::ReleaseRequest;
use crate::domain::releases::catalog::ReleaseStatus;
use crate::domain::releases::catalog::parse_product;
use crate::domain::releases::compliance::CatalogRelease;
use crate::domain::releases::compliance::compliance_day;
use crate::domain::releases::compliance::version_sort_key;
use crate::model::releases::catalog::CatalogView;
use crate::model::releases::catalog::ProductRow;
use crate::model::releases::catalog::ReleaseForm;
use crate::model::releases::catalog::ReleaseRow;

/// Everyone who can read a tenant may read the catalog (it is the vendor's
/// public list of versions); editing needs `release.manage`.
pub async fn view(ctx: &Ctx) -> ServiceResult<CatalogView> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    let products = product::Entity::find()
        .order_by_asc(product::Column::Name)
        .all(db)
        .await?;
    let releases = release::Entity::find()
        .order_by_asc(release::Column::ProductId)
        .order_by_desc(release::Column::SortKey)
        .all(db)
        .await?;
    // A tenant's people count only their own tenants; the vendor, all.
    let scope = principal.tenant_scope(Permission::TenantRead);
    let licensed = count_by(db, &scope, false).await?;
    let running = count_by(db, &scope, true).await?;
    let key_of: HashMap<Uuid, &str> = products.iter().map(|p| (p.id, p.key.as_str())).collect();
    let releases: Vec<ReleaseRow> = releases
        .into_iter()
        .map(|r| ReleaseRow {
            product_key: key_of
                .get(&r.product_id)
                .copied()
                .unwrap_or_default()
                .to_owned(),
            tenants_running: running
                .get(&format!("{}/{}", r.product_id, r.version))
                .copied()
                .unwrap_or(0),
            components: r.components.0,
            id: r.id,
            product_id: r.product_id,
            version: r.version,
            released_on: r.released_on,
            end_of_support: r.end_of_support,
            end_of_life: r.end_of_life,
            status: r.status,
            notes: r.notes,
        })
        .collect();
    let products = products
        .into_iter()
        .map(|p| ProductRow {
            latest: releases
                .iter()
                .filter(|r| r.product_id == p.id && r.status == ReleaseStatus::Published)
                .filter_map(|r| semver::Version::parse(&r.version).ok())
                .filter(|v| v.pre.is_empty())
                .max()
                .map(|v| v.to_string()),
            tenants: licensed.get(&p.id.to_string()).copied().unwrap_or(0),
            id: p.id,
            key: p.key,
            name: p.name,
            description: p.description,
        })
        .collect();
    Ok(CatalogView {
        products,
        releases,
        today: compliance_day(ctx.now()),
    })
}

/// Tenants per product (`product id`), or with `by_version` per running
/// version (`product id/version`), among the tenants in `scope`.
async fn count_by(
    db: &DatabaseConnection,
    scope: &TenantScope,
    by_version: bool,
) -> ServiceResult<HashMap<String, u64>> {
    use sea_orm::{
        QuerySelect,
        sea_query::{Expr, ExprTrait},
    };
    let mut query = tenant_product::Entity::find()
        .select_only()
        .column(tenant_product::Column::ProductId)
        .column(tenant_product::Column::RunningVersion)
        .column_as(Expr::col(tenant_product::Column::TenantId).count(), "n")
        .group_by(tenant_product::Column::ProductId)
        .group_by(tenant_product::Column::RunningVersion);
    if let TenantScope::Only(ids) = scope {
        query = query.filter(tenant_product::Column::TenantId.is_in(ids.clone()));
    }
    let rows: Vec<(Uuid, Option<String>, i64)> = query.into_tuple().all(db).await?;
    let mut counts = HashMap::new();
    for (product, version, n) in rows {
        let key = match (by_version, version) {
            (false, _) => product.to_string(),
            (true, Some(version)) => format!("{product}/{version}"),
            (true, None) => continue,
        };
        *counts.entry(key).or_insert(0) += n as u64;
    }
    Ok(counts)
}

pub async fn create_product(
    ctx: &Ctx,
    key: &str,
    name: &str,
    description: &str,
) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::ReleaseManage)?;
    let (key, name) = parse_product(key, name)?;
    let id = Uuid::new_v4();
    let txn = db.begin().await?;
    product::ActiveModel {
        id: Set(id),
        key: Set(key.clone()),
        name: Set(name.clone()),
        description: Set(description.trim().to_owned()),
        created_at: Set(ctx.now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        ServiceError::on_unique_violation(e, "key", "A product with this key exists already.")
    })?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "product.create", "product")
            .target(id)
            .details(json!({ "after": { "key": key, "name": name } })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// A release to publish (or update) for a product, parsed at the door.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishRelease {
    pub product_id: Uuid,
    pub release: ReleaseRequest,
}

impl TryFrom<&ReleaseForm> for PublishRelease {
    type Error = crate::domain::validation::FieldErrors;

    fn try_from(form: &ReleaseForm) -> Result<Self, Self::Error> {
        let release = ReleaseRequest::parse(&ReleaseInput {
            version: &form.version,
            released_on: &form.released_on,
            end_of_support: &form.end_of_support,
            end_of_life: &form.end_of_life,
            status: &form.status,
            notes: &form.notes,
            components: &form.components,
        })?;
        Ok(Self {
            product_id: form.product_id,
            release,
        })
    }
}

/// Creates the release, or updates the product's release with the same version.
pub async fn save_release(
    ctx: &Ctx,
    publish: crate::backend::error::Parsed<PublishRelease>,
) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::ReleaseManage)?;
    let publish = &publish?;
    let (product_id, request) = (publish.product_id, &publish.release);
    let txn = db.begin().await?;
    if product::Entity::find_by_id(product_id)
        .one(&txn)
        .await?
        .is_none()
    {
        let mut errors = crate::domain::validation::FieldErrors::default();
        errors.push("product_id", "Choose a product from the catalog.");
        return Err(errors.into());
    }
    let version = request.version.to_string();
    let existing = release::Entity::find()
        .filter(release::Column::ProductId.eq(product_id))
        .filter(release::Column::Version.eq(version.clone()))
        .one(&txn)
        .await?;
    let components: BTreeMap<String, String> = request
        .components
        .iter()
        .map(|(name, v)| (name.clone(), v.to_string()))
        .collect();
    let after = json!({
        "version": version,
        "released_on": request.released_on,
        "end_of_support": request.end_of_support,
        "end_of_life": request.end_of_life,
        "status": request.status.as_str(),
        "components": components,
    });
    let now = ctx.now();
    let (id, action, before) = match existing {
        Some(found) => {
            let before = json!({
                "released_on": found.released_on,
                "end_of_support": found.end_of_support,
                "end_of_life": found.end_of_life,
                "status": found.status.as_str(),
            });
            let id = found.id;
            let mut model: release::ActiveModel = found.into();
            model.released_on = Set(request.released_on);
            model.end_of_support = Set(request.end_of_support);
            model.end_of_life = Set(request.end_of_life);
            model.status = Set(request.status);
            model.notes = Set(request.notes.clone());
            model.components = Set(JsonText(components.clone()));
            model.updated_at = Set(now);
            model.update(&txn).await?;
            (id, "release.update", Some(before))
        }
        None => {
            let id = Uuid::new_v4();
            release::ActiveModel {
                id: Set(id),
                product_id: Set(product_id),
                version: Set(version.clone()),
                sort_key: Set(version_sort_key(&request.version)),
                released_on: Set(request.released_on),
                end_of_support: Set(request.end_of_support),
                end_of_life: Set(request.end_of_life),
                status: Set(request.status),
                notes: Set(request.notes.clone()),
                components: Set(JsonText(components.clone())),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            (id, "release.publish", None)
        }
    };
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), action, "release")
            .target(id)
            .details(json!({ "before": before, "after": after, "product_id": product_id })),
    )
    .await?;
    txn.commit().await?;
    compliance::assess(db, compliance::Reach::All, ctx.now()).await?;
    Ok(id)
}

/// Every product's releases, as the compliance rules want them.
pub async fn catalog_releases<C: ConnectionTrait>(
    conn: &C,
) -> ServiceResult<HashMap<Uuid, Vec<CatalogRelease>>> {
    let mut by_product: HashMap<Uuid, Vec<CatalogRelease>> = HashMap::new();
    for r in release::Entity::find().all(conn).await? {
        if let Ok(version) = semver::Version::parse(&r.version) {
            by_product
                .entry(r.product_id)
                .or_default()
                .push(CatalogRelease {
                    version,
                    end_of_life: r.end_of_life,
                    withdrawn: r.status == ReleaseStatus::Withdrawn,
                });
        }
    }
    Ok(by_product)
}
