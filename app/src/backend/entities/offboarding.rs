use sea_orm::entity::prelude::*;

/// A tenant's offboarding: its stage (see
/// `domain::tenants::offboarding::OffboardingStage`), the export written for
/// the customer, what was revoked, the clean-up and deletion changes and
/// the date retention ends.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offboardings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub stage: String,
    pub reason: String,
    pub retention_days: i64,
    pub requested_by: String,
    pub requested_at: DateTimeUtc,
    /// JSON list of the contact addresses the notice went to.
    pub notice_recipients: String,
    pub export_location: Option<String>,
    pub export_sha256: Option<String>,
    pub export_size_bytes: Option<i64>,
    /// JSON: the export's manifest (files, sizes, checksums).
    pub export_manifest: Option<String>,
    /// JSON: counts of what was revoked.
    pub access_revoked: String,
    pub cleanup_change_id: Option<Uuid>,
    pub archived_at: Option<DateTimeUtc>,
    pub delete_after: Option<DateTimeUtc>,
    /// When retention first found a legal hold in the way.
    pub held_at: Option<DateTimeUtc>,
    pub deletion_change_id: Option<Uuid>,
    pub destroyed_at: Option<DateTimeUtc>,
    /// The latest word on it ("Clean-up failed: …").
    pub note: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
