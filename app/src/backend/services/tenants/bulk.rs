//! Bulk lifecycle actions over a selection: the preview of what each tenant would do, then the run.

use super::*;
use crate::backend::context::Ctx;

/// Most tenants one bulk request may name.
pub const BULK_LIMIT: usize = 500;

/// Where each selected tenant stands with respect to `action`.
pub async fn bulk_preview(
    ctx: &Ctx,
    action: LifecycleAction,
    slugs: &[String],
) -> ServiceResult<Vec<crate::model::tenants::BulkItem>> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    use crate::model::tenants::{BulkItem, BulkOutcome};
    principal.require_somewhere(Permission::TenantRead)?;
    if slugs.len() > BULK_LIMIT {
        return Err(ServiceError::Policy(format!(
            "Select at most {BULK_LIMIT} tenants at a time."
        )));
    }
    let mut items = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let visible = find_by_slug(db, slug).await.and_then(|t| {
            principal.require_on_tenant(Permission::TenantRead, t.id)?;
            Ok(t)
        });
        let item = match visible {
            Ok(t) => {
                let state = t.lifecycle_state;
                let outcome = match plan_transition(state, action) {
                    Ok(plan) if plan.already_done => BulkOutcome::AlreadyDone,
                    Ok(_) => match super::residency::activation_refusal(db, &t, action).await? {
                        Some(refusal) => BulkOutcome::Refused(refusal),
                        None => BulkOutcome::Eligible,
                    },
                    Err(refusal) => BulkOutcome::Refused(refusal.reason),
                };
                BulkItem {
                    slug: t.slug,
                    display_name: Some(t.display_name),
                    state: Some(state),
                    outcome,
                }
            }
            Err(ServiceError::NotFound) => BulkItem {
                slug: slug.clone(),
                display_name: None,
                state: None,
                outcome: BulkOutcome::NotFound,
            },
            Err(other) => return Err(other),
        };
        items.push(item);
    }
    Ok(items)
}

/// Runs `action` on each tenant in turn, each in its own audited transaction.
/// Refusals are skipped (the preview shows why); other errors stop the run.
pub async fn bulk_run(
    ctx: &Ctx,
    action: LifecycleAction,
    slugs: &[String],
) -> ServiceResult<usize> {
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantLifecycle)?;
    if slugs.len() > BULK_LIMIT {
        return Err(ServiceError::Policy(format!(
            "Select at most {BULK_LIMIT} tenants at a time."
        )));
    }
    let mut changed = 0;
    for slug in slugs {
        match transition(ctx, slug, action, None, None).await {
            Ok(TransitionOutcome::Started { .. }) => changed += 1,
            Ok(TransitionOutcome::AlreadyDone)
            | Err(ServiceError::Policy(_))
            | Err(ServiceError::Refused(_))
            | Err(ServiceError::NotFound)
            | Err(ServiceError::Forbidden) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(changed)
}
