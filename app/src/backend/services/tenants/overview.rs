//! A tenant in one place: its health against the availability target, the
//! versions it runs and their compliance, changes in flight, failures and
//! rollbacks of the last 30 days, its webhook deliveries, the traffic the
//! router reported, open alerts, and the trouble all of it adds up to.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::backend::context::Ctx;
use crate::backend::db::scoped_read;
use crate::backend::entities::{
    alert, change_request, compliance_status, deployment_switch, product, traffic_sample,
    webhook_delivery, webhook_endpoint,
};
use crate::backend::error::ServiceResult;
use crate::backend::services::events::webhooks::{DEAD, DELIVERED, PENDING};
use crate::backend::services::platform::alerts::RESOLVED;
use crate::backend::services::platform::service_levels::targets;
use crate::backend::services::tenants::health;
use crate::domain::access::permission::Permission;
use crate::domain::changes::change::ChangeStatus;
use crate::domain::deployments::bluegreen::SwitchStatus;
use crate::domain::platform::alerts::AlertRule;
use crate::domain::platform::slo::{SloVerdict, availability_percent};
use crate::domain::tenants::health::{ValidationPolicy, failing_text};
use crate::domain::tenants::trouble::{TroubleFacts, assess};
use crate::model::tenants::overview::{
    OverviewAlert, OverviewChange, OverviewHealth, OverviewVersion, RecentFailure, TenantOverview,
    TrafficPoint, WebhookHealth,
};

/// Rows each list keeps: an overview, not the full history.
const LISTED: u64 = 10;
/// Router samples charted (newest).
const TRAFFIC_POINTS: u64 = 60;
const LOOKBACK_DAYS: i64 = 30;

const IN_FLIGHT: [ChangeStatus; 4] = [
    ChangeStatus::PendingApproval,
    ChangeStatus::Approved,
    ChangeStatus::Scheduled,
    ChangeStatus::Running,
];

pub async fn overview(
    ctx: &Ctx,
    reference: &str,
    policy: &ValidationPolicy,
) -> ServiceResult<TenantOverview> {
    // Resolves the tenant and checks the viewer may read it.
    let health = health::view(ctx, reference, policy).await?;
    let tenant_id = health.tenant_id;
    let now = ctx.now();
    let (slo, _) = targets(&ctx.reads).await?;
    let txn = scoped_read(
        &ctx.reads,
        &ctx.principal.tenant_scope(Permission::TenantRead),
    )
    .await?;

    let mut statuses = compliance_status::Entity::find()
        .filter(compliance_status::Column::TenantId.eq(tenant_id))
        .all(&txn)
        .await?;
    statuses.sort_by_key(|c| c.severity);
    let worst = statuses.first().map(|c| c.status);
    let names: std::collections::HashMap<Uuid, String> = product::Entity::find()
        .filter(product::Column::Id.is_in(statuses.iter().map(|c| c.product_id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let versions: Vec<OverviewVersion> = statuses
        .into_iter()
        .map(|c| OverviewVersion {
            product: names.get(&c.product_id).cloned().unwrap_or_default(),
            running_version: c.running_version,
            status: c.status,
            days_left: c.days_left,
            detail: c.detail,
        })
        .collect();

    let in_flight: Vec<OverviewChange> = change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(tenant_id))
        .filter(change_request::Column::Status.is_in(IN_FLIGHT))
        .order_by_desc(change_request::Column::UpdatedAt)
        .limit(LISTED)
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| OverviewChange {
            id: c.id,
            title: c.title,
            status: c.status,
            progress: c.progress,
            at: c.updated_at,
            outcome: c.outcome,
        })
        .collect();

    let since = now - Duration::days(LOOKBACK_DAYS);
    let finished = change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(tenant_id))
        .filter(change_request::Column::Status.is_in([
            ChangeStatus::Succeeded,
            ChangeStatus::Failed,
            ChangeStatus::RolledBack,
        ]))
        .filter(change_request::Column::FinishedAt.gte(since))
        .order_by_desc(change_request::Column::FinishedAt)
        .all(&txn)
        .await?;
    // Failures since the last success are what still troubles the tenant.
    let unsettled = finished
        .iter()
        .take_while(|c| c.status != ChangeStatus::Succeeded)
        .count() as u32;
    let mut recent_failures: Vec<RecentFailure> = finished
        .into_iter()
        .filter(|c| c.status != ChangeStatus::Succeeded)
        .map(|c| RecentFailure {
            at: c.finished_at.unwrap_or(c.updated_at),
            what: format!("{} — {}", c.title, c.status.as_str().replace('_', " ")),
            detail: c.outcome.unwrap_or_default(),
            link: format!("/changes/{}", c.id),
        })
        .collect();
    recent_failures.extend(
        deployment_switch::Entity::find()
            .filter(deployment_switch::Column::TenantId.eq(tenant_id))
            .filter(deployment_switch::Column::Status.eq(SwitchStatus::RolledBack))
            .filter(deployment_switch::Column::UpdatedAt.gte(since))
            .all(&txn)
            .await?
            .into_iter()
            .map(|s| RecentFailure {
                at: s.finished_at.unwrap_or(s.updated_at),
                what: format!("Blue-green switch to {} — rolled back", s.to_version),
                detail: s.reason.unwrap_or_default(),
                link: format!("/deployments/{}", s.deployment_id),
            }),
    );
    recent_failures.sort_by(|a, b| b.at.cmp(&a.at));
    recent_failures.truncate(LISTED as usize);

    let endpoints: Vec<(Uuid, bool, Option<chrono::DateTime<chrono::Utc>>)> =
        webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::TenantId.eq(tenant_id))
            .select_only()
            .column(webhook_endpoint::Column::Id)
            .column(webhook_endpoint::Column::Enabled)
            .column(webhook_endpoint::Column::FailingSince)
            .into_tuple()
            .all(&txn)
            .await?;
    let mut webhooks = WebhookHealth {
        endpoints_healthy: endpoints
            .iter()
            .filter(|(_, on, failing)| *on && failing.is_none())
            .count() as u64,
        endpoints_failing: endpoints
            .iter()
            .filter(|(_, on, failing)| *on && failing.is_some())
            .count() as u64,
        endpoints_disabled: endpoints.iter().filter(|(_, on, _)| !on).count() as u64,
        ..WebhookHealth::default()
    };
    if !endpoints.is_empty() {
        let by_status: Vec<(String, i64)> = webhook_delivery::Entity::find()
            .filter(
                webhook_delivery::Column::EndpointId.is_in(endpoints.iter().map(|(id, ..)| *id)),
            )
            .filter(webhook_delivery::Column::CreatedAt.gte(now - Duration::hours(24)))
            .select_only()
            .column(webhook_delivery::Column::Status)
            .column_as(webhook_delivery::Column::Id.count(), "n")
            .group_by(webhook_delivery::Column::Status)
            .into_tuple()
            .all(&txn)
            .await?;
        for (status, n) in by_status {
            let n = n.max(0) as u64;
            match status.as_str() {
                DELIVERED => webhooks.delivered += n,
                PENDING => webhooks.pending += n,
                DEAD => webhooks.dead += n,
                _ => {}
            }
        }
    }

    let mut traffic: Vec<TrafficPoint> = traffic_sample::Entity::find()
        .filter(traffic_sample::Column::TenantId.eq(tenant_id))
        .order_by_desc(traffic_sample::Column::At)
        .limit(TRAFFIC_POINTS)
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| TrafficPoint {
            at: s.at,
            requests: s.requests,
            errors: s.errors,
            latency_ms: s.latency_ms,
        })
        .collect();
    traffic.reverse();
    txn.commit().await?;

    // Alerts are the vendor's operators' (not confined by tenant), read
    // only with platform-wide `report.read`.
    let alerts = if ctx.principal.require(Permission::ReportRead).is_ok() {
        let open = alert::Entity::find()
            .filter(alert::Column::TenantId.eq(tenant_id))
            .filter(alert::Column::Status.ne(RESOLVED))
            .order_by_desc(alert::Column::OpenedAt)
            .limit(LISTED)
            .all(&ctx.reads)
            .await?;
        Some(
            open.into_iter()
                .map(|a| OverviewAlert {
                    title: AlertRule::parse(&a.rule)
                        .map(|r| r.title().to_owned())
                        .unwrap_or(a.rule),
                    summary: a.summary,
                    status: a.status,
                    opened_at: a.opened_at,
                    link: "/alerts".to_owned(),
                })
                .collect(),
        )
    } else {
        None
    };

    let (runs, passed) = health.days.iter().fold((0u64, 0u64), |(r, p), d| {
        (r + u64::from(d.runs), p + u64::from(d.passed))
    });
    let availability = availability_percent(runs, passed);
    let last = health.runs.first();
    let trouble = assess(
        &TroubleFacts {
            state: health.state,
            health_failures: health.consecutive_failures,
            failed_changes: unsettled,
            worst_compliance: worst,
            availability,
        },
        slo.availability_percent,
    );
    Ok(TenantOverview {
        tenant_id,
        slug: health.slug.clone(),
        trouble,
        health: OverviewHealth {
            availability,
            availability_target: slo.availability_percent,
            verdict: SloVerdict::at_least(availability, slo.availability_percent),
            runs,
            passed,
            consecutive_failures: health.consecutive_failures,
            last_run_at: last.map(|r| r.at),
            last_run_passed: last.map(|r| r.passed),
            failing_checks: last
                .map(|r| {
                    r.results
                        .iter()
                        .filter(|c| !c.passed)
                        .map(|c| failing_text(std::slice::from_ref(c)))
                        .collect()
                })
                .unwrap_or_default(),
            probe_ms: health
                .runs
                .iter()
                .rev()
                .map(|r| (r.at, r.duration_ms, r.passed))
                .collect(),
            days: health.days,
        },
        versions,
        in_flight,
        recent_failures,
        webhooks,
        traffic,
        alerts,
    })
}
