use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: Uuid,
    /// A semver requirement such as `>=5.0, <6`.
    pub allowed_range: Option<String>,
    /// JSON array of enabled feature flags.
    pub feature_flags: crate::backend::columns::JsonText<Vec<String>>,
    pub running_version: Option<String>,
    /// JSON object: component → running version.
    pub components: crate::backend::columns::JsonText<std::collections::BTreeMap<String, String>>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
