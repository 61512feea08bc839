//! Tenant migrations: each move of a tenant to another region or isolation
//! mode — the placement decision (from, to, why, who, what residency
//! allowed at the time), the change that carries it out, the backup it took,
//! the target's address and where it stands.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantMigrations {
    Table,
    Id,
    TenantId,
    ChangeRequestId,
    Status,
    FromRegion,
    FromIsolation,
    FromAddress,
    ToRegion,
    ToIsolation,
    TargetAddress,
    Reason,
    DecidedBy,
    Decision,
    BackupId,
    Note,
    RequestedAt,
    CutOverAt,
    FinishedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantMigrations::Table)
                    .if_not_exists()
                    .col(uuid(TenantMigrations::Id).primary_key())
                    .col(uuid(TenantMigrations::TenantId))
                    .col(uuid(TenantMigrations::ChangeRequestId))
                    .col(string_len(TenantMigrations::Status, 16))
                    .col(string_len(TenantMigrations::FromRegion, 32))
                    .col(string_len(TenantMigrations::FromIsolation, 16))
                    .col(text_null(TenantMigrations::FromAddress))
                    .col(string_len(TenantMigrations::ToRegion, 32))
                    .col(string_len(TenantMigrations::ToIsolation, 16))
                    .col(text_null(TenantMigrations::TargetAddress))
                    .col(text(TenantMigrations::Reason))
                    .col(string(TenantMigrations::DecidedBy))
                    .col(text(TenantMigrations::Decision))
                    .col(uuid_null(TenantMigrations::BackupId))
                    .col(text(TenantMigrations::Note))
                    .col(timestamp_with_time_zone(TenantMigrations::RequestedAt))
                    .col(timestamp_with_time_zone_null(TenantMigrations::CutOverAt))
                    .col(timestamp_with_time_zone_null(TenantMigrations::FinishedAt))
                    .col(timestamp_with_time_zone(TenantMigrations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tenant_migrations_tenant")
                    .table(TenantMigrations::Table)
                    .col(TenantMigrations::TenantId)
                    .col(TenantMigrations::RequestedAt)
                    .to_owned(),
            )
            .await?;
        // One migration per change, however often its steps are handled.
        manager
            .create_index(
                Index::create()
                    .name("idx_tenant_migrations_change")
                    .table(TenantMigrations::Table)
                    .col(TenantMigrations::ChangeRequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        crate::row_security::confine(manager, &["tenant_migrations"]).await
    }
}
