//! Licences: templates (type, products, seats, term, features), their
//! assignments to tenants (period, revocation, the signed document, the
//! notices sent and when an expiry or revocation was enforced), and the
//! vendor's Ed25519 signing key (its private half sealed at rest).
//! Assignments are tenant-scoped: row-level security as for every such table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LicenceTemplates {
    Table,
    Id,
    Key,
    Name,
    LicenceType,
    Products,
    Seats,
    TermDays,
    Features,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LicenceAssignments {
    Table,
    Id,
    TenantId,
    TemplateId,
    Seats,
    ValidFrom,
    ValidTo,
    RevokedAt,
    RevokedReason,
    Document,
    Signature,
    NoticesSent,
    EnforcedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LicenceSigningKeys {
    Table,
    Id,
    PublicKey,
    PrivateKey,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LicenceTemplates::Table)
                    .if_not_exists()
                    .col(uuid(LicenceTemplates::Id).primary_key())
                    .col(string_len(LicenceTemplates::Key, 48).unique_key())
                    .col(string(LicenceTemplates::Name))
                    .col(string_len(LicenceTemplates::LicenceType, 16))
                    .col(text(LicenceTemplates::Products))
                    .col(integer(LicenceTemplates::Seats))
                    .col(integer_null(LicenceTemplates::TermDays))
                    .col(text(LicenceTemplates::Features))
                    .col(timestamp_with_time_zone(LicenceTemplates::CreatedAt))
                    .col(timestamp_with_time_zone(LicenceTemplates::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LicenceAssignments::Table)
                    .if_not_exists()
                    .col(uuid(LicenceAssignments::Id).primary_key())
                    .col(uuid(LicenceAssignments::TenantId))
                    .col(uuid(LicenceAssignments::TemplateId))
                    .col(integer(LicenceAssignments::Seats))
                    .col(timestamp_with_time_zone(LicenceAssignments::ValidFrom))
                    .col(timestamp_with_time_zone_null(LicenceAssignments::ValidTo))
                    .col(timestamp_with_time_zone_null(LicenceAssignments::RevokedAt))
                    .col(text_null(LicenceAssignments::RevokedReason))
                    .col(text(LicenceAssignments::Document))
                    .col(text(LicenceAssignments::Signature))
                    .col(text(LicenceAssignments::NoticesSent).default("[]"))
                    .col(timestamp_with_time_zone_null(
                        LicenceAssignments::EnforcedAt,
                    ))
                    .col(string(LicenceAssignments::CreatedBy))
                    .col(timestamp_with_time_zone(LicenceAssignments::CreatedAt))
                    .col(timestamp_with_time_zone(LicenceAssignments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_licence_assignments_tenant")
                    .table(LicenceAssignments::Table)
                    .col(LicenceAssignments::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LicenceSigningKeys::Table)
                    .if_not_exists()
                    .col(string_len(LicenceSigningKeys::Id, 32).primary_key())
                    .col(text(LicenceSigningKeys::PublicKey))
                    .col(text(LicenceSigningKeys::PrivateKey))
                    .col(timestamp_with_time_zone(LicenceSigningKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&crate::row_security::tenant_scoped("licence_assignments"))
                .await?;
        }
        Ok(())
    }
}
