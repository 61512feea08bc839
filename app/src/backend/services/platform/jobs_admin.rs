//! The Jobs page: queue figures and the jobs themselves, with retry and
//! cancel for the people who run changes platform-wide.

use crate::domain::platform::job::JobStatus;
use sea_orm::TransactionTrait;
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::jobs;
use crate::backend::principal::Actor;
use crate::backend::services::changes;
use crate::domain::access::permission::Permission;
use crate::domain::validation::FieldErrors;
use crate::model::changes::{JobCounts, JobRow, JobsView};

const PER_PAGE: u64 = 25;

pub async fn view(ctx: &Ctx, status: Option<&str>, page: u64) -> ServiceResult<JobsView> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    // Jobs span every tenant: platform-wide readers only.
    principal.require(Permission::TenantRead)?;
    let status = match status.filter(|s| !s.is_empty()) {
        None => None,
        Some(word) => Some(JobStatus::parse(word).ok_or_else(|| {
            let mut errors = FieldErrors::default();
            errors.push(
                "status",
                "Choose queued, running, retrying, succeeded, dead or cancelled.",
            );
            ServiceError::Validation(errors)
        })?),
    };
    let stats = jobs::stats(db, ctx.now()).await?;
    let page = page.max(1);
    let (models, total) = jobs::list(db, status, page, PER_PAGE).await?;
    Ok(JobsView {
        counts: JobCounts {
            due: stats.due,
            waiting: stats.waiting,
            running: stats.running,
            retrying: stats.retrying,
            dead: stats.dead,
            succeeded: stats.succeeded,
            cancelled: stats.cancelled,
        },
        rows: models
            .into_iter()
            .map(|j| JobRow {
                id: j.id,
                kind: j.kind,
                key: j.idempotency_key,
                status: j.status,
                attempts: j.attempts,
                max_attempts: j.max_attempts,
                run_at: j.run_at,
                lease_owner: j.lease_owner,
                last_error: j.last_error,
                updated_at: j.updated_at,
            })
            .collect(),
        total,
        page,
        per_page: PER_PAGE,
    })
}

/// `retry` or `cancel` one job, audited.
pub async fn act(ctx: &Ctx, id: Uuid, action: &str) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::UpdateExecute)?;
    let txn = db.begin().await?;
    let (job, audit_action) = match action {
        "retry" => (jobs::retry(&txn, id, ctx.now()).await?, "job.retry"),
        "cancel" => {
            let cancelled = jobs::cancel(&txn, id, ctx.now()).await?;
            // The change the job was running will not finish now.
            if let Some(change) = cancelled
                .payload
                .parse::<serde_json::Value>()
                .ok()
                .and_then(|p| {
                    p["change_request_id"]
                        .as_str()
                        .and_then(|v| Uuid::parse_str(v).ok())
                })
            {
                changes::abandon(
                    &txn,
                    change,
                    &format!("Stopped: its job was cancelled by {}", principal.email),
                    ctx.now(),
                )
                .await?;
            }
            (cancelled, "job.cancel")
        }
        _ => {
            let mut errors = FieldErrors::default();
            errors.push("action", "Choose retry or cancel.");
            return Err(ServiceError::Validation(errors));
        }
    };
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), audit_action, "job")
            .target(id)
            .details(json!({ "kind": job.kind, "key": job.idempotency_key, "status": job.status.as_str() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
