//! A tenant's update policy may turn on auto-update: the hourly job then
//! schedules an upgrade to the latest allowed release into its next window.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UpdatePolicies {
    Table,
    AutoUpdate,
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
            .await
    }
}
