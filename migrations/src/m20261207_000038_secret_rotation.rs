//! Secret rotation: each rotation of a tenant secret beside its change
//! request (the new value sealed until it lands, the previous one sealed
//! for a rollback), and each secret's rotation schedule.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SecretRotations {
    Table,
    Id,
    TenantId,
    ChangeRequestId,
    SecretName,
    ConfigKey,
    NewValue,
    PreviousValue,
    Status,
    Generated,
    RequestedBy,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum SecretSchedules {
    Table,
    TenantId,
    SecretName,
    IntervalDays,
    LastRotatedAt,
    UpdatedBy,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SecretRotations::Table)
                    .if_not_exists()
                    .col(uuid(SecretRotations::Id).primary_key())
                    .col(uuid(SecretRotations::TenantId))
                    .col(uuid(SecretRotations::ChangeRequestId))
                    .col(string_len(SecretRotations::SecretName, 64))
                    .col(string_len(SecretRotations::ConfigKey, 64))
                    .col(text(SecretRotations::NewValue))
                    .col(text_null(SecretRotations::PreviousValue))
                    .col(string_len(SecretRotations::Status, 16))
                    .col(boolean(SecretRotations::Generated))
                    .col(string(SecretRotations::RequestedBy))
                    .col(timestamp_with_time_zone(SecretRotations::CreatedAt))
                    .col(timestamp_with_time_zone_null(SecretRotations::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_secret_rotations_change")
                    .table(SecretRotations::Table)
                    .col(SecretRotations::ChangeRequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_secret_rotations_tenant")
                    .table(SecretRotations::Table)
                    .col(SecretRotations::TenantId)
                    .col(SecretRotations::SecretName)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SecretSchedules::Table)
                    .if_not_exists()
                    .col(uuid(SecretSchedules::TenantId))
                    .col(string_len(SecretSchedules::SecretName, 64))
                    .col(integer(SecretSchedules::IntervalDays))
                    .col(timestamp_with_time_zone_null(
                        SecretSchedules::LastRotatedAt,
                    ))
                    .col(string(SecretSchedules::UpdatedBy))
                    .col(timestamp_with_time_zone(SecretSchedules::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(SecretSchedules::TenantId)
                            .col(SecretSchedules::SecretName),
                    )
                    .to_owned(),
            )
            .await?;
        crate::row_security::confine(manager, &["secret_rotations", "secret_schedules"]).await
    }
}
