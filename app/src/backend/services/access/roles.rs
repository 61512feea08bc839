//! Roles: the six built-in ones (permissions from the code) and custom named
//! permission sets, bound platform-wide or to one tenant like any role.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{invitation, role, role_binding};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::domain::access::permission::BuiltinRole;
use crate::domain::access::permission::CustomRoleRequest;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::RoleScope;
use crate::model::access::roles::PermissionInfo;
use crate::model::access::roles::RoleRow;
use crate::model::access::roles::RolesView;

/// A role's permissions: built-in roles' from the code (so upgrades reach
/// existing installations), custom roles' as stored.
pub fn permissions_of(role: &role::Model) -> Vec<Permission> {
    match BuiltinRole::parse(&role.key).filter(|_| role.is_builtin) {
        Some(builtin) => builtin.permissions().to_vec(),
        None => role
            .permissions
            .split_whitespace()
            .filter_map(Permission::parse)
            .collect(),
    }
}

pub fn scope_of(role: &role::Model) -> RoleScope {
    if role.scope == RoleScope::Platform.as_str() {
        RoleScope::Platform
    } else {
        RoleScope::Tenant
    }
}

pub async fn find_by_key<C: ConnectionTrait>(
    conn: &C,
    key: &str,
) -> ServiceResult<Option<role::Model>> {
    Ok(role::Entity::find()
        .filter(role::Column::Key.eq(key))
        .one(conn)
        .await?)
}

/// Every role, built-in first. People who manage users anywhere may read
/// them (to invite); only platform user managers may change them.
pub async fn list(ctx: &Ctx) -> ServiceResult<RolesView> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::UserManage)?;
    let mut rows = vec![];
    for r in role::Entity::find()
        .order_by_desc(role::Column::IsBuiltin)
        .order_by_asc(role::Column::CreatedAt)
        .all(db)
        .await?
    {
        let assigned = role_binding::Entity::find()
            .filter(role_binding::Column::RoleId.eq(r.id))
            .count(db)
            .await?;
        rows.push(RoleRow {
            permissions: permissions_of(&r)
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            scope: scope_of(&r).as_str().to_owned(),
            id: r.id,
            key: r.key,
            name: r.name,
            builtin: r.is_builtin,
            assigned,
        });
    }
    Ok(RolesView {
        roles: rows,
        permissions: Permission::ALL
            .iter()
            .map(|p| PermissionInfo {
                key: p.as_str().to_owned(),
                description: p.description().to_owned(),
            })
            .collect(),
    })
}

pub async fn create(
    ctx: &Ctx,
    name: &str,
    scope: &str,
    permissions: &[&str],
) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::UserManage)?;
    let request = CustomRoleRequest::parse(name, scope, permissions)?;
    let id = Uuid::new_v4();
    let key = format!("custom_{}", id.simple());
    let txn = db.begin().await?;
    let taken = role::Entity::find()
        .filter(role::Column::Name.eq(request.name.clone()))
        .one(&txn)
        .await?
        .is_some();
    if taken {
        let mut errors = crate::domain::validation::FieldErrors::default();
        errors.push("name", "A role with this name exists already.");
        return Err(errors.into());
    }
    let stored: Vec<&str> = request.permissions.iter().map(|p| p.as_str()).collect();
    role::ActiveModel {
        id: Set(id),
        key: Set(key.clone()),
        name: Set(request.name.clone()),
        scope: Set(request.scope.as_str().to_owned()),
        permissions: Set(stored.join(" ")),
        is_builtin: Set(false),
        created_at: Set(ctx.now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "role.create", "role")
            .target(id)
            .details(json!({ "after": { "name": request.name, "scope": request.scope.as_str(), "permissions": stored } })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Deletes a custom role nobody holds or is invited to.
pub async fn delete(ctx: &Ctx, id: Uuid) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::UserManage)?;
    let txn = db.begin().await?;
    let found = role::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if found.is_builtin {
        return Err(ServiceError::Policy(
            "Built-in roles cannot be deleted.".into(),
        ));
    }
    let assigned = role_binding::Entity::find()
        .filter(role_binding::Column::RoleId.eq(id))
        .count(&txn)
        .await?;
    let invited = invitation::Entity::find()
        .filter(invitation::Column::RoleId.eq(id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .count(&txn)
        .await?;
    if assigned + invited > 0 {
        return Err(ServiceError::Conflict(format!(
            "{} people hold this role and {} open invitations name it; change those first.",
            assigned, invited
        )));
    }
    role::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "role.delete", "role")
            .target(id)
            .details(json!({ "before": { "name": found.name, "permissions": found.permissions } })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
