//! Usage metering: every record pushed by agents and the orchestrator or
//! counted by the portal (idempotent by its sender's id within a tenant),
//! each tenant's daily value per meter (kept with the records, in the same
//! transaction), and the level each quota last reached (so an 80 % or
//! 100 % warning goes out once per crossing). Tenant-scoped: row-level
//! security as for every such table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UsageRecords {
    Table,
    TenantId,
    RecordId,
    Meter,
    Quantity,
    MeasuredAt,
    Day,
    Source,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum UsageDaily {
    Table,
    TenantId,
    Day,
    Meter,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum QuotaLevels {
    Table,
    TenantId,
    Quota,
    Level,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UsageRecords::Table)
                    .if_not_exists()
                    .col(uuid(UsageRecords::TenantId))
                    .col(string_len(UsageRecords::RecordId, 128))
                    .col(string_len(UsageRecords::Meter, 48))
                    .col(double(UsageRecords::Quantity))
                    .col(timestamp_with_time_zone(UsageRecords::MeasuredAt))
                    .col(string_len(UsageRecords::Day, 10))
                    .col(string_len(UsageRecords::Source, 16))
                    .col(timestamp_with_time_zone(UsageRecords::ReceivedAt))
                    .primary_key(
                        Index::create()
                            .col(UsageRecords::TenantId)
                            .col(UsageRecords::RecordId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_records_day")
                    .table(UsageRecords::Table)
                    .col(UsageRecords::TenantId)
                    .col(UsageRecords::Day)
                    .col(UsageRecords::Meter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsageDaily::Table)
                    .if_not_exists()
                    .col(uuid(UsageDaily::TenantId))
                    .col(string_len(UsageDaily::Day, 10))
                    .col(string_len(UsageDaily::Meter, 48))
                    .col(double(UsageDaily::Value))
                    .col(timestamp_with_time_zone(UsageDaily::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(UsageDaily::TenantId)
                            .col(UsageDaily::Day)
                            .col(UsageDaily::Meter),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_daily_day")
                    .table(UsageDaily::Table)
                    .col(UsageDaily::Day)
                    .col(UsageDaily::Meter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QuotaLevels::Table)
                    .if_not_exists()
                    .col(uuid(QuotaLevels::TenantId))
                    .col(string_len(QuotaLevels::Quota, 40))
                    .col(string_len(QuotaLevels::Level, 16))
                    .col(timestamp_with_time_zone(QuotaLevels::ChangedAt))
                    .primary_key(
                        Index::create()
                            .col(QuotaLevels::TenantId)
                            .col(QuotaLevels::Quota),
                    )
                    .to_owned(),
            )
            .await?;
        crate::row_security::confine(manager, &["usage_records", "usage_daily", "quota_levels"])
            .await
    }
}
