//! Change requests: the only door for changing a tenant. A request is
//! approved (by the tenant's update policy, or by a person), scheduled into
//! the tenant's maintenance window outside blackouts, executed step by step by
//! an executor through the durable job engine, and audited at every move.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::api::changes::{
    ChangeDetail, ChangeForm, ChangeFormOptions, ChangePage, ChangeQuery, ChangeRow, DecisionRow,
    FilterRequestOutcome, SkippedTenant, StepRow,
};
use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::db::scoped_read;
use crate::backend::entities::{
    change_decision, change_request, change_step, product, release, rollout_target, tenant,
    tenant_product,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::executor::{Executor, StepOrder};
use crate::backend::jobs::{self, ClaimedJob, JobSpec};
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::{saved_filters, tenants, update_policy};
use crate::domain::authority::{acts_for_vendor, may_stop_change};
use crate::domain::change::{
    ApprovalMode, ChangeKind, ChangeStatus, approval_required, change_model, check_decider,
    plan_steps, request_permission,
};
use crate::domain::lifecycle::{LifecycleState, plan_transition};
use crate::domain::permission::{Permission, Scope, TenantScope};
use crate::domain::saved_filter::MAX_FILTER_TARGETS;
use crate::domain::tenant::DeploymentKind;
use crate::domain::validation::FieldErrors;

/// The job kind that executes a change request.
pub const EXECUTE_JOB: &str = "change.execute";
/// A stale worker's result: discarded, the job's new holder carries on.
const LEASE_LOST: &str = "this worker lost the job's lease; its result was discarded";
/// Attempts per change before it is given up as failed.
pub const MAX_ATTEMPTS: i32 = 3;
const PER_PAGE: u64 = 25;

/// Everything needed to insert a change request.
pub(crate) struct NewChange {
    pub tenant: tenant::Model,
    pub kind: ChangeKind,
    pub product_id: Option<Uuid>,
    pub target_version: Option<String>,
    pub title: String,
    pub status: ChangeStatus,
    pub requires_approval: bool,
    pub not_before: Option<DateTime<Utc>>,
    pub next_start: Option<(DateTime<Utc>, String)>,
    pub rollout_id: Option<Uuid>,
    /// The saved filter (id, name) it was requested for.
    pub target_filter: Option<(Uuid, String)>,
    /// A platform principal asked for it (the system always acts for the vendor).
    pub by_vendor: bool,
}

/// Inserts a change request with its planned steps (and, when it is to run
/// now, its job) in the caller's transaction.
pub(crate) async fn insert<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    change: NewChange,
) -> ServiceResult<change_request::Model> {
    let now = Utc::now();
    let deployment =
        DeploymentKind::parse(&change.tenant.deployment_kind).unwrap_or(DeploymentKind::Standard);
    let model = change_model(change.kind, deployment);
    let id = Uuid::new_v4();
    let (next_start_at, schedule_reason) = match change.next_start {
        Some((at, why)) => (Some(at), why),
        None => (None, String::new()),
    };
    let created = change_request::ActiveModel {
        id: Set(id),
        tenant_id: Set(change.tenant.id),
        kind: Set(change.kind.as_str().into()),
        change_model: Set(model.as_str().into()),
        status: Set(change.status.as_str().into()),
        title: Set(change.title),
        product_id: Set(change.product_id),
        target_version: Set(change.target_version.clone()),
        requested_by: Set(actor.id()),
        requester_label: Set(actor.label()),
        requires_approval: Set(change.requires_approval),
        not_before: Set(change.not_before),
        next_start_at: Set(next_start_at),
        schedule_reason: Set(schedule_reason),
        delayed_days: Set(0),
        progress: Set(0),
        rollout_id: Set(change.rollout_id),
        outcome: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
        target_filter_id: Set(change.target_filter.as_ref().map(|(id, _)| *id)),
        target_filter_name: Set(change.target_filter.map(|(_, name)| name)),
        requested_by_vendor: Set(change.by_vendor || matches!(actor, Actor::System(_))),
    }
    .insert(conn)
    .await?;
    let steps: Vec<change_step::ActiveModel> =
        plan_steps(change.kind, model, change.target_version.as_deref())
            .into_iter()
            .enumerate()
            .map(|(i, name)| change_step::ActiveModel {
                id: Set(Uuid::new_v4()),
                change_request_id: Set(id),
                tenant_id: Set(change.tenant.id),
                position: Set(i as i32 + 1),
                name: Set(name),
                status: Set("pending".into()),
                idempotency_key: Set(format!("change:{id}:step:{}", i + 1)),
                attempts: Set(0),
                output: Set(String::new()),
                started_at: Set(None),
                finished_at: Set(None),
            })
            .collect();
    change_step::Entity::insert_many(steps).exec(conn).await?;
    if change.status == ChangeStatus::Running {
        enqueue_execution(conn, id).await?;
    }
    Ok(created)
}

async fn enqueue_execution<C: ConnectionTrait>(conn: &C, id: Uuid) -> ServiceResult<()> {
    jobs::enqueue(
        conn,
        JobSpec {
            kind: EXECUTE_JOB,
            payload: json!({ "change_request_id": id }),
            key: format!("change:{id}:execute"),
            run_at: Utc::now(),
            max_attempts: MAX_ATTEMPTS,
        },
    )
    .await?;
    Ok(())
}

/// Records a lifecycle action taken from the tenant page as a change request
/// (called by `tenants::transition` in its transaction, after the tenant has
/// moved): instant moves are recorded as succeeded, long ones run through the
/// job engine, which lands the tenant in its target state.
pub(crate) async fn record_lifecycle_change(
    txn: &DatabaseTransaction,
    principal: &Principal,
    context: &RequestContext,
    tenant: &tenant::Model,
    kind: ChangeKind,
    runs_in_background: bool,
) -> ServiceResult<change_request::Model> {
    let actor = Actor::from(principal);
    let status = if runs_in_background {
        ChangeStatus::Running
    } else {
        ChangeStatus::Succeeded
    };
    let created = insert(
        txn,
        &actor,
        NewChange {
            tenant: tenant.clone(),
            kind,
            product_id: None,
            target_version: None,
            title: format!("{} {}", kind.label(), tenant.slug),
            status,
            requires_approval: false,
            not_before: None,
            next_start: Some((Utc::now(), "Started at once from the tenant page".into())),
            rollout_id: None,
            target_filter: None,
            by_vendor: acts_for_vendor(&principal.grants),
        },
    )
    .await?;
    if !runs_in_background {
        let now = Utc::now();
        change_step::Entity::update_many()
            .col_expr(change_step::Column::Status, "succeeded".into())
            .col_expr(change_step::Column::Output, "Took effect at once.".into())
            .col_expr(change_step::Column::StartedAt, now.into())
            .col_expr(change_step::Column::FinishedAt, now.into())
            .filter(change_step::Column::ChangeRequestId.eq(created.id))
            .exec(txn)
            .await?;
        let mut done: change_request::ActiveModel = created.clone().into();
        done.progress = Set(100);
        done.finished_at = Set(Some(now));
        done.outcome = Set(Some("Took effect at once.".into()));
        done.update(txn).await?;
    }
    audit::record(
        txn,
        context,
        AuditEntry::new(actor, "change.create", "change_request")
            .target(created.id)
            .tenant(tenant.id)
            .details(json!({ "kind": kind.as_str(), "status": status.as_str(), "source": "tenant page" })),
    )
    .await?;
    Ok(created)
}

/// A change request from the Changes page or the API.
pub async fn create(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    form: &ChangeForm,
) -> ServiceResult<change_request::Model> {
    if !form.target_filter.trim().is_empty() {
        let mut errors = FieldErrors::default();
        errors.push(
            "target_filter",
            "A change for a saved filter makes one change per tenant: request it through the filter.",
        );
        return Err(errors.into());
    }
    create_one(db, principal, context, form, None).await
}

/// Requests the change for every tenant a saved filter matches now, each as
/// its own change (its own approval and window); a tenant the change does
/// not fit (not licensed, already there, wrong state) is skipped with the
/// reason. Refused when the filter matches nothing or too many tenants.
pub async fn create_for_filter(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    form: &ChangeForm,
) -> ServiceResult<FilterRequestOutcome> {
    principal.require_somewhere(Permission::TenantRead)?;
    let filter = saved_filters::resolve(db, principal, form.target_filter.trim()).await?;
    let fields = saved_filters::fields_of(&filter);
    let slugs = tenants::matching_slugs(db, principal, &fields, MAX_FILTER_TARGETS).await?;
    let mut errors = FieldErrors::default();
    if slugs.is_empty() {
        errors.push(
            "target_filter",
            format!(
                "The filter \"{}\" matches no tenant you can see.",
                filter.name
            ),
        );
    } else if slugs.len() > MAX_FILTER_TARGETS {
        errors.push(
            "target_filter",
            format!(
                "The filter \"{}\" matches more than {MAX_FILTER_TARGETS} tenants; use a staged rollout for that many.",
                filter.name
            ),
        );
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut outcome = FilterRequestOutcome {
        filter_id: filter.id,
        filter_name: filter.name.clone(),
        ..Default::default()
    };
    for slug in slugs {
        let one = ChangeForm {
            tenant: slug.clone(),
            target_filter: String::new(),
            ..form.clone()
        };
        let target = Some((filter.id, filter.name.clone()));
        match create_one(db, principal, context, &one, target).await {
            Ok(created) => outcome.created.push(created.id),
            Err(ServiceError::Validation(fields)) => outcome.skipped.push(SkippedTenant {
                slug,
                reason: fields
                    .0
                    .into_iter()
                    .map(|f| f.message)
                    .collect::<Vec<_>>()
                    .join(" "),
            }),
            Err(ServiceError::Forbidden) => outcome.skipped.push(SkippedTenant {
                slug,
                reason: "You may not request this change for this tenant.".into(),
            }),
            Err(ServiceError::Policy(reason)) => {
                outcome.skipped.push(SkippedTenant { slug, reason })
            }
            Err(other) => return Err(other),
        }
    }
    // The first tenant's refusals stand for all when none got the change.
    if outcome.created.is_empty() {
        let mut errors = FieldErrors::default();
        let first = &outcome.skipped[0];
        errors.push(
            "target_filter",
            format!(
                "No tenant of \"{}\" can take this change; {}: {}",
                filter.name, first.slug, first.reason
            ),
        );
        return Err(errors.into());
    }
    audit::record(
        db,
        context,
        AuditEntry::new(Actor::from(principal), "change.create_for_filter", "saved_filter")
            .target(filter.id)
            .details(json!({
                "filter": filter.name, "kind": form.kind.trim(), "target_version": form.target_version.trim(),
                "created": outcome.created.len(),
                "skipped": outcome.skipped.iter().map(|s| json!({ "slug": s.slug, "reason": s.reason })).collect::<Vec<_>>(),
            })),
    )
    .await?;
    Ok(outcome)
}

async fn create_one(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    form: &ChangeForm,
    target_filter: Option<(Uuid, String)>,
) -> ServiceResult<change_request::Model> {
    principal.require_somewhere(Permission::TenantRead)?;
    let mut errors = FieldErrors::default();
    let kind = ChangeKind::parse(form.kind.trim());
    if kind.is_none() {
        errors.push("kind", "Choose what to change, e.g. upgrade or suspend.");
    }
    let not_before = match parse_utc_time(&form.not_before) {
        Ok(at) => at,
        Err(message) => {
            errors.push("not_before", message);
            None
        }
    };
    if form.tenant.trim().is_empty() {
        errors.push("tenant", "Name the tenant by its slug.");
        return Err(errors.into());
    }
    let (tenant_id, _) = tenants::resolve_tenant_id(db, principal, form.tenant.trim()).await?;
    let Some(kind) = kind else {
        return Err(errors.into());
    };
    if kind == ChangeKind::Delete {
        // Deleting asks for the typed slug, which only the tenant page does.
        errors.push(
            "kind",
            "Delete a tenant from its page, which asks you to type its slug to confirm.",
        );
        return Err(errors.into());
    }
    principal.require_on_tenant(request_permission(kind), tenant_id)?;
    let txn = db.begin().await?;
    let target = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut product_id = None;
    let mut target_version = None;
    let mut running = None;
    if kind.is_update() {
        match find_product(&txn, form.product.trim()).await? {
            None => errors.push("product", "Choose a product from the catalog."),
            Some(found) => {
                product_id = Some(found.id);
                let licensed = tenant_product::Entity::find_by_id((tenant_id, found.id))
                    .one(&txn)
                    .await?;
                match licensed {
                    None => errors.push(
                        "product",
                        format!("{} is not licensed for this tenant.", found.name),
                    ),
                    Some(tp) => running = tp.running_version,
                }
                let version = form.target_version.trim().trim_start_matches('v');
                match semver::Version::parse(version) {
                    Err(_) => errors.push(
                        "target_version",
                        format!("'{version}' is not a semantic version, e.g. 2.4.1."),
                    ),
                    Ok(version) => {
                        let published = release::Entity::find()
                            .filter(release::Column::ProductId.eq(found.id))
                            .filter(release::Column::Version.eq(version.to_string()))
                            .filter(release::Column::Status.eq("published"))
                            .one(&txn)
                            .await?;
                        if published.is_none() {
                            errors.push(
                                "target_version",
                                format!("{version} is not a published release of {}.", found.name),
                            );
                        } else if running.as_deref() == Some(version.to_string().as_str()) {
                            errors.push(
                                "target_version",
                                format!("The tenant already runs {version}."),
                            );
                        }
                        target_version = Some(version.to_string());
                    }
                }
            }
        }
    } else if let Some(action) = kind.lifecycle_action() {
        let state =
            LifecycleState::parse(&target.lifecycle_state).unwrap_or(LifecycleState::Broken);
        match plan_transition(state, action) {
            Err(refusal) => errors.push("kind", refusal.reason),
            Ok(plan) if plan.already_done => errors.push(
                "kind",
                format!("The tenant already is {}.", state.label().to_lowercase()),
            ),
            Ok(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let route = route(
        &txn,
        tenant_id,
        kind,
        running.as_deref(),
        target_version.as_deref(),
        not_before,
    )
    .await?;
    let (status, next_start) = if form.draft {
        (ChangeStatus::Draft, None)
    } else {
        (route.status, route.next_start)
    };
    let (needs_approval, mode) = (route.needs_approval, route.mode);
    let title = match (&target_version, kind) {
        (Some(v), _) => format!("{} {} to {v}", kind.label(), target.slug),
        (None, _) => format!("{} {}", kind.label(), target.slug),
    };
    let actor = Actor::from(principal);
    let created = insert(
        &txn,
        &actor,
        NewChange {
            tenant: target.clone(),
            kind,
            product_id,
            target_version: target_version.clone(),
            title,
            status,
            requires_approval: needs_approval,
            not_before,
            next_start,
            rollout_id: None,
            target_filter,
            by_vendor: acts_for_vendor(&principal.grants),
        },
    )
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(actor, "change.create", "change_request")
            .target(created.id)
            .tenant(tenant_id)
            .details(json!({
                "kind": kind.as_str(), "target_version": target_version, "running_version": running,
                "status": status.as_str(), "approval_mode": mode.as_str(), "note": form.note.trim(),
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Where a submitted change goes: to its approvers when the tenant's update
/// policy asks for it, otherwise into the tenant's next allowed start.
struct Route {
    status: ChangeStatus,
    next_start: Option<(DateTime<Utc>, String)>,
    needs_approval: bool,
    mode: ApprovalMode,
}

async fn route(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    kind: ChangeKind,
    running: Option<&str>,
    target_version: Option<&str>,
    not_before: Option<DateTime<Utc>>,
) -> ServiceResult<Route> {
    let policy = update_policy::load(txn, tenant_id).await?;
    let mode = ApprovalMode::parse(&policy.approval_mode).unwrap_or(ApprovalMode::MajorsOnly);
    let parse = |v: Option<&str>| v.and_then(|v| semver::Version::parse(v).ok());
    let needs_approval = approval_required(
        mode,
        kind,
        parse(running).as_ref(),
        parse(target_version).as_ref(),
    );
    let now = Utc::now();
    let (status, next_start) = if needs_approval {
        (ChangeStatus::PendingApproval, None)
    } else {
        let schedule = update_policy::schedule_for(txn, tenant_id).await?;
        let next =
            update_policy::next_start(&schedule, std::cmp::max(not_before.unwrap_or(now), now));
        (ChangeStatus::Scheduled, Some(next))
    };
    Ok(Route {
        status,
        next_start,
        needs_approval,
        mode,
    })
}

/// Submits a draft: it goes to its approvers or into the schedule as if it
/// had just been requested, judged against today's policy and versions.
pub async fn submit(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
) -> ServiceResult<change_request::Model> {
    principal.require_somewhere(Permission::TenantRead)?;
    let txn = db.begin().await?;
    let found = find_visible(&txn, principal, id).await?;
    let kind = ChangeKind::parse(&found.kind)
        .ok_or_else(|| ServiceError::internal(format!("unknown change kind {}", found.kind)))?;
    principal.require_on_tenant(request_permission(kind), found.tenant_id)?;
    if found.status != ChangeStatus::Draft.as_str() {
        return Err(ServiceError::Conflict(
            "Only drafts can be submitted.".into(),
        ));
    }
    let running = match found.product_id {
        Some(product_id) => tenant_product::Entity::find_by_id((found.tenant_id, product_id))
            .one(&txn)
            .await?
            .and_then(|tp| tp.running_version),
        None => None,
    };
    if running.is_some() && running == found.target_version {
        return Err(ServiceError::Conflict(format!(
            "The tenant already runs {}; cancel this draft.",
            found.target_version.unwrap_or_default()
        )));
    }
    let route = route(
        &txn,
        found.tenant_id,
        kind,
        running.as_deref(),
        found.target_version.as_deref(),
        found.not_before,
    )
    .await?;
    let tenant_id = found.tenant_id;
    let mut record: change_request::ActiveModel = found.into();
    record.status = Set(route.status.as_str().to_owned());
    record.requires_approval = Set(route.needs_approval);
    if let Some((at, why)) = route.next_start {
        record.next_start_at = Set(Some(at));
        record.schedule_reason = Set(why);
    }
    record.updated_at = Set(Utc::now());
    let submitted = record.update(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "change.submit", "change_request")
            .target(id)
            .tenant(tenant_id)
            .details(json!({ "status": route.status.as_str(), "approval_mode": route.mode.as_str(), "running_version": running })),
    )
    .await?;
    txn.commit().await?;
    Ok(submitted)
}

/// A catalog product by its key or id.
pub(crate) async fn find_product<C: ConnectionTrait>(
    conn: &C,
    reference: &str,
) -> ServiceResult<Option<product::Model>> {
    if reference.is_empty() {
        return Ok(None);
    }
    let query = match Uuid::parse_str(reference) {
        Ok(id) => product::Entity::find_by_id(id),
        Err(_) => product::Entity::find().filter(product::Column::Key.eq(reference)),
    };
    Ok(query.one(conn).await?)
}

/// `YYYY-MM-DDTHH:MM` (UTC, as an HTML datetime-local sends it) or RFC 3339.
pub(crate) fn parse_utc_time(raw: &str) -> Result<Option<DateTime<Utc>>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .map(|at| Some(at.and_utc()))
        .map_err(|_| format!("'{raw}' is not a time; use YYYY-MM-DDTHH:MM (UTC)."))
}

/// Approves or rejects a change awaiting a decision. The tenant's approvers
/// (and platform approvers) decide; never the person who asked.
pub async fn decide(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
    decision: &str,
    comment: &str,
) -> ServiceResult<()> {
    principal.require_somewhere(Permission::UpdateApprove)?;
    let approve = match decision {
        "approve" | "approved" => true,
        "reject" | "rejected" => false,
        _ => {
            let mut errors = FieldErrors::default();
            errors.push("decision", "Choose approve or reject.");
            return Err(errors.into());
        }
    };
    let comment = comment.trim();
    if !approve && comment.is_empty() {
        let mut errors = FieldErrors::default();
        errors.push(
            "comment",
            "Say why you reject it, so the requester knows what to change.",
        );
        return Err(errors.into());
    }
    let txn = db.begin().await?;
    let found = find_visible(&txn, principal, id).await?;
    principal.require_on_tenant(Permission::UpdateApprove, found.tenant_id)?;
    check_decider(found.requested_by, principal.user_id).map_err(ServiceError::Policy)?;
    if !approve {
        may_stop_change(
            found.requested_by_vendor,
            acts_for_vendor(&principal.grants),
        )
        .map_err(ServiceError::Policy)?;
    }
    if found.status != ChangeStatus::PendingApproval.as_str() {
        return Err(ServiceError::Conflict(format!(
            "This change is {} and no longer awaits a decision.",
            status_label(&found.status).to_lowercase()
        )));
    }
    let now = Utc::now();
    change_decision::ActiveModel {
        id: Set(Uuid::new_v4()),
        change_request_id: Set(id),
        tenant_id: Set(found.tenant_id),
        decision: Set(if approve { "approved" } else { "rejected" }.into()),
        decided_by: Set(principal.user_id),
        decider_label: Set(principal.email.clone()),
        comment: Set(comment.to_owned()),
        decided_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let tenant_id = found.tenant_id;
    let mut record: change_request::ActiveModel = found.clone().into();
    if approve {
        let schedule = update_policy::schedule_for(&txn, tenant_id).await?;
        let (at, why) = update_policy::next_start(
            &schedule,
            std::cmp::max(found.not_before.unwrap_or(now), now),
        );
        record.status = Set(ChangeStatus::Scheduled.as_str().into());
        record.next_start_at = Set(Some(at));
        record.schedule_reason = Set(why);
    } else {
        record.status = Set(ChangeStatus::Cancelled.as_str().into());
        record.outcome = Set(Some(format!("Rejected by {}: {comment}", principal.email)));
        record.finished_at = Set(Some(now));
    }
    record.updated_at = Set(now);
    record.update(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            if approve {
                "change.approve"
            } else {
                "change.reject"
            },
            "change_request",
        )
        .target(id)
        .tenant(tenant_id)
        .details(json!({ "comment": comment })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Cancels a change that has not started.
pub async fn cancel(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
) -> ServiceResult<()> {
    let txn = db.begin().await?;
    let found = find_visible(&txn, principal, id).await?;
    let kind = ChangeKind::parse(&found.kind).unwrap_or(ChangeKind::Upgrade);
    let may = principal.can(request_permission(kind), Scope::Tenant(found.tenant_id))
        || principal.can(Permission::UpdateApprove, Scope::Tenant(found.tenant_id));
    if !may {
        return Err(ServiceError::Forbidden);
    }
    may_stop_change(
        found.requested_by_vendor,
        acts_for_vendor(&principal.grants),
    )
    .map_err(ServiceError::Policy)?;
    let status = ChangeStatus::parse(&found.status).unwrap_or(ChangeStatus::Failed);
    if !status.can_move_to(ChangeStatus::Cancelled) {
        return Err(ServiceError::Conflict(format!(
            "This change is {} and can no longer be cancelled.",
            status.label().to_lowercase()
        )));
    }
    let now = Utc::now();
    let tenant_id = found.tenant_id;
    let mut record: change_request::ActiveModel = found.into();
    record.status = Set(ChangeStatus::Cancelled.as_str().into());
    record.outcome = Set(Some(format!("Cancelled by {}", principal.email)));
    record.finished_at = Set(Some(now));
    record.updated_at = Set(now);
    record.update(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "change.cancel", "change_request")
            .target(id)
            .tenant(tenant_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A change the principal may read; others' are "not found".
pub(crate) async fn find_visible<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    id: Uuid,
) -> ServiceResult<change_request::Model> {
    let found = change_request::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !principal.can(Permission::TenantRead, Scope::Tenant(found.tenant_id)) {
        return Err(ServiceError::NotFound);
    }
    Ok(found)
}

fn status_label(status: &str) -> &'static str {
    ChangeStatus::parse(status)
        .map(ChangeStatus::label)
        .unwrap_or("Unknown")
}

/// One page of change requests the principal may read, newest first.
pub async fn list(
    db: &DatabaseConnection,
    principal: &Principal,
    query: &ChangeQuery,
) -> ServiceResult<ChangePage> {
    principal.require_somewhere(Permission::TenantRead)?;
    let visible = principal.tenant_scope(Permission::TenantRead);
    let txn = scoped_read(db, &visible).await?;
    let db = &txn;
    let mut select = change_request::Entity::find();
    if let TenantScope::Only(ids) = visible {
        select = select.filter(change_request::Column::TenantId.is_in(ids));
    }
    if let Some(status) = query.status.as_deref().filter(|s| !s.is_empty()) {
        select = select.filter(change_request::Column::Status.eq(status));
    }
    if let Some(kind) = query.kind.as_deref().filter(|s| !s.is_empty()) {
        select = select.filter(change_request::Column::Kind.eq(kind));
    }
    if let Some(rollout) = query.rollout {
        select = select.filter(change_request::Column::RolloutId.eq(rollout));
    }
    if let Some(filter) = query.filter {
        select = select.filter(change_request::Column::TargetFilterId.eq(filter));
    }
    if let Some(slug) = query.tenant.as_deref().filter(|s| !s.is_empty()) {
        let id = tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug))
            .select_only()
            .column(tenant::Column::Id)
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        select = select.filter(change_request::Column::TenantId.eq(id.unwrap_or(Uuid::nil())));
    }
    let total = select.clone().count(db).await?;
    let page = std::cmp::max(query.page.unwrap_or(1), 1);
    let models = select
        .order_by_desc(change_request::Column::CreatedAt)
        .order_by_desc(change_request::Column::Id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
        .all(db)
        .await?;
    let rows = to_rows(db, models).await?;
    txn.commit().await?;
    Ok(ChangePage {
        rows,
        total,
        page,
        per_page: PER_PAGE,
    })
}

/// How many changes await a decision the principal may take.
pub async fn pending_for(db: &DatabaseConnection, principal: &Principal) -> ServiceResult<u64> {
    if !principal.grants.allows_somewhere(Permission::UpdateApprove) {
        return Ok(0);
    }
    let mut select = change_request::Entity::find()
        .filter(change_request::Column::Status.eq(ChangeStatus::PendingApproval.as_str()))
        .filter(
            change_request::Column::RequestedBy
                .ne(principal.user_id)
                .or(change_request::Column::RequestedBy.is_null()),
        );
    if let TenantScope::Only(ids) = principal.tenant_scope(Permission::UpdateApprove) {
        select = select.filter(change_request::Column::TenantId.is_in(ids));
    }
    Ok(select.count(db).await?)
}

async fn to_rows<C: ConnectionTrait>(
    conn: &C,
    models: Vec<change_request::Model>,
) -> ServiceResult<Vec<ChangeRow>> {
    let tenants = tenants::names_of(conn, models.iter().map(|m| m.tenant_id)).await?;
    let products: HashMap<Uuid, String> = product::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.key))
        .collect();
    Ok(models
        .into_iter()
        .map(|m| {
            let (slug, name) = tenants.get(&m.tenant_id).cloned().unwrap_or_default();
            to_row(m, slug, name, &products)
        })
        .collect())
}

fn to_row(
    m: change_request::Model,
    tenant_slug: String,
    tenant_name: String,
    products: &HashMap<Uuid, String>,
) -> ChangeRow {
    ChangeRow {
        id: m.id,
        tenant_id: m.tenant_id,
        tenant_slug,
        tenant_name,
        kind_label: ChangeKind::parse(&m.kind)
            .map(ChangeKind::label)
            .unwrap_or("Change")
            .into(),
        kind: m.kind,
        change_model: m.change_model,
        status_label: status_label(&m.status).into(),
        status: m.status,
        title: m.title,
        product_key: m.product_id.and_then(|id| products.get(&id).cloned()),
        target_version: m.target_version,
        requester: m.requester_label,
        requires_approval: m.requires_approval,
        next_start_at: m.next_start_at,
        schedule_reason: m.schedule_reason,
        delayed_days: m.delayed_days,
        progress: m.progress,
        rollout_id: m.rollout_id,
        target_filter_id: m.target_filter_id,
        target_filter_name: m.target_filter_name,
        outcome: m.outcome,
        created_at: m.created_at,
        updated_at: m.updated_at,
        finished_at: m.finished_at,
    }
}

pub async fn detail(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
) -> ServiceResult<ChangeDetail> {
    let txn = scoped_read(db, &principal.tenant_scope(Permission::TenantRead)).await?;
    let db = &txn;
    let found = find_visible(db, principal, id).await?;
    let tenant_id = found.tenant_id;
    let steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(id))
        .order_by_asc(change_step::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|s| StepRow {
            position: s.position,
            name: s.name,
            status: s.status,
            attempts: s.attempts,
            output: s.output,
            started_at: s.started_at,
            finished_at: s.finished_at,
        })
        .collect();
    let decisions = change_decision::Entity::find()
        .filter(change_decision::Column::ChangeRequestId.eq(id))
        .order_by_asc(change_decision::Column::DecidedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|d| DecisionRow {
            decision: d.decision,
            decider: d.decider_label,
            comment: d.comment,
            decided_at: d.decided_at,
        })
        .collect();
    let status = ChangeStatus::parse(&found.status).unwrap_or(ChangeStatus::Failed);
    let kind = ChangeKind::parse(&found.kind).unwrap_or(ChangeKind::Upgrade);
    let approver = principal.can(Permission::UpdateApprove, Scope::Tenant(tenant_id));
    let decide_refusal = if status != ChangeStatus::PendingApproval {
        None
    } else if !approver {
        Some("You cannot approve changes of this tenant.".to_owned())
    } else {
        check_decider(found.requested_by, principal.user_id).err()
    };
    let can_decide = status == ChangeStatus::PendingApproval && decide_refusal.is_none();
    let can_cancel = status.can_move_to(ChangeStatus::Cancelled)
        && (principal.can(request_permission(kind), Scope::Tenant(tenant_id)) || approver);
    let can_delay = status == ChangeStatus::Scheduled && approver;
    let can_submit = status == ChangeStatus::Draft
        && principal.can(request_permission(kind), Scope::Tenant(tenant_id));
    let mut rows = to_rows(db, vec![found]).await?;
    let delay_requests = crate::backend::services::delays::of_change(db, principal, id).await?;
    txn.commit().await?;
    Ok(ChangeDetail {
        change: rows.remove(0),
        steps,
        decisions,
        decide_refusal,
        can_decide,
        can_cancel,
        can_delay,
        can_submit,
        delay_requests,
    })
}

pub async fn options(
    db: &DatabaseConnection,
    principal: &Principal,
) -> ServiceResult<ChangeFormOptions> {
    principal.require_somewhere(Permission::TenantRead)?;
    let kinds = ChangeKind::ALL
        .into_iter()
        .filter(|k| *k != ChangeKind::Delete)
        .filter(|k| principal.grants.allows_somewhere(request_permission(*k)))
        .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
        .collect::<Vec<_>>();
    let products = product::Entity::find()
        .order_by_asc(product::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.key, p.name))
        .collect();
    let filters = saved_filters::list(db, principal)
        .await?
        .into_iter()
        .map(|f| {
            let plural = if f.matching == 1 { "" } else { "s" };
            let label = format!("{} ({} tenant{plural})", f.name, f.matching);
            (f.id.to_string(), label)
        })
        .collect();
    Ok(ChangeFormOptions {
        can_request: !kinds.is_empty(),
        kinds,
        products,
        filters,
    })
}

// ---- Scheduling and execution (no principal: the system acts) ------------

/// Starts scheduled changes whose time has come: if the tenant's window is
/// open now (and no blackout began since they were scheduled) they move to
/// running and get their job; otherwise their next start is recomputed.
/// Each change moves in its own short transaction; the status condition makes
/// a second replica's identical attempt a no-op.
pub async fn dispatch_due(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<usize> {
    let due = change_request::Entity::find()
        .filter(change_request::Column::Status.eq(ChangeStatus::Scheduled.as_str()))
        .filter(change_request::Column::NextStartAt.lte(now))
        .order_by_asc(change_request::Column::NextStartAt)
        .limit(200)
        .all(db)
        .await?;
    let mut started = 0;
    for change in due {
        let txn = db.begin().await?;
        let schedule = update_policy::schedule_for(&txn, change.tenant_id).await?;
        let (at, why) = update_policy::next_start(&schedule, now);
        if at > now {
            change_request::Entity::update_many()
                .col_expr(change_request::Column::NextStartAt, at.into())
                .col_expr(change_request::Column::ScheduleReason, why.into())
                .filter(change_request::Column::Id.eq(change.id))
                .filter(change_request::Column::Status.eq(ChangeStatus::Scheduled.as_str()))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            continue;
        }
        let moved = change_request::Entity::update_many()
            .col_expr(
                change_request::Column::Status,
                ChangeStatus::Running.as_str().into(),
            )
            .col_expr(change_request::Column::UpdatedAt, now.into())
            .filter(change_request::Column::Id.eq(change.id))
            .filter(change_request::Column::Status.eq(ChangeStatus::Scheduled.as_str()))
            .exec(&txn)
            .await?;
        if moved.rows_affected == 1 {
            if let Err(reason) = begin_lifecycle(&txn, &change).await? {
                finish(&txn, &change, ChangeStatus::Failed, &reason).await?;
            } else {
                enqueue_execution(&txn, change.id).await?;
                audit::record(
                    &txn,
                    &RequestContext::default(),
                    AuditEntry::new(Actor::System("scheduler"), "change.start", "change_request")
                        .target(change.id)
                        .tenant(change.tenant_id)
                        .details(json!({ "window": why })),
                )
                .await?;
                started += 1;
            }
        }
        txn.commit().await?;
    }
    Ok(started)
}

/// A scheduled lifecycle change moves the tenant into its working state when
/// it starts (the tenant may have changed since it was requested).
async fn begin_lifecycle(
    txn: &DatabaseTransaction,
    change: &change_request::Model,
) -> ServiceResult<Result<(), String>> {
    let Some(action) = ChangeKind::parse(&change.kind).and_then(ChangeKind::lifecycle_action)
    else {
        return Ok(Ok(()));
    };
    let current = tenant::Entity::find_by_id(change.tenant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let state = LifecycleState::parse(&current.lifecycle_state).unwrap_or(LifecycleState::Broken);
    let plan = match plan_transition(state, action) {
        Ok(plan) => plan,
        Err(refusal) => return Ok(Err(refusal.reason)),
    };
    if plan.already_done {
        return Ok(Ok(()));
    }
    let now_state = plan.via.unwrap_or(plan.target);
    set_tenant_state(
        txn,
        &current,
        now_state,
        Some(plan.target).filter(|_| plan.via.is_some()),
    )
    .await?;
    Ok(Ok(()))
}

async fn set_tenant_state(
    txn: &DatabaseTransaction,
    current: &tenant::Model,
    state: LifecycleState,
    requested: Option<LifecycleState>,
) -> ServiceResult<()> {
    let now = Utc::now();
    let mut record: tenant::ActiveModel = current.clone().into();
    record.lifecycle_state = Set(state.as_str().into());
    record.requested_state = Set(requested.map(|s| s.as_str().to_owned()));
    record.version = Set(current.version + 1);
    record.updated_at = Set(now);
    if state == LifecycleState::Archived {
        record.archived_at = Set(Some(now));
    }
    record.update(txn).await?;
    tenants::log_field_change(
        txn,
        current.id,
        "lifecycle_state",
        Some(&current.lifecycle_state),
        Some(state.as_str()),
        &Actor::System("executor"),
    )
    .await?;
    Ok(())
}

/// Runs a change's remaining steps through the executor. Steps already
/// succeeded (before a crash) are skipped; a step caught mid-way is handed to
/// the executor again under its same idempotency key. When all steps are done
/// the change's effect (tenant state, running version) lands in the same
/// transaction as its "succeeded" status and its audit record.
pub async fn execute(
    db: &DatabaseConnection,
    executor: &dyn Executor,
    job: &ClaimedJob,
) -> Result<(), String> {
    let id = job
        .payload
        .get("change_request_id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
        .ok_or("the job names no change request")?;
    let internal = |e: ServiceError| e.to_string();
    let change = change_request::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the change request is gone")?;
    if change.status != ChangeStatus::Running.as_str() {
        return Ok(()); // cancelled or already finished: nothing to do
    }
    let target = tenant::Entity::find_by_id(change.tenant_id)
        .one(db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the tenant is gone")?;
    let labels: Vec<String> = serde_json::from_str(&target.labels).unwrap_or_default();
    let steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(id))
        .order_by_asc(change_step::Column::Position)
        .all(db)
        .await
        .map_err(|e| e.to_string())?;
    let total = steps.len().max(1) as i32;
    for step in steps {
        if step.status == "succeeded" {
            continue;
        }
        let attempts = step.attempts + 1;
        change_step::Entity::update_many()
            .col_expr(change_step::Column::Status, "running".into())
            .col_expr(change_step::Column::Attempts, attempts.into())
            .col_expr(change_step::Column::StartedAt, Utc::now().into())
            .filter(change_step::Column::Id.eq(step.id))
            .exec(db)
            .await
            .map_err(|e| e.to_string())?;
        let order = StepOrder {
            key: step.idempotency_key.clone(),
            tenant_slug: target.slug.clone(),
            tenant_labels: labels.clone(),
            kind: change.kind.clone(),
            step: step.name.clone(),
            target_version: change.target_version.clone(),
            attempt: attempts,
        };
        let result = executor.run_step(&order).await;
        let (status, output) = match &result {
            Ok(output) => ("succeeded", output.clone()),
            Err(error) => ("failed", error.clone()),
        };
        let log = if step.output.is_empty() {
            output
        } else {
            format!("{}\n--- attempt {attempts} ---\n{output}", step.output)
        };
        // The step's result lands only while this worker holds the job.
        let txn = db.begin().await.map_err(|e| e.to_string())?;
        if !jobs::fence(&txn, job).await.map_err(internal)? {
            txn.rollback().await.map_err(|e| e.to_string())?;
            return Err(LEASE_LOST.into());
        }
        change_step::Entity::update_many()
            .col_expr(change_step::Column::Status, status.into())
            .col_expr(change_step::Column::Output, log.into())
            .col_expr(change_step::Column::FinishedAt, Utc::now().into())
            .filter(change_step::Column::Id.eq(step.id))
            .exec(&txn)
            .await
            .map_err(|e| e.to_string())?;
        txn.commit().await.map_err(|e| e.to_string())?;
        if let Err(error) = result {
            return Err(format!("{}: {error}", step.name));
        }
        change_request::Entity::update_many()
            .col_expr(
                change_request::Column::Progress,
                (step.position * 100 / total).into(),
            )
            .col_expr(change_request::Column::UpdatedAt, Utc::now().into())
            .filter(change_request::Column::Id.eq(id))
            .exec(db)
            .await
            .map_err(|e| e.to_string())?;
    }
    let txn = db.begin().await.map_err(|e| e.to_string())?;
    if !jobs::fence(&txn, job).await.map_err(internal)? {
        txn.rollback().await.map_err(|e| e.to_string())?;
        return Err(LEASE_LOST.into());
    }
    let still_running = change_request::Entity::find_by_id(id)
        .one(&txn)
        .await
        .map_err(|e| e.to_string())?
        .is_some_and(|c| c.status == ChangeStatus::Running.as_str());
    if still_running {
        apply_effect(&txn, &change).await.map_err(internal)?;
        finish(
            &txn,
            &change,
            ChangeStatus::Succeeded,
            "All steps succeeded.",
        )
        .await
        .map_err(internal)?;
    }
    txn.commit().await.map_err(|e| e.to_string())?;
    if still_running && change.target_version.is_some() {
        // The tenant runs another version now: its compliance changed. A
        // failure here is not the change's; the hourly assessment catches up.
        let reach = crate::backend::services::compliance::Reach::Tenant(change.tenant_id);
        if let Err(err) = crate::backend::services::compliance::assess(db, reach, Utc::now()).await
        {
            tracing::warn!(error = %err, tenant = %change.tenant_id, "re-assessing compliance after an upgrade failed");
        }
    }
    Ok(())
}

/// What a succeeded change leaves behind.
async fn apply_effect(
    txn: &DatabaseTransaction,
    change: &change_request::Model,
) -> ServiceResult<()> {
    let current = tenant::Entity::find_by_id(change.tenant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Some(target) = current
        .requested_state
        .as_deref()
        .and_then(LifecycleState::parse)
    {
        set_tenant_state(txn, &current, target, None).await?;
    }
    if let (Some(product_id), Some(version)) = (change.product_id, change.target_version.as_deref())
    {
        let components = release::Entity::find()
            .filter(release::Column::ProductId.eq(product_id))
            .filter(release::Column::Version.eq(version))
            .one(txn)
            .await?
            .map(|r| r.components)
            .unwrap_or_else(|| "{}".into());
        let before = tenant_product::Entity::find_by_id((change.tenant_id, product_id))
            .one(txn)
            .await?
            .and_then(|tp| tp.running_version);
        tenant_product::Entity::update_many()
            .col_expr(
                tenant_product::Column::RunningVersion,
                Some(version.to_owned()).into(),
            )
            .col_expr(tenant_product::Column::Components, components.into())
            .col_expr(tenant_product::Column::UpdatedAt, Utc::now().into())
            .filter(tenant_product::Column::TenantId.eq(change.tenant_id))
            .filter(tenant_product::Column::ProductId.eq(product_id))
            .exec(txn)
            .await?;
        tenants::log_field_change(
            txn,
            change.tenant_id,
            "running_version",
            before.as_deref(),
            Some(version),
            &Actor::System("executor"),
        )
        .await?;
    }
    Ok(())
}

/// Closes a change (and its rollout target, if any) with its audit record.
async fn finish(
    txn: &DatabaseTransaction,
    change: &change_request::Model,
    status: ChangeStatus,
    outcome: &str,
) -> ServiceResult<()> {
    let now = Utc::now();
    let mut update = change_request::Entity::update_many()
        .col_expr(change_request::Column::Status, status.as_str().into())
        .col_expr(
            change_request::Column::Outcome,
            Some(outcome.to_owned()).into(),
        )
        .col_expr(change_request::Column::FinishedAt, Some(now).into())
        .col_expr(change_request::Column::UpdatedAt, now.into());
    if status == ChangeStatus::Succeeded {
        update = update.col_expr(change_request::Column::Progress, 100.into());
    }
    update
        .filter(change_request::Column::Id.eq(change.id))
        .exec(txn)
        .await?;
    if change.rollout_id.is_some() {
        let target_status = if status == ChangeStatus::Succeeded {
            "succeeded"
        } else {
            "failed"
        };
        // A tenant target's attempts add up its changes' (one per retry of
        // the target): the most any step of this one took.
        let attempts: Option<i32> = change_step::Entity::find()
            .select_only()
            .column_as(change_step::Column::Attempts.max(), "attempts")
            .filter(change_step::Column::ChangeRequestId.eq(change.id))
            .into_tuple()
            .one(txn)
            .await?
            .flatten();
        rollout_target::Entity::update_many()
            .col_expr(rollout_target::Column::Status, target_status.into())
            .col_expr(
                rollout_target::Column::Attempts,
                sea_orm::sea_query::Expr::col(rollout_target::Column::Attempts)
                    .add(std::cmp::max(attempts.unwrap_or(1), 1)),
            )
            .col_expr(
                rollout_target::Column::LastError,
                (status != ChangeStatus::Succeeded)
                    .then(|| outcome.to_owned())
                    .into(),
            )
            .col_expr(rollout_target::Column::FinishedAt, Some(now).into())
            .filter(rollout_target::Column::ChangeRequestId.eq(change.id))
            .exec(txn)
            .await?;
    }
    audit::record(
        txn,
        &RequestContext::default(),
        AuditEntry::new(Actor::System("executor"), status_audit(status), "change_request")
            .target(change.id)
            .tenant(change.tenant_id)
            .details(json!({ "outcome": outcome, "kind": change.kind, "target_version": change.target_version })),
    )
    .await?;
    Ok(())
}

fn status_audit(status: ChangeStatus) -> &'static str {
    match status {
        ChangeStatus::Succeeded => "change.succeeded",
        ChangeStatus::RolledBack => "change.rolled_back",
        ChangeStatus::Cancelled => "change.cancel",
        _ => "change.failed",
    }
}

/// The last attempt failed: the change is abandoned.
pub async fn fail_for_good(
    txn: &DatabaseTransaction,
    job: &ClaimedJob,
    error: &str,
) -> ServiceResult<()> {
    let Some(id) = job
        .payload
        .get("change_request_id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
    else {
        return Ok(());
    };
    abandon(
        txn,
        id,
        &format!("Failed after {} attempts: {error}", job.attempt),
    )
    .await
}

/// Ends a running change that will not finish (its last attempt failed, or
/// an operator cancelled its job): an upgrade is rolled back, other long work
/// leaves the tenant broken for a person to look at.
pub async fn abandon(txn: &DatabaseTransaction, id: Uuid, reason: &str) -> ServiceResult<()> {
    let Some(change) = change_request::Entity::find_by_id(id).one(txn).await? else {
        return Ok(());
    };
    if change.status != ChangeStatus::Running.as_str() {
        return Ok(());
    }
    let kind = ChangeKind::parse(&change.kind).unwrap_or(ChangeKind::Upgrade);
    let current = tenant::Entity::find_by_id(change.tenant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (status, landing) = if kind.is_update() {
        let back = current
            .requested_state
            .as_deref()
            .and_then(LifecycleState::parse)
            .unwrap_or(LifecycleState::Active);
        (
            ChangeStatus::RolledBack,
            current.requested_state.is_some().then_some(back),
        )
    } else if current.requested_state.is_some() {
        (ChangeStatus::Failed, Some(LifecycleState::Broken))
    } else {
        (ChangeStatus::Failed, None)
    };
    if let Some(state) = landing {
        set_tenant_state(txn, &current, state, None).await?;
    }
    finish(txn, &change, status, reason).await
}

/// The approvals inbox: changes awaiting a decision the principal may take
/// (never their own requests), oldest first.
pub async fn approvals(
    db: &DatabaseConnection,
    principal: &Principal,
) -> ServiceResult<ChangePage> {
    if !principal.grants.allows_somewhere(Permission::UpdateApprove) {
        return Ok(ChangePage {
            rows: vec![],
            total: 0,
            page: 1,
            per_page: 200,
        });
    }
    let mut select = change_request::Entity::find()
        .filter(change_request::Column::Status.eq(ChangeStatus::PendingApproval.as_str()))
        .filter(
            change_request::Column::RequestedBy
                .ne(principal.user_id)
                .or(change_request::Column::RequestedBy.is_null()),
        );
    if let TenantScope::Only(ids) = principal.tenant_scope(Permission::UpdateApprove) {
        select = select.filter(change_request::Column::TenantId.is_in(ids));
    }
    let models = select
        .order_by_asc(change_request::Column::CreatedAt)
        .limit(200)
        .all(db)
        .await?;
    let total = models.len() as u64;
    Ok(ChangePage {
        rows: to_rows(db, models).await?,
        total,
        page: 1,
        per_page: 200,
    })
}

/// Enforcement (issue 5): a tenant past end of life or out of policy whose
/// deciding policy says `schedule_forced_upgrade` gets an upgrade to the
/// product's latest published release, approved by that policy and
/// scheduled into its maintenance window. One open forced upgrade per
/// tenant and product: re-runs of the hourly job add nothing.
pub async fn schedule_forced_upgrades(
    db: &DatabaseConnection,
    due: &[(Uuid, Uuid)],
) -> ServiceResult<usize> {
    let open = [
        ChangeStatus::PendingApproval,
        ChangeStatus::Approved,
        ChangeStatus::Scheduled,
        ChangeStatus::Running,
    ]
    .map(ChangeStatus::as_str);
    let mut created = 0;
    for (tenant_id, product_id) in due {
        let txn = db.begin().await?;
        let already = change_request::Entity::find()
            .filter(change_request::Column::TenantId.eq(*tenant_id))
            .filter(change_request::Column::ProductId.eq(*product_id))
            .filter(change_request::Column::Status.is_in(open))
            .count(&txn)
            .await?;
        let latest = crate::backend::services::catalog::catalog_releases(&txn)
            .await?
            .get(product_id)
            .and_then(|releases| {
                releases
                    .iter()
                    .filter(|r| !r.withdrawn)
                    .map(|r| r.version.clone())
                    .max()
            });
        let (Some(latest), Some(target)) = (
            latest,
            tenant::Entity::find_by_id(*tenant_id).one(&txn).await?,
        ) else {
            continue;
        };
        let running = tenant_product::Entity::find_by_id((*tenant_id, *product_id))
            .one(&txn)
            .await?
            .and_then(|tp| tp.running_version);
        if already > 0 || running.as_deref() == Some(latest.to_string().as_str()) {
            continue;
        }
        let schedule = update_policy::schedule_for(&txn, *tenant_id).await?;
        let next = update_policy::next_start(&schedule, Utc::now());
        let actor = Actor::System("compliance");
        let change = insert(
            &txn,
            &actor,
            NewChange {
                tenant: target.clone(),
                kind: ChangeKind::Upgrade,
                product_id: Some(*product_id),
                target_version: Some(latest.to_string()),
                title: format!(
                    "Forced upgrade of {} to {latest} (version policy)",
                    target.slug
                ),
                status: ChangeStatus::Scheduled,
                requires_approval: false,
                not_before: None,
                next_start: Some(next),
                rollout_id: None,
                target_filter: None,
                by_vendor: true,
            },
        )
        .await?;
        audit::record(
            &txn,
            &RequestContext::default(),
            AuditEntry::new(actor, "change.create", "change_request")
                .target(change.id)
                .tenant(*tenant_id)
                .details(json!({ "kind": "upgrade", "target_version": latest.to_string(), "running_version": running, "reason": "schedule_forced_upgrade" })),
        )
        .await?;
        txn.commit().await?;
        created += 1;
    }
    Ok(created)
}
