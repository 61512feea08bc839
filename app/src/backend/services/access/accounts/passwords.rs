//! Password resets by email and password changes.

use super::*;
use crate::backend::context::Ctx;

/// At most one reset email per account in this many seconds.
pub(super) const RESET_EMAIL_INTERVAL_SECONDS: i64 = 60;

// ---------------------------------------------------------- passwords

/// Queues a reset link when `email` is an active account. Always succeeds
/// the same way, so the form cannot be used to find accounts.
pub async fn request_password_reset(
    db: &DatabaseConnection,
    context: &RequestContext,
    settings: &AccountSettings,
    email: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Ok(email) = Email::parse(email) else {
        return Err(field_error(
            "email",
            "Enter your email address, like name@example.com.",
        ));
    };
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .filter(user::Column::IsActive.eq(true))
        .one(db)
        .await?;
    let Some(account) = account else {
        return audit::record(
            db,
            context,
            AuditEntry::new(
                Actor::Anonymous(email.as_str().to_owned()),
                "user.password_reset_request",
                "user",
            )
            .failed()
            .details(json!({ "reason": "unknown_or_disabled_account" })),
        )
        .await;
    };
    let recent = password_reset::Entity::find()
        .filter(password_reset::Column::UserId.eq(account.id))
        .filter(
            password_reset::Column::CreatedAt
                .gt(now - chrono::Duration::seconds(RESET_EMAIL_INTERVAL_SECONDS)),
        )
        .one(db)
        .await?;
    if recent.is_some() {
        return Ok(());
    }
    let token = random_url_safe();
    let expires_at = now + settings.password_reset_ttl;
    let txn = db.begin().await?;
    // Only the newest link works.
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(account.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    let id = Uuid::new_v4();
    password_reset::ActiveModel {
        id: Set(id),
        user_id: Set(account.id),
        token_hash: Set(sha256_hex(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let link = format!(
        "{}/reset-password/{token}",
        settings.public_url.trim_end_matches('/')
    );
    let body = format!(
        "Hello {name},\n\nSomeone (hopefully you) asked to reset your Tenantry password.\n\
         Choose a new password here:\n{link}\n\n\
         The link works once and expires on {expires} UTC.\n\
         If you did not ask for this, ignore this email; your password stays as it is.\n",
        name = account.display_name,
        expires = expires_at.format("%Y-%m-%d %H:%M"),
    );
    email_outbox::queue(
        &txn,
        &account.email,
        "Reset your Tenantry password",
        &body,
        now,
    )
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::Anonymous(account.email.clone()),
            "user.password_reset_request",
            "user",
        )
        .target(account.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub(super) async fn reset_by_token<C: ConnectionTrait>(
    conn: &C,
    token: &str,
) -> ServiceResult<password_reset::Model> {
    password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(sha256_hex(token.trim())))
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)
}

pub async fn describe_password_reset(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> ServiceResult<PasswordResetView> {
    let reset = reset_by_token(db, token).await?;
    let account = user::Entity::find_by_id(reset.user_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(PasswordResetView {
        usable: reset.used_at.is_none() && reset.expires_at > now && account.is_active,
        email: account.email,
    })
}

pub async fn complete_password_reset(
    db: &DatabaseConnection,
    context: &RequestContext,
    token: &str,
    password: &str,
    password_confirm: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let reset = reset_by_token(db, token).await?;
    if reset.used_at.is_some() || reset.expires_at <= now {
        return Err(ServiceError::Policy(
            "This reset link was already used or has expired. Ask for a new one.".into(),
        ));
    }
    check_passwords(password, password_confirm)?;
    let hash = hash_password(password.to_owned()).await?;
    let txn = db.begin().await?;
    let claimed = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ServiceError::Policy(
            "This reset link was already used. Ask for a new one.".into(),
        ));
    }
    let account = user::Entity::find_by_id(reset.user_id)
        .one(&txn)
        .await?
        .filter(|u| u.is_active)
        .ok_or(ServiceError::NotFound)?;
    let email = account.email.clone();
    set_password(&txn, account, hash.0, now).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::Anonymous(email), "user.password_reset", "user")
            .target(reset.user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Changes the principal's own password; returns the new session version
/// (every other session of the account ends).
pub async fn change_password(
    ctx: &Ctx,
    current_password: &str,
    password: &str,
    password_confirm: &str,
) -> ServiceResult<i32> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let account = user::Entity::find_by_id(principal.user_id)
        .one(db)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let current_ok = verify_password(
        current_password.to_owned(),
        Some(account.password_hash.clone()),
    )
    .await?;
    if !current_ok {
        return Err(field_error(
            "current_password",
            "This is not your current password.",
        ));
    }
    check_passwords(password, password_confirm)?;
    if password == current_password {
        return Err(field_error(
            "password",
            "Choose a password different from the current one.",
        ));
    }
    let hash = hash_password(password.to_owned()).await?;
    let txn = db.begin().await?;
    let version = set_password(&txn, account, hash.0, ctx.now()).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "user.password_change", "user")
            .target(principal.user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(version)
}

pub(super) fn check_passwords(password: &str, confirm: &str) -> ServiceResult<()> {
    let mut errors = FieldErrors::default();
    check_new_password_pair(password, confirm, &mut errors);
    errors.into_result(|| ()).map_err(ServiceError::from)
}

/// Stores a new hash and moves the session version on.
pub(super) async fn set_password<C: ConnectionTrait>(
    conn: &C,
    account: user::Model,
    hash: String,
    now: DateTime<Utc>,
) -> ServiceResult<i32> {
    let version = account.session_version + 1;
    let mut model = account.into_active_model();
    model.password_hash = Set(hash);
    model.session_version = Set(version);
    model.updated_at = Set(now);
    model.update(conn).await?;
    Ok(version)
}
