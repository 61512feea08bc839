use sea_orm::entity::prelude::*;

/// A tenant's use of a cloud resource.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cloud_resource_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cloud_resource_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub linked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
