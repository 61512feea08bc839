//! The regions this installation offers (TENANTRY_REGIONS), recorded at
//! start-up so that work running without the configuration at hand (the
//! job engine starting a scheduled activation) checks data residency
//! against the same list the forms offered.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConfiguredRegions {
    Table,
    Region,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConfiguredRegions::Table)
                    .if_not_exists()
                    .col(string(ConfiguredRegions::Region).primary_key())
                    .col(timestamp_with_time_zone(ConfiguredRegions::RecordedAt))
                    .to_owned(),
            )
            .await
    }
}
