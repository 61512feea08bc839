use sea_orm::entity::prelude::*;

/// A tenant's backup schedule: how many backups of each class to keep
/// (0: that class is not taken).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backup_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub keep_daily: i32,
    pub keep_weekly: i32,
    pub keep_monthly: i32,
    /// Days between restore tests of the latest verified backup (0: only
    /// on request).
    pub restore_test_days: i32,
    pub updated_at: DateTimeUtc,
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
