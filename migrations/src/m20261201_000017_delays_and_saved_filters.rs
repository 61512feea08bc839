//! Delay requests: a tenant's approver asks to postpone a scheduled change
//! beyond the update policy's limit, and a platform approver decides. Tenant
//! scoped, so PostgreSQL guards it with row-level security like 000015.
//!
//! Saved tenant filters (the vendor's named queries over the tenant list), and
//! on each change request the saved filter it was requested for, if any.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DelayRequests {
    Table,
    Id,
    ChangeRequestId,
    TenantId,
    Days,
    Reason,
    Status,
    RequestedBy,
    RequesterLabel,
    RequestedAt,
    DecidedBy,
    DeciderLabel,
    DecidedAt,
    DecisionComment,
}

#[derive(DeriveIden)]
enum SavedFilters {
    Table,
    Id,
    Name,
    Query,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChangeRequests {
    Table,
    TargetFilterId,
    TargetFilterName,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DelayRequests::Table)
                    .col(uuid(DelayRequests::Id).primary_key())
                    .col(uuid(DelayRequests::ChangeRequestId))
                    .col(uuid(DelayRequests::TenantId))
                    .col(integer(DelayRequests::Days))
                    .col(text(DelayRequests::Reason))
                    .col(string(DelayRequests::Status))
                    .col(uuid_null(DelayRequests::RequestedBy))
                    .col(string(DelayRequests::RequesterLabel))
                    .col(timestamp_with_time_zone(DelayRequests::RequestedAt))
                    .col(uuid_null(DelayRequests::DecidedBy))
                    .col(string_null(DelayRequests::DeciderLabel))
                    .col(timestamp_with_time_zone_null(DelayRequests::DecidedAt))
                    .col(text_null(DelayRequests::DecisionComment))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("delay_requests_change")
                    .table(DelayRequests::Table)
                    .col(DelayRequests::ChangeRequestId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("delay_requests_status")
                    .table(DelayRequests::Table)
                    .col(DelayRequests::Status)
                    .col(DelayRequests::RequestedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SavedFilters::Table)
                    .col(uuid(SavedFilters::Id).primary_key())
                    .col(string(SavedFilters::Name).unique_key())
                    .col(text(SavedFilters::Query))
                    .col(string(SavedFilters::CreatedBy))
                    .col(timestamp_with_time_zone(SavedFilters::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeRequests::Table)
                    .add_column(uuid_null(ChangeRequests::TargetFilterId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeRequests::Table)
                    .add_column(string_null(ChangeRequests::TargetFilterName))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON delay_requests TO tenantry_app;
                     ALTER TABLE delay_requests ENABLE ROW LEVEL SECURITY;
                     ALTER TABLE delay_requests FORCE ROW LEVEL SECURITY;
                     CREATE POLICY tenant_scope ON delay_requests TO tenantry_app
                         USING (tenant_id::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ',')))
                         WITH CHECK (tenant_id::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ',')));
                     CREATE POLICY unscoped_roles ON delay_requests
                         USING (current_user <> 'tenantry_app')
                         WITH CHECK (current_user <> 'tenantry_app');",
                )
                .await?;
        }
        Ok(())
    }
}
