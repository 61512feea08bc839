use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::entities::{role, role_binding, user};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::password::verify_password;
use crate::backend::principal::{Actor, Principal};
use crate::domain::credentials::LoginCredentials;
use crate::domain::permission::{BuiltinRole, Grants, Permission};

/// Checks credentials and returns the principal. Every outcome is audited;
/// every failure looks the same to the caller.
pub async fn authenticate(
    db: &DatabaseConnection,
    context: &RequestContext,
    email: &str,
    password: &str,
) -> ServiceResult<Principal> {
    let Some(credentials) = LoginCredentials::parse(email, password)? else {
        // Malformed address: still spend the hashing time, then fail generically.
        verify_password(password.to_owned(), None).await?;
        return login_failed(db, context, email, "malformed_email").await;
    };
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(credentials.email.as_str()))
        .one(db)
        .await?;
    let stored_hash = found.as_ref().map(|u| u.password_hash.clone());
    let password_ok = verify_password(credentials.password, stored_hash).await?;

    let user = match found {
        Some(user) if password_ok && user.is_active => user,
        Some(user) if password_ok => {
            return login_failed(db, context, &user.email, "account_disabled").await;
        }
        Some(user) => return login_failed(db, context, &user.email, "wrong_password").await,
        None => {
            return login_failed(db, context, credentials.email.as_str(), "unknown_account").await;
        }
    };

    let txn = db.begin().await?;
    let user_id = user.id;
    let mut active = user.into_active_model();
    active.last_login_at = Set(Some(Utc::now()));
    let user = active.update(&txn).await?;
    let principal = principal_for(&txn, user).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(&principal), "auth.login", "user").target(user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(principal)
}

async fn login_failed<T>(
    db: &DatabaseConnection,
    context: &RequestContext,
    attempted_email: &str,
    reason: &str,
) -> ServiceResult<T> {
    audit::record(
        db,
        context,
        AuditEntry::new(
            Actor::Anonymous(attempted_email.to_owned()),
            "auth.login",
            "user",
        )
        .failed()
        .details(json!({ "reason": reason })),
    )
    .await?;
    Err(ServiceError::InvalidCredentials)
}

pub async fn record_logout(
    db: &DatabaseConnection,
    context: &RequestContext,
    principal: &Principal,
) -> ServiceResult<()> {
    audit::record(
        db,
        context,
        AuditEntry::new(Actor::from(principal), "auth.logout", "user").target(principal.user_id),
    )
    .await
}

/// The principal behind a session's user id, or `None` when the user no
/// longer exists or was disabled (the session is then worthless).
pub async fn load_principal(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> ServiceResult<Option<Principal>> {
    let Some(user) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    if !user.is_active {
        return Ok(None);
    }
    Ok(Some(principal_for(db, user).await?))
}

/// The active user with this email as a principal (for the CLI's bootstrap commands).
pub async fn principal_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> ServiceResult<Option<Principal>> {
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .filter(user::Column::IsActive.eq(true))
        .one(db)
        .await?;
    match found {
        Some(user) => Ok(Some(principal_for(db, user).await?)),
        None => Ok(None),
    }
}

async fn principal_for<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user: user::Model,
) -> ServiceResult<Principal> {
    let bindings = role_binding::Entity::find()
        .filter(role_binding::Column::UserId.eq(user.id))
        .all(conn)
        .await?;
    let role_ids: Vec<Uuid> = bindings.iter().map(|b| b.role_id).collect();
    let roles = if role_ids.is_empty() {
        vec![]
    } else {
        role::Entity::find()
            .filter(role::Column::Id.is_in(role_ids))
            .all(conn)
            .await?
    };
    let mut grants = Grants::default();
    for binding in &bindings {
        let Some(role) = roles.iter().find(|r| r.id == binding.role_id) else {
            continue;
        };
        // Built-in roles take their permissions from the code, so an
        // upgrade that adds a permission reaches existing installations.
        let permissions: Vec<Permission> = match BuiltinRole::ALL
            .iter()
            .find(|b| role.is_builtin && b.key() == role.key)
        {
            Some(builtin) => builtin.permissions().to_vec(),
            None => role
                .permissions
                .split_whitespace()
                .filter_map(Permission::parse)
                .collect(),
        };
        grants.bind(&permissions, binding.tenant_id);
    }
    Ok(Principal {
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
        grants,
    })
}
