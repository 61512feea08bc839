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
use crate::model::rollouts::{
    RolloutDetail, RolloutForm, RolloutList, RolloutRow, TargetRow, WaveRow,
};

mod actions;
mod plan;
mod query;
mod workflow;

pub use actions::*;
pub use plan::*;
pub use query::*;
pub use workflow::*;

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
