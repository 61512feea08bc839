use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "releases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    pub version: String,
    /// Orders versions in SQL (see `domain::compliance::version_sort_key`).
    pub sort_key: String,
    pub released_on: Date,
    pub end_of_support: Option<Date>,
    pub end_of_life: Option<Date>,
    /// `published` or `withdrawn`.
    pub status: crate::domain::releases::catalog::ReleaseStatus,
    pub notes: String,
    /// JSON object: component → pinned version.
    /// Component → pinned version.
    pub components: crate::backend::columns::JsonText<std::collections::BTreeMap<String, String>>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
