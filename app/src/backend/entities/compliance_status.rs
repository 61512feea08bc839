use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "compliance_status")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: Uuid,
    pub running_version: String,
    pub status: crate::domain::releases::compliance::ComplianceKind,
    /// 0 (end of life) … 4 (compliant).
    pub severity: i32,
    pub days_left: Option<i64>,
    pub detail: String,
    pub policy_level: crate::domain::releases::compliance::PolicyLevel,
    pub assessed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
