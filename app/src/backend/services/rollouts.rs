//! Staged rollouts: one release to many tenants in waves. Each target becomes
//! a change request run by the job engine; the controller (`advance_all`,
//! every scheduler round on every replica, one rollout at a time under a row
//! lock) starts targets up to the concurrency limit, and advances, pauses or
//! stops on the wave thresholds. A crash loses nothing: targets, waves and
//! their change requests are rows.

pub mod assignments;

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
use crate::domain::access::permission::Permission;
use crate::domain::changes::change::ChangeKind;
use crate::domain::changes::change::ChangeStatus;
use crate::domain::releases::catalog::ReleaseStatus;
use crate::domain::rollouts::rollout::Candidate;
use crate::domain::rollouts::rollout::RolloutMove;
use crate::domain::rollouts::rollout::RolloutScope;
use crate::domain::rollouts::rollout::Thresholds;
use crate::domain::rollouts::rollout::WaveDecision;
use crate::domain::rollouts::rollout::WaveProgress;
use crate::domain::rollouts::rollout::assign_waves;
use crate::domain::rollouts::rollout::offered_actions;
use crate::domain::rollouts::rollout::parse_concurrency;
use crate::domain::rollouts::rollout::parse_thresholds;
use crate::domain::rollouts::rollout::parse_wave_rules;
use crate::domain::rollouts::rollout::parse_wave_splits;
use crate::domain::rollouts::rollout::rollout_move;
use crate::domain::rollouts::rollout::success_rate;
use crate::domain::rollouts::rollout::wave_decision;
use crate::domain::rollouts::rollout::wave_sizes;
use crate::domain::rollouts::rollout::{RolloutAction, RolloutStatus, TargetStatus};
use crate::domain::validation::FieldErrors;
use crate::model::rollouts::{
    RolloutDetail, RolloutForm, RolloutList, RolloutRow, TargetRow, WaveRow,
};

mod actions;
mod command;
mod plan;
mod query;
mod workflow;

pub use actions::*;
pub use command::{NewRollout, RolloutSettings, TargetSelection};
pub use plan::*;
pub use query::*;
pub use workflow::*;

pub const TENANTS: RolloutScope = RolloutScope::Tenants;
pub const ENDPOINTS: RolloutScope = RolloutScope::Endpoints;

const TARGETS_PER_PAGE: u64 = 50;

async fn wave_progress<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    wave: i32,
) -> ServiceResult<WaveProgress> {
    let counts: Vec<(TargetStatus, i64)> = rollout_target::Entity::find()
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
        match status {
            TargetStatus::Succeeded => progress.succeeded += n,
            TargetStatus::Failed => progress.failed += n,
            TargetStatus::Running => progress.running += n,
            TargetStatus::Pending | TargetStatus::Skipped => {}
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
