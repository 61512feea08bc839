//! Batch updates of endpoints: in an endpoint rollout each assigned endpoint's
//! agent fetches its update (`GET /api/v1/agents/assignments`), installs it and
//! reports progress and the result. A failed install is offered again until
//! it has failed `MAX_ATTEMPTS` times; then the target counts as failed for
//! the wave's thresholds.

use crate::domain::rollouts::rollout::{RolloutStatus, TargetStatus};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::entities::{endpoint_product, product, rollout, rollout_target};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::domain::validation::FieldErrors;

/// Installs an endpoint may try before its target counts as failed.
pub const MAX_ATTEMPTS: i32 = 3;

/// An update the agent is asked to install.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Assignment {
    /// Report progress to `/api/v1/agents/assignments/{id}`.
    pub id: Uuid,
    pub rollout_id: Uuid,
    pub product: String,
    pub version: String,
    /// 1 on the first try.
    pub attempt: i32,
}

/// What the agent reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// `downloading`, `installing`, `succeeded` or `failed`.
    pub status: String,
    #[serde(default)]
    pub message: String,
}

/// The endpoint's assigned updates of running rollouts; none while its
/// tenant is suspended (its reports are still heard).
pub async fn fetch(db: &DatabaseConnection, agent_secret: &str) -> ServiceResult<Vec<Assignment>> {
    let (found, access) =
        crate::backend::services::tenants::agents::agent_endpoint(db, agent_secret).await?;
    if !access.agents_get_work() {
        return Ok(vec![]);
    }
    let targets = rollout_target::Entity::find()
        .filter(rollout_target::Column::EndpointId.eq(found.id))
        .filter(rollout_target::Column::Status.eq(TargetStatus::Running))
        .all(db)
        .await?;
    let mut assignments = vec![];
    for target in targets {
        let Some(plan) = rollout::Entity::find_by_id(target.rollout_id)
            .one(db)
            .await?
        else {
            continue;
        };
        if plan.status != RolloutStatus::Running {
            continue; // paused or aborted: do not start new installs
        }
        let key = product::Entity::find_by_id(plan.product_id)
            .one(db)
            .await?
            .map(|p| p.key)
            .unwrap_or_default();
        assignments.push(Assignment {
            id: target.id,
            rollout_id: plan.id,
            product: key,
            version: plan.target_version,
            attempt: target.attempts + 1,
        });
    }
    Ok(assignments)
}

/// Records an agent's progress on one of its assignments. Success records the
/// installed version in the endpoint's inventory, in the same transaction.
pub async fn report(
    db: &DatabaseConnection,
    context: &RequestContext,
    agent_secret: &str,
    target_id: Uuid,
    progress: &Progress,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let (found, _) =
        crate::backend::services::tenants::agents::agent_endpoint(db, agent_secret).await?;
    if !matches!(
        progress.status.as_str(),
        "downloading" | "installing" | "succeeded" | "failed"
    ) {
        let mut errors = FieldErrors::default();
        errors.push(
            "status",
            "Report downloading, installing, succeeded or failed.",
        );
        return Err(errors.into());
    }
    let txn = db.begin().await?;
    let target = rollout_target::Entity::find_by_id(target_id)
        .filter(rollout_target::Column::EndpointId.eq(found.id))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if target.status != TargetStatus::Running {
        return Err(ServiceError::Conflict(format!(
            "This assignment is {}; nothing to report.",
            target.status.as_str()
        )));
    }
    let plan = rollout::Entity::find_by_id(target.rollout_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let message = progress.message.chars().take(2000).collect::<String>();
    let mut record: rollout_target::ActiveModel = target.clone().into();
    record.message = Set(Some(message.clone()));
    let outcome = match progress.status.as_str() {
        "succeeded" => {
            record.status = Set(TargetStatus::Succeeded);
            record.finished_at = Set(Some(now));
            endpoint_product::Entity::delete_many()
                .filter(endpoint_product::Column::EndpointId.eq(found.id))
                .filter(endpoint_product::Column::ProductId.eq(plan.product_id))
                .exec(&txn)
                .await?;
            endpoint_product::ActiveModel {
                endpoint_id: Set(found.id),
                product_id: Set(plan.product_id),
                tenant_id: Set(found.tenant_id),
                version: Set(plan.target_version.clone()),
            }
            .insert(&txn)
            .await?;
            "succeeded"
        }
        "failed" => {
            let attempts = target.attempts + 1;
            record.attempts = Set(attempts);
            record.last_error = Set(Some(message.clone()));
            if attempts >= MAX_ATTEMPTS {
                record.status = Set(TargetStatus::Failed);
                record.finished_at = Set(Some(now));
                "failed"
            } else {
                "retrying"
            }
        }
        other => other,
    };
    record.update(&txn).await?;
    if matches!(outcome, "succeeded" | "failed" | "retrying") {
        audit::record(
            &txn,
            context,
            AuditEntry::new(Actor::System("agent"), "rollout.endpoint_report", "rollout")
                .target(plan.id)
                .tenant(found.tenant_id)
                .details(json!({
                    "endpoint": found.hostname, "outcome": outcome, "attempt": target.attempts + 1,
                    "version": plan.target_version, "message": message,
                })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(outcome.to_owned())
}
