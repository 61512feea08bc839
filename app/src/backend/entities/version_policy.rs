use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "version_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `global`, `product` or `tenant`.
    pub level: crate::domain::releases::compliance::PolicyLevel,
    pub product_id: Option<Uuid>,
    pub tenant_id: Option<Uuid>,
    pub minimum_version: Option<String>,
    pub maximum_version: Option<String>,
    pub eol_date: Option<Date>,
    pub grace_days: i64,
    /// Space-separated enforcement actions.
    pub actions: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
