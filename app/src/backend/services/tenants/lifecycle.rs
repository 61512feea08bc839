//! Lifecycle actions (suspend, resume, archive, …) taken as change requests.

use super::*;
use crate::backend::context::Ctx;
use sea_orm::DatabaseTransaction;

/// Outcome of a lifecycle request.
#[derive(Debug, PartialEq, Eq)]
pub enum TransitionOutcome {
    /// The tenant moved (or started moving, through `via`).
    Started {
        via: Option<LifecycleState>,
        target: LifecycleState,
    },
    /// The action had already taken effect; nothing changed.
    AlreadyDone,
}

/// Runs a lifecycle action as a change request. Long actions move into their
/// intermediate state and record where they will land; the change request's
/// job (executor steps through the job engine) lands them there.
pub async fn transition(
    ctx: &Ctx,
    slug: &str,
    action: LifecycleAction,
    expected_version: Option<i64>,
    confirmation: Option<&str>,
) -> ServiceResult<TransitionOutcome> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    // Checked on the tenant itself: another tenant's is "not found".
    principal.require_somewhere(Permission::TenantRead)?;
    let txn = db.begin().await?;
    let current = find_by_slug(&txn, slug).await?;
    principal.require_on_tenant(Permission::TenantLifecycle, current.id)?;
    if let Some(expected) = expected_version {
        if expected != current.version {
            return Err(ServiceError::Conflict(
                "This tenant was changed by someone else since you loaded the page. Reload to see the current state, then try again.".into(),
            ));
        }
    }
    if action == LifecycleAction::Upgrade {
        // Without a product and release there is nothing to deploy.
        return Err(ServiceError::Policy(
            "An upgrade names a product and a release: use the tenant page's Upgrade form, or request it as a change (POST /api/v1/changes with kind upgrade)."
                .into(),
        ));
    }
    if action == LifecycleAction::Restore {
        // Without a backup there is nothing to restore from.
        return Err(ServiceError::Policy(format!(
            "A restore names its backup: choose one on the tenant's Backups tab (/tenants/{}/backups) or POST /api/v1/tenants/{{id}}/restore.",
            current.slug
        )));
    }
    let actor = Actor::from(principal);
    let by_vendor = crate::domain::access::authority::acts_for_vendor(&principal.grants);
    let outcome = move_tenant(
        &txn,
        &current,
        action,
        Mover {
            actor: &actor,
            by_vendor,
            context,
            source: "tenant page",
            reason: None,
        },
        confirmation,
        ctx.now(),
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Who moves a tenant, from where and why.
pub(crate) struct Mover<'a> {
    pub actor: &'a Actor,
    pub by_vendor: bool,
    pub context: &'a crate::backend::audit::RequestContext,
    /// Where the move was asked for ("tenant page", "licence").
    pub source: &'static str,
    /// Why, kept on the tenant (`state_reason`) and in the change's audit.
    pub reason: Option<&'a str>,
}

/// A lifecycle action in the caller's transaction, once permission is
/// settled: the state machine, residency and licence checks, the move, its
/// field change, event and audit, and the change request whose executor
/// steps do the outside half. The system's own moves (a licence expiring)
/// come through here as the people's do.
pub(crate) async fn move_tenant(
    txn: &DatabaseTransaction,
    current: &tenant::Model,
    action: LifecycleAction,
    mover: Mover<'_>,
    confirmation: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<TransitionOutcome> {
    let Mover {
        actor,
        by_vendor,
        context,
        source,
        reason,
    } = mover;
    let state = current.lifecycle_state;
    let plan =
        plan_transition(state, action).map_err(|refusal| ServiceError::Policy(refusal.reason))?;
    if plan.already_done {
        return Ok(TransitionOutcome::AlreadyDone);
    }
    if let Some(refusal) = super::residency::activation_refusal(txn, current, action).await? {
        return Err(ServiceError::Policy(refusal));
    }
    if let Some(refusal) =
        crate::backend::services::plans::licences::activation_refusal(txn, current, action, now)
            .await?
    {
        return Err(ServiceError::Policy(refusal));
    }
    if let Some(running) = changes::running_lifecycle_change(txn, current.id).await? {
        return Err(ServiceError::Policy(format!(
            "Cannot {} while \"{}\" is still running; wait until it finishes.",
            action.label().to_lowercase(),
            running.title
        )));
    }
    if let Some(refusal) = super::migrations::lifecycle_refusal(txn, current.id, action).await? {
        return Err(ServiceError::Policy(refusal));
    }
    if action == LifecycleAction::Delete
        && let Some(refusal) = super::offboarding::deletion_refusal(txn, current.id, now).await?
    {
        return Err(ServiceError::Policy(refusal));
    }
    if action == LifecycleAction::Delete
        && confirmation.map(str::trim) != Some(current.slug.as_str())
    {
        let mut errors = FieldErrors::default();
        errors.push(
            "confirm",
            format!("Type {} exactly to confirm the deletion.", current.slug),
        );
        return Err(errors.into());
    }
    let before = snapshot(current);
    let now_state = plan.via.unwrap_or(plan.target);
    let mut record = current.clone().into_active_model();
    record.lifecycle_state = Set(now_state);
    record.requested_state = Set(plan.via.map(|_| plan.target));
    record.state_reason = Set(reason.map(str::to_owned));
    record.version = Set(current.version + 1);
    record.updated_at = Set(now);
    if plan.target == LifecycleState::Archived && plan.via.is_none() {
        record.archived_at = Set(Some(now));
    }
    let updated = record.update(txn).await?;
    crate::backend::events::tenant_moved(
        txn,
        current,
        &updated,
        actor,
        context.request_id.clone(),
        reason,
    )
    .await?;
    log_field_change(
        txn,
        current.id,
        "lifecycle_state",
        Some(current.lifecycle_state.as_str()),
        Some(now_state.as_str()),
        actor,
        now,
    )
    .await?;
    audit::record(
        txn,
        context,
        AuditEntry::new(actor.clone(), action_audit_name(action), "tenant")
            .target(current.id)
            .tenant(current.id)
            .details(json!({ "before": before, "after": snapshot(&updated), "source": source, "reason": reason })),
    )
    .await?;
    revoke_access_if_gone(txn, context, actor, current.id, now_state, now).await?;
    changes::record_lifecycle_change(
        txn,
        actor,
        by_vendor,
        context,
        &updated,
        ChangeKind::from_lifecycle(action),
        source,
        now,
    )
    .await?;
    Ok(TransitionOutcome::Started {
        via: plan.via,
        target: plan.target,
    })
}

pub(super) fn action_audit_name(action: LifecycleAction) -> &'static str {
    match action {
        LifecycleAction::Activate => "tenant.activate",
        LifecycleAction::EnterMaintenance => "tenant.enter_maintenance",
        LifecycleAction::ExitMaintenance => "tenant.exit_maintenance",
        LifecycleAction::BackUp => "tenant.back_up",
        LifecycleAction::Restore => "tenant.restore",
        LifecycleAction::Upgrade => "tenant.upgrade",
        LifecycleAction::ValidateHealth => "tenant.validate_health",
        LifecycleAction::Suspend => "tenant.suspend",
        LifecycleAction::Resume => "tenant.resume",
        LifecycleAction::Archive => "tenant.archive",
        LifecycleAction::Delete => "tenant.delete",
    }
}

/// When a tenant lands on archived or deleted, its access goes with it, in
/// the same transaction: API tokens bound to it (and the unrestricted tokens
/// of people who belong to no other tenant), its enrollment tokens and its
/// agents' credentials are revoked, and one audit record counts them. (Its
/// people's grants are refused by the state itself; the audit trail stays.)
pub(crate) async fn revoke_access_if_gone(
    txn: &DatabaseTransaction,
    context: &crate::backend::audit::RequestContext,
    actor: &Actor,
    tenant_id: Uuid,
    state: LifecycleState,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use crate::backend::entities::{api_token, endpoint, enrollment_token, role_binding};
    use crate::domain::tenants::lifecycle::TenantAccess;
    const REVOKED_AGENT: &str = "revoked";
    if state.tenant_access() != TenantAccess::Revoked {
        return Ok(());
    }
    let bindings: Vec<(Uuid, Uuid)> = role_binding::Entity::find()
        .filter(role_binding::Column::TenantId.eq(tenant_id))
        .select_only()
        .column(role_binding::Column::Id)
        .column(role_binding::Column::UserId)
        .into_tuple()
        .all(txn)
        .await?;
    // People with no binding elsewhere: their unrestricted tokens spoke
    // only for this tenant.
    let people: Vec<Uuid> = bindings.iter().map(|(_, user)| *user).collect();
    let elsewhere: Vec<Uuid> = role_binding::Entity::find()
        .filter(role_binding::Column::UserId.is_in(people.clone()))
        .filter(
            role_binding::Column::TenantId
                .ne(tenant_id)
                .or(role_binding::Column::TenantId.is_null()),
        )
        .select_only()
        .column(role_binding::Column::UserId)
        .into_tuple()
        .all(txn)
        .await?;
    let only_here: Vec<Uuid> = people
        .into_iter()
        .filter(|user| !elsewhere.contains(user))
        .collect();
    let api_tokens = if bindings.is_empty() {
        0
    } else {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
            .filter(
                api_token::Column::RoleBindingId
                    .is_in(bindings.iter().map(|(binding, _)| *binding))
                    .or(api_token::Column::RoleBindingId
                        .is_null()
                        .and(api_token::Column::UserId.is_in(only_here))),
            )
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(txn)
            .await?
            .rows_affected
    };
    // An agent credential is a hash of its token; "revoked" matches none, so
    // the agent must enrol again should the tenant ever come back.
    let agent_credentials = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::TokenHash, Expr::value(REVOKED_AGENT))
        .filter(endpoint::Column::TenantId.eq(tenant_id))
        .filter(endpoint::Column::TokenHash.ne(REVOKED_AGENT))
        .exec(txn)
        .await?
        .rows_affected;
    let enrollment_tokens = enrollment_token::Entity::update_many()
        .col_expr(enrollment_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(enrollment_token::Column::TenantId.eq(tenant_id))
        .filter(enrollment_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?
        .rows_affected;
    audit::record(
        txn,
        context,
        AuditEntry::new(actor.clone(), "tenant.access_revoked", "tenant")
            .target(tenant_id)
            .tenant(tenant_id)
            .details(json!({
                "state": state.as_str(),
                "api_tokens_revoked": api_tokens,
                "enrollment_tokens_revoked": enrollment_tokens,
                "agent_credentials_revoked": agent_credentials,
            })),
    )
    .await?;
    Ok(())
}
