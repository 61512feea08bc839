//! An upgrade of an edge tenant *is* a blue-green switch: the switch records
//! the change request it carries out, so the change ends when the switch does.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DeploymentSwitches {
    Table,
    ChangeRequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(DeploymentSwitches::Table)
                    .add_column(uuid_null(DeploymentSwitches::ChangeRequestId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("deployment_switches_change")
                    .table(DeploymentSwitches::Table)
                    .col(DeploymentSwitches::ChangeRequestId)
                    .to_owned(),
            )
            .await
    }
}
