use sea_orm::entity::prelude::*;

/// One POST to an endpoint and what came back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub endpoint_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub at: DateTimeUtc,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    /// The first 1 KB of the answer.
    pub response_excerpt: String,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
