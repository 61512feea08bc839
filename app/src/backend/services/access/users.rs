use chrono::{DateTime, Utc};
use rand::Rng;
use rand::distributions::Alphanumeric;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::Ctx;
use crate::backend::entities::{role, role_binding, user};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::password::hash_password;
use crate::backend::principal::Actor;
use crate::domain::access::credentials::check_new_password;
use crate::domain::access::credentials::parse_display_name;
use crate::domain::access::permission::BuiltinRole;
use crate::domain::access::permission::Permission;
use crate::domain::notifications::email::Email;
use crate::domain::validation::FieldErrors;

/// Input for a new account, parsed at the edge.
pub struct NewUser {
    pub email: Email,
    pub display_name: String,
    pub password: String,
    pub role: BuiltinRole,
    /// Where the role applies: `None` platform-wide (platform roles), or the
    /// one tenant of a tenant role.
    pub tenant: Option<Uuid>,
}

impl NewUser {
    pub fn parse(
        email: &str,
        display_name: &str,
        password: &str,
        role: BuiltinRole,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = Email::parse(email)
            .map_err(|e| errors.push("email", e.to_string()))
            .ok();
        let display_name = parse_display_name(display_name)
            .map_err(|m| errors.push("display_name", m))
            .unwrap_or_default();
        if let Err(message) = check_new_password(password) {
            errors.push("password", message);
        }
        match email {
            Some(email) if errors.is_empty() => Ok(Self {
                email,
                display_name,
                password: password.to_owned(),
                role,
                tenant: None,
            }),
            _ => Err(errors),
        }
    }
}

impl NewUser {
    /// Binds the (tenant) role to one tenant.
    pub fn at_tenant(mut self, tenant: Uuid) -> Self {
        self.tenant = Some(tenant);
        self
    }
}

/// Creates the built-in roles that do not exist yet. Idempotent; runs at start-up.
pub async fn ensure_builtin_roles(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    for builtin in BuiltinRole::ALL {
        let exists = role::Entity::find()
            .filter(role::Column::Key.eq(builtin.key()))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let txn = db.begin().await?;
        let id = Uuid::new_v4();
        role::ActiveModel {
            id: Set(id),
            key: Set(builtin.key().to_owned()),
            name: Set(builtin.name().to_owned()),
            scope: Set(builtin.scope().as_str().to_owned()),
            permissions: Set(builtin
                .permissions()
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" ")),
            is_builtin: Set(true),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            &RequestContext::default(),
            AuditEntry::new(Actor::System("startup"), "role.create", "role")
                .target(id)
                .details(json!({ "key": builtin.key() })),
        )
        .await?;
        txn.commit().await?;
    }
    Ok(())
}

/// Creates a user bound to a built-in platform role. The acting principal
/// needs `user.manage`; start-up and the CLI act as the system.
pub async fn create_user(
    db: &DatabaseConnection,
    actor: &Actor,
    context: &RequestContext,
    new_user: NewUser,
    now: DateTime<Utc>,
) -> ServiceResult<Uuid> {
    let role = role::Entity::find()
        .filter(role::Column::Key.eq(new_user.role.key()))
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::internal(format!("built-in role {} missing", new_user.role.key()))
        })?;
    if let Err(message) = new_user.role.check_binding(new_user.tenant) {
        let mut errors = FieldErrors::default();
        errors.push("role", message);
        return Err(errors.into());
    }
    let hash = hash_password(new_user.password).await?;

    let txn = db.begin().await?;
    let id = insert_account(
        &txn,
        new_user.email.as_str(),
        &new_user.display_name,
        hash.0,
        None,
        now,
    )
    .await
    .map_err(|e| {
        ServiceError::on_unique_violation(
            e,
            "email",
            "A user with this email address already exists.",
        )
    })?
    .id;
    role_binding::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(id),
        role_id: Set(role.id),
        tenant_id: Set(new_user.tenant),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(actor.clone(), "user.create", "user")
            .target(id)
            .details(json!({ "after": { "email": new_user.email.as_str(), "display_name": new_user.display_name, "role": new_user.role.key(), "tenant": new_user.tenant } })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Inserts an active account with no second factor (the one place that
/// spells out a new user row).
pub(crate) async fn insert_account<C: ConnectionTrait>(
    conn: &C,
    email: &str,
    display_name: &str,
    password_hash: String,
    signed_in_at: Option<chrono::DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<user::Model, sea_orm::DbErr> {
    user::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.to_owned()),
        display_name: Set(display_name.to_owned()),
        password_hash: Set(password_hash),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(signed_in_at),
        session_version: Set(0),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
    }
    .insert(conn)
    .await
}

/// `create_user` on behalf of a signed-in principal.
pub async fn create_user_as(ctx: &Ctx, new_user: NewUser) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    match new_user.tenant {
        None => principal.require(Permission::UserManage)?,
        Some(tenant) => principal.require_on_tenant(Permission::UserManage, tenant)?,
    }
    create_user(db, &Actor::from(principal), context, new_user, ctx.now()).await
}

pub async fn count_users<C: ConnectionTrait>(conn: &C) -> ServiceResult<u64> {
    Ok(user::Entity::find().count(conn).await?)
}

/// The account created on first start.
#[derive(Debug)]
pub struct FirstAdmin {
    pub email: String,
    /// Set only when the password was generated (and must be printed once).
    pub generated_password: Option<String>,
}

/// On an empty database, creates the first platform admin from the given
/// credentials, or with a generated password. Does nothing once any user exists.
pub async fn ensure_first_admin(
    db: &DatabaseConnection,
    email: Option<&str>,
    password: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<Option<FirstAdmin>> {
    ensure_builtin_roles(db, now).await?;
    if count_users(db).await? > 0 {
        return Ok(None);
    }
    let email = email.unwrap_or("admin@tenantry.local");
    let generated = password.is_none().then(generate_password);
    let password = password
        .map(str::to_owned)
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let new_user = NewUser::parse(
        email,
        "Platform Admin",
        &password,
        BuiltinRole::PlatformAdmin,
    )
    .map_err(ServiceError::Validation)?;
    create_user(
        db,
        &Actor::System("first-start"),
        &RequestContext::default(),
        new_user,
        now,
    )
    .await?;
    Ok(Some(FirstAdmin {
        email: email.trim().to_lowercase(),
        generated_password: generated,
    }))
}

pub fn generate_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}
