use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_steps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub change_request_id: Uuid,
    pub tenant_id: Uuid,
    pub position: i32,
    pub name: String,
    pub status: crate::domain::changes::change::StepStatus,
    pub idempotency_key: String,
    pub attempts: i32,
    pub output: String,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    /// Undoes a failed update; the forward run skips it.
    pub rollback: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
