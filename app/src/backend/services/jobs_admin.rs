//! The Jobs page: queue figures and the jobs themselves, with retry and
//! cancel for the people who run changes platform-wide.

use chrono::Utc;
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::jobs;
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::changes;
use crate::domain::permission::Permission;
use crate::domain::validation::FieldErrors;
use crate::model::changes::{JobCounts, JobRow, JobsView};

const PER_PAGE: u64 = 25;

pub async fn view(
    db: &DatabaseConnection,
    principal: &Principal,
    status: Option<&str>,
    page: u64,
) -> ServiceResult<JobsView> {
    // Jobs span every tenant: platform-wide readers only.
    principal.require(Permission::TenantRead)?;
    let status = status.filter(|s| !s.is_empty());
    let stats = jobs::stats(db, Utc::now()).await?;
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
        can_manage: principal.require(Permission::UpdateExecute).is_ok(),
    })
}

/// `retry` or `cancel` one job, audited.
pub async fn act(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
    id: Uuid,
    action: &str,
) -> ServiceResult<()> {
    principal.require(Permission::UpdateExecute)?;
    let txn = db.begin().await?;
    let (job, audit_action) = match action {
        "retry" => (jobs::retry(&txn, id).await?, "job.retry"),
        "cancel" => {
            let cancelled = jobs::cancel(&txn, id).await?;
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
            .details(json!({ "kind": job.kind, "key": job.idempotency_key, "status": job.status })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
