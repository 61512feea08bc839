//! Change requests, approvals, update policies and the job queue.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::changes::*;

#[server(prefix = "/api/fn", endpoint = "saved_filters")]
pub async fn saved_filters() -> Result<Vec<SavedFilterRow>, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::saved_filters;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(saved_filters::list(&ctx).await)
}

#[server(prefix = "/api/fn", endpoint = "save_filter")]
pub async fn save_filter(form: SavedFilterForm) -> Result<Uuid, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::saved_filters;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(saved_filters::save(&ctx, saved_filters::NewSavedFilter::try_from(&form)).await)
}

#[server(prefix = "/api/fn", endpoint = "delete_filter")]
pub async fn delete_filter(id: Uuid) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::saved_filters;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(saved_filters::delete(&ctx, id).await)
}

#[server(prefix = "/api/fn", endpoint = "change_requests", input = server_fn::codec::Json)]
pub async fn change_requests(query: ChangeQuery) -> Result<ChangePage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(changes::list(&ctx, &query).await)
}

#[server(prefix = "/api/fn", endpoint = "change_request")]
pub async fn change_request(id: Uuid) -> Result<ChangeDetailPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(changes::detail(&ctx, id).await)?;
    let may = change_may(&ctx.principal, &view);
    Ok(crate::model::Allowed { view, may })
}

/// What `principal` may do with the change now: decide it (not their own
/// request), cancel it, delay it, submit a draft, decide its delay requests.
#[cfg(feature = "ssr")]
pub fn change_may(
    principal: &crate::backend::principal::Principal,
    view: &ChangeDetail,
) -> ChangeMay {
    use crate::domain::access::permission::{Permission, Scope};
    use crate::domain::changes::change::{ChangeStatus, check_decider, request_permission};
    let change = &view.change;
    let tenant = Scope::Tenant(change.tenant_id);
    let status = change.status;
    let approver = principal.can(Permission::UpdateApprove, tenant);
    let requester = principal.can(request_permission(change.kind), tenant);
    let decide_refusal = if status != ChangeStatus::PendingApproval {
        None
    } else if !approver {
        Some("You cannot approve changes of this tenant.".to_owned())
    } else {
        check_decider(change.requested_by, principal.user_id).err()
    };
    ChangeMay {
        decide: status == ChangeStatus::PendingApproval && decide_refusal.is_none(),
        decide_refusal,
        cancel: status.can_move_to(ChangeStatus::Cancelled) && (requester || approver),
        delay: status == ChangeStatus::Scheduled && approver,
        submit: status == ChangeStatus::Draft && requester,
        decide_delays: decidable_delays(principal, &view.delay_requests),
    }
}

#[server(prefix = "/api/fn", endpoint = "change_options")]
pub async fn change_options() -> Result<ChangeFormOptions, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(changes::options(&ctx).await)
}

#[server(prefix = "/api/fn", endpoint = "request_change")]
pub async fn request_change(form: ChangeForm) -> Result<RequestOutcome, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    if !form.target_filter.trim().is_empty() {
        let outcome =
            changes::create_for_filter(&ctx, changes::FilterChangeRequest::parse(None, &form))
                .await;
        return respond(outcome).map(RequestOutcome::ForFilter);
    }
    let created = respond(changes::create(&ctx, changes::NewChangeRequest::try_from(&form)).await)?;
    Ok(RequestOutcome::One(created.id))
}

/// The releases the tenant page's Upgrade form offers, with the policy's verdict.
#[server(prefix = "/api/fn", endpoint = "upgrade_options")]
pub async fn upgrade_options(slug: String) -> Result<UpgradeChoices, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(changes::upgrade_choices(&ctx, &slug).await)
}

/// Requests an upgrade from the tenant page: the same change request (and
/// policy, approvals and window) as the changes form; opens the change.
#[server(prefix = "/api/fn", endpoint = "request_upgrade")]
pub async fn request_upgrade(
    slug: String,
    product: String,
    version: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let form = ChangeForm {
        tenant: slug,
        kind: "upgrade".into(),
        product,
        target_version: version,
        ..Default::default()
    };
    let created = respond(changes::create(&ctx, changes::NewChangeRequest::try_from(&form)).await)?;
    leptos_axum::redirect(&format!("/changes/{}", created.id));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "submit_change")]
pub async fn submit_change(id: Uuid) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(changes::submit(&ctx, id).await)?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "decide_change")]
pub async fn decide_change(id: Uuid, decision: String, comment: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(changes::decide(&ctx, id, &decision, &comment).await)
}

#[server(prefix = "/api/fn", endpoint = "cancel_change")]
pub async fn cancel_change(id: Uuid) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(changes::cancel(&ctx, id).await)
}

#[server(prefix = "/api/fn", endpoint = "delay_change")]
pub async fn delay_change(
    id: Uuid,
    days: String,
    #[server(default)] reason: String,
) -> Result<DelayOutcome, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes::delays;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(delays::delay(&ctx, id, &days, &reason).await)
}

/// Delay requests awaiting a platform approver (the approvals inbox).
#[server(prefix = "/api/fn", endpoint = "pending_delay_requests")]
pub async fn pending_delay_requests() -> Result<DelayRequestsPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes::delays;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(delays::pending(&ctx).await)?;
    let may = decidable_delays(&ctx.principal, &view);
    Ok(crate::model::Allowed { view, may })
}

/// The delay requests `principal` may decide: pending ones, asked by someone
/// else, for a platform approver.
#[cfg(feature = "ssr")]
pub fn decidable_delays(
    principal: &crate::backend::principal::Principal,
    rows: &[DelayRequestRow],
) -> Vec<Uuid> {
    use crate::domain::access::permission::{Permission, Scope};
    use crate::domain::changes::decision::RequestStatus;
    if !principal.can(Permission::UpdateApprove, Scope::Platform) {
        return vec![];
    }
    rows.iter()
        .filter(|r| r.status == RequestStatus::Pending && r.requested_by != Some(principal.user_id))
        .map(|r| r.id)
        .collect()
}

/// Approve (the change moves by the requested days) or deny with a comment.
#[server(prefix = "/api/fn", endpoint = "decide_delay_request")]
pub async fn decide_delay_request(
    id: Uuid,
    decision: String,
    #[server(default)] comment: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes::delays;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(delays::decide(&ctx, id, &decision, &comment).await)
}

/// How many change requests await the viewer's decision (the top bar's badge).
#[server(prefix = "/api/fn", endpoint = "pending_approval_count")]
pub async fn pending_approval_count() -> Result<u64, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes;
    use crate::backend::services::changes::delays;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let changes = respond(changes::pending_for(&ctx).await)?;
    let delays = respond(delays::pending_count(&ctx).await)?;
    Ok(changes + delays)
}

#[server(prefix = "/api/fn", endpoint = "update_policy")]
pub async fn update_policy(tenant: String) -> Result<UpdatePolicyPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes::update_policy;
    use crate::domain::access::permission::{Permission, Scope};
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(update_policy::view(&ctx, &tenant).await)?;
    let principal = &ctx.principal;
    let may = UpdatePolicyMay {
        edit: principal.can(Permission::TenantManage, Scope::Tenant(view.tenant_id)),
        set_delay_limit: principal.can(Permission::TenantManage, Scope::Platform),
    };
    Ok(crate::model::Allowed { view, may })
}

#[server(prefix = "/api/fn", endpoint = "save_update_policy")]
pub async fn save_update_policy(tenant: String, form: UpdatePolicyForm) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes::update_policy;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(
        update_policy::save(
            &ctx,
            &tenant,
            update_policy::UpdatePolicySettings::try_from(&form),
        )
        .await,
    )?;
    // Without JavaScript the browser follows this back to the tab, which
    // then confirms the save.
    let back = crate::ui::components::url::href_with_query(
        &format!("/tenants/{}/update-policy", tenant.trim()),
        &[("saved", Some("1".to_owned()))],
    );
    leptos_axum::redirect(&back);
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "add_maintenance_window")]
pub async fn add_maintenance_window(
    tenant: String,
    weekday: String,
    start: String,
    end: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes::update_policy;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(update_policy::add_window(&ctx, &tenant, &weekday, &start, &end).await)
}

#[server(prefix = "/api/fn", endpoint = "remove_maintenance_window")]
pub async fn remove_maintenance_window(tenant: String, id: Uuid) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes::update_policy;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(update_policy::remove_window(&ctx, &tenant, id).await)
}

/// A blackout for one tenant (`tenant` = its slug) or, with `tenant` empty,
/// for the whole organisation (platform policy managers only).
#[server(prefix = "/api/fn", endpoint = "add_blackout")]
pub async fn add_blackout(
    tenant: String,
    starts: String,
    ends: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::api::context::{app_state, respond};
    use crate::backend::services::changes::update_policy;
    let state = app_state()?;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(
        update_policy::add_blackout(
            &ctx,
            state.accounts.max_blackout_days,
            &tenant,
            &starts,
            &ends,
            &reason,
        )
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "remove_blackout")]
pub async fn remove_blackout(id: Uuid) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::changes::update_policy;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(update_policy::remove_blackout(&ctx, id).await)
}

#[server(prefix = "/api/fn", endpoint = "job_queue")]
pub async fn job_queue(status: Option<String>, page: Option<u64>) -> Result<JobsPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::platform::jobs_admin;
    use crate::domain::access::permission::Permission;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let view = respond(jobs_admin::view(&ctx, status.as_deref(), page.unwrap_or(1)).await)?;
    let may = JobsMay {
        manage: ctx.principal.require(Permission::UpdateExecute).is_ok(),
    };
    Ok(crate::model::Allowed { view, may })
}

/// `action` is `retry` or `cancel`.
#[server(prefix = "/api/fn", endpoint = "manage_job")]
pub async fn manage_job(id: Uuid, action: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::platform::jobs_admin;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(jobs_admin::act(&ctx, id, &action).await)
}
