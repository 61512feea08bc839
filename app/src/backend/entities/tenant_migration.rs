use sea_orm::entity::prelude::*;

/// A tenant's move to another region or isolation mode: the placement
/// decision, its change, the backup it took and where it stands (see
/// `domain::tenants::migration::MigrationStatus`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_migrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub change_request_id: Uuid,
    pub status: String,
    pub from_region: String,
    pub from_isolation: String,
    pub from_address: Option<String>,
    pub to_region: String,
    pub to_isolation: String,
    /// Where the target answers, as the executor's prepare step reported.
    pub target_address: Option<String>,
    pub reason: String,
    pub decided_by: String,
    /// JSON: what residency allowed when it was decided (allowed and
    /// configured regions) and the verdict.
    pub decision: String,
    /// The backup its first step took.
    pub backup_id: Option<Uuid>,
    /// The latest word on it.
    pub note: String,
    pub requested_at: DateTimeUtc,
    pub cut_over_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
