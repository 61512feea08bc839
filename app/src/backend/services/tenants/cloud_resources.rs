//! The cloud-resource inventory: resources reported by the orchestrator
//! (a vendor token) or imported from CSV, upserted by provider and id and
//! linked to their tenants (one write, all or nothing); each tenant's page
//! lists its resources, shared ones as such, with a residency finding for
//! any outside the tenant's allowed regions.

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::db::scoped_read;
use crate::backend::entities::{cloud_resource, cloud_resource_link, tenant};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::domain::access::permission::Permission;
use crate::domain::tenants::cloud::{
    CloudResource, MAX_BATCH, Provider, parse_csv_rows, residency_flag,
};
use crate::domain::validation::FieldErrors;
use crate::model::tenants::{
    CloudImportReceipt, CloudResourceBatch, CloudResourceInput, CloudResourceRow,
};

/// Upserts reported resources and links them (platform `tenant.manage`):
/// one bad resource or unknown tenant refuses the batch.
pub async fn report(ctx: &Ctx, batch: &CloudResourceBatch) -> ServiceResult<CloudImportReceipt> {
    store(ctx, &batch.resources, "api", "resources").await
}

/// The same from a CSV file (see `parse_csv_rows` for its columns).
pub async fn import_csv(ctx: &Ctx, text: &str) -> ServiceResult<CloudImportReceipt> {
    ctx.principal.require(Permission::TenantManage)?;
    let rows = parse_csv_rows(text).map_err(ServiceError::Validation)?;
    store(ctx, &rows, "csv", "rows").await
}

async fn store(
    ctx: &Ctx,
    inputs: &[CloudResourceInput],
    source: &'static str,
    list: &str,
) -> ServiceResult<CloudImportReceipt> {
    ctx.principal.require(Permission::TenantManage)?;
    let mut errors = FieldErrors::default();
    if inputs.is_empty() || inputs.len() > MAX_BATCH {
        errors.push(list, format!("Send 1 to {MAX_BATCH} resources at a time."));
        return Err(ServiceError::Validation(errors));
    }
    let parsed: Vec<Option<CloudResource>> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            CloudResource::parse(
                input,
                &format!("{list}[{}].", i + usize::from(list == "rows")),
                &mut errors,
            )
        })
        .collect();
    // Every tenant named must exist.
    let mut tenants: HashMap<String, Uuid> = HashMap::new();
    for (i, resource) in parsed.iter().enumerate() {
        let Some(resource) = resource else { continue };
        for name in &resource.tenants {
            if tenants.contains_key(name) {
                continue;
            }
            let found = match Uuid::parse_str(name) {
                Ok(id) => tenant::Entity::find_by_id(id).one(&ctx.db).await?,
                Err(_) => {
                    tenant::Entity::find()
                        .filter(tenant::Column::Slug.eq(name.clone()))
                        .one(&ctx.db)
                        .await?
                }
            };
            match found {
                Some(t) => {
                    tenants.insert(name.clone(), t.id);
                }
                None => errors.push(
                    &format!("{list}[{}].tenants", i + usize::from(list == "rows")),
                    format!("No tenant `{name}`."),
                ),
            }
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let mut receipt = CloudImportReceipt {
        created: 0,
        updated: 0,
        linked: 0,
    };
    let mut per_tenant: BTreeMap<Uuid, usize> = BTreeMap::new();
    for resource in parsed.into_iter().flatten() {
        let existing = cloud_resource::Entity::find()
            .filter(cloud_resource::Column::Provider.eq(resource.provider.as_str()))
            .filter(cloud_resource::Column::ResourceId.eq(resource.resource_id.clone()))
            .one(&txn)
            .await?;
        let tags = json!(resource.tags).to_string();
        let id = match existing {
            Some(row) => {
                let id = row.id;
                let mut active: cloud_resource::ActiveModel = row.into();
                active.resource_type = Set(resource.resource_type.clone());
                active.region = Set(resource.region.as_str().to_owned());
                active.cost_tag = Set(resource.cost_tag.clone());
                active.tags = Set(tags);
                active.source = Set(source.to_owned());
                active.updated_at = Set(now);
                active.update(&txn).await?;
                receipt.updated += 1;
                id
            }
            None => {
                let id = Uuid::new_v4();
                cloud_resource::ActiveModel {
                    id: Set(id),
                    provider: Set(resource.provider.as_str().to_owned()),
                    resource_type: Set(resource.resource_type.clone()),
                    resource_id: Set(resource.resource_id.clone()),
                    region: Set(resource.region.as_str().to_owned()),
                    cost_tag: Set(resource.cost_tag.clone()),
                    tags: Set(tags),
                    source: Set(source.to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&txn)
                .await?;
                receipt.created += 1;
                id
            }
        };
        for name in &resource.tenants {
            let tenant_id = tenants[name];
            *per_tenant.entry(tenant_id).or_default() += 1;
            receipt.linked +=
                cloud_resource_link::Entity::insert(cloud_resource_link::ActiveModel {
                    cloud_resource_id: Set(id),
                    tenant_id: Set(tenant_id),
                    linked_at: Set(now),
                })
                .on_conflict(
                    OnConflict::columns([
                        cloud_resource_link::Column::CloudResourceId,
                        cloud_resource_link::Column::TenantId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await? as usize;
        }
    }
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(Actor::from(&ctx.principal), "cloud_resource.import", "cloud_resource")
            .details(json!({ "source": source, "created": receipt.created, "updated": receipt.updated, "linked": receipt.linked, "tenants": per_tenant.len() })),
    )
    .await?;
    txn.commit().await?;
    Ok(receipt)
}

/// A tenant's cloud resources, shared ones marked, each checked against
/// the tenant's allowed regions.
pub async fn of_tenant(ctx: &Ctx, reference: &str) -> ServiceResult<Vec<CloudResourceRow>> {
    let (tenant_id, _) = super::resolve_tenant_id(ctx, reference).await?;
    let txn = scoped_read(
        &ctx.reads,
        &ctx.principal.tenant_scope(Permission::TenantRead),
    )
    .await?;
    let t = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let ids: Vec<Uuid> = cloud_resource_link::Entity::find()
        .filter(cloud_resource_link::Column::TenantId.eq(tenant_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|l| l.cloud_resource_id)
        .collect();
    // The tenant's scope ends here; what follows reads the resources it
    // links to and how many tenants share each (not who).
    txn.commit().await?;
    let resources = cloud_resource::Entity::find()
        .filter(cloud_resource::Column::Id.is_in(ids))
        .order_by_asc(cloud_resource::Column::Provider)
        .order_by_asc(cloud_resource::Column::ResourceId)
        .all(&ctx.reads)
        .await?;
    // How many tenants share each (not who), in one query.
    let shared_by: HashMap<Uuid, i64> = cloud_resource_link::Entity::find()
        .select_only()
        .column(cloud_resource_link::Column::CloudResourceId)
        .column_as(cloud_resource_link::Column::TenantId.count(), "n")
        .filter(cloud_resource_link::Column::CloudResourceId.is_in(resources.iter().map(|r| r.id)))
        .group_by(cloud_resource_link::Column::CloudResourceId)
        .into_tuple()
        .all(&ctx.reads)
        .await?
        .into_iter()
        .collect();
    let rows = resources
        .into_iter()
        .map(|r| {
            let tenant_count = shared_by.get(&r.id).copied().unwrap_or(1).max(1) as u64;
            CloudResourceRow {
                id: r.id,
                provider: Provider::parse(&r.provider).unwrap_or(Provider::Other),
                residency_issue: residency_flag(&r.region, &t.allowed_regions.0),
                resource_type: r.resource_type,
                resource_id: r.resource_id,
                region: r.region,
                cost_tag: r.cost_tag,
                tags: serde_json::from_str(&r.tags).unwrap_or_default(),
                shared: tenant_count > 1,
                tenant_count,
            }
        })
        .collect();
    Ok(rows)
}
