use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rollouts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub scope: crate::domain::rollouts::rollout::RolloutScope,
    pub product_id: Uuid,
    pub target_version: String,
    pub status: crate::domain::rollouts::rollout::RolloutStatus,
    pub selection: String,
    pub wave_splits: String,
    pub success_threshold: i32,
    pub error_threshold: i32,
    pub on_error: String,
    pub concurrency: i32,
    pub start_at: Option<DateTimeUtc>,
    pub requires_approval: bool,
    pub current_wave: i32,
    pub halt_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub creator_label: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
