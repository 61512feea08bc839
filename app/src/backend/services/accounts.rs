//! People: the user list, invitations by email, enabling and disabling
//! accounts, password resets and password changes. Every change is audited in
//! its own transaction, and every email is queued in that same transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::entities::{invitation, password_reset, role, role_binding, tenant, user};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::password::{hash_password, verify_password};
use crate::backend::principal::{Actor, Principal};
use crate::backend::secret::{random_url_safe, sha256_hex};
use crate::backend::services::auth::{SignedIn, principal_for};
use crate::backend::services::tenants::find_by_slug;
use crate::backend::services::users::insert_account;
use crate::backend::services::{email_outbox, login_throttle, roles};
use crate::backend::state::AccountSettings;
use crate::domain::credentials::{check_new_password_pair, parse_display_name};
use crate::domain::email::Email;
use crate::domain::permission::{Permission, RoleScope, Scope, TenantScope};
use crate::domain::validation::FieldErrors;
use crate::model::users::{
    BindingRow, InvitationRow, InvitationStatus, InvitationView, PasswordResetView, RoleOption,
    USERS_PER_PAGE, UserRow, UsersQuery, UsersView,
};

/// Invitations older than this drop off the list (they stay in the audit log).
const INVITATIONS_SHOWN_FOR_DAYS: i64 = 30;
/// At most one reset email per account in this many seconds.
const RESET_EMAIL_INTERVAL_SECONDS: i64 = 60;

fn field_error(field: &str, message: &str) -> ServiceError {
    let mut errors = FieldErrors::default();
    errors.push(field, message);
    ServiceError::Validation(errors)
}

// ------------------------------------------------------------------ listing

pub async fn list_users(
    db: &DatabaseConnection,
    principal: &Principal,
    query: &UsersQuery,
    outbox_mode: bool,
) -> ServiceResult<UsersView> {
    principal.require_somewhere(Permission::UserManage)?;
    let scope = principal.tenant_scope(Permission::UserManage);

    let mut select = user::Entity::find();
    if let TenantScope::Only(tenants) = &scope {
        let user_ids: Vec<Uuid> = role_binding::Entity::find()
            .select_only()
            .column(role_binding::Column::UserId)
            .filter(role_binding::Column::TenantId.is_in(tenants.clone()))
            .into_tuple()
            .all(db)
            .await?;
        select = select.filter(user::Column::Id.is_in(user_ids));
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", crate::backend::db::escape_like(&q.to_lowercase()));
        select = select.filter(
            Condition::any()
                .add(Expr::cust_with_values(
                    "lower(email) LIKE ? ESCAPE '\\'",
                    [pattern.clone()],
                ))
                .add(Expr::cust_with_values(
                    "lower(display_name) LIKE ? ESCAPE '\\'",
                    [pattern],
                )),
        );
    }
    match query.status.as_deref() {
        Some("active") => select = select.filter(user::Column::IsActive.eq(true)),
        Some("disabled") => select = select.filter(user::Column::IsActive.eq(false)),
        _ => {}
    }
    let total = select.clone().count(db).await?;
    let pages = total.div_ceil(USERS_PER_PAGE).max(1);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let users = select
        .order_by_asc(user::Column::Email)
        .offset((page - 1) * USERS_PER_PAGE)
        .limit(USERS_PER_PAGE)
        .all(db)
        .await?;

    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let bindings = role_binding::Entity::find()
        .filter(role_binding::Column::UserId.is_in(ids))
        .all(db)
        .await?;
    let names = Names::load(db, bindings.iter().map(|b| (b.role_id, b.tenant_id))).await?;
    let rows = users
        .into_iter()
        .map(|u| {
            let own: Vec<&role_binding::Model> =
                bindings.iter().filter(|b| b.user_id == u.id).collect();
            let scopes: Vec<Option<Uuid>> = own.iter().map(|b| b.tenant_id).collect();
            UserRow {
                id: u.id,
                is_self: u.id == principal.user_id,
                can_manage: principal.grants.may_manage_account(&scopes),
                bindings: own
                    .iter()
                    .filter(|b| match (&scope, b.tenant_id) {
                        (TenantScope::All, _) => true,
                        (TenantScope::Only(tenants), Some(t)) => tenants.contains(&t),
                        (TenantScope::Only(_), None) => false,
                    })
                    .map(|b| BindingRow {
                        role_name: names.role(b.role_id),
                        tenant_slug: b.tenant_id.map(|t| names.tenant(t)),
                    })
                    .collect(),
                email: u.email,
                display_name: u.display_name,
                is_active: u.is_active,
                created_at: u.created_at,
                last_login_at: u.last_login_at,
            }
        })
        .collect();

    let invitations = list_invitations(db, &scope).await?;
    // The roles this viewer could hand out somewhere.
    let grantable_somewhere =
        |permissions: &[Permission], scope_kind: RoleScope| match (&scope, scope_kind) {
            (TenantScope::All, _) => principal.grants.may_grant(permissions, None),
            (TenantScope::Only(_), RoleScope::Platform) => false,
            (TenantScope::Only(tenants), RoleScope::Tenant) => tenants
                .iter()
                .any(|t| principal.grants.may_grant(permissions, Some(*t))),
        };
    let roles = role::Entity::find()
        .order_by_desc(role::Column::IsBuiltin)
        .order_by_asc(role::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .filter(|r| grantable_somewhere(&roles::permissions_of(r), roles::scope_of(r)))
        .map(|r| RoleOption {
            tenant_scoped: roles::scope_of(&r) == RoleScope::Tenant,
            key: r.key,
            name: r.name,
        })
        .collect();
    let tenant_choices = match &scope {
        TenantScope::All => vec![],
        TenantScope::Only(ids) => {
            let mut slugs: Vec<String> = tenant::Entity::find()
                .select_only()
                .column(tenant::Column::Slug)
                .filter(tenant::Column::Id.is_in(ids.clone()))
                .into_tuple()
                .all(db)
                .await?;
            slugs.sort();
            slugs
        }
    };
    Ok(UsersView {
        users: rows,
        total,
        page,
        pages,
        invitations,
        roles,
        tenant_choices,
        outbox_mode,
    })
}

async fn list_invitations(
    db: &DatabaseConnection,
    scope: &TenantScope,
) -> ServiceResult<Vec<InvitationRow>> {
    let since = Utc::now() - chrono::Duration::days(INVITATIONS_SHOWN_FOR_DAYS);
    let mut select = invitation::Entity::find().filter(invitation::Column::CreatedAt.gte(since));
    if let TenantScope::Only(tenants) = scope {
        select = select.filter(invitation::Column::TenantId.is_in(tenants.clone()));
    }
    let invitations = select
        .order_by_desc(invitation::Column::CreatedAt)
        .limit(100)
        .all(db)
        .await?;
    let names = Names::load(db, invitations.iter().map(|i| (i.role_id, i.tenant_id))).await?;
    let now = Utc::now();
    Ok(invitations
        .into_iter()
        .map(|i| InvitationRow {
            status: status_of(&i, now),
            role_name: names.role(i.role_id),
            tenant_slug: i.tenant_id.map(|t| names.tenant(t)),
            id: i.id,
            email: i.email,
            invited_by: i.invited_by_label,
            created_at: i.created_at,
            expires_at: i.expires_at,
        })
        .collect())
}

fn status_of(invitation: &invitation::Model, now: DateTime<Utc>) -> InvitationStatus {
    InvitationStatus::at(
        invitation.accepted_at,
        invitation.revoked_at,
        invitation.expires_at,
        now,
    )
}

/// Role names and tenant slugs for a set of bindings, loaded in two queries.
struct Names {
    roles: HashMap<Uuid, String>,
    tenants: HashMap<Uuid, String>,
}

impl Names {
    async fn load<C: ConnectionTrait>(
        conn: &C,
        pairs: impl Iterator<Item = (Uuid, Option<Uuid>)>,
    ) -> ServiceResult<Self> {
        let (role_ids, tenant_ids): (Vec<Uuid>, Vec<Option<Uuid>>) = pairs.unzip();
        let tenant_ids: Vec<Uuid> = tenant_ids.into_iter().flatten().collect();
        let roles = role::Entity::find()
            .filter(role::Column::Id.is_in(role_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect();
        let tenants = if tenant_ids.is_empty() {
            HashMap::new()
        } else {
            tenant::Entity::find()
                .select_only()
                .column(tenant::Column::Id)
                .column(tenant::Column::Slug)
                .filter(tenant::Column::Id.is_in(tenant_ids))
                .into_tuple::<(Uuid, String)>()
                .all(conn)
                .await?
                .into_iter()
                .collect()
        };
        Ok(Self { roles, tenants })
    }

    fn role(&self, id: Uuid) -> String {
        self.roles
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "(deleted role)".into())
    }

    fn tenant(&self, id: Uuid) -> String {
        self.tenants
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// Labels ("Tenant admin · acme-prod", "Platform admin") for role bindings.
pub(crate) async fn binding_labels<C: ConnectionTrait>(
    conn: &C,
    binding_ids: Vec<Uuid>,
) -> ServiceResult<HashMap<Uuid, String>> {
    if binding_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let bindings = role_binding::Entity::find()
        .filter(role_binding::Column::Id.is_in(binding_ids))
        .all(conn)
        .await?;
    labelled(conn, bindings).await
}

/// A user's role bindings, labelled, in a stable order.
pub(crate) async fn bindings_of<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> ServiceResult<Vec<(Uuid, String)>> {
    let bindings = role_binding::Entity::find()
        .filter(role_binding::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let mut labelled: Vec<(Uuid, String)> = labelled(conn, bindings).await?.into_iter().collect();
    labelled.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(labelled)
}

async fn labelled<C: ConnectionTrait>(
    conn: &C,
    bindings: Vec<role_binding::Model>,
) -> ServiceResult<HashMap<Uuid, String>> {
    let names = Names::load(conn, bindings.iter().map(|b| (b.role_id, b.tenant_id))).await?;
    Ok(bindings
        .iter()
        .map(|b| {
            let label = match b.tenant_id {
                Some(t) => format!("{} · {}", names.role(b.role_id), names.tenant(t)),
                None => names.role(b.role_id),
            };
            (b.id, label)
        })
        .collect())
}

// ------------------------------------------------------------- invitations

/// Invites `email` with one role, bound to `tenant_ref` (a slug) for tenant
/// roles. The link in the email is the only copy of the secret.
pub async fn invite(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    settings: &AccountSettings,
    email: &str,
    role_key: &str,
    tenant_ref: &str,
) -> ServiceResult<Uuid> {
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

    let token = random_url_safe();
    let now = Utc::now();
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
    email_outbox::queue(&txn, email.as_str(), "You are invited to Tenantry", &body).await?;
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
    txn.commit().await?;
    Ok(id)
}

pub async fn revoke_invitation(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
) -> ServiceResult<()> {
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
    if status_of(&found, Utc::now()) != InvitationStatus::Pending {
        return Err(ServiceError::Conflict(
            "This invitation is no longer open; there is nothing to revoke.".into(),
        ));
    }
    let txn = db.begin().await?;
    let tenant_id = found.tenant_id;
    let email = found.email.clone();
    let mut active = found.into_active_model();
    active.revoked_at = Set(Some(Utc::now()));
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

async fn invitation_by_token<C: ConnectionTrait>(
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
        status: status_of(&found, Utc::now()),
        role_name: names.role(found.role_id),
        email: found.email,
        tenant_name,
        invited_by: found.invited_by_label,
        expires_at: found.expires_at,
        account_exists,
    })
}

fn closed_invitation(status: InvitationStatus) -> ServiceError {
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
) -> ServiceResult<SignedIn> {
    let found = invitation_by_token(db, token).await?;
    let status = status_of(&found, Utc::now());
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
            let claimed = login_throttle::begin_attempt(db, keys, Utc::now()).await?;
            let ok =
                verify_password(password.to_owned(), Some(account.password_hash.clone())).await?;
            if !ok {
                if claimed.started_lockout() {
                    crate::backend::services::auth::audit_lockout(db, context, &account.email)
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

    let now = Utc::now();
    let txn = db.begin().await?;
    let user = match (existing, new_hash) {
        (Some(account), _) => account,
        (None, Some(hash)) => {
            insert_account(&txn, &found.email, display_name.trim(), hash.0, Some(now))
                .await
                .map_err(|e| {
                    ServiceError::on_unique_violation(
                        e,
                        "email",
                        "An account with this address was just created; sign in instead.",
                    )
                })?
        }
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

// ------------------------------------------------------- enable / disable

pub async fn set_active(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    user_id: Uuid,
    active: bool,
) -> ServiceResult<()> {
    principal.require_somewhere(Permission::UserManage)?;
    let account = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let scopes: Vec<Option<Uuid>> = role_binding::Entity::find()
        .filter(role_binding::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|b| b.tenant_id)
        .collect();
    if !principal.grants.may_see_account(&scopes) {
        return Err(ServiceError::NotFound);
    }
    if !principal.grants.may_manage_account(&scopes) {
        return Err(ServiceError::Forbidden);
    }
    if user_id == principal.user_id && !active {
        return Err(ServiceError::Policy(
            "You cannot disable your own account.".into(),
        ));
    }
    if account.is_active == active {
        return Ok(());
    }
    let txn = db.begin().await?;
    let email = account.email.clone();
    let version = account.session_version;
    let mut model = account.into_active_model();
    model.is_active = Set(active);
    model.updated_at = Set(Utc::now());
    if !active {
        // Every session of the account ends now.
        model.session_version = Set(version + 1);
    }
    model.update(&txn).await?;
    let action = if active {
        "user.enable"
    } else {
        "user.disable"
    };
    let mut entry = AuditEntry::new(Actor::from(principal), action, "user")
        .target(user_id)
        .details(json!({ "email": email }));
    if let [Some(only)] = scopes.as_slice() {
        entry = entry.tenant(*only);
    }
    audit::record(&txn, context, entry).await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------- passwords

/// Queues a reset link when `email` is an active account. Always succeeds
/// the same way, so the form cannot be used to find accounts.
pub async fn request_password_reset(
    db: &DatabaseConnection,
    context: &RequestContext,
    settings: &AccountSettings,
    email: &str,
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
    let now = Utc::now();
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
    email_outbox::queue(&txn, &account.email, "Reset your Tenantry password", &body).await?;
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

async fn reset_by_token<C: ConnectionTrait>(
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
) -> ServiceResult<PasswordResetView> {
    let reset = reset_by_token(db, token).await?;
    let account = user::Entity::find_by_id(reset.user_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(PasswordResetView {
        usable: reset.used_at.is_none() && reset.expires_at > Utc::now() && account.is_active,
        email: account.email,
    })
}

pub async fn complete_password_reset(
    db: &DatabaseConnection,
    context: &RequestContext,
    token: &str,
    password: &str,
    password_confirm: &str,
) -> ServiceResult<()> {
    let reset = reset_by_token(db, token).await?;
    let now = Utc::now();
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
    set_password(&txn, account, hash.0).await?;
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
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    current_password: &str,
    password: &str,
    password_confirm: &str,
) -> ServiceResult<i32> {
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
    let version = set_password(&txn, account, hash.0).await?;
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

fn check_passwords(password: &str, confirm: &str) -> ServiceResult<()> {
    let mut errors = FieldErrors::default();
    check_new_password_pair(password, confirm, &mut errors);
    errors.into_result(|| ()).map_err(ServiceError::from)
}

/// Stores a new hash and moves the session version on.
async fn set_password<C: ConnectionTrait>(
    conn: &C,
    account: user::Model,
    hash: String,
) -> ServiceResult<i32> {
    let version = account.session_version + 1;
    let mut model = account.into_active_model();
    model.password_hash = Set(hash);
    model.session_version = Set(version);
    model.updated_at = Set(Utc::now());
    model.update(conn).await?;
    Ok(version)
}
