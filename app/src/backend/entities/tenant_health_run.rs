use sea_orm::entity::prelude::*;

/// One run of a tenant's health baselines against its address.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_health_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub at: DateTimeUtc,
    /// `scheduled` or `manual` (domain `RunTrigger`).
    pub trigger: String,
    pub passed: bool,
    pub duration_ms: i64,
    pub results:
        crate::backend::columns::JsonText<Vec<crate::domain::tenants::health::CheckOutcome>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
