//! API tokens: high-entropy bearer secrets for the REST API and the CLI. Only
//! a SHA-256 hash is stored (a slow hash buys nothing for 256 random bits and
//! would slow every API call); the token acts with its creator's permissions.

use crate::backend::secret::{random_url_safe, sha256_hex};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::api_token;
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::access::accounts::binding_labels;
use crate::backend::services::access::accounts::bindings_of;
use crate::backend::services::access::auth::load_token_principal;
use crate::domain::access::api_token::TokenRequest;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::Scope;
use crate::domain::validation::FieldErrors;
use crate::model::access::api_tokens::ApiTokenRow;
use crate::model::access::api_tokens::CreatedApiToken;
use std::collections::HashMap;

/// Every token starts with this, so a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "tnt_";
/// `last_used_at` is written at most this often per token, so busy clients
/// do not turn every read into a write.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

fn hash(token: &str) -> String {
    sha256_hex(token)
}

fn new_secret() -> String {
    format!("{TOKEN_PREFIX}{}", random_url_safe())
}

fn to_row(t: api_token::Model, labels: &HashMap<Uuid, String>) -> ApiTokenRow {
    ApiTokenRow {
        limited_to: t.role_binding_id.and_then(|b| labels.get(&b).cloned()),
        id: t.id,
        name: t.name,
        prefix: t.token_prefix,
        created_by: t.created_by,
        created_at: t.created_at,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
        revoked_at: t.revoked_at,
    }
}

pub async fn create(
    ctx: &Ctx,
    name: &str,
    expires_in_days: &str,
    binding: &str,
) -> ServiceResult<CreatedApiToken> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::SettingsManage)?;
    let TokenRequest {
        name,
        expires_in_days: days,
    } = TokenRequest::parse(name, expires_in_days)?;
    let own_bindings = bindings_of(db, principal.user_id).await?;
    let binding = match binding.trim() {
        "" => None,
        raw => match Uuid::parse_str(raw)
            .ok()
            .filter(|id| own_bindings.iter().any(|(own, _)| own == id))
        {
            Some(id) => Some(id),
            None => {
                let mut errors = FieldErrors::default();
                errors.push("binding", "Choose one of your own roles, or all of them.");
                return Err(errors.into());
            }
        },
    };
    let token = new_secret();
    let now = ctx.now();
    let txn = db.begin().await?;
    let created = api_token::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.clone()),
        token_prefix: Set(token.chars().take(TOKEN_PREFIX.len() + 6).collect()),
        token_hash: Set(hash(&token)),
        user_id: Set(principal.user_id),
        created_by: Set(principal.email.clone()),
        created_at: Set(now),
        expires_at: Set(days.map(|d| now + Duration::days(d))),
        last_used_at: Set(None),
        revoked_at: Set(None),
        role_binding_id: Set(binding),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "api_token.create", "api_token")
            .target(created.id)
            .details(
                json!({ "name": name, "expires_at": created.expires_at, "limited_to": binding }),
            ),
    )
    .await?;
    txn.commit().await?;
    let labels: HashMap<Uuid, String> = own_bindings.into_iter().collect();
    Ok(CreatedApiToken {
        token,
        row: to_row(created, &labels),
    })
}

/// Platform settings managers see every token; everyone else who may manage
/// settings somewhere (tenant admins) sees their own.
pub async fn list(ctx: &Ctx) -> ServiceResult<Vec<ApiTokenRow>> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::SettingsManage)?;
    let mut query = api_token::Entity::find().order_by_desc(api_token::Column::CreatedAt);
    if !principal.can(Permission::SettingsManage, Scope::Platform) {
        query = query.filter(api_token::Column::UserId.eq(principal.user_id));
    }
    let tokens = query.all(db).await?;
    let labels = binding_labels(
        db,
        tokens.iter().filter_map(|t| t.role_binding_id).collect(),
    )
    .await?;
    Ok(tokens.into_iter().map(|t| to_row(t, &labels)).collect())
}

/// The role bindings a new token of this principal may be limited to.
pub async fn bindings_for_new_token(ctx: &Ctx) -> ServiceResult<Vec<(Uuid, String)>> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::SettingsManage)?;
    bindings_of(db, principal.user_id).await
}

/// Revoking twice is harmless; the first revocation time is kept.
pub async fn revoke(ctx: &Ctx, id: Uuid) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::SettingsManage)?;
    let txn = db.begin().await?;
    let token = api_token::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|t| {
            t.user_id == principal.user_id
                || principal.can(Permission::SettingsManage, Scope::Platform)
        })
        .ok_or(ServiceError::NotFound)?;
    if token.revoked_at.is_some() {
        return Ok(());
    }
    let name = token.name.clone();
    let mut record = token.into_active_model();
    record.revoked_at = Set(Some(ctx.now()));
    record.update(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "api_token.revoke", "api_token")
            .target(id)
            .details(json!({ "name": name })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The principal a presented bearer token acts as, or `Unauthenticated` when
/// the token is unknown, revoked, expired or its user is disabled. Looks up
/// through `reads`; the occasional last-use stamp goes through `db`.
pub async fn authenticate(
    reads: &DatabaseConnection,
    db: &DatabaseConnection,
    presented: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Principal> {
    if !presented.starts_with(TOKEN_PREFIX) {
        return Err(ServiceError::Unauthenticated);
    }
    let token = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(presented)))
        .one(reads)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|at| at <= now) {
        return Err(ServiceError::Unauthenticated);
    }
    let principal = load_token_principal(reads, token.user_id, token.role_binding_id)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let stale = token
        .last_used_at
        .is_none_or(|at| now - at > Duration::seconds(LAST_USED_RESOLUTION_SECONDS));
    if stale {
        api_token::Entity::update_many()
            .col_expr(
                api_token::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_token::Column::Id.eq(token.id))
            .exec(db)
            .await?;
    }
    Ok(principal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_recognisable() {
        let a = new_secret();
        let b = new_secret();
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert_ne!(a, b);
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a), hash(&a.clone()));
    }
}
