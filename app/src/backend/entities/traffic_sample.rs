use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "traffic_samples")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub switch_id: Uuid,
    pub tenant_id: Uuid,
    pub at: DateTimeUtc,
    pub slot: crate::domain::deployments::bluegreen::Slot,
    pub weight: i32,
    pub requests: i64,
    pub errors: i64,
    pub latency_ms: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
