use sea_orm::entity::prelude::*;

/// One backup of one tenant: the bundle a backup change wrote (the portal's
/// own part and the executor's data snapshot reference), where it lies, and
/// what its last verify found.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The backup change that took it (one backup per change).
    pub change_request_id: Uuid,
    /// `full` or `config`.
    pub kind: String,
    /// `daily`, `weekly`, `monthly` or `manual`.
    pub retention_class: String,
    /// Where the bundle lies: `file:///…` or `s3://bucket/…`.
    pub location: String,
    pub size_bytes: i64,
    /// Lower-case hex SHA-256 of the bundle as written.
    pub sha256: String,
    /// The executor's reference to the tenant's runtime data snapshot.
    pub data_snapshot: Option<String>,
    /// JSON summary of what the bundle holds (counts per part).
    pub contents: String,
    pub taken_at: DateTimeUtc,
    /// `unverified`, `verified`, `corrupt` or `missing`.
    pub verify_status: String,
    pub verified_at: Option<DateTimeUtc>,
    pub verify_message: String,
    pub expires_at: Option<DateTimeUtc>,
    /// Set when retention (or a person) deleted the bundle; the record stays.
    pub deleted_at: Option<DateTimeUtc>,
    pub delete_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
