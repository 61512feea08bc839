//! Health baselines for every tenant: each product the tenant runs has a
//! baseline (the product's checks, or the default), probed at the tenant's
//! own address. Runs are recorded with per-check results; failing runs in a
//! row make an active tenant broken, a passing run makes a broken one active.
//! The periodic validation claims due tenants by compare-and-set on
//! `health_next_at`, so several replicas never probe one tenant twice.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::columns::JsonText;
use crate::backend::context::{Clock, Ctx};
use crate::backend::db::scoped_read;
use crate::backend::entities::{
    product, tenant, tenant_health_day, tenant_health_run, tenant_product,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::executor::Executor;
use crate::backend::principal::Actor;
use crate::backend::services::changes::{running_lifecycle_change, set_tenant_state};
use crate::backend::services::deployments::baseline_checks;
use crate::backend::services::tenants::{log_field_change, resolve_tenant_id};
use crate::backend::traffic;
use crate::domain::access::permission::{Permission, Scope};
use crate::domain::deployments::health::{self as checks, HealthCheck};
use crate::domain::tenants::health::{
    CheckOutcome, RunTrigger, StateMove, TenantAddress, ValidationPolicy, daily_pass_rates,
    failing_text, is_watched, judge_run, next_due,
};
use crate::domain::tenants::lifecycle::LifecycleState;
use crate::domain::validation::FieldErrors;
use crate::model::tenants::health::{HealthRunRow, TenantHealth};

/// Detailed runs kept per tenant; older ones live on only in the daily counts.
pub const RUNS_KEPT: u64 = 50;
/// Runs the Health tab lists.
const RUNS_SHOWN: u64 = 20;
/// Days the pass-rate chart covers.
pub const CHART_DAYS: u32 = 30;

/// The tenant's health: address, state, the last runs and 30 days of pass rates.
pub async fn view(
    ctx: &Ctx,
    reference: &str,
    policy: &ValidationPolicy,
) -> ServiceResult<TenantHealth> {
    let (tenant_id, _) = resolve_tenant_id(ctx, reference).await?;
    let txn = scoped_read(
        &ctx.reads,
        &ctx.principal.tenant_scope(Permission::TenantRead),
    )
    .await?;
    let t = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let checks = tenant_checks(&txn, tenant_id)
        .await?
        .into_iter()
        .map(|(product, check)| {
            let target = check.suite_step().unwrap_or(check.path);
            (product, check.name, target)
        })
        .collect();
    let runs = tenant_health_run::Entity::find()
        .filter(tenant_health_run::Column::TenantId.eq(tenant_id))
        .order_by_desc(tenant_health_run::Column::At)
        .limit(RUNS_SHOWN)
        .all(&txn)
        .await?
        .into_iter()
        .map(run_row)
        .collect();
    let today = ctx.now().date_naive();
    let first = today - chrono::Duration::days(i64::from(CHART_DAYS) - 1);
    let counted = tenant_health_day::Entity::find()
        .filter(tenant_health_day::Column::TenantId.eq(tenant_id))
        .filter(tenant_health_day::Column::Day.gte(first.to_string()))
        .all(&txn)
        .await?;
    txn.commit().await?;
    let mut days = daily_pass_rates(std::iter::empty(), today, CHART_DAYS);
    for count in counted {
        if let Some(day) = days.iter_mut().find(|d| d.day.to_string() == count.day) {
            day.runs = count.runs.max(0) as u32;
            day.passed = count.passed.max(0) as u32;
        }
    }
    let (runs_total, passed_total) = days
        .iter()
        .fold((0u32, 0u32), |(r, p), d| (r + d.runs, p + d.passed));
    Ok(TenantHealth {
        tenant_id,
        slug: t.slug,
        state: t.lifecycle_state,
        state_reason: t.state_reason,
        watched: t.base_url.is_some() && is_watched(t.lifecycle_state),
        base_url: t.base_url,
        consecutive_failures: t.health_failures.max(0) as u32,
        failures_to_break: policy.failures_to_break,
        next_run_at: t.health_next_at,
        checks,
        runs,
        days,
        pass_rate: (runs_total > 0).then(|| passed_total * 100 / runs_total),
    })
}

/// Sets (or, with an empty text, clears) the address the tenant's checks
/// are probed at. The server calls it, so only the vendor may set it, and
/// only to an outbound URL; the first run is due at once.
pub async fn set_address(ctx: &Ctx, reference: &str, raw: &str) -> ServiceResult<()> {
    let principal = &ctx.principal;
    if !principal.can(Permission::TenantManage, Scope::Platform) {
        return Err(ServiceError::Refused(
            "Only the vendor sets where a tenant is probed; ask your vendor to change it.".into(),
        ));
    }
    let (tenant_id, _) = resolve_tenant_id(ctx, reference).await?;
    let address = match raw.trim() {
        "" => None,
        given => Some(TenantAddress::parse(given).map_err(|problem| {
            let mut errors = FieldErrors::default();
            errors.push("base_url", problem);
            ServiceError::Validation(errors)
        })?),
    };
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let current = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let new = address.as_ref().map(|a| a.as_str().to_owned());
    if current.base_url == new {
        return Ok(());
    }
    tenant::Entity::update_many()
        .col_expr(tenant::Column::BaseUrl, new.clone().into())
        .col_expr(tenant::Column::HealthFailures, 0.into())
        .col_expr(
            tenant::Column::HealthNextAt,
            new.as_ref().map(|_| now).into(),
        )
        .filter(tenant::Column::Id.eq(tenant_id))
        .exec(&txn)
        .await?;
    let actor = Actor::from(principal);
    log_field_change(
        &txn,
        tenant_id,
        "base_url",
        current.base_url.as_deref(),
        new.as_deref(),
        &actor,
        now,
    )
    .await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(actor, "tenant.address_set", "tenant")
            .target(tenant_id)
            .tenant(tenant_id)
            .details(json!({ "from": current.base_url, "to": new })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Runs the tenant's baselines now (the Health tab's "Run now").
pub async fn run_now(
    ctx: &Ctx,
    reference: &str,
    policy: &ValidationPolicy,
    executor: &dyn Executor,
) -> ServiceResult<HealthRunRow> {
    let (tenant_id, _) = resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantManage, tenant_id)?;
    let t = tenant::Entity::find_by_id(tenant_id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let Some(address) = t.base_url.clone() else {
        return Err(ServiceError::Conflict(
            "This tenant has no address to probe yet; the vendor sets it on the Health tab.".into(),
        ));
    };
    probe_and_record(
        &ctx.db,
        executor,
        &t,
        &address,
        RunTrigger::Manual,
        policy,
        ctx.clock.as_ref(),
        Some((&ctx.request, Actor::from(&ctx.principal))),
    )
    .await
}

/// A change's health step: when the tenant has an address, its baseline
/// runs there (recorded like any run; the change, not the run, decides what
/// happens to the tenant). `Ok` is the summary for the step log, `Err` the
/// failing checks; `None` when there is no address to probe.
pub(crate) async fn run_for_change(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    clock: &dyn Clock,
    executor: &dyn Executor,
) -> ServiceResult<Option<Result<String, String>>> {
    let Some(address) = tenant.base_url.clone() else {
        return Ok(None);
    };
    let run = probe_and_record(
        db,
        executor,
        tenant,
        &address,
        RunTrigger::Change,
        &ValidationPolicy::default(),
        clock,
        None,
    )
    .await?;
    Ok(Some(if run.passed {
        Ok(format!(
            "Health baseline at {address}: all {} checks passed in {} ms.",
            run.results.len(),
            run.duration_ms
        ))
    } else {
        Err(format!(
            "Health baseline at {address} failed: {}",
            failing_text(&run.results)
        ))
    }))
}

/// What one round of the periodic validation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub probed: usize,
    pub failed: usize,
    /// Tenants another replica claimed first.
    pub skipped: usize,
}

/// Probes every watched tenant that is due when the round starts, at most
/// `policy.concurrency` at a time. Tenants that come due during the round
/// wait for the next one, so a round always ends (and is logged) even when
/// the fleet outpaces the probes.
pub async fn validate_due(
    db: &DatabaseConnection,
    policy: &ValidationPolicy,
    clock: Arc<dyn Clock>,
    executor: Arc<dyn Executor>,
) -> ServiceResult<SweepReport> {
    let mut report = SweepReport::default();
    let batch = (policy.concurrency.max(1) * 16) as u64;
    let now = clock.now();
    loop {
        let due: Vec<(Uuid, String, Option<DateTime<Utc>>)> = tenant::Entity::find()
            .select_only()
            .column(tenant::Column::Id)
            .column(tenant::Column::BaseUrl)
            .column(tenant::Column::HealthNextAt)
            .filter(tenant::Column::BaseUrl.is_not_null())
            .filter(tenant::Column::LifecycleState.is_in(watched_states()))
            .filter(due_by(now))
            .order_by_asc(tenant::Column::HealthNextAt)
            .limit(batch)
            .into_tuple::<(Uuid, Option<String>, Option<DateTime<Utc>>)>()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(id, url, at)| url.map(|u| (id, u, at)))
            .collect();
        if due.is_empty() {
            return Ok(report);
        }
        let limit = Arc::new(tokio::sync::Semaphore::new(policy.concurrency.max(1)));
        let mut probes = tokio::task::JoinSet::new();
        for (tenant_id, address, _) in due {
            let next = next_due(clock.now(), policy, rand::random::<f64>());
            // The claim: whoever moves the due time forward probes the tenant.
            let claimed = tenant::Entity::update_many()
                .col_expr(tenant::Column::HealthNextAt, next.into())
                .filter(tenant::Column::Id.eq(tenant_id))
                .filter(due_by(now))
                .exec(db)
                .await?
                .rows_affected
                == 1;
            if !claimed {
                report.skipped += 1;
                continue;
            }
            let permit = limit.clone().acquire_owned().await.expect("semaphore open");
            let (db, policy, clock) = (db.clone(), *policy, clock.clone());
            let executor = executor.clone();
            probes.spawn(async move {
                let _permit = permit;
                let Some(t) = tenant::Entity::find_by_id(tenant_id).one(&db).await? else {
                    return Err(ServiceError::NotFound);
                };
                probe_and_record(
                    &db,
                    executor.as_ref(),
                    &t,
                    &address,
                    RunTrigger::Scheduled,
                    &policy,
                    clock.as_ref(),
                    None,
                )
                .await
            });
        }
        while let Some(done) = probes.join_next().await {
            match done {
                Ok(Ok(run)) => {
                    report.probed += 1;
                    report.failed += usize::from(!run.passed);
                }
                Ok(Err(err)) => tracing::warn!(error = %err, "health run not recorded"),
                Err(err) => tracing::warn!(error = %err, "health probe task failed"),
            }
        }
    }
}

/// Tenants never probed, or whose next run is due by `now`.
fn due_by(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(tenant::Column::HealthNextAt.is_null())
        .add(tenant::Column::HealthNextAt.lte(now))
}

fn watched_states() -> Vec<&'static str> {
    LifecycleState::ALL
        .into_iter()
        .filter(|s| is_watched(*s))
        .map(LifecycleState::as_str)
        .collect()
}

/// Every check the tenant's products ask for: each product's baseline (or
/// the default), or the default alone for a tenant that runs none yet.
async fn tenant_checks<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<Vec<(String, HealthCheck)>> {
    let product_ids: Vec<Uuid> = tenant_product::Entity::find()
        .filter(tenant_product::Column::TenantId.eq(tenant_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|tp| tp.product_id)
        .collect();
    if product_ids.is_empty() {
        return Ok(checks::default_checks()
            .into_iter()
            .map(|c| ("tenant".to_owned(), c))
            .collect());
    }
    let products = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids))
        .order_by_asc(product::Column::Key)
        .all(conn)
        .await?;
    let mut all = Vec::new();
    for p in products {
        for check in baseline_checks(conn, p.id).await? {
            all.push((p.key.clone(), check));
        }
    }
    Ok(all)
}

/// Probes the tenant's checks at `address`: each check's outcome and how
/// long the whole run took.
async fn probe(
    db: &DatabaseConnection,
    executor: &dyn Executor,
    subject: &tenant::Model,
    address: &str,
    run_key: String,
    correlation_id: String,
) -> ServiceResult<(Vec<CheckOutcome>, i64)> {
    let checks = tenant_checks(db, subject.id).await?;
    let target = traffic::BaselineTarget {
        address,
        tenant_slug: &subject.slug,
        tenant_labels: &subject.labels.0,
        run_key,
        correlation_id,
        simulated: None,
    };
    let started = Instant::now();
    let only_checks: Vec<HealthCheck> = checks.iter().map(|(_, c)| c.clone()).collect();
    let outcomes: Vec<CheckOutcome> = traffic::run_checks(executor, &target, &only_checks)
        .await
        .into_iter()
        .zip(&checks)
        .map(|((result, duration_ms), (product, _))| CheckOutcome {
            product: product.clone(),
            name: result.name,
            passed: result.passed,
            detail: result.detail,
            duration_ms,
        })
        .collect();
    Ok((outcomes, started.elapsed().as_millis() as i64))
}

/// Runs the tenant's health baseline at an address that is not where the
/// tenant serves (a migration's target, a restore test's scratch target):
/// the verdict goes to the step log only — the tenant's own health history
/// and failure streak describe the running tenant, which this did not probe.
pub(crate) async fn run_elsewhere(
    db: &DatabaseConnection,
    subject: &tenant::Model,
    address: &str,
    executor: &dyn Executor,
) -> ServiceResult<Result<String, String>> {
    let run_id = Uuid::new_v4();
    let (outcomes, duration_ms) = probe(
        db,
        executor,
        subject,
        address,
        format!("health:{}:{run_id}", subject.id),
        format!("health:{run_id}"),
    )
    .await?;
    Ok(if outcomes.iter().all(|o| o.passed) {
        Ok(format!(
            "Health baseline at {address}: all {} checks passed in {duration_ms} ms.",
            outcomes.len()
        ))
    } else {
        Err(format!(
            "Health baseline at {address} failed: {}",
            failing_text(&outcomes)
        ))
    })
}

/// Probes the tenant's checks at `address`, then records the run and what
/// it does to the tenant's state in one transaction (with the audit record
/// of the person who asked for it, when someone did).
#[allow(clippy::too_many_arguments)]
async fn probe_and_record(
    db: &DatabaseConnection,
    executor: &dyn Executor,
    subject: &tenant::Model,
    address: &str,
    trigger: RunTrigger,
    policy: &ValidationPolicy,
    clock: &dyn Clock,
    asked_by: Option<(&RequestContext, Actor)>,
) -> ServiceResult<HealthRunRow> {
    let tenant_id = subject.id;
    let run_id = Uuid::new_v4();
    let correlation_id = asked_by
        .as_ref()
        .and_then(|(context, _)| context.request_id.clone())
        .unwrap_or_else(|| format!("health:{run_id}"));
    let (outcomes, duration_ms) = probe(
        db,
        executor,
        subject,
        address,
        format!("health:{tenant_id}:{run_id}"),
        correlation_id,
    )
    .await?;
    let now = clock.now();
    let txn = db.begin().await?;
    let current = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // During a change (its health step, or a lifecycle move under way) the
    // run is counted, but the state is the change's to decide.
    let moving = trigger == RunTrigger::Change
        || current.requested_state.is_some()
        || running_lifecycle_change(&txn, tenant_id).await?.is_some();
    let verdict = judge_run(
        current.lifecycle_state,
        moving,
        current.health_failures.max(0) as u32,
        &outcomes,
        policy.failures_to_break,
    );
    let passed = verdict.consecutive_failures == 0;
    crate::backend::metrics::health_run(trigger.as_str(), passed);
    let run = tenant_health_run::ActiveModel {
        id: Set(run_id),
        tenant_id: Set(tenant_id),
        at: Set(now),
        trigger: Set(trigger.as_str().to_owned()),
        passed: Set(passed),
        duration_ms: Set(duration_ms),
        results: Set(JsonText(outcomes)),
    }
    .insert(&txn)
    .await?;
    if let Some((context, actor)) = asked_by {
        audit::record(
            &txn,
            context,
            AuditEntry::new(actor, "tenant.health_run", "tenant")
                .target(tenant_id)
                .tenant(tenant_id)
                .details(json!({ "run": run.id, "passed": passed })),
        )
        .await?;
    }
    count_day(&txn, tenant_id, now, passed).await?;
    prune_runs(&txn, tenant_id).await?;
    tenant::Entity::update_many()
        .col_expr(
            tenant::Column::HealthFailures,
            (verdict.consecutive_failures.min(i32::MAX as u32) as i32).into(),
        )
        .filter(tenant::Column::Id.eq(tenant_id))
        .exec(&txn)
        .await?;
    let context = RequestContext::default();
    match verdict.state_move {
        StateMove::Stay => {}
        StateMove::Break(reason) => {
            set_tenant_state(
                &txn,
                &current,
                LifecycleState::Broken,
                None,
                Some(&reason),
                now,
            )
            .await?;
            audit::record(
                &txn,
                &context,
                AuditEntry::new(Actor::System("health"), "tenant.health_broken", "tenant")
                    .target(tenant_id)
                    .tenant(tenant_id)
                    .details(json!({ "run": run.id, "reason": reason })),
            )
            .await?;
            tracing::warn!(tenant = %current.slug, %reason, "tenant broken by its health baseline");
        }
        StateMove::Recover => {
            set_tenant_state(&txn, &current, LifecycleState::Active, None, None, now).await?;
            audit::record(
                &txn,
                &context,
                AuditEntry::new(Actor::System("health"), "tenant.health_recovered", "tenant")
                    .target(tenant_id)
                    .tenant(tenant_id)
                    .details(json!({ "run": run.id, "was": current.state_reason })),
            )
            .await?;
            tracing::info!(tenant = %current.slug, "tenant healthy again");
        }
    }
    txn.commit().await?;
    Ok(run_row(run))
}

/// Adds the run to its day's counts.
async fn count_day<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    at: DateTime<Utc>,
    passed: bool,
) -> ServiceResult<()> {
    // Scoped here: the trait's `max`/`min` would shadow the integers' elsewhere.
    use sea_orm::sea_query::ExprTrait;
    let passed = i32::from(passed);
    tenant_health_day::Entity::insert(tenant_health_day::ActiveModel {
        tenant_id: Set(tenant_id),
        day: Set(at.date_naive().to_string()),
        runs: Set(1),
        passed: Set(passed),
    })
    .on_conflict(
        OnConflict::columns([
            tenant_health_day::Column::TenantId,
            tenant_health_day::Column::Day,
        ])
        .value(
            tenant_health_day::Column::Runs,
            Expr::col((tenant_health_day::Entity, tenant_health_day::Column::Runs)).add(1),
        )
        .value(
            tenant_health_day::Column::Passed,
            Expr::col((tenant_health_day::Entity, tenant_health_day::Column::Passed)).add(passed),
        )
        .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

/// Keeps the newest [`RUNS_KEPT`] runs of the tenant.
async fn prune_runs<C: ConnectionTrait>(conn: &C, tenant_id: Uuid) -> ServiceResult<()> {
    let oldest_kept: Option<DateTime<Utc>> = tenant_health_run::Entity::find()
        .select_only()
        .column(tenant_health_run::Column::At)
        .filter(tenant_health_run::Column::TenantId.eq(tenant_id))
        .order_by_desc(tenant_health_run::Column::At)
        .offset(RUNS_KEPT - 1)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    if let Some(oldest_kept) = oldest_kept {
        tenant_health_run::Entity::delete_many()
            .filter(tenant_health_run::Column::TenantId.eq(tenant_id))
            .filter(tenant_health_run::Column::At.lt(oldest_kept))
            .exec(conn)
            .await?;
    }
    Ok(())
}

fn run_row(run: tenant_health_run::Model) -> HealthRunRow {
    HealthRunRow {
        id: run.id,
        at: run.at,
        trigger: RunTrigger::parse(&run.trigger).unwrap_or(RunTrigger::Scheduled),
        passed: run.passed,
        duration_ms: run.duration_ms,
        results: run.results.0,
    }
}
