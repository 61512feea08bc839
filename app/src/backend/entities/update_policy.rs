use sea_orm::entity::prelude::*;

use crate::domain::changes::change::ApprovalMode;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "update_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub approval_mode: ApprovalMode,
    pub timezone: crate::domain::changes::schedule::PolicyZone,
    pub max_delay_days: i32,
    /// Upgrade to the latest allowed release on its own (hourly, into the next window).
    pub auto_update: bool,
    /// The vendor's limit on this tenant's changes running at once (else the plan's).
    pub max_running_changes: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
