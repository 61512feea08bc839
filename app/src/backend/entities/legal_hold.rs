use sea_orm::entity::prelude::*;

/// A legal hold on a tenant: while it is not lifted, nothing of the tenant
/// is deleted by retention.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legal_holds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub reason: String,
    pub set_by: String,
    pub set_at: DateTimeUtc,
    pub lifted_by: Option<String>,
    pub lifted_at: Option<DateTimeUtc>,
    pub lift_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
