use sea_orm::entity::prelude::*;

use crate::domain::changes::change::ChangeKind;
use crate::domain::changes::change::ChangeModel;
use crate::domain::changes::change::ChangeStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: ChangeKind,
    pub change_model: ChangeModel,
    pub status: ChangeStatus,
    pub title: String,
    pub product_id: Option<Uuid>,
    pub target_version: Option<String>,
    pub requested_by: Option<Uuid>,
    pub requester_label: String,
    pub requires_approval: bool,
    pub not_before: Option<DateTimeUtc>,
    pub next_start_at: Option<DateTimeUtc>,
    pub schedule_reason: String,
    pub delayed_days: i32,
    pub progress: i32,
    pub rollout_id: Option<Uuid>,
    pub outcome: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// The saved filter this change was requested for (one change per
    /// matching tenant), if any; its name as it was then.
    pub target_filter_id: Option<Uuid>,
    pub target_filter_name: Option<String>,
    /// Requested by the vendor (a platform principal or the system): only
    /// the vendor may cancel or reject it.
    pub requested_by_vendor: bool,
    /// The id of the request that created it (a new one for the system's
    /// own changes), carried through its jobs, steps and audit records.
    pub correlation_id: Option<String>,
    /// The plan a plan change moves the tenant to.
    pub target_plan: Option<String>,
    /// The backup a restore starts from.
    pub backup_id: Option<Uuid>,
    /// The retention class a backup is taken for (`daily`, `weekly`,
    /// `monthly`; none: a manual backup).
    pub backup_class: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
