//! A failed update's rollback runs as steps of its own change (marked, so
//! the forward run never picks them up), and a tenant left broken says why.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeSteps {
    Table,
    Rollback,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    StateReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeSteps::Table)
                    .add_column(boolean(ChangeSteps::Rollback).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(text_null(Tenants::StateReason))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
