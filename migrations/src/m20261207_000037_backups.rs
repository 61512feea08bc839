//! Backups as records: each backup a tenant's backup change produced (where
//! its bundle lies, its size and SHA-256, whether a verify re-read it, its
//! retention class and expiry); each tenant's backup schedule (how many of
//! each class to keep); legal holds, which stop retention from deleting
//! anything of their tenant; and on a change request, the backup a restore
//! starts from or the class a scheduled backup is taken for.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Backups {
    Table,
    Id,
    TenantId,
    ChangeRequestId,
    Kind,
    RetentionClass,
    Location,
    SizeBytes,
    Sha256,
    DataSnapshot,
    Contents,
    TakenAt,
    VerifyStatus,
    VerifiedAt,
    VerifyMessage,
    ExpiresAt,
    DeletedAt,
    DeleteReason,
}

#[derive(DeriveIden)]
enum BackupPolicies {
    Table,
    TenantId,
    KeepDaily,
    KeepWeekly,
    KeepMonthly,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum LegalHolds {
    Table,
    Id,
    TenantId,
    Reason,
    SetBy,
    SetAt,
    LiftedBy,
    LiftedAt,
    LiftReason,
}

#[derive(DeriveIden)]
enum ChangeRequests {
    Table,
    BackupId,
    BackupClass,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Backups::Table)
                    .if_not_exists()
                    .col(uuid(Backups::Id).primary_key())
                    .col(uuid(Backups::TenantId))
                    .col(uuid(Backups::ChangeRequestId))
                    .col(string_len(Backups::Kind, 16))
                    .col(string_len(Backups::RetentionClass, 16))
                    .col(text(Backups::Location))
                    .col(big_integer(Backups::SizeBytes))
                    .col(string_len(Backups::Sha256, 64))
                    .col(text_null(Backups::DataSnapshot))
                    .col(text(Backups::Contents))
                    .col(timestamp_with_time_zone(Backups::TakenAt))
                    .col(string_len(Backups::VerifyStatus, 16))
                    .col(timestamp_with_time_zone_null(Backups::VerifiedAt))
                    .col(text(Backups::VerifyMessage).default(""))
                    .col(timestamp_with_time_zone_null(Backups::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Backups::DeletedAt))
                    .col(text_null(Backups::DeleteReason))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "idx_backups_tenant_taken",
                vec![Backups::TenantId, Backups::TakenAt],
                false,
            ),
            ("idx_backups_change", vec![Backups::ChangeRequestId], true),
            ("idx_backups_expires", vec![Backups::ExpiresAt], false),
        ] {
            let mut index = Index::create();
            index.name(name).table(Backups::Table);
            for col in cols {
                index.col(col);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(BackupPolicies::Table)
                    .if_not_exists()
                    .col(uuid(BackupPolicies::TenantId).primary_key())
                    .col(integer(BackupPolicies::KeepDaily))
                    .col(integer(BackupPolicies::KeepWeekly))
                    .col(integer(BackupPolicies::KeepMonthly))
                    .col(timestamp_with_time_zone(BackupPolicies::UpdatedAt))
                    .col(string(BackupPolicies::UpdatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LegalHolds::Table)
                    .if_not_exists()
                    .col(uuid(LegalHolds::Id).primary_key())
                    .col(uuid(LegalHolds::TenantId))
                    .col(text(LegalHolds::Reason))
                    .col(string(LegalHolds::SetBy))
                    .col(timestamp_with_time_zone(LegalHolds::SetAt))
                    .col(string_null(LegalHolds::LiftedBy))
                    .col(timestamp_with_time_zone_null(LegalHolds::LiftedAt))
                    .col(text_null(LegalHolds::LiftReason))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_legal_holds_tenant")
                    .table(LegalHolds::Table)
                    .col(LegalHolds::TenantId)
                    .to_owned(),
            )
            .await?;
        for column in [
            uuid_null(ChangeRequests::BackupId).to_owned(),
            string_len_null(ChangeRequests::BackupClass, 16).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ChangeRequests::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        crate::row_security::confine(manager, &["backups", "backup_policies", "legal_holds"]).await
    }
}
