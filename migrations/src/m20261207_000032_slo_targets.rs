//! The vendor's service-level targets: one row (no row: seed 003's
//! defaults of 99.9 % availability, p95 under 200 ms, under 0.1 % errors).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SloTargets {
    Table,
    Scope,
    AvailabilityPercent,
    ApiP95Ms,
    ApiErrorPercent,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SloTargets::Table)
                    .if_not_exists()
                    .col(string_len(SloTargets::Scope, 32).primary_key())
                    .col(double(SloTargets::AvailabilityPercent))
                    .col(integer(SloTargets::ApiP95Ms))
                    .col(double(SloTargets::ApiErrorPercent))
                    .col(timestamp_with_time_zone(SloTargets::UpdatedAt))
                    .col(uuid_null(SloTargets::UpdatedBy))
                    .to_owned(),
            )
            .await
    }
}
