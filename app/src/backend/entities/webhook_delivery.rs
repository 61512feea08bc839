use sea_orm::entity::prelude::*;

/// One event for one endpoint: `pending` until delivered, or `dead` when its
/// retries are used up (the dead letters, requeued by a person).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub tenant_id: Option<Uuid>,
    /// Sent as `webhook-id` on every attempt: receivers dedupe on it.
    pub event_id: Uuid,
    /// The event's global sequence: an endpoint's deliveries go in this order.
    pub sequence: i64,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A worker holds it until then (replicas never send one twice at once).
    pub claimed_until: Option<DateTimeUtc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
