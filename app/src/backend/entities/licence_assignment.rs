use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "licence_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub template_id: Uuid,
    pub seats: i32,
    pub valid_from: DateTimeUtc,
    /// `None`: perpetual.
    pub valid_to: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_reason: Option<String>,
    /// The canonical JSON the signature covers.
    pub document: String,
    /// Base64 of the Ed25519 signature over `document`.
    pub signature: String,
    /// JSON array of the notices sent (days before the end).
    pub notices_sent: String,
    /// When its expiry or revocation suspended the tenant.
    pub enforced_at: Option<DateTimeUtc>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
