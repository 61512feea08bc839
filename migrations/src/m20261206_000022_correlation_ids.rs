//! One correlation id follows a change from the request that created it
//! through its jobs, executor steps and audit records.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeRequests {
    Table,
    CorrelationId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeRequests::Table)
                    .add_column(text_null(ChangeRequests::CorrelationId))
                    .to_owned(),
            )
            .await
    }
}
