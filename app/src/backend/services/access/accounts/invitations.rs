//! Invitations by email: sending, revoking, describing and accepting one.

use super::*;
use crate::backend::context::Ctx;

/// Invitations older than this drop off the list (they stay in the audit log).
pub(super) const INVITATIONS_SHOWN_FOR_DAYS: i64 = 30;

// ------------------------------------------------------------- invitations

/// Invites `email` with one role, bound to `tenant_ref` (a slug) for tenant
/// roles. The link in the email is the only copy of the secret.
pub async fn invite(
    ctx: &Ctx,
    settings: &AccountSettings,
    email: &str,
    role_key: &str,
    tenant_ref: &str,
) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::UserManage)?;
    let mut errors = FieldErrors::default();
    let email = Email::parse(email)
        .map_err(|e| errors.push("email", e.to_string()))
        .ok();
    let role = roles::find_by_key(db, role_key.trim()).await?;
    if role.is_none() {
        errors.push("role", "Choose a role.");
    }
    let tenant_ref = tenant_ref.trim();
    let tenant = match role.as_ref().map(roles::scope_of) {
        Some(RoleScope::Tenant) if tenant_ref.is_empty() => {
            errors.push("tenant", "Tenant roles need the tenant they apply to.");
            None
        }
        Some(RoleScope::Tenant) => match find_by_slug(db, tenant_ref).await {
            Ok(found) if principal.can(Permission::UserManage, Scope::Tenant(found.id)) => {
                Some(found)
            }
            // Unknown, or a tenant the principal may not manage: the same answer.
            _ => {
                errors.push("tenant", "No tenant you manage has this slug.");
                None
            }
        },
        _ => None,
    };
    let (Some(email), Some(role_row)) = (email, role) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let tenant_id = tenant.as_ref().map(|t| t.id);
    match tenant_id {
        None => principal.require(Permission::UserManage)?,
        Some(id) => principal.require_on_tenant(Permission::UserManage, id)?,
    }
    if !principal
        .grants
        .may_grant(&roles::permissions_of(&role_row), tenant_id)
    {
        return Err(ServiceError::Policy(format!(
            "The role {} includes permissions you do not hold there; you can only hand out what you have.",
            role_row.name
        )));
    }

    if let Some(id) = tenant_id {
        crate::backend::services::plans::limits::ensure_room_for_person(db, id, email.as_str())
            .await?;
    }
    let token = random_url_safe();
    let now = ctx.now();
    let expires_at = now + settings.invitation_ttl;
    let txn = db.begin().await?;
    // A new invitation replaces an open one for the same person and place.
    let mut open = invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::Email.eq(email.as_str()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null());
    open = match tenant_id {
        Some(id) => open.filter(invitation::Column::TenantId.eq(id)),
        None => open.filter(invitation::Column::TenantId.is_null()),
    };
    open.exec(&txn).await?;
    let id = Uuid::new_v4();
    invitation::ActiveModel {
        id: Set(id),
        email: Set(email.as_str().to_owned()),
        role_id: Set(role_row.id),
        tenant_id: Set(tenant_id),
        token_hash: Set(sha256_hex(&token)),
        invited_by: Set(principal.user_id),
        invited_by_label: Set(principal.display_name.clone()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        accepted_at: Set(None),
        revoked_at: Set(None),
        user_id: Set(None),
    }
    .insert(&txn)
    .await?;
    let place = match &tenant {
        Some(t) => format!("{} of {} ({})", role_row.name, t.display_name, t.slug),
        None => role_row.name.clone(),
    };
    let link = format!(
        "{}/invitations/{token}",
        settings.public_url.trim_end_matches('/')
    );
    let body = format!(
        "Hello,\n\n{inviter} invited you to Tenantry as {place}.\n\n\
         Accept the invitation and choose your password here:\n{link}\n\n\
         The link works once and expires on {expires} UTC.\n\
         If you did not expect this invitation, ignore this email.\n",
        inviter = principal.display_name,
        expires = expires_at.format("%Y-%m-%d %H:%M"),
    );
    email_outbox::queue(
        &txn,
        email.as_str(),
        "You are invited to Tenantry",
        &body,
        now,
    )
    .await?;
    let mut entry = AuditEntry::new(Actor::from(principal), "user.invite", "invitation")
        .target(id)
        .details(json!({
            "email": email.as_str(),
            "role": role_row.key,
            "tenant": tenant.as_ref().map(|t| t.slug.clone()),
            "expires_at": expires_at,
        }));
    if let Some(id) = tenant_id {
        entry = entry.tenant(id);
    }
    audit::record(&txn, context, entry).await?;
    if let Some(t) = &tenant {
        crate::backend::services::plans::usage::check_quotas(&txn, t, now).await?;
    }
    txn.commit().await?;
    Ok(id)
}

pub async fn revoke_invitation(ctx: &Ctx, id: Uuid) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::UserManage)?;
    let found = invitation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    match found.tenant_id {
        None => principal
            .require(Permission::UserManage)
            .map_err(|_| ServiceError::NotFound)?,
        Some(t) => principal.require_on_tenant(Permission::UserManage, t)?,
    }
    if status_of(&found, ctx.now()) != InvitationStatus::Pending {
        return Err(ServiceError::Conflict(
            "This invitation is no longer open; there is nothing to revoke.".into(),
        ));
    }
    let txn = db.begin().await?;
    let tenant_id = found.tenant_id;
    let email = found.email.clone();
    let mut active = found.into_active_model();
    active.revoked_at = Set(Some(ctx.now()));
    active.update(&txn).await?;
    let mut entry = AuditEntry::new(
        Actor::from(principal),
        "user.invitation_revoke",
        "invitation",
    )
    .target(id)
    .details(json!({ "email": email }));
    if let Some(t) = tenant_id {
        entry = entry.tenant(t);
    }
    audit::record(&txn, context, entry).await?;
    txn.commit().await?;
    Ok(())
}

pub(super) async fn invitation_by_token<C: ConnectionTrait>(
    conn: &C,
    token: &str,
) -> ServiceResult<invitation::Model> {
    invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(sha256_hex(token.trim())))
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)
}

pub async fn describe_invitation(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> ServiceResult<InvitationView> {
    let found = invitation_by_token(db, token).await?;
    let names = Names::load(db, std::iter::once((found.role_id, found.tenant_id))).await?;
    let tenant_name = match found.tenant_id {
        Some(t) => tenant::Entity::find_by_id(t)
            .one(db)
            .await?
            .map(|t| t.display_name),
        None => None,
    };
    let account_exists = user::Entity::find()
        .filter(user::Column::Email.eq(found.email.clone()))
        .one(db)
        .await?
        .is_some();
    Ok(InvitationView {
        status: status_of(&found, now),
        role_name: names.role(found.role_id),
        email: found.email,
        tenant_name,
        invited_by: found.invited_by_label,
        expires_at: found.expires_at,
        account_exists,
    })
}

pub(super) fn closed_invitation(status: InvitationStatus) -> ServiceError {
    ServiceError::Policy(match status {
        InvitationStatus::Accepted => {
            "This invitation was already accepted. Sign in instead.".into()
        }
        InvitationStatus::Expired => {
            "This invitation has expired. Ask the person who invited you for a new one.".into()
        }
        InvitationStatus::Revoked => {
            "This invitation was withdrawn. Ask the person who invited you for a new one.".into()
        }
        InvitationStatus::Pending => "This invitation cannot be used.".into(),
    })
}

/// Accepts an invitation: a new account with the chosen password, or — if
/// the address already has an account — the role added to it after its
/// password is confirmed, as strictly as at sign-in: wrong passwords count
/// toward the same throttle, and an account with a second factor is only
/// signed in once that is given (`second_factor_pending`). The link works
/// once, even under concurrent use.
pub async fn accept_invitation(
    db: &DatabaseConnection,
    context: &RequestContext,
    settings: &AccountSettings,
    token: &str,
    display_name: &str,
    password: &str,
    password_confirm: &str,
    now: DateTime<Utc>,
) -> ServiceResult<SignedIn> {
    let found = invitation_by_token(db, token).await?;
    let status = status_of(&found, now);
    if status != InvitationStatus::Pending {
        return Err(closed_invitation(status));
    }
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(found.email.clone()))
        .one(db)
        .await?;
    let mut attempt = None;
    let new_hash = match &existing {
        Some(account) => {
            let keys = login_throttle::keys_for(
                &account.email,
                context.client_address.as_deref(),
                settings,
            );
            let claimed = login_throttle::begin_attempt(db, keys, now).await?;
            let ok =
                verify_password(password.to_owned(), Some(account.password_hash.clone())).await?;
            if !ok {
                if claimed.started_lockout() {
                    crate::backend::services::access::auth::audit_lockout(
                        db,
                        context,
                        &account.email,
                    )
                    .await?;
                }
                return Err(field_error(
                    "password",
                    "That is not the password of your existing account.",
                ));
            }
            attempt = Some(claimed);
            if !account.is_active {
                return Err(ServiceError::Policy(
                    "Your account is disabled; ask an administrator to enable it.".into(),
                ));
            }
            None
        }
        None => {
            let mut errors = FieldErrors::default();
            if let Err(message) = parse_display_name(display_name) {
                errors.push("display_name", message);
            }
            check_new_password_pair(password, password_confirm, &mut errors);
            if !errors.is_empty() {
                return Err(errors.into());
            }
            Some(hash_password(password.to_owned()).await?)
        }
    };
    let txn = db.begin().await?;
    let user = match (existing, new_hash) {
        (Some(account), _) => account,
        (None, Some(hash)) => insert_account(
            &txn,
            &found.email,
            display_name.trim(),
            hash.0,
            Some(now),
            now,
        )
        .await
        .map_err(|e| {
            ServiceError::on_unique_violation(
                e,
                "email",
                "An account with this address was just created; sign in instead.",
            )
        })?,
        (None, None) => return Err(ServiceError::internal("no password for a new account")),
    };
    // Single use: only one acceptance can flip the open invitation.
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .col_expr(invitation::Column::UserId, Expr::value(user.id))
        .filter(invitation::Column::Id.eq(found.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(closed_invitation(InvitationStatus::Accepted));
    }
    let already_bound = role_binding::Entity::find()
        .filter(role_binding::Column::UserId.eq(user.id))
        .filter(role_binding::Column::RoleId.eq(found.role_id))
        .filter(match found.tenant_id {
            Some(t) => role_binding::Column::TenantId.eq(t),
            None => role_binding::Column::TenantId.is_null(),
        })
        .one(&txn)
        .await?
        .is_some();
    if !already_bound {
        role_binding::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(user.id),
            role_id: Set(found.role_id),
            tenant_id: Set(found.tenant_id),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let session_version = user.session_version;
    let second_factor_pending = user.totp_secret.is_some();
    let principal = principal_for(&txn, user).await?;
    let mut entry = AuditEntry::new(
        Actor::from(&principal),
        "user.invitation_accept",
        "invitation",
    )
    .target(found.id)
    .details(json!({ "email": found.email, "invited_by": found.invited_by_label }));
    if let Some(t) = found.tenant_id {
        entry = entry.tenant(t);
    }
    audit::record(&txn, context, entry).await?;
    txn.commit().await?;
    if let Some(attempt) = attempt {
        if second_factor_pending {
            attempt.give_back(db).await?;
        } else {
            attempt.succeeded(db).await?;
        }
    }
    Ok(SignedIn {
        principal,
        session_version,
        second_factor_pending,
    })
}
