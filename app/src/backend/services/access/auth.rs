use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::entities::{role, role_binding, tenant, user};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::password::verify_password;
use crate::backend::principal::{AccessRestriction, Actor, Principal};
use crate::backend::services::access::login_throttle;
use crate::backend::session::SessionUser;
use crate::backend::state::AccountSettings;
use crate::domain::access::credentials::LoginCredentials;
use crate::domain::access::permission::Grants;
use crate::domain::tenants::lifecycle::LifecycleState;

/// A successful sign-in: who, and the session version to remember.
#[derive(Debug)]
pub struct SignedIn {
    pub principal: Principal,
    pub session_version: i32,
    /// The password was right, but the account has a second factor: the
    /// session is not signed in until a code is given.
    pub second_factor_pending: bool,
}

/// Checks credentials and returns the principal. Every outcome is audited;
/// every failure looks the same to the caller. Failures count against the
/// account and the client address; past the policy's limit the attempt is
/// refused before the password is even checked.
pub async fn authenticate(
    db: &DatabaseConnection,
    context: &RequestContext,
    settings: &AccountSettings,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> ServiceResult<SignedIn> {
    let keys = login_throttle::keys_for(email, context.client_address.as_deref(), settings);
    // Refused attempts during a lockout are not audited one by one: the
    // failure that started the lockout was (below), once per window.
    let attempt = match login_throttle::begin_attempt(db, keys, now).await {
        Ok(attempt) => attempt,
        Err(refusal) => {
            crate::backend::metrics::sign_in("throttled");
            return Err(refusal);
        }
    };
    let result = check_credentials(db, context, email, password, now).await;
    match &result {
        Err(ServiceError::InvalidCredentials) if attempt.started_lockout() => {
            audit_lockout(db, context, email).await?;
        }
        Ok(signed_in) if !signed_in.second_factor_pending => attempt.succeeded(db).await?,
        Ok(_) => attempt.give_back(db).await?,
        Err(_) => {}
    }
    crate::backend::metrics::sign_in(match &result {
        Ok(signed_in) if signed_in.second_factor_pending => "second_factor",
        Ok(_) => "succeeded",
        Err(_) => "failed",
    });
    result
}

/// One audit row per lockout window: the failure that reached the limit.
pub async fn audit_lockout(
    db: &DatabaseConnection,
    context: &RequestContext,
    email: &str,
) -> ServiceResult<()> {
    audit::record(
        db,
        context,
        AuditEntry::new(
            Actor::Anonymous(email.trim().to_lowercase()),
            "auth.lockout",
            "user",
        )
        .failed()
        .details(json!({ "reason": "throttled", "client_address": context.client_address })),
    )
    .await
}

async fn check_credentials(
    db: &DatabaseConnection,
    context: &RequestContext,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> ServiceResult<SignedIn> {
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

    if user.totp_secret.is_some() {
        let session_version = user.session_version;
        let user_id = user.id;
        let principal = principal_for(db, user).await?;
        audit::record(
            db,
            context,
            AuditEntry::new(
                Actor::from(&principal),
                "auth.second_factor_challenge",
                "user",
            )
            .target(user_id)
            .details(json!({ "client_address": context.client_address })),
        )
        .await?;
        return Ok(SignedIn {
            principal,
            session_version,
            second_factor_pending: true,
        });
    }
    let txn = db.begin().await?;
    let user_id = user.id;
    let mut active = user.into_active_model();
    active.last_login_at = Set(Some(now));
    let user = active.update(&txn).await?;
    let session_version = user.session_version;
    let principal = principal_for(&txn, user).await?;
    let new_address =
        note_sign_in_address(&txn, user_id, context.client_address.as_deref(), now).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(&principal), "auth.login", "user")
            .target(user_id)
            .details(
                json!({ "client_address": context.client_address, "new_address": new_address }),
            ),
    )
    .await?;
    txn.commit().await?;
    Ok(SignedIn {
        principal,
        session_version,
        second_factor_pending: false,
    })
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
        .details(json!({ "reason": reason, "client_address": context.client_address })),
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

/// The principal of a signed-in session, or `None` once the session is no
/// longer valid: past the absolute timeout, the account disabled or gone, or
/// its password changed (the session version moved) since sign-in.
pub async fn load_session_principal(
    db: &DatabaseConnection,
    session: &SessionUser,
    settings: &AccountSettings,
    now: DateTime<Utc>,
) -> ServiceResult<Option<Principal>> {
    if now - session.signed_in_at > settings.session_absolute {
        return Ok(None);
    }
    let Some(user) = user::Entity::find_by_id(session.user_id).one(db).await? else {
        return Ok(None);
    };
    if !user.is_active || user.session_version != session.session_version {
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

pub(crate) async fn principal_for<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user: user::Model,
) -> ServiceResult<Principal> {
    principal_limited_to(conn, user, None, Door::Session).await
}

/// The principal behind an API token: its user, limited to the one role
/// binding the token was scoped to (if any). `None` when the user is gone or
/// disabled, or the binding no longer exists.
pub async fn load_token_principal(
    db: &DatabaseConnection,
    user_id: Uuid,
    binding: Option<Uuid>,
) -> ServiceResult<Option<Principal>> {
    let Some(user) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    if !user.is_active {
        return Ok(None);
    }
    if let Some(binding_id) = binding {
        let exists = role_binding::Entity::find_by_id(binding_id)
            .filter(role_binding::Column::UserId.eq(user_id))
            .one(db)
            .await?
            .is_some();
        if !exists {
            return Ok(None);
        }
    }
    Ok(Some(
        principal_limited_to(db, user, binding, Door::ApiToken).await?,
    ))
}

/// How the principal came in: a person's session, or one of their API tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Door {
    Session,
    ApiToken,
}

async fn principal_limited_to<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user: user::Model,
    only_binding: Option<Uuid>,
    door: Door,
) -> ServiceResult<Principal> {
    let mut query = role_binding::Entity::find().filter(role_binding::Column::UserId.eq(user.id));
    if let Some(binding_id) = only_binding {
        query = query.filter(role_binding::Column::Id.eq(binding_id));
    }
    let bindings = query.all(conn).await?;
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
        let permissions = crate::backend::services::access::roles::permissions_of(role);
        grants.bind(&permissions, binding.tenant_id);
    }
    let bound_tenants: Vec<Uuid> = grants.tenants.iter().map(|(id, _)| *id).collect();
    let mut restrictions = vec![];
    // A tenant's state limits what its own people may do there (suspended:
    // sign in and read; maintenance: read only; archived: nothing).
    if !bound_tenants.is_empty() {
        let states: Vec<(Uuid, String, LifecycleState)> = tenant::Entity::find()
            .filter(tenant::Column::Id.is_in(bound_tenants.clone()))
            .select_only()
            .column(tenant::Column::Id)
            .column(tenant::Column::Slug)
            .column(tenant::Column::LifecycleState)
            .into_tuple()
            .all(conn)
            .await?;
        for (tenant_id, slug, state) in states {
            let access = state.tenant_access();
            let kept = match door {
                Door::Session => access.kept(),
                Door::ApiToken => access.kept_by_api_token(),
            };
            let Some(kept) = kept else {
                continue;
            };
            let withheld = grants.keep_only_on(tenant_id, kept);
            if !withheld.is_empty() {
                restrictions.push(AccessRestriction {
                    tenant_id,
                    withheld,
                    reason: crate::backend::services::changes::update_policy::access_refusal(
                        conn,
                        tenant_id,
                        &slug,
                        state,
                        chrono::Utc::now(),
                    )
                    .await?,
                });
            }
        }
    }
    for (tenant_id, reason) in
        crate::backend::services::releases::compliance::access_restrictions(conn, &bound_tenants)
            .await?
    {
        let withheld = grants.restrict_on(tenant_id);
        if !withheld.is_empty() {
            restrictions.push(AccessRestriction {
                tenant_id,
                withheld,
                reason,
            });
        }
    }
    Ok(Principal {
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
        grants,
        restrictions,
    })
}

/// Remembers that `user_id` signed in from `address`; true when the account
/// has signed in before but never from there (a security alert). The first
/// sign-in of an account is not news.
pub(crate) async fn note_sign_in_address<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    use crate::backend::entities::sign_in_address;
    use sea_orm::PaginatorTrait;
    let Some(address) = address.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(false);
    };
    let known = sign_in_address::Entity::find_by_id((user_id, address.to_owned()))
        .one(conn)
        .await?;
    if let Some(known) = known {
        let mut seen = known.into_active_model();
        seen.last_seen_at = Set(now);
        seen.update(conn).await?;
        return Ok(false);
    }
    let signed_in_before = sign_in_address::Entity::find()
        .filter(sign_in_address::Column::UserId.eq(user_id))
        .count(conn)
        .await?
        > 0;
    sign_in_address::Entity::insert(sign_in_address::ActiveModel {
        user_id: Set(user_id),
        address: Set(address.to_owned()),
        first_seen_at: Set(now),
        last_seen_at: Set(now),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            sign_in_address::Column::UserId,
            sign_in_address::Column::Address,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(signed_in_before)
}
