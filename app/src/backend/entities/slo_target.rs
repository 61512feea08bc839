use sea_orm::entity::prelude::*;

/// The vendor's service-level targets (one row, scope `vendor`; no row:
/// the defaults).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "slo_targets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    pub availability_percent: f64,
    pub api_p95_ms: i32,
    pub api_error_percent: f64,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
