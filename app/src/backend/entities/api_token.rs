use sea_orm::entity::prelude::*;

/// An API token. Only its SHA-256 hash is stored; the token itself is shown
/// once, when it is created.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// The first characters of the token, so people can tell tokens apart.
    pub token_prefix: String,
    pub token_hash: String,
    /// The user the token acts as; it has that user's permissions.
    pub user_id: Uuid,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// Limits the token to one of its user's role bindings; `None`: all of them.
    pub role_binding_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
