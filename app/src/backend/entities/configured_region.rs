use sea_orm::entity::prelude::*;

/// One region this installation offers, as recorded at its last start.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "configured_regions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
