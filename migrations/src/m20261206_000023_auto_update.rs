//! A tenant's update policy may turn on auto-update: the hourly job then
//! schedules an upgrade to the latest allowed release into its next window.
//! The vendor may also set how many of its changes run at once (instead of
//! the plan's `concurrent_updates`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UpdatePolicies {
    Table,
    AutoUpdate,
    MaxRunningChanges,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(UpdatePolicies::Table)
                    .add_column(boolean(UpdatePolicies::AutoUpdate).default(false))
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(UpdatePolicies::Table)
                    .add_column(integer_null(UpdatePolicies::MaxRunningChanges))
                    .to_owned(),
            )
            .await
    }
}
