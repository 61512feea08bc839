//! The organisation view: every tenant the viewer reads that runs software,
//! ranked by trouble (broken, failing health, failed or rolled-back changes,
//! out of compliance, availability under target), filtered by region and
//! plan. Four grouped reads whatever the fleet's size; the ranking itself is
//! the domain's.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::backend::context::Ctx;
use crate::backend::db::scoped_read;
use crate::backend::entities::{change_request, compliance_status, tenant};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::services::platform::service_levels::{availability_counts, targets};
use crate::domain::access::permission::{Permission, TenantScope};
use crate::domain::changes::change::ChangeStatus;
use crate::domain::platform::slo::availability_percent;
use crate::domain::releases::compliance::ComplianceKind;
use crate::domain::tenants::lifecycle::LifecycleState;
use crate::domain::tenants::trouble::{TroubleFacts, TroubleReason, assess};
use crate::domain::validation::{FieldErrors, check_paging};
use crate::model::tenants::trouble::{TroubleCounts, TroublePage, TroubleQuery, TroubleRow};

const PER_PAGE: u64 = 25;
/// How far back a failed change (not since followed by a success) counts.
pub const CHANGE_LOOKBACK_DAYS: i64 = 30;

type TenantFacts = (Uuid, String, String, String, String, LifecycleState, i32);

pub async fn ranked(ctx: &Ctx, query: &TroubleQuery) -> ServiceResult<TroublePage> {
    let scope = ctx.principal.tenant_scope(Permission::TenantRead);
    if scope.is_empty() {
        return Err(ServiceError::Forbidden);
    }
    let mut errors = FieldErrors::default();
    check_paging(&mut errors, query.page, query.per_page, 100);
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(PER_PAGE);
    let now = ctx.now();
    let (targets, _) = targets(&ctx.reads).await?;
    let txn = scoped_read(&ctx.reads, &scope).await?;
    let mut select = tenant::Entity::find().filter(
        tenant::Column::LifecycleState.is_in(
            LifecycleState::ALL
                .into_iter()
                .filter(|s| s.runs_software()),
        ),
    );
    if let TenantScope::Only(ids) = &scope {
        select = select.filter(tenant::Column::Id.is_in(ids.clone()));
    }
    let tenants: Vec<TenantFacts> = select
        .select_only()
        .columns([
            tenant::Column::Id,
            tenant::Column::Slug,
            tenant::Column::DisplayName,
            tenant::Column::Region,
            tenant::Column::PlanCode,
            tenant::Column::LifecycleState,
            tenant::Column::HealthFailures,
        ])
        .order_by_asc(tenant::Column::Slug)
        .into_tuple()
        .all(&txn)
        .await?;
    let mut regions: Vec<String> = tenants.iter().map(|t| t.3.clone()).collect();
    let mut plans: Vec<String> = tenants.iter().map(|t| t.4.clone()).collect();
    for list in [&mut regions, &mut plans] {
        list.sort();
        list.dedup();
    }
    let wanted = |value: &str, filter: &Option<String>| {
        filter
            .as_deref()
            .map(str::trim)
            .is_none_or(|f| f.is_empty() || f == value)
    };
    let tenants: Vec<TenantFacts> = tenants
        .into_iter()
        .filter(|t| wanted(&t.3, &query.region) && wanted(&t.4, &query.plan))
        .collect();
    let worst = worst_compliance(&txn).await?;
    let failed = failed_changes(&txn, now).await?;
    let availability = availability_counts(&txn, now.date_naive(), None).await?;
    txn.commit().await?;

    let mut counts = TroubleCounts {
        considered: tenants.len() as u64,
        ..TroubleCounts::default()
    };
    let mut rows: Vec<TroubleRow> = tenants
        .into_iter()
        .filter_map(
            |(id, slug, display_name, region, plan_code, state, failures)| {
                let percent = availability
                    .get(&id)
                    .and_then(|(runs, passed)| availability_percent(*runs, *passed));
                let trouble = assess(
                    &TroubleFacts {
                        state,
                        health_failures: failures.max(0) as u32,
                        failed_changes: failed.get(&id).copied().unwrap_or(0),
                        worst_compliance: worst.get(&id).copied(),
                        availability: percent,
                    },
                    targets.availability_percent,
                );
                if trouble.score == 0 {
                    return None;
                }
                for reason in &trouble.reasons {
                    match reason {
                        TroubleReason::Broken => counts.broken += 1,
                        TroubleReason::HealthFailing { .. } => counts.health_failing += 1,
                        TroubleReason::ChangesFailed { .. } => counts.changes_failed += 1,
                        TroubleReason::OutOfCompliance { .. } => counts.out_of_compliance += 1,
                        TroubleReason::BelowAvailability { .. } => counts.below_availability += 1,
                    }
                }
                Some(TroubleRow {
                    tenant_id: id,
                    slug,
                    display_name,
                    region,
                    plan_code,
                    state,
                    availability: percent,
                    trouble,
                })
            },
        )
        .collect();
    counts.in_trouble = rows.len() as u64;
    rows.sort_by(|a, b| {
        b.trouble
            .score
            .cmp(&a.trouble.score)
            .then_with(|| a.slug.cmp(&b.slug))
    });
    let rows = rows
        .into_iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .collect();
    Ok(TroublePage {
        rows,
        counts,
        page,
        per_page,
        regions,
        plans,
        availability_target: targets.availability_percent,
    })
}

/// The worst compliance status per tenant over the products it runs.
async fn worst_compliance<C: ConnectionTrait>(
    conn: &C,
) -> ServiceResult<HashMap<Uuid, ComplianceKind>> {
    let rows: Vec<(Uuid, Option<i32>)> = compliance_status::Entity::find()
        .select_only()
        .column(compliance_status::Column::TenantId)
        .column_as(compliance_status::Column::Severity.min(), "worst")
        .group_by(compliance_status::Column::TenantId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, worst)| {
            let kind = ComplianceKind::ALL
                .into_iter()
                .find(|k| Some(k.severity()) == worst)?;
            Some((id, kind))
        })
        .collect())
}

/// Per tenant, the changes that failed or were rolled back since its last
/// successful change (within the lookback).
async fn failed_changes<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> ServiceResult<HashMap<Uuid, u32>> {
    let finished: Vec<(Uuid, ChangeStatus)> = change_request::Entity::find()
        .filter(change_request::Column::Status.is_in([
            ChangeStatus::Succeeded,
            ChangeStatus::Failed,
            ChangeStatus::RolledBack,
        ]))
        .filter(change_request::Column::FinishedAt.gte(now - Duration::days(CHANGE_LOOKBACK_DAYS)))
        .order_by_desc(change_request::Column::FinishedAt)
        .select_only()
        .column(change_request::Column::TenantId)
        .column(change_request::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut failed: HashMap<Uuid, u32> = HashMap::new();
    let mut settled: std::collections::HashSet<Uuid> = Default::default();
    for (tenant_id, status) in finished {
        if settled.contains(&tenant_id) {
            continue;
        }
        if status == ChangeStatus::Succeeded {
            settled.insert(tenant_id);
        } else {
            *failed.entry(tenant_id).or_default() += 1;
        }
    }
    Ok(failed)
}
