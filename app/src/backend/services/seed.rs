//! Demo and scale data, created through the same services as real use (so
//! every tenant has its audit history and passes the same rules).

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::api::tenants::NewTenantForm;
use crate::backend::audit::RequestContext;
use crate::backend::entities::{role, role_binding};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Principal;
use crate::backend::services::auth::load_principal;
use crate::backend::services::tenants::{self, complete_pending_transitions};
use crate::domain::lifecycle::LifecycleAction;
use crate::domain::permission::BuiltinRole;
use crate::domain::tenant::Region;

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
    db: &DatabaseConnection,
    principal: &Principal,
    regions: &[Region],
    start: usize,
    count: usize,
) -> ServiceResult<usize> {
    let context = RequestContext::named("seed");
    let mut created = 0;
    for i in start..start + count {
        let slug = match tenants::create(db, principal, &context, regions, &tenant_form(i, regions))
            .await
        {
            Ok(slug) => slug,
            // Already seeded (re-running the command): skip it.
            Err(ServiceError::Validation(errors)) if errors.for_field("slug").is_some() => continue,
            Err(other) => return Err(other),
        };
        for action in path_for(i) {
            tenants::transition(db, principal, &context, &slug, *action, None, None).await?;
            complete_pending_transitions(db).await?;
        }
        created += 1;
    }
    Ok(created)
}

/// About sixty tenants of ten customers across states, regions and plans.
pub async fn seed_demo(
    db: &DatabaseConnection,
    principal: &Principal,
    regions: &[Region],
) -> ServiceResult<usize> {
    seed_tenants(db, principal, regions, 0, 60).await
}

/// Seeds the demo set as the first platform admin, but only into a registry
/// without tenants. Returns how many were created, or `None` if it held some.
pub async fn seed_demo_if_empty(
    db: &DatabaseConnection,
    regions: &[Region],
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
    Ok(Some(seed_demo(db, &admin, regions).await?))
}
