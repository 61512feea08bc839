//! Offboarding: each tenant's decommissioning workflow (its stage, the
//! export written for the customer, what was revoked, the clean-up and
//! deletion changes, the retention date) and the signed certificates of
//! destruction, kept with the audit trail.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Offboardings {
    Table,
    Id,
    TenantId,
    Stage,
    Reason,
    RetentionDays,
    RequestedBy,
    RequestedAt,
    NoticeRecipients,
    ExportLocation,
    ExportSha256,
    ExportSizeBytes,
    ExportManifest,
    AccessRevoked,
    CleanupChangeId,
    ArchivedAt,
    DeleteAfter,
    HeldAt,
    DeletionChangeId,
    DestroyedAt,
    Note,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DestructionCertificates {
    Table,
    Id,
    TenantId,
    OffboardingId,
    DeleteChangeId,
    Document,
    Signature,
    Algorithm,
    IssuedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Offboardings::Table)
                    .if_not_exists()
                    .col(uuid(Offboardings::Id).primary_key())
                    .col(uuid(Offboardings::TenantId))
                    .col(string_len(Offboardings::Stage, 16))
                    .col(text(Offboardings::Reason))
                    .col(big_integer(Offboardings::RetentionDays))
                    .col(string(Offboardings::RequestedBy))
                    .col(timestamp_with_time_zone(Offboardings::RequestedAt))
                    .col(text(Offboardings::NoticeRecipients))
                    .col(text_null(Offboardings::ExportLocation))
                    .col(string_len_null(Offboardings::ExportSha256, 64))
                    .col(big_integer_null(Offboardings::ExportSizeBytes))
                    .col(text_null(Offboardings::ExportManifest))
                    .col(text(Offboardings::AccessRevoked))
                    .col(uuid_null(Offboardings::CleanupChangeId))
                    .col(timestamp_with_time_zone_null(Offboardings::ArchivedAt))
                    .col(timestamp_with_time_zone_null(Offboardings::DeleteAfter))
                    .col(timestamp_with_time_zone_null(Offboardings::HeldAt))
                    .col(uuid_null(Offboardings::DeletionChangeId))
                    .col(timestamp_with_time_zone_null(Offboardings::DestroyedAt))
                    .col(text(Offboardings::Note))
                    .col(timestamp_with_time_zone(Offboardings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_offboardings_tenant")
                    .table(Offboardings::Table)
                    .col(Offboardings::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_offboardings_stage")
                    .table(Offboardings::Table)
                    .col(Offboardings::Stage)
                    .col(Offboardings::DeleteAfter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DestructionCertificates::Table)
                    .if_not_exists()
                    .col(uuid(DestructionCertificates::Id).primary_key())
                    .col(uuid(DestructionCertificates::TenantId))
                    .col(uuid_null(DestructionCertificates::OffboardingId))
                    .col(uuid(DestructionCertificates::DeleteChangeId))
                    .col(text(DestructionCertificates::Document))
                    .col(text(DestructionCertificates::Signature))
                    .col(string_len(DestructionCertificates::Algorithm, 16))
                    .col(timestamp_with_time_zone(DestructionCertificates::IssuedAt))
                    .to_owned(),
            )
            .await?;
        // One certificate per deletion change, however often its end is handled.
        manager
            .create_index(
                Index::create()
                    .name("idx_destruction_certificates_change")
                    .table(DestructionCertificates::Table)
                    .col(DestructionCertificates::DeleteChangeId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        crate::row_security::confine(manager, &["offboardings", "destruction_certificates"]).await
    }
}
