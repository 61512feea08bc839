use sea_orm::entity::prelude::*;

/// A subscriber: the vendor's (no tenant) or one tenant's.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub url: String,
    pub description: String,
    /// JSON list of types or groups (`change.*`); empty: every type.
    pub event_types: crate::backend::columns::JsonText<Vec<String>>,
    pub enabled: bool,
    /// Sealed (`Purpose::WebhookSecret`): `whsec_…`.
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    /// Deliveries have failed since, without a success in between.
    pub failing_since: Option<DateTimeUtc>,
    pub disabled_reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
