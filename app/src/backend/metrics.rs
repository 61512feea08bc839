//! The portal's Prometheus series. Work records counters and histograms
//! through the `metrics` facade as it happens (a no-op until the server
//! installs its exporter); gauges describe stored state *now*, so `sample`
//! reads them from the database at every scrape. Labels are bounded —
//! kinds, statuses, outcomes, route templates, and the ids of work in
//! flight — never a tenant, a person or a raw path.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use metrics::{counter, gauge, histogram};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    Statement,
};
use uuid::Uuid;

use crate::backend::entities::{
    change_request, deployment_switch, edge_deployment, job, rollout, webhook_delivery,
    webhook_endpoint,
};
use crate::backend::error::ServiceResult;
use crate::domain::changes::change::ChangeStatus;
use crate::domain::deployments::bluegreen::{Slot, SwitchStatus};
use crate::domain::platform::job::JobStatus;
use crate::domain::platform::slo::{LatencyCounts, MinuteWindow};
use crate::domain::releases::compliance::ComplianceKind;
use crate::domain::rollouts::rollout::{RolloutStatus, TargetStatus};

/// Every series this module records or samples: the alerting rules and the
/// dashboard in `docs/monitoring/` may use these and nothing else.
pub const SERIES: &[&str] = &[
    "tenantry_build_info",
    "tenantry_http_request_duration_seconds",
    "tenantry_http_requests_in_flight",
    "tenantry_jobs",
    "tenantry_job_oldest_due_seconds",
    "tenantry_job_claim_latency_seconds",
    "tenantry_job_runs_total",
    "tenantry_job_run_duration_seconds",
    "tenantry_change_requests",
    "tenantry_rollouts",
    "tenantry_rollout_progress_ratio",
    "tenantry_switches",
    "tenantry_switch_step",
    "tenantry_switch_new_slot_weight_percent",
    "tenantry_tenants_by_compliance",
    "tenantry_compliance_assessment_duration_seconds",
    "tenantry_health_baseline_runs_total",
    "tenantry_webhook_deliveries_total",
    "tenantry_webhook_attempt_duration_seconds",
    "tenantry_webhook_delivery_lag_seconds",
    "tenantry_webhook_deliveries_pending",
    "tenantry_webhook_endpoints",
    "tenantry_webhook_endpoints_disabled_total",
    "tenantry_sign_ins_total",
    "tenantry_policy_evaluations_total",
    "tenantry_policy_evaluation_duration_seconds",
    "tenantry_db_connections",
];

/// Requests being answered right now (sampled into a gauge at scrape time).
static IN_FLIGHT: AtomicI64 = AtomicI64::new(0);

/// Counts a request as in flight while it lives.
pub struct InFlight(());

impl InFlight {
    pub fn enter() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One answered HTTP request, by route template (never the raw path).
pub fn http_request(method: &str, route: &str, status: u16, took: Duration) {
    let method: &'static str = match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let class = match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    histogram!(
        "tenantry_http_request_duration_seconds",
        "method" => method, "route" => route.to_owned(), "status_class" => class
    )
    .record(took.as_secs_f64());
    api_request(route, status, took);
}

/// One answered request into the API's service-level window (kept whether
/// or not `/metrics` is served). Only the API counts — REST and server
/// functions — and not an event stream, which lives for minutes by design.
pub fn api_request(route: &str, status: u16, took: Duration) {
    if route.starts_with("/api/") && !route.ends_with("/stream") {
        let minute = Utc::now().timestamp().div_euclid(60);
        API_WINDOW
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .record(minute, took.as_secs_f64() * 1000.0, status >= 500);
    }
}

/// The last hour of API requests on this replica, minute by minute.
static API_WINDOW: std::sync::Mutex<MinuteWindow> = std::sync::Mutex::new(MinuteWindow::new());

/// The API's requests of the last hour on this replica (wall-clock time:
/// requests happen in real time whatever clock the work runs on).
pub fn api_window() -> LatencyCounts {
    let minute = Utc::now().timestamp().div_euclid(60);
    API_WINDOW
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .summary(minute)
}

/// One policy decision before an action: `rule` names the policy
/// (`version_move`, `restrict_access`), `outcome` what it decided.
pub fn policy_evaluated(rule: &'static str, outcome: &'static str, took: Duration) {
    counter!("tenantry_policy_evaluations_total", "rule" => rule, "outcome" => outcome)
        .increment(1);
    histogram!("tenantry_policy_evaluation_duration_seconds", "rule" => rule)
        .record(took.as_secs_f64());
}

/// A job was claimed `waited` after it fell due.
pub fn job_claimed(kind: &str, waited: chrono::Duration) {
    histogram!("tenantry_job_claim_latency_seconds", "kind" => kind.to_owned())
        .record(waited.num_milliseconds().max(0) as f64 / 1000.0);
}

/// How one run of a job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    Succeeded,
    /// Failed; another attempt follows after a backoff.
    Retrying,
    /// Failed its last attempt.
    Dead,
    /// The worker lost its lease; the result was discarded.
    LeaseLost,
}

impl JobOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Retrying => "retrying",
            Self::Dead => "dead",
            Self::LeaseLost => "lease_lost",
        }
    }
}

pub fn job_finished(kind: &str, outcome: JobOutcome, took: Duration) {
    counter!("tenantry_job_runs_total", "kind" => kind.to_owned(), "outcome" => outcome.as_str())
        .increment(1);
    histogram!("tenantry_job_run_duration_seconds", "kind" => kind.to_owned())
        .record(took.as_secs_f64());
}

/// One webhook POST: `outcome` is delivered, retrying, dead or gone (410);
/// `lag` (delivered only) runs from the event to its arrival.
pub fn webhook_attempt(outcome: &'static str, took: Duration, lag: Option<chrono::Duration>) {
    counter!("tenantry_webhook_deliveries_total", "outcome" => outcome).increment(1);
    histogram!("tenantry_webhook_attempt_duration_seconds").record(took.as_secs_f64());
    if let Some(lag) = lag {
        histogram!("tenantry_webhook_delivery_lag_seconds")
            .record(lag.num_milliseconds().max(0) as f64 / 1000.0);
    }
}

pub fn webhook_endpoint_disabled() {
    counter!("tenantry_webhook_endpoints_disabled_total").increment(1);
}

/// A password sign-in: succeeded, second_factor (password right, code
/// asked), failed, or throttled (refused before the password was checked).
pub fn sign_in(outcome: &'static str) {
    counter!("tenantry_sign_ins_total", "outcome" => outcome).increment(1);
}

pub fn compliance_assessed(took: Duration) {
    histogram!("tenantry_compliance_assessment_duration_seconds").record(took.as_secs_f64());
}

/// A run of a tenant's health baseline, by what started it.
pub fn health_run(trigger: &str, passed: bool) {
    counter!(
        "tenantry_health_baseline_runs_total",
        "trigger" => trigger.to_owned(),
        "outcome" => if passed { "passed" } else { "failed" }
    )
    .increment(1);
}

/// The version and commit this server was built from.
pub struct BuildInfo {
    pub version: &'static str,
    pub commit: &'static str,
}

/// Sets every gauge from the database and the process: called by the
/// `/metrics` handler right before it renders. A gauge this does not set
/// (a rollout that finished) is dropped by the exporter.
pub async fn sample(
    db: &DatabaseConnection,
    build: &BuildInfo,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    gauge!("tenantry_build_info", "version" => build.version, "commit" => build.commit).set(1.0);
    gauge!("tenantry_http_requests_in_flight").set(IN_FLIGHT.load(Ordering::Relaxed) as f64);
    sample_pool(db);

    let jobs: Vec<(String, JobStatus, i64)> = job::Entity::find()
        .select_only()
        .column(job::Column::Kind)
        .column(job::Column::Status)
        .column_as(job::Column::Id.count(), "n")
        .group_by(job::Column::Kind)
        .group_by(job::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let kinds: std::collections::BTreeSet<&str> = jobs.iter().map(|(k, ..)| k.as_str()).collect();
    for kind in kinds {
        for status in JobStatus::ALL {
            let n = jobs
                .iter()
                .find(|(k, s, _)| k == kind && *s == status)
                .map_or(0, |(.., n)| *n);
            gauge!("tenantry_jobs", "kind" => kind.to_owned(), "status" => status.as_str())
                .set(n as f64);
        }
    }
    let overdue = job::Entity::find()
        .filter(job::Column::Status.is_in([JobStatus::Queued, JobStatus::Retrying]))
        .filter(job::Column::RunAt.lte(now))
        .select_only()
        .column_as(job::Column::RunAt.min(), "oldest")
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten();
    gauge!("tenantry_job_oldest_due_seconds").set(overdue.map_or(0.0, |at| {
        (now - at).num_milliseconds().max(0) as f64 / 1000.0
    }));

    let changes: Vec<(ChangeStatus, i64)> =
        count_by::<change_request::Entity, _, _>(db, change_request::Column::Status).await?;
    for status in ChangeStatus::ALL {
        let n = changes
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n);
        gauge!("tenantry_change_requests", "status" => status.as_str()).set(n as f64);
    }
    let rollouts: Vec<(RolloutStatus, i64)> =
        count_by::<rollout::Entity, _, _>(db, rollout::Column::Status).await?;
    for status in RolloutStatus::ALL {
        let n = rollouts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n);
        gauge!("tenantry_rollouts", "status" => status.as_str()).set(n as f64);
    }
    sample_rollout_progress(db).await?;
    sample_switches(db).await?;
    sample_compliance(db).await?;

    let pending = webhook_delivery::Entity::find()
        .filter(
            webhook_delivery::Column::Status
                .eq(crate::backend::services::events::webhooks::PENDING),
        )
        .select_only()
        .column_as(webhook_delivery::Column::Id.count(), "n")
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0);
    gauge!("tenantry_webhook_deliveries_pending").set(pending as f64);
    let endpoints: Vec<(bool, Option<DateTime<Utc>>)> = webhook_endpoint::Entity::find()
        .select_only()
        .column(webhook_endpoint::Column::Enabled)
        .column(webhook_endpoint::Column::FailingSince)
        .into_tuple()
        .all(db)
        .await?;
    let state = |wanted: &str| {
        endpoints
            .iter()
            .filter(|(enabled, failing)| match wanted {
                "disabled" => !enabled,
                "failing" => *enabled && failing.is_some(),
                _ => *enabled && failing.is_none(),
            })
            .count() as f64
    };
    for wanted in ["healthy", "failing", "disabled"] {
        gauge!("tenantry_webhook_endpoints", "state" => wanted).set(state(wanted));
    }
    Ok(())
}

async fn count_by<E, C, S>(db: &DatabaseConnection, column: C) -> ServiceResult<Vec<(S, i64)>>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait + Copy,
    (S, i64): sea_orm::TryGetableMany,
{
    Ok(E::find()
        .select_only()
        .column(column)
        .column_as(column.count(), "n")
        .group_by(column)
        .into_tuple()
        .all(db)
        .await?)
}

/// Connections of the pool the server answers from.
fn sample_pool(db: &DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let in_use = (size as usize).saturating_sub(idle);
    gauge!("tenantry_db_connections", "state" => "in_use").set(in_use as f64);
    gauge!("tenantry_db_connections", "state" => "idle").set(idle as f64);
}

/// Share of targets finished, per rollout in flight (bounded by the
/// rollouts running at once, not by tenants).
async fn sample_rollout_progress(db: &DatabaseConnection) -> ServiceResult<()> {
    let in_flight: Vec<Uuid> = rollout::Entity::find()
        .filter(rollout::Column::Status.is_in([
            RolloutStatus::Running,
            RolloutStatus::Paused,
            RolloutStatus::Stopped,
        ]))
        .select_only()
        .column(rollout::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    if in_flight.is_empty() {
        return Ok(());
    }
    let counts = crate::backend::services::rollouts::target_counts(db, &in_flight).await?;
    for id in in_flight {
        let of_rollout = counts.get(&id);
        let of = |wanted: &dyn Fn(TargetStatus) -> bool| -> u64 {
            of_rollout
                .into_iter()
                .flatten()
                .filter(|(s, _)| wanted(**s))
                .map(|(_, n)| n)
                .sum()
        };
        let total = of(&|_| true);
        let finished = of(&|s| !matches!(s, TargetStatus::Pending | TargetStatus::Running));
        let ratio = if total == 0 {
            0.0
        } else {
            finished as f64 / total as f64
        };
        gauge!("tenantry_rollout_progress_ratio", "rollout" => id.to_string()).set(ratio);
    }
    Ok(())
}

/// Step and traffic share of every blue-green switch in flight, by
/// deployment (bounded by the switches running at once).
async fn sample_switches(db: &DatabaseConnection) -> ServiceResult<()> {
    let switches: Vec<(SwitchStatus, i64)> =
        count_by::<deployment_switch::Entity, _, _>(db, deployment_switch::Column::Status).await?;
    for status in SwitchStatus::ALL {
        let n = switches
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n);
        gauge!("tenantry_switches", "status" => status.as_str()).set(n as f64);
    }
    let in_flight = deployment_switch::Entity::find()
        .filter(deployment_switch::Column::Status.is_in(SwitchStatus::ACTIVE))
        .all(db)
        .await?;
    for switch in in_flight {
        let Some(deployment) = edge_deployment::Entity::find_by_id(switch.deployment_id)
            .one(db)
            .await?
        else {
            continue;
        };
        let taking = match switch.to_slot {
            Slot::Blue => deployment.blue_weight,
            Slot::Green => deployment.green_weight,
        };
        let label = switch.deployment_id.to_string();
        gauge!("tenantry_switch_step", "deployment" => label.clone())
            .set(f64::from(switch.step_index));
        gauge!("tenantry_switch_new_slot_weight_percent", "deployment" => label)
            .set(f64::from(taking));
    }
    Ok(())
}

/// Tenants by their overall compliance (their worst product's status).
async fn sample_compliance(db: &DatabaseConnection) -> ServiceResult<()> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT worst, COUNT(*) AS n FROM \
             (SELECT MIN(severity) AS worst FROM compliance_status GROUP BY tenant_id) AS per_tenant \
             GROUP BY worst",
        ))
        .await?;
    let mut by_severity = std::collections::BTreeMap::new();
    for row in rows {
        let worst: i32 = row.try_get("", "worst")?;
        let n: i64 = row.try_get("", "n")?;
        by_severity.insert(worst, n);
    }
    for kind in ComplianceKind::ALL {
        let n = by_severity.get(&kind.severity()).copied().unwrap_or(0);
        gauge!("tenantry_tenants_by_compliance", "status" => kind.as_str()).set(n as f64);
    }
    Ok(())
}
