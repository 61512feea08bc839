//! Per-tenant key/value configuration; secret values are write-only.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantSettings {
    Table,
    Id,
    TenantId,
    Key,
    Value,
    IsSecret,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantSettings::Table)
                    .col(uuid(TenantSettings::Id).primary_key())
                    .col(uuid(TenantSettings::TenantId))
                    .col(string(TenantSettings::Key))
                    .col(text(TenantSettings::Value))
                    .col(boolean(TenantSettings::IsSecret).default(false))
                    .col(timestamp_with_time_zone(TenantSettings::UpdatedAt))
                    .col(string(TenantSettings::UpdatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tenant_settings_tenant_key")
                    .table(TenantSettings::Table)
                    .col(TenantSettings::TenantId)
                    .col(TenantSettings::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
