use sea_orm::entity::prelude::*;

/// One occurrence of an alert rule's condition for one subject.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `AlertRule::as_str`.
    pub rule: String,
    pub subject_key: String,
    pub tenant_id: Option<Uuid>,
    pub subject: String,
    pub link: String,
    pub summary: String,
    /// open, acknowledged or resolved.
    pub status: String,
    pub opened_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledger_label: Option<String>,
    pub ack_comment: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
