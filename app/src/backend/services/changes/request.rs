//! Asking for changes: one tenant, every tenant of a saved filter, drafts
//! submitted later, and the forced upgrades that enforcement policies schedule.

use super::command::{ChangeSpec, FilterChangeRequest, NewChangeRequest};
use super::*;
use crate::backend::context::Ctx;
use crate::backend::error::Parsed;
use crate::domain::releases::catalog::ReleaseStatus;

/// A change request from the Changes page or the API.
pub async fn create(
    ctx: &Ctx,
    request: Parsed<NewChangeRequest>,
) -> ServiceResult<change_request::Model> {
    ctx.principal.require_somewhere(Permission::TenantRead)?;
    let request = request?;
    let created = create_one(ctx, &request.tenant, &request.spec, None).await?;
    crate::backend::log_context::change(created.id, created.correlation_id.as_deref());
    tracing::info!(
        kind = created.kind.as_str(),
        status = created.status.as_str(),
        "change requested"
    );
    Ok(created)
}

/// Requests the change for every tenant a saved filter matches now, each as
/// its own change (its own approval and window); a tenant the change does
/// not fit (not licensed, already there, wrong state) is skipped with the
/// reason. Refused when the filter matches nothing or too many tenants.
pub async fn create_for_filter(
    ctx: &Ctx,
    request: Parsed<FilterChangeRequest>,
) -> ServiceResult<FilterRequestOutcome> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::TenantRead)?;
    let request = request?;
    let filter = saved_filters::resolve(db, principal, &request.filter).await?;
    let fields = saved_filters::fields_of(&filter)?;
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
        let target = Some((filter.id, filter.name.clone()));
        match create_one(ctx, &slug, &request.spec, target).await {
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
            Err(ServiceError::Policy(reason) | ServiceError::Refused(reason)) => {
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
                "filter": filter.name, "kind": request.spec.kind.as_str(),
                "target_version": request.spec.update.as_ref().map(|u| u.version.to_string()),
                "created": outcome.created.len(),
                "skipped": outcome.skipped.iter().map(|s| json!({ "slug": s.slug, "reason": s.reason })).collect::<Vec<_>>(),
            })),
    )
    .await?;
    Ok(outcome)
}

/// Policy before action: why the tenant's version policy refuses moving it
/// to `version` of the product today (see `catalog::move_refusal`).
pub(crate) async fn policy_refusal<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    product_id: Uuid,
    version: &semver::Version,
    now: DateTime<Utc>,
) -> ServiceResult<Option<String>> {
    use crate::backend::services::releases::compliance;
    use crate::domain::releases::catalog::{deployment_blocked, move_refusal};
    let started = std::time::Instant::now();
    let today = crate::domain::releases::compliance::compliance_day(now);
    let (status, actions) =
        compliance::preview(conn, tenant_id, product_id, version, today).await?;
    let refusal = move_refusal(version, &status, &actions);
    let outcome = match (&refusal, deployment_blocked(&status, &actions)) {
        (None, _) => "allowed",
        (Some(_), true) => "refused_end_of_life",
        (Some(_), false) => "refused_out_of_range",
    };
    crate::backend::metrics::policy_evaluated("version_move", outcome, started.elapsed());
    Ok(refusal)
}

pub(super) async fn create_one(
    ctx: &Ctx,
    tenant: &str,
    spec: &ChangeSpec,
    target_filter: Option<(Uuid, String)>,
) -> ServiceResult<change_request::Model> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::TenantRead)?;
    let mut errors = FieldErrors::default();
    let (kind, not_before) = (spec.kind, spec.not_before);
    let (tenant_id, _) = tenants::resolve_tenant_id(ctx, tenant).await?;
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
    if let Some(update) = &spec.update {
        match find_product(&txn, &update.product).await? {
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
                let version = update.version.to_string();
                let published = release::Entity::find()
                    .filter(release::Column::ProductId.eq(found.id))
                    .filter(release::Column::Version.eq(version.as_str()))
                    .filter(release::Column::Status.eq(ReleaseStatus::Published))
                    .one(&txn)
                    .await?;
                if published.is_none() {
                    errors.push(
                        "target_version",
                        format!("{version} is not a published release of {}.", found.name),
                    );
                } else if running.as_deref() == Some(version.as_str()) {
                    errors.push(
                        "target_version",
                        format!("The tenant already runs {version}."),
                    );
                } else if let Some(refusal) =
                    policy_refusal(&txn, tenant_id, found.id, &update.version, ctx.now()).await?
                {
                    errors.push("target_version", refusal);
                }
                target_version = Some(version);
            }
        }
    } else if let Some(action) = kind.lifecycle_action() {
        let state = target.lifecycle_state;
        match plan_transition(state, action) {
            Err(refusal) => errors.push("kind", refusal.reason),
            Ok(plan) if plan.already_done => errors.push(
                "kind",
                format!("The tenant already is {}.", state.label().to_lowercase()),
            ),
            Ok(_) => {
                if let Some(refusal) =
                    crate::backend::services::tenants::residency::activation_refusal(
                        &txn, &target, action,
                    )
                    .await?
                {
                    errors.push("kind", refusal);
                }
            }
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
        ctx.now(),
    )
    .await?;
    let (status, next_start) = if spec.draft {
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
            target_plan: None,
            title,
            status,
            requires_approval: needs_approval,
            not_before,
            next_start,
            rollout_id: None,
            target_filter,
            by_vendor: acts_for_vendor(&principal.grants),
            correlation_id: context.request_id.clone(),
            model: None,
        },
        ctx.now(),
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
                "status": status.as_str(), "approval_mode": mode.as_str(), "note": spec.note,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Where a submitted change goes: to its approvers when the tenant's update
/// policy asks for it, otherwise into the tenant's next allowed start.
pub(crate) struct Route {
    pub(crate) status: ChangeStatus,
    pub(crate) next_start: Option<(DateTime<Utc>, String)>,
    pub(crate) needs_approval: bool,
    pub(crate) mode: ApprovalMode,
}

pub(crate) async fn route(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    kind: ChangeKind,
    running: Option<&str>,
    target_version: Option<&str>,
    not_before: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ServiceResult<Route> {
    let policy = update_policy::load(txn, tenant_id).await?;
    let mode = policy.approval_mode;
    let parse = |v: Option<&str>| v.and_then(|v| semver::Version::parse(v).ok());
    let needs_approval = approval_required(
        mode,
        kind,
        parse(running).as_ref(),
        parse(target_version).as_ref(),
    );
    let (status, next_start) = if needs_approval {
        (ChangeStatus::PendingApproval, None)
    } else {
        let schedule = update_policy::schedule_for(txn, tenant_id, now).await?;
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
pub async fn submit(ctx: &Ctx, id: Uuid) -> ServiceResult<change_request::Model> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_somewhere(Permission::TenantRead)?;
    let txn = db.begin().await?;
    let found = find_visible(&txn, principal, id).await?;
    let kind = found.kind;
    principal.require_on_tenant(request_permission(kind), found.tenant_id)?;
    if found.status != ChangeStatus::Draft {
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
        ctx.now(),
    )
    .await?;
    let tenant_id = found.tenant_id;
    let mut record: change_request::ActiveModel = found.into();
    record.status = Set(route.status);
    record.requires_approval = Set(route.needs_approval);
    if let Some((at, why)) = route.next_start {
        record.next_start_at = Set(Some(at));
        record.schedule_reason = Set(why);
    }
    record.updated_at = Set(ctx.now());
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

pub async fn options(ctx: &Ctx) -> ServiceResult<ChangeFormOptions> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    let kinds = ChangeKind::ALL
        .into_iter()
        // Kinds that name more than the form asks (a plan, a backup, a
        // secret, a placement) are requested where that is chosen.
        .filter(|k| {
            !matches!(
                k,
                ChangeKind::Delete
                    | ChangeKind::ChangePlan
                    | ChangeKind::Restore
                    | ChangeKind::RotateSecret
                    | ChangeKind::Migrate
                    | ChangeKind::RestoreTest
            )
        })
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
    let filters = saved_filters::list(ctx)
        .await?
        .into_iter()
        .map(|f| {
            let plural = if f.matching == 1 { "" } else { "s" };
            let label = format!("{} ({} tenant{plural})", f.name, f.matching);
            (f.id.to_string(), label)
        })
        .collect();
    Ok(ChangeFormOptions {
        kinds,
        products,
        filters,
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
    now: DateTime<Utc>,
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
        let latest = crate::backend::services::releases::catalog::catalog_releases(&txn)
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
        let schedule = update_policy::schedule_for(&txn, *tenant_id, now).await?;
        let next = update_policy::next_start(&schedule, now);
        let actor = Actor::System("compliance");
        let change = insert(
            &txn,
            &actor,
            NewChange {
                tenant: target.clone(),
                kind: ChangeKind::Upgrade,
                product_id: Some(*product_id),
                target_version: Some(latest.to_string()),
                target_plan: None,
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
                correlation_id: None,
                model: None,
            },
            now,
        )
        .await?;
        audit::record(
            &txn,
            &change_context(&change),
            AuditEntry::new(actor, "change.create", "change_request")
                .target(change.id)
                .tenant(*tenant_id)
                .details(json!({ "kind": "upgrade", "target_version": latest.to_string(), "running_version": running, "reason": "schedule_forced_upgrade", "status": ChangeStatus::Scheduled.as_str() })),
        )
        .await?;
        txn.commit().await?;
        created += 1;
    }
    Ok(created)
}

/// Auto-update: each active tenant whose update policy has it on gets, per
/// licensed product, an upgrade to the newest release above the one it runs
/// that its version policy allows, routed like any request (approval rule,
/// next window), and the tenant's people are told when it will run. One
/// open change per tenant and product: re-runs of the hourly job add
/// nothing. Returns how many were scheduled.
pub async fn schedule_auto_updates(
    db: &DatabaseConnection,
    public_url: &str,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    use crate::backend::entities::update_policy as policy;
    let tenant_ids: Vec<Uuid> = policy::Entity::find()
        .filter(policy::Column::AutoUpdate.eq(true))
        .select_only()
        .column(policy::Column::TenantId)
        .into_tuple()
        .all(db)
        .await?;
    if tenant_ids.is_empty() {
        return Ok(0);
    }
    let catalog = crate::backend::services::releases::catalog::catalog_releases(db).await?;
    let open = [
        ChangeStatus::Draft,
        ChangeStatus::PendingApproval,
        ChangeStatus::Approved,
        ChangeStatus::Scheduled,
        ChangeStatus::Running,
    ]
    .map(ChangeStatus::as_str);
    let mut created = 0;
    for tenant_id in tenant_ids {
        let txn = db.begin().await?;
        let Some(target) = tenant::Entity::find_by_id(tenant_id).one(&txn).await? else {
            continue;
        };
        if target.lifecycle_state != LifecycleState::Active {
            continue;
        }
        // A plan without automatic updates keeps the saved choice but acts on nothing.
        if !crate::backend::services::plans::limits::has_feature(
            &txn,
            &target,
            crate::domain::plans::plan::FeatureFlag::AutoUpdate,
        )
        .await?
        {
            continue;
        }
        let licences = tenant_product::Entity::find()
            .filter(tenant_product::Column::TenantId.eq(tenant_id))
            .all(&txn)
            .await?;
        for licence in licences {
            let product_id = licence.product_id;
            let running = licence
                .running_version
                .as_deref()
                .and_then(|v| semver::Version::parse(v).ok());
            let mut newer: Vec<semver::Version> = catalog
                .get(&product_id)
                .map(|releases| {
                    releases
                        .iter()
                        .filter(|r| !r.withdrawn)
                        .map(|r| r.version.clone())
                        .filter(|v| running.as_ref().is_none_or(|r| v > r))
                        .collect()
                })
                .unwrap_or_default();
            newer.sort_by(|a, b| b.cmp(a));
            let mut chosen = None;
            for version in newer {
                if policy_refusal(&txn, tenant_id, product_id, &version, now)
                    .await?
                    .is_none()
                {
                    chosen = Some(version);
                    break;
                }
            }
            let Some(latest) = chosen else {
                continue;
            };
            let already = change_request::Entity::find()
                .filter(change_request::Column::TenantId.eq(tenant_id))
                .filter(change_request::Column::ProductId.eq(product_id))
                .filter(change_request::Column::Status.is_in(open))
                .count(&txn)
                .await?;
            if already > 0 {
                continue;
            }
            let latest = latest.to_string();
            let route = route(
                &txn,
                tenant_id,
                ChangeKind::Upgrade,
                licence.running_version.as_deref(),
                Some(&latest),
                None,
                now,
            )
            .await?;
            let change = insert(
                &txn,
                &Actor::System("auto-update"),
                NewChange {
                    tenant: target.clone(),
                    kind: ChangeKind::Upgrade,
                    product_id: Some(product_id),
                    target_version: Some(latest.clone()),
                    target_plan: None,
                    title: format!("Auto-update of {} to {latest}", target.slug),
                    status: route.status,
                    requires_approval: route.needs_approval,
                    not_before: None,
                    next_start: route.next_start,
                    rollout_id: None,
                    target_filter: None,
                    by_vendor: false,
                    correlation_id: None,
                    model: None,
                },
                now,
            )
            .await?;
            audit::record(
                &txn,
                &change_context(&change),
                AuditEntry::new(Actor::System("auto-update"), "change.create", "change_request")
                    .target(change.id)
                    .tenant(tenant_id)
                    .details(json!({
                        "kind": "upgrade", "target_version": latest, "running_version": licence.running_version,
                        "status": route.status.as_str(), "reason": "auto_update",
                    })),
            )
            .await?;
            let when = match (&change.next_start_at, route.status) {
                (_, ChangeStatus::PendingApproval) => {
                    "once it is approved, in the next maintenance window".to_owned()
                }
                (Some(at), _) => format!(
                    "from {} UTC ({})",
                    at.format("%Y-%m-%d %H:%M"),
                    change.schedule_reason
                ),
                (None, _) => "as soon as the executor is free".to_owned(),
            };
            crate::backend::services::notifications::notices::notify_tenant_people(
                &txn,
                tenant_id,
                crate::domain::notifications::notification::NotificationKind::UpdateScheduled,
                &format!("{} will be updated to {latest}", target.display_name),
                &format!(
                    "Auto-update scheduled the upgrade of {} from {} to {latest}; it runs {when}. Turn auto-update off in the update policy to stop future ones, or delay this change.",
                    target.display_name,
                    licence.running_version.as_deref().unwrap_or("no recorded version"),
                ),
                &format!("/changes/{}", change.id),
                public_url,
                now,
            )
            .await?;
            created += 1;
        }
        txn.commit().await?;
    }
    Ok(created)
}
