use sea_orm::entity::prelude::*;

/// A provider resource (bucket, database, cluster) in the inventory.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cloud_resources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub provider: String,
    pub resource_type: String,
    /// The provider's id (an ARN on AWS).
    pub resource_id: String,
    pub region: String,
    pub cost_tag: String,
    /// JSON object of tags.
    pub tags: String,
    /// `api` or `csv`.
    pub source: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
