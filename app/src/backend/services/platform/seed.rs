//! Demo and scale data, created through the same services as real use (so
//! every tenant has its audit history and passes the same rules).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::backend::context::Ctx;
use crate::backend::entities::{role, role_binding};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Principal;
use crate::backend::services::access::auth::load_principal;
use crate::backend::services::platform::work;
use crate::backend::services::tenants;
use crate::domain::access::permission::BuiltinRole;
use crate::domain::tenants::lifecycle::LifecycleAction;
use crate::domain::tenants::tenant::Region;
use crate::model::tenants::NewTenantForm;

const CUSTOMERS: [&str; 10] = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Finance",
    "Hooli",
    "Vandelay Imports",
    "Soylent Foods",
    "Tyrell Systems",
];
const ENVIRONMENTS: [&str; 3] = ["production", "staging", "development"];
const KINDS: [&str; 3] = ["standard", "edge", "endpoints"];
const PLANS: [&str; 3] = ["starter", "professional", "enterprise"];
const LABELS: [&str; 5] = ["pilot", "emea", "strategic", "trial", "gov"];

/// The first platform admin, acting for seeding from the CLI.
pub async fn platform_admin(db: &DatabaseConnection) -> ServiceResult<Principal> {
    let admin_role = role::Entity::find()
        .filter(role::Column::Key.eq(BuiltinRole::PlatformAdmin.key()))
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::internal("no platform admin role; start the server once first")
        })?;
    let binding = role_binding::Entity::find()
        .filter(role_binding::Column::RoleId.eq(admin_role.id))
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::internal(
                "no platform admin exists yet; run `tenantry create-admin` first",
            )
        })?;
    load_principal(db, binding.user_id)
        .await?
        .ok_or_else(|| ServiceError::internal("the platform admin is disabled"))
}

fn tenant_form(i: usize, regions: &[Region]) -> NewTenantForm {
    let customer = CUSTOMERS[i % CUSTOMERS.len()];
    let short = customer
        .split_whitespace()
        .next()
        .unwrap_or("tenant")
        .to_lowercase();
    let environment = ENVIRONMENTS[i % 7 % 3];
    let region = &regions[i % regions.len()];
    let neighbour = &regions[(i + 1) % regions.len()];
    NewTenantForm {
        customer: customer.to_owned(),
        slug: format!("{short}-{}-{i:05}", &environment[..4]),
        display_name: format!("{customer} {} {}", environment, i),
        environment: environment.to_owned(),
        deployment_kind: KINDS[i % 5 % 3].to_owned(),
        isolation_mode: ["shared", "dedicated", "isolated"][i % 3].to_owned(),
        plan_code: PLANS[i % 4 % 3].to_owned(),
        region: region.as_str().to_owned(),
        allowed_regions: format!("{region},{neighbour}"),
        contact_technical: format!("ops@{short}.example"),
        contact_billing: format!("billing@{short}.example"),
        contact_incident: String::new(),
        external_crm: format!("CRM-{:06}", 1000 + i),
        external_billing: format!("BIL-{:06}", 5000 + i),
        labels: format!(
            "{},{}",
            LABELS[i % LABELS.len()],
            LABELS[(i / 5) % LABELS.len()]
        ),
    }
}

/// The lifecycle path tenant `i` takes, so the set spans every resting state.
fn path_for(i: usize) -> &'static [LifecycleAction] {
    use LifecycleAction::*;
    match i % 10 {
        0 => &[],
        1 => &[Activate, EnterMaintenance],
        2 => &[Activate, Suspend],
        3 => &[Activate, Archive],
        _ => &[Activate],
    }
}

/// Creates `count` tenants (numbered from `start`) and walks each along its
/// lifecycle path. Returns how many were created.
pub async fn seed_tenants(
    ctx: &Ctx,
    regions: &[Region],
    start: usize,
    count: usize,
) -> ServiceResult<usize> {
    let db = &ctx.db;
    let mut created = 0;
    for i in start..start + count {
        let slug = match tenants::create(ctx, regions, &tenant_form(i, regions)).await {
            Ok(slug) => slug,
            // Already seeded (re-running the command): skip it.
            Err(ServiceError::Validation(errors)) if errors.for_field("slug").is_some() => continue,
            Err(other) => return Err(other),
        };
        for action in path_for(i) {
            tenants::transition(ctx, &slug, *action, None, None).await?;
            work::finish_immediately(db).await?;
        }
        created += 1;
    }
    Ok(created)
}

/// About sixty tenants of ten customers across states, regions and plans.
pub async fn seed_demo(ctx: &Ctx, regions: &[Region]) -> ServiceResult<usize> {
    seed_tenants(ctx, regions, 0, 60).await
}

/// Seeds the demo set as the first platform admin, but only into a registry
/// without tenants. Returns how many were created, or `None` if it held some.
pub async fn seed_demo_if_empty(
    db: &DatabaseConnection,
    regions: &[Region],
    now: DateTime<Utc>,
) -> ServiceResult<Option<usize>> {
    use sea_orm::PaginatorTrait;
    if crate::backend::entities::tenant::Entity::find()
        .count(db)
        .await?
        > 0
    {
        return Ok(None);
    }
    let admin = platform_admin(db).await?;
    let created = seed_demo(&Ctx::of(db, &admin, &Default::default()), regions).await?;
    let products = seed_catalog(&Ctx::of(db, &admin, &Default::default())).await?;
    seed_fleet(db, &products, 12, now).await?;
    seed_edge_deployments(&Ctx::of(db, &admin, &Default::default())).await?;
    crate::backend::services::releases::compliance::assess(
        db,
        crate::backend::services::releases::compliance::Reach::All,
        now,
    )
    .await?;
    Ok(Some(created))
}

/// Puts the first active edge tenants' edge gateway on blue-green with the
/// traffic simulator, live on the version each runs. Returns how many.
pub async fn seed_edge_deployments(ctx: &Ctx) -> ServiceResult<usize> {
    let db = &ctx.db;
    use crate::backend::entities::{product, tenant, tenant_product};
    use crate::model::deployments::DeploymentForm;
    let Some(gateway) = product::Entity::find()
        .filter(product::Column::Key.eq("edge-gateway"))
        .one(db)
        .await?
    else {
        return Ok(0);
    };
    let edge_tenants = tenant::Entity::find()
        .filter(tenant::Column::DeploymentKind.eq("edge"))
        .filter(tenant::Column::LifecycleState.eq("active"))
        .order_by_asc(tenant::Column::Slug)
        .limit(4)
        .all(db)
        .await?;
    let mut created = 0;
    for t in edge_tenants {
        let running = tenant_product::Entity::find()
            .filter(tenant_product::Column::TenantId.eq(t.id))
            .filter(tenant_product::Column::ProductId.eq(gateway.id))
            .one(db)
            .await?
            .and_then(|tp| tp.running_version)
            .unwrap_or_else(|| "5.1.0".into());
        let form = DeploymentForm {
            tenant: t.slug.clone(),
            product: gateway.key.clone(),
            version: running,
            ..DeploymentForm::default()
        };
        let new = crate::backend::services::deployments::NewDeployment::try_from(&form);
        match crate::backend::services::deployments::create(ctx, new).await {
            Ok(_) => created += 1,
            // Already there (re-running the seed).
            Err(ServiceError::Validation(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(created)
}

/// The demo catalog: two products with releases whose end-of-life dates fall
/// in the past, in grace and ahead, so every compliance status shows up.
/// Created through the catalog service (audited). Returns the product ids with
/// their published versions, oldest first.
pub async fn seed_catalog(ctx: &Ctx) -> ServiceResult<Vec<(uuid::Uuid, Vec<&'static str>)>> {
    let db = &ctx.db;
    use crate::backend::entities::product;
    use crate::backend::services::releases::catalog;
    use crate::model::releases::catalog::ReleaseForm;
    let today = ctx.now().date_naive();
    let day = |offset: i64| (today + chrono::Duration::days(offset)).to_string();
    let catalog_spec: [(&str, &str, &[(&str, i64, Option<i64>)]); 2] = [
        (
            "edge-gateway",
            "Edge Gateway",
            &[
                ("4.8.0", -700, Some(-60)),
                ("5.0.0", -400, Some(-12)),
                ("5.1.0", -200, Some(75)),
                ("5.2.0", -30, None),
            ],
        ),
        (
            "pos-agent",
            "POS Agent",
            &[("2.3.1", -500, Some(25)), ("2.4.0", -90, None)],
        ),
    ];
    let mut products = vec![];
    for (key, name, releases) in catalog_spec {
        let existing = product::Entity::find()
            .filter(product::Column::Key.eq(key))
            .one(db)
            .await?;
        let id = match existing {
            Some(found) => found.id,
            None => catalog::create_product(ctx, key, name, "").await?,
        };
        for (version, released, eol) in releases {
            catalog::save_release(
                ctx,
                catalog::PublishRelease::try_from(&ReleaseForm {
                    product_id: id,
                    version: (*version).into(),
                    released_on: day(*released),
                    end_of_support: eol.map(|e| day(e - 30)).unwrap_or_default(),
                    end_of_life: eol.map(day).unwrap_or_default(),
                    components: format!("api={version}\nworker={version}"),
                    ..Default::default()
                }),
            )
            .await?;
        }
        products.push((id, releases.iter().map(|r| r.0).collect()));
    }
    Ok(products)
}

/// What every live tenant runs, and `endpoints_per_tenant` endpoints each with
/// their installed versions: written in bulk (this is scale data for the
/// benchmarks; real versions arrive through the services and agents).
/// Returns (tenant products, endpoints) written.
pub async fn seed_fleet(
    db: &DatabaseConnection,
    products: &[(uuid::Uuid, Vec<&'static str>)],
    endpoints_per_tenant: usize,
    now: DateTime<Utc>,
) -> ServiceResult<(usize, usize)> {
    use crate::backend::entities::{endpoint, endpoint_product, tenant, tenant_product};
    use crate::backend::secret::sha256_hex;
    use sea_orm::{QuerySelect, Set, TransactionTrait};
    let tenant_ids: Vec<uuid::Uuid> = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .filter(tenant::Column::ArchivedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    // Skewed towards recent versions, as real fleets are.
    let pick = |versions: &[&'static str], n: usize| -> &'static str {
        let weights = [1usize, 2, 4, 8, 16];
        let weights = &weights[weights.len().saturating_sub(versions.len())..];
        let total: usize = weights.iter().sum();
        let mut at = n % total;
        for (v, w) in versions.iter().zip(weights) {
            if at < *w {
                return v;
            }
            at -= w;
        }
        versions[versions.len() - 1]
    };
    let txn = db.begin().await?;
    let mut rows = vec![];
    for (i, tenant_id) in tenant_ids.iter().enumerate() {
        for (p, (product_id, versions)) in products.iter().enumerate() {
            if p > 0 && i % 3 == 0 {
                continue;
            }
            let version = pick(versions, i * 7 + p);
            rows.push(tenant_product::ActiveModel {
                tenant_id: Set(*tenant_id),
                product_id: Set(*product_id),
                allowed_range: Set(None),
                feature_flags: Set(crate::backend::columns::JsonText(Vec::new())),
                running_version: Set(Some(version.to_owned())),
                components: Set(crate::backend::columns::JsonText(
                    [("api", version), ("worker", version)]
                        .into_iter()
                        .map(|(name, v)| (name.to_owned(), v.to_owned()))
                        .collect(),
                )),
                updated_at: Set(now),
            });
        }
    }
    tenant_product::Entity::delete_many().exec(&txn).await?;
    let tenant_products = rows.len();
    for chunk in rows.chunks(2000) {
        tenant_product::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;

    let mut endpoints = 0;
    let platforms = ["linux", "windows", "mobile"];
    for tenants in tenant_ids.chunks(20) {
        let txn = db.begin().await?;
        let mut hosts = vec![];
        let mut installed = vec![];
        for (t, tenant_id) in tenants.iter().enumerate() {
            for e in 0..endpoints_per_tenant {
                let id = uuid::Uuid::new_v4();
                hosts.push(endpoint::ActiveModel {
                    id: Set(id),
                    tenant_id: Set(*tenant_id),
                    hostname: Set(format!("host-{e:04}.{}", tenant_id.simple())),
                    platform: Set(platforms[e % 3].to_owned()),
                    agent_version: Set("1.4.0".into()),
                    token_hash: Set(sha256_hex(&id.to_string())),
                    registered_at: Set(now),
                    // A tenth of the fleet has gone quiet.
                    last_seen_at: Set(if e % 10 == 0 {
                        now - chrono::Duration::hours(6)
                    } else {
                        now
                    }),
                });
                let (product_id, versions) = &products[0];
                installed.push(endpoint_product::ActiveModel {
                    endpoint_id: Set(id),
                    product_id: Set(*product_id),
                    tenant_id: Set(*tenant_id),
                    version: Set(pick(versions, e * 3 + t).to_owned()),
                });
            }
        }
        endpoints += hosts.len();
        for chunk in hosts.chunks(3000) {
            endpoint::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        for chunk in installed.chunks(5000) {
            endpoint_product::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok((tenant_products, endpoints))
}
