use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rollout_targets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub rollout_id: Uuid,
    pub wave: i32,
    pub position: i32,
    pub tenant_id: Uuid,
    pub endpoint_id: Option<Uuid>,
    pub from_version: Option<String>,
    pub status: crate::domain::rollouts::rollout::TargetStatus,
    pub attempts: i32,
    pub message: Option<String>,
    pub change_request_id: Option<Uuid>,
    pub last_error: Option<String>,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
