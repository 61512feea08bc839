//! Restore tests: each drill that restores one of a tenant's backups into a
//! scratch target, checks it answers its health baseline and tears it down —
//! which backup, the change that carries it out, the scratch target's
//! address and the verdict; and on a tenant's backup schedule, how often a
//! drill runs on its latest verified backup (0: only on request).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RestoreTests {
    Table,
    Id,
    TenantId,
    BackupId,
    ChangeRequestId,
    Status,
    ScratchAddress,
    Note,
    Scheduled,
    RequestedBy,
    RequestedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum BackupPolicies {
    Table,
    RestoreTestDays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RestoreTests::Table)
                    .if_not_exists()
                    .col(uuid(RestoreTests::Id).primary_key())
                    .col(uuid(RestoreTests::TenantId))
                    .col(uuid(RestoreTests::BackupId))
                    .col(uuid(RestoreTests::ChangeRequestId))
                    .col(string_len(RestoreTests::Status, 16))
                    .col(text_null(RestoreTests::ScratchAddress))
                    .col(text(RestoreTests::Note))
                    .col(boolean(RestoreTests::Scheduled))
                    .col(string(RestoreTests::RequestedBy))
                    .col(timestamp_with_time_zone(RestoreTests::RequestedAt))
                    .col(timestamp_with_time_zone_null(RestoreTests::FinishedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "idx_restore_tests_tenant",
                vec![RestoreTests::TenantId, RestoreTests::RequestedAt],
                false,
            ),
            (
                "idx_restore_tests_backup",
                vec![RestoreTests::BackupId],
                false,
            ),
            // One drill per change, however often its steps are handled.
            (
                "idx_restore_tests_change",
                vec![RestoreTests::ChangeRequestId],
                true,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(RestoreTests::Table);
            for col in cols {
                index.col(col);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(BackupPolicies::Table)
                    .add_column(integer(BackupPolicies::RestoreTestDays).default(0))
                    .to_owned(),
            )
            .await?;
        crate::row_security::confine(manager, &["restore_tests"]).await
    }
}
