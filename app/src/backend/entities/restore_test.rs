use sea_orm::entity::prelude::*;

/// A restore test of one backup: restored into a scratch target, checked
/// against the tenant's health baseline there, torn down (see
/// `domain::tenants::restore_test::RestoreTestStatus`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "restore_tests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub backup_id: Uuid,
    pub change_request_id: Uuid,
    pub status: String,
    /// Where the scratch target answered, as the executor's prepare step
    /// reported it.
    pub scratch_address: Option<String>,
    /// The latest word on it (why it failed).
    pub note: String,
    /// Asked for by the tenant's schedule rather than a person.
    pub scheduled: bool,
    pub requested_by: String,
    pub requested_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
