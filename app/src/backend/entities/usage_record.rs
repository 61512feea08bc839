use sea_orm::entity::prelude::*;

/// One usage reading, idempotent by its sender's id within the tenant.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub record_id: String,
    pub meter: String,
    pub quantity: f64,
    pub measured_at: DateTimeUtc,
    /// `YYYY-MM-DD` (UTC) of `measured_at`.
    pub day: String,
    /// `agent`, `api` or `portal`.
    pub source: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
