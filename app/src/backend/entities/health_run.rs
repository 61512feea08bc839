use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "health_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub switch_id: Option<Uuid>,
    pub tenant_id: Uuid,
    pub slot: crate::domain::deployments::bluegreen::Slot,
    pub at: DateTimeUtc,
    pub passed: bool,
    pub results:
        crate::backend::columns::JsonText<Vec<crate::domain::deployments::health::CheckResult>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
