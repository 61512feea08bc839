use sea_orm::entity::prelude::*;

/// The outbox: written with the change; only the sequencer updates a row,
/// once, to give it its numbers.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// Insertion order, for the sequencer only.
    #[sea_orm(primary_key)]
    pub pk: i64,
    pub id: Uuid,
    pub event_type: String,
    pub version: i32,
    pub occurred_at: DateTimeUtc,
    pub tenant_id: Option<Uuid>,
    pub correlation_id: Option<String>,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// JSON: `{"state": …, "details": …}`.
    pub data: String,
    pub global_seq: Option<i64>,
    pub tenant_seq: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
