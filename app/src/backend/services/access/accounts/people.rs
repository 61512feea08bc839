//! The people list with their role bindings and open invitations.

use super::*;
use crate::backend::context::Ctx;

// ------------------------------------------------------------------ listing

pub async fn list_users(
    ctx: &Ctx,
    query: &UsersQuery,
    outbox_mode: bool,
) -> ServiceResult<UsersView> {
    let db = &ctx.db;
    let principal = &ctx.principal;
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

    let invitations = list_invitations(db, &scope, ctx.now()).await?;
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

pub(super) async fn list_invitations(
    db: &DatabaseConnection,
    scope: &TenantScope,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<InvitationRow>> {
    let since = now - chrono::Duration::days(INVITATIONS_SHOWN_FOR_DAYS);
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

pub(super) fn status_of(invitation: &invitation::Model, now: DateTime<Utc>) -> InvitationStatus {
    InvitationStatus::at(
        invitation.accepted_at,
        invitation.revoked_at,
        invitation.expires_at,
        now,
    )
}

/// Role names and tenant slugs for a set of bindings, loaded in two queries.
pub(super) struct Names {
    roles: HashMap<Uuid, String>,
    tenants: HashMap<Uuid, String>,
}

impl Names {
    pub(super) async fn load<C: ConnectionTrait>(
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

    pub(super) fn role(&self, id: Uuid) -> String {
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

pub(super) async fn labelled<C: ConnectionTrait>(
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

// ------------------------------------------------------- enable / disable

pub async fn set_active(ctx: &Ctx, user_id: Uuid, active: bool) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
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
    model.updated_at = Set(ctx.now());
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
