use sea_orm::entity::prelude::*;

/// A certificate of destruction: the canonical JSON of what was deleted,
/// when and by whom, and the portal's Ed25519 signature over it (checked
/// with the key served at `/api/v1/licences/public-key`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "destruction_certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub offboarding_id: Option<Uuid>,
    pub delete_change_id: Uuid,
    pub document: String,
    /// Base64 of the signature over `document`'s bytes.
    pub signature: String,
    pub algorithm: String,
    pub issued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
