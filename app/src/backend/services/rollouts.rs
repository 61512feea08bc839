//! Staged rollouts: one release to many tenants in waves. Each target becomes
//! a change request run by the job engine; the controller (`advance_all`,
//! every scheduler round on every replica, one rollout at a time under a row
//! lock) starts targets up to the concurrency limit, and advances, pauses or
//! stops on the wave thresholds. A crash loses nothing: targets, waves and
//! their change requests are rows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::api::rollouts::{
    RolloutDetail, RolloutForm, RolloutList, RolloutRow, TargetRow, WaveRow,
};
use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::entities::{
    change_request, compliance_status, endpoint, product, release, rollout, rollout_target, tenant,
    tenant_product,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::changes::{self, NewChange};
use crate::domain::change::{ChangeKind, ChangeStatus};
use crate::domain::permission::Permission;
use crate::domain::rollout::{
    Candidate, RolloutMove, Thresholds, WaveDecision, WaveProgress, assign_waves, offered_actions,
    parse_concurrency, parse_thresholds, parse_wave_rules, parse_wave_splits, rollout_move,
    success_rate, wave_decision, wave_sizes,
};
use crate::domain::validation::FieldErrors;

pub const PENDING_APPROVAL: &str = "pending_approval";
pub const SCHEDULED: &str = "scheduled";
pub const RUNNING: &str = "running";
pub const PAUSED: &str = "paused";
pub const SUCCEEDED: &str = "succeeded";
pub const STOPPED: &str = "stopped";
pub const ABORTED: &str = "aborted";

pub const TENANTS: &str = "tenants";
pub const ENDPOINTS: &str = "endpoints";

const TARGETS_PER_PAGE: u64 = 50;

/// Plans and stores a rollout: picks the targets, splits them into waves.
pub async fn create(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    form: &RolloutForm,
) -> ServiceResult<Uuid> {
    principal.require(Permission::UpdateExecute)?;
    let mut errors = FieldErrors::default();
    let name = form.name.trim();
    if name.is_empty() {
        errors.push(
            "name",
            "Name the rollout, e.g. \"Edge 2.5 to all EU tenants\".",
        );
    }
    let splits = parse_wave_splits(&form.waves).unwrap_or_else(|message| {
        errors.push("waves", message);
        vec![100]
    });
    let thresholds = parse_thresholds(
        default_if_empty(&form.success_threshold, "95"),
        default_if_empty(&form.error_threshold, "10"),
    )
    .unwrap_or_else(|found| {
        errors.0.extend(found.0);
        Thresholds::default()
    });
    let concurrency =
        parse_concurrency(default_if_empty(&form.concurrency, "10")).unwrap_or_else(|message| {
            errors.push("concurrency", message);
            1
        });
    let on_error = match form.on_error.trim() {
        "" | "pause" => "pause",
        "stop" => "stop",
        _ => {
            errors.push("on_error", "Choose pause or stop.");
            "pause"
        }
    };
    if let Err(message) = parse_wave_rules(&form.wave_plan) {
        errors.push("wave_plan", message);
    }
    let scope = match form.scope.trim() {
        "" | "tenants" => TENANTS,
        "endpoints" => ENDPOINTS,
        _ => {
            errors.push("scope", "Choose tenants or endpoints.");
            TENANTS
        }
    };
    let start_at = changes::parse_utc_time(&form.start_at).unwrap_or_else(|message| {
        errors.push("start_at", message);
        None
    });
    let found_product = changes::find_product(db, form.product.trim()).await?;
    let version = form
        .target_version
        .trim()
        .trim_start_matches('v')
        .to_owned();
    match &found_product {
        None => errors.push("product", "Choose a product from the catalog."),
        Some(p) => {
            let published = release::Entity::find()
                .filter(release::Column::ProductId.eq(p.id))
                .filter(release::Column::Version.eq(version.as_str()))
                .filter(release::Column::Status.eq("published"))
                .one(db)
                .await?;
            if published.is_none() {
                errors.push(
                    "target_version",
                    format!("'{version}' is not a published release of {}.", p.name),
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let product = found_product.expect("checked above");
    let settings = RolloutSettings {
        name: name.to_owned(),
        splits: splits.clone(),
        thresholds,
        concurrency,
        on_error,
        start_at,
        requires_approval: form.requires_approval,
    };
    if scope == ENDPOINTS {
        if !form.wave_plan.trim().is_empty() {
            let mut errors = FieldErrors::default();
            errors.push(
                "wave_plan",
                "Endpoint rollouts take percentage waves; leave the wave plan empty.",
            );
            return Err(errors.into());
        }
        return plan_endpoints(db, principal, context, form, &product, &version, &settings).await;
    }
    let targets = select_targets(db, product.id, &version, form).await?;
    if targets.is_empty() {
        let mut errors = FieldErrors::default();
        errors.push(
            "tenants",
            "No tenant matches: every selected tenant already runs this version, does not license the product, or the filters exclude all.",
        );
        return Err(errors.into());
    }
    let planned = if form.wave_plan.trim().is_empty() {
        let sizes = wave_sizes(targets.len(), &splits);
        let mut waves = vec![];
        for (wave, size) in sizes.iter().enumerate() {
            waves.extend(std::iter::repeat_n(wave, *size));
        }
        waves
            .into_iter()
            .zip(targets)
            .map(|(wave, (tenant, from))| (wave, tenant, from))
            .collect::<Vec<_>>()
    } else {
        plan_by_rules(db, product.id, &form.wave_plan, targets).await?
    };
    if planned.is_empty() {
        let mut errors = FieldErrors::default();
        errors.push(
            "wave_plan",
            "No line of the wave plan matches any target; add a 'rest' line or widen a filter.",
        );
        return Err(errors.into());
    }
    let mut sizes: Vec<usize> = vec![];
    for (wave, _, _) in &planned {
        if sizes.len() <= *wave {
            sizes.resize(wave + 1, 0);
        }
        sizes[*wave] += 1;
    }
    // Lines that matched nobody leave no empty wave behind.
    let renumber: Vec<usize> = sizes
        .iter()
        .scan(0, |next, size| {
            let number = *next;
            if *size > 0 {
                *next += 1;
            }
            Some(number)
        })
        .collect();
    sizes.retain(|size| *size > 0);
    let id = Uuid::new_v4();
    let status = if form.requires_approval {
        PENDING_APPROVAL
    } else {
        SCHEDULED
    };
    let selection = selection_text(form);
    let txn = db.begin().await?;
    new_rollout(
        id, TENANTS, product.id, &version, &selection, &settings, principal,
    )
    .insert(&txn)
    .await?;
    let mut rows = Vec::with_capacity(planned.len());
    for (position, (wave, tenant_id, from_version)) in planned.iter().enumerate() {
        rows.push(rollout_target::ActiveModel {
            id: Set(Uuid::new_v4()),
            rollout_id: Set(id),
            wave: Set(renumber[*wave] as i32 + 1),
            position: Set(position as i32 + 1),
            tenant_id: Set(*tenant_id),
            endpoint_id: Set(None),
            from_version: Set(from_version.clone()),
            status: Set("pending".into()),
            attempts: Set(0),
            message: Set(None),
            change_request_id: Set(None),
            last_error: Set(None),
            started_at: Set(None),
            finished_at: Set(None),
        });
    }
    for chunk in rows.chunks(500) {
        rollout_target::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "rollout.create", "rollout")
            .target(id)
            .details(json!({
                "name": name, "product": product.key, "target_version": version, "targets": planned.len(),
                "waves": sizes, "selection": selection, "status": status,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// What a rollout form decided, once validated.
struct RolloutSettings {
    name: String,
    splits: Vec<u32>,
    thresholds: Thresholds,
    concurrency: u32,
    on_error: &'static str,
    start_at: Option<DateTime<Utc>>,
    requires_approval: bool,
}

/// A new rollout row: waiting for approval, or scheduled to start.
fn new_rollout(
    id: Uuid,
    scope: &str,
    product_id: Uuid,
    version: &str,
    selection: &str,
    settings: &RolloutSettings,
    principal: &Principal,
) -> rollout::ActiveModel {
    let now = Utc::now();
    rollout::ActiveModel {
        id: Set(id),
        name: Set(settings.name.clone()),
        scope: Set(scope.to_owned()),
        product_id: Set(product_id),
        target_version: Set(version.to_owned()),
        status: Set(if settings.requires_approval {
            PENDING_APPROVAL
        } else {
            SCHEDULED
        }
        .into()),
        selection: Set(selection.to_owned()),
        wave_splits: Set(settings
            .splits
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")),
        success_threshold: Set(settings.thresholds.success_percent as i32),
        error_threshold: Set(settings.thresholds.error_percent as i32),
        on_error: Set(settings.on_error.into()),
        concurrency: Set(settings.concurrency as i32),
        start_at: Set(settings.start_at),
        requires_approval: Set(settings.requires_approval),
        current_wave: Set(1),
        halt_reason: Set(None),
        created_by: Set(Some(principal.user_id)),
        creator_label: Set(principal.email.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
    }
}

fn default_if_empty<'a>(raw: &'a str, default: &'a str) -> &'a str {
    if raw.trim().is_empty() { default } else { raw }
}

fn selection_text(form: &RolloutForm) -> String {
    if !form.tenants.trim().is_empty() {
        return format!("tenants: {}", slugs(&form.tenants).join(", "));
    }
    let parts: Vec<String> = [
        ("plan", &form.plan),
        ("region", &form.region),
        ("label", &form.label),
        ("version", &form.current_version),
        ("compliance", &form.compliance_status),
    ]
    .iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| format!("{k}={}", v.trim()))
    .collect();
    if parts.is_empty() {
        "every active tenant licensing the product".into()
    } else {
        parts.join(", ")
    }
}

fn slugs(raw: &str) -> Vec<String> {
    raw.split([',', '\n', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Active tenants that license the product, do not run the target version
/// yet and match the selection, in slug order (stable plans).
async fn select_targets(
    db: &DatabaseConnection,
    product_id: Uuid,
    version: &str,
    form: &RolloutForm,
) -> ServiceResult<Vec<(Uuid, Option<String>)>> {
    let mut query = tenant_product::Entity::find()
        .filter(tenant_product::Column::ProductId.eq(product_id))
        .filter(
            tenant_product::Column::RunningVersion
                .ne(version)
                .or(tenant_product::Column::RunningVersion.is_null()),
        );
    let explicit = slugs(&form.tenants);
    let mut tenants = tenant::Entity::find().filter(tenant::Column::LifecycleState.eq("active"));
    if !explicit.is_empty() {
        tenants = tenants.filter(tenant::Column::Slug.is_in(explicit));
    } else {
        if !form.plan.trim().is_empty() {
            tenants = tenants.filter(tenant::Column::PlanCode.eq(form.plan.trim()));
        }
        if !form.region.trim().is_empty() {
            tenants = tenants.filter(tenant::Column::Region.eq(form.region.trim()));
        }
        if !form.label.trim().is_empty() {
            tenants = tenants.filter(crate::backend::db::contains_literally(
                (tenant::Entity, tenant::Column::Labels),
                &format!("\"{}\"", form.label.trim()),
            ));
        }
        if !form.current_version.trim().is_empty() {
            query = query
                .filter(tenant_product::Column::RunningVersion.eq(form.current_version.trim()));
        }
    }
    let eligible: HashMap<Uuid, String> = tenants
        .select_only()
        .column(tenant::Column::Id)
        .column(tenant::Column::Slug)
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut in_status: Option<std::collections::HashSet<Uuid>> = None;
    if explicit_is_empty(form) && !form.compliance_status.trim().is_empty() {
        in_status = Some(
            compliance_status::Entity::find()
                .filter(compliance_status::Column::ProductId.eq(product_id))
                .filter(compliance_status::Column::Status.eq(form.compliance_status.trim()))
                .select_only()
                .column(compliance_status::Column::TenantId)
                .into_tuple::<Uuid>()
                .all(db)
                .await?
                .into_iter()
                .collect(),
        );
    }
    let mut targets: Vec<(String, Uuid, Option<String>)> = query
        .all(db)
        .await?
        .into_iter()
        .filter(|tp| {
            in_status
                .as_ref()
                .is_none_or(|set| set.contains(&tp.tenant_id))
        })
        .filter_map(|tp| {
            eligible
                .get(&tp.tenant_id)
                .map(|slug| (slug.clone(), tp.tenant_id, tp.running_version))
        })
        .collect();
    targets.sort();
    Ok(targets.into_iter().map(|(_, id, v)| (id, v)).collect())
}

/// Places targets by an explicit wave plan (one line per wave): the first
/// line that matches a tenant decides its wave; tenants no line matches stay
/// out. Within a wave, plan order (slug) is kept.
async fn plan_by_rules(
    db: &DatabaseConnection,
    product_id: Uuid,
    raw: &str,
    targets: Vec<(Uuid, Option<String>)>,
) -> ServiceResult<Vec<(usize, Uuid, Option<String>)>> {
    let rules = parse_wave_rules(raw).map_err(|message| {
        let mut errors = FieldErrors::default();
        errors.push("wave_plan", message);
        ServiceError::Validation(errors)
    })?;
    let ids: Vec<Uuid> = targets.iter().map(|(id, _)| *id).collect();
    let mut facts: HashMap<Uuid, Candidate> = HashMap::new();
    for chunk in ids.chunks(500) {
        for t in tenant::Entity::find()
            .filter(tenant::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            facts.insert(
                t.id,
                Candidate {
                    slug: t.slug,
                    plan: t.plan_code,
                    region: t.region,
                    labels: serde_json::from_str(&t.labels).unwrap_or_default(),
                    version: None,
                    compliance: None,
                },
            );
        }
        for (tenant_id, status) in compliance_status::Entity::find()
            .filter(compliance_status::Column::ProductId.eq(product_id))
            .filter(compliance_status::Column::TenantId.is_in(chunk.to_vec()))
            .select_only()
            .column(compliance_status::Column::TenantId)
            .column(compliance_status::Column::Status)
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?
        {
            if let Some(c) = facts.get_mut(&tenant_id) {
                c.compliance = Some(status);
            }
        }
    }
    let candidates: Vec<Candidate> = targets
        .iter()
        .map(|(id, version)| {
            let mut c = facts.get(id).cloned().unwrap_or_default();
            c.version = version.clone();
            c
        })
        .collect();
    let mut planned: Vec<(usize, Uuid, Option<String>)> = assign_waves(&rules, &candidates)
        .into_iter()
        .zip(targets)
        .filter_map(|(wave, (id, version))| wave.map(|w| (w, id, version)))
        .collect();
    planned.sort_by_key(|(wave, _, _)| *wave);
    Ok(planned)
}

fn explicit_is_empty(form: &RolloutForm) -> bool {
    form.tenants.trim().is_empty()
}

/// Advances every rollout that is due (scheduler round).
pub async fn advance_all(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<()> {
    let ids: Vec<Uuid> = rollout::Entity::find()
        .filter(
            rollout::Column::Status
                .eq(RUNNING)
                .or(rollout::Column::Status.eq(SCHEDULED).and(
                    rollout::Column::StartAt
                        .is_null()
                        .or(rollout::Column::StartAt.lte(now)),
                )),
        )
        .select_only()
        .column(rollout::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for id in ids {
        let txn = db.begin().await?;
        advance(&txn, id, now).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// One controller step for one rollout, under its row lock (PostgreSQL) or
/// the single writer (SQLite), so two replicas never both start a target.
async fn advance(txn: &DatabaseTransaction, id: Uuid, now: DateTime<Utc>) -> ServiceResult<()> {
    let mut select = rollout::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    let Some(mut current) = select.one(txn).await? else {
        return Ok(());
    };
    if current.status == SCHEDULED {
        current.status = RUNNING.into();
        current.started_at = Some(now);
        rollout::Entity::update_many()
            .col_expr(rollout::Column::Status, RUNNING.into())
            .col_expr(rollout::Column::StartedAt, Some(now).into())
            .filter(rollout::Column::Id.eq(id))
            .exec(txn)
            .await?;
        system_audit(txn, "rollout.start", id, json!({})).await?;
    } else if current.status != RUNNING {
        return Ok(());
    } else if current.started_at.is_none() {
        // Paused (or approved) before it ever started: it starts now.
        rollout::Entity::update_many()
            .col_expr(rollout::Column::StartedAt, Some(now).into())
            .filter(rollout::Column::Id.eq(id))
            .exec(txn)
            .await?;
    }
    let waves = last_wave(txn, id).await?;
    let thresholds = Thresholds {
        success_percent: std::cmp::max(current.success_threshold, 0) as u32,
        error_percent: std::cmp::max(current.error_threshold, 0) as u32,
    };
    loop {
        let progress = wave_progress(txn, id, current.current_wave).await?;
        match wave_decision(current.current_wave as u32, &progress, &thresholds) {
            WaveDecision::Halt { reason } => {
                let status = if current.on_error == "stop" {
                    STOPPED
                } else {
                    PAUSED
                };
                let mut update = rollout::Entity::update_many()
                    .col_expr(rollout::Column::Status, status.into())
                    .col_expr(rollout::Column::HaltReason, Some(reason.clone()).into())
                    .col_expr(rollout::Column::UpdatedAt, now.into());
                if status == STOPPED {
                    update = update.col_expr(rollout::Column::FinishedAt, Some(now).into());
                }
                update.filter(rollout::Column::Id.eq(id)).exec(txn).await?;
                system_audit(
                    txn,
                    "rollout.halt",
                    id,
                    json!({ "reason": reason, "status": status }),
                )
                .await?;
                return Ok(());
            }
            WaveDecision::Advance if current.current_wave < waves => {
                current.current_wave += 1;
                rollout::Entity::update_many()
                    .col_expr(rollout::Column::CurrentWave, current.current_wave.into())
                    .col_expr(rollout::Column::UpdatedAt, now.into())
                    .filter(rollout::Column::Id.eq(id))
                    .exec(txn)
                    .await?;
                system_audit(
                    txn,
                    "rollout.wave_start",
                    id,
                    json!({ "wave": current.current_wave }),
                )
                .await?;
            }
            WaveDecision::Advance => {
                rollout::Entity::update_many()
                    .col_expr(rollout::Column::Status, SUCCEEDED.into())
                    .col_expr(rollout::Column::FinishedAt, Some(now).into())
                    .col_expr(rollout::Column::UpdatedAt, now.into())
                    .filter(rollout::Column::Id.eq(id))
                    .exec(txn)
                    .await?;
                system_audit(txn, "rollout.succeeded", id, json!({})).await?;
                return Ok(());
            }
            WaveDecision::Continue => {
                return start_targets(txn, &current, now).await;
            }
        }
    }
}

async fn last_wave(txn: &DatabaseTransaction, id: Uuid) -> ServiceResult<i32> {
    let max: Option<i32> = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(id))
        .select_only()
        .column_as(rollout_target::Column::Wave.max(), "w")
        .into_tuple()
        .one(txn)
        .await?
        .flatten();
    Ok(max.unwrap_or(1))
}

async fn wave_progress<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    wave: i32,
) -> ServiceResult<WaveProgress> {
    let counts: Vec<(String, i64)> = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(id))
        .filter(rollout_target::Column::Wave.eq(wave))
        .select_only()
        .column(rollout_target::Column::Status)
        .column_as(rollout_target::Column::Id.count(), "n")
        .group_by(rollout_target::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut progress = WaveProgress::default();
    for (status, n) in counts {
        let n = n as u32;
        progress.total += n;
        match status.as_str() {
            "succeeded" => progress.succeeded += n,
            "failed" => progress.failed += n,
            "running" => progress.running += n,
            _ => {}
        }
    }
    Ok(progress)
}

/// Starts pending targets of the current wave while fewer than `concurrency`
/// targets of the rollout run. Each start is a change request with its job,
/// written in this transaction.
async fn start_targets(
    txn: &DatabaseTransaction,
    current: &rollout::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let running = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(current.id))
        .filter(rollout_target::Column::Status.eq("running"))
        .count_rows(txn)
        .await?;
    let free = (std::cmp::max(current.concurrency, 1) as u64).saturating_sub(running);
    if free == 0 {
        return Ok(());
    }
    if current.scope == ENDPOINTS {
        // Endpoints install themselves: an assigned target is "running" until
        // its agent reports the result (GET/POST /api/v1/agents/assignments).
        let next: Vec<Uuid> = rollout_target::Entity::find()
            .filter(rollout_target::Column::RolloutId.eq(current.id))
            .filter(rollout_target::Column::Wave.eq(current.current_wave))
            .filter(rollout_target::Column::Status.eq("pending"))
            .order_by_asc(rollout_target::Column::Position)
            .limit(free)
            .select_only()
            .column(rollout_target::Column::Id)
            .into_tuple()
            .all(txn)
            .await?;
        rollout_target::Entity::update_many()
            .col_expr(rollout_target::Column::Status, "running".into())
            .col_expr(rollout_target::Column::StartedAt, Some(now).into())
            .filter(rollout_target::Column::Id.is_in(next))
            .exec(txn)
            .await?;
        return Ok(());
    }
    let next = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(current.id))
        .filter(rollout_target::Column::Wave.eq(current.current_wave))
        .filter(rollout_target::Column::Status.eq("pending"))
        .order_by_asc(rollout_target::Column::Position)
        .limit(free)
        .all(txn)
        .await?;
    if next.is_empty() {
        return Ok(());
    }
    let tenants: HashMap<Uuid, tenant::Model> = tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(next.iter().map(|t| t.tenant_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let actor = Actor::System("rollout");
    for target in next {
        let Some(found) = tenants.get(&target.tenant_id) else {
            continue;
        };
        let change = changes::insert(
            txn,
            &actor,
            NewChange {
                tenant: found.clone(),
                kind: ChangeKind::Upgrade,
                product_id: Some(current.product_id),
                target_version: Some(current.target_version.clone()),
                title: format!(
                    "Upgrade {} to {} (rollout {})",
                    found.slug, current.target_version, current.name
                ),
                status: ChangeStatus::Running,
                requires_approval: false,
                not_before: None,
                next_start: Some((
                    now,
                    format!("Wave {} of rollout {}", current.current_wave, current.name),
                )),
                rollout_id: Some(current.id),
                target_filter: None,
                by_vendor: true,
            },
        )
        .await?;
        rollout_target::Entity::update_many()
            .col_expr(rollout_target::Column::Status, "running".into())
            .col_expr(
                rollout_target::Column::ChangeRequestId,
                Some(change.id).into(),
            )
            .col_expr(rollout_target::Column::StartedAt, Some(now).into())
            .filter(rollout_target::Column::Id.eq(target.id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

trait CountRows {
    async fn count_rows<C: ConnectionTrait>(self, conn: &C) -> ServiceResult<u64>;
}

impl CountRows for sea_orm::Select<rollout_target::Entity> {
    async fn count_rows<C: ConnectionTrait>(self, conn: &C) -> ServiceResult<u64> {
        use sea_orm::PaginatorTrait;
        Ok(self.count(conn).await?)
    }
}

async fn system_audit(
    txn: &DatabaseTransaction,
    action: &'static str,
    id: Uuid,
    details: serde_json::Value,
) -> ServiceResult<()> {
    audit::record(
        txn,
        &RequestContext::default(),
        AuditEntry::new(Actor::System("rollout"), action, "rollout")
            .target(id)
            .details(details),
    )
    .await
}

/// Pause, resume, abort, retry failed targets, or approve before start.
pub async fn act(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
    action: &str,
) -> ServiceResult<()> {
    principal.require(if action == "approve" {
        Permission::UpdateApprove
    } else {
        Permission::UpdateExecute
    })?;
    let txn = db.begin().await?;
    let found = rollout::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if action == "approve" {
        if found.created_by == Some(principal.user_id) {
            return Err(ServiceError::Policy(
                "You created this rollout; someone else must approve it.".into(),
            ));
        }
    }
    let now = Utc::now();
    let RolloutMove {
        to: status,
        clears_halt: clears_reason,
    } = rollout_move(action, &found.status).map_err(|refusal| match refusal {
        Some(sentence) => ServiceError::Conflict(sentence),
        None => {
            let mut errors = FieldErrors::default();
            errors.push(
                "action",
                "Choose approve, pause, resume, abort or retry_failed.",
            );
            ServiceError::Validation(errors)
        }
    })?;
    if action == "retry_failed" {
        rollout_target::Entity::update_many()
            .col_expr(rollout_target::Column::Status, "pending".into())
            .col_expr(
                rollout_target::Column::ChangeRequestId,
                Option::<Uuid>::None.into(),
            )
            .filter(rollout_target::Column::RolloutId.eq(id))
            .filter(rollout_target::Column::Status.eq("failed"))
            .exec(&txn)
            .await?;
    }
    if action == "abort" {
        // Targets not started never will be; running ones finish their change.
        rollout_target::Entity::update_many()
            .col_expr(rollout_target::Column::Status, "skipped".into())
            .filter(rollout_target::Column::RolloutId.eq(id))
            .filter(rollout_target::Column::Status.eq("pending"))
            .exec(&txn)
            .await?;
    }
    let mut update = rollout::Entity::update_many()
        .col_expr(rollout::Column::Status, status.into())
        .col_expr(rollout::Column::UpdatedAt, now.into());
    if clears_reason {
        update = update.col_expr(rollout::Column::HaltReason, Option::<String>::None.into());
    }
    if status == ABORTED {
        update = update.col_expr(rollout::Column::FinishedAt, Some(now).into());
    }
    if action == "retry_failed" {
        update = update.col_expr(
            rollout::Column::FinishedAt,
            Option::<DateTime<Utc>>::None.into(),
        );
    }
    update.filter(rollout::Column::Id.eq(id)).exec(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), action_audit(action), "rollout")
            .target(id)
            .details(json!({ "before": found.status, "after": status })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn action_audit(action: &str) -> &'static str {
    match action {
        "approve" => "rollout.approve",
        "pause" => "rollout.pause",
        "resume" => "rollout.resume",
        "abort" => "rollout.abort",
        _ => "rollout.retry_failed",
    }
}

/// Counts of targets per rollout and status, for rows.
async fn target_counts<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, HashMap<String, u64>>> {
    let rows: Vec<(Uuid, String, i64)> = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.is_in(ids.to_vec()))
        .select_only()
        .column(rollout_target::Column::RolloutId)
        .column(rollout_target::Column::Status)
        .column_as(rollout_target::Column::Id.count(), "n")
        .group_by(rollout_target::Column::RolloutId)
        .group_by(rollout_target::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut counts: HashMap<Uuid, HashMap<String, u64>> = HashMap::new();
    for (id, status, n) in rows {
        counts.entry(id).or_default().insert(status, n as u64);
    }
    Ok(counts)
}

/// Rolled-back changes per rollout.
async fn rollbacks<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, u64>> {
    let rows: Vec<(Option<Uuid>, i64)> = change_request::Entity::find()
        .filter(change_request::Column::RolloutId.is_in(ids.to_vec()))
        .filter(change_request::Column::Status.eq(ChangeStatus::RolledBack.as_str()))
        .select_only()
        .column(change_request::Column::RolloutId)
        .column_as(change_request::Column::Id.count(), "n")
        .group_by(change_request::Column::RolloutId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n as u64)))
        .collect())
}

fn to_row(
    r: rollout::Model,
    products: &HashMap<Uuid, String>,
    counts: Option<&HashMap<String, u64>>,
    rolled_back: u64,
    waves: i32,
) -> RolloutRow {
    let get = |s: &str| counts.and_then(|c| c.get(s)).copied().unwrap_or(0);
    let (succeeded, failed, running) = (get("succeeded"), get("failed"), get("running"));
    let targets = counts.map(|c| c.values().sum()).unwrap_or(0);
    let finished = (succeeded + failed) as u32;
    RolloutRow {
        id: r.id,
        name: r.name,
        scope: r.scope,
        product_key: products.get(&r.product_id).cloned().unwrap_or_default(),
        target_version: r.target_version,
        status: r.status,
        targets,
        succeeded,
        failed,
        running,
        current_wave: r.current_wave,
        waves,
        halt_reason: r.halt_reason,
        creator: r.creator_label,
        created_at: r.created_at,
        start_at: r.start_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
        success_rate: success_rate(succeeded as u32, finished),
        rollback_rate: success_rate(rolled_back as u32, finished),
    }
}

async fn product_keys<C: ConnectionTrait>(conn: &C) -> ServiceResult<HashMap<Uuid, String>> {
    Ok(product::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.key))
        .collect())
}

async fn wave_counts<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, i32>> {
    let rows: Vec<(Uuid, Option<i32>)> = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.is_in(ids.to_vec()))
        .select_only()
        .column(rollout_target::Column::RolloutId)
        .column_as(rollout_target::Column::Wave.max(), "w")
        .group_by(rollout_target::Column::RolloutId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, w)| (id, w.unwrap_or(1)))
        .collect())
}

/// Every rollout, newest first. Rollouts span tenants: platform readers only.
pub async fn list(db: &DatabaseConnection, principal: &Principal) -> ServiceResult<RolloutList> {
    principal.require(Permission::TenantRead)?;
    let models = rollout::Entity::find()
        .order_by_desc(rollout::Column::CreatedAt)
        .limit(200)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = models.iter().map(|r| r.id).collect();
    let counts = target_counts(db, &ids).await?;
    let rolled = rollbacks(db, &ids).await?;
    let waves = wave_counts(db, &ids).await?;
    let products = product_keys(db).await?;
    let rows = models
        .into_iter()
        .map(|r| {
            let id = r.id;
            to_row(
                r,
                &products,
                counts.get(&id),
                rolled.get(&id).copied().unwrap_or(0),
                waves.get(&id).copied().unwrap_or(1),
            )
        })
        .collect();
    let product_options = product::Entity::find()
        .order_by_asc(product::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.key, p.name))
        .collect();
    Ok(RolloutList {
        rows,
        can_create: principal.require(Permission::UpdateExecute).is_ok(),
        products: product_options,
    })
}

pub async fn detail(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    page: u64,
) -> ServiceResult<RolloutDetail> {
    principal.require(Permission::TenantRead)?;
    let found = rollout::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let ids = [id];
    let counts = target_counts(db, &ids).await?;
    let rolled = rollbacks(db, &ids).await?;
    let total_waves = wave_counts(db, &ids).await?.get(&id).copied().unwrap_or(1);
    let mut waves = Vec::new();
    for number in 1..=total_waves {
        let p = wave_progress(db, id, number).await?;
        waves.push(WaveRow {
            number,
            total: p.total,
            succeeded: p.succeeded,
            failed: p.failed,
            running: p.running,
            pending: p.pending(),
        });
    }
    let page = std::cmp::max(page, 1);
    // Failed and running first: what an operator watches.
    let order = sea_orm::prelude::Expr::cust(
        "CASE status WHEN 'failed' THEN 0 WHEN 'running' THEN 1 ELSE 2 END",
    );
    let targets = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(id))
        .order_by(order, sea_orm::Order::Asc)
        .order_by_asc(rollout_target::Column::Position)
        .offset((page - 1) * TARGETS_PER_PAGE)
        .limit(TARGETS_PER_PAGE)
        .all(db)
        .await?;
    let slugs: HashMap<Uuid, String> = tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(targets.iter().map(|t| t.tenant_id)))
        .select_only()
        .column(tenant::Column::Id)
        .column(tenant::Column::Slug)
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let hosts: HashMap<Uuid, String> = endpoint::Entity::find()
        .filter(endpoint::Column::Id.is_in(targets.iter().filter_map(|t| t.endpoint_id)))
        .select_only()
        .column(endpoint::Column::Id)
        .column(endpoint::Column::Hostname)
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let targets = targets
        .into_iter()
        .map(|t| TargetRow {
            tenant_slug: slugs.get(&t.tenant_id).cloned().unwrap_or_default(),
            endpoint: t.endpoint_id.and_then(|id| hosts.get(&id).cloned()),
            attempts: t.attempts,
            message: t.message,
            wave: t.wave,
            status: t.status,
            from_version: t.from_version,
            change_request_id: t.change_request_id,
            last_error: t.last_error,
            finished_at: t.finished_at,
        })
        .collect();
    let can_execute = principal.require(Permission::UpdateExecute).is_ok();
    let can_approve = principal.require(Permission::UpdateApprove).is_ok()
        && found.created_by != Some(principal.user_id);
    let actions = offered_actions(&found.status)
        .into_iter()
        .filter(|action| {
            if *action == "approve" {
                can_approve
            } else {
                can_execute
            }
        })
        .map(str::to_owned)
        .collect();
    let products = product_keys(db).await?;
    Ok(RolloutDetail {
        selection: found.selection.clone(),
        wave_splits: found.wave_splits.clone(),
        success_threshold: found.success_threshold,
        error_threshold: found.error_threshold,
        on_error: found.on_error.clone(),
        concurrency: found.concurrency,
        rollout: to_row(
            found,
            &products,
            counts.get(&id),
            rolled.get(&id).copied().unwrap_or(0),
            total_waves,
        ),
        waves,
        targets,
        targets_page: page,
        targets_per_page: TARGETS_PER_PAGE,
        actions,
    })
}

/// Plans an endpoint rollout set-based: one `INSERT … SELECT` numbers the
/// matching endpoints (by tenant, then host name) and places each in its
/// wave, so 100,000 endpoints plan in one statement.
async fn plan_endpoints(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    form: &RolloutForm,
    product: &product::Model,
    version: &str,
    settings: &RolloutSettings,
) -> ServiceResult<Uuid> {
    let splits = &settings.splits;
    use sea_orm::{Statement, Value};
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![product.id.into(), version.to_owned().into()];
    let mut conditions = vec![
        "ep.product_id = $1".to_owned(),
        "ep.version <> $2".to_owned(),
        "t.lifecycle_state = 'active'".to_owned(),
    ];
    let bind = |values: &mut Vec<Value>, value: Value| {
        values.push(value);
        format!("${}", values.len())
    };
    let explicit = slugs(&form.tenants);
    if !explicit.is_empty() {
        let marks: Vec<String> = explicit
            .iter()
            .map(|s| bind(&mut values, s.clone().into()))
            .collect();
        conditions.push(format!("t.slug IN ({})", marks.join(", ")));
    } else {
        for (column, raw) in [
            ("t.plan_code", &form.plan),
            ("t.region", &form.region),
            ("ep.version", &form.current_version),
        ] {
            if !raw.trim().is_empty() {
                let mark = bind(&mut values, raw.trim().to_owned().into());
                conditions.push(format!("{column} = {mark}"));
            }
        }
        if !form.label.trim().is_empty() {
            let pattern = format!(
                "%\"{}\"%",
                crate::backend::db::escape_like(form.label.trim())
            );
            let mark = bind(&mut values, pattern.into());
            conditions.push(format!("t.labels LIKE {mark} ESCAPE '\\'"));
        }
        if !form.compliance_status.trim().is_empty() {
            let mark = bind(&mut values, form.compliance_status.trim().to_owned().into());
            conditions.push(format!(
                "t.id IN (SELECT tenant_id FROM compliance_status WHERE product_id = $1 AND status = {mark})"
            ));
        }
    }
    let from = format!(
        "FROM endpoint_products ep JOIN endpoints e ON e.id = ep.endpoint_id JOIN tenants t ON t.id = e.tenant_id WHERE {}",
        conditions.join(" AND ")
    );
    let count: i64 = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT COUNT(*) AS n {from}"),
            values.clone(),
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if count == 0 {
        let mut errors = FieldErrors::default();
        errors.push("tenants", "No endpoint matches: every matching endpoint already runs this version, or the filters exclude all.");
        return Err(errors.into());
    }
    let sizes = wave_sizes(count as usize, splits);
    let mut bounds = vec![];
    let mut total = 0;
    for (i, size) in sizes.iter().enumerate() {
        total += size;
        bounds.push(format!("WHEN n <= {total} THEN {}", i + 1));
    }
    let id = Uuid::new_v4();
    let new_id = match backend {
        DbBackend::Postgres => "gen_random_uuid()",
        _ => "randomblob(16)",
    };
    let rollout_mark = bind(&mut values, id.into());
    let insert = format!(
        "INSERT INTO rollout_targets (id, rollout_id, wave, position, tenant_id, endpoint_id, from_version, status, attempts) \
         SELECT {new_id}, {rollout_mark}, CASE {} ELSE {} END, n, tenant_id, endpoint_id, version, 'pending', 0 FROM \
         (SELECT e.tenant_id AS tenant_id, e.id AS endpoint_id, ep.version AS version, \
                 ROW_NUMBER() OVER (ORDER BY t.slug, e.hostname, e.id) AS n {from}) ranked",
        bounds.join(" "),
        sizes.len()
    );
    let selection = format!("endpoints of {}", selection_text(form));
    let txn = db.begin().await?;
    new_rollout(
        id, ENDPOINTS, product.id, version, &selection, settings, principal,
    )
    .insert(&txn)
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(backend, insert, values))
        .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "rollout.create", "rollout")
            .target(id)
            .details(json!({
                "name": form.name.trim(), "product": product.key, "target_version": version, "scope": ENDPOINTS,
                "targets": count, "waves": sizes, "selection": selection,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}
