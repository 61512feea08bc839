//! Enrollment tokens may be limited to a number of registrations (single
//! use: 1), and only a token made for it may take over an endpoint whose
//! hostname is already registered (otherwise the agent must present that
//! endpoint's own token).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EnrollmentTokens {
    Table,
    MaxRegistrations,
    ReplacesEndpoints,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(EnrollmentTokens::Table)
                    .add_column(big_integer_null(EnrollmentTokens::MaxRegistrations))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(EnrollmentTokens::Table)
                    .add_column(boolean(EnrollmentTokens::ReplacesEndpoints).default(false))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
