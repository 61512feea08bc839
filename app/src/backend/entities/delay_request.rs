use sea_orm::entity::prelude::*;

/// A tenant's request to postpone a scheduled change beyond its policy's limit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delay_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub change_request_id: Uuid,
    pub tenant_id: Uuid,
    pub days: i32,
    pub reason: String,
    /// `pending`, `approved` or `denied`.
    pub status: crate::domain::changes::decision::RequestStatus,
    pub requested_by: Option<Uuid>,
    pub requester_label: String,
    pub requested_at: DateTimeUtc,
    pub decided_by: Option<Uuid>,
    pub decider_label: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_comment: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
