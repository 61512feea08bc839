//! Saved tenant filters: the vendor's named queries over the tenant list,
//! which a change request can target (see `changes::create_for_filter`).
//! They span tenants, so they belong to the platform: its readers list them,
//! its tenant managers save and delete them.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::saved_filter;
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::tenants;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::Scope;
use crate::domain::tenants::saved_filter::FilterFields;
use crate::domain::tenants::saved_filter::MAX_FILTER_TARGETS;
use crate::domain::tenants::saved_filter::parse_saved_filter;
use crate::domain::validation::FieldErrors;
use crate::model::changes::{SavedFilterForm, SavedFilterRow};

/// Every saved filter with how many tenants it matches now; empty for
/// tenant-scoped people (the filters span the vendor's whole fleet).
pub async fn list(ctx: &Ctx) -> ServiceResult<Vec<SavedFilterRow>> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    if !principal.can(Permission::TenantRead, Scope::Platform) {
        return Ok(vec![]);
    }
    let mut rows = vec![];
    for filter in saved_filter::Entity::find()
        .order_by_asc(saved_filter::Column::Name)
        .all(db)
        .await?
    {
        let fields = fields_of(&filter)?;
        let matching = tenants::matching_slugs(db, principal, &fields, MAX_FILTER_TARGETS)
            .await?
            .len() as u64;
        rows.push(SavedFilterRow {
            id: filter.id,
            description: fields.describe(),
            fields,
            name: filter.name,
            matching,
            created_by: filter.created_by,
            created_at: filter.created_at,
        });
    }
    Ok(rows)
}

/// A named tenant filter to save, parsed at the door.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSavedFilter {
    pub name: String,
    pub fields: FilterFields,
}

impl TryFrom<&SavedFilterForm> for NewSavedFilter {
    type Error = FieldErrors;

    fn try_from(form: &SavedFilterForm) -> Result<Self, FieldErrors> {
        let fields = FilterFields {
            q: form.q.clone(),
            state: form.state.clone(),
            plan: form.plan.clone(),
            region: form.region.clone(),
            environment: form.environment.clone(),
            kind: form.kind.clone(),
            label: form.label.clone(),
        };
        let (name, fields) = parse_saved_filter(&form.name, &fields)?;
        Ok(Self { name, fields })
    }
}

pub async fn save(
    ctx: &Ctx,
    new: crate::backend::error::Parsed<NewSavedFilter>,
) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::TenantManage)?;
    let new = &new?;
    let (name, fields) = (&new.name, &new.fields);
    let id = Uuid::new_v4();
    let query = serde_json::to_string(&fields).map_err(ServiceError::internal)?;
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    saved_filter::ActiveModel {
        id: Set(id),
        name: Set(name.clone()),
        query: Set(query),
        created_by: Set(principal.email.clone()),
        created_at: Set(ctx.now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        ServiceError::on_unique_violation(e, "name", "A saved filter with this name exists.")
    })?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "saved_filter.create",
            "saved_filter",
        )
        .target(id)
        .details(json!({ "name": name, "filters": fields })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

pub async fn delete(ctx: &Ctx, id: Uuid) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::TenantManage)?;
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    let found = saved_filter::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    saved_filter::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "saved_filter.delete", "saved_filter")
            .target(id)
            .details(json!({ "name": found.name, "filters": serde_json::from_str::<serde_json::Value>(&found.query).ok() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A saved filter by id or name; only platform readers use them.
pub(crate) async fn resolve<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    reference: &str,
) -> ServiceResult<saved_filter::Model> {
    principal.require(Permission::TenantRead)?;
    let query = match Uuid::parse_str(reference) {
        Ok(id) => saved_filter::Entity::find_by_id(id),
        Err(_) => saved_filter::Entity::find().filter(saved_filter::Column::Name.eq(reference)),
    };
    query.one(conn).await?.ok_or_else(|| {
        let mut errors = crate::domain::validation::FieldErrors::default();
        errors.push("target_filter", "No saved filter has this name.");
        ServiceError::Validation(errors)
    })
}

/// The filters a saved filter keeps. A stored filter that no longer parses is
/// an error, never "no filters" (which would match every tenant).
pub(crate) fn fields_of(filter: &saved_filter::Model) -> ServiceResult<FilterFields> {
    serde_json::from_str(&filter.query)
        .map_err(|e| ServiceError::internal_in("a stored saved filter does not parse", e))
}
