//! Alerts: the built-in rules evaluated against stored state (a loop every
//! half minute, on every replica), each occurrence opened once, acknowledged
//! by a person, resolved when its condition stops. Every move is audited and
//! announced as an event (`alert.fired` / `acknowledged` / `resolved`), so
//! the notifier tells the vendor's operators and webhooks carry it on.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::Ctx;
use crate::backend::entities::{
    alert, alert_rule, audit_event, change_request, deployment_switch, edge_deployment, job,
    product, release, rollout, tenant, tenant_product, webhook_endpoint,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::domain::access::permission::Permission;
use crate::domain::changes::change::{ChangeKind, ChangeStatus};
use crate::domain::deployments::bluegreen::SwitchStatus;
use crate::domain::platform::alerts::{
    AlertRule, Condition, HALTED_ROLLOUT_STATUSES, end_of_life_wording, name_some, parse_threshold,
    reconcile, rollout_halted,
};
use crate::domain::platform::job::JobStatus;
use crate::domain::tenants::lifecycle::LifecycleState;
use crate::domain::validation::FieldErrors;
use crate::model::platform::alerts::{
    AcknowledgeForm, AlertQuery, AlertRow, AlertRuleForm, AlertRuleView, AlertsView,
};

pub const OPEN: &str = "open";
pub const ACKNOWLEDGED: &str = "acknowledged";
pub const RESOLVED: &str = "resolved";
const PER_PAGE: u64 = 25;
/// How far back a failed change still counts as the tenant's latest.
const CHANGE_LOOKBACK_DAYS: i64 = 30;

/// What one evaluation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub opened: usize,
    pub resolved: usize,
}

/// Each rule's setting: on/off and its threshold (defaults without a row).
async fn settings(
    db: &DatabaseConnection,
) -> ServiceResult<HashMap<AlertRule, (bool, Option<u32>)>> {
    let stored = alert_rule::Entity::find().all(db).await?;
    Ok(AlertRule::ALL
        .into_iter()
        .map(|rule| {
            let row = stored.iter().find(|r| r.rule == rule.as_str());
            let default = rule.threshold().map(|(_, n)| n);
            let threshold = row
                .and_then(|r| r.threshold)
                .map(|n| n.max(1) as u32)
                .or(default);
            (rule, (row.is_none_or(|r| r.enabled), threshold))
        })
        .collect())
}

/// Evaluates every enabled rule as of `now`: opens an alert for each
/// condition that newly holds and resolves each whose condition stopped
/// (or whose rule was turned off). Safe on several replicas at once.
pub async fn evaluate(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<Evaluation> {
    let settings = settings(db).await?;
    let mut holding = vec![];
    for rule in AlertRule::ALL {
        let (enabled, threshold) = settings[&rule];
        if enabled {
            holding.extend(conditions(db, rule, threshold.unwrap_or(1), now).await?);
        }
    }
    let unresolved: Vec<(AlertRule, String)> = alert::Entity::find()
        .filter(alert::Column::Status.ne(RESOLVED))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|a| Some((AlertRule::parse(&a.rule)?, a.subject_key)))
        .collect();
    let (to_open, to_resolve) = reconcile(&unresolved, &holding);
    let mut done = Evaluation::default();
    for condition in to_open {
        done.opened += usize::from(open(db, condition, now).await?);
    }
    for (rule, key) in to_resolve {
        done.resolved += usize::from(resolve(db, rule, &key, now).await?);
    }
    if done != Evaluation::default() {
        tracing::info!(
            opened = done.opened,
            resolved = done.resolved,
            "alerts evaluated"
        );
    }
    Ok(done)
}

/// Opens one alert with its audit record and `alert.fired`; false when
/// another replica opened it first.
async fn open(db: &DatabaseConnection, c: &Condition, now: DateTime<Utc>) -> ServiceResult<bool> {
    let id = Uuid::new_v4();
    let txn = db.begin().await?;
    let inserted = alert::Entity::insert(alert::ActiveModel {
        id: Set(id),
        rule: Set(c.rule.as_str().to_owned()),
        subject_key: Set(c.key.clone()),
        tenant_id: Set(c.tenant_id),
        subject: Set(c.subject.clone()),
        link: Set(c.link.clone()),
        summary: Set(c.summary.clone()),
        status: Set(OPEN.to_owned()),
        opened_at: Set(now),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        acknowledger_label: Set(None),
        ack_comment: Set(None),
        resolved_at: Set(None),
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    audit::record(
        &txn,
        &RequestContext::default(),
        AuditEntry::new(Actor::System("alerts"), "alert.fire", "alert")
            .target(id)
            .details(
                json!({ "rule": c.rule.as_str(), "subject": c.subject, "summary": c.summary }),
            ),
    )
    .await?;
    txn.commit().await?;
    tracing::warn!(alert = %id, rule = c.rule.as_str(), subject = %c.subject, "alert fired");
    Ok(true)
}

async fn resolve(
    db: &DatabaseConnection,
    rule: AlertRule,
    key: &str,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let txn = db.begin().await?;
    let Some(found) = alert::Entity::find()
        .filter(alert::Column::Rule.eq(rule.as_str()))
        .filter(alert::Column::SubjectKey.eq(key))
        .filter(alert::Column::Status.ne(RESOLVED))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let moved = alert::Entity::update_many()
        .col_expr(alert::Column::Status, Expr::value(RESOLVED))
        .col_expr(alert::Column::ResolvedAt, Expr::value(Some(now)))
        .filter(alert::Column::Id.eq(found.id))
        .filter(alert::Column::Status.ne(RESOLVED))
        .exec(&txn)
        .await?
        .rows_affected;
    if moved == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    audit::record(
        &txn,
        &RequestContext::default(),
        AuditEntry::new(Actor::System("alerts"), "alert.resolve", "alert")
            .target(found.id)
            .details(json!({ "rule": rule.as_str(), "subject": found.subject })),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(alert = %found.id, rule = rule.as_str(), subject = %found.subject, "alert resolved");
    Ok(true)
}

/// The conditions of one rule holding now.
async fn conditions(
    db: &DatabaseConnection,
    rule: AlertRule,
    threshold: u32,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Condition>> {
    Ok(match rule {
        AlertRule::TenantBroken => tenant::Entity::find()
            .filter(tenant::Column::LifecycleState.eq(LifecycleState::Broken))
            .all(db)
            .await?
            .into_iter()
            .map(|t| {
                let why = t
                    .state_reason
                    .clone()
                    .unwrap_or_else(|| "its health baseline kept failing.".into());
                health_of(rule, &t, format!("{} is broken: {why}", t.display_name))
            })
            .collect(),
        AlertRule::BaselineFailing => tenant::Entity::find()
            .filter(tenant::Column::HealthFailures.gte(threshold as i32))
            .filter(tenant::Column::LifecycleState.is_not_in([
                LifecycleState::Broken,
                LifecycleState::Draft,
                LifecycleState::Archived,
                LifecycleState::Deleted,
            ]))
            .all(db)
            .await?
            .into_iter()
            .map(|t| {
                let summary = format!(
                    "{}'s health baseline failed {} times in a row.",
                    t.display_name, t.health_failures
                );
                health_of(rule, &t, summary)
            })
            .collect(),
        AlertRule::ChangeFailed => failed_changes(db, now).await?,
        AlertRule::RolloutHalted => rollout::Entity::find()
            .filter(rollout::Column::Status.is_in(HALTED_ROLLOUT_STATUSES))
            .all(db)
            .await?
            .into_iter()
            .filter(|r| rollout_halted(r.status, r.halt_reason.as_deref()))
            .map(|r| Condition {
                rule,
                key: r.id.to_string(),
                tenant_id: None,
                subject: r.name.clone(),
                link: format!("/rollouts/{}", r.id),
                summary: format!(
                    "Rollout {} to {} halted: {}",
                    r.name,
                    r.target_version,
                    r.halt_reason
                        .clone()
                        .unwrap_or_else(|| "its error threshold was crossed.".into())
                ),
            })
            .collect(),
        AlertRule::AutomaticRollback => automatic_rollbacks(db).await?,
        AlertRule::EolWithoutUpgrade => eol_without_upgrade(db, threshold, now).await?,
        AlertRule::WebhookEndpointFailing => webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::Enabled.eq(true))
            .filter(
                webhook_endpoint::Column::FailingSince
                    .lte(now - Duration::minutes(i64::from(threshold))),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|e| Condition {
                rule,
                key: e.id.to_string(),
                tenant_id: e.tenant_id,
                subject: e.url.clone(),
                link: format!("/settings/webhooks/{}", e.id),
                summary: format!(
                    "Every delivery to {} has failed since {}.",
                    e.url,
                    e.failing_since
                        .map(|s| s.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_default()
                ),
            })
            .collect(),
        AlertRule::JobBacklog => {
            let oldest: Option<Option<DateTime<Utc>>> = job::Entity::find()
                .filter(job::Column::Status.is_in([JobStatus::Queued, JobStatus::Retrying]))
                .filter(job::Column::RunAt.lte(now))
                .select_only()
                .column_as(job::Column::RunAt.min(), "oldest")
                .into_tuple()
                .one(db)
                .await?;
            match oldest.flatten() {
                Some(at) if now - at >= Duration::minutes(i64::from(threshold)) => {
                    vec![Condition {
                        rule,
                        key: "queue".into(),
                        tenant_id: None,
                        subject: "Job queue".into(),
                        link: "/jobs".into(),
                        summary: format!(
                            "A due job has waited {} minutes for a worker.",
                            (now - at).num_minutes()
                        ),
                    }]
                }
                _ => vec![],
            }
        }
        AlertRule::DeadJobs => {
            let dead = job::Entity::find()
                .filter(job::Column::Status.eq(JobStatus::Dead))
                .count(db)
                .await?;
            if dead == 0 {
                vec![]
            } else {
                vec![Condition {
                    rule,
                    key: "queue".into(),
                    tenant_id: None,
                    subject: "Job queue".into(),
                    link: "/jobs?status=dead".into(),
                    summary: format!("{dead} job(s) used up their attempts and wait for a person."),
                }]
            }
        }
    })
}

/// A condition about a tenant's health, linked to its Health tab.
fn health_of(rule: AlertRule, t: &tenant::Model, summary: String) -> Condition {
    Condition {
        rule,
        key: t.id.to_string(),
        tenant_id: Some(t.id),
        subject: t.slug.clone(),
        link: format!("/tenants/{}/health", t.slug),
        summary,
    }
}

/// Tenants whose latest finished change outside a rollout (last 30 days)
/// failed or was rolled back.
async fn failed_changes(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Condition>> {
    let finished = change_request::Entity::find()
        .filter(change_request::Column::Status.is_in([
            ChangeStatus::Succeeded,
            ChangeStatus::Failed,
            ChangeStatus::RolledBack,
        ]))
        .filter(change_request::Column::FinishedAt.gte(now - Duration::days(CHANGE_LOOKBACK_DAYS)))
        // A rollout's failures raise the rollout's own alert.
        .filter(change_request::Column::RolloutId.is_null())
        .order_by_desc(change_request::Column::FinishedAt)
        .all(db)
        .await?;
    let mut latest: HashMap<Uuid, &change_request::Model> = HashMap::new();
    for change in &finished {
        latest.entry(change.tenant_id).or_insert(change);
    }
    let failed: Vec<&change_request::Model> = latest
        .into_values()
        .filter(|c| c.status != ChangeStatus::Succeeded)
        .collect();
    if failed.is_empty() {
        return Ok(vec![]);
    }
    let slugs = slugs(db, failed.iter().map(|c| c.tenant_id)).await?;
    Ok(failed
        .into_iter()
        .map(|c| Condition {
            rule: AlertRule::ChangeFailed,
            key: c.tenant_id.to_string(),
            tenant_id: Some(c.tenant_id),
            subject: slugs.get(&c.tenant_id).cloned().unwrap_or_default(),
            link: format!("/changes/{}", c.id),
            summary: format!(
                "{} {}: {}",
                c.title,
                c.status.as_str().replace('_', " "),
                c.outcome.clone().unwrap_or_default()
            ),
        })
        .collect())
}

/// Deployments whose latest switch the workflow rolled back by itself.
async fn automatic_rollbacks(db: &DatabaseConnection) -> ServiceResult<Vec<Condition>> {
    let switches = deployment_switch::Entity::find()
        .order_by_desc(deployment_switch::Column::CreatedAt)
        .all(db)
        .await?;
    let mut latest: HashMap<Uuid, &deployment_switch::Model> = HashMap::new();
    for s in &switches {
        latest.entry(s.deployment_id).or_insert(s);
    }
    let mut found = vec![];
    for s in latest.into_values() {
        if s.status != SwitchStatus::RolledBack {
            continue;
        }
        // A person's rollback is theirs to know about; only the workflow's
        // own decision raises the alert.
        let automatic = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("deployment.auto_rollback"))
            .filter(audit_event::Column::Details.contains(s.id.to_string()))
            .count(db)
            .await?
            > 0;
        if !automatic {
            continue;
        }
        let Some(d) = edge_deployment::Entity::find_by_id(s.deployment_id)
            .one(db)
            .await?
        else {
            continue;
        };
        let slug = slugs(db, [d.tenant_id])
            .await?
            .remove(&d.tenant_id)
            .unwrap_or_default();
        found.push(Condition {
            rule: AlertRule::AutomaticRollback,
            key: d.id.to_string(),
            tenant_id: Some(d.tenant_id),
            subject: slug,
            link: format!("/deployments/{}", d.id),
            summary: format!(
                "The switch to {} was rolled back automatically: {}",
                s.to_version,
                s.reason.clone().unwrap_or_default()
            ),
        });
    }
    Ok(found)
}

/// Tenants running a release that reaches end of life within `days` (or
/// already has) with no upgrade of that product requested, scheduled or
/// running.
async fn eol_without_upgrade(
    db: &DatabaseConnection,
    days: u32,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Condition>> {
    let horizon = (now + Duration::days(i64::from(days))).date_naive();
    let ending: Vec<release::Model> = release::Entity::find()
        .filter(release::Column::EndOfLife.lte(horizon))
        .all(db)
        .await?;
    if ending.is_empty() {
        return Ok(vec![]);
    }
    let mut found = vec![];
    for r in &ending {
        let running = tenant_product::Entity::find()
            .filter(tenant_product::Column::ProductId.eq(r.product_id))
            .filter(tenant_product::Column::RunningVersion.eq(r.version.clone()))
            .all(db)
            .await?;
        if running.is_empty() {
            continue;
        }
        let product_name = product::Entity::find_by_id(r.product_id)
            .one(db)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        let tenants = tenant::Entity::find()
            .filter(tenant::Column::Id.is_in(running.iter().map(|tp| tp.tenant_id)))
            .all(db)
            .await?;
        let upgrading: Vec<Uuid> = change_request::Entity::find()
            .filter(change_request::Column::ProductId.eq(r.product_id))
            .filter(change_request::Column::Kind.is_in([ChangeKind::Upgrade, ChangeKind::Patch]))
            .filter(change_request::Column::Status.is_in([
                ChangeStatus::PendingApproval,
                ChangeStatus::Approved,
                ChangeStatus::Scheduled,
                ChangeStatus::Running,
            ]))
            .select_only()
            .column(change_request::Column::TenantId)
            .into_tuple()
            .all(db)
            .await?;
        let mut stuck: Vec<String> = tenants
            .into_iter()
            .filter(|t| t.lifecycle_state.runs_software() && !upgrading.contains(&t.id))
            .map(|t| t.slug)
            .collect();
        if stuck.is_empty() {
            continue;
        }
        stuck.sort();
        let when = end_of_life_wording(r.end_of_life.expect("filtered on it"), now.date_naive());
        let named = name_some(&stuck, 5);
        // One alert per release, not per tenant: a fleet on an old release
        // is one problem to plan, not thousands of pages.
        found.push(Condition {
            rule: AlertRule::EolWithoutUpgrade,
            key: r.id.to_string(),
            tenant_id: None,
            subject: format!("{product_name} {}", r.version),
            link: "/compliance".to_owned(),
            summary: format!(
                "{product_name} {} {when}; {} tenant(s) run it with no upgrade scheduled: {named}.",
                r.version,
                stuck.len()
            ),
        });
    }
    Ok(found)
}

async fn slugs(
    db: &DatabaseConnection,
    ids: impl IntoIterator<Item = Uuid>,
) -> ServiceResult<HashMap<Uuid, String>> {
    Ok(tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(ids))
        .select_only()
        .column(tenant::Column::Id)
        .column(tenant::Column::Slug)
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// An alert as events carry it and pages show it.
pub fn alert_state(a: &alert::Model) -> Value {
    let rule = AlertRule::parse(&a.rule);
    json!({
        "id": a.id, "rule": a.rule,
        "title": rule.map(|r| r.title()).unwrap_or_default(),
        "severity": rule.map(|r| r.severity().label()).unwrap_or_default(),
        "subject": a.subject, "link": a.link, "tenant_id": a.tenant_id,
        "summary": a.summary, "status": a.status,
        "opened_at": a.opened_at, "acknowledged_at": a.acknowledged_at,
        "acknowledged_by": a.acknowledger_label, "comment": a.ack_comment,
        "resolved_at": a.resolved_at,
        "runbook": rule.map(|r| r.runbook()).unwrap_or_default(),
    })
}

fn row(a: alert::Model) -> Option<AlertRow> {
    let rule = AlertRule::parse(&a.rule)?;
    Some(AlertRow {
        id: a.id,
        rule,
        title: rule.title().to_owned(),
        severity: rule.severity(),
        subject: a.subject,
        link: a.link,
        tenant_id: a.tenant_id,
        summary: a.summary,
        status: a.status,
        opened_at: a.opened_at,
        acknowledged_at: a.acknowledged_at,
        acknowledged_by: a.acknowledger_label,
        ack_comment: a.ack_comment,
        resolved_at: a.resolved_at,
        runbook: rule.runbook(),
    })
}

/// The Alerts page and `GET /api/v1/alerts`: the vendor's people only.
pub async fn list(ctx: &Ctx, query: &AlertQuery) -> ServiceResult<AlertsView> {
    ctx.principal.require(Permission::ReportRead)?;
    let status = match query.status.trim() {
        "" => None,
        s @ (OPEN | ACKNOWLEDGED | RESOLVED) => Some(s.to_owned()),
        _ => {
            let mut errors = FieldErrors::default();
            errors.push("status", "Choose open, acknowledged or resolved.");
            return Err(ServiceError::Validation(errors));
        }
    };
    let page = query.page.unwrap_or(1).max(1);
    let count = |s: &'static str| {
        alert::Entity::find()
            .filter(alert::Column::Status.eq(s))
            .count(&ctx.reads)
    };
    let (open, acknowledged, resolved) = (
        count(OPEN).await?,
        count(ACKNOWLEDGED).await?,
        count(RESOLVED).await?,
    );
    let select = match &status {
        Some(s) => alert::Entity::find().filter(alert::Column::Status.eq(s.as_str())),
        None => alert::Entity::find().filter(alert::Column::Status.ne(RESOLVED)),
    };
    let total = select.clone().count(&ctx.reads).await?;
    let rows = select
        .order_by_desc(alert::Column::OpenedAt)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
        .all(&ctx.reads)
        .await?
        .into_iter()
        .filter_map(row)
        .collect();
    Ok(AlertsView {
        rows,
        open,
        acknowledged,
        resolved,
        total,
        page,
        per_page: PER_PAGE,
        may_acknowledge: ctx.principal.require(Permission::UpdateExecute).is_ok(),
        may_configure: ctx.principal.require(Permission::SettingsManage).is_ok(),
    })
}

/// Someone takes an open alert on: who, when and their comment. It stays
/// until its condition stops; a later occurrence opens a new alert.
pub async fn acknowledge(ctx: &Ctx, id: Uuid, form: &AcknowledgeForm) -> ServiceResult<AlertRow> {
    ctx.principal.require(Permission::UpdateExecute)?;
    let comment = form.comment.trim();
    if comment.chars().count() > 1000 || comment.chars().any(|c| c.is_control() && c != '\n') {
        let mut errors = FieldErrors::default();
        errors.push("comment", "Use at most 1000 characters of plain text.");
        return Err(ServiceError::Validation(errors));
    }
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let found = alert::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if found.status != OPEN {
        return Err(ServiceError::Conflict(format!(
            "This alert is {} already; only open alerts can be acknowledged.",
            found.status
        )));
    }
    let mut record: alert::ActiveModel = found.into();
    record.status = Set(ACKNOWLEDGED.to_owned());
    record.acknowledged_at = Set(Some(now));
    record.acknowledged_by = Set(Some(ctx.principal.user_id));
    record.acknowledger_label = Set(Some(Actor::from(&ctx.principal).label()));
    record.ack_comment = Set((!comment.is_empty()).then(|| comment.to_owned()));
    let updated = record.update(&txn).await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(Actor::from(&ctx.principal), "alert.acknowledge", "alert")
            .target(id)
            .details(
                json!({ "rule": updated.rule, "subject": updated.subject, "comment": comment }),
            ),
    )
    .await?;
    txn.commit().await?;
    row(updated).ok_or_else(|| ServiceError::internal_in("alert", "unknown rule"))
}

/// The rules with the vendor's settings.
pub async fn rules(ctx: &Ctx) -> ServiceResult<Vec<AlertRuleView>> {
    ctx.principal.require(Permission::ReportRead)?;
    let settings = settings(&ctx.reads).await?;
    Ok(AlertRule::ALL
        .into_iter()
        .map(|rule| {
            let (enabled, threshold) = settings[&rule];
            AlertRuleView {
                rule,
                title: rule.title().to_owned(),
                description: rule.describe(threshold),
                severity: rule.severity(),
                enabled,
                threshold_unit: rule.threshold().map(|(unit, _)| unit.to_owned()),
                threshold,
                default_threshold: rule.threshold().map(|(_, n)| n),
                runbook: rule.runbook(),
            }
        })
        .collect())
}

/// Turns a rule on or off and sets its threshold (audited). The next
/// evaluation applies it: turning a rule off resolves its open alerts.
pub async fn save_rule(
    ctx: &Ctx,
    rule: &str,
    form: &AlertRuleForm,
) -> ServiceResult<AlertRuleView> {
    ctx.principal.require(Permission::SettingsManage)?;
    let rule = AlertRule::parse(rule).ok_or(ServiceError::NotFound)?;
    let threshold = match (rule.threshold(), form.threshold.trim()) {
        (_, "") => None,
        (Some(_), raw) => match parse_threshold(raw) {
            Ok(n) => Some(n as i32),
            Err(message) => {
                let mut errors = FieldErrors::default();
                errors.push("threshold", message);
                return Err(ServiceError::Validation(errors));
            }
        },
        (None, _) => {
            let mut errors = FieldErrors::default();
            errors.push("threshold", "This rule has no threshold; leave it empty.");
            return Err(ServiceError::Validation(errors));
        }
    };
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    alert_rule::Entity::insert(alert_rule::ActiveModel {
        rule: Set(rule.as_str().to_owned()),
        enabled: Set(form.enabled),
        threshold: Set(threshold),
        updated_at: Set(now),
        updated_by: Set(Some(ctx.principal.user_id)),
    })
    .on_conflict(
        OnConflict::column(alert_rule::Column::Rule)
            .update_columns([
                alert_rule::Column::Enabled,
                alert_rule::Column::Threshold,
                alert_rule::Column::UpdatedAt,
                alert_rule::Column::UpdatedBy,
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
            "alert_rule.update",
            "alert_rule",
        )
        .target(rule.as_str())
        .details(json!({ "enabled": form.enabled, "threshold": threshold })),
    )
    .await?;
    txn.commit().await?;
    rules(ctx)
        .await?
        .into_iter()
        .find(|r| r.rule == rule)
        .ok_or_else(|| ServiceError::internal_in("alert rules", "rule vanished"))
}
