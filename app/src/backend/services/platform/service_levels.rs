//! Service levels: the vendor's targets (stored, audited), each tenant's
//! availability over 30 days from its health runs, and the portal API's
//! p95 latency and error rate over the last hour from the same recording
//! that feeds `tenantry_http_request_duration_seconds`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{slo_target, tenant, tenant_health_day};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::domain::access::permission::Permission;
use crate::domain::platform::slo::{SloTargets, SloVerdict, WINDOW_MINUTES, availability_percent};
use crate::domain::tenants::lifecycle::LifecycleState;
use crate::model::platform::service_levels::{
    ApiFigures, ServiceLevels, SloTargetsForm, TenantAvailability,
};

/// Days a tenant's availability covers.
pub const AVAILABILITY_DAYS: u32 = 30;
/// The one row of targets.
const VENDOR: &str = "vendor";
/// Tenants listed under their target on the page.
const BELOW_TARGET_SHOWN: usize = 50;

/// The vendor's targets, and when they were set (`None`: the defaults).
pub async fn targets<C: ConnectionTrait>(
    conn: &C,
) -> ServiceResult<(SloTargets, Option<DateTime<Utc>>)> {
    Ok(
        match slo_target::Entity::find_by_id(VENDOR).one(conn).await? {
            Some(row) => (
                SloTargets {
                    availability_percent: row.availability_percent,
                    api_p95_ms: row.api_p95_ms.max(1) as u32,
                    api_error_percent: row.api_error_percent,
                },
                Some(row.updated_at),
            ),
            None => (SloTargets::default(), None),
        },
    )
}

/// Runs and passing runs per tenant over the `AVAILABILITY_DAYS` up to
/// `today` (only `tenants`, when given).
pub async fn availability_counts<C: ConnectionTrait>(
    conn: &C,
    today: NaiveDate,
    tenants: Option<Vec<Uuid>>,
) -> ServiceResult<HashMap<Uuid, (u64, u64)>> {
    let first = today - chrono::Duration::days(i64::from(AVAILABILITY_DAYS) - 1);
    let mut select = tenant_health_day::Entity::find()
        .filter(tenant_health_day::Column::Day.gte(first.to_string()))
        .filter(tenant_health_day::Column::Day.lte(today.to_string()));
    if let Some(ids) = tenants {
        select = select.filter(tenant_health_day::Column::TenantId.is_in(ids));
    }
    let rows: Vec<(Uuid, Option<i64>, Option<i64>)> = select
        .select_only()
        .column(tenant_health_day::Column::TenantId)
        .column_as(tenant_health_day::Column::Runs.sum(), "runs")
        .column_as(tenant_health_day::Column::Passed.sum(), "passed")
        .group_by(tenant_health_day::Column::TenantId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, runs, passed)| {
            (
                id,
                (
                    runs.unwrap_or(0).max(0) as u64,
                    passed.unwrap_or(0).max(0) as u64,
                ),
            )
        })
        .collect())
}

/// The API's figures of the last hour on this replica against the targets.
pub fn api_figures(targets: &SloTargets) -> ApiFigures {
    let window = crate::backend::metrics::api_window();
    let p95_ms = window.quantile_ms(0.95);
    let error_percent = window.error_percent();
    ApiFigures {
        window_minutes: WINDOW_MINUTES as u32,
        requests: window.requests,
        server_errors: window.server_errors,
        p50_ms: window.quantile_ms(0.5),
        p95_ms,
        error_percent,
        p95_verdict: SloVerdict::under(p95_ms, f64::from(targets.api_p95_ms)),
        error_verdict: SloVerdict::under(error_percent, targets.api_error_percent),
    }
}

/// The Service levels page and `GET /api/v1/service-levels`: the vendor's
/// people only (platform `report.read`).
pub async fn view(ctx: &Ctx) -> ServiceResult<ServiceLevels> {
    ctx.principal.require(Permission::ReportRead)?;
    let (targets, targets_set_at) = targets(&ctx.reads).await?;
    let counts = availability_counts(&ctx.reads, ctx.now().date_naive(), None).await?;
    // Tenants that run software are held to the target; a draft or an
    // archived tenant is not serving anyone.
    let serving: Vec<(Uuid, String, String, String, String)> = tenant::Entity::find()
        .filter(
            tenant::Column::LifecycleState.is_in(
                LifecycleState::ALL
                    .into_iter()
                    .filter(|s| s.runs_software()),
            ),
        )
        .select_only()
        .columns([
            tenant::Column::Id,
            tenant::Column::Slug,
            tenant::Column::DisplayName,
            tenant::Column::Region,
            tenant::Column::PlanCode,
        ])
        .into_tuple()
        .all(&ctx.reads)
        .await?;
    let mut rows: Vec<TenantAvailability> = serving
        .into_iter()
        .map(|(tenant_id, slug, display_name, region, plan_code)| {
            let (runs, passed) = counts.get(&tenant_id).copied().unwrap_or((0, 0));
            let percent = availability_percent(runs, passed);
            TenantAvailability {
                tenant_id,
                slug,
                display_name,
                region,
                plan_code,
                runs,
                passed,
                percent,
                verdict: SloVerdict::at_least(percent, targets.availability_percent),
            }
        })
        .collect();
    let count = |v: SloVerdict| rows.iter().filter(|r| r.verdict == v).count() as u64;
    let (tenants_met, tenants_missed, tenants_without_runs) = (
        count(SloVerdict::Met),
        count(SloVerdict::Missed),
        count(SloVerdict::NoData),
    );
    rows.retain(|r| r.verdict != SloVerdict::Met);
    // Missed first, worst first; then those without runs, by slug.
    rows.sort_by(|a, b| {
        let key = |r: &TenantAvailability| r.percent.unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b)).then_with(|| a.slug.cmp(&b.slug))
    });
    rows.truncate(BELOW_TARGET_SHOWN);
    Ok(ServiceLevels {
        api: api_figures(&targets),
        targets,
        targets_set_at,
        availability_days: AVAILABILITY_DAYS,
        tenants_met,
        tenants_missed,
        tenants_without_runs,
        below_target: rows,
        may_configure: ctx.principal.require(Permission::SettingsManage).is_ok(),
    })
}

/// Sets the vendor's targets (platform `settings.manage`; audited).
pub async fn save_targets(ctx: &Ctx, form: &SloTargetsForm) -> ServiceResult<SloTargets> {
    ctx.principal.require(Permission::SettingsManage)?;
    let targets = SloTargets::parse(
        &form.availability_percent,
        &form.api_p95_ms,
        &form.api_error_percent,
    )
    .map_err(ServiceError::Validation)?;
    let (before, _) = self::targets(&ctx.db).await?;
    let txn = ctx.db.begin().await?;
    slo_target::Entity::insert(slo_target::ActiveModel {
        scope: Set(VENDOR.to_owned()),
        availability_percent: Set(targets.availability_percent),
        api_p95_ms: Set(targets.api_p95_ms as i32),
        api_error_percent: Set(targets.api_error_percent),
        updated_at: Set(ctx.now()),
        updated_by: Set(Some(ctx.principal.user_id)),
    })
    .on_conflict(
        OnConflict::column(slo_target::Column::Scope)
            .update_columns([
                slo_target::Column::AvailabilityPercent,
                slo_target::Column::ApiP95Ms,
                slo_target::Column::ApiErrorPercent,
                slo_target::Column::UpdatedAt,
                slo_target::Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(
            Actor::from(&ctx.principal),
            "slo.targets_set",
            "slo_targets",
        )
        .target(VENDOR)
        .details(json!({ "before": before, "after": targets })),
    )
    .await?;
    txn.commit().await?;
    Ok(targets)
}
