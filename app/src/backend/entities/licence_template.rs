use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "licence_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub key: String,
    pub name: String,
    /// `domain::plans::licence::LicenceType`.
    pub licence_type: String,
    /// JSON array of product keys.
    pub products: String,
    pub seats: i32,
    /// `None`: perpetual.
    pub term_days: Option<i32>,
    /// JSON array of licensed features.
    pub features: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
